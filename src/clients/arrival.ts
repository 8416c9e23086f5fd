// How an open-loop client's requests arrive: the arrival processes a client spec names
// ("poisson:2000/s", "constant:500/s", "bursty:2s/8s"), their parser, and the seeded schedule the
// native loop follows. The schedule is made here, once, before the phase starts, so the loop in C++
// only waits for each arrival and the same seed gives the same arrivals on every run.
//
//   poisson:RATE    inter-arrival times exponential with mean 1/RATE (a Poisson process), the first
//                   one drawn like the others (so the first request arrives after an exponential wait).
//   constant:RATE   one request every 1/RATE, the first at a seeded random phase in [0, 1/RATE) so that
//                   several constant clients do not arrive in lock step.
//   bursty:ON/OFF   no schedule: the client works back to back (its depth in flight) for ON, then thinks
//                   for OFF, and again; the cycle starts at a seeded random phase in [0, ON+OFF). A
//                   notebook user running cells is the model.
// RATE is requests per second, "2000", "2000/s", "120/min" or "2k/s" (k = 1,000); ON and OFF are
// durations ("50ms", "2s"). Latency of a scheduled request is measured from its scheduled arrival.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import { OptionError } from '../errors.js';

/** Highest arrival rate a client may ask for, per second: 1 µs between requests is far below any kernel's time here. */
export const MAX_RATE = 1_000_000;
/** Most requests one client's schedule may hold in one phase: the schedule crosses to the worker process as JSON, about 20 bytes a request. */
export const MAX_SCHEDULED = 2_000_000;

export const arrivalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('poisson'), ratePerSec: z.number().positive().max(MAX_RATE) }),
  z.object({ kind: z.literal('constant'), ratePerSec: z.number().positive().max(MAX_RATE) }),
  z.object({ kind: z.literal('bursty'), onNs: z.number().positive(), offNs: z.number().positive() }),
]);
export type Arrival = z.infer<typeof arrivalSchema>;
/** An arrival process as written: poisson:RATE, constant:RATE ("poisson:2000/s") or bursty:ON/OFF ("bursty:2s/8s"). */
export type ArrivalText = `${'poisson' | 'constant'}:${string}` | `bursty:${string}/${string}`;
export type ScheduledArrival = Extract<Arrival, { ratePerSec: number }>;

const RATE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(k)?\s*(?:\/\s*(s|sec|min))?\s*$/i;
const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m)\s*$/;
const UNIT_NS: Record<string, number> = { us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9 };
const EXPECTED = 'poisson:RATE, constant:RATE (RATE in requests/s, e.g. 2000/s) or bursty:ON/OFF (durations, e.g. bursty:2s/8s)';

/** Requests per second from "2000", "2000/s", "2k/s", "120/min"; undefined when it does not parse. */
export function parseRate(raw: string): number | undefined {
  const m = RATE.exec(raw);
  if (!m) return undefined;
  const value = Number(m[1]) * (m[2] ? 1000 : 1);
  return m[3]?.toLowerCase() === 'min' ? value / 60 : value;
}

function parseSpan(raw: string): number | undefined {
  const m = DURATION.exec(raw);
  return m ? Number(m[1]) * UNIT_NS[m[2]!]! : undefined;
}

/** Parses an arrival process; `option` names where it came from in the error ("--client infer: arrival"). */
export function parseArrival(option: string, raw: unknown): Arrival {
  if (typeof raw !== 'string') throw new OptionError(option, EXPECTED, raw);
  const [kind, rest, ...extra] = raw.split(':').map((s) => s.trim());
  if (rest === undefined || extra.length > 0) throw new OptionError(option, EXPECTED, raw);
  if (kind === 'poisson' || kind === 'constant') {
    const rate = parseRate(rest);
    if (rate === undefined || !(rate > 0) || rate > MAX_RATE) {
      throw new OptionError(option, `a rate above 0 and at most ${MAX_RATE.toLocaleString('en-US')}/s, e.g. ${kind}:2000/s`, raw);
    }
    return { kind, ratePerSec: rate };
  }
  if (kind === 'bursty') {
    const [on, off, ...more] = rest.split('/');
    const onNs = on === undefined ? undefined : parseSpan(on);
    const offNs = off === undefined ? undefined : parseSpan(off);
    const ok = (ns: number | undefined) => ns !== undefined && ns >= 1e6 && ns <= 3600e9;
    if (more.length > 0 || !ok(onNs) || !ok(offNs)) throw new OptionError(option, 'bursty:ON/OFF with ON and OFF from 1ms to 1h, e.g. bursty:2s/8s', raw);
    return { kind, onNs: onNs!, offNs: offNs! };
  }
  throw new OptionError(option, EXPECTED, raw);
}

function formatRate(rate: number): string {
  return `${Number(rate.toPrecision(6)).toLocaleString('en-US')}/s`;
}

function formatSpan(ns: number): string {
  return ns >= 1e9 ? `${Number((ns / 1e9).toPrecision(6))}s` : `${Number((ns / 1e6).toPrecision(6))}ms`;
}

/** The arrival process as a spec writes it: "poisson:2,000/s", "bursty:2s/8s". */
export function arrivalText(a: Arrival): string {
  return a.kind === 'bursty' ? `bursty:${formatSpan(a.onNs)}/${formatSpan(a.offNs)}` : `${a.kind}:${formatRate(a.ratePerSec)}`;
}

/** A seeded generator of uniform numbers in [0, 1): the same seed gives the same sequence. */
export function uniformSource(seed: number): () => number {
  // xoroshiro128plus takes a 32-bit seed: fold the high bits in so that seeds differing only there differ.
  const rng = xoroshiro128plus((seed ^ Math.floor(seed / 2 ** 32)) | 0);
  return () => uniformFloat64(rng);
}

/** How many requests a schedule of `rate` over `durationNs` is expected to hold. */
export function expectedRequests(a: ScheduledArrival, durationNs: number): number {
  return (a.ratePerSec * durationNs) / 1e9;
}

/**
 * The scheduled arrivals, in ns after the loop's start, ascending: every arrival before `durationNs`,
 * or exactly `count` arrivals when count > 0.
 */
export function schedule(a: ScheduledArrival, length: { durationNs: number; count?: number }, seed: number): Float64Array {
  const next = uniformSource(seed);
  const meanGapNs = 1e9 / a.ratePerSec;
  const count = length.count ?? 0;
  const capacity = count > 0 ? count : Math.ceil(expectedRequests(a, length.durationNs) * 1.2 + 10 * Math.sqrt(expectedRequests(a, length.durationNs)) + 16);
  let out = new Float64Array(Math.min(capacity, MAX_SCHEDULED));
  let n = 0;
  let t = a.kind === 'constant' ? next() * meanGapNs : 0;
  for (;;) {
    if (a.kind === 'poisson') t += -Math.log(1 - next()) * meanGapNs;
    if (count > 0 ? n >= count : t >= length.durationNs) break;
    if (n === out.length) {
      if (n >= MAX_SCHEDULED) break;
      const grown = new Float64Array(Math.min(n * 2, MAX_SCHEDULED));
      grown.set(out);
      out = grown;
    }
    out[n++] = t;
    if (a.kind === 'constant') t += meanGapNs;
  }
  return out.slice(0, n);
}

/** Where a bursty client's ON/OFF cycle starts: a seeded phase in [0, ON+OFF). */
export function burstPhaseNs(a: Extract<Arrival, { kind: 'bursty' }>, seed: number): number {
  return Math.floor(uniformSource(seed)() * (a.onNs + a.offNs));
}

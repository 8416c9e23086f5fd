// Latency objectives of a client spec: "p99<=5ms", several joined with "&" ("p50<=1ms&p99<=5ms").
// A request that was scheduled but never started counts as a miss: its latency is unbounded. An
// objective is met when its percentile of all the role's requests, the unstarted ones included, is
// within the bound; attainment is the share of requests whose latency was within the bound.
import { z } from 'zod';
import { OptionError } from '../errors.js';
import { summarySchema } from '../metrics/summary.js';
import { formatDuration } from '../report/format.js';

export const SLO_PERCENTILES = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const;
export type SloPercentile = (typeof SLO_PERCENTILES)[number];
/** Latency objectives as written: "p99<=5ms", several joined with & ("p50<=1ms&p99<=5ms"). */
export type SloText = `${SloPercentile}${'<=' | '<'}${string}`;

export const sloSchema = z.object({ percentile: z.enum(SLO_PERCENTILES), maxNs: z.number().positive() });
export type Slo = z.infer<typeof sloSchema>;

/** How one objective fared over a role's requests. */
export const sloOutcomeSchema = sloSchema.extend({
  /** The percentile's measured latency (Infinity is written as null: more misses than the percentile allows). */
  measuredNs: z.number().nullable(),
  met: z.boolean(),
  /** Share of the role's requests (unstarted ones included) within maxNs. */
  attainment: z.number().min(0).max(1),
  requests: z.number().int().nonnegative(),
  /** With repeated runs (--runs N): measuredNs is the median over the runs and this its confidence interval
   * (absent where a run's percentile was unbounded); met says whether that median is within the bound;
   * attainment and requests are over every run's requests together. */
  ci: summarySchema.shape.ci,
  /** With repeated runs: in how many of them the objective was met. */
  runs: z.object({ met: z.number().int().nonnegative(), of: z.number().int().min(1) }).optional(),
});
export type SloOutcome = z.infer<typeof sloOutcomeSchema>;

const ONE = /^\s*(p50|p90|p95|p99|p99\.9|max)\s*(<=|<)\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s)\s*$/;
const UNIT_NS: Record<string, number> = { us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };
const EXPECTED = 'latency objectives such as p99<=5ms or p50<=1ms&p99<=5ms (p50, p90, p95, p99, p99.9 or max; us, ms or s)';

/** Parses "p99<=5ms" (several joined with "&"); at most one objective per percentile. */
export function parseSlos(option: string, raw: unknown): Slo[] {
  if (typeof raw !== 'string' || raw.trim() === '') throw new OptionError(option, EXPECTED, raw);
  const out: Slo[] = [];
  for (const part of raw.split('&')) {
    const m = ONE.exec(part);
    const maxNs = m ? Number(m[3]) * UNIT_NS[m[4]!]! : 0;
    if (!m || !(maxNs >= 1e3) || maxNs > 3600e9) throw new OptionError(option, `${EXPECTED}, bounds from 1us to 1h`, raw);
    const percentile = m[1] as SloPercentile;
    if (out.some((s) => s.percentile === percentile)) throw new OptionError(option, `one objective per percentile (${percentile} twice)`, raw);
    out.push({ percentile, maxNs });
  }
  return out;
}

function formatBound(ns: number): string {
  if (ns >= 1e9) return `${Number((ns / 1e9).toPrecision(6))}s`;
  if (ns >= 1e6) return `${Number((ns / 1e6).toPrecision(6))}ms`;
  return `${Number((ns / 1e3).toPrecision(6))}us`;
}

/** "p99<=5ms". */
export function sloText(slo: Slo): string {
  return `${slo.percentile}<=${formatBound(slo.maxNs)}`;
}

const QUANTILE: Record<SloPercentile, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, 'p99.9': 0.999, max: 1 };

/** The objective checked against latencies (ns, NaN ignored) and `unstarted` requests that never ran. */
export function sloOutcome(slo: Slo, latencyNs: ArrayLike<number>, unstarted = 0): SloOutcome {
  const finite: number[] = [];
  for (let i = 0; i < latencyNs.length; i++) if (!Number.isNaN(latencyNs[i]!)) finite.push(latencyNs[i]!);
  finite.sort((a, b) => a - b);
  const all = finite.concat(Array.from({ length: unstarted }, () => Infinity));
  const requests = all.length;
  if (requests === 0) return { ...slo, measuredNs: null, met: false, attainment: 0, requests };
  const q = QUANTILE[slo.percentile];
  // The nearest-rank percentile over all requests (with unstarted ones it may be infinite); the printed
  // latency percentiles interpolate between ranks, so the two can differ by less than one request's step.
  const measured = q === 1 ? all[requests - 1]! : all[Math.min(requests - 1, Math.ceil(q * requests) - 1)]!;
  let within = 0;
  for (const v of finite) if (v <= slo.maxNs) within++;
  return {
    ...slo,
    measuredNs: Number.isFinite(measured) ? measured : null,
    met: measured <= slo.maxNs,
    attainment: within / requests,
    requests,
  };
}

/** "p99<=5ms: 3.12 ms, met (99.6% of 12,000 requests within 5 ms)"; over repeated runs
 * "p99<=5ms: 3.12 ms [3.01 ms–3.30 ms], met (met in 4 of 5 runs; 99.6% of 60,000 requests within 5 ms)". */
export function sloOutcomeText(o: SloOutcome): string {
  const measured = o.measuredNs === null ? 'unbounded (requests never started)' : formatDuration(o.measuredNs);
  const interval = o.ci ? ` [${formatDuration(o.ci.low)}–${formatDuration(o.ci.high)}]` : '';
  const runs = o.runs ? `met in ${o.runs.met} of ${o.runs.of} runs; ` : '';
  const share = `${(o.attainment * 100).toFixed(1)}% of ${o.requests.toLocaleString('en-US')} requests within ${formatDuration(o.maxNs)}`;
  return `${sloText(o)}: ${measured}${interval}, ${o.met ? 'met' : 'MISSED'} (${runs}${share})`;
}

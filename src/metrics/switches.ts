// Context-switch detection from the merged GPU traces of several clients ("activity instants" method).
//
// Each client contributes the instants at which it was certainly running on the GPU:
//   - every CTA start and every CTA end (read from %globaltimer by a running thread), and
//   - every probe gap start (last clock reading before being switched out) and gap end (first reading
//     after coming back).
// Whole CTA intervals are deliberately NOT treated as "running": a CTA preempted mid-way has an interval
// that spans the other client's time slice, and only its endpoints are evidence of execution.
//
// The instants of all clients, restricted to the window in which every client was fully recorded, are
// merged in time order (ties: lower client first). Maximal runs of consecutive instants of one client are
// its time slices, and every boundary between two runs is a context switch; its gap is the time in which
// neither the outgoing nor the incoming client was seen running.
//
// That reading holds only while clients take turns. Under MPS, streams or green contexts their CTAs
// run at the same time and their instants interleave finely: there are no time slices to measure.
// The co-running fraction tells the two apart: the share of the window's short bins with activity
// in which two or more clients were seen. Time slicing keeps it near zero (only bins that straddle a
// switch); concurrent sharing keeps it high. The caller says which to expect (time slicing takes
// turns; MPS, streams, green contexts and MIG do not); without that, a fraction above
// CONCURRENT_THRESHOLD reports the clients as concurrent and lists no switches.

import { z } from 'zod';
import { percentileOf, samplesForPercentile } from './evidence.js';
import { distribution, distributionSchema, maxOf, minOf, type Distribution } from './stats.js';
import { summary, type Summary } from './summary.js';

export interface ClientTrace {
  /** Client index. */
  client: number;
  /** CTA lifetimes (ns): start, end and SM of every traced CTA. */
  ctaStart: Float64Array;
  ctaEnd: Float64Array;
  ctaSm: Uint32Array;
  /** Probe gaps (ns): last reading before and first reading after each gap, and its SM (may be empty). */
  gapStart: Float64Array;
  gapEnd: Float64Array;
  gapSm: Uint32Array;
  /** Span (ns) in which this client's activity was fully recorded. */
  coveredFrom: number;
  coveredTo: number;
}

const contextSwitchSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  /** End of the outgoing client's last activity (ns). */
  atNs: z.number(),
  /** Time between the outgoing client's last instant and the incoming client's first (ns, ≥ 0). */
  gapNs: z.number(),
});
export type ContextSwitch = z.infer<typeof contextSwitchSchema>;

/** A run of one client's activity: from its first to its last instant in the run. */
const sliceSchema = z.object({ client: z.number().int(), startNs: z.number(), endNs: z.number() });
export type Slice = z.infer<typeof sliceSchema>;

/**
 * What the co-running fraction counts, as printed. It sees CTA starts and ends, not CTAs in flight:
 * kernels whose CTAs run for hundreds of µs start and end in bursts, so clients that run at once on
 * disjoint SMs (green contexts) can score low although both are running all the time.
 */
const CO_RUNNING_NAME = "10 µs bins with several clients' CTA starts/ends";
/** The same where some client's instants are CUPTI's kernel records: starts and ends of whole kernels. */
const CO_RUNNING_KERNEL_NAME = "10 µs bins with several clients' kernel starts/ends (CUPTI)";

/** Co-running fraction above which clients are taken to run concurrently rather than in turns. */
export const CONCURRENT_THRESHOLD = 0.25;
/** Switches and slices kept in the result (the counts and distributions cover all of them). */
export const MAX_LISTED = 10_000;
/** Bin width (ns) of the co-running fraction: 10 µs, narrower for spans under 10 ms, wider for long ones (at most MAX_BINS bins). */
const BIN_NS = 10_000;
const MAX_BINS = 2_000_000;
/** Fewer instants than this say too little to tell concurrency from turns: taken as turns. */
const MIN_INSTANTS_FOR_CONCURRENCY = 1000;

/** The switch analysis as a phase of the result file records it (src/report/schema.ts); the type is inferred from it. */
export const switchAnalysisSchema = z.object({
  /** The analysed window: [max coveredFrom, min coveredTo]; end = start when that span is empty. */
  windowStartNs: z.number(),
  windowEndNs: z.number(),
  switches: z.array(contextSwitchSchema),
  slices: z.array(sliceSchema),
  count: z.number().int().nonnegative(),
  perSecond: z.number(),
  /** Slice lengths, excluding the first and last slice of the window (truncated by it). */
  slice: distributionSchema.optional(),
  /** Switch gaps. */
  gap: distributionSchema.optional(),
  /** Sum of switch gaps / window length (0 when there are no switches). */
  overheadFraction: z.number().min(0),
  /**
   * Number of slices made of a single instant whose neighbouring slices on both sides belong to the same
   * other client (A B A, B a single instant). Under time slicing a slice holds many instants; a lone
   * instant inside another client's activity means the two were running concurrently (e.g. MPS), so a
   * high count says the "switches" are interleaving, not time slicing.
   */
  overlapCount: z.number().int().nonnegative(),
  /** single: fewer than two clients traced; timeslicing: they took turns; concurrent: they ran at once. */
  kind: z.enum(['single', 'timeslicing', 'concurrent']),
  /** Share of the window's bins with activity in which at least two clients were seen (see above). */
  coRunningFraction: z.number().min(0).max(1),
});

export type SwitchAnalysis = z.infer<typeof switchAnalysisSchema>;

/** One client's sorted in-window instants, with a read position for the merge. */
interface Lane {
  client: number;
  t: Float64Array;
  pos: number;
}

/** Sorted copy of the instants of `trace` within [from, to] (NaN never passes the range test). */
function laneInstants(trace: ClientTrace, from: number, to: number): Float64Array {
  const sources = [trace.ctaStart, trace.ctaEnd, trace.gapStart, trace.gapEnd];
  let n = 0;
  for (const src of sources) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i] as number;
      if (v >= from && v <= to) n++;
    }
  }
  const out = new Float64Array(n);
  let k = 0;
  for (const src of sources) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i] as number;
      if (v >= from && v <= to) out[k++] = v;
    }
  }
  return out.sort(); // numeric sort for typed arrays
}

/**
 * First index i ≥ `from` with t[i] > bound (inclusive: instants equal to the bound are taken) or
 * t[i] ≥ bound (exclusive), for sorted t. Gallops from `from` so that a run of length L costs O(log L).
 */
function runEnd(t: Float64Array, from: number, bound: number, inclusive: boolean): number {
  const takes = inclusive ? (v: number) => v <= bound : (v: number) => v < bound;
  const n = t.length;
  // Exponential search for an index that is not taken; everything before lo is taken.
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < n && takes(t[hi] as number)) {
    lo = hi + 1;
    hi = from + step;
    step *= 2;
  }
  if (hi > n) hi = n;
  // Binary search in [lo, hi): t[hi] (if any) is not taken.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (takes(t[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Splits the merged instants into runs of one client (k-way merge over per-client sorted instants). */
function mergeRuns(lanes: Lane[]): { slices: Slice[]; sizes: number[] } {
  const slices: Slice[] = [];
  const sizes: number[] = [];
  for (;;) {
    // The lane whose head comes first (lanes are ordered by client, so `<` keeps ties in client order).
    let cur = -1;
    let curHead = Infinity;
    for (let j = 0; j < lanes.length; j++) {
      const lane = lanes[j] as Lane;
      if (lane.pos < lane.t.length && (cur < 0 || (lane.t[lane.pos] as number) < curHead)) {
        cur = j;
        curHead = lane.t[lane.pos] as number;
      }
    }
    if (cur < 0) break;
    // The earliest head among the other lanes: the current run lasts until just before it.
    let next = -1;
    let nextHead = Infinity;
    for (let j = 0; j < lanes.length; j++) {
      const lane = lanes[j] as Lane;
      if (j !== cur && lane.pos < lane.t.length && (next < 0 || (lane.t[lane.pos] as number) < nextHead)) {
        next = j;
        nextHead = lane.t[lane.pos] as number;
      }
    }
    const lane = lanes[cur] as Lane;
    // On a tie with the other lane's head, the lower client (earlier lane) goes first.
    const end = next < 0 ? lane.t.length : runEnd(lane.t, lane.pos, nextHead, cur < next);
    slices.push({ client: lane.client, startNs: lane.t[lane.pos] as number, endNs: lane.t[end - 1] as number });
    sizes.push(end - lane.pos);
    lane.pos = end;
  }
  return { slices, sizes };
}

/** Share of the bins with activity in which two or more lanes had an instant (bins span the instants). */
function coRunning(lanes: Lane[]): number {
  let first = Infinity;
  let last = -Infinity;
  for (const lane of lanes) {
    if (lane.t.length === 0) continue;
    first = Math.min(first, lane.t[0] as number);
    last = Math.max(last, lane.t[lane.t.length - 1] as number);
  }
  const spanNs = last - first;
  if (!(spanNs > 0)) return 0;
  const binNs = Math.max(Math.min(BIN_NS, spanNs / 1000), spanNs / MAX_BINS);
  const bins = Math.max(1, Math.ceil(spanNs / binNs));
  const lastLane = new Int32Array(bins).fill(-1);
  const clients = new Uint8Array(bins);
  lanes.forEach((lane, index) => {
    for (let i = 0; i < lane.t.length; i++) {
      const b = Math.min(bins - 1, Math.floor(((lane.t[i] as number) - first) / binNs));
      if (lastLane[b] !== index) {
        lastLane[b] = index;
        if (clients[b]! < 255) clients[b]! += 1;
      }
    }
  });
  let active = 0;
  let shared = 0;
  for (let b = 0; b < bins; b++) {
    if (clients[b]! > 0) active++;
    if (clients[b]! > 1) shared++;
  }
  return active > 0 ? shared / active : 0;
}

/** Context switches, time slices and switching overhead from the clients' traces. */
export function detectSwitches(traces: readonly ClientTrace[], expect?: 'turns' | 'concurrent'): SwitchAnalysis {
  let windowStartNs = 0;
  let windowEndNs = 0;
  if (traces.length > 0) {
    windowStartNs = maxOf(traces.map((t) => t.coveredFrom));
    windowEndNs = minOf(traces.map((t) => t.coveredTo));
    if (!(windowEndNs > windowStartNs)) windowEndNs = windowStartNs; // empty (or NaN) window
  }
  const windowNs = windowEndNs - windowStartNs;

  let slices: Slice[] = [];
  let sizes: number[] = [];
  let coRunningFraction = 0;
  if (windowNs > 0) {
    const lanes: Lane[] = [...traces]
      .sort((a, b) => a.client - b.client) // stable: equal client indices keep their order
      .map((trace) => ({ client: trace.client, t: laneInstants(trace, windowStartNs, windowEndNs), pos: 0 }));
    coRunningFraction = coRunning(lanes);
    ({ slices, sizes } = mergeRuns(lanes));
  }
  const instants = sizes.reduce((a, b) => a + b, 0);
  // The sharing mode says whether the clients take turns; without it the traces decide.
  const concurrent = expect ? expect === 'concurrent' : coRunningFraction > CONCURRENT_THRESHOLD && instants >= MIN_INSTANTS_FOR_CONCURRENCY;
  const kind: SwitchAnalysis['kind'] = traces.length < 2 ? 'single' : concurrent ? 'concurrent' : 'timeslicing';
  if (kind === 'concurrent') {
    return { windowStartNs, windowEndNs, switches: [], slices: [], count: 0, perSecond: 0, overheadFraction: 0, overlapCount: 0, kind, coRunningFraction };
  }

  const switches: ContextSwitch[] = [];
  const gaps = new Float64Array(Math.max(0, slices.length - 1));
  let gapSum = 0;
  let overlapCount = 0;
  for (let i = 1; i < slices.length; i++) {
    const prev = slices[i - 1] as Slice;
    const cur = slices[i] as Slice;
    const gapNs = cur.startNs - prev.endNs;
    switches.push({ from: prev.client, to: cur.client, atNs: prev.endNs, gapNs });
    gaps[i - 1] = gapNs;
    gapSum += gapNs;
    if (i + 1 < slices.length && sizes[i] === 1 && (slices[i + 1] as Slice).client === prev.client) overlapCount++;
  }

  // Interior slices only: the first and last are cut by the window edges.
  const lengths = new Float64Array(Math.max(0, slices.length - 2));
  for (let i = 1; i + 1 < slices.length; i++) {
    const s = slices[i] as Slice;
    lengths[i - 1] = s.endNs - s.startNs;
  }

  const count = switches.length;
  const analysis: SwitchAnalysis = {
    windowStartNs,
    windowEndNs,
    switches: switches.length > MAX_LISTED ? switches.slice(0, MAX_LISTED) : switches,
    slices: slices.length > MAX_LISTED ? slices.slice(0, MAX_LISTED) : slices,
    count,
    perSecond: windowNs > 0 ? count / (windowNs / 1e9) : 0,
    overheadFraction: count > 0 && windowNs > 0 ? gapSum / windowNs : 0,
    overlapCount,
    kind,
    coRunningFraction,
  };
  const slice = distribution(lengths);
  if (slice) analysis.slice = slice;
  const gap = distribution(gaps);
  if (gap) analysis.gap = gap;
  return analysis;
}

export interface SwitchSummaryOptions {
  /**
   * Some client's instants are CUPTI's kernel records (a library's kernels, which write no CTA record):
   * the figures are then kernel-level, and their names say so.
   */
  kernelLevel?: boolean;
}

/** A distribution's percentiles by name, each only where it has enough samples (evidence.ts: p10 and p90 need 10, p99 100). */
function percentiles(
  d: Distribution | undefined,
  keys: ReadonlyArray<'p10' | 'p50' | 'p90' | 'p99' | 'max'>,
): Array<['p10' | 'p50' | 'p90' | 'p99' | 'max', number]> {
  if (!d) return [];
  return keys.filter((k) => d.count >= samplesForPercentile(percentileOf(k)!)).map((k) => [k, d[k]]);
}

/**
 * Summaries of a switch analysis; a distribution's entries are left out when there is no distribution,
 * and a percentile when it has too few samples for it (the analysis keeps the whole distribution).
 */
export function switchSummaries(a: SwitchAnalysis, options: SwitchSummaryOptions = {}): Summary[] {
  if (a.kind === 'single') return [];
  const level = options.kernelLevel ? ' (kernel-level)' : '';
  const coRunning = summary('coRunning', options.kernelLevel ? CO_RUNNING_KERNEL_NAME : CO_RUNNING_NAME, 'fraction', a.coRunningFraction);
  if (a.kind === 'concurrent') return [coRunning];
  const out: Summary[] = [
    summary('switch.count', `context switches${level}`, 'count', a.count),
    summary('switch.perSecond', `context switch rate${level}`, 'rate', a.perSecond, 'switch/s'),
  ];
  for (const [key, value] of percentiles(a.slice, ['p10', 'p50', 'p90'])) out.push(summary(`slice.${key}`, `time slice ${key}${level}`, 'duration', value));
  for (const [key, value] of percentiles(a.gap, ['p50', 'p99', 'max'])) out.push(summary(`switchGap.${key}`, `switch gap ${key}${level}`, 'duration', value));
  out.push(summary('switch.overhead', `switching overhead${level}`, 'fraction', a.overheadFraction));
  out.push(coRunning);
  return out;
}

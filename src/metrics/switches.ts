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

import { distribution, type Distribution } from './stats.js';
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

export interface ContextSwitch {
  from: number;
  to: number;
  /** End of the outgoing client's last activity (ns). */
  atNs: number;
  /** Time between the outgoing client's last instant and the incoming client's first (ns, ≥ 0). */
  gapNs: number;
}

/** A run of one client's activity: from its first to its last instant in the run. */
export interface Slice {
  client: number;
  startNs: number;
  endNs: number;
}

export interface SwitchAnalysis {
  /** The analysed window: [max coveredFrom, min coveredTo]; end = start when that span is empty. */
  windowStartNs: number;
  windowEndNs: number;
  switches: ContextSwitch[];
  slices: Slice[];
  count: number;
  perSecond: number;
  /** Slice lengths, excluding the first and last slice of the window (truncated by it). */
  slice?: Distribution;
  /** Switch gaps. */
  gap?: Distribution;
  /** Sum of switch gaps / window length (0 when there are no switches). */
  overheadFraction: number;
  /**
   * Number of slices made of a single instant whose neighbouring slices on both sides belong to the same
   * other client (A B A, B a single instant). Under time slicing a slice holds many instants; a lone
   * instant inside another client's activity means the two were running concurrently (e.g. MPS), so a
   * high count says the "switches" are interleaving, not time slicing.
   */
  overlapCount: number;
}

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

/** Context switches, time slices and switching overhead from the clients' traces. */
export function detectSwitches(traces: readonly ClientTrace[]): SwitchAnalysis {
  let windowStartNs = 0;
  let windowEndNs = 0;
  if (traces.length > 0) {
    windowStartNs = Math.max(...traces.map((t) => t.coveredFrom));
    windowEndNs = Math.min(...traces.map((t) => t.coveredTo));
    if (!(windowEndNs > windowStartNs)) windowEndNs = windowStartNs; // empty (or NaN) window
  }
  const windowNs = windowEndNs - windowStartNs;

  let slices: Slice[] = [];
  let sizes: number[] = [];
  if (windowNs > 0) {
    const lanes: Lane[] = [...traces]
      .sort((a, b) => a.client - b.client) // stable: equal client indices keep their order
      .map((trace) => ({ client: trace.client, t: laneInstants(trace, windowStartNs, windowEndNs), pos: 0 }));
    ({ slices, sizes } = mergeRuns(lanes));
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
    switches,
    slices,
    count,
    perSecond: windowNs > 0 ? count / (windowNs / 1e9) : 0,
    overheadFraction: count > 0 && windowNs > 0 ? gapSum / windowNs : 0,
    overlapCount,
  };
  const slice = distribution(lengths);
  if (slice) analysis.slice = slice;
  const gap = distribution(gaps);
  if (gap) analysis.gap = gap;
  return analysis;
}

/** Summaries of a switch analysis; distribution entries are left out when there is no distribution. */
export function switchSummaries(a: SwitchAnalysis): Summary[] {
  const out: Summary[] = [
    summary('switch.count', 'context switches', 'count', a.count),
    summary('switch.perSecond', 'context switch rate', 'rate', a.perSecond, 'switch/s'),
  ];
  if (a.slice) {
    for (const key of ['p10', 'p50', 'p90'] as const) {
      out.push(summary(`slice.${key}`, `time slice ${key}`, 'duration', a.slice[key]));
    }
  }
  if (a.gap) {
    for (const key of ['p50', 'p99', 'max'] as const) {
      out.push(summary(`switchGap.${key}`, `switch gap ${key}`, 'duration', a.gap[key]));
    }
  }
  out.push(summary('switch.overhead', 'switching overhead', 'fraction', a.overheadFraction));
  return out;
}

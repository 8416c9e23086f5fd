// SM occupancy from the CTA traces: which client held which SM when.
//
// A client holds an SM while at least one of its CTAs is resident there: the union of its CTA intervals
// on that SM (overlapping CTAs of one client count once). A CTA's interval runs from its first to its
// last %globaltimer reading, so under time slicing a CTA preempted by a context switch keeps its interval
// open while the other clients run their slices (on the H200, a saturating gemm's CTAs span about 96% of
// the time that way). So when the switch analysis found time slicing (turns, not interleaving), a client
// holds an SM only within its own time slices (switches.ts: from its first to its last instant in each
// turn), and the switch gaps count as idle. When the clients ran concurrently (MPS, streams, green
// contexts: no context switch between them), whole CTA intervals count. Which of the two applies the
// caller says (from the sharing mode's traits, src/modes/), or where it does not, the switch analysis
// decides (tookTurns). The traces must number one set of SMs: under MIG each client's SM ids number its
// own instance's SMs, so there is no common SM timeline and the caller asks for no occupancy.
//
// Over the window in which every client was traced (the switch analysis's window), this gives, per client:
// the share of all SM-time it held, the share of each SM, and a coarse time series of its share of the
// GPU; and across clients: the idle share (no client's CTA on the SM), and a timeline of SM × time bins
// over a short sub-window, each cell naming the dominant occupant (a client, or idle), compact enough to
// keep in the result file and draw in the report.
//
// Under time slicing the clients' shares add up to at most the busy share; under MPS or streams CTAs of
// several clients share an SM at once, so the shares can add up to more than the busy share.
//
// Cost: each client's records are bucketed by SM (counting sort), each bucket's starts and ends are
// sorted separately (typed-array sort) and swept into union segments; everything downstream works on
// the segments. No object per record.

import { z } from 'zod';
import { summary, type Summary } from './summary.js';
import type { SwitchAnalysis } from './switches.js';

/** The CTA records of one client, on the common clock (ns). switches.ts's ClientTrace fits. */
export interface OccupancyTrace {
  client: number;
  ctaStart: Float64Array;
  ctaEnd: Float64Array;
  ctaSm: Uint32Array;
}

export interface TimelineOptions {
  /** Start of the timeline (ns, trace clock); default the window's start. Clamped into the window. */
  startNs?: number;
  /** Length of the timeline (ns); default 100 ms (about 50 time slices of 2 ms). Clipped to the window. */
  lengthNs?: number;
  /** Most bins across; the bin width is the smallest 1-2-5 step that fits. Default 1000. */
  maxBins?: number;
}

export interface OccupancyOptions {
  /** SMs of the device: the denominator of every share. */
  smCount: number;
  /** The window analysed (ns, trace clock): the window in which every client was traced. */
  windowStartNs: number;
  windowEndNs: number;
  /** Most bins of the share-over-time series across the whole window; default 200. */
  seriesBins?: number;
  timeline?: TimelineOptions;
  /**
   * Time slices (switches.ts) when the clients took turns on the GPU: each client then holds SMs only
   * within its own slices. Leave out when the clients ran concurrently.
   */
  slices?: ReadonlyArray<{ client: number; startNs: number; endNs: number }>;
}

/**
 * Timeline cell codes: cell code TIMELINE_CODES[i] means `clients[i]` held the SM for most of the bin;
 * TIMELINE_IDLE means no client did (idle was the largest part of the bin).
 */
export const TIMELINE_CODES = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/';
export const TIMELINE_IDLE = '.';

const occupancyTimelineSchema = z.object({
  /** Start of the first bin (ns, trace clock), bin width, and number of bins (the last may be cut short). */
  startNs: z.number(),
  endNs: z.number(),
  binNs: z.number().positive(),
  bins: z.number().int().positive(),
  /** One string per SM id, one character per bin (see TIMELINE_CODES). */
  rows: z.array(z.string()),
});
export type OccupancyTimeline = z.infer<typeof occupancyTimelineSchema>;

const occupancySeriesSchema = z.object({
  /** Bin width (ns); the last bin may be cut short by the window. */
  binNs: z.number().positive(),
  /** Start of each bin (ns, trace clock). */
  tNs: z.array(z.number()),
  /** Per client (same order as `clients`): share of all SMs it held in each bin. */
  share: z.array(z.array(z.number())),
  /** Share of all SMs that no client held in each bin. */
  idle: z.array(z.number()),
});
export type OccupancySeries = z.infer<typeof occupancySeriesSchema>;

/** SM occupancy as a phase of the result file records it (src/report/schema.ts); the type is inferred from it. */
export const occupancySchema = z.object({
  /**
   * The window: the switch analysis's, except that under time slicing it ends with the last slice the
   * analysis listed (it lists the first 10,000, about 20 s of 2 ms turns).
   */
  windowStartNs: z.number(),
  windowEndNs: z.number(),
  smCount: z.number().int().positive(),
  /** True when each client's holding was cut to its own time slices (time slicing; see above). */
  clippedToSlices: z.boolean(),
  /** Client indices, in the order of every per-client array below. */
  clients: z.array(z.number().int().nonnegative()),
  /** Per client: SM-time held over the window / (smCount × window length). */
  share: z.array(z.number().min(0)),
  /** SM-time held by at least one client / (smCount × window length). */
  busy: z.number().min(0),
  /** 1 − busy: SM-time with no client's CTA resident. */
  idle: z.number().min(0),
  /** Per client, per SM id: share of that SM's time in the window the client held it. */
  perSm: z.array(z.array(z.number().min(0))),
  series: occupancySeriesSchema,
  timeline: occupancyTimelineSchema,
});
export type Occupancy = z.infer<typeof occupancySchema>;

const DEFAULT_TIMELINE_NS = 100e6;
const DEFAULT_TIMELINE_BINS = 1000;
const DEFAULT_SERIES_BINS = 200;

/** The smallest of 1, 2, 5 × 10^k (k ≥ 0) that is ≥ x: a bin width people can read. */
export function niceBinWidth(x: number): number {
  if (!(x > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 5, 10]) if (step * power >= x) return step * power;
  return 10 * power;
}

/** Time bins [startNs, endNs) of width binNs; the last bin may be shorter. */
interface Bins {
  startNs: number;
  endNs: number;
  binNs: number;
  count: number;
}

function makeBins(startNs: number, endNs: number, maxBins: number): Bins {
  const binNs = niceBinWidth((endNs - startNs) / Math.max(1, Math.floor(maxBins)));
  return { startNs, endNs, binNs, count: Math.max(1, Math.ceil((endNs - startNs) / binNs)) };
}

function binLength(bins: Bins, k: number): number {
  const lo = bins.startNs + k * bins.binNs;
  return Math.min(bins.endNs, lo + bins.binNs) - lo;
}

/** Adds the overlap of [a, b) with each bin to out[offset + bin]. */
function addToBins(out: Float64Array | Float32Array, offset: number, bins: Bins, a: number, b: number): void {
  const lo = Math.max(a, bins.startNs);
  const hi = Math.min(b, bins.endNs);
  if (!(hi > lo)) return;
  const first = Math.floor((lo - bins.startNs) / bins.binNs);
  const last = Math.min(bins.count - 1, Math.floor((hi - bins.startNs) / bins.binNs));
  for (let k = first; k <= last; k++) {
    const binLo = bins.startNs + k * bins.binNs;
    const part = Math.min(hi, binLo + bins.binNs) - Math.max(lo, binLo);
    if (part > 0) out[offset + k]! += part;
  }
}

/** Growable pair of float64 arrays (segment starts and ends). */
class SegmentList {
  start = new Float64Array(1024);
  end = new Float64Array(1024);
  length = 0;
  push(a: number, b: number): void {
    if (this.length === this.start.length) {
      const grow = (old: Float64Array) => {
        const next = new Float64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
    }
    this.start[this.length] = a;
    this.end[this.length] = b;
    this.length++;
  }
}

/**
 * Union of intervals given as separately sorted starts and ends (the i-th smallest end is never before
 * the i-th smallest start, so a sweep over both gives the union); each maximal covered span goes to
 * `emit`. Touching intervals merge.
 */
export function sweepUnion(starts: Float64Array, ends: Float64Array, emit: (a: number, b: number) => void): void {
  const n = starts.length;
  let i = 0;
  let j = 0;
  let depth = 0;
  let open = 0;
  while (i < n) {
    if (starts[i]! <= ends[j]!) {
      if (depth++ === 0) open = starts[i]!;
      i++;
    } else {
      if (--depth === 0) emit(open, ends[j]!);
      j++;
    }
  }
  if (n > 0) emit(open, ends[n - 1]!);
}

/** One client's union segments per SM: segments of SM s are [offsets[s], offsets[s + 1]). */
interface ClientSegments {
  segments: SegmentList;
  offsets: Uint32Array;
}

/**
 * Buckets one client's in-window records by SM, clipped to the window, and sweeps each bucket; with
 * `turns` (this client's time slices, in time order), keeps only the parts within them.
 */
function clientSegments(trace: OccupancyTrace, rows: number, from: number, to: number, turns?: { start: Float64Array; end: Float64Array }): ClientSegments {
  const n = trace.ctaStart.length;
  const counts = new Uint32Array(rows + 1);
  for (let i = 0; i < n; i++) {
    if (trace.ctaEnd[i]! > from && trace.ctaStart[i]! < to) counts[trace.ctaSm[i]! + 1]!++;
  }
  for (let s = 0; s < rows; s++) counts[s + 1]! += counts[s]!;
  const total = counts[rows]!;
  const starts = new Float64Array(total);
  const ends = new Float64Array(total);
  const fill = counts.slice(0, rows);
  for (let i = 0; i < n; i++) {
    const a = trace.ctaStart[i]!;
    const b = trace.ctaEnd[i]!;
    if (b > from && a < to) {
      const at = fill[trace.ctaSm[i]!]!++;
      starts[at] = Math.max(a, from);
      ends[at] = Math.min(b, to);
    }
  }
  const segments = new SegmentList();
  const offsets = new Uint32Array(rows + 1);
  // Union segments come out in time order, so the turn they may overlap only moves forward.
  let turn = 0;
  const emit = !turns
    ? (a: number, b: number) => segments.push(a, b)
    : (a: number, b: number) => {
        while (turn < turns.start.length && turns.end[turn]! <= a) turn++;
        for (let q = turn; q < turns.start.length && turns.start[q]! < b; q++) {
          const lo = Math.max(a, turns.start[q]!);
          const hi = Math.min(b, turns.end[q]!);
          if (hi > lo) segments.push(lo, hi);
        }
      };
  for (let s = 0; s < rows; s++) {
    const lo = counts[s]!;
    const hi = counts[s + 1]!;
    offsets[s] = segments.length;
    turn = 0;
    if (hi > lo) sweepUnion(starts.subarray(lo, hi).sort(), ends.subarray(lo, hi).sort(), emit);
  }
  offsets[rows] = segments.length;
  return { segments, offsets };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** SM-time held (ns), summed over the series' bins and over the timeline's cells (SM × bin). */
interface Held {
  series: Float64Array;
  timeline: Float32Array;
}

/** What each client held: per SM over the window (`total`), per series bin, per timeline cell. */
function heldByClients(perClient: ClientSegments[], rows: number, series: Bins, timeline: Bins): Array<Held & { total: Float64Array }> {
  return perClient.map(({ segments, offsets }) => {
    const held = { total: new Float64Array(rows), series: new Float64Array(series.count), timeline: new Float32Array(rows * timeline.count) };
    for (let s = 0; s < rows; s++) {
      for (let q = offsets[s]!; q < offsets[s + 1]!; q++) {
        const a = segments.start[q]!;
        const b = segments.end[q]!;
        held.total[s]! += b - a;
        addToBins(held.series, 0, series, a, b);
        addToBins(held.timeline, s * timeline.count, timeline, a, b);
      }
    }
    return held;
  });
}

/** What at least one client held (over the window: `total`): the union over clients, SM by SM. */
function heldByAny(perClient: ClientSegments[], rows: number, series: Bins, timeline: Bins): Held & { total: number } {
  const busy = { total: 0, series: new Float64Array(series.count), timeline: new Float32Array(rows * timeline.count) };
  for (let s = 0; s < rows; s++) {
    let n = 0;
    for (const { offsets } of perClient) n += offsets[s + 1]! - offsets[s]!;
    if (n === 0) continue;
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    let at = 0;
    for (const { segments, offsets } of perClient) {
      const lo = offsets[s]!;
      const hi = offsets[s + 1]!;
      starts.set(segments.start.subarray(lo, hi), at);
      ends.set(segments.end.subarray(lo, hi), at);
      at += hi - lo;
    }
    sweepUnion(starts.sort(), ends.sort(), (a, b) => {
      busy.total += b - a;
      addToBins(busy.series, 0, series, a, b);
      addToBins(busy.timeline, s * timeline.count, timeline, a, b);
    });
  }
  return busy;
}

/** Timeline cells: the largest part of the bin, a client's or idle's (ties: lower client, then clients over idle). */
function timelineRows(rows: number, timeline: Bins, held: Float32Array[], busy: Float32Array): string[] {
  const out: string[] = [];
  for (let s = 0; s < rows; s++) {
    let row = '';
    for (let b = 0; b < timeline.count; b++) {
      const cell = s * timeline.count + b;
      let best = -1;
      let bestNs = binLength(timeline, b) - busy[cell]!;
      for (let k = 0; k < held.length; k++) {
        const v = held[k]![cell]!;
        if (v > 0 && v >= bestNs && (best < 0 || v > held[best]![cell]!)) {
          best = k;
          bestNs = v;
        }
      }
      row += best < 0 ? TIMELINE_IDLE : TIMELINE_CODES[best];
    }
    out.push(row);
  }
  return out;
}

/** The series' bins over the window, and the timeline's over its sub-window. */
function binsOf(options: OccupancyOptions): { series: Bins; timeline: Bins } {
  const from = options.windowStartNs;
  const to = options.windowEndNs;
  const tlStart = Math.min(Math.max(options.timeline?.startNs ?? from, from), to);
  const tlEnd = Math.min(to, tlStart + (options.timeline?.lengthNs ?? DEFAULT_TIMELINE_NS));
  return {
    series: makeBins(from, to, options.seriesBins ?? DEFAULT_SERIES_BINS),
    timeline: makeBins(tlStart, tlEnd > tlStart ? tlEnd : to, options.timeline?.maxBins ?? DEFAULT_TIMELINE_BINS),
  };
}

/** Occupancy of the SMs by the clients over [windowStartNs, windowEndNs); undefined for an empty window. */
export function measureOccupancy(traces: readonly OccupancyTrace[], options: OccupancyOptions): Occupancy | undefined {
  const from = options.windowStartNs;
  const to = options.windowEndNs;
  const windowNs = to - from;
  if (!(windowNs > 0) || !(options.smCount > 0) || traces.length === 0) return undefined;
  if (traces.length > TIMELINE_CODES.length) throw new RangeError(`occupancy: at most ${TIMELINE_CODES.length} clients, got ${traces.length}`);

  // SM ids need not be below the SM count on every GPU: one row per id seen, shares still over smCount.
  let maxSm = options.smCount - 1;
  for (const t of traces) for (let i = 0; i < t.ctaSm.length; i++) if (t.ctaSm[i]! > maxSm) maxSm = t.ctaSm[i]!;
  const rows = maxSm + 1;
  const { series, timeline } = binsOf(options);

  const ordered = [...traces].sort((a, b) => a.client - b.client);
  const turnsOf = (client: number) => {
    const own = [...(options.slices ?? [])].filter((x) => x.client === client).sort((a, b) => a.startNs - b.startNs);
    return { start: Float64Array.from(own, (x) => x.startNs), end: Float64Array.from(own, (x) => x.endNs) };
  };
  const perClient = ordered.map((t) => clientSegments(t, rows, from, to, options.slices ? turnsOf(t.client) : undefined));
  const held = heldByClients(perClient, rows, series, timeline);
  const busyHeld = heldByAny(perClient, rows, series, timeline);

  const smTime = options.smCount * windowNs;
  const busy = busyHeld.total / smTime;
  const binShare = (v: number, b: number) => round4(v / (options.smCount * binLength(series, b)));
  return {
    windowStartNs: from,
    windowEndNs: to,
    smCount: options.smCount,
    clippedToSlices: options.slices !== undefined,
    clients: ordered.map((t) => t.client),
    share: held.map((h) => h.total.reduce((acc, v) => acc + v, 0) / smTime),
    busy,
    idle: Math.max(0, 1 - busy),
    perSm: held.map((h) => Array.from(h.total, (v) => round4(v / windowNs))),
    series: {
      binNs: series.binNs,
      tNs: Array.from({ length: series.count }, (_, b) => series.startNs + b * series.binNs),
      share: held.map((h) => Array.from(h.series, binShare)),
      idle: Array.from(busyHeld.series, (v, b) => round4(Math.max(0, 1 - v / (options.smCount * binLength(series, b))))),
    },
    timeline: {
      startNs: timeline.startNs,
      endNs: timeline.endNs,
      binNs: timeline.binNs,
      bins: timeline.count,
      rows: timelineRows(
        rows,
        timeline,
        held.map((h) => h.timeline),
        busyHeld.timeline,
      ),
    },
  };
}

/** Per-client SM share (for the client table) and the idle share (for the phase's aggregate). */
export function occupancySummaries(o: Occupancy): { clients: Map<number, Summary[]>; aggregate: Summary[] } {
  const clients = new Map<number, Summary[]>();
  o.clients.forEach((client, k) => {
    clients.set(client, [summary('smShare', 'SM share', 'fraction', o.share[k]!)]);
  });
  return { clients, aggregate: [summary('occupancy.idle', 'SMs idle (traced window)', 'fraction', o.idle)] };
}

/**
 * The clients took turns (time slicing) when the switch analysis found switches, its time slices last
 * long (median at least MIN_TURN_NS: under time slicing they are the GPU's time slice, about 2 ms on the
 * H200; clients running at once interleave their instants within microseconds) and almost none of its
 * runs was a lone instant inside another client's run (switches.ts overlapCount).
 */
const MIN_TURN_NS = 100e3;
const MAX_OVERLAP_FOR_TURNS = 0.05;

/** What occupancy needs of a switch analysis (switches.ts SwitchAnalysis). */
export interface PhaseWindow {
  windowStartNs: number;
  windowEndNs: number;
  count: number;
  overlapCount: number;
  slice?: { p50: number };
  /** The slices listed (the analysis lists at most its first MAX_LISTED; `count` + 1 exist). */
  slices: ReadonlyArray<{ client: number; startNs: number; endNs: number }>;
  /** The analysis's own verdict, where it gives one. */
  kind?: SwitchAnalysis['kind'];
}

/** Whether the switch analysis says the clients took turns on the GPU (its kind, else see MIN_TURN_NS). */
export function tookTurns(s: PhaseWindow): boolean {
  if (s.kind) return s.kind === 'timeslicing' && s.count > 0;
  return s.count > 0 && (s.slice?.p50 ?? 0) >= MIN_TURN_NS && s.overlapCount <= MAX_OVERLAP_FOR_TURNS * s.count;
}

export interface PhaseOccupancyOptions {
  timeline?: TimelineOptions;
  /**
   * Whether the clients took turns on the GPU (the sharing mode knows: time slicing does, MPS, streams
   * and green contexts run them at once). Left out: the switch analysis decides (tookTurns).
   */
  turns?: boolean;
}

/** What a phase attaches: the occupancy and its summaries; undefined for an empty window. */
export function phaseOccupancy(
  traces: readonly OccupancyTrace[],
  switches: PhaseWindow,
  smCount: number,
  options: PhaseOccupancyOptions = {},
): ({ occupancy: Occupancy } & ReturnType<typeof occupancySummaries>) | undefined {
  const measure: OccupancyOptions = { smCount, windowStartNs: switches.windowStartNs, windowEndNs: switches.windowEndNs };
  if (options.timeline) measure.timeline = options.timeline;
  if ((options.turns ?? tookTurns(switches)) && switches.slices.length > 0) {
    measure.slices = switches.slices;
    // A long run lists only its first slices: the turns, and so the occupancy, end with the last listed.
    if (switches.slices.length < switches.count + 1) measure.windowEndNs = Math.min(measure.windowEndNs, switches.slices.at(-1)!.endNs);
  }
  const occupancy = measureOccupancy(traces, measure);
  return occupancy ? { occupancy, ...occupancySummaries(occupancy) } : undefined;
}

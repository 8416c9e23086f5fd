// A run's headline figures as typed fields (what the verdict, the API's headline() and the reports print
// first): aggregate vs solo, the worst slowdown and p99 with their clients, fairness, the switching cost,
// and with repeated runs each figure's confidence interval. A figure the run has no evidence for is absent.
import type { Summary } from '../metrics/summary.js';
import type { RunResultJson } from './schema.js';

/** A confidence interval of a figure that is the median of repeated runs (--runs): Summary's `ci`. */
export type Interval = NonNullable<Summary['ci']>;

/** The figures of a Headline that can carry an interval. */
export type HeadlineFigure = 'aggregateVsSolo' | 'worstSlowdown' | 'fairness' | 'worstP99VsSolo' | 'switchesPerSecond' | 'switchingOverhead';

/** A run's headline figures; a field is absent where the run has no evidence for it (e.g. no switches under MPS). */
export interface Headline {
  /** Aggregate throughput of the shared phase over the solo baseline's. */
  aggregateVsSolo?: number;
  /** The largest client slowdown against its solo baseline. */
  worstSlowdown?: number;
  /** The client with that slowdown. */
  worstSlowdownClient?: number;
  /** Jain's index of the clients' throughputs (1: equal shares). */
  fairness?: number;
  /** The largest p99 latency of a client over its solo p99. */
  worstP99VsSolo?: number;
  /** The client with that p99. */
  worstP99Client?: number;
  /** Context switches per second and the fraction of the window lost in switch gaps (time slicing). */
  switchesPerSecond?: number;
  switchingOverhead?: number;
  /** The median switch gap (the time the GPU ran nobody's work at a switch). */
  switchGapP50?: number;
  /** With --runs N: the runs made; the figures above are then medians over them. */
  runs?: number;
  /** With repeated runs: the confidence interval of each figure that has one (src/metrics/interval.ts). */
  intervals?: Partial<Record<HeadlineFigure, Interval>>;
}

type Tagged = ReadonlyArray<Pick<Summary, 'tag' | 'value' | 'ci'>> | undefined;

function find(summaries: Tagged, tag: string): Pick<Summary, 'value' | 'ci'> | undefined {
  const s = summaries?.find((x) => x.tag === tag);
  return s && Number.isFinite(s.value) ? s : undefined;
}

function value(summaries: Tagged, tag: string): number | undefined {
  return find(summaries, tag)?.value;
}

/** The headline figures of a run result (as readResult() or run() returns it). */
export function headline(result: RunResultJson): Headline {
  const h: Headline = {};
  const intervals: Partial<Record<HeadlineFigure, Interval>> = {};
  const set = (key: HeadlineFigure, s: Pick<Summary, 'value' | 'ci'> | undefined) => {
    if (s === undefined) return;
    h[key] = s.value;
    if (s.ci) intervals[key] = s.ci;
  };
  set('aggregateVsSolo', find(result.comparison, 'aggregate.vsSolo'));
  set('worstSlowdown', find(result.comparison, 'slowdown.max'));
  set('fairness', find(result.comparison, 'fairness'));
  const clients = result.shared.clients;
  const worst = (tag: string) => {
    let at: { client: number; s: Pick<Summary, 'value' | 'ci'> } | undefined;
    for (const c of clients) {
      const s = find(c.summaries, tag);
      if (s && (at === undefined || s.value > at.s.value)) at = { client: c.client, s };
    }
    return at;
  };
  const p99 = worst('latency.p99.vsSolo');
  if (p99) {
    set('worstP99VsSolo', p99.s);
    h.worstP99Client = p99.client;
  }
  const slowest = worst('slowdown');
  if (slowest && h.worstSlowdown !== undefined) h.worstSlowdownClient = slowest.client;
  const sw = result.shared.switches;
  if (sw.count > 0) {
    // The summaries when present: with --runs they are the medians, with their intervals.
    set('switchesPerSecond', find(result.shared.aggregate, 'switch.perSecond') ?? { value: sw.perSecond });
    set('switchingOverhead', find(result.shared.aggregate, 'switch.overhead') ?? { value: sw.overheadFraction });
    const gap = value(result.shared.aggregate, 'switchGap.p50') ?? sw.gap?.p50;
    if (gap !== undefined) h.switchGapP50 = gap;
  }
  if (result.repeats) h.runs = result.repeats.runs;
  if (Object.keys(intervals).length > 0) h.intervals = intervals;
  return h;
}

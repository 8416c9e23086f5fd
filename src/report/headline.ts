// A run's headline figures as typed fields (no string tags): what the verdict of the report and of the
// terminal says first. Exported to Node users as headline() (src/api/results.ts).
import type { RunResultJson } from './schema.js';

/** A run's headline figures; a field is absent where the run has no evidence for it (e.g. no switches under MPS). */
export interface Headline {
  /** Aggregate throughput of the shared phase over the solo baseline's. */
  aggregateVsSolo?: number;
  /** The largest client slowdown against its solo baseline. */
  worstSlowdown?: number;
  /** Jain's index of the clients' throughputs (1: equal shares). */
  fairness?: number;
  /** The largest p99 latency of a client over its solo p99. */
  worstP99VsSolo?: number;
  /** Context switches per second and the fraction of the window lost in switch gaps (time slicing). With --runs
   * they are the recorded run's (the median run by the headline figure, src/metrics/repeats.ts), without an interval. */
  switchesPerSecond?: number;
  switchingOverhead?: number;
  /** With --runs N: the runs made; the four ratios above are then medians over them. */
  runs?: number;
  /** With --runs N: the ratios' confidence intervals (src/metrics/interval.ts). */
  intervals?: Partial<Record<'aggregateVsSolo' | 'worstSlowdown' | 'fairness' | 'worstP99VsSolo', { low: number; high: number; level: number }>>;
}

function value(summaries: ReadonlyArray<{ tag: string; value: number }> | undefined, tag: string): number | undefined {
  const v = summaries?.find((s) => s.tag === tag)?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The headline figures of a run result (as readResult() or run() returns it). */
export function headline(result: RunResultJson): Headline {
  const h: Headline = {};
  const set = (key: keyof Headline, v: number | undefined) => {
    if (v !== undefined) h[key] = v;
  };
  set('aggregateVsSolo', value(result.comparison, 'aggregate.vsSolo'));
  set('worstSlowdown', value(result.comparison, 'slowdown.max'));
  set('fairness', value(result.comparison, 'fairness'));
  const p99 = result.shared.clients.map((c) => value(c.summaries, 'latency.p99.vsSolo')).filter((v): v is number => v !== undefined);
  if (p99.length > 0) h.worstP99VsSolo = Math.max(...p99);
  const sw = result.shared.switches;
  if (sw.count > 0) {
    h.switchesPerSecond = sw.perSecond;
    h.switchingOverhead = sw.overheadFraction;
  }
  if (result.repeats) {
    h.runs = result.repeats.runs;
    const intervals: NonNullable<Headline['intervals']> = {};
    const ci = (list: typeof result.comparison | undefined, tag: string) => list?.find((s) => s.tag === tag)?.ci;
    const add = (key: keyof NonNullable<Headline['intervals']>, c: ReturnType<typeof ci>) => {
      if (c) intervals[key] = c;
    };
    add('aggregateVsSolo', ci(result.comparison, 'aggregate.vsSolo'));
    add('worstSlowdown', ci(result.comparison, 'slowdown.max'));
    add('fairness', ci(result.comparison, 'fairness'));
    // The worst p99 is one client's median: that client's interval.
    const worst = result.shared.clients.find((c) => h.worstP99VsSolo !== undefined && value(c.summaries, 'latency.p99.vsSolo') === h.worstP99VsSolo);
    add('worstP99VsSolo', ci(worst?.summaries, 'latency.p99.vsSolo'));
    if (Object.keys(intervals).length > 0) h.intervals = intervals;
  }
  return h;
}

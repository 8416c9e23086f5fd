// The sweep's summary: one line per point with the figures that answer "which way of sharing is
// best for this work", read off each point's run result. The file's shape and types are its zod
// schema's (src/report/sweep-schema.ts). A point measured several times (--runs) has each headline
// figure computed per run (from the result's repeats.perRun) and reported as the median over the runs
// with its confidence interval (src/metrics/interval.ts).
import { estimate } from '../metrics/interval.js';
import { maxOf, median } from '../metrics/stats.js';
import type { Summary } from '../metrics/summary.js';
import type { PointSummary } from '../report/sweep-schema.js';
import type { RunResult } from '../run.js';
import type { SweepPoint } from './plan.js';

function tagged(list: readonly Summary[], tag: string): number | undefined {
  return list.find((s) => s.tag === tag)?.value;
}

/** The figures that compare solo with shared, with an interval over repeated runs. */
export const INTERVAL_FIGURES = ['aggregateVsSolo', 'slowdownMedian', 'slowdownMax', 'p99VsSolo', 'fairness'] as const;
type IntervalFigure = (typeof INTERVAL_FIGURES)[number];

/** The headline ratios of one run: from its comparison and its clients' ratios to solo. */
function ratioFigures(comparison: readonly Summary[], clients: ReadonlyArray<readonly Summary[]>): Partial<Record<IntervalFigure, number>> {
  const out: Partial<Record<IntervalFigure, number>> = {};
  const perClient = (tag: string) => clients.map((c) => tagged(c, tag)).filter((v): v is number => v !== undefined);
  out.aggregateVsSolo = tagged(comparison, 'aggregate.vsSolo');
  const slowdowns = perClient('slowdown');
  if (slowdowns.length) {
    out.slowdownMedian = median(slowdowns);
    out.slowdownMax = maxOf(slowdowns);
  }
  const p99 = perClient('latency.p99.vsSolo');
  if (p99.length) out.p99VsSolo = maxOf(p99);
  // Fairness compares clients: with one there is nothing to compare.
  out.fairness = tagged(comparison, 'fairness');
  return out;
}

/** The headline ratios of the point: one run's, or over repeated runs the medians and their intervals. */
function pointRatios(result: RunResult): Pick<PointSummary, IntervalFigure | 'runs' | 'ci'> {
  const repeats = result.repeats;
  if (!repeats)
    return ratioFigures(
      result.comparison,
      result.shared.clients.map((c) => c.summaries),
    );
  const perRun = repeats.perRun.map((run) =>
    ratioFigures(
      run.comparison,
      run.clients.map((c) => c.summaries),
    ),
  );
  const out: Pick<PointSummary, IntervalFigure | 'runs' | 'ci'> = { runs: repeats.runs };
  const ci: NonNullable<PointSummary['ci']> = {};
  for (const figure of INTERVAL_FIGURES) {
    const e = estimate(perRun.map((r) => r[figure]).filter((v): v is number => v !== undefined && Number.isFinite(v)));
    if (!e) continue;
    out[figure] = e.value;
    if (e.ci) ci[figure] = e.ci;
  }
  if (Object.keys(ci).length > 0) out.ci = ci;
  return out;
}

export function pendingPoint(p: SweepPoint): PointSummary {
  return { id: p.id, kernel: p.kernel, size: p.size, procs: p.procs, mode: p.mode, loop: p.loop, options: p.options, status: 'pending' };
}

/** The summary line of a measured point. */
export function summarisePoint(p: SweepPoint, result: RunResult, file: string): PointSummary {
  const out: PointSummary = { ...pendingPoint(p), status: result.complete ? 'done' : 'failed', file };
  if (!result.complete) out.reason = result.reason ?? 'incomplete';
  // Which GPU ran it: with --devices, points of one sweep run on several.
  out.device = p.config.device;
  out.gpuName = result.environment.gpu.name;
  out.gpuUuid = result.environment.gpu.uuid;
  const set = <K extends keyof PointSummary>(key: K, value: PointSummary[K] | undefined) => {
    if (value !== undefined && (typeof value !== 'number' || Number.isFinite(value))) out[key] = value;
  };
  set('aggregateThroughput', tagged(result.shared.aggregate, 'aggregate.throughput'));
  const ratios = pointRatios(result);
  for (const figure of INTERVAL_FIGURES) set(figure, ratios[figure]);
  if (ratios.runs !== undefined) out.runs = ratios.runs;
  if (ratios.ci) out.ci = ratios.ci;
  const sw = result.shared.switches;
  // Switches exist where clients took turns and every one was traced ('single': one client, or a client without a trace).
  if (sw.kind === 'timeslicing') {
    set('switches', sw.count);
    set('switchesPerSecond', sw.perSecond);
    set('overheadPct', sw.overheadFraction * 100);
  }
  if (sw.kind !== 'single' && sw.coRunningFraction !== undefined) set('coRunningPct', sw.coRunningFraction * 100);
  if (result.warnings && result.warnings.length > 0) out.warnings = result.warnings;
  return out;
}

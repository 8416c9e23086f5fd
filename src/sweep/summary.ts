// The sweep's summary: one line per point with the figures that answer "which way of sharing is
// best for this work", read off each point's run result. The file's shape and types are its zod
// schema's (src/report/sweep-schema.ts).
import { maxOf, median } from '../metrics/stats.js';
import type { PointSummary } from '../report/sweep-schema.js';
import type { RunResult } from '../run.js';
import type { SweepPoint } from './plan.js';

function tagged(list: RunResult['comparison'], tag: string): number | undefined {
  return list.find((s) => s.tag === tag)?.value;
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
  const perClient = (tag: string) =>
    result.shared.clients.map((c) => c.summaries.find((s) => s.tag === tag)?.value).filter((v): v is number => v !== undefined);
  const set = <K extends keyof PointSummary>(key: K, value: PointSummary[K] | undefined) => {
    if (value !== undefined && (typeof value !== 'number' || Number.isFinite(value))) out[key] = value;
  };
  set('aggregateThroughput', tagged(result.shared.aggregate, 'aggregate.throughput'));
  set('aggregateVsSolo', tagged(result.comparison, 'aggregate.vsSolo'));
  const slowdowns = perClient('slowdown');
  if (slowdowns.length) {
    set('slowdownMedian', median(slowdowns));
    set('slowdownMax', maxOf(slowdowns));
  }
  const p99 = perClient('latency.p99.vsSolo');
  if (p99.length) set('p99VsSolo', maxOf(p99));
  // Fairness compares clients: with one there is nothing to compare.
  set('fairness', tagged(result.comparison, 'fairness'));
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

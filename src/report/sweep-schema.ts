// The sweep summary's schema (schema "gpushare-micro/sweep", version 1), written with zod: the file
// `summary.json` in a sweep's results directory, as src/sweep/runner.ts writes it. It lists every
// point of the sweep (pending while the sweep has not reached it, done, skipped with its reason, or
// failed) with its headline figures; a measured point's whole run result (schema "gpushare-micro/run")
// is the file named by `file`, relative to the directory. It is the file's one definition: the types
// the sweep writes and the report reads (SweepSummary, PointSummary) are inferred from it.
import { z } from 'zod';
import { summarySchema } from '../metrics/summary.js';
import { LOOPS } from '../options.js';
import { runResultSchema } from './schema.js';

export const SWEEP_SCHEMA = 'gpushare-micro/sweep';
export const SWEEP_SCHEMA_VERSION = 1;
export const SWEEP_SUMMARY_FILE = 'summary.json';

const ci = summarySchema.shape.ci.unwrap();

export const sweepPointSchema = z
  .object({
    /** Stable name of the point, unique in the sweep (e.g. "gemm-2048-p4-mps-saturate"). */
    id: z.string().min(1),
    kernel: z.string().min(1),
    size: z.number().int().positive(),
    procs: z.number().int().min(1),
    mode: z.string().min(1),
    loop: z.enum(LOOPS),
    /** The point's other options (per-mode settings such as MPS thread percentages). */
    options: z.record(z.string(), z.unknown()),
    status: z.enum(['pending', 'done', 'skipped', 'failed']),
    /** Why the point was skipped or failed, in one line. */
    reason: z.string().optional(),
    /** The CUDA device that ran the point, and its GPU (name, UUID); absent in sweeps made before --devices. */
    device: z.number().int().nonnegative().optional(),
    gpuName: z.string().optional(),
    gpuUuid: z.string().optional(),
    /** The point's run result, relative to the sweep directory. */
    file: z.string().optional(),
    /** Sum of the clients' throughputs (launch/s). */
    aggregateThroughput: z.number().optional(),
    /** Aggregate throughput of the clients over the solo throughput. */
    aggregateVsSolo: z.number().optional(),
    /** Median and worst over the clients of solo throughput / client throughput. */
    slowdownMedian: z.number().optional(),
    slowdownMax: z.number().optional(),
    /** Worst client's p99 latency over the solo p99 latency. */
    p99VsSolo: z.number().optional(),
    /** Jain's fairness index over the clients' throughputs (1/procs..1); absent with one client. */
    fairness: z.number().optional(),
    /** Context switches counted in the traced window, and per second; absent where the clients did not take turns or one was not traced. */
    switches: z.number().optional(),
    switchesPerSecond: z.number().optional(),
    /** Switching overhead in percent of the traced window. */
    overheadPct: z.number().optional(),
    /** Share of 10 µs bins with CTA starts/ends of two or more clients (concurrent modes score high). */
    coRunningPct: z.number().optional(),
    /** The point's run result's warnings: what a reader must know before trusting its figures. */
    warnings: z.array(z.object({ tag: z.string(), message: z.string() })).optional(),
    /** With --runs N: the runs made. The ratios above (aggregateVsSolo to fairness) are then medians over the
     * runs, each run's computed from that run alone, and `ci` holds their confidence intervals. */
    runs: z.number().int().min(1).optional(),
    ci: z
      .object({
        aggregateVsSolo: ci.optional(),
        slowdownMedian: ci.optional(),
        slowdownMax: ci.optional(),
        p99VsSolo: ci.optional(),
        fairness: ci.optional(),
      })
      .optional(),
    /** With --runs N: the other points of the same work (kernel, size, loop, procs) whose aggregate vs solo is
     * within the noise of this one's (their intervals overlap, or their medians are within 1%): their ids. */
    withinNoise: z.array(z.string()).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.status === 'skipped' || p.status === 'failed') && !p.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `a ${p.status} point needs a reason` });
    if (p.status === 'done' && !p.file) ctx.addIssue({ code: 'custom', path: ['file'], message: 'a done point needs its result file' });
  });

export const sweepSummarySchema = z
  .object({
    schema: z.literal(SWEEP_SCHEMA),
    version: z.literal(SWEEP_SCHEMA_VERSION),
    createdAt: z.string(),
    /** Rewritten after every point, so an interrupted sweep's summary says how far it got. */
    updatedAt: z.string().optional(),
    command: z.array(z.string()).optional(),
    /** The sweep's axes as given (kernels, sizes, procs, modes, loops, ...). */
    axes: z.record(z.string(), z.unknown()).optional(),
    environment: runResultSchema.shape.environment.optional(),
    points: z.array(sweepPointSchema),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.points.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['points', i, 'id'], message: `duplicate point id "${p.id}"` });
      seen.add(p.id);
    });
  });

export type SweepSummary = z.infer<typeof sweepSummarySchema>;
/** One point's line in the summary. */
export type PointSummary = z.infer<typeof sweepPointSchema>;
export type PointStatus = PointSummary['status'];

/** The sweep summary as JSON Schema. */
export function sweepSummaryJsonSchema(): unknown {
  return z.toJSONSchema(sweepSummarySchema);
}

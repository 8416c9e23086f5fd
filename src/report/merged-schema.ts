// The merged comparison's schema (schema "gpushare-micro/merged", version 1): the file `merged.json`
// that `gpushare-micro merge DIR… -o OUT` writes (src/fleet/merge.ts). It puts sweeps made on several
// nodes (or GPUs) side by side: every node (a host and one of its GPUs), every point with each node's
// headline figures, and per point the node-to-node spread of each figure (min, median, max, max/min),
// over all nodes and per GPU model. The types the merge writes and the report reads are inferred here.
import { z } from 'zod';
import { summarySchema } from '../metrics/summary.js';
import { LOOPS } from '../options.js';

export const MERGED_SCHEMA = 'gpushare-micro/merged';
export const MERGED_SCHEMA_VERSION = 1;
export const MERGED_FILE = 'merged.json';

/** The headline figures compared across nodes (names as in a sweep summary's points). */
export const MERGED_FIGURES = ['aggregateVsSolo', 'slowdownMedian', 'p99VsSolo', 'switchesPerSecond', 'overheadPct'] as const;
export type MergedFigure = (typeof MERGED_FIGURES)[number];

/** Each figure's value, where the point has it. */
export const figuresSchema = z.object({
  aggregateVsSolo: z.number().optional(),
  slowdownMedian: z.number().optional(),
  p99VsSolo: z.number().optional(),
  switchesPerSecond: z.number().optional(),
  overheadPct: z.number().optional(),
});

const interval = summarySchema.shape.ci.unwrap();

/** With --runs: each figure's confidence interval on the node that measured it (the figure is then the median over the runs). */
export const intervalsSchema = z.object({
  aggregateVsSolo: interval.optional(),
  slowdownMedian: interval.optional(),
  p99VsSolo: interval.optional(),
});

/** One figure over the nodes that measured it: how many, min, median, max, and max/min (absent when min is not above 0). */
export const spreadSchema = z.object({
  n: z.number().int().positive(),
  min: z.number(),
  median: z.number(),
  max: z.number(),
  ratio: z.number().optional(),
});

export const spreadsSchema = z.object({
  aggregateVsSolo: spreadSchema.optional(),
  slowdownMedian: spreadSchema.optional(),
  p99VsSolo: spreadSchema.optional(),
  switchesPerSecond: spreadSchema.optional(),
  overheadPct: spreadSchema.optional(),
});

export const mergedNodeSchema = z.object({
  /** Unique in the file: host/gpuINDEX, with the source directory's name added when two sources have the same. */
  id: z.string().min(1),
  hostname: z.string(),
  gpuName: z.string(),
  gpuUuid: z.string().optional(),
  /** The CUDA device index on its host. */
  device: z.number().int().nonnegative().optional(),
  /** The results directory it came from, as given to merge. */
  source: z.string(),
});

export const mergedPointSchema = z.object({
  /** The sweep point's id (kernel-size-loop-mode-…-pN): the same id on two nodes is the same point. */
  id: z.string().min(1),
  kernel: z.string(),
  size: z.number().int().positive(),
  procs: z.number().int().min(1),
  mode: z.string(),
  loop: z.enum(LOOPS),
  options: z.record(z.string(), z.unknown()),
  /** Each node that has the point: its status (and reason) and figures. */
  nodes: z.array(
    z.object({
      node: z.string(),
      status: z.enum(['pending', 'done', 'skipped', 'failed']),
      reason: z.string().optional(),
      figures: figuresSchema,
      /** Where the node's sweep ran each point several times (--runs): the runs, and the figures' intervals. */
      runs: z.number().int().min(1).optional(),
      ci: intervalsSchema.optional(),
    }),
  ),
  /** Over every node whose point is done. */
  spread: spreadsSchema,
  /** The same, per GPU model. */
  byModel: z.array(z.object({ gpuName: z.string(), spread: spreadsSchema })),
});

export const mergedSchema = z.object({
  schema: z.literal(MERGED_SCHEMA),
  version: z.literal(MERGED_SCHEMA_VERSION),
  createdAt: z.string(),
  command: z.array(z.string()).optional(),
  /** The results directories merged: each a sweep directory (summary.json). */
  sources: z.array(z.object({ dir: z.string(), kind: z.literal('sweep'), createdAt: z.string(), points: z.number().int().nonnegative() })),
  nodes: z.array(mergedNodeSchema),
  /** GPU models and their nodes' ids. */
  models: z.array(z.object({ gpuName: z.string(), nodes: z.array(z.string()) })),
  points: z.array(mergedPointSchema),
});

export type MergedComparison = z.infer<typeof mergedSchema>;
export type MergedPoint = z.infer<typeof mergedPointSchema>;
export type MergedNode = z.infer<typeof mergedNodeSchema>;
export type Spread = z.infer<typeof spreadSchema>;
export type Spreads = z.infer<typeof spreadsSchema>;
export type Figures = z.infer<typeof figuresSchema>;
export type Intervals = z.infer<typeof intervalsSchema>;

/** The merged comparison as JSON Schema. */
export function mergedJsonSchema(): unknown {
  return z.toJSONSchema(mergedSchema);
}

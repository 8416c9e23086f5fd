// Measurements as tagged summaries: every figure the tool reports is one of these, and the printers
// (table, JSON, Markdown) are generic over them, so a new metric needs no printer change. The zod
// schema below is the one definition of a summary's shape: the result files' schemas
// (src/report/schema.ts, src/observe/schema.ts) use it, and the type is inferred from it.
import { z } from 'zod';

/**
 * How a value is to be read and printed:
 * duration: nanoseconds; rate: per second (`unit` says of what, e.g. "launch/s", "TFLOP/s");
 * ratio: a multiple, printed as "1.95x"; fraction: 0..1, printed as a percentage; count: an integer count.
 */
export const HINTS = ['duration', 'rate', 'ratio', 'fraction', 'count'] as const;

export const summarySchema = z.object({
  /** Stable machine name, e.g. "latency.p99". */
  tag: z.string(),
  /** Short human name, e.g. "p99 latency". */
  name: z.string(),
  hint: z.enum(HINTS),
  value: z.number(),
  /** For hint "rate": what is counted per second. */
  unit: z.string().optional(),
  /** With repeated runs (--runs N): the value is their median and this its confidence interval. */
  ci: z.object({ low: z.number(), high: z.number(), level: z.number().gt(0).lt(1) }).optional(),
});

export type Summary = z.infer<typeof summarySchema>;
export type Hint = Summary['hint'];

export function summary(tag: string, name: string, hint: Hint, value: number, unit?: string): Summary {
  return unit === undefined ? { tag, name, hint, value } : { tag, name, hint, value, unit };
}

/** Finds a summary by tag in a list; undefined when absent. */
export function pick(list: readonly Summary[], tag: string): Summary | undefined {
  return list.find((s) => s.tag === tag);
}

// Measurements as tagged summaries: every figure the tool reports is one of these, and the printers
// (table, JSON, Markdown) are generic over them, so a new metric needs no printer change.

/** How a value is to be read and printed. */
export type Hint =
  | 'duration' // nanoseconds
  | 'rate' // per second (`unit` says of what, e.g. "launch/s", "TFLOP/s")
  | 'ratio' // a multiple, printed as "1.95x"
  | 'fraction' // 0..1, printed as a percentage
  | 'count'; // an integer count

export interface Summary {
  /** Stable machine name, e.g. "latency.p99". */
  tag: string;
  /** Short human name, e.g. "p99 latency". */
  name: string;
  hint: Hint;
  value: number;
  /** For hint "rate": what is counted per second. */
  unit?: string;
}

export function summary(tag: string, name: string, hint: Hint, value: number, unit?: string): Summary {
  return unit === undefined ? { tag, name, hint, value } : { tag, name, hint, value, unit };
}

/** Finds a summary by tag in a list; undefined when absent. */
export function pick(list: readonly Summary[], tag: string): Summary | undefined {
  return list.find((s) => s.tag === tag);
}

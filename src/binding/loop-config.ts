// A timed loop's configuration (LoopConfig, src/binding/contract.ts) written out in one place: the
// defaults every caller shares, so that a caller names only what it decides and a new field gets its
// default here.
import type { LoopConfig, WorkloadSpec } from './contract.js';

/** Device 0's primary context at the default stream priority, one launch in flight, no trace, no warm-up; back to
 * back (no arrivalsNs, no bursts: a caller asks for an open or bursty loop by naming one). */
export const LOOP_DEFAULTS = { device: 0, streamPriority: 0, greenContext: -1, depth: 1, traceCapacity: 0, warmupNs: 0 } as const;

/** How long the loop runs: for durationNs, or for a number of launches (the other one 0 or left out). */
type LoopLength = { durationNs: number; launches?: number } | { durationNs?: number; launches: number };

export type LoopFields = LoopLength & Partial<Omit<LoopConfig, 'workload' | 'durationNs' | 'launches'>>;

export function timedLoopConfig(workload: WorkloadSpec, fields: LoopFields): LoopConfig {
  return { workload, ...LOOP_DEFAULTS, durationNs: 0, launches: 0, ...fields };
}

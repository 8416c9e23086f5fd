// The device memory one client of a run allocates, from its spec and the run's settings: the run's
// memory check, MPS's pinned-memory check and the probe's gap buffer read it.
import type { ClientSpec } from '../clients/spec.js';
import type { RunConfig } from '../options.js';
import { gemmBytes, isKernelFamily, workloadBytes } from './kernels.js';
import { isWorkload, workloadImpl, workloadMemory } from './workloads.js';

/** What of the run's configuration a client's memory depends on besides its spec. */
export type RunMemorySettings = Pick<RunConfig, 'traceRecords' | 'durationNs' | 'launches'>;

/** Device memory one client of `spec` allocates, in bytes: its buffers (a model workload's weights,
 * activations, gradients and optimizer state: workloads.ts) and its trace. */
export function clientMemoryBytes(spec: ClientSpec, run: RunMemorySettings, smCount = 132): number {
  const trace = run.traceRecords * 16;
  if (spec.kernel === 'gemm') return gemmBytes(spec.shape, spec.dtype) + trace;
  if (isKernelFamily(spec.kernel)) return workloadBytes(spec.kernel, spec.shape) + trace;
  if (isWorkload(spec.kernel)) return workloadMemory(spec.kernel, spec.shape, workloadImpl(spec.impl)).total + trace;
  return trace + probeGapCapacity(spec, run, smCount) * 16;
}

/** Probe gap records kept per client: room for a gap every 100 us on every SM, at least 1M. */
export function probeGapCapacity(spec: Pick<ClientSpec, 'spinNs'>, run: Pick<RunConfig, 'durationNs' | 'launches'>, smCount: number): number {
  const seconds = run.durationNs > 0 ? run.durationNs / 1e9 : (run.launches * spec.spinNs) / 1e9;
  return Math.min(Math.max(1_000_000, Math.ceil(seconds * 10_000 * smCount)), 64_000_000);
}

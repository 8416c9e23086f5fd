// The device memory one client of a run allocates, from its configuration: the run's memory check,
// MPS's pinned-memory check and the probe's gap buffer read it.
import type { RunConfig } from '../options.js';
import { isKernelFamily, workloadBytes } from './shapes.js';

/** Device memory one client allocates for its buffers, in bytes (library workspaces not counted). */
export function clientMemoryBytes(config: RunConfig, smCount = 132): number {
  const trace = config.traceRecords * 16;
  if (config.kernel === 'gemm') {
    const [m, n, k] = config.shape as [number, number, number];
    const element = config.dtype === 'bf16' || config.dtype === 'fp16' ? 2 : 4;
    return (m * k + k * n) * element + m * n * 4 + trace;
  }
  if (isKernelFamily(config.kernel)) return workloadBytes(config.kernel, config.shape) + trace;
  return trace + probeGapCapacity(config, smCount) * 16;
}

/** Probe gap records kept per client: room for a gap every 100 us on every SM, at least 1M. */
export function probeGapCapacity(config: RunConfig, smCount: number): number {
  const seconds = config.durationNs > 0 ? config.durationNs / 1e9 : (config.launches * config.spinNs) / 1e9;
  return Math.min(Math.max(1_000_000, Math.ceil(seconds * 10_000 * smCount)), 64_000_000);
}

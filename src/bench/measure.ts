// Measures one workload in this process with the native timed loop: prepare (fresh random inputs,
// warm-up), a fixed number of launches kept three deep in flight, the GPU time of each launch from
// CUDA events around it. Plain data out; an expected failure (library missing, device unsupported)
// is a result, not an exception.
import type { NativeBinding, WorkloadSpec } from '../binding/contract.js';
import { distribution, type Distribution } from '../metrics/stats.js';

export interface Measurement {
  status: 'ok' | 'unavailable' | 'failed';
  /** Why not ok: "not in this build", or the native error's message. */
  reason?: string;
  /** The native error's code (ERR_LIBRARY, ERR_UNSUPPORTED, ERR_CUDA, ...). */
  code?: string;
  /** What ran (the kernel path, or the library). */
  detail?: string;
  flopsPerLaunch?: number;
  bytesPerLaunch?: number;
  /** GPU time of every timed launch, ns. */
  gpuNs?: number[];
  time?: Distribution;
}

export interface MeasureOptions {
  device: number;
  launches: number;
  warmupNs: number;
}

/** Native errors that mean "this implementation cannot run here", not "something broke". */
const UNAVAILABLE = new Set(['ERR_LIBRARY', 'ERR_UNSUPPORTED']);

export async function measureWorkload(binding: NativeBinding, spec: WorkloadSpec, options: MeasureOptions): Promise<Measurement> {
  let available: { available: boolean; reason?: string };
  try {
    available = binding.workloadAvailable(spec);
  } catch {
    available = { available: false }; // a spec this build cannot even read: its kernel is not here
  }
  if (!available.available) return { status: 'unavailable', reason: 'not in this build' };
  const loop = new binding.TimedLoop({
    workload: spec,
    device: options.device,
    streamPriority: 0,
    greenContext: -1,
    durationNs: 0,
    launches: options.launches,
    depth: 3,
    traceCapacity: 0,
    warmupNs: options.warmupNs,
  });
  try {
    const prepared = await loop.prepare();
    const result = await loop.run(process.hrtime.bigint());
    const gpuNs = Array.from(result.gpuNs);
    const out: Measurement = {
      status: 'ok',
      detail: prepared.detail,
      flopsPerLaunch: prepared.flopsPerLaunch,
      bytesPerLaunch: prepared.bytesPerLaunch,
      gpuNs,
    };
    const time = distribution(gpuNs);
    if (time) out.time = time;
    return out;
  } catch (error) {
    const e = error as Error & { code?: string };
    const out: Measurement = { status: e.code && UNAVAILABLE.has(e.code) ? 'unavailable' : 'failed', reason: e.message };
    if (e.code) out.code = e.code;
    return out;
  } finally {
    loop.release();
  }
}

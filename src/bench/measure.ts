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
  /** Trace records per launch (CTAs, or tiles of a persistent kernel). */
  ctasPerLaunch?: number;
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

export interface TraceCost {
  /** Traced and plain launches measured (each). */
  pairs: number;
  tracedNs: number;
  plainNs: number;
  /** tracedNs / plainNs - 1. */
  cost: number;
}

/**
 * What the per-CTA trace costs a kernel: one workload instance, 2 x pairs launches, every other one
 * traced (traceEvery 2), so that traced and plain launches share buffers, clocks and temperature;
 * median traced time over median plain time, minus 1. Undefined where the loop fails.
 */
export async function measureTraceCost(binding: NativeBinding, spec: WorkloadSpec, ctasPerLaunch: number, pairs: number, options: MeasureOptions): Promise<TraceCost | undefined> {
  const loop = new binding.TimedLoop({
    workload: spec,
    device: options.device,
    streamPriority: 0,
    greenContext: -1,
    durationNs: 0,
    launches: 2 * pairs,
    depth: 3,
    traceCapacity: pairs * ctasPerLaunch,
    traceEvery: 2,
    warmupNs: options.warmupNs,
  });
  try {
    await loop.prepare();
    const result = await loop.run(process.hrtime.bigint());
    const traced = Array.from(result.gpuNs).filter((_, i) => i % 2 === 0);
    const plain = Array.from(result.gpuNs).filter((_, i) => i % 2 === 1);
    const tracedNs = distribution(traced)?.p50;
    const plainNs = distribution(plain)?.p50;
    if (result.tracedLaunches !== traced.length || !tracedNs || !plainNs) return undefined;
    return { pairs: plain.length, tracedNs, plainNs, cost: tracedNs / plainNs - 1 };
  } catch {
    return undefined;
  } finally {
    loop.release();
  }
}

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
      ctasPerLaunch: prepared.ctasPerLaunch,
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

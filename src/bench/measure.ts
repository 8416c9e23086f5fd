// Measures one workload in this process with the native timed loop: prepare (fresh random inputs,
// warm-up), a fixed number of launches kept three deep in flight, the GPU time of each launch from
// CUDA events around it. Plain data out; an expected failure (library missing, device unsupported)
// is a result, not an exception.
import type { NativeBinding, WorkloadSpec } from '../binding/contract.js';
import { timedLoopConfig } from '../binding/loop-config.js';
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

/** Launches in flight: enough to keep the GPU busy between them. */
const DEPTH = 3;

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

/** A native error in one line: "[code] message". */
function nativeProblem(error: unknown): string {
  const e = error as Error & { code?: string };
  const message = String(e?.message ?? error).split('\n')[0]!;
  return e?.code ? `[${e.code}] ${message}` : message;
}

/**
 * What the per-CTA trace costs a kernel: one workload instance, 2 x pairs launches, every other one
 * traced (traceEvery 2), so that traced and plain launches share buffers, clocks and temperature;
 * median traced time over median plain time, minus 1. Where it cannot be measured: why, in one line.
 */
export async function measureTraceCost(
  binding: NativeBinding,
  spec: WorkloadSpec,
  ctasPerLaunch: number,
  pairs: number,
  options: MeasureOptions,
): Promise<TraceCost | { problem: string }> {
  const loop = new binding.TimedLoop(
    timedLoopConfig(spec, {
      device: options.device,
      launches: 2 * pairs,
      depth: DEPTH,
      traceCapacity: pairs * ctasPerLaunch,
      traceEvery: 2,
      warmupNs: options.warmupNs,
    }),
  );
  try {
    await loop.prepare();
    const result = await loop.run(process.hrtime.bigint());
    const traced = Array.from(result.gpuNs).filter((_, i) => i % 2 === 0);
    const plain = Array.from(result.gpuNs).filter((_, i) => i % 2 === 1);
    const tracedNs = distribution(traced)?.p50;
    const plainNs = distribution(plain)?.p50;
    if (result.tracedLaunches !== traced.length) return { problem: `the trace held ${result.tracedLaunches} of ${traced.length} traced launches` };
    if (!tracedNs || !plainNs) return { problem: 'no GPU time was measured' };
    return { pairs: plain.length, tracedNs, plainNs, cost: tracedNs / plainNs - 1 };
  } catch (error) {
    return { problem: nativeProblem(error) };
  } finally {
    loop.release();
  }
}

export async function measureWorkload(binding: NativeBinding, spec: WorkloadSpec, options: MeasureOptions): Promise<Measurement> {
  let available: { available: boolean; reason?: string };
  try {
    available = binding.workloadAvailable(spec);
  } catch (error) {
    // A spec this build cannot even read (an addon older than this TypeScript): said as such.
    const out: Measurement = { status: 'unavailable', reason: `not in this build: ${nativeProblem(error)}` };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  if (!available.available) return { status: 'unavailable', reason: 'not in this build' };
  const loop = new binding.TimedLoop(timedLoopConfig(spec, { device: options.device, launches: options.launches, depth: DEPTH, warmupNs: options.warmupNs }));
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

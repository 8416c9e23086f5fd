// CUPTI kernel activity in a client process: start it before the measured loop, stop it after, and
// get every kernel that ran (library kernels too) on the host's CLOCK_MONOTONIC, with the pairing
// to %globaltimer, so the orchestrator can merge clients onto one timeline. Where CUPTI cannot be
// used, the result says so (available: false, the CUPTI error name and a plain reason).
import type { CuptiActivityRaw, CuptiActivityStarted, NativeBinding } from '../binding/contract.js';
import { distribution, durationSummaries } from '../metrics/stats.js';
import { summary } from '../metrics/summary.js';
import { clockJson, slope } from './clocks.js';
import type { KernelActivity } from './schema.js';

export const DEFAULT_MAX_KERNEL_RECORDS = 2_000_000;

export interface KernelActivityOptions {
  device?: number;
  maxRecords?: number;
}

export interface RunningKernelActivity {
  started: CuptiActivityStarted;
  stop(): Promise<KernelActivity>;
}

function unavailable(status: CuptiActivityStarted, pid = process.pid): KernelActivity {
  const out: KernelActivity = { available: false, pid, summaries: [] };
  if (status.reason) out.reason = status.reason;
  if (status.cuptiError) out.cuptiError = status.cuptiError;
  if (status.library) out.library = status.library;
  return out;
}

/** Turns the native records into a KernelActivity on the host clock. */
export function kernelActivity(raw: CuptiActivityRaw, pid = process.pid): KernelActivity {
  if (!raw.available || !raw.kernels || !raw.clockStart) return unavailable(raw, pid);
  const start = raw.clockStart;
  const end = raw.clockEnd;
  const hostPerCupti = 1 / slope(start.hostNs, end?.hostNs, start.cuptiNs, end?.cuptiNs);
  // Record times are relative to baseNs; the start reading's CUPTI time may differ from it.
  const shift = raw.baseNs !== undefined && start.cuptiNs !== undefined ? Number(raw.baseNs - start.cuptiNs) : 0;
  const k = raw.kernels;
  const toHost = (t: number) => (t + shift) * hostPerCupti;
  const startNs = Array.from(k.startNs, toHost);
  const endNs = Array.from(k.endNs, toHost);
  const out: KernelActivity = {
    available: true,
    pid,
    hostEpochNs: start.hostNs.toString(),
    cuptiPerHostNs: 1 / hostPerCupti,
    clockStart: clockJson(start),
    names: raw.names ?? [],
    kernels: {
      startNs,
      endNs,
      nameIndex: Array.from(k.nameIndex),
      streamId: Array.from(k.streamId),
      correlationId: Array.from(k.correlationId),
      deviceId: Array.from(k.deviceId),
      contextId: Array.from(k.contextId),
      grid: Array.from(k.grid),
      block: Array.from(k.block),
    },
    dropped: { byCupti: raw.droppedByCupti ?? 0, overLimit: raw.droppedOverLimit ?? 0 },
    summaries: [],
  };
  if (raw.library) out.library = raw.library;
  if (end) out.clockEnd = clockJson(end);
  if (raw.clockReason) out.clockReason = raw.clockReason;
  if (start.gpuNs !== undefined) {
    out.gpuEpochNs = start.gpuNs.toString();
    out.gpuPerHostNs = slope(start.hostNs, end?.hostNs, start.gpuNs, end?.gpuNs);
  }
  const durations = new Float64Array(startNs.length);
  for (let i = 0; i < startNs.length; i++) durations[i] = endNs[i]! - startNs[i]!;
  let busy = 0;
  for (const d of durations) busy += d;
  out.summaries.push(summary('cupti.kernels', 'kernels recorded (CUPTI)', 'count', startNs.length));
  if (durations.length > 0) {
    out.summaries.push(...durationSummaries('cupti.kernel_time', 'kernel time (CUPTI)', distribution(durations)!, ['p50', 'p99', 'max']));
    out.summaries.push(summary('cupti.kernel_time.sum', 'kernel time (CUPTI), total', 'duration', busy));
  }
  out.summaries.push(summary('cupti.dropped', 'kernel records dropped', 'count', out.dropped!.byCupti + out.dropped!.overLimit));
  return out;
}

/** Starts collecting this process's kernel activity. Never rejects for "not permitted": see started. */
export async function startKernelActivity(binding: NativeBinding, options: KernelActivityOptions = {}): Promise<RunningKernelActivity> {
  const started = await binding.cuptiActivityStart({ device: options.device ?? 0, maxRecords: options.maxRecords ?? DEFAULT_MAX_KERNEL_RECORDS });
  if (!started.available) return { started, stop: async () => unavailable(started) };
  return { started, stop: async () => kernelActivity(await binding.cuptiActivityStop()) };
}

// The small API the run calls around a measured phase: start every device-side observer (the NVML
// sampler with GPM, and optionally CUPTI PM sampling), stop them after the phase, and get one plain
// DeviceObservation: summaries over the phase's window, flags, and the time series for the report.
// Each source that cannot run says why; none of them makes the measurement fail.
import type { NativeBinding } from '../binding/contract.js';
import { DEFAULT_PERIOD_MS, hostWindow, observeNvml } from './nvml-sampler.js';
import { DEFAULT_PM_INTERVAL_NS, startPmSampling, type RunningPmSampling } from './pm-sampling.js';
import type { DeviceObservation } from './schema.js';

export interface DeviceObserversOptions {
  device: number;
  /** NVML sampling period (default 50 ms). */
  periodMs?: number;
  /** GPM metrics too, where the GPU supports them (default true). */
  gpm?: boolean;
  /** GPM sampling period (default and minimum 200 ms). */
  gpmPeriodMs?: number;
  /** CUPTI PM sampling too (default false): true, or its interval and metrics. */
  pmSampling?: boolean | { intervalNs?: number; metrics?: string[] };
  binding: NativeBinding;
}

export interface DeviceObservers {
  /** What could not start, per source (empty when everything runs). */
  notRunning: Array<{ source: 'nvml' | 'pm-sampling'; reason: string }>;
  /** Stops every observer; the summaries cover `window` (host monotonic ns), default start to stop. */
  stop(window?: { fromHostNs: bigint; toHostNs: bigint }): Promise<DeviceObservation>;
}

/** Starts the device observers; resolves once they all run (or have said why they cannot). */
export async function startDeviceObservers(options: DeviceObserversOptions): Promise<DeviceObservers> {
  const { binding } = options;
  const notRunning: DeviceObservers['notRunning'] = [];
  const startedAt = process.hrtime.bigint();
  let nvml: InstanceType<NativeBinding['NvmlSampler']> | undefined;
  let nvmlReason = '';
  try {
    nvml = new binding.NvmlSampler({
      device: options.device,
      periodMs: options.periodMs ?? DEFAULT_PERIOD_MS,
      gpm: options.gpm ?? true,
      ...(options.gpmPeriodMs !== undefined ? { gpmPeriodMs: options.gpmPeriodMs } : {}),
    });
    nvml.start();
  } catch (error) {
    nvml = undefined;
    nvmlReason = (error as Error).message;
    notRunning.push({ source: 'nvml', reason: nvmlReason });
  }
  let pm: RunningPmSampling | undefined;
  if (options.pmSampling) {
    const pmOptions = typeof options.pmSampling === 'object' ? options.pmSampling : {};
    pm = await startPmSampling(binding, {
      device: options.device,
      intervalNs: pmOptions.intervalNs ?? DEFAULT_PM_INTERVAL_NS,
      ...(pmOptions.metrics ? { metrics: pmOptions.metrics } : {}),
    });
    if (!pm.started.available) notRunning.push({ source: 'pm-sampling', reason: pm.started.reason ?? 'not available' });
  }
  return {
    notRunning,
    async stop(window) {
      const stoppedAt = process.hrtime.bigint();
      const from = window?.fromHostNs ?? startedAt;
      const to = window?.toHostNs ?? stoppedAt;
      const [raw, pmResult] = await Promise.all([nvml?.stop(), pm?.stop({ fromHostNs: from, toHostNs: to })]);
      const out: DeviceObservation = {
        device: options.device,
        window: { startNs: from.toString(), endNs: to.toString() },
        nvml: raw ? { available: true, ...observeNvml(raw, hostWindow(raw, from, to)) } : { available: false, reason: nvmlReason },
      };
      if (pmResult) out.pmSampling = pmResult;
      return out;
    },
  };
}

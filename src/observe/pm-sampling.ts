// CUPTI PM sampling around a measured phase: the GPU's own counters sampled every 100 µs (by
// default), device-wide, whichever process runs the work. The sampler creates a CUDA context of its
// own in the process that starts it. Its samples come back on the host clock where their timestamps
// can be placed (they are checked against %globaltimer and CUPTI readings taken at start and stop),
// as tagged summaries over a window and a plain series for the report.
import type { NativeBinding, PmSamplingRaw, PmSamplingStarted } from '../binding/contract.js';
import { median } from '../metrics/stats.js';
import { summary, type Summary } from '../metrics/summary.js';
import { clockDomain, clockJson, slope } from './clocks.js';
import type { PmObservation } from './schema.js';
import { intervalMean, jsonArray } from './window.js';

export const DEFAULT_PM_INTERVAL_NS = 100_000;

export interface PmSamplingOptions {
  device: number;
  intervalNs?: number;
  metrics?: string[];
  hardwareBufferBytes?: number;
}

/** Short tags for the metrics the sampler asks for by default; others are tagged by their name. */
const METRIC_TAGS: Record<string, [string, string]> = {
  'sm__cycles_active.avg.pct_of_peak_sustained_elapsed': ['pm.sm_active', 'SM activity (PM sampling)'],
  'sm__warps_active.avg.pct_of_peak_sustained_active': ['pm.warp_occupancy', 'warp occupancy (PM sampling)'],
  'sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_elapsed': ['pm.tensor_active', 'tensor pipe activity (PM sampling)'],
  'dram__throughput.avg.pct_of_peak_sustained_elapsed': ['pm.dram_throughput', 'DRAM throughput (PM sampling)'],
};

export function metricTag(metric: string): [string, string] {
  return METRIC_TAGS[metric] ?? [`pm.${metric.replace(/[^a-zA-Z0-9]+/g, '_')}`, metric];
}

export interface RunningPmSampling {
  started: PmSamplingStarted;
  stop(window?: { fromHostNs: bigint; toHostNs: bigint }): Promise<PmObservation>;
}

function status(s: PmSamplingStarted): PmObservation {
  const out: PmObservation = {
    available: s.available,
    metrics: s.metrics,
    unsupportedMetrics: s.unsupportedMetrics,
    droppedMetrics: s.droppedMetrics ?? [],
    intervalNs: s.intervalNs,
    summaries: [],
  };
  if (s.reason) out.reason = s.reason;
  if (s.cuptiError) out.cuptiError = s.cuptiError;
  if (s.library) out.library = s.library;
  if (s.chip) out.chip = s.chip;
  return out;
}

/** Places the samples on the host clock and summarises them over the window (default: all). */
export function observePm(raw: PmSamplingRaw, window?: { fromHostNs: bigint; toHostNs: bigint }): PmObservation {
  const out = status(raw);
  if (!raw.available || !raw.startNs || !raw.endNs || !raw.values || raw.baseNs === undefined || !raw.clockStart) return out;
  const start = raw.clockStart;
  const end = raw.clockEnd;
  const domain = raw.startNs.length > 0 ? clockDomain(raw.baseNs, start, end) : 'unknown';
  out.clockDomain = domain;
  out.clockStart = clockJson(start);
  if (end) out.clockEnd = clockJson(end);
  out.samples = raw.startNs.length;
  out.overflows = raw.overflows ?? 0;
  out.decodeErrors = raw.decodeErrors ?? 0;
  if (raw.lastDecodeError) out.lastDecodeError = raw.lastDecodeError;
  // Sample time -> ns after start.hostNs.
  let toHost = (t: number) => t;
  if (domain === 'globaltimer' || domain === 'cupti' || domain === 'host') {
    const key = domain === 'globaltimer' ? 'gpuNs' : domain === 'cupti' ? 'cuptiNs' : 'hostNs';
    const refStart = start[key]!;
    const hostPerTick = 1 / slope(start.hostNs, end?.hostNs, refStart, end?.[key]);
    const shift = Number(raw.baseNs - refStart);
    toHost = (t) => (t + shift) * hostPerTick;
    out.hostEpochNs = start.hostNs.toString();
  }
  const s0 = Array.from(raw.startNs, toHost);
  const s1 = Array.from(raw.endNs, toHost);
  const values: Record<string, Array<number | null>> = {};
  for (const [metric, v] of Object.entries(raw.values)) values[metric] = jsonArray(v);
  out.series = { startNs: s0, endNs: s1, values };

  const w =
    window && out.hostEpochNs !== undefined
      ? { fromNs: Number(window.fromHostNs - start.hostNs), toNs: Number(window.toHostNs - start.hostNs) }
      : { fromNs: -Infinity, toNs: Infinity };
  const inWindow = s0.filter((t) => t >= w.fromNs && t <= w.toNs).length;
  const summaries: Summary[] = [summary('pm.samples', 'PM samples', 'count', inWindow)];
  if (s0.length > 1) {
    const spacing = new Float64Array(s0.length - 1);
    for (let i = 1; i < s0.length; i++) spacing[i - 1] = s0[i]! - s0[i - 1]!;
    summaries.push(summary('pm.interval.p50', 'PM sample spacing, median', 'duration', median(spacing)));
  }
  for (const [metric, v] of Object.entries(raw.values)) {
    const m = intervalMean(s0, s1, v, w);
    if (!m) continue;
    const [tag, name] = metricTag(metric);
    summaries.push(summary(`${tag}.mean`, `${name}, mean`, 'fraction', m.mean / 100));
    summaries.push(summary(`${tag}.max`, `${name}, max sample`, 'fraction', m.max / 100));
  }
  if ((raw.overflows ?? 0) > 0) summaries.push(summary('pm.overflows', 'PM hardware buffer overflows', 'count', raw.overflows!));
  out.summaries = summaries;
  return out;
}

/** Starts PM sampling; resolves with available:false (and why) where it is not permitted. */
export async function startPmSampling(binding: NativeBinding, options: PmSamplingOptions): Promise<RunningPmSampling> {
  const native = new binding.PmSampler({
    device: options.device,
    intervalNs: options.intervalNs ?? DEFAULT_PM_INTERVAL_NS,
    hardwareBufferBytes: options.hardwareBufferBytes ?? 256 * 2 ** 20,
    maxSamplesPerImage: 20_000,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const started = await native.start();
  if (!started.available) return { started, stop: async () => status(started) };
  return { started, stop: async (window) => observePm(await native.stop(), window) };
}

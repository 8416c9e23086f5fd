// What each device metric of an observation is, in words: the NVML sampler's columns and GPM metrics
// (native/observers/nvml_sampler.cpp names them), CUPTI PM sampling's metrics (src/observe/pm-sampling.ts),
// with the unit a reader expects (memory in GiB, energy since the phase's first sample). A name this
// version does not know is put in words from its own spelling (camelCase split, a known unit suffix read).
import { metricTag } from '../../observe/pm-sampling.js';

export interface DeviceMetric {
  /** In words: "SM clock". */
  title: string;
  /** "MHz", "%", "GiB", or "" for none. */
  unit: string;
  /** The value as drawn, from the recorded one and the metric's first recorded value in the phase. */
  convert: (value: number, first: number) => number;
}

const same = (v: number) => v;
const metric = (title: string, unit: string, convert: DeviceMetric['convert'] = same): DeviceMetric => ({ title, unit, convert });

/** Known metrics; `null`: recorded but not drawn (a bit mask: its reasons are listed by name above the charts). */
const KNOWN: Record<string, DeviceMetric | null> = {
  utilizationGpuPct: metric('GPU utilisation (time a kernel ran)', '%'),
  utilizationMemoryPct: metric('memory controller utilisation', '%'),
  memoryUsedBytes: metric('device memory used', 'GiB', (v) => v / 2 ** 30),
  powerW: metric('power', 'W'),
  temperatureC: metric('temperature', '°C'),
  smClockMHz: metric('SM clock', 'MHz'),
  memClockMHz: metric('memory clock', 'MHz'),
  graphicsClockMHz: metric('graphics clock', 'MHz'),
  clocksEventReasons: null,
  energyJ: metric("energy since the phase's first sample", 'J', (v, first) => v - first),
  smActivityPct: metric('SM activity (time a warp was resident)', '%'),
  smOccupancyPct: metric('SM occupancy (warps resident, of the maximum)', '%'),
  tensorActivityPct: metric('tensor pipe activity', '%'),
  hmmaTensorActivityPct: metric('HMMA tensor pipe activity', '%'),
  dramBandwidthPct: metric('DRAM bandwidth (of peak)', '%'),
  fp32ActivityPct: metric('FP32 pipe activity', '%'),
  fp16ActivityPct: metric('FP16 pipe activity', '%'),
  graphicsActivityPct: metric('graphics engine activity', '%'),
};

/** Unit suffixes of the samplers' column names, longest first. */
const SUFFIXES: Array<[string, DeviceMetric['unit'], DeviceMetric['convert']]> = [
  ['Bytes', 'GiB', (v) => v / 2 ** 30],
  ['MHz', 'MHz', same],
  ['Pct', '%', same],
  ['W', 'W', same],
  ['C', '°C', same],
  ['J', 'J', same],
];

/** "hmmaTensorActivity" → "hmma tensor activity". */
function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .toLowerCase()
    .trim();
}

/** What a metric is, or undefined for one that is recorded but not drawn. */
export function describeMetric(name: string): DeviceMetric | undefined {
  if (name in KNOWN) return KNOWN[name] ?? undefined;
  // CUPTI PM sampling metrics are named as the profiler names them (sm__cycles_active.avg.pct_of_peak_sustained_elapsed).
  if (name.includes('__')) {
    const [, title] = metricTag(name);
    return metric(title === name ? name : title.replace(/ \(PM sampling\)$/, ''), name.includes('.pct_of_') ? '%' : '');
  }
  for (const [suffix, unit, convert] of SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix) && /[a-z0-9]/.test(name[name.length - suffix.length - 1]!)) {
      return metric(words(name.slice(0, -suffix.length)), unit, convert);
    }
  }
  return metric(words(name), '');
}

/** A series' title from where it was found in the observation ("shared.observation.nvml.series.gpm" → "GPM, per interval"). */
export function seriesTitle(path: string): string {
  const mig = /\.migGpm\[(\d+)\]$/.exec(path);
  if (mig) return `GPM of GPU instance ${mig[1]}, per interval`;
  if (path.endsWith('.nvml.series.gpm')) return 'GPM (GPU performance monitoring), per interval';
  if (path.endsWith('.nvml.series')) return 'NVML, sampled';
  if (path.endsWith('.pmSampling.series')) return 'CUPTI PM sampling, device-wide';
  return path;
}

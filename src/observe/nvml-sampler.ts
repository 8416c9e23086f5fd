// The NVML sampler around a measured phase: start it, stop it, and turn its raw columnar series into
// tagged summaries over a window (utilisation, memory, power, temperature, clocks, throttling, GPM
// SM activity/occupancy, tensor and DRAM activity, Xid and ECC flags) plus a plain time series that
// the report can chart. Fields the device does not report are absent from both.
import type { GpmSeriesRaw, NativeBinding, NvmlColumn, NvmlSeriesRaw } from '../binding/contract.js';
import { summary, type Summary } from '../metrics/summary.js';
import type { GpmTimeSeries, NvmlEventSeen, NvmlObservation, NvmlTimeSeries } from './schema.js';
import { decodeThrottleReasons, isClockLimited, THROTTLE_REASONS } from './throttle.js';
import { indexRange, intervalMean, jsonArray, pointStats, type Window } from './window.js';

export const DEFAULT_PERIOD_MS = 50;

export interface NvmlSamplerStart {
  device: number;
  periodMs?: number;
  gpm?: boolean;
  /** GPM sampling period (default and minimum 200 ms: GPM's counters advance about every 100 ms). */
  gpmPeriodMs?: number;
}

/** A running sampler; stop() ends it and returns the raw series. */
export interface RunningNvmlSampler {
  stop(): Promise<NvmlSeriesRaw>;
}

/** Starts the native NVML sampler; throws the native error (code ERR_NVML) when NVML is missing. */
export function startNvmlSampler(binding: NativeBinding, options: NvmlSamplerStart): RunningNvmlSampler {
  const sampler = new binding.NvmlSampler({
    device: options.device,
    periodMs: options.periodMs ?? DEFAULT_PERIOD_MS,
    gpm: options.gpm ?? true,
    ...(options.gpmPeriodMs !== undefined ? { gpmPeriodMs: options.gpmPeriodMs } : {}),
  });
  sampler.start();
  return { stop: () => sampler.stop() };
}

const GPM_SUMMARIES: Array<[string, string, string]> = [
  ['smActivityPct', 'gpm.sm_active', 'SM activity (GPM)'],
  ['smOccupancyPct', 'gpm.sm_occupancy', 'SM occupancy (GPM)'],
  ['tensorActivityPct', 'gpm.tensor_active', 'tensor pipe activity (GPM)'],
  ['hmmaTensorActivityPct', 'gpm.hmma_active', 'HMMA tensor activity (GPM)'],
  ['dramBandwidthPct', 'gpm.dram_active', 'DRAM bandwidth (GPM)'],
  ['fp32ActivityPct', 'gpm.fp32_active', 'FP32 pipe activity (GPM)'],
  ['fp16ActivityPct', 'gpm.fp16_active', 'FP16 pipe activity (GPM)'],
];

function gpmSummaries(g: GpmSeriesRaw, w: Window, prefix = 'gpm'): Summary[] {
  const out: Summary[] = [];
  for (const [key, tag, name] of GPM_SUMMARIES) {
    const values = g.metrics[key as keyof GpmSeriesRaw['metrics']];
    if (!values) continue;
    const m = intervalMean(g.startNs, g.endNs, values, w);
    if (!m) continue;
    const t = tag.replace(/^gpm/, prefix);
    out.push(summary(`${t}.mean`, `${name}, mean`, 'fraction', m.mean / 100));
    out.push(summary(`${t}.max`, `${name}, max interval`, 'fraction', m.max / 100));
  }
  return out;
}

function gpmSeries(g: GpmSeriesRaw): GpmTimeSeries {
  const metrics: Record<string, Array<number | null>> = {};
  for (const [key, values] of Object.entries(g.metrics)) if (values) metrics[key] = jsonArray(values);
  return { startNs: Array.from(g.startNs), endNs: Array.from(g.endNs), metrics };
}

const EVENT_KIND: Record<number, NvmlEventSeen['kind']> = { 8: 'xid', 1: 'ecc-single-bit', 2: 'ecc-double-bit' };

/** The whole series' window: from the first to the last sample. */
export function fullWindow(raw: NvmlSeriesRaw): Window {
  return { fromNs: 0, toNs: Number(raw.endNs - raw.startNs) };
}

/** A window given on the host clock (CLOCK_MONOTONIC ns) as one on the series' axis. */
export function hostWindow(raw: NvmlSeriesRaw, fromHostNs: bigint, toHostNs: bigint): Window {
  return { fromNs: Number(fromHostNs - raw.startNs), toNs: Number(toHostNs - raw.startNs) };
}

/** What one step of observeNvml adds: summaries and flags, in the order they are reported. */
interface Findings {
  summaries: Summary[];
  flags: string[];
}

/** The sampled fields' summaries over samples [first, end): utilisation, memory, power, energy, temperature, clocks. */
function fieldSummaries(raw: NvmlSeriesRaw, first: number, end: number): Summary[] {
  const s: Summary[] = [];
  const stats = (name: NvmlColumn) => {
    const v = raw.columns[name];
    return v ? pointStats(v, first, end) : undefined;
  };
  s.push(summary('nvml.samples', 'NVML samples', 'count', end - first));
  const util = stats('utilizationGpuPct');
  if (util) {
    s.push(summary('nvml.gpu_util.mean', 'GPU utilisation (NVML), mean', 'fraction', util.mean / 100));
    s.push(summary('nvml.gpu_util.max', 'GPU utilisation (NVML), max', 'fraction', util.max / 100));
  }
  const memUtil = stats('utilizationMemoryPct');
  if (memUtil) s.push(summary('nvml.mem_util.mean', 'memory controller utilisation, mean', 'fraction', memUtil.mean / 100));
  const mem = stats('memoryUsedBytes');
  if (mem) s.push(summary('nvml.memory_used.max', 'device memory used, max (MiB)', 'count', mem.max / 2 ** 20));
  const power = stats('powerW');
  if (power) {
    s.push(summary('nvml.power.mean', 'power, mean', 'rate', power.mean, 'W'));
    s.push(summary('nvml.power.max', 'power, max', 'rate', power.max, 'W'));
  }
  s.push(...energySummaries(raw, first, end));
  const temp = stats('temperatureC');
  if (temp) s.push(summary('nvml.temperature.max', 'temperature, max (°C)', 'count', temp.max));
  const sm = stats('smClockMHz');
  if (sm) {
    s.push(summary('nvml.sm_clock.mean', 'SM clock, mean', 'rate', sm.mean, 'MHz'));
    s.push(summary('nvml.sm_clock.min', 'SM clock, min', 'rate', sm.min, 'MHz'));
  }
  const memClock = stats('memClockMHz');
  if (memClock) s.push(summary('nvml.mem_clock.mean', 'memory clock, mean', 'rate', memClock.mean, 'MHz'));
  return s;
}

/** Energy used between the first and last sample of [first, end), and the mean power it implies. */
function energySummaries(raw: NvmlSeriesRaw, first: number, end: number): Summary[] {
  const energy = raw.columns.energyJ;
  if (!energy || end - first < 2) return [];
  const a = energy[first] as number;
  const b = energy[end - 1] as number;
  const dt = ((raw.tNs[end - 1] as number) - (raw.tNs[first] as number)) / 1e9;
  if (Number.isNaN(a) || Number.isNaN(b) || !(dt > 0)) return [];
  return [summary('nvml.energy', 'energy (J)', 'count', b - a), summary('nvml.power.from_energy', 'power from energy counter', 'rate', (b - a) / dt, 'W')];
}

/** How often the clocks were limited over samples [first, end), and why. */
function throttleFindings(reasons: Float64Array, first: number, end: number): Findings {
  let read = 0;
  let limited = 0;
  const perReason = new Map<string, number>();
  for (let i = first; i < end; i++) {
    const mask = reasons[i] as number;
    if (Number.isNaN(mask)) continue;
    read++;
    if (isClockLimited(mask)) limited++;
    for (const name of decodeThrottleReasons(mask)) perReason.set(name, (perReason.get(name) ?? 0) + 1);
  }
  if (read === 0) return { summaries: [], flags: [] };
  const summaries = [summary('nvml.clock_limited', 'samples with the clock limited', 'fraction', limited / read)];
  for (const r of THROTTLE_REASONS) {
    const n = perReason.get(r.name);
    if (n) summaries.push(summary(`nvml.throttle.${r.name}`, `samples with ${r.label}`, 'fraction', n / read));
  }
  const flags: string[] = [];
  if (limited > 0) {
    const named = THROTTLE_REASONS.filter((r) => r.limiting && perReason.get(r.name)).map((r) => r.label);
    flags.push(`clock limited in ${((100 * limited) / read).toFixed(1)}% of samples (${named.join(', ')})`);
  }
  return { summaries, flags };
}

/** The events NVML delivered, by kind. */
function eventsSeen(raw: NvmlSeriesRaw): NvmlEventSeen[] {
  return raw.events.list.map((e) => {
    const out: NvmlEventSeen = { tNs: e.tNs, kind: EVENT_KIND[e.type] ?? 'other' };
    if (e.type === 0x8) out.xid = e.data;
    if (e.gpuInstanceId !== undefined) out.gpuInstanceId = e.gpuInstanceId;
    return out;
  });
}

/** Xid errors inside the window, ECC counts that rose, and the sampler's own trouble. */
function healthFindings(raw: NvmlSeriesRaw, events: NvmlEventSeen[], window: Window): Findings {
  const summaries: Summary[] = [];
  const flags: string[] = [];
  const xids = events.filter((e) => e.kind === 'xid' && e.tNs >= window.fromNs && e.tNs <= window.toNs);
  if (raw.events.available) summaries.push(summary('nvml.xid_events', 'Xid errors', 'count', xids.length));
  for (const x of xids) flags.push(`Xid ${x.xid} at +${(x.tNs / 1e9).toFixed(3)} s`);
  const { before, after } = raw.ecc;
  if (before && after) {
    const dc = after.corrected - before.corrected;
    const du = after.uncorrected - before.uncorrected;
    summaries.push(summary('nvml.ecc_corrected', 'ECC errors corrected during the run', 'count', dc));
    summaries.push(summary('nvml.ecc_uncorrected', 'ECC errors uncorrected during the run', 'count', du));
    if (dc > 0) flags.push(`${dc} corrected ECC error(s) during the run`);
    if (du > 0) flags.push(`${du} UNCORRECTED ECC error(s) during the run: results may be wrong`);
  }
  if (raw.lateSamples > 0) flags.push(`${raw.lateSamples} NVML sample(s) late (a reading took longer than ${raw.periodMs} ms)`);
  if (raw.errors.length > 0) flags.push(`NVML sampling errors: ${raw.errors[0]}${raw.errors.length > 1 ? ` (+${raw.errors.length - 1})` : ''}`);
  return { summaries, flags };
}

/** Every sample of the whole series, JSON-safe, for the report's charts. */
function timeSeries(raw: NvmlSeriesRaw): NvmlTimeSeries {
  const columns: Record<string, Array<number | null>> = {};
  for (const [name, values] of Object.entries(raw.columns)) if (values) columns[name] = jsonArray(values);
  const series: NvmlTimeSeries = { startNs: raw.startNs.toString(), periodMs: raw.periodMs, tNs: Array.from(raw.tNs), columns };
  const reasons = raw.columns.clocksEventReasons;
  if (reasons) series.throttleReasons = Array.from(reasons, (mask) => (Number.isNaN(mask) ? [] : decodeThrottleReasons(mask)));
  if (raw.gpm.available) series.gpm = gpmSeries(raw.gpm);
  if (raw.migGpm.length > 0) series.migGpm = raw.migGpm.map((m) => ({ gpuInstanceId: m.gpuInstanceId, ...gpmSeries(m) }));
  return series;
}

/** GPM summaries over the window, the device's and each MIG instance's. */
function gpmPart(raw: NvmlSeriesRaw, window: Window): NvmlObservation['gpm'] {
  const mig = raw.migGpm.map((m) => ({ gpuInstanceId: m.gpuInstanceId, summaries: m.available ? gpmSummaries(m, window, `gpm.gi${m.gpuInstanceId}`) : [] }));
  const out: NvmlObservation['gpm'] = {
    available: raw.gpm.available || raw.migGpm.some((m) => m.available),
    summaries: raw.gpm.available ? gpmSummaries(raw.gpm, window) : [],
    mig,
  };
  if (raw.gpm.reason) out.reason = raw.gpm.reason;
  return out;
}

/** Summaries, flags and a chartable series from a raw NVML series, over `window` (default: all of it). */
export function observeNvml(raw: NvmlSeriesRaw, window: Window = fullWindow(raw)): NvmlObservation {
  const [first, end] = indexRange(raw.tNs, window);
  const reasons = raw.columns.clocksEventReasons;
  const throttle = reasons ? throttleFindings(reasons, first, end) : { summaries: [], flags: [] };
  const events = eventsSeen(raw);
  const health = healthFindings(raw, events, window);
  const eventsOut: NvmlObservation['events'] = { available: raw.events.available, list: events };
  if (raw.events.reason) eventsOut.reason = raw.events.reason;
  const processes: NvmlObservation['processes'] = { available: raw.processes.available, list: raw.processes.list };
  if (raw.processes.reason) processes.reason = raw.processes.reason;
  return {
    device: raw.device,
    name: raw.name,
    uuid: raw.uuid,
    periodMs: raw.periodMs,
    summaries: [...fieldSummaries(raw, first, end), ...throttle.summaries, ...health.summaries],
    gpm: gpmPart(raw, window),
    events: eventsOut,
    ecc: { ...raw.ecc },
    processes,
    flags: [...throttle.flags, ...health.flags],
    errors: raw.errors,
    lateSamples: raw.lateSamples,
    series: timeSeries(raw),
  };
}

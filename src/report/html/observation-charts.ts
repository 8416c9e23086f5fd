// What the device did while the clients ran (src/observe: NVML sampler with GPM, CUPTI PM sampling),
// drawn generically: every time series found under a phase's `observation` (or a top-level one) becomes
// one chart with a panel per metric. A series is an object with sample times, `tNs` or `startNs`, and
// metric arrays of the same length, either beside the times or in a `columns`, `metrics` or `values`
// record (the NVML, GPM and PM sampling series all are). A metric the device did not support is absent;
// a sample it missed is null.
import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from '../../metrics/summary.js';
import { renderChart } from './render.js';

export interface SeriesGroup {
  /** Where it was found, e.g. "shared.observation.nvml.series.gpm". */
  name: string;
  tNs: number[];
  metrics: Array<{ name: string; values: Array<number | null> }>;
}

const MAX_DEPTH = 6;
/** Most points drawn per metric: longer series are thinned evenly (1 sample in k drawn, as the caption says). */
const MAX_POINTS = 2_000;
/** Most panels (metrics) in one chart, and charts (series) in one report: the others are named, not drawn. */
const MAX_PANELS = 24;
export const MAX_SERIES_CHARTS = 16;
/** Records of metric arrays inside a series object. */
const METRIC_RECORDS = ['columns', 'metrics', 'values'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const isMetric = (v: unknown, n: number): v is Array<number | null> =>
  Array.isArray(v) && v.length === n && v.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))) && v.some((x) => typeof x === 'number');

function collect(value: unknown, path: string, depth: number, out: SeriesGroup[]): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const id = isRecord(v) ? (v.gpuInstanceId ?? v.name) : undefined;
      collect(v, `${path}[${id !== undefined ? String(id) : i}]`, depth + 1, out);
    });
    return;
  }
  if (!isRecord(value)) return;
  const times = isNumberArray(value.tNs) ? value.tNs : isNumberArray(value.startNs) ? value.startNs : undefined;
  if (times) {
    const metrics: SeriesGroup['metrics'] = [];
    const take = (record: Record<string, unknown>, skip: string[]) => {
      for (const [key, v] of Object.entries(record)) if (!skip.includes(key) && isMetric(v, times.length)) metrics.push({ name: key, values: v });
    };
    take(value, ['tNs', 'startNs', 'endNs']);
    for (const key of METRIC_RECORDS) if (isRecord(value[key])) take(value[key] as Record<string, unknown>, []);
    if (metrics.length > 0) out.push({ name: path, tNs: times, metrics });
  }
  for (const [key, v] of Object.entries(value)) {
    if (times && (METRIC_RECORDS.includes(key) || (Array.isArray(v) && v.length === times.length))) continue;
    collect(v, `${path}.${key}`, depth + 1, out);
  }
}

/** Every time series of the result's observation: the shared phase's, and a top-level one if any. */
export function findSeries(raw: Record<string, unknown>): SeriesGroup[] {
  const out: SeriesGroup[] = [];
  const shared = raw.shared;
  if (isRecord(shared) && shared.observation !== undefined) collect(shared.observation, 'shared.observation', 0, out);
  if (raw.observation !== undefined) collect(raw.observation, 'observation', 0, out);
  return out;
}

/** What the shared phase's observation says in words: its summaries, flags, and sources that did not run. */
export function observationFacts(raw: Record<string, unknown>): { summaries: Summary[]; notes: string[] } {
  const o = isRecord(raw.shared) ? raw.shared.observation : undefined;
  const summaries: Summary[] = [];
  const notes: string[] = [];
  if (!isRecord(o)) return { summaries, notes };
  const take = (list: unknown) => {
    if (Array.isArray(list))
      for (const s of list) if (isRecord(s) && typeof s.tag === 'string' && typeof s.value === 'number') summaries.push(s as unknown as Summary);
  };
  const nvml = o.nvml;
  if (isRecord(nvml)) {
    if (nvml.available === false) notes.push(`NVML sampling did not run: ${String(nvml.reason ?? 'no reason given')}`);
    take(nvml.summaries);
    if (isRecord(nvml.gpm)) {
      if (nvml.gpm.available === false) notes.push(`GPM metrics unavailable: ${String(nvml.gpm.reason ?? 'no reason given')}`);
      take(nvml.gpm.summaries);
    }
    for (const key of ['flags', 'errors']) if (Array.isArray(nvml[key])) for (const f of nvml[key] as unknown[]) notes.push(String(f));
  }
  const pm = o.pmSampling;
  if (isRecord(pm)) {
    if (pm.available === false) notes.push(`CUPTI PM sampling did not run: ${String(pm.reason ?? 'no reason given')}`);
    take(pm.summaries);
  }
  return { summaries, notes };
}

/** A series chart and how much of the group it draws. */
export interface SeriesChart {
  svg: string;
  /** 1 sample in `every` is drawn. */
  every: number;
  /** Metrics drawn: the first MAX_PANELS of the group's. */
  metrics: number;
}

/** One chart for a group: a panel per metric, each with its own y scale, against seconds from the first sample. */
export async function seriesChart(group: SeriesGroup, width: number): Promise<SeriesChart> {
  const t0 = group.tNs[0]!;
  const step = Math.max(1, Math.ceil(group.tNs.length / MAX_POINTS));
  const metrics = group.metrics.slice(0, MAX_PANELS);
  const values: Array<{ t: number; metric: string; value: number }> = [];
  for (const m of metrics) {
    for (let i = 0; i < group.tNs.length; i += step) {
      const v = m.values[i];
      if (typeof v === 'number') values.push({ t: (group.tNs[i]! - t0) / 1e9, metric: m.name, value: v });
    }
  }
  const columns = Math.min(3, metrics.length);
  const panel = Math.max(160, Math.floor((width - 60 * columns) / columns));
  const spec: TopLevelSpec = {
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: metrics.map((m) => m.name) },
    columns,
    spec: {
      width: panel,
      height: 110,
      mark: { type: 'line', strokeWidth: 1.4, color: '#3c6db5', point: group.tNs.length < 40 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 's from the first sample' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false }, axis: { format: '~s' } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { svg: await renderChart(spec), every: step, metrics: metrics.length };
}

// What the device did while the clients ran (src/observe: NVML sampler with GPM, CUPTI PM sampling):
// every time series found under a phase's `observation` (or a top-level one) becomes one chart with a
// panel per metric, named in words with its unit (device-metrics.ts), the shared phase drawn over the
// solo baseline's where both were observed. A series is an object with sample times, `tNs` or
// `startNs`, and metric arrays of the same length, either beside the times or in a `columns`, `metrics`
// or `values` record (the NVML, GPM and PM sampling series all are). A metric the device did not report
// is absent (no sample has a number): it is left out. A sample it missed is null: a gap in the line. A
// metric that stayed at one value throughout is said in words, not drawn as a flat line.
import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from '../../metrics/summary.js';
import { describeMetric, seriesTitle } from './device-metrics.js';
import { renderChart, SOLO_COLOR } from './render.js';

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

/** Every time series of one phase's observation, named from `path` ("shared.observation"). */
export function findPhaseSeries(observation: unknown, path: string): SeriesGroup[] {
  const out: SeriesGroup[] = [];
  if (observation !== undefined) collect(observation, path, 0, out);
  return out;
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
  return phaseObservationFacts(isRecord(raw.shared) ? raw.shared.observation : undefined);
}

/** What one phase's observation says in words (see observationFacts). */
export function phaseObservationFacts(o: unknown): { summaries: Summary[]; notes: string[] } {
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

/** The same series in the solo baseline's observation, drawn under the shared phase's (dashed). */
export interface SoloSeries {
  /** "solo", or "solo ROLE" where the run has several roles. */
  label: string;
  group: SeriesGroup;
}

/** A series chart and how much of the group it draws. */
export interface SeriesChart {
  /** Undefined when every metric was constant (said in `constant`). */
  svg?: string;
  /** 1 sample in `every` is drawn. */
  every: number;
  /** Metrics drawn, in words with their unit. */
  drawn: string[];
  /** Metrics not drawn past MAX_PANELS. */
  more: number;
  /** Metrics that held one value throughout, in both phases: "memory clock 3,201 MHz". */
  constant: string[];
  /** Whether a solo baseline's series is drawn beside the shared phase's. */
  withSolo: boolean;
}

/** Every `step`-th sample of a metric as points of one phase, seconds from its first sample; missed samples (null) left out. */
function points(group: SeriesGroup, values: Array<number | null>, step: number, phase: string, convert: (v: number, first: number) => number) {
  const t0 = group.tNs[0]!;
  const first = values.find((v): v is number => typeof v === 'number') ?? 0;
  const out: Array<{ t: number; value: number; phase: string }> = [];
  for (let i = 0; i < group.tNs.length; i += step) {
    const v = values[i];
    if (typeof v === 'number') out.push({ t: (group.tNs[i]! - t0) / 1e9, value: convert(v, first), phase });
  }
  return out;
}

/** "memory clock 3,201 MHz": a metric's one value in words. */
function constantText(title: string, unit: string, value: number): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3)).toString();
  return `${title} ${rounded}${unit === '%' || unit === '°C' ? '' : ' '}${unit}`;
}

/**
 * One chart for a group: a panel per metric that changed, each with its own y scale and its unit,
 * against seconds from the phase's first sample; the solo baseline's samples dashed beneath.
 */
export async function seriesChart(group: SeriesGroup, width: number, solos: readonly SoloSeries[] = []): Promise<SeriesChart> {
  const step = Math.max(1, Math.ceil(group.tNs.length / MAX_POINTS));
  const values: Array<{ t: number; value: number; phase: string; metric: string }> = [];
  const drawn: string[] = [];
  const constant: string[] = [];
  let more = 0;
  let withSolo = false;
  for (const m of group.metrics) {
    const d = describeMetric(m.name);
    if (!d) continue;
    const label = d.unit ? `${d.title} (${d.unit})` : d.title;
    const phases = [{ phase: 'shared', group, values: m.values, step }];
    for (const solo of solos) {
      const same = solo.group.metrics.find((x) => x.name === m.name);
      if (same) phases.push({ phase: solo.label, group: solo.group, values: same.values, step: Math.max(1, Math.ceil(solo.group.tNs.length / MAX_POINTS)) });
    }
    // Constant or not is read from every sample, not the thinned ones drawn.
    const every = phases.flatMap((p) => points(p.group, p.values, 1, p.phase, d.convert));
    if (every.length === 0) continue;
    if (every.every((p) => p.value === every[0]!.value)) {
      constant.push(constantText(d.title, d.unit, every[0]!.value));
      continue;
    }
    const pts = phases.some((p) => p.step > 1) ? phases.flatMap((p) => points(p.group, p.values, p.step, p.phase, d.convert)) : every;
    if (drawn.length >= MAX_PANELS) {
      more++;
      continue;
    }
    const unique = drawn.includes(label) ? `${label} [${m.name}]` : label;
    drawn.push(unique);
    if (phases.length > 1) withSolo = true;
    for (const p of pts) values.push({ ...p, metric: unique });
  }
  if (drawn.length === 0) return { every: step, drawn, more, constant, withSolo };
  const columns = Math.min(3, drawn.length);
  const panel = Math.max(160, Math.floor((width - 70 * columns) / columns));
  const phaseNames = ['shared', ...solos.map((s) => s.label)].filter((p) => values.some((v) => v.phase === p));
  const spec: TopLevelSpec = {
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: drawn, header: { labelFontWeight: 'bold' } },
    columns,
    spec: {
      width: panel,
      height: 110,
      mark: { type: 'line', strokeWidth: 1.4, point: group.tNs.length < 40 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: "s from the phase's first sample" },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: {
          field: 'phase',
          type: 'nominal',
          title: null,
          scale: { domain: phaseNames, range: phaseNames.map((p) => (p === 'shared' ? '#3c6db5' : SOLO_COLOR)) },
          legend: phaseNames.length > 1 ? { orient: 'top', direction: 'horizontal' } : null,
        },
        strokeDash: { condition: { test: "datum.phase !== 'shared'", value: [5, 3] }, value: [1, 0] },
        detail: { field: 'phase' },
      },
    },
    // An x axis under every panel, none under the empty cells of the last row.
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  };
  return { svg: await renderChart(spec), every: step, drawn, more, constant, withSolo };
}

export { seriesTitle };

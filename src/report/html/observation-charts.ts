// NVML/GPM time series, drawn generically: any object under `observation.series` (of the result or of
// one of its phases) shaped `{ tNs: number[], [metric]: number[] }` becomes one chart with a panel per
// metric. A metric the device did not support is absent (or null where a sample was missing).
import type { TopLevelSpec } from 'vega-lite';
import { renderChart } from './render.js';

export interface SeriesGroup {
  /** Where it was found, e.g. "observation.series.gpm". */
  name: string;
  tNs: number[];
  metrics: Array<{ name: string; values: Array<number | null> }>;
}

const MAX_DEPTH = 5;
/** Most points drawn per metric: longer series are thinned evenly. */
const MAX_POINTS = 2_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function collect(value: unknown, path: string, depth: number, out: SeriesGroup[]): void {
  if (depth > MAX_DEPTH) return;
  if (isRecord(value) && isNumberArray(value.tNs)) {
    const tNs = value.tNs;
    const metrics: SeriesGroup['metrics'] = [];
    for (const [key, v] of Object.entries(value)) {
      if (key === 'tNs' || !Array.isArray(v) || v.length !== tNs.length) continue;
      if (!v.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)))) continue;
      if (!v.some((x) => typeof x === 'number')) continue;
      metrics.push({ name: key, values: v as Array<number | null> });
    }
    if (metrics.length > 0) out.push({ name: path, tNs, metrics });
    return;
  }
  if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) collect(v, `${path}.${key}`, depth + 1, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, `${path}[${isRecord(v) && typeof v.name === 'string' ? v.name : i}]`, depth + 1, out));
  }
}

/** Every time series under `observation.series` of the result and of its phases. */
export function findSeries(raw: Record<string, unknown>): SeriesGroup[] {
  const out: SeriesGroup[] = [];
  const roots: Array<[string, unknown]> = [['observation', raw.observation]];
  for (const phase of ['baseline', 'shared']) {
    const p = raw[phase];
    if (isRecord(p)) roots.push([`${phase}.observation`, p.observation]);
  }
  for (const [path, obs] of roots) if (isRecord(obs) && obs.series !== undefined) collect(obs.series, `${path}.series`, 0, out);
  return out;
}

/** One chart for a group: a panel per metric, each with its own y scale, against seconds from the first sample. */
export async function seriesChart(group: SeriesGroup, width: number): Promise<string> {
  const t0 = group.tNs[0]!;
  const step = Math.max(1, Math.ceil(group.tNs.length / MAX_POINTS));
  const values: Array<{ t: number; metric: string; value: number }> = [];
  for (const m of group.metrics) {
    for (let i = 0; i < group.tNs.length; i += step) {
      const v = m.values[i];
      if (typeof v === 'number') values.push({ t: (group.tNs[i]! - t0) / 1e9, metric: m.name, value: v });
    }
  }
  const columns = Math.min(3, group.metrics.length);
  const panel = Math.max(160, Math.floor((width - 60 * columns) / columns));
  const spec: TopLevelSpec = {
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: group.metrics.map((m) => m.name) },
    columns,
    spec: {
      width: panel,
      height: 110,
      mark: { type: 'line', strokeWidth: 1.4, color: '#3c6db5' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 's from the first sample' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return renderChart(spec);
}

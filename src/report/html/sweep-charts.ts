// A sweep's charts and table: per kernel, size and loop, aggregate throughput and worst p99 latency
// against the number of processes, one line per sharing mode; every point listed, skipped ones with
// their reason.
import type { TopLevelSpec } from 'vega-lite';
import { jainIndex, maxOf, median } from '../../metrics/stats.js';
import { formatSummaryValue } from '../format.js';
import type { LoadedPoint } from '../inputs.js';
import { esc, table } from './page.js';
import { clientColor, renderChart } from './render.js';

export interface PointFigures {
  aggregateThroughput?: number;
  aggregateVsSolo?: number;
  p99VsSolo?: number;
  slowdownMedian?: number;
  fairness?: number;
}

/** Median of the clients' values; undefined without any. */
const medianOf = (values: number[]) => (values.length > 0 ? median(values) : undefined);

/** Jain's fairness index of the clients' throughputs; undefined without any, or when all are 0. */
const fairnessOf = (values: number[]) => (values.some((v) => v !== 0) ? jainIndex(values) : undefined);

/** The figures of a point: from the summary where it has them, else from the point's result. */
export function pointFigures(p: LoadedPoint): PointFigures {
  const r = p.run?.result;
  const clientValues = (tag: string) => r?.shared.clients.flatMap((c) => c.summaries.filter((s) => s.tag === tag).map((s) => s.value)) ?? [];
  const p99s = clientValues('latency.p99.vsSolo');
  const figures: PointFigures = {
    aggregateThroughput: p.point.aggregateThroughput ?? r?.shared.aggregate.find((s) => s.tag === 'aggregate.throughput')?.value,
    aggregateVsSolo: p.point.aggregateVsSolo ?? r?.comparison.find((s) => s.tag === 'aggregate.vsSolo')?.value,
    p99VsSolo: p.point.p99VsSolo ?? (p99s.length > 0 ? maxOf(p99s) : undefined),
    slowdownMedian: p.point.slowdownMedian ?? medianOf(clientValues('slowdown')),
    fairness: p.point.fairness ?? fairnessOf(clientValues('throughput')),
  };
  for (const key of Object.keys(figures) as Array<keyof PointFigures>) if (figures[key] === undefined) delete figures[key];
  return figures;
}

export const groupOf = (p: LoadedPoint) =>
  `${p.point.kernel}${p.point.kernel === 'gemm' ? ` ${p.point.size}` : ` size ${p.point.size}`} · ${p.point.loop === 'closed' ? 'closed loop' : 'saturating'}`;

const PANELS: Array<{ key: keyof PointFigures; title: string; format: string; ratio?: boolean }> = [
  { key: 'aggregateThroughput', title: 'aggregate throughput (launch/s)', format: ',.0f' },
  { key: 'aggregateVsSolo', title: 'aggregate throughput vs solo', format: '.2f', ratio: true },
  { key: 'p99VsSolo', title: 'worst client p99 latency vs solo', format: '.2f', ratio: true },
];

/** The dashed line at 1.0× in a panel of ratios against solo: as fast as alone (aggregate), as quick as alone (p99). */
export const SOLO_LINE = { type: 'rule' as const, strokeDash: [5, 3], color: '#555', strokeWidth: 1.2 };

/** The Vega-Lite spec of a group's chart: a panel per figure, one line per mode, the 1.0× line in each ratio panel; undefined when nothing is done. */
export function sweepGroupSpec(points: LoadedPoint[], modes: string[]): TopLevelSpec | undefined {
  const panels = PANELS.map((panel) => ({
    panel,
    values: points.flatMap((p) => {
      const v = p.point.status === 'done' ? pointFigures(p)[panel.key] : undefined;
      return v === undefined ? [] : [{ procs: p.point.procs, mode: p.point.mode, value: v }];
    }),
  })).filter((x) => x.values.length > 0);
  if (panels.length === 0) return undefined;
  const color = { field: 'mode', type: 'nominal' as const, title: 'mode', scale: { domain: modes, range: modes.map((_, i) => clientColor(i)) } };
  return {
    hconcat: panels.map(({ panel, values }) => {
      // Ratios near 1.0× are read against the line, not against zero.
      const y = {
        field: 'value',
        type: 'quantitative' as const,
        title: null,
        axis: { format: panel.format },
        ...(panel.ratio ? { scale: { zero: false } } : {}),
      };
      const lines = {
        data: { values },
        mark: { type: 'line' as const, point: true },
        encoding: { x: { field: 'procs', type: 'ordinal' as const, title: 'processes', axis: { labelAngle: 0 } }, y, color },
      };
      const solo = { data: { values: [{ value: 1 }] }, mark: SOLO_LINE, encoding: { y } };
      return { width: 250, height: 180, title: panel.title, layer: panel.ratio ? [lines, solo] : [lines] };
    }),
  };
}

/** One chart per group of points: a panel per figure, one line per mode; undefined when nothing is done. */
export async function sweepGroupChart(points: LoadedPoint[], modes: string[]): Promise<string | undefined> {
  const spec = sweepGroupSpec(points, modes);
  return spec ? renderChart(spec) : undefined;
}

const ratio = (v: number | undefined) => (v === undefined ? '-' : esc(formatSummaryValue({ hint: 'ratio', value: v })));

/** Every point of the sweep, skipped and failed ones with their reason under their status. */
export function pointsTable(points: LoadedPoint[]): string {
  const rows = points.map((p) => {
    const q = p.point;
    const f = pointFigures(p);
    const why = q.reason ?? p.problem;
    const status = `<span class="status">${esc(q.status + (p.problem ? ' (unreadable)' : ''))}</span>${why ? `<br><span class="reason">${esc(why)}</span>` : ''}`;
    return [
      esc(q.id),
      String(q.procs),
      esc(q.mode),
      status,
      ratio(f.aggregateVsSolo),
      ratio(f.slowdownMedian),
      ratio(f.p99VsSolo),
      f.fairness === undefined ? '-' : f.fairness.toFixed(3),
      q.switches === undefined ? '-' : Math.round(q.switches).toLocaleString('en-US'),
      q.overheadPct === undefined ? '-' : `${q.overheadPct.toFixed(1)}%`,
    ];
  });
  return table(
    ['point', 'procs', 'mode', 'status', 'aggregate vs solo', 'median slowdown', 'worst p99 vs solo', 'fairness', 'switches', 'switch overhead'],
    rows,
  ).replace(/<td><span class="status">/g, '<td class="status"><span class="status">');
}

/**
 * The sweep's verdict, one line per group: at the group's most processes, the mode with the most
 * aggregate throughput against solo and the one with the lowest worst p99 against solo, each beside
 * the other modes' values.
 */
export function sweepVerdict(points: LoadedPoint[]): Array<{ group: string; text: string }> {
  const out: Array<{ group: string; text: string }> = [];
  for (const group of [...new Set(points.map(groupOf))]) {
    const done = points.filter((p) => groupOf(p) === group && p.point.status === 'done');
    if (done.length === 0) continue;
    const procs = Math.max(...done.map((p) => p.point.procs));
    const at = done.filter((p) => p.point.procs === procs).map((p) => ({ mode: p.point.mode, f: pointFigures(p) }));
    const pick = (key: 'aggregateVsSolo' | 'p99VsSolo', best: 'max' | 'min', what: string) => {
      const known = at.filter((x) => x.f[key] !== undefined);
      if (known.length === 0) return undefined;
      const winner = known.reduce((a, b) => ((best === 'max' ? b.f[key]! > a.f[key]! : b.f[key]! < a.f[key]!) ? b : a));
      const others = known.filter((x) => x !== winner).map((x) => `${x.mode} ${formatSummaryValue({ hint: 'ratio', value: x.f[key]! })}`);
      return `${what}: ${winner.mode} ${formatSummaryValue({ hint: 'ratio', value: winner.f[key]! })}${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
    };
    const parts = [pick('aggregateVsSolo', 'max', 'most aggregate throughput vs solo'), pick('p99VsSolo', 'min', 'lowest worst-client p99 vs solo')];
    const said = parts.filter((x): x is string => x !== undefined);
    if (said.length > 0) out.push({ group, text: `at ${procs} process${procs === 1 ? '' : 'es'}, ${said.join('; ')}` });
  }
  return out;
}

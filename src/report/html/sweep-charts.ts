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

const PANELS: Array<{ key: keyof PointFigures; title: string; format: string }> = [
  { key: 'aggregateThroughput', title: 'aggregate throughput (launch/s)', format: ',.0f' },
  { key: 'aggregateVsSolo', title: 'aggregate throughput vs solo', format: '.2f' },
  { key: 'p99VsSolo', title: 'worst client p99 latency vs solo', format: '.2f' },
];

/** One chart per group of points: a panel per figure, one line per mode; undefined when nothing is done. */
export async function sweepGroupChart(points: LoadedPoint[], modes: string[]): Promise<string | undefined> {
  const panels = PANELS.map((panel) => ({
    panel,
    values: points.flatMap((p) => {
      const v = p.point.status === 'done' ? pointFigures(p)[panel.key] : undefined;
      return v === undefined ? [] : [{ procs: p.point.procs, mode: p.point.mode, value: v }];
    }),
  })).filter((x) => x.values.length > 0);
  if (panels.length === 0) return undefined;
  const color = { field: 'mode', type: 'nominal' as const, title: 'mode', scale: { domain: modes, range: modes.map((_, i) => clientColor(i)) } };
  const spec: TopLevelSpec = {
    hconcat: panels.map(({ panel, values }) => ({
      width: 250,
      height: 180,
      title: panel.title,
      data: { values },
      mark: { type: 'line' as const, point: true },
      encoding: {
        x: { field: 'procs', type: 'ordinal' as const, title: 'processes', axis: { labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative' as const, title: null, axis: { format: panel.format } },
        color,
      },
    })),
  };
  return renderChart(spec);
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

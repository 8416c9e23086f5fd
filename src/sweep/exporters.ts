// The sweep's comparison as a terminal table, CSV and Markdown: one exporter interface, three
// renderings of the same rows. The terminal table is the full one unless a compact layout is asked for.
// A point measured several times (--runs) shows its ratios as the median with its confidence interval,
// "1.05× [1.02–1.08]"; the CSV then has a runs column and each interval's bounds in columns of their
// own ("aggregate vs solo low", "… high").
import Table from 'cli-table3';
import { type GridColumn, renderGrid, type TextLayout, WIDE } from '../report/layout.js';
import type { PointSummary } from '../report/sweep-schema.js';

type IntervalKey = keyof NonNullable<PointSummary['ci']>;

interface Column {
  name: string;
  value: (p: PointSummary) => string | number | undefined;
  /** Text for humans (table, Markdown); CSV gets the raw value. */
  format?: (v: number) => string;
  /** The figure's confidence interval over repeated runs, and how a bound is written. */
  interval?: { key: IntervalKey; bound: (v: number) => string };
  /** The compact table: its rank and short title (see GridColumn); without a rank, only in the full table. */
  rank?: number;
  short?: string;
}

const ratio = (v: number) => `${v.toFixed(2)}×`;
const ratioBound = (v: number) => v.toFixed(2);
const fairness = (v: number) => v.toFixed(3);
const COLUMNS: Column[] = [
  { name: 'kernel', value: (p) => p.kernel, rank: 0 },
  { name: 'size', value: (p) => p.size, rank: 0 },
  { name: 'loop', value: (p) => p.loop, rank: 4 },
  { name: 'mode', value: (p) => (p.options.mpsThreads !== undefined ? `${p.mode} ${p.options.mpsThreads}%` : p.mode), rank: 0 },
  { name: 'procs', value: (p) => p.procs, rank: 0 },
  {
    name: 'aggregate vs solo',
    value: (p) => p.aggregateVsSolo,
    format: ratio,
    interval: { key: 'aggregateVsSolo', bound: ratioBound },
    rank: 1,
    short: 'aggregate',
  },
  { name: 'slowdown (median)', value: (p) => p.slowdownMedian, format: ratio, interval: { key: 'slowdownMedian', bound: ratioBound } },
  {
    name: 'slowdown (worst)',
    value: (p) => p.slowdownMax,
    format: ratio,
    interval: { key: 'slowdownMax', bound: ratioBound },
    rank: 2,
    short: 'worst slowdown',
  },
  { name: 'p99 vs solo (worst)', value: (p) => p.p99VsSolo, format: ratio, interval: { key: 'p99VsSolo', bound: ratioBound }, rank: 2, short: 'p99 vs solo' },
  { name: 'fairness', value: (p) => p.fairness, format: fairness, interval: { key: 'fairness', bound: fairness } },
  { name: 'switches/s', value: (p) => p.switchesPerSecond, format: (v) => v.toFixed(0) },
  { name: 'switch overhead', value: (p) => p.overheadPct, format: (v) => `${v.toFixed(1)}%`, rank: 3, short: 'switching' },
  { name: 'shared CTA-edge bins', value: (p) => p.coRunningPct, format: (v) => `${v.toFixed(0)}%` },
  { name: 'status', value: (p) => (p.status === 'done' ? 'ok' : `${p.status}${p.reason ? `: ${p.reason}` : ''}`), rank: 0 },
];

const rightAligned = (c: Column) => Boolean(c.format) || c.name === 'size' || c.name === 'procs';

function cell(c: Column, p: PointSummary, human: boolean): string {
  const v = c.value(p);
  if (v === undefined) return human ? '-' : '';
  if (typeof v === 'number' && human && c.format) {
    const ci = c.interval ? p.ci?.[c.interval.key] : undefined;
    return ci ? `${c.format(v)} [${c.interval!.bound(ci.low)}–${c.interval!.bound(ci.high)}]` : c.format(v);
  }
  return String(v);
}

/** CSV: with repeated runs, the runs and every interval's bounds as columns of their own, after the figure's. */
function csvColumns(points: readonly PointSummary[]): Column[] {
  if (!points.some((p) => p.runs !== undefined)) return COLUMNS;
  const out: Column[] = [];
  for (const c of COLUMNS) {
    if (c.name === 'status') out.push({ name: 'runs', value: (p) => p.runs });
    out.push(c);
    if (c.interval) {
      const key = c.interval.key;
      out.push({ name: `${c.name} low`, value: (p) => p.ci?.[key]?.low }, { name: `${c.name} high`, value: (p) => p.ci?.[key]?.high });
    }
  }
  return out;
}

export interface Exporter {
  extension: string;
  /** The points as text; the terminal table takes a layout (full by default). */
  render(points: PointSummary[], layout?: TextLayout): string;
}

/** The compact table: the ranked columns, the status wrapping to the width left. */
function compactTable(points: PointSummary[], layout: TextLayout): string {
  const columns = COLUMNS.map(
    (c): GridColumn => ({
      title: c.name,
      align: rightAligned(c) ? 'right' : 'left',
      ...(c.rank !== undefined ? { rank: c.rank } : {}),
      ...(c.short ? { short: c.short } : {}),
      ...(c.name === 'status' ? { wrap: true } : {}),
    }),
  );
  return renderGrid({ columns, rows: points.map((p) => COLUMNS.map((c) => cell(c, p, true))) }, layout);
}

export const tableExporter: Exporter = {
  extension: 'txt',
  render(points, layout = WIDE) {
    if (!layout.wide || layout.format === 'markdown') return compactTable(points, layout);
    const table = new Table({
      head: COLUMNS.map((c) => c.name),
      style: { head: [], border: [] },
      colAligns: COLUMNS.map((c) => (rightAligned(c) ? 'right' : 'left')),
      wordWrap: true,
      colWidths: COLUMNS.map((c) => (c.name === 'status' ? 40 : null)),
    });
    for (const p of points) table.push(COLUMNS.map((c) => cell(c, p, true)));
    return table.toString();
  },
};

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvExporter: Exporter = {
  extension: 'csv',
  render(points) {
    const columns = csvColumns(points);
    const head = columns.map((c) => csvField(c.name)).join(',');
    return [head, ...points.map((p) => columns.map((c) => csvField(cell(c, p, false))).join(','))].join('\n') + '\n';
  },
};

export const markdownExporter: Exporter = {
  extension: 'md',
  render(points) {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    const lines = [`| ${COLUMNS.map((c) => c.name).join(' | ')} |`, `|${COLUMNS.map((c) => (c.format ? ' ---: ' : ' --- ')).join('|')}|`];
    for (const p of points) lines.push(`| ${COLUMNS.map((c) => esc(cell(c, p, true))).join(' | ')} |`);
    return lines.join('\n') + '\n';
  },
};

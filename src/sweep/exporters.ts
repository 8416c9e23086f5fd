// The sweep's comparison as a terminal table, CSV and Markdown: one exporter interface, three
// renderings of the same rows. A point measured several times (--runs) shows its ratios as the median
// with its confidence interval, "1.05× [1.02–1.08]"; the CSV then has a runs column and each
// interval's bounds in columns of their own ("aggregate vs solo low", "… high").
import Table from 'cli-table3';
import type { PointSummary } from '../report/sweep-schema.js';

type IntervalKey = keyof NonNullable<PointSummary['ci']>;

interface Column {
  name: string;
  value: (p: PointSummary) => string | number | undefined;
  /** Text for humans (table, Markdown); CSV gets the raw value. */
  format?: (v: number) => string;
  /** The figure's confidence interval over repeated runs, and how a bound is written. */
  interval?: { key: IntervalKey; bound: (v: number) => string };
}

const ratio = (v: number) => `${v.toFixed(2)}×`;
const ratioBound = (v: number) => v.toFixed(2);
const fairness = (v: number) => v.toFixed(3);
const COLUMNS: Column[] = [
  { name: 'kernel', value: (p) => p.kernel },
  { name: 'size', value: (p) => p.size },
  { name: 'loop', value: (p) => p.loop },
  { name: 'mode', value: (p) => (p.options.mpsThreads !== undefined ? `${p.mode} ${p.options.mpsThreads}%` : p.mode) },
  { name: 'procs', value: (p) => p.procs },
  { name: 'aggregate vs solo', value: (p) => p.aggregateVsSolo, format: ratio, interval: { key: 'aggregateVsSolo', bound: ratioBound } },
  { name: 'slowdown (median)', value: (p) => p.slowdownMedian, format: ratio, interval: { key: 'slowdownMedian', bound: ratioBound } },
  { name: 'slowdown (worst)', value: (p) => p.slowdownMax, format: ratio, interval: { key: 'slowdownMax', bound: ratioBound } },
  { name: 'p99 vs solo (worst)', value: (p) => p.p99VsSolo, format: ratio, interval: { key: 'p99VsSolo', bound: ratioBound } },
  { name: 'fairness', value: (p) => p.fairness, format: fairness, interval: { key: 'fairness', bound: fairness } },
  { name: 'switches/s', value: (p) => p.switchesPerSecond, format: (v) => v.toFixed(0) },
  { name: 'switch overhead', value: (p) => p.overheadPct, format: (v) => `${v.toFixed(1)}%` },
  { name: 'shared CTA-edge bins', value: (p) => p.coRunningPct, format: (v) => `${v.toFixed(0)}%` },
  { name: 'status', value: (p) => (p.status === 'done' ? 'ok' : `${p.status}${p.reason ? `: ${p.reason}` : ''}`) },
];

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
  render(points: PointSummary[]): string;
}

export const tableExporter: Exporter = {
  extension: 'txt',
  render(points) {
    const table = new Table({
      head: COLUMNS.map((c) => c.name),
      style: { head: [], border: [] },
      colAligns: COLUMNS.map((c) => (c.format || c.name === 'size' || c.name === 'procs' ? 'right' : 'left')),
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

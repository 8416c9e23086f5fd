// The sweep's comparison as a terminal table, CSV and Markdown: one exporter interface, three
// renderings of the same rows.
import Table from 'cli-table3';
import type { PointSummary } from '../report/sweep-schema.js';

interface Column {
  name: string;
  value: (p: PointSummary) => string | number | undefined;
  /** Text for humans (table, Markdown); CSV gets the raw value. */
  format?: (v: number) => string;
}

const ratio = (v: number) => `${v.toFixed(2)}×`;
const COLUMNS: Column[] = [
  { name: 'kernel', value: (p) => p.kernel },
  { name: 'size', value: (p) => p.size },
  { name: 'loop', value: (p) => p.loop },
  { name: 'mode', value: (p) => (p.options.mpsThreads !== undefined ? `${p.mode} ${p.options.mpsThreads}%` : p.mode) },
  { name: 'procs', value: (p) => p.procs },
  { name: 'aggregate vs solo', value: (p) => p.aggregateVsSolo, format: ratio },
  { name: 'slowdown (median)', value: (p) => p.slowdownMedian, format: ratio },
  { name: 'slowdown (worst)', value: (p) => p.slowdownMax, format: ratio },
  { name: 'p99 vs solo (worst)', value: (p) => p.p99VsSolo, format: ratio },
  { name: 'fairness', value: (p) => p.fairness, format: (v) => v.toFixed(3) },
  { name: 'switches/s', value: (p) => p.switchesPerSecond, format: (v) => v.toFixed(0) },
  { name: 'switch overhead', value: (p) => p.overheadPct, format: (v) => `${v.toFixed(1)}%` },
  { name: 'shared CTA-edge bins', value: (p) => p.coRunningPct, format: (v) => `${v.toFixed(0)}%` },
  { name: 'status', value: (p) => (p.status === 'done' ? 'ok' : `${p.status}${p.reason ? `: ${p.reason}` : ''}`) },
];

function cell(c: Column, p: PointSummary, human: boolean): string {
  const v = c.value(p);
  if (v === undefined) return human ? '-' : '';
  if (typeof v === 'number' && human && c.format) return c.format(v);
  return String(v);
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
    const head = COLUMNS.map((c) => csvField(c.name)).join(',');
    return [head, ...points.map((p) => COLUMNS.map((c) => csvField(cell(c, p, false))).join(','))].join('\n') + '\n';
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

// A generic table of tagged summaries: one row per item, label columns first, then one column per
// summary tag in order of first appearance, named by the summary and formatted by its hint. A row
// without a summary shows "-"; a row's note (why it has no numbers) goes in the last column.
import Table from 'cli-table3';
import { maxOf } from '../metrics/stats.js';
import type { Summary } from '../metrics/summary.js';
import { formatSummaryValue } from './format.js';

export interface SummaryRow {
  labels: string[];
  summaries: Summary[];
  note?: string;
}

export function summaryTable(labelHeads: string[], rows: SummaryRow[]): string {
  const seen = new Map<string, string>();
  for (const row of rows) for (const s of row.summaries) if (!seen.has(s.tag)) seen.set(s.tag, s.name);
  const cols = [...seen];
  const withNotes = rows.some((r) => r.note);
  const table = new Table({
    head: [...labelHeads, ...cols.map(([, name]) => name), ...(withNotes ? ['note'] : [])],
    style: { head: [], border: [] },
    colAligns: [...labelHeads.map(() => 'left' as const), ...cols.map(() => 'right' as const), ...(withNotes ? ['left' as const] : [])],
  });
  for (const row of rows) {
    const cells = cols.map(([tag]) => {
      const s = row.summaries.find((x) => x.tag === tag);
      return s ? formatSummaryValue(s) : '-';
    });
    table.push([...row.labels, ...cells, ...(withNotes ? [row.note ?? ''] : [])]);
  }
  return table.toString();
}

/** "name  value" lines under a title; empty when there is nothing to list. */
export function summaryList(title: string, items: Array<{ name: string; text: string }>): string {
  if (items.length === 0) return '';
  const width = maxOf(items.map((i) => i.name.length));
  return [title, ...items.map((i) => `  ${i.name.padEnd(width)}  ${i.text}`)].join('\n');
}

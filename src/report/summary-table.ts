// A generic table of tagged summaries: one row per item, label columns first, then one column per
// summary tag in order of first appearance, named by the summary and formatted by its hint. A row
// without a summary shows "-"; a row's note (why it has no numbers) goes in the last column.
import type { Summary } from '../metrics/summary.js';
import { formatSummaryValue } from './format.js';
import { type GridColumn, renderGrid, renderList, type TextLayout, WIDE } from './layout.js';

export interface SummaryRow {
  labels: string[];
  summaries: Summary[];
  note?: string;
}

/** The summary columns the compact layout shows, by tag: a short title and a rank (see GridColumn); the labels and the note are always shown. */
export type CompactColumns = Readonly<Record<string, { short?: string; rank: number }>>;

export function summaryTable(labelHeads: string[], rows: SummaryRow[], layout: TextLayout = WIDE, compact: CompactColumns = {}): string {
  const seen = new Map<string, string>();
  for (const row of rows) for (const s of row.summaries) if (!seen.has(s.tag)) seen.set(s.tag, s.name);
  const cols = [...seen];
  const withNotes = rows.some((r) => r.note);
  const columns: GridColumn[] = [
    ...labelHeads.map((title): GridColumn => ({ title, rank: 0 })),
    ...cols.map(([tag, name]): GridColumn => ({ title: name, align: 'right', ...(compact[tag] ?? {}) })),
    ...(withNotes ? [{ title: 'note', rank: 0, wrap: true }] : []),
  ];
  const cells = rows.map((row) => [
    ...row.labels,
    ...cols.map(([tag]) => {
      const s = row.summaries.find((x) => x.tag === tag);
      return s ? formatSummaryValue(s) : '-';
    }),
    ...(withNotes ? [row.note ?? ''] : []),
  ]);
  return renderGrid({ columns, rows: cells }, layout);
}

/** "name  value" lines under a title; empty when there is nothing to list. */
export function summaryList(title: string, items: Array<{ name: string; text: string }>): string {
  return renderList(title, items, WIDE);
}

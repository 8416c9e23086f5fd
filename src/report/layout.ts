// How the printed results are laid out: as a terminal table or as Markdown, compact or wide, and the
// width a compact table must fit. A table is a grid (titles, cells, and per column whether the compact
// layout shows it and how soon it is dropped); one grid has three renderings: the full table with every
// column and a rule between rows (--wide), the compact table (the columns that matter, the least
// important dropped until it fits the terminal) and a GitHub Markdown table.
import Table from 'cli-table3';

/** What `--format` prints: a terminal table, Markdown (GitHub tables), or the result itself as JSON. */
export const OUTPUT_FORMATS = ['table', 'markdown', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface TextLayout {
  format: 'table' | 'markdown';
  /** Every column (--wide); otherwise the compact table. */
  wide: boolean;
  /** The width a compact terminal table must fit (the terminal's columns). */
  columns: number;
}

/** The width assumed when stdout is no terminal and COLUMNS does not say (a log, a pipe, CI). */
export const DEFAULT_COLUMNS = 120;

/** The full tables, as the library functions print them unless asked otherwise. */
export const WIDE: TextLayout = { format: 'table', wide: true, columns: Number.POSITIVE_INFINITY };

/** The terminal's width: the TTY's columns, else COLUMNS (a plain decimal, 40 or more), else DEFAULT_COLUMNS. */
export function terminalColumns(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  const fromEnv = env.COLUMNS?.trim() ?? '';
  if (/^\d{1,5}$/.test(fromEnv) && Number(fromEnv) >= 40) return Number(fromEnv);
  return DEFAULT_COLUMNS;
}

export interface GridColumn {
  title: string;
  align?: 'left' | 'right';
  /**
   * Whether the compact layout shows the column: absent, only the wide one does; 0, always (labels);
   * 1 and up, until the table is too wide for the terminal, the highest rank dropped first.
   */
  rank?: number;
  /** The title in the compact layout (default: title). */
  short?: string;
  /** Compact layout: text that wraps to the width the other columns leave (a note); at most one column. */
  wrap?: boolean;
}

export interface Grid {
  columns: GridColumn[];
  rows: string[][];
}

/** The width of a printed line, in terminal cells (code points: the tables hold no wide characters). */
export function textWidth(text: string): number {
  let widest = 0;
  for (const line of text.split('\n')) widest = Math.max(widest, [...line].length);
  return widest;
}

/** The narrowest a wrapping column is made. */
const MIN_WRAP = 16;

function bordered(columns: GridColumn[], rows: string[][], compact: boolean, width = Number.POSITIVE_INFINITY): string {
  const make = (cols: GridColumn[], colWidths?: Array<number | null>) => {
    const table = new Table({
      head: cols.map((c) => (compact ? (c.short ?? c.title) : c.title)),
      style: { head: [], border: [], compact },
      colAligns: cols.map((c) => c.align ?? 'left'),
      ...(colWidths ? { colWidths, wordWrap: true } : {}),
    });
    return table;
  };
  const wrap = compact && Number.isFinite(width) ? columns.findIndex((c) => c.wrap) : -1;
  let colWidths: Array<number | null> | undefined;
  if (wrap >= 0) {
    // The others' width first; the wrapping column takes what is left of the line (its border included).
    const others = make(columns.filter((_, i) => i !== wrap));
    for (const row of rows) others.push(row.filter((_, i) => i !== wrap));
    const left = width - textWidth(others.toString()) - 1;
    const head = columns[wrap]!;
    const natural = Math.max(textWidth(head.short ?? head.title), ...rows.map((r) => textWidth(r[wrap] ?? ''))) + 2;
    if (left < natural) colWidths = columns.map((_, i) => (i === wrap ? Math.max(MIN_WRAP, left) : null));
  }
  const table = make(columns, colWidths);
  for (const row of rows) table.push(row);
  return table.toString();
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub Markdown table. */
export function markdownTable(columns: GridColumn[], rows: string[][], short = false): string {
  const head = `| ${columns.map((c) => escapeCell(short ? (c.short ?? c.title) : c.title)).join(' | ')} |`;
  const rule = `|${columns.map((c) => (c.align === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [head, rule, ...rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`)].join('\n');
}

/** The columns of the compact layout that fit `width`: the ranked ones, dropping the highest ranks while the table is wider. */
function fitted(grid: Grid, width: number): number[] {
  let kept = grid.columns.flatMap((c, i) => (c.rank === undefined ? [] : [i]));
  const render = (keep: number[]) =>
    bordered(
      keep.map((i) => grid.columns[i]!),
      grid.rows.map((r) => keep.map((i) => r[i] ?? '')),
      true,
      width,
    );
  while (textWidth(render(kept)) > width) {
    const droppable = kept.filter((i) => (grid.columns[i]!.rank ?? 0) > 0);
    if (droppable.length === 0) break;
    const highest = Math.max(...droppable.map((i) => grid.columns[i]!.rank!));
    // Of the columns of the highest rank, the last goes first.
    const drop = droppable.filter((i) => grid.columns[i]!.rank === highest).at(-1)!;
    kept = kept.filter((i) => i !== drop);
  }
  return kept;
}

/** The grid in the layout: the full table, the compact one fitted to the width, or Markdown. */
export function renderGrid(grid: Grid, layout: TextLayout): string {
  const all = grid.columns.map((_, i) => i);
  const keep = layout.wide ? all : layout.format === 'markdown' ? all.filter((i) => grid.columns[i]!.rank !== undefined) : fitted(grid, layout.columns);
  const columns = keep.map((i) => grid.columns[i]!);
  const rows = grid.rows.map((r) => keep.map((i) => r[i] ?? ''));
  if (layout.format === 'markdown') return markdownTable(columns, rows, !layout.wide);
  return bordered(columns, rows, !layout.wide, layout.columns);
}

/** "title" and "name  value" lines, or in Markdown a bold title over a two-column table; empty when there is nothing to list. */
export function renderList(title: string, items: ReadonlyArray<{ name: string; text: string }>, layout: TextLayout): string {
  if (items.length === 0) return '';
  if (layout.format === 'markdown') {
    return [
      `**${title}**`,
      '',
      markdownTable(
        [{ title: 'figure' }, { title: 'value', align: 'right' }],
        items.map((i) => [i.name, i.text]),
      ),
    ].join('\n');
  }
  const width = Math.max(...items.map((i) => i.name.length));
  return [title, ...items.map((i) => `  ${i.name.padEnd(width)}  ${i.text}`)].join('\n');
}

/** Lines of plain text as they are (a terminal), or in a fenced block (Markdown). */
export function renderPreformatted(text: string, layout: TextLayout): string {
  if (text === '' || layout.format !== 'markdown') return text;
  return ['```text', text, '```'].join('\n');
}

// The merged comparison as text: the nodes (host, GPU, where from), then one row per point and node
// with its headline figures side by side (a node that ran the point several times, --runs: the median
// and its confidence interval, "1.05× [1.02–1.08]"), and per point a spread row (median [min–max],
// max/min) where two or more nodes measured it.
import { type GridColumn, renderGrid, type TextLayout, WIDE } from './layout.js';
import { type Intervals, MERGED_FIGURES, type MergedComparison, type MergedFigure, type Spread } from './merged-schema.js';

export const FIGURE_TITLES: Record<MergedFigure, string> = {
  aggregateVsSolo: 'aggregate vs solo',
  slowdownMedian: 'slowdown (median)',
  p99VsSolo: 'p99 vs solo (worst)',
  switchesPerSecond: 'switches/s',
  overheadPct: 'switch overhead',
};

/** A figure as the sweep table writes it. */
export function formatFigure(figure: MergedFigure, v: number | undefined): string {
  if (v === undefined) return '-';
  if (figure === 'switchesPerSecond') return v.toFixed(0);
  if (figure === 'overheadPct') return `${v.toFixed(1)}%`;
  return `${v.toFixed(2)}×`;
}

/** A node's figure, with its interval over the node's runs where it has one: "1.05× [1.02–1.08]". */
export function formatNodeFigure(figure: MergedFigure, v: number | undefined, ci: Intervals | undefined): string {
  const interval = v !== undefined && figure in (ci ?? {}) ? ci![figure as keyof Intervals] : undefined;
  if (!interval) return formatFigure(figure, v);
  return `${formatFigure(figure, v)} [${interval.low.toFixed(2)}–${interval.high.toFixed(2)}]`;
}

/** A spread in one cell: median [min–max] ×max/min. */
export function formatSpread(figure: MergedFigure, s: Spread | undefined): string {
  if (!s) return '-';
  if (s.n === 1) return formatFigure(figure, s.median);
  const ratio = s.ratio !== undefined ? ` ÷${s.ratio.toFixed(2)}` : '';
  return `${formatFigure(figure, s.median)} [${formatFigure(figure, s.min)}–${formatFigure(figure, s.max)}]${ratio}`;
}

function nodesTable(m: MergedComparison, layout: TextLayout): string {
  const columns: GridColumn[] = [
    { title: 'node', rank: 0 },
    { title: 'host', rank: 0 },
    { title: 'GPU', rank: 0 },
    { title: 'UUID', rank: 2 },
    { title: 'from', rank: 1 },
  ];
  return renderGrid({ columns, rows: m.nodes.map((n) => [n.id, n.hostname, n.gpuName, n.gpuUuid ?? '-', n.source]) }, layout);
}

/** The compact table's rank of each figure (see GridColumn). */
const FIGURE_RANKS: Record<MergedFigure, number> = { aggregateVsSolo: 1, slowdownMedian: 2, p99VsSolo: 3, overheadPct: 4, switchesPerSecond: 5 };

function pointsTable(m: MergedComparison, layout: TextLayout): string {
  const columns: GridColumn[] = [
    { title: 'point', rank: 0 },
    { title: 'node', rank: 0 },
    ...MERGED_FIGURES.map((f): GridColumn => ({ title: FIGURE_TITLES[f], rank: FIGURE_RANKS[f] })),
  ];
  const rows: string[][] = [];
  for (const p of m.points) {
    for (const e of p.nodes) {
      const cells = e.status === 'done' ? MERGED_FIGURES.map((f) => formatNodeFigure(f, e.figures[f], e.ci)) : MERGED_FIGURES.map(() => '-');
      rows.push([p.id, e.status === 'done' ? e.node : `${e.node} (${e.status})`, ...cells]);
    }
    if (p.nodes.filter((e) => e.status === 'done').length > 1) {
      rows.push(['', 'spread: median [min–max] ÷max/min', ...MERGED_FIGURES.map((f) => formatSpread(f, p.spread[f]))]);
    }
  }
  return renderGrid({ columns, rows }, layout);
}

/** The whole comparison as text: the full tables by default, compact or Markdown as `layout` says. */
export function formatMerged(m: MergedComparison, layout: TextLayout = WIDE): string {
  const shared = m.points.filter((p) => p.nodes.filter((e) => e.status === 'done').length > 1).length;
  const models = m.models.map((x) => `${x.gpuName} (${x.nodes.length})`).join(', ');
  return [
    `${m.nodes.length} node${m.nodes.length === 1 ? '' : 's'} (${models}) from ${m.sources.length} director${m.sources.length === 1 ? 'y' : 'ies'}; ${m.points.length} points, ${shared} measured on two or more nodes`,
    nodesTable(m, layout),
    pointsTable(m, layout),
    ...(m.points.some((p) => p.nodes.some((e) => e.runs !== undefined))
      ? ["A node's row with --runs: the median over its runs and [its confidence interval]; a spread row: the median over the nodes [their min–max]."]
      : []),
  ].join(layout.format === 'markdown' ? '\n\n' : '\n');
}

// The report page of a merged comparison (`gpushare-micro merge` → OUT/merged.json): what was merged,
// the nodes, and every point with each node's figures and their node-to-node spread. Tables only.
import type { MergedComparison } from '../merged-schema.js';
import { MERGED_FIGURES } from '../merged-schema.js';
import { formatFigure, formatSpread, FIGURE_TITLES } from '../merged-table.js';
import { blockHtml, esc, facts, note, table } from './page.js';

export function mergedView(dir: string, m: MergedComparison): { title: string; subtitle: string; body: string } {
  const about = facts([
    ['directory', `<code>${esc(dir)}</code>`],
    ['merged', esc(`${m.createdAt} from ${m.sources.length} results director${m.sources.length === 1 ? 'y' : 'ies'}`)],
    ['sources', m.sources.map((s) => `<code>${esc(s.dir)}</code> (${s.points} points, ${esc(s.createdAt)})`).join('<br>')],
    ['GPU models', esc(m.models.map((x) => `${x.gpuName}: ${x.nodes.join(', ')}`).join('; '))],
  ]);
  const nodes = table(
    ['node', 'host', 'GPU', 'UUID', 'from'],
    m.nodes.map((n) => [esc(n.id), esc(n.hostname), esc(n.gpuName), esc(n.gpuUuid ?? '-'), `<code>${esc(n.source)}</code>`]),
  );
  const rows: string[][] = [];
  for (const p of m.points) {
    for (const e of p.nodes) {
      const cells = MERGED_FIGURES.map((f) => (e.status === 'done' ? esc(formatFigure(f, e.figures[f])) : '-'));
      rows.push([esc(p.id), esc(e.status === 'done' ? e.node : `${e.node} (${e.status}${e.reason ? `: ${e.reason}` : ''})`), ...cells]);
    }
    if (p.nodes.filter((e) => e.status === 'done').length > 1) {
      rows.push(['', '<em>spread: median [min–max] ÷max/min</em>', ...MERGED_FIGURES.map((f) => `<em>${esc(formatSpread(f, p.spread[f]))}</em>`)]);
    }
  }
  const shared = m.points.filter((p) => p.nodes.filter((e) => e.status === 'done').length > 1).length;
  const body = [
    blockHtml({ key: 'about', title: 'What was merged', html: about }),
    blockHtml({ key: 'nodes', title: 'Nodes', html: nodes }),
    '<h2>Every point, node by node</h2>',
    shared === 0 ? note('No point was measured on two or more nodes: there is no spread to show, only the nodes side by side.') : '',
    blockHtml({ key: 'points', title: 'Points', html: table(['point', 'node', ...MERGED_FIGURES.map((f) => esc(FIGURE_TITLES[f]))], rows) }),
  ];
  return {
    title: 'gpushare-micro merged comparison',
    subtitle: esc(`${m.nodes.length} nodes — ${m.models.map((x) => x.gpuName).join(', ')} — ${m.points.length} points, ${shared} on two or more nodes`),
    body: body.join('\n'),
  };
}

// Two run results side by side: which is the better run and by how much first, then the headline
// figures of both with their ratio B/A and the better of the two marked where a figure has a direction
// (more throughput is better, more latency is worse), then every block of both reports in pairs.
import { headline } from '../headline.js';
import type { Summary } from '../../metrics/summary.js';
import { formatSummaryValue } from '../format.js';
import type { LoadedRun } from '../inputs.js';
import { blockHtml, esc, note, table, type Block } from './page.js';
import { describeWork, runBlocks } from './run-blocks.js';

/** Figures where more is better, and where less is; the others (slice lengths, ...) are not marked. */
const HIGHER_BETTER = new Set(['aggregate.vsSolo', 'aggregate.throughput', 'aggregate.tflops', 'fairness', 'occupancy.busy']);
const LOWER_BETTER = new Set([
  'slowdown.max',
  'latency.p99.vsSolo.max',
  'switch.count',
  'switch.perSecond',
  'switchGap.p50',
  'switchGap.p99',
  'switchGap.max',
  'switch.overhead',
  'occupancy.idle',
  'startSkew',
  'gpuStartSkew',
]);

/** One row of the comparison: a figure of A and of B (either may be missing). */
export interface ComparedFigure {
  tag: string;
  name: string;
  a?: Summary;
  b?: Summary;
  /** B / A, where both are numbers and A is not 0. */
  ratio?: number;
  /** The better run where the figure has a direction and both have it; 'same' when equal as printed; 'noise' when their intervals overlap. */
  better?: 'A' | 'B' | 'same' | 'noise';
}

/** The worst p99 against solo of a run (headline()'s), as a summary with the interval of the client it comes from. */
function worstP99(r: LoadedRun['result']): Summary | undefined {
  const h = headline(r);
  const v = h.worstP99VsSolo;
  if (v === undefined) return undefined;
  const ci = h.intervals?.worstP99VsSolo;
  return { tag: 'latency.p99.vsSolo.max', name: 'worst client p99 latency vs solo', hint: 'ratio', value: v, ...(ci ? { ci } : {}) };
}

/** The headline figures of a run, in the order the comparison lists them. */
function figuresOf(r: LoadedRun['result']): Summary[] {
  const p99 = worstP99(r);
  return [...r.comparison, ...(p99 ? [p99] : []), ...r.shared.aggregate];
}

function better(tag: string, a: Summary, b: Summary): ComparedFigure['better'] {
  const higher = HIGHER_BETTER.has(tag);
  if (!higher && !LOWER_BETTER.has(tag)) return undefined;
  // Equal as printed (100.0% against 100.0%) is the same: a difference past the printed digits is no better.
  if (a.value === b.value || formatSummaryValue(a) === formatSummaryValue(b)) return 'same';
  if (a.ci && b.ci && a.ci.low <= b.ci.high && b.ci.low <= a.ci.high) return 'noise';
  return b.value > a.value === higher ? 'B' : 'A';
}

/** Every headline figure of A and B, tag by tag (A's order, then B's own), with B/A and the better run. */
export function compareFigures(a: LoadedRun['result'], b: LoadedRun['result']): ComparedFigure[] {
  const [fa, fb] = [figuresOf(a), figuresOf(b)];
  const tags = new Map<string, string>();
  for (const s of [...fa, ...fb]) if (!tags.has(s.tag)) tags.set(s.tag, s.name);
  return [...tags].map(([tag, name]) => {
    const sa = fa.find((s) => s.tag === tag);
    const sb = fb.find((s) => s.tag === tag);
    const row: ComparedFigure = { tag, name, ...(sa ? { a: sa } : {}), ...(sb ? { b: sb } : {}) };
    if (sa && sb) {
      if (sa.value !== 0 && Number.isFinite(sb.value / sa.value)) row.ratio = sb.value / sa.value;
      const mark = better(tag, sa, sb);
      if (mark) row.better = mark;
    }
    return row;
  });
}

const ratioText = (v: number) => formatSummaryValue({ hint: 'ratio', value: v });

/** The verdict of the comparison: the better run by aggregate throughput against solo (else aggregate throughput), and its tally. */
export function betterRun(rows: ComparedFigure[]): { run?: 'A' | 'B'; text: string } {
  const marked = rows.filter((r) => r.better === 'A' || r.better === 'B');
  const tally = (side: 'A' | 'B') => marked.filter((r) => r.better === side).length;
  const counts = marked.length > 0 ? ` A is better on ${tally('A')}, B on ${tally('B')} of the ${marked.length} figures that have a better direction.` : '';
  const key = rows.find((r) => r.tag === 'aggregate.vsSolo' && r.a && r.b) ?? rows.find((r) => r.tag === 'aggregate.throughput' && r.a && r.b);
  if (!key) return { text: `No figure both runs share decides which is better.${counts}` };
  const values = `${formatSummaryValue(key.b!)} for B against ${formatSummaryValue(key.a!)} for A${key.ratio !== undefined ? `, B/A ${ratioText(key.ratio)}` : ''}`;
  if (key.better === 'noise') return { text: `Neither run is clearly better: their ${key.name} (${values}) lie within each other's intervals.${counts}` };
  if (key.better === 'same' || !key.better) return { text: `The runs tie on ${key.name} (${values}).${counts}` };
  const noInterval = key.a!.ci && key.b!.ci ? '' : ' (measured once each: no interval says how much of it is noise)';
  return { run: key.better, text: `${key.better} is the better run on ${key.name}: ${values}${noInterval}.${counts}` };
}

function cell(s: Summary | undefined, mark: boolean): string {
  if (!s) return '-';
  const text = esc(formatSummaryValue(s));
  return mark ? `<span class="better" title="the better of the two">${text} ✓</span>` : text;
}

function headlinesTable(rows: ComparedFigure[], a: LoadedRun, b: LoadedRun): string {
  return table(
    ['', `A: ${esc(a.label)}`, `B: ${esc(b.label)}`, 'B/A', 'better'],
    rows.map((r) => [
      esc(r.name),
      cell(r.a, r.better === 'A'),
      cell(r.b, r.better === 'B'),
      r.ratio === undefined ? '-' : esc(ratioText(r.ratio)),
      r.better === 'noise' ? 'within the noise' : r.better === 'same' ? 'same' : (r.better ?? ''),
    ]),
  );
}

/** The report of two runs: the better run and the figures with B/A, then both reports block by block. */
export async function comparisonView(a: LoadedRun, b: LoadedRun, width: number): Promise<{ title: string; subtitle: string; body: string }> {
  const [blocksA, blocksB] = [await runBlocks(a, width), await runBlocks(b, width)];
  const keys = [...new Set([...blocksA, ...blocksB].map((x) => x.key))];
  const pairs = keys.map((key) => {
    const pairCell = (blocks: Block[], run: LoadedRun, side: string) => {
      const found = blocks.find((x) => x.key === key);
      const inner = found ? blockHtml(found) : blockHtml({ key, title: key, html: note('Not in this result.') });
      return `<div><p class="pair-label">${side}: ${esc(run.label)}</p>${inner}</div>`;
    };
    return `<div class="pair">${pairCell(blocksA, a, 'A')}${pairCell(blocksB, b, 'B')}</div>`;
  });
  const rows = compareFigures(a.result, b.result);
  const verdict = betterRun(rows);
  const gpu = (run: LoadedRun) => `${run.result.environment.gpu.name} · driver ${run.result.environment.driverVersion ?? '?'}`;
  const same = a.result.environment.gpu.uuid === b.result.environment.gpu.uuid;
  const head = [
    blockHtml({
      key: 'better',
      title: 'Which run is better',
      html: `<ul class="verdict"><li data-better="${verdict.run ?? 'neither'}">${esc(verdict.text)}</li></ul>`,
    }),
    blockHtml({ key: 'headlines', title: 'Headline figures, B against A', html: headlinesTable(rows, a, b) }),
  ];
  return {
    title: 'gpushare-micro report: two runs side by side',
    subtitle: esc(`A: ${describeWork(a.result)} — B: ${describeWork(b.result)}${same ? ` — both on ${gpu(a)}` : ` — A on ${gpu(a)}, B on ${gpu(b)}`}`),
    body: `${head.join('\n')}\n${pairs.join('\n')}`,
  };
}

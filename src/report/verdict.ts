// The verdict: the few lines every measuring command prints before any table, answering the question it
// was asked. For a run: the clients together against one alone (aggregate vs solo), the worst client's
// slowdown, the worst p99 against solo, what switching cost, and each role against its SLO. For a
// scenario: which mode for which objective (src/scenario/verdict.ts) and each role's SLO under each mode.
// For a sweep: aggregate vs solo per mode and the worst points. For bench: the own kernels against their
// libraries and floors. A figure the result has no evidence for is left out, never printed as "n/a".
//
// Each verdict is data (a title, labelled lines, the result's warnings) made by a pure function of the
// result, so the terminal, Markdown and the HTML report print the same words; formatVerdict renders it.
import { type Headline, headline, type HeadlineFigure, type Interval } from './headline.js';
import type { BenchResult } from '../bench/bench.js';
import { type Slo, sloText } from '../clients/slo.js';
import type { Hint, Summary } from '../metrics/summary.js';
import { candidates, sloOutcomeOf, spread } from '../scenario/candidates.js';
import type { ScenarioSummary } from '../scenario/result-schema.js';
import { formatDuration, formatSummaryValue } from './format.js';
import type { TextLayout } from './layout.js';
import type { RunResultJson } from './schema.js';
import type { PointSummary } from './sweep-schema.js';

export interface VerdictLine {
  /** What the line answers: "aggregate vs solo", "SLO infer", ... */
  label: string;
  /** The answer, with its figures. */
  text: string;
}

export interface VerdictBlock {
  title: string;
  lines: VerdictLine[];
  /** What a reader must know before trusting the figures (a result's `warnings`), one line each. */
  warnings: string[];
}

/** "1.05×", or with a confidence interval "1.05× [1.02–1.08]"; percentages "13.7% [12.9–14.5%]" (as every table prints a median of repeated runs). */
export function valueWithInterval(hint: Hint, value: number, ci?: Interval, unit?: string): string {
  return formatSummaryValue({ hint, value, ...(unit ? { unit } : {}), ...(ci ? { ci } : {}) });
}

function interval(h: Headline, key: HeadlineFigure): Interval | undefined {
  return h.intervals?.[key];
}

function tagged(list: readonly Summary[] | undefined, tag: string): number | undefined {
  const v = list?.find((s) => s.tag === tag)?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A shared client as the verdicts name it: "client 3", or "client 3 (infer)" where the run has roles. */
export function clientWho(r: RunResultJson, client: number): string {
  const role = r.shared.clients.find((x) => x.client === client)?.role;
  return r.options.clients.length > 1 && role ? `client ${client} (${role})` : `client ${client}`;
}

/** A shared client's p99 latency, and its role's p99 alone (the baseline it is compared with), where the result has them. */
export function p99AgainstAlone(r: RunResultJson, client: number): { shared?: number; alone?: number } {
  const c = r.shared.clients.find((x) => x.client === client);
  const shared = tagged(c?.summaries, 'latency.p99');
  const base = r.baselines.find((b) => b.role === c?.role) ?? (r.baselines.length === 1 ? r.baselines[0] : undefined);
  const alone = tagged(base?.phase.clients[0]?.summaries, 'latency.p99');
  return { ...(shared !== undefined ? { shared } : {}), ...(alone !== undefined ? { alone } : {}) };
}

/** "client 3: p99 7.98 ms against 784 µs alone". */
function p99Text(r: RunResultJson, client: number): string {
  const { shared, alone } = p99AgainstAlone(r, client);
  const who = clientWho(r, client);
  return shared !== undefined && alone !== undefined ? `${who}: p99 ${formatDuration(shared)} against ${formatDuration(alone)} alone` : who;
}

/** "p99 841 µs ≤ 1.00 ms: met" or "p99 2.58 ms > 1.00 ms: MISSED by 1.58 ms (2.58× the bound)", and the share within it. */
export function sloVerdictText(o: { percentile: string; maxNs: number; measuredNs: number | null; met: boolean; attainment: number }): string {
  const within = `${(o.attainment * 100).toFixed(1)}% of requests within`;
  if (o.measuredNs === null) return `${o.percentile} ≤ ${formatDuration(o.maxNs)}: MISSED, requests never started (${within})`;
  if (o.met) return `${o.percentile} ${formatDuration(o.measuredNs)} ≤ ${formatDuration(o.maxNs)}: met (${within})`;
  const by = `${formatDuration(o.measuredNs - o.maxNs)} (${(o.measuredNs / o.maxNs).toFixed(2)}× the bound)`;
  return `${o.percentile} ${formatDuration(o.measuredNs)} > ${formatDuration(o.maxNs)}: MISSED by ${by} (${within})`;
}

/** The verdict of one run (run, probe): what sharing cost, and each role against its SLO. */
export function runVerdict(r: RunResultJson): VerdictBlock {
  const h = headline(r);
  const lines: VerdictLine[] = [];
  const procs = r.shared.clients.length;
  if (h.aggregateVsSolo !== undefined) {
    const what =
      r.options.clients.length > 1
        ? "each client's share of its role alone, added up"
        : `the ${procs} client${procs === 1 ? '' : 's'} together against one alone`;
    lines.push({ label: 'aggregate vs solo', text: `${valueWithInterval('ratio', h.aggregateVsSolo, interval(h, 'aggregateVsSolo'))}: ${what}` });
  }
  if (h.worstSlowdown !== undefined) {
    const who = h.worstSlowdownClient !== undefined ? `client ${h.worstSlowdownClient}: ` : '';
    const value = valueWithInterval('ratio', h.worstSlowdown, interval(h, 'worstSlowdown'));
    lines.push({ label: 'worst slowdown', text: `${value} (${who}${((1 / h.worstSlowdown) * 100).toFixed(0)}% of its throughput alone)` });
  }
  if (h.worstP99VsSolo !== undefined) {
    const who = h.worstP99Client !== undefined ? ` (${p99Text(r, h.worstP99Client)})` : '';
    lines.push({ label: 'worst p99 vs solo', text: `${valueWithInterval('ratio', h.worstP99VsSolo, interval(h, 'worstP99VsSolo'))}${who}` });
  }
  if (h.switchingOverhead !== undefined) {
    const details = [
      h.switchesPerSecond !== undefined ? `${valueWithInterval('rate', h.switchesPerSecond, interval(h, 'switchesPerSecond'), 'switch/s')}` : '',
      h.switchGapP50 !== undefined ? `median gap ${formatDuration(h.switchGapP50)}` : '',
    ].filter(Boolean);
    const text = `${valueWithInterval('fraction', h.switchingOverhead, interval(h, 'switchingOverhead'))} of the traced time in switch gaps`;
    lines.push({ label: 'switching overhead', text: details.length > 0 ? `${text} (${details.join(', ')})` : text });
  }
  for (const role of r.roles) for (const o of role.slo ?? []) lines.push({ label: `SLO ${role.role}`, text: sloVerdictText(o) });
  if (!r.complete) lines.push({ label: 'INCOMPLETE', text: r.reason ?? 'some clients did not finish: the figures are of those that did' });
  return { title: 'Verdict:', lines, warnings: (r.warnings ?? []).map((w) => w.message) };
}

const OBJECTIVE_LABELS: Record<string, string> = { slo: 'SLOs', throughput: 'throughput', fairness: 'fairness' };

/** One role's SLO under every mode (the median over its repeats): "p99<=1ms: met under mps 820 µs, streams 841 µs; MISSED under timeslice 2.58 ms, 2.58× the bound". */
function scenarioSloText(summary: ScenarioSummary, role: string, slo: Slo): string | undefined {
  const met: string[] = [];
  const missed: string[] = [];
  for (const c of candidates(summary.runs)) {
    const outcomes = c.runs.map((run) => sloOutcomeOf(run, role, slo)).filter((o) => o !== undefined);
    if (outcomes.length === 0) continue;
    const measured = spread(outcomes.map((o) => o.measuredNs ?? Number.POSITIVE_INFINITY))!;
    const at = Number.isFinite(measured.median) ? formatDuration(measured.median) : 'requests never started';
    const hits = outcomes.filter((o) => o.met).length;
    // With repeats: the median, and in how many of them the SLO was met (or missed).
    const times = (k: number) => (outcomes.length > 1 ? ` in ${k} of ${outcomes.length} runs` : '');
    if (hits === outcomes.length) met.push(`${c.label} ${at}${times(hits)}`);
    else {
      const ratio = Number.isFinite(measured.median) ? `, ${(measured.median / slo.maxNs).toFixed(2)}× the bound` : '';
      missed.push(`${c.label} ${at}${ratio}${times(outcomes.length - hits)}`);
    }
  }
  if (met.length + missed.length === 0) return undefined;
  const parts = [...(met.length ? [`met under ${met.join(', ')}`] : []), ...(missed.length ? [`MISSED under ${missed.join('; ')}`] : [])];
  return `${sloText(slo)}: ${parts.join('; ')}`;
}

/** The verdict of a scenario: the pick per objective, then each role's SLOs under every mode. */
export function scenarioVerdict(summary: ScenarioSummary): VerdictBlock {
  const lines: VerdictLine[] = summary.verdicts.map((v) => ({ label: OBJECTIVE_LABELS[v.objective] ?? v.objective, text: v.text }));
  for (const spec of summary.scenario.roles) {
    for (const slo of spec.slo ?? []) {
      const text = scenarioSloText(summary, spec.role, slo);
      if (text) lines.push({ label: `SLO ${spec.role}`, text });
    }
  }
  return { title: 'Verdicts:', lines, warnings: [] };
}

/** The point with the largest value of a figure. */
function worstPoint(points: readonly PointSummary[], of: (p: PointSummary) => number | undefined): { p: PointSummary; v: number } | undefined {
  let at: { p: PointSummary; v: number } | undefined;
  for (const p of points) {
    const v = of(p);
    if (v !== undefined && Number.isFinite(v) && (at === undefined || v > at.v)) at = { p, v };
  }
  return at;
}

/** The verdict of a sweep: aggregate vs solo per mode (the median over its points), the worst points. */
export function sweepVerdict(points: readonly PointSummary[]): VerdictBlock {
  const done = points.filter((p) => p.status === 'done');
  const lines: VerdictLine[] = [];
  const byMode = new Map<string, number[]>();
  for (const p of done) {
    if (p.aggregateVsSolo === undefined || p.procs < 2) continue;
    const mode = p.options.mpsThreads !== undefined ? `${p.mode} ${String(p.options.mpsThreads)}%` : p.mode;
    byMode.set(mode, [...(byMode.get(mode) ?? []), p.aggregateVsSolo]);
  }
  if (byMode.size > 0) {
    const ranked = [...byMode].map(([mode, values]) => ({ mode, s: spread(values)! })).sort((a, b) => b.s.median - a.s.median);
    const several = ranked.some((m) => m.s.n > 1);
    const text = ranked.map((m) => `${m.mode} ${m.s.median.toFixed(2)}×${several ? ` (${m.s.n} point${m.s.n === 1 ? '' : 's'})` : ''}`).join(', ');
    lines.push({ label: 'aggregate vs solo', text: several ? `${text}; medians over each mode's points with 2 clients or more` : text });
  }
  const slow = worstPoint(done, (p) => p.slowdownMax);
  if (slow) lines.push({ label: 'worst slowdown', text: `${slow.v.toFixed(2)}× (${slow.p.id})` });
  const p99 = worstPoint(done, (p) => p.p99VsSolo);
  if (p99) lines.push({ label: 'worst p99 vs solo', text: `${p99.v.toFixed(2)}× (${p99.p.id})` });
  const overhead = worstPoint(done, (p) => ((p.switches ?? 0) > 0 ? p.overheadPct : undefined));
  if (overhead) lines.push({ label: 'switching overhead', text: `up to ${overhead.v.toFixed(1)}% (${overhead.p.id})` });
  if (done.length < points.length) {
    const count = (s: PointSummary['status']) => points.filter((p) => p.status === s).length;
    const rest = (['skipped', 'failed', 'pending'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
    lines.push({ label: 'points', text: `${done.length} of ${points.length} measured; ${rest.join(', ')}` });
  }
  return { title: 'Verdict:', lines, warnings: [] };
}

/** The verdict of bench: the own kernels against their libraries and their floors, models against PyTorch. */
export function benchVerdict(r: BenchResult): VerdictBlock {
  const lines: VerdictLine[] = [];
  const own = r.rows.filter((row) => row.impl === 'own' && row.measurement.status === 'ok' && row.variant === undefined);
  const ranged = (tag: string, what: string, label: string, higherIsBetter: boolean) => {
    const values = own.flatMap((row) => {
      const v = tagged(row.summaries, tag);
      return v === undefined ? [] : [{ entry: row.entry, v }];
    });
    if (values.length === 0) return;
    const s = spread(values.map((x) => x.v))!;
    const sorted = [...values].sort((a, b) => a.v - b.v);
    const [low, high] = [sorted[0]!, sorted.at(-1)!];
    const [worst, best] = higherIsBetter ? [low, high] : [high, low];
    const range = values.length > 1 ? `; best ${best.v.toFixed(2)}× (${best.entry}), worst ${worst.v.toFixed(2)}× (${worst.entry})` : ` (${low.entry})`;
    const median = values.length > 1 ? `median ${s.median.toFixed(2)}× over ${values.length} workloads` : `${s.median.toFixed(2)}×`;
    lines.push({ label, text: `${median}${range}: ${what}` });
  };
  ranged('vs.library', "the own kernel's speed over the library's", 'own vs library', true);
  ranged('vs.floor', 'GPU time over the larger of the arithmetic and memory floors (1× is the floor)', 'own vs floor', false);
  ranged('vs.pytorch', "samples/s over PyTorch eager's", 'own vs PyTorch', true);
  const failed = r.rows.filter((row) => row.measurement.status === 'failed').length;
  const unavailable = r.rows.filter((row) => row.measurement.status === 'unavailable').length;
  if (failed + unavailable > 0) {
    const parts = [...(failed ? [`${failed} FAILED`] : []), ...(unavailable ? [`${unavailable} not available here`] : [])];
    lines.push({ label: 'not measured', text: `${parts.join(', ')} (of ${r.rows.length} implementations; see the note column)` });
  }
  return { title: 'Verdict:', lines, warnings: [] };
}

/** `prefix` then `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole), the lines after the first indented as deep as the prefix. */
export function wrapText(prefix: string, text: string, width: number): string {
  const room = width - prefix.length;
  if (!Number.isFinite(room) || room < 30) return `${prefix}${text}`;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return `${prefix}${lines.join(`\n${' '.repeat(prefix.length)}`)}`;
}

/**
 * The verdict as text: the title and one "label  text" line each, then the warnings as "warning: ...",
 * wrapped to the layout's width (continuations under the text); in Markdown a bold title over a list.
 * Empty when there is nothing to say.
 */
export function formatVerdict(v: VerdictBlock, layout: Pick<TextLayout, 'format'> & { columns?: number } = { format: 'table' }): string {
  if (v.lines.length === 0 && v.warnings.length === 0) return '';
  if (layout.format === 'markdown') {
    const lines = v.lines.map((l) => `- **${l.label}**: ${l.text}`);
    const warnings = v.warnings.map((w) => `> **warning:** ${w}`);
    return [...(lines.length ? [`**${v.title.replace(/:$/, '')}**`, '', ...lines] : []), ...(warnings.length ? ['', ...warnings] : [])].join('\n').trim();
  }
  const columns = layout.columns ?? Number.POSITIVE_INFINITY;
  const width = Math.max(0, ...v.lines.map((l) => l.label.length));
  const lines = v.lines.length ? [v.title, ...v.lines.map((l) => wrapText(`  ${l.label.padEnd(width)}  `, l.text, columns))] : [];
  return [...lines, ...v.warnings.map((w) => wrapText('warning: ', w, columns))].join('\n');
}

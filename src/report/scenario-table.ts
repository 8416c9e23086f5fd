// A scenario's results in the terminal: the verdicts first, then one row per mode and role (throughput
// against the role alone, latency from the scheduled arrival, SLOs, requests never started, SM share),
// then one row per mode for the whole GPU (aggregate against solo, worst slowdown, fairness, switches).
import { sloOutcomeText } from '../clients/slo.js';
import { intervalLevel } from '../metrics/interval.js';
import type { Summary } from '../metrics/summary.js';
import type { ScenarioRun, ScenarioSummary } from '../scenario/result-schema.js';
import { formatSummaryValue } from './format.js';
import { type GridColumn, renderGrid, renderPreformatted, type TextLayout, WIDE } from './layout.js';
import { formatVerdict, scenarioVerdict } from './verdict.js';
import { formatWarnings } from './warnings.js';

const ROLE_COLUMNS: Array<[tag: string, title: string]> = [
  ['role.vsSolo', 'throughput vs alone'],
  ['role.throughput', 'throughput'],
  ['role.latency.p50', 'p50'],
  ['role.latency.p99', 'p99'],
  ['role.latency.p99.9', 'p99.9'],
  ['role.latency.p99.vsSolo', 'p99 vs alone'],
  ['role.queueing.p99', 'p99 queueing'],
  ['role.notStarted', 'not started'],
  ['role.smShare', 'SM share'],
];

/** A run's figures for the whole GPU, by tag (here and in the HTML report's scenario view). */
export const MODE_COLUMNS: Array<[tag: string, title: string]> = [
  ['aggregate.vsSolo', 'aggregate vs solo'],
  ['slowdown.max', 'worst slowdown'],
  ['fairness', 'fairness'],
  ['switch.perSecond', 'switches'],
  ['switch.overhead', 'switching overhead'],
  ['occupancy.idle', 'SMs idle'],
];

/** The compact layout's columns by tag, with their rank (see GridColumn): mode, role and SLO are always shown, the rest only with --wide. */
const COMPACT_RANKS: Readonly<Record<string, number>> = {
  'role.vsSolo': 1,
  'role.latency.p99': 2,
  'role.latency.p99.vsSolo': 3,
  'role.notStarted': 4,
  'role.throughput': 5,
  'role.latency.p50': 6,
  'aggregate.vsSolo': 1,
  'slowdown.max': 2,
  'switch.overhead': 3,
  fairness: 4,
  'switch.perSecond': 5,
  'occupancy.idle': 6,
};

function gridColumns(labels: string[], cols: Array<[string, string]>, trailing: string[] = []): GridColumn[] {
  return [
    ...labels.map((title): GridColumn => ({ title, rank: 0 })),
    ...cols.map(([tag, title]): GridColumn => ({ title, ...(COMPACT_RANKS[tag] !== undefined ? { rank: COMPACT_RANKS[tag] } : {}) })),
    ...trailing.map((title): GridColumn => ({ title, rank: 0 })),
  ];
}

function cell(list: readonly Summary[] | undefined, tag: string): string {
  const s = list?.find((x) => x.tag === tag);
  return s ? formatSummaryValue(s) : '-';
}

/** The run's name in the tables: its mode, its knob values, its repeat. */
export function runLabel(run: Pick<ScenarioRun, 'mode' | 'knobs' | 'repeat'>): string {
  const knobs = Object.entries(run.knobs ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  return [run.mode, ...knobs, ...(run.repeat ? [`#${run.repeat + 1}`] : [])].join(' ');
}

/** With runs: N, what the tables' intervals are. */
function runsNote(runs: readonly ScenarioRun[]): string {
  const counts = [...new Set(runs.filter((r) => r.runs !== undefined).map((r) => r.runs!))];
  if (counts.length === 0) return '';
  const levels = counts.map((n) => `${(intervalLevel(n) * 100).toFixed(1).replace(/\.0$/, '')}% with ${n} runs`).join(', ');
  return `Each mode measured ${counts.join(' or ')} times, the roles alone then shared, interleaved: figures are medians over the runs, [low–high] their confidence intervals (${levels}).`;
}

function used(columns: Array<[string, string]>, lists: Array<readonly Summary[] | undefined>): Array<[string, string]> {
  return columns.filter(([tag]) => lists.some((l) => l?.some((s) => s.tag === tag)));
}

function rolesTable(runs: ScenarioRun[], layout: TextLayout): string {
  const done = runs.filter((r) => r.status === 'done');
  const cols = used(
    ROLE_COLUMNS,
    done.flatMap((r) => (r.roles ?? []).map((x) => x.summaries)),
  );
  const rows: string[][] = [];
  for (const run of done) {
    for (const role of run.roles ?? []) {
      const slo = (role.slo ?? [])
        .map(
          (o) => `${o.met ? 'met' : 'MISSED'} ${o.percentile} ${(o.attainment * 100).toFixed(1)}%${o.runs ? ` (met in ${o.runs.met}/${o.runs.of} runs)` : ''}`,
        )
        .join(', ');
      rows.push([runLabel(run), role.role, ...cols.map(([tag]) => cell(role.summaries, tag)), slo || '-']);
    }
  }
  return renderGrid({ columns: gridColumns(['mode', 'role'], cols, ['SLO']), rows }, layout);
}

function modesTable(runs: ScenarioRun[], layout: TextLayout): string {
  const done = runs.filter((r) => r.status === 'done');
  const cols = used(
    MODE_COLUMNS,
    done.flatMap((r) => [r.comparison, r.aggregate]),
  );
  const rows = done.map((run) => [runLabel(run), ...cols.map(([tag]) => cell([...(run.comparison ?? []), ...(run.aggregate ?? [])], tag))]);
  return renderGrid({ columns: gridColumns(['mode'], cols), rows }, layout);
}

/** Every SLO of every run in words, the misses first. */
function sloLines(runs: ScenarioRun[]): string[] {
  const lines: string[] = [];
  for (const run of runs.filter((r) => r.status === 'done')) {
    for (const role of run.roles ?? []) for (const o of role.slo ?? []) lines.push(`  ${runLabel(run)} · ${role.role}: ${sloOutcomeText(o)}`);
  }
  return lines.length > 0 ? ['SLOs', ...lines] : [];
}

/** The scenario's results as text: header, verdicts (scenarioVerdict), what the intervals are, the role and mode tables (full by default), the SLOs in words, the warnings, the runs that did not finish. */
export function formatScenario(summary: ScenarioSummary, layout: TextLayout = WIDE): string {
  const s = summary.scenario;
  const g = summary.environment?.gpu;
  const header = [
    `gpushare-micro — scenario ${s.name}: ${s.description}`,
    ...(g ? [`GPU ${g.index}: ${g.name} · driver ${summary.environment?.driverVersion ?? '?'}`] : []),
  ];
  const parts = [
    header.join(layout.format === 'markdown' ? '  \n' : '\n'),
    formatVerdict(scenarioVerdict(summary), layout),
    runsNote(summary.runs),
    rolesTable(summary.runs, layout),
    modesTable(summary.runs, layout),
    renderPreformatted(sloLines(summary.runs).join('\n'), layout),
    renderPreformatted(summary.runs.flatMap((r) => formatWarnings(r, runLabel(r))).join('\n'), layout),
    renderPreformatted(
      summary.runs
        .filter((r) => r.status !== 'done')
        .map((r) => `${runLabel(r)}: ${r.status} — ${r.reason ?? ''}`)
        .join('\n'),
      layout,
    ),
  ];
  return parts.filter(Boolean).join('\n\n');
}

// A scenario's results in the terminal: the verdicts first, then one row per mode and role (throughput
// against the role alone, latency from the scheduled arrival, SLOs, requests never started, SM share),
// then one row per mode for the whole GPU (aggregate against solo, worst slowdown, fairness, switches).
import Table from 'cli-table3';
import { sloOutcomeText } from '../clients/slo.js';
import { intervalLevel } from '../metrics/interval.js';
import type { Summary } from '../metrics/summary.js';
import type { ScenarioRun, ScenarioSummary } from '../scenario/result-schema.js';
import { formatSummaryValue } from './format.js';
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

function rolesTable(runs: ScenarioRun[]): string {
  const done = runs.filter((r) => r.status === 'done');
  const cols = used(
    ROLE_COLUMNS,
    done.flatMap((r) => (r.roles ?? []).map((x) => x.summaries)),
  );
  const table = new Table({ head: ['mode', 'role', ...cols.map(([, t]) => t), 'SLO'], style: { head: [], border: [] } });
  for (const run of done) {
    for (const role of run.roles ?? []) {
      const slo = (role.slo ?? [])
        .map(
          (o) => `${o.met ? 'met' : 'MISSED'} ${o.percentile} ${(o.attainment * 100).toFixed(1)}%${o.runs ? ` (met in ${o.runs.met}/${o.runs.of} runs)` : ''}`,
        )
        .join(', ');
      table.push([runLabel(run), role.role, ...cols.map(([tag]) => cell(role.summaries, tag)), slo || '-']);
    }
  }
  return table.toString();
}

function modesTable(runs: ScenarioRun[]): string {
  const done = runs.filter((r) => r.status === 'done');
  const cols = used(
    MODE_COLUMNS,
    done.flatMap((r) => [r.comparison, r.aggregate]),
  );
  const table = new Table({ head: ['mode', ...cols.map(([, t]) => t)], style: { head: [], border: [] } });
  for (const run of done) table.push([runLabel(run), ...cols.map(([tag]) => cell([...(run.comparison ?? []), ...(run.aggregate ?? [])], tag))]);
  return table.toString();
}

/** Every SLO of every run in words, the misses first. */
function sloLines(runs: ScenarioRun[]): string[] {
  const lines: string[] = [];
  for (const run of runs.filter((r) => r.status === 'done')) {
    for (const role of run.roles ?? []) for (const o of role.slo ?? []) lines.push(`  ${runLabel(run)} · ${role.role}: ${sloOutcomeText(o)}`);
  }
  return lines.length > 0 ? ['SLOs', ...lines] : [];
}

export function formatScenario(summary: ScenarioSummary, verdictLines: string[] = summary.verdicts.map((v) => v.text)): string {
  const s = summary.scenario;
  const g = summary.environment?.gpu;
  const parts = [
    [
      `gpushare-micro — scenario ${s.name}: ${s.description}`,
      ...(g ? [`GPU ${g.index}: ${g.name} · driver ${summary.environment?.driverVersion ?? '?'}`] : []),
    ].join('\n'),
    verdictLines.length > 0 ? verdictLines.join('\n') : '',
    runsNote(summary.runs),
    rolesTable(summary.runs),
    modesTable(summary.runs),
    sloLines(summary.runs).join('\n'),
    summary.runs.flatMap((r) => formatWarnings(r, runLabel(r))).join('\n'),
    summary.runs
      .filter((r) => r.status !== 'done')
      .map((r) => `${runLabel(r)}: ${r.status} — ${r.reason ?? ''}`)
      .join('\n'),
  ];
  return parts.filter(Boolean).join('\n\n');
}

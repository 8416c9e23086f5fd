// The readable report: a header, one table of per-client summaries (solo first), and the aggregate
// and context-switch summaries as lists. Generic over tagged summaries: whatever a client reports
// becomes a column, named by the summary and formatted by its hint.
import { describeWork, loopText, roleLine, sloListText } from '../clients/describe.js';
import { sloOutcomeText } from '../clients/slo.js';
import { formatLayerGrowth } from '../metrics/layers.js';
import { fmtCuda } from '../info.js';
import { maxOf } from '../metrics/stats.js';
import { summary, type Summary } from '../metrics/summary.js';
import { findMode, modeTitle } from '../modes/index.js';
import type { ClientReport, PhaseResult } from '../phase.js';
import type { RunResult } from '../run.js';
import { intervalLevel } from '../metrics/interval.js';
import { traceSourceOf } from '../metrics/warnings.js';
import { describeResident } from '../registry/probe-state.js';
import { formatSummaryValue, switchesTitle } from './format.js';
import { type GridColumn, renderGrid, renderList, renderPreformatted, type TextLayout, WIDE } from './layout.js';
import { summaryTable } from './summary-table.js';
import { formatVerdict, runVerdict } from './verdict.js';

export { formatSummaryValue } from './format.js';

function columns(rows: Summary[][]): Array<Pick<Summary, 'tag' | 'name'>> {
  const seen = new Map<string, string>();
  for (const row of rows) for (const s of row) if (!seen.has(s.tag)) seen.set(s.tag, s.name);
  return [...seen].map(([tag, name]) => ({ tag, name }));
}

function clientLabel(name: string, c: ClientReport): string {
  return c.status === 'ok' ? name : `${name} (${c.status})`;
}

/**
 * The client columns the compact layout shows, with their short titles: [tag, title, rank]. A wider rank
 * is dropped first when the table does not fit the terminal; every other column is only in --wide.
 */
const COMPACT_CLIENT_COLUMNS: ReadonlyArray<[tag: string, short: string, rank: number]> = [
  ['throughput', 'throughput', 1],
  ['latency.p50', 'p50', 5],
  ['latency.p99', 'p99', 3],
  ['slowdown', 'slowdown', 1],
  ['latency.p99.vsSolo', 'p99 vs solo', 2],
  ['smShare', 'SM share', 6],
  ['notStarted', 'not started', 4],
];

function clientTable(r: RunResult, layout: TextLayout): string {
  const roles = r.options.clients.length > 1;
  const rows: Array<{ label: string; summaries: Summary[] }> = [];
  for (const b of r.baselines) for (const c of b.phase.clients) rows.push({ label: clientLabel(roles ? `solo ${b.role}` : 'solo', c), summaries: c.summaries });
  for (const c of r.shared.clients) rows.push({ label: clientLabel(roles ? `${c.client} ${c.role}` : `${c.client}`, c), summaries: c.summaries });
  const cols = columns(rows.map((r) => r.summaries));
  const grid: GridColumn[] = [
    { title: 'client', rank: 0 },
    ...cols.map((c): GridColumn => {
      const compact = COMPACT_CLIENT_COLUMNS.find(([tag]) => tag === c.tag);
      return { title: c.name, align: 'right', ...(compact ? { short: compact[1], rank: compact[2] } : {}) };
    }),
  ];
  const cells = rows.map((row) => [
    row.label,
    ...cols.map((c) => {
      const s = row.summaries.find((x) => x.tag === c.tag);
      return s ? formatSummaryValue(s) : '-';
    }),
  ]);
  return renderGrid({ columns: grid, rows: cells }, layout);
}

function list(title: string, items: Summary[], layout: TextLayout = WIDE): string {
  return renderList(
    title,
    items.map((s) => ({ name: s.name, text: formatSummaryValue(s) })),
    layout,
  );
}

/** The mode as the header names it (a result of a mode this version does not know: its name). */
function modeHeading(name: string): string {
  const mode = findMode(name);
  return mode ? modeTitle(mode.traits) : name;
}

function factText(value: unknown): string {
  if (Array.isArray(value)) return value.map(factText).join(',');
  if (value !== null && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k} ${factText(v)}`)
      .join(', ');
  return String(value);
}

function modeLine(r: RunResult): string {
  if (!r.modeFacts || Object.keys(r.modeFacts).length === 0) return '';
  return `Mode ${r.mode}: ${Object.entries(r.modeFacts)
    .map(([k, v]) => `${k} ${factText(v)}`)
    .join(' · ')}`;
}

/** The run's phases that have a device observation, each with its column title: the baselines, then shared. */
function observedPhases(r: RunResult): Array<{ title: string; phase: PhaseResult }> {
  const single = r.baselines.length === 1;
  return [...r.baselines.map((b) => ({ title: single ? 'solo' : `solo ${b.role}`, phase: b.phase })), { title: 'shared', phase: r.shared }].filter(
    (p) => p.phase.observation !== undefined,
  );
}

function header(r: RunResult): string {
  const o = r.options;
  const g = r.environment.gpu;
  const length = o.launches > 0 ? `${o.launches} launches each` : `${o.durationNs / 1e9} s`;
  const clocks = [r.environment.clocksStart.smClockMHz, r.environment.clocksEnd?.smClockMHz];
  const clockText = clocks[0] !== undefined ? ` · SM clock ${clocks[0]}${clocks[1] !== undefined ? ` → ${clocks[1]}` : ''} MHz` : '';
  const clients = `${o.procs} client${o.procs === 1 ? '' : 's'}`;
  const only = o.clients.length === 1 ? o.clients[0]! : undefined;
  const slo = only ? sloListText(only) : '';
  const first = only
    ? `${describeWork(only)}, ${clients}, ${modeHeading(r.mode)}, ${loopText(only)}${slo ? `, SLO ${slo}` : ''}, ${length}`
    : `${o.clients.length} roles, ${clients}, ${modeHeading(r.mode)}, ${length}`;
  return [
    `gpushare-micro ${r.environment.tool.version} — ${first}`,
    ...(only ? [] : o.clients.map((s) => `  ${roleLine(s)}`)),
    `GPU ${g.index}: ${g.name} (${g.smCount} SMs, ${(g.memoryBytes / 2 ** 30).toFixed(0)} GiB, cc ${g.computeCapability}, compute mode ${g.computeMode})` +
      ` · driver ${r.environment.driverVersion ?? '?'} · CUDA ${fmtCuda(r.environment.cudaDriverVersion)}${clockText}`,
    modeLine(r),
  ]
    .filter(Boolean)
    .join('\n');
}

/** Per role: its clients together against its own solo baseline, and its objectives, met or not. */
function rolesSection(r: RunResult): string {
  if (r.roles.length === 0 || (r.options.clients.length === 1 && !r.roles.some((x) => x.slo?.length || x.summaries.some((s) => s.tag.startsWith('queueing')))))
    return '';
  const lines = ['Roles (each against itself alone)'];
  for (const role of r.roles) {
    lines.push(`  ${role.role} (client${role.clients.length === 1 ? '' : 's'} ${role.clients.join(', ')})`);
    const width = maxOf(role.summaries.map((s) => s.name.length));
    for (const s of role.summaries) lines.push(`    ${s.name.padEnd(width)}  ${formatSummaryValue(s)}`);
    for (const o of role.slo ?? []) lines.push(`    SLO ${sloOutcomeText(o)}`);
  }
  return lines.join('\n');
}

/** With --profile-layers: per role, the layers that grew most under sharing. */
function layersSection(r: RunResult): string {
  return r.roles
    .filter((role) => role.layers && role.layers.length > 0)
    .map((role) => formatLayerGrowth(role.role, role.layers!).join('\n'))
    .join('\n\n');
}

/** What the device did during each phase: NVML and GPM summaries side by side, and any flags. */
function deviceSection(r: RunResult): string {
  const observed = observedPhases(r);
  const phases = observed.map((p) => p.phase);
  if (phases.length === 0) return '';
  const lines: string[] = [];
  const rows = new Map<string, { name: string; values: string[] }>();
  phases.forEach((p, i) => {
    const o = p.observation!;
    // One list after another, never spread into push: a result file's lists can be of any length.
    const lists: Summary[][] = o.nvml.available ? [o.nvml.summaries, o.nvml.gpm.summaries] : [];
    if (o.pmSampling?.available) lists.push(o.pmSampling.summaries);
    lists.push(cuptiSummaries(p));
    for (const s of lists.flat()) {
      const row = rows.get(s.tag) ?? { name: s.name, values: phases.map(() => '-') };
      row.values[i] = formatSummaryValue(s);
      rows.set(s.tag, row);
    }
    if (!o.nvml.available) lines.push(`  ${p.label}: NVML unavailable: ${o.nvml.reason}`);
    else if (!o.nvml.gpm.available && o.nvml.gpm.reason) lines.push(`  ${p.label}: GPM unavailable: ${o.nvml.gpm.reason}`);
    if (o.pmSampling && !o.pmSampling.available) lines.push(`  ${p.label}: PM sampling unavailable: ${o.pmSampling.reason}`);
    if (o.nvml.available) for (const flag of o.nvml.flags) lines.push(`  ${p.label}: ${flag}`);
    for (const c of p.clients) {
      if (c.kernelActivity && !c.kernelActivity.available)
        lines.push(`  ${p.label} client ${c.client}: CUPTI unavailable: ${c.kernelActivity.reason ?? c.kernelActivity.cuptiError ?? 'no reason given'}`);
    }
  });
  if (rows.size === 0 && lines.length === 0) return '';
  const width = Math.max(0, maxOf([...rows.values()].map((r) => r.name.length)));
  const head = `  ${''.padEnd(width)}  ${observed.map((p) => p.title.padStart(12)).join('')}`;
  const body = [...rows.values()].map((r) => `  ${r.name.padEnd(width)}  ${r.values.map((v) => v.padStart(12)).join('')}`);
  return ["Device (NVML, GPM, CUPTI; over each phase's measured window)", ...(rows.size ? [head, ...body] : []), ...lines].join('\n');
}

/** With --cupti: the kernel records of all the phase's clients, and how many were lost. */
function cuptiSummaries(p: PhaseResult): Summary[] {
  const recorded = p.clients.map((c) => c.kernelActivity).filter((k) => k?.available);
  if (recorded.length === 0) return [];
  const kernels = recorded.reduce((n, k) => n + (k!.kernels?.startNs.length ?? 0), 0);
  const dropped = recorded.reduce((n, k) => n + (k!.dropped ? k!.dropped.byCupti + k!.dropped.overLimit : 0), 0);
  // Each kernel from its start to its end, added over the clients: kernel-level busy time, no SM in it.
  const time = recorded.reduce((n, k) => n + (k!.summaries.find((s) => s.tag === 'cupti.kernel_time.sum')?.value ?? 0), 0);
  return [
    summary('cupti.kernels', 'kernels recorded (CUPTI), all clients', 'count', kernels),
    summary('cupti.kernel_time.sum', 'kernel time (CUPTI, kernel-level), all clients', 'duration', time),
    summary('cupti.dropped', 'kernel records dropped (CUPTI)', 'count', dropped),
  ];
}

function problems(r: RunResult): string {
  const lines: string[] = [];
  for (const phase of [...r.baselines.map((b) => b.phase), r.shared]) {
    for (const c of phase.clients) {
      if (c.status === 'ok') continue;
      const why =
        c.error?.message ?? (c.signal ? `killed by ${c.signal}` : c.exitCode !== undefined && c.exitCode !== null ? `exit code ${c.exitCode}` : c.status);
      lines.push(`  ${phase.label} client ${c.client}${c.pid ? ` (pid ${c.pid})` : ''}: ${c.status} — ${why}`);
      const tail = c.stderr?.trim().split('\n').slice(-3) ?? [];
      for (const t of tail) lines.push(`      stderr: ${t}`);
    }
  }
  if (lines.length === 0) return '';
  return [`INCOMPLETE: ${r.reason ?? 'some clients did not finish'}`, ...lines].join('\n');
}

/** What the switched contexts held per SM, where the clients' workloads know it (the probe's chosen state): the state a switch gap corresponds to. */
function residentLines(r: RunResult): string {
  const states = new Map<string, string[]>();
  for (const c of r.shared.clients) {
    if (!c.resident) continue;
    const key = describeResident(c.resident);
    states.set(key, [...(states.get(key) ?? []), c.role ?? String(c.client)]);
  }
  if (states.size === 0) return '';
  const one = states.size === 1;
  return [...states].map(([state, roles]) => `  held per SM while switched out${one ? '' : ` (${[...new Set(roles)].join(', ')})`}: ${state}`).join('\n');
}

/** The phase's clients whose switch figures come from CUPTI's kernel records. */
export function kernelLevelClients(p: PhaseResult, r: RunResult): number[] {
  return p.clients.filter((c) => traceSourceOf(r, c) === 'kernels').map((c) => c.client);
}

/** With --runs N: what the intervals are, every run's headline figures, and the runs that stand out. */
function repeatsSection(r: RunResult, layout: TextLayout): string {
  const rep = r.repeats;
  if (!rep) return '';
  const level = (intervalLevel(rep.runs) * 100).toFixed(1).replace(/\.0$/, '');
  const made = rep.runs < rep.asked ? `${rep.runs} of ${rep.asked} runs (interrupted)` : `${rep.runs} runs`;
  const by = r.comparison[0]?.name;
  const lines = [
    `Repeated: ${made}, interleaved (each role alone, then shared). Ratios, role figures and SLOs are medians over the runs, ` +
      `[low–high] their ${level}% confidence intervals (order statistics); the phases shown are run ${rep.recorded + 1}'s, the median run${by ? ` by ${by}` : ''}`,
  ];
  const rows = rep.perRun.map((run, i) => ({
    labels: [String(i + 1)],
    summaries: [
      ...run.comparison,
      ...run.solo.flatMap((s) =>
        s.summaries
          .filter((x) => x.tag === 'throughput')
          .map((x) => ({ ...x, tag: `solo.${s.role}`, name: rep.perRun[0]!.solo.length > 1 ? `${s.role} alone` : 'solo throughput' })),
      ),
    ],
    ...(run.complete ? {} : { note: `incomplete: ${run.reason ?? ''}` }),
  }));
  // Every run's figures are the point of the table: the compact layout shows them all.
  const compact = Object.fromEntries(rows.flatMap((row) => row.summaries.map((x) => [x.tag, { rank: 1 }])));
  if (rows.some((row) => row.summaries.length > 0)) lines.push(summaryTable(['run'], rows, layout, compact));
  for (const o of rep.outliers) {
    lines.push(
      `  outlier: run ${o.run + 1}, ${o.name} ${formatSummaryValue(o)} (median ${formatSummaryValue({ ...o, value: o.median })}, modified z-score ${o.score.toFixed(1)})`,
    );
  }
  return lines.join('\n');
}

/**
 * The run as text: the header, the verdict and the result's warnings, the per-client table, then the
 * aggregate, role, switch, device and repeats sections. `layout`: the full table (the default), the
 * compact one fitted to a terminal, or Markdown.
 */
export function formatRunResult(r: RunResult, layout: TextLayout = WIDE): string {
  const md = (text: string) => renderPreformatted(text, layout);
  const top = layout.format === 'markdown' ? header(r).split('\n').join('  \n') : header(r);
  const parts = [top, formatVerdict(runVerdict(r), layout), clientTable(r, layout)];
  const isSwitch = (s: Summary) => s.tag.startsWith('switch') || s.tag.startsWith('slice') || s.tag === 'coRunning';
  parts.push(list('Aggregate', [...r.shared.aggregate.filter((s) => !isSwitch(s)), ...r.comparison], layout));
  parts.push(md(rolesSection(r)));
  parts.push(md(layersSection(r)));
  const switches = list(switchesTitle(r.shared.switches, kernelLevelClients(r.shared, r)), r.shared.aggregate.filter(isSwitch), layout);
  parts.push([switches, md(residentLines(r))].filter(Boolean).join(layout.format === 'markdown' ? '\n\n' : '\n'));
  parts.push(md(deviceSection(r)));
  parts.push(repeatsSection(r, layout));
  const issues = problems(r);
  if (issues) parts.push(md(issues));
  return parts.filter(Boolean).join('\n\n');
}

// A scenario's report: the verdicts first, then what ran, then per role its latency CDF under each mode
// against the role alone (SLO bounds drawn), its throughput against alone per mode, and a table of its
// figures and SLO outcomes per mode; last, per mode, the figures of the whole GPU. The role and mode
// tables come from scenario.json alone; the CDFs need each run's result file (an unreadable one is
// said so, with its problem).
import { roleLine } from '../../clients/describe.js';
import { sloText, type Slo, type SloOutcome } from '../../clients/slo.js';
import type { Summary } from '../../metrics/summary.js';
import type { ScenarioSummary } from '../../scenario/result-schema.js';
import { formatDuration, formatSummaryValue } from '../format.js';
import type { LoadedScenarioRun, ReportInput } from '../inputs.js';
import { MODE_COLUMNS, runLabel } from '../scenario-table.js';
import { blockHtml, esc, facts, figure, note, table } from './page.js';
import { clientColor, SOLO_COLOR } from './render.js';
import { MAX_RUNS_DRAWN, roleLatencyChart, roleSamples, roleThroughputChart, runSeries, type LatencySeries } from './scenario-charts.js';

type ScenarioInput = Extract<ReportInput, { kind: 'scenario' }>;
type RoleSpec = ScenarioSummary['scenario']['roles'][number];

/** A run as the view shows it: its name (mode, knobs, repeat) and its colour in every chart. */
interface ViewRun {
  label: string;
  color: string;
  loaded: LoadedScenarioRun;
}

function viewRuns(runs: LoadedScenarioRun[]): ViewRun[] {
  const seen = new Set<string>();
  return runs.map((loaded, i) => {
    let label = runLabel(loaded.entry);
    for (let n = 2; seen.has(label); n++) label = `${runLabel(loaded.entry)} (${n})`;
    seen.add(label);
    return { label, color: clientColor(i), loaded };
  });
}

function verdictsBlock(summary: ScenarioSummary): string {
  const items = summary.verdicts.map((v) => {
    const noise = v.withinNoise?.length ? `<br><span class="reason">within the noise of it: ${esc(v.withinNoise.join(', '))}</span>` : '';
    return `<li data-objective="${esc(v.objective)}">${esc(v.text)}${noise}</li>`;
  });
  const html =
    items.length > 0
      ? `<ul class="verdicts">${items.join('')}</ul>`
      : note(`No verdicts in this scenario's summary${summary.complete ? '' : ' (it is incomplete: see its status below)'}.`);
  return blockHtml({ key: 'verdicts', title: 'Verdicts', html });
}

function runCounts(runs: LoadedScenarioRun[]): string {
  const count = (status: string) => runs.filter((r) => r.entry.status === status).length;
  const unreadable = runs.filter((r) => r.problem).length;
  return `${runs.length}: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed${unreadable ? `, ${unreadable} done but unreadable` : ''}`;
}

function aboutBlock(input: ScenarioInput): string {
  const { summary, runs } = input;
  const s = summary.scenario;
  const environment = summary.environment ?? runs.find((r) => r.run)?.run?.result.environment;
  const items: Array<[string, string]> = [
    ['scenario', `${esc(s.name)} <span class="reason">(${esc(s.source)})</span>`],
    ['description', esc(s.description)],
    ['roles', s.roles.map((r) => esc(roleLine(r))).join('<br>')],
    ['modes', esc(s.modes.join(', '))],
    ['runs', esc(runCounts(runs))],
    [
      'solo baselines',
      input.baselines
        .map((b) => `${esc(b.role)}: <code>${esc(b.file)}</code>${b.problem ? ` <span class="reason">unreadable: ${esc(b.problem)}</span>` : ''}`)
        .join('<br>') || 'none',
    ],
  ];
  if (environment) items.push(['GPU', esc(`${environment.gpu.name} (${environment.gpu.smCount} SMs), driver ${environment.driverVersion ?? '?'}`)]);
  items.push(['measured', esc(`${summary.createdAt}${environment ? ` on ${environment.hostname}` : ''}`)]);
  if (summary.command) items.push(['command', `<code>${esc(summary.command.join(' '))}</code>`]);
  items.push(['directory', `<code>${esc(input.dir)}</code>`]);
  items.push([
    'status',
    summary.complete ? 'complete' : '<span class="status-incomplete">INCOMPLETE: interrupted, or a run was skipped, failed or did not finish</span>',
  ]);
  items.push(['scenario file', `<details><summary>YAML</summary><pre><code>${esc(s.text)}</code></pre></details>`]);
  return blockHtml({ key: 'about', title: 'What ran', html: facts(items) });
}

/** The role's solo curves: its baseline files (else the baseline a run's result carries). */
function soloSeries(input: ScenarioInput, role: string): LatencySeries[] {
  const phases = input.baselines.filter((b) => b.role === role && b.phase).map((b) => b.phase!);
  if (phases.length === 0) {
    const carried = input.runs.flatMap((r) => r.run?.result.baselines.filter((b) => b.role === role) ?? [])[0];
    if (carried) phases.push(carried.phase);
  }
  return phases.map((phase, i) => ({
    label: phases.length > 1 ? `${role} alone (${i + 1})` : `${role} alone`,
    color: SOLO_COLOR,
    solo: true,
    ...roleSamples(phase),
  }));
}

function sloCell(o: SloOutcome | undefined): string {
  if (!o) return '-';
  const measured = o.measuredNs === null ? 'unbounded' : formatDuration(o.measuredNs);
  const verdict = o.met ? 'met' : '<span class="status-incomplete">MISSED</span>';
  return `${verdict}: ${esc(measured)}, ${(o.attainment * 100).toFixed(1)}% within`;
}

/** The role's figures under each done run: every summary it has (in the order they come) and each SLO's outcome. */
function roleTable(runs: ViewRun[], role: string): string {
  const rows = runs.flatMap((v) => {
    const report = v.loaded.entry.roles?.find((r) => r.role === role);
    return v.loaded.entry.status === 'done' && report ? [{ v, report }] : [];
  });
  if (rows.length === 0) return note(`No run of this scenario has figures for ${esc(role)}.`);
  const tags = new Map<string, string>();
  for (const { report } of rows) for (const s of report.summaries) if (!tags.has(s.tag)) tags.set(s.tag, s.name);
  const slos = [...new Set(rows.flatMap(({ report }) => (report.slo ?? []).map((o) => sloText(o))))];
  const value = (list: Summary[], tag: string) => {
    const s = list.find((x) => x.tag === tag);
    return s ? esc(formatSummaryValue(s)) : '-';
  };
  return table(
    ['mode', ...[...tags.values()].map(esc), ...slos.map((s) => `SLO ${esc(s)}`)],
    rows.map(({ v, report }) => [
      esc(v.loaded.entry.complete === false ? `${v.label} (incomplete)` : v.label),
      ...[...tags.keys()].map((tag) => value(report.summaries, tag)),
      ...slos.map((text) => sloCell(report.slo?.find((o) => sloText(o) === text))),
    ]),
  );
}

/** What the latency chart leaves out: runs past the cap, runs without a readable result or without samples of the role. */
function latencyCaveats(runs: ViewRun[], drawn: number, role: string): string {
  const out: string[] = [];
  const done = runs.filter((v) => v.loaded.entry.status === 'done');
  if (done.length > MAX_RUNS_DRAWN) out.push(`${done.length - MAX_RUNS_DRAWN} more runs not drawn (see the table)`);
  const unreadable = done.filter((v) => v.loaded.problem).map((v) => v.label);
  if (unreadable.length > 0) out.push(`no curve for ${unreadable.join(', ')}: the result file could not be read (see the runs below)`);
  const empty = done.slice(0, MAX_RUNS_DRAWN).length - unreadable.length - drawn;
  if (empty > 0) out.push(`${empty} run${empty > 1 ? 's have' : ' has'} no latency sample of ${role}`);
  return out.length > 0 ? ` ${esc(out.join('; '))}.` : '';
}

async function roleLatency(input: ScenarioInput, runs: ViewRun[], spec: RoleSpec, width: number): Promise<string> {
  const role = spec.role;
  const series = runs
    .filter((v) => v.loaded.entry.status === 'done')
    .slice(0, MAX_RUNS_DRAWN)
    .flatMap((v) => (v.loaded.run ? (runSeries(v.loaded.run, role, v.label, v.color) ?? []) : []));
  const solo = soloSeries(input, role);
  const slos: Slo[] = spec.slo ?? [];
  // As the role's figures (src/metrics/roles.ts): an open loop's latency counts from the schedule; a bursty one's from the launch.
  const fromArrival = spec.arrival !== undefined && spec.arrival.kind !== 'bursty';
  const svg = await roleLatencyChart([...series, ...solo], slos, fromArrival, width);
  const caveats = latencyCaveats(runs, series.length, role);
  if (!svg) return note(`No latency samples of ${esc(role)} in any readable result.${caveats}`);
  const from = fromArrival ? "from each request's scheduled arrival" : "from each launch's enqueue to its completion seen on the host";
  const alone = solo.length > 0 ? 'dashed: the role alone (its solo baseline)' : 'no solo baseline could be read';
  const bounds = slos.length > 0 ? ` Red: ${slos.length > 1 ? 'each SLO bound' : 'the SLO bound'}.` : '';
  const unstarted =
    spec.loop === 'open' ? ' Requests that were scheduled but never started count as unbounded: a curve with such requests stays below 100%.' : '';
  const caption = `Cumulative distribution of the role's latency under each mode, its clients pooled, ${from}; ${alone}.${bounds}${unstarted}${caveats}`;
  return figure(`latency:${role}`, svg, caption);
}

async function roleThroughput(runs: ViewRun[], role: string, width: number): Promise<string> {
  const bars = runs
    .filter((v) => v.loaded.entry.status === 'done')
    .slice(0, MAX_RUNS_DRAWN)
    .flatMap((v) => {
      const value = v.loaded.entry.roles?.find((r) => r.role === role)?.summaries.find((s) => s.tag === 'role.vsSolo')?.value;
      return value === undefined ? [] : [{ label: v.label, color: v.color, value }];
    });
  if (bars.length === 0) return note(`No throughput of ${esc(role)} against alone: no run has it (was the solo baseline measured?).`);
  const caption = `The role's throughput under each mode against the role alone (one client of it, times the role's count); dashed: 1.0×, as fast as alone.`;
  return figure(`throughput:${role}`, await roleThroughputChart(bars, width), caption);
}

async function roleBlock(input: ScenarioInput, runs: ViewRun[], spec: RoleSpec, width: number): Promise<string> {
  const parts = [
    '<h4>Latency against alone</h4>',
    await roleLatency(input, runs, spec, width),
    '<h4>Throughput against alone</h4>',
    await roleThroughput(runs, spec.role, width),
    '<h4>Figures per mode</h4>',
    roleTable(runs, spec.role),
  ];
  return blockHtml({ key: `role:${spec.role}`, title: roleLine(spec), html: parts.join('\n') });
}

/** Every run, one row each: its status (the reason or the problem under it), the whole GPU's figures, its result file. */
function modesBlock(input: ScenarioInput, runs: ViewRun[]): string {
  const lists = runs.map((v) => [...(v.loaded.entry.comparison ?? []), ...(v.loaded.entry.aggregate ?? [])]);
  const cols = MODE_COLUMNS.filter(([tag]) => lists.some((l) => l.some((s) => s.tag === tag)));
  const rows = runs.map((v, i) => {
    const e = v.loaded.entry;
    const state = e.status === 'done' && e.complete === false ? 'done, incomplete' : e.status;
    const why = v.loaded.problem ?? e.reason;
    const status = `<span class="status">${esc(state + (v.loaded.problem ? ' (unreadable)' : ''))}</span>${why ? `<br><span class="reason">${esc(why)}</span>` : ''}`;
    const cells = cols.map(([tag]) => {
      const s = lists[i]!.find((x) => x.tag === tag);
      return s ? esc(formatSummaryValue(s)) : '-';
    });
    return [esc(v.label), status, ...cells, e.file ? `<code>${esc(e.file)}</code>` : '-'];
  });
  const html = table(['mode', 'status', ...cols.map(([, title]) => esc(title)), 'result file'], rows).replace(
    /<td><span class="status">/g,
    '<td class="status"><span class="status">',
  );
  const more = note(
    `Each run's own report (SM timeline, switches, every client's latency): <code>gpushare-micro report ${esc(input.dir)}/runs/NAME.json -o NAME.html</code>.`,
  );
  return blockHtml({ key: 'modes', title: 'The whole GPU under each mode', html: `${html}${more}` });
}

/** The scenario report's title, subtitle and body; charts `width` px wide. */
export async function scenarioView(input: ScenarioInput, width: number): Promise<{ title: string; subtitle: string; body: string }> {
  const { summary } = input;
  const runs = viewRuns(input.runs);
  const roles: string[] = [];
  for (const spec of summary.scenario.roles) roles.push(await roleBlock(input, runs, spec, width));
  const gpu = summary.environment?.gpu.name ?? input.runs.find((r) => r.run)?.run?.result.environment.gpu.name;
  const body = [verdictsBlock(summary), aboutBlock(input), '<h2>Each role under each mode</h2>', ...roles, '<h2>Each mode</h2>', modesBlock(input, runs)];
  return {
    title: `gpushare-micro scenario report: ${summary.scenario.name}`,
    subtitle: esc(`${summary.scenario.description} — modes ${summary.scenario.modes.join(', ')}${gpu ? ` — ${gpu}` : ''}`),
    body: body.join('\n'),
  };
}

// The report of one run result as blocks: what ran, the tagged summaries (generic, like the text table),
// the SM timeline and share over time, switch gap and time slice histograms, latency CDFs against solo,
// and the NVML/GPM series. Whatever a result lacks becomes a note saying what is missing and why.
import { describeWork as specWork, loopText, roleLine } from '../../clients/describe.js';
import { fmtCuda } from '../../info.js';
import { tookTurns } from '../../metrics/occupancy.js';
import { traceSourceOf } from '../../metrics/warnings.js';
import type { Summary } from '../../metrics/summary.js';
import { findMode } from '../../modes/index.js';
import { formatDuration, formatSummaryValue, switchesTitle } from '../format.js';
import type { LoadedRun } from '../inputs.js';
import type { RunResultJson } from '../schema.js';
import { latencyChart } from './latency-charts.js';
import {
  findPhaseSeries,
  findSeries,
  MAX_SERIES_CHARTS,
  observationFacts,
  phaseObservationFacts,
  seriesChart,
  seriesTitle,
  type SeriesChart,
  type SeriesGroup,
  type SoloSeries,
} from './observation-charts.js';
import { clientName, shareChart, timelineChart } from './occupancy-charts.js';
import { esc, facts, figure, note, table, type Block } from './page.js';
import { gapHistogram, sliceHistogram } from './switch-charts.js';
import { verdictBlock } from './verdict-view.js';

type Phase = RunResultJson['shared'];

/** The mode's name in prose (a result of a mode this version does not know: its name). */
function modeLabel(name: string): string {
  return findMode(name)?.traits.label ?? name;
}

export function describeWork(r: RunResultJson): string {
  const o = r.options;
  const length = o.launches > 0 ? `${o.launches} launches each` : `${o.durationNs / 1e9} s`;
  const only = o.clients.length === 1 ? o.clients[0]! : undefined;
  const work = only ? `${specWork(only)}, ${o.procs} process${o.procs === 1 ? '' : 'es'}` : o.clients.map(roleLine).join('; ');
  return `${work}, ${modeLabel(r.mode)}${only ? `, ${loopText(only)}` : ''}, ${length}`;
}

function aboutBlock(run: LoadedRun): Block {
  const r = run.result;
  const g = r.environment.gpu;
  const items: Array<[string, string]> = [
    ['file', `<code>${esc(run.file)}</code>`],
    ['work', esc(describeWork(r))],
    ['GPU', esc(`${g.name} (${g.smCount} SMs, ${(g.memoryBytes / 2 ** 30).toFixed(0)} GiB, cc ${g.computeCapability}, compute mode ${g.computeMode})`)],
    ['driver · CUDA', esc(`${r.environment.driverVersion ?? '?'} · CUDA ${fmtCuda(r.environment.cudaDriverVersion)}`)],
    ['measured', esc(`${r.createdAt} on ${r.environment.hostname}, gpushare-micro ${r.environment.tool.version}`)],
  ];
  if (r.command) items.push(['command', `<code>${esc(r.command.join(' '))}</code>`]);
  items.push(['status', r.complete ? 'complete' : `<span class="status-incomplete">INCOMPLETE: ${esc(r.reason ?? 'some clients did not finish')}</span>`]);
  return { key: 'about', title: 'What ran', html: facts(items) };
}

function summaryCells(list: Summary[], cols: Array<{ tag: string }>): string[] {
  return cols.map((c) => {
    const s = list.find((x) => x.tag === c.tag);
    return s ? esc(formatSummaryValue(s)) : '-';
  });
}

function columns(rows: Summary[][]): Array<{ tag: string; name: string }> {
  const seen = new Map<string, string>();
  for (const row of rows) for (const s of row) if (!seen.has(s.tag)) seen.set(s.tag, s.name);
  return [...seen].map(([tag, name]) => ({ tag, name }));
}

function list(items: Summary[]): string {
  return table(
    undefined,
    items.map((s) => [esc(s.name), esc(formatSummaryValue(s))]),
    'data list',
  );
}

function summaryBlock(r: RunResultJson): Block {
  const rows: Array<{ label: string; summaries: Summary[] }> = [];
  const roles = r.options.clients.length > 1;
  for (const b of r.baselines) {
    const solo = roles ? `solo ${b.role}` : 'solo';
    for (const c of b.phase.clients) rows.push({ label: c.status === 'ok' ? solo : `${solo} (${c.status})`, summaries: c.summaries });
  }
  for (const c of r.shared.clients) {
    const name = roles ? `${clientName(c.client)} ${c.role ?? ''}`.trim() : clientName(c.client);
    rows.push({ label: c.status === 'ok' ? name : `${name} (${c.status})`, summaries: c.summaries });
  }
  const cols = columns(rows.map((x) => x.summaries));
  const clients = table(
    ['client', ...cols.map((c) => esc(c.name))],
    rows.map((x) => [esc(x.label), ...summaryCells(x.summaries, cols)]),
  );
  const isSwitch = (s: Summary) => s.tag.startsWith('switch') || s.tag.startsWith('slice');
  const aggregate = [...r.shared.aggregate.filter((s) => !isSwitch(s)), ...r.comparison];
  const switches = r.shared.aggregate.filter(isSwitch);
  return {
    key: 'summary',
    title: 'Figures',
    html: `${clients}<div class="lists"><div><h3>Aggregate</h3>${list(aggregate)}</div><div><h3>${esc(switchesTitle(r.shared.switches, kernelLevel(r)))}</h3>${list(switches)}</div></div>`,
  };
}

/** The shared clients whose switch figures come from CUPTI's kernel records. */
function kernelLevel(r: RunResultJson): number[] {
  return r.shared.clients.filter((c) => traceSourceOf(r, c) === 'kernels').map((c) => c.client);
}

/** Why a phase has no SM timeline: clients without CTA traces of every kernel, no common window, or an older file. */
function missingOccupancy(p: Phase, r: RunResultJson): string {
  const untraced = p.clients.filter((c) => {
    const source = traceSourceOf(r, c);
    return source !== undefined && source !== 'cta';
  });
  if (untraced.length > 0) {
    const list = untraced.map((c) => clientName(c.client)).join(', ');
    return (
      `No SM timeline: ${esc(list)} ran kernels that write no CTA records (a library's, or a model step's library ops), so the result cannot say which SMs they held. ` +
      "Where CUPTI recorded their kernels (<code>--cupti</code>), the switch figures above are kernel-level; CUPTI's records carry no SM."
    );
  }
  if (p.switches.windowEndNs <= p.switches.windowStartNs) return 'No SM occupancy: there was no window in which every client was traced.';
  return "No SM occupancy in this result: it was made by a version of gpushare-micro that did not record it (<code>shared.occupancy</code> is absent). Run the measurement again with this version to get the SM timeline and each client's SM share.";
}

async function occupancyBlocks(r: RunResultJson, width: number): Promise<Block[]> {
  const p = r.shared;
  const o = p.occupancy;
  if (!o) {
    const why = note(missingOccupancy(p, r));
    return [
      { key: 'timeline', title: 'SM timeline', html: why },
      { key: 'share', title: 'Share of the SMs over time', html: note('No SM occupancy in this result (see above).') },
    ];
  }
  const { svg, binNs, smsPerRow } = await timelineChart(o, width);
  const shares = o.clients.map((c, k) => `${clientName(c)} ${(o.share[k]! * 100).toFixed(1)}%`).join(', ');
  const drawn =
    binNs === o.timeline.binNs
      ? `bins of ${formatDuration(binNs)}`
      : `bins of ${formatDuration(binNs)} (recorded at ${formatDuration(o.timeline.binNs)}, merged to keep the page small)`;
  const row = smsPerRow > 1 ? `${smsPerRow} SMs (merged to keep the page small: a cell shows the first of them held by a client)` : 'one SM';
  const timelineCaption =
    `Each row is ${row}, each cell the client whose CTAs held that SM for most of the cell (grey: no client's CTA resident); ` +
    `the first ${formatDuration(o.timeline.endNs - o.timeline.startNs)} from ${formatDuration(o.timeline.startNs - o.windowStartNs)} into the ` +
    `${formatDuration(o.windowEndNs - o.windowStartNs)} traced window, ${esc(drawn)}.`;
  const method = o.clippedToSlices
    ? 'The clients took turns (time slicing), so each holds SMs only within its own time slices: a CTA preempted by a switch is not counted while the others run, and the switch gaps are idle.'
    : 'The clients did not take turns (or there was one), so every CTA counts from its start to its end; clients whose CTAs share an SM at once (MPS, streams) each hold it, and their shares can add up to more than the busy part.';
  const shareCaption = `Share of all ${o.smCount} SMs held by each client over the whole traced window: ${esc(shares)}; idle ${(o.idle * 100).toFixed(1)}%. ${method}`;
  return [
    { key: 'timeline', title: 'SM timeline', html: figure('timeline', svg, timelineCaption) },
    { key: 'share', title: 'Share of the SMs over time', html: figure('share', await shareChart(o, width), shareCaption) },
  ];
}

async function switchBlocks(r: RunResultJson, width: number): Promise<Block[]> {
  const p = r.shared;
  const s = p.switches;
  const why =
    s.windowEndNs <= s.windowStartNs
      ? 'no window in which every client was traced'
      : p.procs < 2
        ? 'a single client has nobody to switch with'
        : s.kind === 'concurrent'
          ? `under ${esc(modeLabel(r.mode))} the clients ran at the same time${s.coRunningFraction ? ` (several of them active in ${(s.coRunningFraction * 100).toFixed(0)}% of the traced time)` : ''}, so there were no time slices to measure`
          : 'no context switch was seen in the traced window';
  const gaps = await gapHistogram(s, width);
  const slices = await sliceHistogram(s, width);
  const thinned = (h: { count: number; used: number }) =>
    h.used < h.count ? ` (every ${Math.ceil(h.count / h.used)}th of ${h.count.toLocaleString('en-US')} drawn)` : '';
  // Under a mode whose clients run at once (MPS, streams, green contexts; an unknown one counts as such),
  // or whenever the analysis saw no turns, the "switches" are the interleaving of the clients' activity.
  const concurrent = s.count > 0 && ((findMode(r.mode)?.traits.concurrent ?? true) || !tookTurns(s));
  const concurrency = concurrent
    ? ` Under ${esc(modeLabel(r.mode))} the clients ran at the same time (median "slice" ${esc(formatDuration(s.slice?.p50 ?? 0))}), so these are the interleaving of their activity, not context switches.`
    : '';
  return [
    {
      key: 'gaps',
      title: 'Switch gaps',
      html: gaps
        ? figure(
            'gaps',
            gaps.svg,
            `The time between the last activity of the outgoing client and the first of the incoming one, for each of the ${s.count.toLocaleString('en-US')} switches${thinned(gaps)}.${concurrency}`,
          )
        : note(`No switch gaps: ${why}.`),
    },
    {
      key: 'slices',
      title: 'Time slices',
      html: slices
        ? figure(
            'slices',
            slices.svg,
            `How long a client ran before the GPU switched away from it, for each slice except the first and last (cut by the window)${thinned(slices)}.${concurrency}`,
          )
        : note(`No time slices: ${why}.`),
    },
  ];
}

async function latencyBlock(r: RunResultJson, width: number): Promise<Block> {
  const svg = await latencyChart(r, width);
  if (!svg) return { key: 'latency', title: 'Latency against solo', html: note('No latency samples in this result.') };
  const solo = r.baselines.some((b) => b.phase.clients[0]?.samples.latencyNs.length)
    ? r.baselines.length > 1
      ? 'dashed: each role alone'
      : 'dashed: the same kernel alone'
    : 'no solo baseline in this result (run without --no-baseline to compare)';
  return {
    key: 'latency',
    title: 'Latency against solo',
    html: figure('latency', svg, `Cumulative distribution of every launch's latency per client; ${solo}.`),
  };
}

/** What a series chart shows: its metrics and samples, how much of them it draws, and what it leaves out. */
function seriesCaption(g: SeriesGroup, chart: SeriesChart): string {
  const parts: string[] = [];
  if (chart.drawn.length > 0) {
    const thinned = chart.every > 1 ? ` (1 in ${chart.every} drawn)` : '';
    parts.push(`${g.tNs.length.toLocaleString('en-US')} samples${thinned}`);
    if (chart.more > 0) parts.push(`${chart.drawn.length} metrics drawn and ${chart.more} more not drawn`);
  }
  if (chart.withSolo) parts.push('dashed: the solo baseline, on its own time axis');
  if (chart.constant.length > 0) parts.push(`constant throughout, not drawn: ${esc(chart.constant.join(', '))}`);
  return `${parts.join('; ')}. Metrics the GPU did not report are left out. <code>${esc(g.name)}</code>`;
}

/** The solo baselines' series of the same name as `group`, where their phases were observed. */
function soloSeries(r: RunResultJson, group: SeriesGroup): SoloSeries[] {
  return r.baselines.flatMap((b) => {
    const found = findPhaseSeries(b.phase.observation, 'shared.observation').find((g) => g.name === group.name);
    return found ? [{ label: r.baselines.length > 1 ? `solo ${b.role}` : 'solo', group: found }] : [];
  });
}

/** The shared phase's device summaries, beside each solo baseline's where that phase was observed. */
function observationTable(r: RunResultJson, shared: Summary[]): string {
  const solos = r.baselines
    .map((b) => ({ label: r.baselines.length > 1 ? `solo ${b.role}` : 'solo', summaries: phaseObservationFacts(b.phase.observation).summaries }))
    .filter((x) => x.summaries.length > 0);
  if (solos.length === 0) return list(shared);
  return table(
    ['', 'shared', ...solos.map((x) => esc(x.label))],
    shared.map((s) => [esc(s.name), esc(formatSummaryValue(s)), ...solos.map((x) => summaryCells(x.summaries, [s])[0]!)]),
  );
}

async function observationBlock(run: LoadedRun, width: number): Promise<Block> {
  const groups = findSeries(run.raw);
  const { summaries, notes } = observationFacts(run.raw);
  const title = 'What the device did (NVML, GPM, PM sampling)';
  if (groups.length === 0 && summaries.length === 0 && notes.length === 0) {
    return {
      key: 'observation',
      title,
      html: note(
        'No device observation in this result (no <code>shared.observation</code>): it was made without device sampling (<code>--sample-ms 0</code>), or by a version that did not record it.',
      ),
    };
  }
  const parts: string[] = [];
  if (summaries.length > 0) parts.push(observationTable(run.result, summaries));
  for (const n of notes) parts.push(note(esc(n)));
  for (const g of groups.slice(0, MAX_SERIES_CHARTS)) {
    const chart = await seriesChart(g, width, soloSeries(run.result, g));
    const caption = seriesCaption(g, chart);
    parts.push(`<h4>${esc(seriesTitle(g.name))}</h4>`);
    parts.push(chart.svg ? figure(`series:${g.name}`, chart.svg, caption) : `<p class="caption">${caption}</p>`);
  }
  if (groups.length > MAX_SERIES_CHARTS) parts.push(note(`${groups.length - MAX_SERIES_CHARTS} more time series in this observation, not drawn.`));
  if (groups.length === 0) parts.push(note('No time series in this observation.'));
  return { key: 'observation', title, html: parts.join('\n') };
}

/** Every block of one run's report, charts `width` px wide. */
export async function runBlocks(run: LoadedRun, width: number): Promise<Block[]> {
  const r = run.result;
  return [
    verdictBlock(r),
    aboutBlock(run),
    summaryBlock(r),
    ...(await occupancyBlocks(r, width)),
    ...(await switchBlocks(r, width)),
    await latencyBlock(r, width),
    await observationBlock(run, width),
  ];
}

/** Only the occupancy blocks (for a sweep's points in detail). */
export async function occupancyOnly(run: LoadedRun, width: number): Promise<Block[]> {
  return occupancyBlocks(run.result, width);
}

// The report document: one run, two runs side by side, a sweep, or a scenario; one self-contained HTML string.
import { packageVersion } from '../../version.js';
import type { LoadedPoint, LoadedRun, ReportInput } from '../inputs.js';
import { comparisonView } from './compare-view.js';
import { blockHtml, esc, facts, figure, note, page } from './page.js';
import { CHART_LIBRARIES } from './render.js';
import { describeWork, occupancyOnly, runBlocks } from './run-blocks.js';
import { mergedView } from './merged-view.js';
import { scenarioView } from './scenario-view.js';
import { groupOf, pointsTable, sweepGroupChart, sweepVerdict } from './sweep-charts.js';

const WIDE = 900;
const HALF = 560;
/** Points of a sweep shown in detail (their SM timelines): the most processes of each group and mode. */
const MAX_DETAILED_POINTS = 16;

export interface BuildOptions {
  /** Time printed in the footer (default now). */
  generatedAt?: Date;
}

function gpuLine(run: LoadedRun): string {
  const g = run.result.environment.gpu;
  return `${g.name} · driver ${run.result.environment.driverVersion ?? '?'}`;
}

async function single(run: LoadedRun): Promise<{ title: string; subtitle: string; body: string }> {
  const blocks = await runBlocks(run, WIDE);
  return {
    title: 'gpushare-micro report',
    subtitle: esc(`${describeWork(run.result)} — ${gpuLine(run)}`),
    body: blocks.map(blockHtml).join('\n'),
  };
}

function detailed(points: LoadedPoint[]): LoadedPoint[] {
  const best = new Map<string, LoadedPoint>();
  for (const p of points) {
    if (!p.run) continue;
    const key = `${groupOf(p)}|${p.point.mode}`;
    const current = best.get(key);
    if (!current || p.point.procs > current.point.procs) best.set(key, p);
  }
  return [...best.values()].slice(0, MAX_DETAILED_POINTS);
}

async function sweep(input: Extract<ReportInput, { kind: 'sweep' }>): Promise<{ title: string; subtitle: string; body: string }> {
  const { summary, points } = input;
  const count = (status: string) => points.filter((p) => p.point.status === status).length;
  const unreadable = points.filter((p) => p.problem).length;
  const environment = summary.environment ?? points.find((p) => p.run)?.run?.result.environment;
  const pending = count('pending');
  const items: Array<[string, string]> = [['directory', `<code>${esc(input.dir)}</code>`]];
  if (summary.command) items.push(['command', `<code>${esc(summary.command.join(' '))}</code>`]);
  if (environment) items.push(['GPU', esc(`${environment.gpu.name} (${environment.gpu.smCount} SMs), driver ${environment.driverVersion ?? '?'}`)]);
  items.push([
    'measured',
    esc(`${summary.createdAt}${summary.updatedAt ? ` to ${summary.updatedAt}` : ''}${environment ? ` on ${environment.hostname}` : ''}`),
  ]);
  items.push([
    'points',
    esc(
      `${points.length}: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed${pending ? `, ${pending} not run yet (interrupted: --resume goes on)` : ''}${unreadable ? `, ${unreadable} done but unreadable` : ''}`,
    ),
  ]);
  const about = facts(items);
  const modes = [...new Set(points.map((p) => p.point.mode))];
  const groups = [...new Set(points.map(groupOf))];
  const charts: string[] = [];
  for (const group of groups) {
    const inGroup = points.filter((p) => groupOf(p) === group);
    const svg = await sweepGroupChart(inGroup, modes);
    charts.push(
      svg
        ? blockHtml({
            key: `sweep:${group}`,
            title: group,
            html: figure(
              `sweep:${group}`,
              svg,
              'One line per sharing mode; each point has its own solo baseline. Dashed: 1.0×, the same as solo (above it in aggregate throughput: sharing gained; in p99 latency: sharing cost). Skipped and failed points are left out (see the table).',
            ),
          })
        : blockHtml({ key: `sweep:${group}`, title: group, html: note('No point of this group finished: see the table for why.') }),
    );
  }
  const details: string[] = [];
  for (const p of detailed(points)) {
    const blocks = await occupancyOnly(p.run!, WIDE);
    details.push(
      `<h3>${esc(`${p.point.id}: ${p.point.mode}, ${p.point.procs} process${p.point.procs === 1 ? '' : 'es'}`)}</h3>${blocks.map(blockHtml).join('\n')}`,
    );
  }
  const verdicts = sweepVerdict(points);
  const verdict =
    verdicts.length > 0
      ? `<ul class="verdict">${verdicts.map((v) => `<li data-verdict="${esc(v.group)}"><strong>${esc(v.group)}</strong>: ${esc(v.text)}.</li>`).join('')}</ul>`
      : note('No point of this sweep finished: no verdict.');
  const body = [
    blockHtml({
      key: 'verdict',
      title: 'Verdict',
      html: `${verdict}<p class="caption">Each point measured once: differences of a few percent may be noise.</p>`,
    }),
    blockHtml({ key: 'about', title: 'What ran', html: about }),
    '<h2>Throughput and latency against processes</h2>',
    ...charts,
    '<h2>Every point</h2>',
    blockHtml({ key: 'points', title: 'Points', html: pointsTable(points) }),
    '<h2>SM timelines</h2>',
    details.length > 0 ? details.join('\n') : note('No point finished with a readable result.'),
  ];
  return {
    title: 'gpushare-micro sweep report',
    subtitle: esc(`${groups.join('; ')} — modes ${modes.join(', ')}${environment ? ` — ${environment.gpu.name}` : ''}`),
    body: body.join('\n'),
  };
}

/** The HTML of the report for `input`. */
export async function buildReport(input: ReportInput, options: BuildOptions = {}): Promise<string> {
  const parts =
    input.kind === 'sweep'
      ? await sweep(input)
      : input.kind === 'scenario'
        ? await scenarioView(input, WIDE)
        : input.kind === 'merged'
          ? mergedView(input.dir, input.merged)
          : input.runs.length === 2
            ? await comparisonView(input.runs[0]!, input.runs[1]!, HALF)
            : await single(input.runs[0]!);
  const when = (options.generatedAt ?? new Date()).toISOString();
  const footer = esc(
    `Made by gpushare-micro ${packageVersion()} at ${when}. Charts by ${CHART_LIBRARIES}, rendered to SVG when the report was built: this page loads nothing and needs no network.`,
  );
  return page(parts.title, parts.subtitle, parts.body, footer);
}

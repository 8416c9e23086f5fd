// The HTML report from results made by run() with stand-in clients (no GPU): occupancy attached to the
// result, inputs validated with one-line errors, the CLI's exit codes, and what each kind of report
// contains (single run, two side by side, a sweep with skipped points, the recorded H200 result).
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMELINE_IDLE } from '../src/metrics/occupancy.js';
import { pick } from '../src/metrics/summary.js';
import { buildReport } from '../src/report/html/build.js';
import { loadReportInputs, ReportInputError } from '../src/report/inputs.js';
import { validateRunResult } from '../src/report/schema.js';
import { sweepSummaryJsonSchema } from '../src/report/sweep-schema.js';
import { formatRunResult } from '../src/report/table.js';
import type { RunResult } from '../src/run.js';
import { standInRun, withObservation, writeResult, writeSweep } from './fixtures/report-inputs.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const recorded = fileURLToPath(new URL('../docs/results/2026-11-29-h200-timeslice/gemm-p4.json', import.meta.url));
const recordedWithOccupancy = fileURLToPath(new URL('../docs/results/2026-11-29-h200-occupancy/gemm-p4-timeslice.json', import.meta.url));

let dir: string;
let two: RunResult;
let twoFile: string;
let threeFile: string;
let sweepDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-report-'));
  two = await standInRun(2);
  twoFile = await writeResult(dir, 'p2.json', two);
  threeFile = await writeResult(dir, 'p3.json', await standInRun(3));
  sweepDir = await writeSweep(join(dir, 'sweep'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A valid result with very long series, made from a stand-in run's: an occupancy series of a million
 * 1 µs bins, a timeline of a million bins per SM with a change every third bin, 200,000 launches per
 * client, 200,000 switches and slices, and 200,000 NVML samples.
 */
function longSeries(source: RunResult): RunResult {
  const result = structuredClone(source);
  const bins = 1_000_000;
  const n = 200_000;
  const o = result.shared.occupancy!;
  const binNs = 1000;
  o.windowEndNs = o.windowStartNs + bins * binNs;
  const tNs = Array.from({ length: bins }, (_, i) => o.windowStartNs + i * binNs);
  const turn = (i: number) => Math.floor(i / 2048) % o.clients.length;
  o.series = { binNs, tNs, share: o.clients.map((_, k) => tNs.map((_, i) => (turn(i) === k ? 0.95 : 0))), idle: tNs.map(() => 0.05) };
  const row = Array.from({ length: bins }, (_, i) => String(Math.floor(i / 3) % o.clients.length)).join('');
  o.timeline = { startNs: o.windowStartNs, endNs: o.windowEndNs, binNs, bins, rows: o.timeline.rows.map(() => row) };
  for (const c of result.shared.clients) {
    const t = Array.from({ length: n }, (_, i) => i * 5000);
    c.samples = { enqueueNs: t, latencyNs: t.map((_, i) => 4e6 + (i % 977) * 1000), gpuNs: t.map((_, i) => 1e6 + (i % 101)) };
    c.launches = n;
  }
  const s = result.shared.switches;
  s.switches = Array.from({ length: n }, (_, i) => ({ from: i % 2, to: (i + 1) % 2, atNs: i * 2e6, gapNs: 40e3 + (i % 89) * 100 }));
  s.slices = Array.from({ length: n }, (_, i) => ({ client: i % 2, startNs: i * 2e6, endNs: i * 2e6 + 1.9e6 + (i % 83) * 1000 }));
  s.count = n;
  const nvml = result.shared.observation!.nvml;
  if (!nvml.available) throw new Error('expected an NVML observation');
  nvml.series.tNs = Array.from({ length: n }, (_, i) => i * 50e6);
  nvml.series.columns = { powerW: nvml.series.tNs.map((_, i) => 100 + (i % 50)), smClockMHz: nvml.series.tNs.map(() => 1980) };
  return result;
}

const charts = (html: string) => [...html.matchAll(/<figure class="chart" data-chart="([^"]+)">/g)].map((m) => m[1]);

describe('occupancy in a run with stand-in clients', () => {
  it('gives each client its SM share, the idle share and a timeline of who held each SM', () => {
    const o = two.shared.occupancy!;
    expect(o).toBeDefined();
    expect(o.clients).toEqual([0, 1]);
    expect(o.clippedToSlices).toBe(true);
    // The stand-ins take turns: 2 ms slices, 50 µs between them, on all 8 SMs → 2 / 4.1 each.
    for (const share of o.share) expect(share).toBeCloseTo(2 / 4.1, 1);
    expect(Math.abs(o.share[0]! - 2 / 4.1)).toBeLessThan(0.02);
    expect(o.idle).toBeGreaterThan(0.01);
    expect(o.idle).toBeLessThan(0.05);
    expect(o.windowStartNs).toBe(two.shared.switches.windowStartNs);
    expect(o.timeline.rows).toHaveLength(8);
    expect(o.timeline.binNs).toBe(100e3);
    // Runs of about 20 cells (2 ms) of one client, then the other: client 1 starts the window.
    const row = o.timeline.rows[0]!;
    expect(row.slice(0, 19)).toBe('1'.repeat(19));
    expect(row.slice(22, 40)).toBe('0'.repeat(18));
    expect(row).not.toContain(TIMELINE_IDLE.repeat(2));
    for (const c of two.shared.clients) expect(pick(c.summaries, 'smShare')?.hint).toBe('fraction');
    expect(pick(two.shared.aggregate, 'occupancy.idle')).toBeDefined();
    validateRunResult(JSON.parse(JSON.stringify(two)));
    const text = formatRunResult(two);
    expect(text).toContain('SM share');
    expect(text).toContain('SMs idle (traced window)');
  });
});

describe('report inputs', () => {
  it.each([
    [['/nonexistent/x.json'], /cannot read \/nonexistent\/x\.json/],
    [['BAD_JSON'], /is not JSON/],
    [['WRONG_SCHEMA'], /is not a gpushare-micro\/run v\d result: at schema:/],
    [['P2', 'P2', 'P2'], /expected one or two result files, got 3/],
    [['SWEEP', 'P2'], /sweep directory is reported alone/],
    [['EMPTY_DIR'], /cannot read .*summary\.json/],
    [['BAD_SWEEP'], /not a gpushare-micro\/sweep v1 summary: at points\.0\.file: a done point needs its result file/],
    [['SUMMARY_FILE'], /is a sweep summary: give its directory instead/],
  ])('rejects %j with one line', async (args, message) => {
    await writeFile(join(dir, 'bad.json'), '{ "schema": ');
    await writeFile(join(dir, 'wrong.json'), JSON.stringify({ schema: 'something-else' }));
    await rm(join(dir, 'empty'), { recursive: true, force: true });
    await mkdir(join(dir, 'empty'));
    const badSweep = JSON.parse(await readFile(join(sweepDir, 'summary.json'), 'utf8')) as { points: Array<Record<string, unknown>> };
    delete badSweep.points[0]!.file;
    await mkdir(join(dir, 'bad-sweep'), { recursive: true });
    await writeFile(join(dir, 'bad-sweep', 'summary.json'), JSON.stringify(badSweep));
    const names: Record<string, string> = {
      BAD_JSON: join(dir, 'bad.json'),
      WRONG_SCHEMA: join(dir, 'wrong.json'),
      P2: twoFile,
      SWEEP: sweepDir,
      EMPTY_DIR: join(dir, 'empty'),
      BAD_SWEEP: join(dir, 'bad-sweep'),
      SUMMARY_FILE: join(sweepDir, 'summary.json'),
    };
    const error = await loadReportInputs(args.map((a) => names[a] ?? a)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReportInputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads a sweep, its done points, and keeps skipped, failed and unreadable points with their reasons', async () => {
    const copy = join(dir, 'sweep-broken');
    await cp(sweepDir, copy, { recursive: true });
    // One point's result file damaged, one point marked failed (as an incomplete run is).
    await writeFile(join(copy, 'points', 'gemm-256-saturate-streams-p1.json'), '{}');
    const summary = JSON.parse(await readFile(join(copy, 'summary.json'), 'utf8')) as { points: Array<Record<string, unknown>> };
    Object.assign(summary.points[3]!, { status: 'failed', reason: 'client 1 (pid 42) crashed: SIGSEGV' });
    await writeFile(join(copy, 'summary.json'), JSON.stringify(summary));
    const input = await loadReportInputs([copy]);
    if (input.kind !== 'sweep') throw new Error('expected a sweep');
    expect(input.points.map((p) => [p.point.id, p.point.status, Boolean(p.run), Boolean(p.problem)])).toEqual([
      ['gemm-256-saturate-timeslice-p1', 'done', true, false],
      ['gemm-256-saturate-timeslice-p2', 'done', true, false],
      ['gemm-256-saturate-streams-p1', 'done', false, true],
      ['gemm-256-saturate-streams-p2', 'failed', false, false],
      ['gemm-256-saturate-green-p1', 'done', true, false],
      ['gemm-256-saturate-green-p2', 'skipped', false, false],
    ]);
    const html = await buildReport(input);
    expect(html).toMatch(/not a gpushare-micro\/run v\d result/);
    expect(html).toContain('client 1 (pid 42) crashed: SIGSEGV');
    expect(html).toContain('expected at most 1 clients with --mode green');
    expect(html).toContain('6: 4 done, 1 skipped, 1 failed, 1 done but unreadable');
    // Streams has no readable point left: no timeline for it, the others keep theirs.
    expect(charts(html)).toEqual(['sweep:gemm 256 · saturating', 'timeline', 'share', 'timeline', 'share']);
  });

  it('reads results kept gzipped: a sweep whose points are FILE.json.gz, and a .json.gz named as such', async () => {
    const copy = join(dir, 'sweep-gzipped');
    await cp(sweepDir, copy, { recursive: true });
    const pointsDir = join(copy, 'points');
    const names = await readdir(pointsDir);
    for (const name of names) {
      await writeFile(join(pointsDir, `${name}.gz`), gzipSync(await readFile(join(pointsDir, name))));
      await rm(join(pointsDir, name));
    }
    const input = await loadReportInputs([copy]);
    if (input.kind !== 'sweep') throw new Error('expected a sweep');
    expect(input.points.filter((p) => p.run).length).toBe(5); // every done point
    const one = await loadReportInputs([join(pointsDir, `${names[0]}.gz`)]);
    expect(one.kind).toBe('run');
  });

  it('accepts an interrupted sweep (points not run yet) and says so', async () => {
    const copy = join(dir, 'sweep-interrupted');
    await cp(sweepDir, copy, { recursive: true });
    const summary = JSON.parse(await readFile(join(copy, 'summary.json'), 'utf8')) as { points: Array<Record<string, unknown>> };
    for (const p of summary.points.slice(4)) {
      for (const key of Object.keys(p)) if (!['id', 'kernel', 'size', 'procs', 'mode', 'loop', 'options'].includes(key)) delete p[key];
      p.status = 'pending';
    }
    await writeFile(join(copy, 'summary.json'), JSON.stringify(summary));
    const html = await buildReport(await loadReportInputs([copy]));
    expect(html).toContain('6: 4 done, 0 skipped, 0 failed, 2 not run yet (interrupted: --resume goes on)');
  });

  it('has a JSON Schema for the sweep summary', () => {
    const schema = sweepSummaryJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(['schema', 'version', 'createdAt', 'updatedAt', 'command', 'axes', 'environment', 'points']);
  });
});

describe('the HTML report', () => {
  it('of one run: timeline, share, histograms, latency CDF; says what is missing; loads nothing', async () => {
    const html = await buildReport(await loadReportInputs([twoFile]));
    expect(charts(html)).toEqual(['timeline', 'share', 'gaps', 'slices', 'latency']);
    expect(html).toContain('No device observation in this result');
    for (const c of ['solo', 'client 0', 'client 1', 'idle']) expect(html).toContain(`>${c}</text>`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('lists the device observation and draws its NVML and GPM series', async () => {
    const file = await writeResult(dir, 'observed.json', withObservation(two));
    const html = await buildReport(await loadReportInputs([file]));
    expect(charts(html)).toEqual([
      'timeline',
      'share',
      'gaps',
      'slices',
      'latency',
      'series:shared.observation.nvml.series',
      'series:shared.observation.nvml.series.gpm',
    ]);
    // Named in words with their units; the SM clock, 1980 MHz throughout, said in words instead of a flat line.
    for (const panel of ['GPU utilisation (time a kernel ran) (%)', 'power (W)', 'SM activity (time a warp was resident) (%)'])
      expect(html).toContain(`>${panel}</text>`);
    expect(html).toContain('40 samples; constant throughout, not drawn: SM clock 1,980 MHz.');
    expect(html).not.toContain('>smClockMHz');
    expect(html).not.toContain('No device observation in this result');
  });

  it('merges the rows of a timeline of thousands of SMs and draws at most 24 metrics a chart, and says so', async () => {
    const result = withObservation(two);
    const o = result.shared.occupancy!;
    o.timeline.rows = Array.from({ length: 2000 }, (_, sm) => o.timeline.rows[sm % o.timeline.rows.length]!);
    const nvml = result.shared.observation!.nvml;
    if (!nvml.available) throw new Error('expected an NVML observation');
    for (let i = 0; i < 30; i++) nvml.series.columns[`extra${i}`] = nvml.series.tNs.map((_, k) => k + i);
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'many-sms.json', result)]));
    expect(html).toContain('Each row is 4 SMs (merged to keep the page small');
    expect(html).toContain('40 samples; 24 metrics drawn and 8 more not drawn; constant throughout, not drawn: SM clock 1,980 MHz.');
  });

  it('of two runs: headline figures side by side and each block paired', async () => {
    const html = await buildReport(await loadReportInputs([twoFile, threeFile]));
    expect(html).toContain('two runs side by side');
    expect(html).toContain('Headline figures');
    expect(charts(html).filter((c) => c === 'timeline')).toHaveLength(2);
    expect(html.match(/<div class="pair">/g)!.length).toBeGreaterThanOrEqual(8);
    expect(html).toContain('A: timeslice · gemm 256 · 2 procs · p2.json');
    expect(html).toContain('B: timeslice · gemm 256 · 3 procs · p3.json');
  });

  it('of a sweep: a chart per group, every point with skipped ones and their reasons, timelines', async () => {
    const html = await buildReport(await loadReportInputs([sweepDir]));
    // One chart for gemm 256 saturating; the timelines of the point with the most processes per mode.
    expect(charts(html)).toEqual(['sweep:gemm 256 · saturating', 'timeline', 'share', 'timeline', 'share', 'timeline', 'share']);
    for (const id of ['gemm-256-saturate-timeslice-p2', 'gemm-256-saturate-streams-p2', 'gemm-256-saturate-green-p1']) expect(html).toContain(`<h3>${id}:`);
    expect(html).toContain('6: 5 done, 1 skipped, 0 failed');
    expect(html).toContain('expected at most 1 clients with --mode green');
    for (const mode of ['timeslice', 'streams', 'green']) expect(html).toContain(`>${mode}</text>`);
    // A concurrent mode's "switches" are said to be interleaving; time slicing's are not.
    const streams = await buildReport(await loadReportInputs([join(sweepDir, 'points', 'gemm-256-saturate-streams-p2.json')]));
    expect(streams).toMatch(/[Uu]nder CUDA streams the clients ran at the same time/);
    const timeslice = await buildReport(await loadReportInputs([join(sweepDir, 'points', 'gemm-256-saturate-timeslice-p2.json')]));
    expect(timeslice).not.toContain('ran at the same time');
    expect(charts(timeslice)).toContain('gaps');
  });

  it('of the recorded H200 result, which predates occupancy and observation: says so and draws the rest', async () => {
    const html = await buildReport(await loadReportInputs([recorded]));
    expect(charts(html)).toEqual(['gaps', 'slices', 'latency']);
    expect(html).toContain('No SM occupancy in this result');
    expect(html).toContain('No device observation in this result');
    expect(html).toContain('2,191 switches');
  });
});

describe('the H200 result recorded with occupancy', () => {
  it('validates, holds the measured shares, and its report draws the 132-SM timeline', async () => {
    const input = await loadReportInputs([recordedWithOccupancy]);
    if (input.kind !== 'run') throw new Error('expected a run');
    const o = input.runs[0]!.result.shared.occupancy!;
    expect(o.clippedToSlices).toBe(true);
    expect(o.timeline.rows).toHaveLength(132);
    for (const share of o.share) expect(share).toBeCloseTo(0.207, 2);
    expect(o.idle).toBeCloseTo(0.174, 2);
    const html = await buildReport(input);
    expect(charts(html)).toEqual(['timeline', 'share', 'gaps', 'slices', 'latency']);
    expect(html.length).toBeLessThan(3 * 2 ** 20);
  });
});

describe('gpushare-micro report (CLI)', () => {
  const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('writes the report and exits 0', async () => {
    const out = join(dir, 'cli-report.html');
    const r = cliRun('report', twoFile, '-o', out);
    expect(r.stderr).toMatch(/wrote .*cli-report\.html \(\d+ KiB\)/);
    expect(r.status).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it.each([
    [['report', '/nonexistent.json'], 'cannot read /nonexistent.json'],
    [['report', 'WRONG', '-o', 'OUT'], 'is not a gpushare-micro/run v1 result'],
    [['report', 'P2', '-o', '/nonexistent-dir/r.html'], 'invalid --output: expected a file in an existing directory'],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    await writeFile(join(dir, 'wrong.json'), JSON.stringify({ schema: 'gpushare-micro/run', schemaVersion: 1 }));
    const names: Record<string, string> = { WRONG: join(dir, 'wrong.json'), OUT: join(dir, 'never.html'), P2: twoFile };
    const r = cliRun(...args.map((a) => names[a] ?? a));
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });

  // zod joins the problems of nested values with push(...list): past about 1e5 problems that overflowed
  // the stack, and `report` died with "Maximum call stack size exceeded" instead of naming the problem.
  it('names the first problem of a million samples too large for a number (1e999), in one line, exit 2', async () => {
    const file = join(dir, 'huge-numbers.json');
    const result = structuredClone(two);
    result.shared.clients[0]!.samples.latencyNs = new Array<number>(1_000_000).fill(7.77e300);
    await writeFile(file, JSON.stringify(result).replaceAll('7.77e+300', '1e999'));
    const r = cliRun('report', file, '-o', join(dir, 'never.html'));
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/is not a gpushare-micro\/run v\d result: at shared.clients.0.samples.latencyNs.0:/);
    expect(lines[0]).toContain('received Infinity (and more problems)');
  });

  it('reports a result with a million samples of the largest numbers', async () => {
    const file = join(dir, 'enormous.json');
    const out = join(dir, 'enormous.html');
    const result = structuredClone(two);
    const c = result.shared.clients[0]!;
    c.samples = {
      enqueueNs: new Array<number>(1_000_000).fill(1e308),
      latencyNs: new Array<number>(1_000_000).fill(1.7e308),
      gpuNs: new Array<number>(1_000_000).fill(1e308),
    };
    c.launches = 1_000_000;
    await writeFile(file, JSON.stringify(result));
    const r = cliRun('report', file, '-o', out);
    expect(r.stderr).toMatch(/wrote .*enormous\.html/);
    expect(r.status).toBe(0);
  });

  // A valid result whose occupancy series had about a million bins made `report` run out of memory:
  // every chart now draws a bounded number of marks however long the series (merged or thinned, and
  // said so on the chart).
  it('reports a result with a million occupancy bins and long sample series in seconds, in a page of a few MB', async () => {
    const file = join(dir, 'long-series.json');
    const out = join(dir, 'long-series.html');
    const result = longSeries(withObservation(two));
    validateRunResult(JSON.parse(JSON.stringify(result)));
    await writeFile(file, JSON.stringify(result));
    const started = performance.now();
    const r = spawnSync(process.execPath, [cli, 'report', file, '-o', out], { encoding: 'utf8', timeout: 90_000 });
    const seconds = (performance.now() - started) / 1e3;
    expect(r.stderr).toMatch(/wrote .*long-series\.html/);
    expect(r.status).toBe(0);
    expect(seconds).toBeLessThan(30);
    const html = await readFile(out, 'utf8');
    expect(html.length).toBeLessThan(4 * 2 ** 20);
    expect(charts(html)).toEqual([
      'timeline',
      'share',
      'gaps',
      'slices',
      'latency',
      'series:shared.observation.nvml.series',
      'series:shared.observation.nvml.series.gpm',
    ]);
    // Each chart that had more than it draws says so.
    expect(html).toContain('1,000,000 bins of 1.00 µs recorded');
    expect(html).toMatch(/recorded at 1\.00 µs, merged/);
    expect(html).toMatch(/every \d+th of 200,000 drawn/);
    expect(html).toMatch(/200,000 samples \(1 in 100 drawn\)/);
  }, 180_000);

  it('needs at least one input', () => {
    const r = cliRun('report');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("missing required argument 'inputs'");
  });
});

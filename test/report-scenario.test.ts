// The HTML report of a scenario's results directory, made by runScenario() with stand-in clients (no
// GPU): a saturating role beside an open-loop role with an SLO, under time slicing and streams (and green
// contexts, skipped: the stand-in GPU's 8 SMs cannot make two green contexts). The page
// puts the verdict first, gives each role its latency CDF per mode against the role alone (SLO rule,
// dashed solo line), its throughput against alone and its figures, and each mode's figures; an
// unreadable run is listed with its problem; a bad scenario.json is one line naming the file.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/html/build.js';
import { cdfPoints } from '../src/report/html/latency-charts.js';
import { roleLatencyChart } from '../src/report/html/scenario-charts.js';
import { loadReportInputs, ReportInputError } from '../src/report/inputs.js';
import type { ScenarioSummary } from '../src/scenario/result-schema.js';
import { runScenario, scenarioSteps } from '../src/scenario/runner.js';
import type { Scenario } from '../src/scenario/scenario.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const scenario: Scenario = {
  name: 'train+infer',
  description: 'a saturating training-like role beside an open-loop inference role',
  source: 'test',
  text: 'name: train+infer\nroles:\n  train: { kernel: gemm, size: 256 }\n  infer: { kernel: gemm, size: 64, arrival: poisson:300/s, slo: p99<=10ms }\n',
  modes: ['timeslice', 'streams', 'green'],
  roles: [
    { client: { role: 'train', kernel: 'gemm', size: 256 }, knobs: {} },
    { client: { role: 'infer', kernel: 'gemm', size: 64, arrival: 'poisson:300/s', depth: 1000, slo: 'p99<=10ms' }, knobs: {} },
  ],
  options: { duration: '300ms', warmup: '0ms', seed: 5, sampleMs: 0 },
  overrides: {},
};

const charts = (html: string) => [...html.matchAll(/<figure class="chart" data-chart="([^"]+)">/g)].map((m) => m[1]);
/** The HTML of one figure. */
const chart = (html: string, name: string) => html.slice(html.indexOf(`data-chart="${name}"`), html.indexOf('</figure>', html.indexOf(`data-chart="${name}"`)));
/** The HTML of one block. */
const block = (html: string, key: string) => html.slice(html.indexOf(`data-block="${key}"`), html.indexOf('</section>', html.indexOf(`data-block="${key}"`)));

let dir: string;
let results: string;
let summary: ScenarioSummary;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-report-scenario-'));
  results = join(dir, 'train+infer');
  process.env.STAND_IN_PROCS = '2';
  process.env.STAND_IN_SERVICE_NS = String(1e6);
  try {
    summary = await runScenario(scenario, scenarioSteps(scenario), {
      outDir: results,
      clientModule,
      ...standInDevice(),
      command: ['gpushare-micro', 'scenario', 'run', 'train+infer'],
    });
  } finally {
    delete process.env.STAND_IN_PROCS;
    delete process.env.STAND_IN_SERVICE_NS;
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a scenario results directory as report input', () => {
  it('reads scenario.json, each done run and each role baseline', async () => {
    expect(summary.runs.map((r) => [r.mode, r.status])).toEqual([
      ['timeslice', 'done'],
      ['streams', 'done'],
      ['green', 'skipped'],
    ]);
    const input = await loadReportInputs([results]);
    if (input.kind !== 'scenario') throw new Error(`expected a scenario, got ${input.kind}`);
    expect(input.summary.scenario.name).toBe('train+infer');
    expect(input.runs.map((r) => [r.entry.mode, r.run?.result.mode, r.problem])).toEqual([
      ['timeslice', 'timeslice', undefined],
      ['streams', 'streams', undefined],
      ['green', undefined, undefined],
    ]);
    expect(input.baselines.map((b) => [b.role, b.phase?.label, b.problem])).toEqual([
      ['train', 'baseline', undefined],
      ['infer', 'baseline', undefined],
    ]);
  });

  it.each([
    ['not JSON', (s: string) => s.slice(0, 20), /scenario\.json is not JSON/],
    [
      'a missing field',
      (s: string) => {
        const v = JSON.parse(s) as { scenario: Record<string, unknown> };
        delete v.scenario.modes;
        return JSON.stringify(v);
      },
      /scenario\.json is not a gpushare-micro\/scenario v1 summary: at scenario\.modes:/,
    ],
    [
      'a run of an unknown status',
      (s: string) => s.replace('"status": "done"', '"status": "finished"'),
      /scenario\.json is not a gpushare-micro\/scenario v1 summary: at runs\.0\.status:/,
    ],
  ])('rejects a scenario.json that is %s in one line naming the file', async (_what, damage, message) => {
    const copy = join(dir, `bad-${_what.replace(/ /g, '-')}`);
    await cp(results, copy, { recursive: true });
    await writeFile(join(copy, 'scenario.json'), damage(await readFile(join(results, 'scenario.json'), 'utf8')));
    const error = await loadReportInputs([copy]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReportInputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(join(copy, 'scenario.json'));
    expect((error as Error).message).not.toContain('\n');
  });

  it('says to give the directory when given scenario.json itself', async () => {
    await expect(loadReportInputs([join(results, 'scenario.json')])).rejects.toThrow(/scenario\.json is a scenario summary: give its directory instead/);
  });
});

describe('the scenario report', () => {
  let html: string;
  beforeAll(async () => {
    html = await buildReport(await loadReportInputs([results]));
  });

  it('puts the verdict first, then what ran, then each role and each mode', () => {
    const verdict = summary.verdicts[0]!.text;
    expect(verdict).toMatch(/^meets every SLO and keeps the most train throughput: (timeslice|streams), \d\.\d\d× train/);
    expect(block(html, 'verdicts')).toContain(`<li data-objective="slo">${verdict}</li>`);
    const order = ['data-block="verdicts"', 'data-block="about"', 'data-block="role:train"', 'data-block="role:infer"', 'data-block="modes"'].map((k) =>
      html.indexOf(k),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const about = block(html, 'about');
    expect(about).toContain('train ×1: gemm 256×256×256 bf16→fp32, saturating (3 in flight)');
    expect(about).toContain('infer ×1: gemm 64×64×64 bf16→fp32, open loop, poisson:300/s (at most 1000 in flight), SLO p99&lt;=10ms');
    expect(about).toContain('timeslice, streams, green');
    expect(about).toContain('Stand-in GPU (8 SMs)');
    expect(about).toContain('<code>gpushare-micro scenario run train+infer</code>');
    expect(about).toContain('3: 2 done, 1 skipped, 0 failed');
    expect(about).toContain('INCOMPLETE');
    expect(about).toContain('slo: p99&lt;=10ms');
    expect(html).toContain('gpushare-micro scenario report: train+infer');
  });

  it("draws each role's latency per mode against the role alone, with the SLO rule, and its throughput per mode", () => {
    expect(charts(html)).toEqual(['latency:train', 'throughput:train', 'latency:infer', 'throughput:infer']);
    for (const role of ['train', 'infer']) {
      const latency = chart(html, `latency:${role}`);
      // One line per mode and the role alone, dashed (Vega writes the dash of the solo line on its path).
      for (const who of ['timeslice', 'streams', `${role} alone`]) expect(latency).toContain(`>${who}</text>`);
      expect(latency).toMatch(/stroke-dasharray="5,3"/);
      const throughput = chart(html, `throughput:${role}`);
      for (const mode of ['timeslice', 'streams']) expect(throughput).toContain(`>${mode}</text>`);
      expect(throughput).toContain('>alone: 1.0×</text>');
    }
    expect(chart(html, 'latency:infer')).toContain('>SLO p99&lt;=10ms</text>');
    expect(chart(html, 'latency:train')).not.toContain('SLO');
  });

  it("tables each role's figures and SLO outcomes per mode, and the whole GPU's per mode", () => {
    const infer = block(html, 'role:infer');
    expect(infer).toContain('<th>SLO p99&lt;=10ms</th>');
    expect(infer).toContain('<th>throughput vs alone</th>');
    expect(infer).toContain('<th>p99 queueing</th>');
    // 300/s on a 1 ms server: every request well within 10 ms in both modes.
    expect(infer.match(/<td>met: [\d.]+ ms, 100\.0% within<\/td>/g)).toHaveLength(2);
    expect(block(html, 'role:train')).not.toContain('SLO p99');
    const modes = block(html, 'modes');
    for (const title of ['aggregate vs solo', 'worst slowdown', 'fairness']) expect(modes).toContain(`<th>${title}</th>`);
    expect(modes).toContain('<code>runs/timeslice.json</code>');
    expect(modes).toContain('<code>runs/streams.json</code>');
    // The skipped mode is listed with its reason, and drawn nowhere.
    expect(modes).toMatch(
      /<td>green<\/td><td class="status"><span class="status">skipped<\/span><br><span class="reason">invalid --procs: expected at most 1 clients with --mode green/,
    );
    expect(html.match(/>green<\/text>/g)).toBeNull();
  });

  it('loads nothing and carries its own content policy', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('says "no verdicts" when the summary has none', async () => {
    const copy = join(dir, 'no-verdicts');
    await cp(results, copy, { recursive: true });
    const value = JSON.parse(await readFile(join(copy, 'scenario.json'), 'utf8')) as ScenarioSummary;
    value.verdicts = [];
    await writeFile(join(copy, 'scenario.json'), JSON.stringify(value));
    const page = await buildReport(await loadReportInputs([copy]));
    expect(block(page, 'verdicts')).toContain("No verdicts in this scenario's summary (it is incomplete: see its status below).");
    expect(page).not.toContain('<ul class="verdicts">');
  });

  it('lists an unreadable run with its problem and draws the rest', async () => {
    const copy = join(dir, 'broken-run');
    await cp(results, copy, { recursive: true });
    await writeFile(join(copy, 'runs', 'streams.json'), '{}');
    await rm(join(copy, 'baselines', 'train-1.json'));
    const input = await loadReportInputs([copy]);
    if (input.kind !== 'scenario') throw new Error('expected a scenario');
    expect(input.runs[1]!.problem).toMatch(/streams\.json is not a gpushare-micro\/run v2 result: at schema:/);
    const page = await buildReport(input);
    const modes = block(page, 'modes');
    expect(modes).toContain('done (unreadable)');
    expect(modes).toMatch(/streams\.json is not a gpushare-micro\/run v2 result/);
    expect(block(page, 'about')).toContain('3: 2 done, 1 skipped, 0 failed, 1 done but unreadable');
    // The missing baseline file is listed; the train curve falls back to the baseline the timeslice run carries.
    expect(block(page, 'about')).toMatch(/train: <code>baselines\/train-1\.json<\/code> <span class="reason">unreadable: cannot read .*train-1\.json: ENOENT/);
    const latency = chart(page, 'latency:infer');
    expect(latency).toContain('>timeslice</text>');
    expect(latency).not.toContain('>streams</text>');
    expect(page).toContain('no curve for streams: the result file could not be read');
    expect(chart(page, 'latency:train')).toContain('>train alone</text>');
    // The figures come from scenario.json: both modes are still in the tables and the throughput bars.
    expect(block(page, 'role:infer').match(/<td>met: /g)).toHaveLength(2);
    expect(chart(page, 'throughput:infer')).toContain('>streams</text>');
  });
});

describe('gpushare-micro report of a scenario directory (CLI)', () => {
  it('writes the page and exits 0', async () => {
    const out = join(dir, 'page.html');
    const r = spawnSync(process.execPath, [cli, 'report', results, '-o', out], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/wrote .*page\.html \(\d+ KiB\)/);
    expect(r.status).toBe(0);
    const page = await readFile(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(charts(page)).toEqual(['latency:train', 'throughput:train', 'latency:infer', 'throughput:infer']);
  });

  it('rejects a bad scenario.json with exit code 2 and one line', async () => {
    const copy = join(dir, 'cli-bad');
    await cp(results, copy, { recursive: true });
    await writeFile(join(copy, 'scenario.json'), JSON.stringify({ schema: 'gpushare-micro/scenario', schemaVersion: 1 }));
    const r = spawnSync(process.execPath, [cli, 'report', copy, '-o', join(dir, 'never.html')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${join(copy, 'scenario.json')} is not a gpushare-micro/scenario v1 summary: at createdAt:`);
  });
});

describe('the role latency chart', () => {
  it('counts requests never started: the curve tops out below 100%', () => {
    const points = cdfPoints([3e6, 1e6, 2e6, 4e6], 4);
    expect(points.at(-1)).toEqual({ ms: 4, p: 0.5 });
    expect(points[0]).toEqual({ ms: 1, p: 0.125 });
  });

  it('draws latencies spread over decades on a log axis, the SLO bound labelled, at most 241 points a curve', async () => {
    const fast = Array.from({ length: 10_000 }, (_, i) => 1e6 + i * 100);
    const slow = Array.from({ length: 10_000 }, (_, i) => 1e6 * 1.001 ** i);
    const svg = await roleLatencyChart(
      [
        { label: 'mps', color: '#4c78a8', latencyNs: slow, notStarted: 2000 },
        { label: 'infer alone', color: '#222222', latencyNs: fast, notStarted: 0, solo: true },
      ],
      [{ percentile: 'p99', maxNs: 5e6 }],
      true,
      600,
    );
    expect(svg).toContain('>latency from the scheduled arrival (ms), log scale</text>');
    expect(svg).toContain('>SLO p99&lt;=5ms</text>');
    expect(svg).toMatch(/stroke-dasharray="5,3"/);
    expect(svg!.length).toBeLessThan(60_000);
    expect(await roleLatencyChart([{ label: 'mps', color: '#4c78a8', latencyNs: [], notStarted: 3 }], [], true, 600)).toBeUndefined();
  });
});

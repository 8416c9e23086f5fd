// --runs N end to end with stand-in clients (no GPU): a run's phases interleaved (B1 S1 B2 S2 …), every
// ratio the median over the runs with its confidence interval, every run's headline figures recorded; a
// single run as before; the option checked before anything runs; a sweep and a scenario with runs.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { headline } from '../src/api/results.js';
import { resolveRunConfig } from '../src/config.js';
import { OptionError } from '../src/errors.js';
import type { Summary } from '../src/metrics/summary.js';
import { validateRunResult, writtenRunResultSchema, type RunResult } from '../src/report/schema.js';
import { formatScenario } from '../src/report/scenario-table.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { formatRunResult } from '../src/report/table.js';
import { type Progress, run } from '../src/run.js';
import { parseScenario } from '../src/scenario/file.js';
import { scenarioSummarySchema } from '../src/scenario/result-schema.js';
import { runScenario, scenarioSteps } from '../src/scenario/runner.js';
import { csvExporter, tableExporter } from '../src/sweep/exporters.js';
import { noiseLines } from '../src/sweep/noise.js';
import { planSweep } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/runner.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-runs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.STAND_IN_PROCS;
  delete process.env.STAND_IN_SERVICE_NS;
});

/** Every summary of the result that compares shared with solo: the comparison, the clients' ratios, the roles' figures. */
function compared(r: RunResult): Summary[] {
  return [...r.comparison, ...r.shared.clients.flatMap((c) => c.summaries.filter((s) => s.hint === 'ratio')), ...r.roles.flatMap((x) => x.summaries)];
}

/** "baseline 1/3" for each phase the run announced, in order. */
function phaseLog(into: string[]) {
  return (e: Progress) => {
    if ('label' in e && e.type === 'phase') into.push(`${e.label}${e.role ? ` ${e.role}` : ''}${e.run ? ` ${e.run}/${e.runs}` : ''}`);
  };
}

describe('run() with --runs', () => {
  it('interleaves each baseline with its shared phase and reports every ratio as a median with its interval', async () => {
    process.env.STAND_IN_PROCS = '2';
    const phases: string[] = [];
    const result = await run(
      { procs: 2, duration: '200ms', warmup: '0ms', size: 256, seed: 1, runs: 3 },
      { clientModule, ...standInDevice(), onProgress: phaseLog(phases) },
    );
    expect(phases).toEqual(['baseline gemm 1/3', 'shared 1/3', 'baseline gemm 2/3', 'shared 2/3', 'baseline gemm 3/3', 'shared 3/3']);
    expect(result.complete).toBe(true);
    expect(result.options.runs).toBe(3);
    const figures = compared(result);
    expect(figures.map((s) => s.tag)).toEqual(
      expect.arrayContaining(['aggregate.vsSolo', 'slowdown.max', 'fairness', 'slowdown', 'latency.p99.vsSolo', 'role.vsSolo']),
    );
    for (const s of figures) {
      expect(s.ci, s.tag).toBeDefined();
      expect(s.ci!.low, s.tag).toBeLessThanOrEqual(s.value);
      expect(s.value, s.tag).toBeLessThanOrEqual(s.ci!.high);
      expect(s.ci!.level).toBe(0.75);
    }
    // Every run's headline figures, and the run whose phases the result holds: the median one.
    const rep = result.repeats!;
    expect(rep).toMatchObject({ asked: 3, runs: 3, method: 'order-statistic' });
    expect(rep.perRun).toHaveLength(3);
    const aggregates = rep.perRun.map((r) => r.comparison.find((s) => s.tag === 'aggregate.vsSolo')!.value);
    const median = result.comparison.find((s) => s.tag === 'aggregate.vsSolo')!;
    expect(median.value).toBe([...aggregates].sort((a, b) => a - b)[1]);
    expect(aggregates[rep.recorded]).toBe(median.value);
    expect(median.ci).toMatchObject({ low: Math.min(...aggregates), high: Math.max(...aggregates) });
    for (const r of rep.perRun) expect(r.solo[0]!.summaries.map((s) => s.tag)).toEqual(['throughput', 'latency.p99']);
    // With 3 runs no run is called an outlier.
    expect(rep.outliers).toEqual([]);
    expect(headline(result).intervals?.aggregateVsSolo).toEqual(median.ci);
    const json: unknown = JSON.parse(JSON.stringify(result));
    validateRunResult(json);
    expect(writtenRunResultSchema.parse(json)).toEqual(json);
    const table = formatRunResult(result);
    expect(table).toMatch(/aggregate throughput vs solo +\d+\.\d\d× \[\d+\.\d\d–\d+\.\d\d\]/);
    expect(table).toMatch(/slowdown vs solo[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\d\.\d\d× \[\d\.\d\d–\d\.\d\d\]/);
    expect(table).toContain('Repeated: 3 runs, interleaved (each role alone, then shared)');
    expect(table).toContain('[low–high] their 75% confidence intervals');
  });

  it('with one run, writes and prints what it always did: no interval, no repeats, no runs option', async () => {
    process.env.STAND_IN_PROCS = '2';
    const phases: string[] = [];
    const result = await run(
      { procs: 2, duration: '200ms', warmup: '0ms', size: 256, seed: 1, runs: 1 },
      { clientModule, ...standInDevice(), onProgress: phaseLog(phases) },
    );
    expect(phases).toEqual(['baseline gemm', 'shared']);
    expect('runs' in result.options).toBe(false);
    expect('repeats' in result).toBe(false);
    // Warnings of the evidence rules (few samples in 200 ms) remain; none of repeated runs.
    expect((result.warnings ?? []).filter((w) => w.tag.startsWith('runs.'))).toEqual([]);
    expect(JSON.stringify(result)).not.toContain('"ci"');
    expect(Object.keys(result).filter((k) => k !== 'warnings')).toEqual([
      'schema',
      'schemaVersion',
      'createdAt',
      'mode',
      'options',
      'environment',
      'baselines',
      'shared',
      'roles',
      'comparison',
      'complete',
    ]);
    const table = formatRunResult(result);
    expect(table).not.toContain('Repeated');
    expect(table).toMatch(/aggregate throughput vs solo +\d+\.\d\d×\n/);
    expect(headline(result).intervals).toBeUndefined();
  });

  it('keeps the runs made when interrupted, marked incomplete', async () => {
    process.env.STAND_IN_PROCS = '2';
    const controller = new AbortController();
    const phases: string[] = [];
    const log = phaseLog(phases);
    const result = await run(
      { procs: 2, duration: '200ms', warmup: '0ms', size: 256, seed: 1, runs: 4 },
      {
        clientModule,
        ...standInDevice(),
        signal: controller.signal,
        onProgress: (e) => {
          log(e);
          if ('label' in e && e.label === 'baseline' && e.run === 2) controller.abort();
        },
      },
    );
    expect(phases).toEqual(['baseline gemm 1/4', 'shared 1/4', 'baseline gemm 2/4']);
    expect(result.complete).toBe(false);
    expect(result.reason).toBe('interrupted after 1 of 4 runs');
    expect(result.repeats).toMatchObject({ asked: 4, runs: 1, recorded: 0 });
    expect(result.comparison.every((s) => s.ci === undefined)).toBe(true);
  });

  it('checks --runs before any GPU work, in one line naming it', () => {
    for (const bad of [0, -1, 101, 1.5, '2x', '0x3', '']) {
      expect(() => resolveRunConfig({ runs: bad }), String(bad)).toThrow(OptionError);
      expect(() => resolveRunConfig({ runs: bad }), String(bad)).toThrow(/--runs: expected an integer in 1\.\.100/);
    }
    expect(resolveRunConfig({ runs: '5' }).runs).toBe(5);
    expect('runs' in resolveRunConfig({ runs: 1 })).toBe(false);
    for (const args of [
      ['run', '--runs', '0'],
      ['sweep', '--runs', 'many'],
      ['scenario', 'run', 'train+infer', '--runs', '101'],
      ['advise', 'train+infer', '--runs', '1.5'],
    ]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain('--runs');
    }
  });

  it('refuses baselines measured elsewhere when repeating: each run measures its own beside its shared phase', async () => {
    const { measure } = await import('../src/run.js');
    await expect(measure(resolveRunConfig({ procs: 2, runs: 2 }), { clientModule, ...standInDevice(), baselines: new Map() })).rejects.toThrow(
      /repeated runs measure their own baselines/,
    );
  });
});

describe('sweep with --runs', () => {
  it('repeats each point with its own baselines, carries the intervals in the summary lines, and says which modes are within the noise', async () => {
    process.env.STAND_IN_PROCS = '2';
    const outDir = join(dir, 'sweep');
    const plan = planSweep({ sizes: '256', procs: '2', modes: 'timeslice,streams', duration: '150ms', warmup: '0ms', seed: 3, runs: '2' });
    expect(plan.points.map((p) => p.config.runs)).toEqual([2, 2]);
    const summary = await runSweep(plan, { clientModule, ...standInDevice(), outDir });
    // No baseline shared between points: each point measured its own, twice.
    expect(await readdir(join(outDir, 'baselines'))).toEqual([]);
    for (const p of summary.points) {
      expect(p.status).toBe('done');
      expect(p.runs).toBe(2);
      for (const key of ['aggregateVsSolo', 'slowdownMedian', 'slowdownMax', 'p99VsSolo', 'fairness'] as const) {
        const ci = p.ci?.[key];
        expect(ci, key).toBeDefined();
        expect(ci!.low).toBeLessThanOrEqual(p[key]!);
        expect(p[key]!).toBeLessThanOrEqual(ci!.high);
      }
      const result = JSON.parse(await readFile(join(outDir, p.file!), 'utf8')) as RunResult;
      expect(result.repeats?.perRun).toHaveLength(2);
      // The point's figure is the median of its runs' own.
      const perRun = result.repeats!.perRun.map((r) => r.comparison.find((s) => s.tag === 'aggregate.vsSolo')!.value);
      expect(p.aggregateVsSolo).toBeCloseTo((perRun[0]! + perRun[1]!) / 2, 12);
      // The other mode of the same work is within this one's noise when their intervals overlap or their medians are within 1%.
      const other = summary.points.find((x) => x !== p)!;
      const [a, b] = [p.ci!.aggregateVsSolo!, other.ci!.aggregateVsSolo!];
      const close = Math.abs(p.aggregateVsSolo! - other.aggregateVsSolo!) <= 0.01 * Math.max(p.aggregateVsSolo!, other.aggregateVsSolo!);
      expect(p.withinNoise).toEqual(close || (a.low <= b.high && b.low <= a.high) ? [other.id] : []);
    }
    sweepSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
    expect(tableExporter.render(summary.points)).toMatch(/\d\.\d\d× \[\d\.\d\d–\d\.\d\d\]/);
    const csv = (await readFile(join(outDir, 'summary.csv'), 'utf8')).split('\n')[0]!;
    expect(csv).toContain('aggregate vs solo,aggregate vs solo low,aggregate vs solo high');
    expect(csv).toContain(',runs,status');
    expect(csvExporter.render(summary.points)).toBe(await readFile(join(outDir, 'summary.csv'), 'utf8'));
    const lines = noiseLines(summary.points);
    expect(lines[0]).toMatch(/^Within the noise \(aggregate vs solo/);
    expect(lines[1]).toMatch(/^ {2}gemm-256-saturate-p2: (timeslice|streams) \d\.\d\d× \[\d\.\d\d–\d\.\d\d\] is the most; /);
  });
});

describe('a scenario with runs', () => {
  const YAML = `name: pair
description: a saturating role beside an open-loop one
duration: 200ms
warmup: 0ms
seed: 4
runs: 2
modes: [timeslice, streams]
roles:
  train:
    kernel: gemm
    size: 256
  infer:
    kernel: gemm
    size: 64
    arrival: poisson:200/s
    slo: p99<=5ms
`;

  it('measures each mode twice, the roles alone then shared, and reports the roles, SLOs and verdicts over the runs', async () => {
    process.env.STAND_IN_PROCS = '2';
    process.env.STAND_IN_SERVICE_NS = String(1e6);
    const scenario = parseScenario(YAML, 'pair.yaml');
    expect(scenario.options.runs).toBe(2);
    const outDir = join(dir, 'scenario');
    const made: string[] = [];
    const summary = await runScenario(scenario, scenarioSteps(scenario), { outDir, clientModule, ...standInDevice() });
    expect(summary.complete).toBe(true);
    // No baseline shared between modes: each run file holds its own.
    expect(summary.baselines).toEqual([]);
    for (const r of summary.runs) {
      expect(r.runs).toBe(2);
      const infer = r.roles!.find((x) => x.role === 'infer')!;
      const vsSolo = infer.summaries.find((s) => s.tag === 'role.vsSolo')!;
      expect(vsSolo.ci!.low).toBeLessThanOrEqual(vsSolo.value);
      expect(vsSolo.value).toBeLessThanOrEqual(vsSolo.ci!.high);
      expect(infer.slo![0]).toMatchObject({ percentile: 'p99', runs: { of: 2 } });
      expect(infer.slo![0]!.met).toBe(infer.slo![0]!.measuredNs !== null && infer.slo![0]!.measuredNs <= 5e6);
      const result = JSON.parse(await readFile(join(outDir, r.file!), 'utf8')) as RunResult;
      expect(result.repeats?.perRun.map((x) => x.roles.map((y) => y.role))).toEqual([
        ['train', 'infer'],
        ['train', 'infer'],
      ]);
      made.push(...result.repeats!.perRun.map((x) => (x.complete ? 'run' : 'incomplete')));
    }
    expect(made).toEqual(['run', 'run', 'run', 'run']);
    // Each mode ran once with an interval: the throughput verdict compares the intervals.
    const throughput = summary.verdicts.find((v) => v.objective === 'throughput')!;
    expect(throughput.withinNoise).toBeDefined();
    expect(throughput.text).toMatch(/\d\.\d\d× \[\d\.\d\d–\d\.\d\d\] over 2 runs/);
    scenarioSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'scenario.json'), 'utf8')));
    const text = formatScenario(summary);
    expect(text).toContain('Each mode measured 2 times, the roles alone then shared, interleaved');
    expect(text).toMatch(/met in \d\/2 runs/);
  });

  it('takes runs from the command line, and checks the file key in its line', () => {
    expect(() => parseScenario(YAML.replace('runs: 2', 'runs: 0'), 'pair.yaml')).toThrow(/pair\.yaml:6: runs: expected an integer in 1\.\.100, got 0/);
    expect(() => parseScenario(YAML.replace('runs: 2', 'runs: two'), 'pair.yaml')).toThrow(/pair\.yaml:6: runs: expected an integer/);
  });
});

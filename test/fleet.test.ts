// Several GPUs of one machine without a GPU: --devices parsed and checked, the device pool's
// scheduling (every device used, never two jobs at once on one, a failure on one device not stopping
// the others), and sweeps spread over 2 and 3 stand-in devices.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { parseDevices, resolveDevices, runOnDevices, serialised } from '../src/fleet/device-pool.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { parseScenario } from '../src/scenario/file.js';
import { scenarioSummarySchema } from '../src/scenario/result-schema.js';
import { runScenario, scenarioSteps } from '../src/scenario/runner.js';
import { planSweep } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/runner.js';
import { standInDevices } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Span {
  job: number;
  device: number;
  start: number;
  end: number;
}

/** No two spans of one device overlap. */
function expectNoOverlap(spans: Span[]): void {
  for (const device of new Set(spans.map((s) => s.device))) {
    const sorted = spans.filter((s) => s.device === device).sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  }
}

describe('--devices', () => {
  it.each([
    ['0,1', [0, 1]],
    ['2', [2]],
    [' 0 , 3 ', [0, 3]],
    ['all', 'all'],
    [
      [1, 0],
      [1, 0],
    ],
  ])('reads %j', (raw, expected) => {
    expect(parseDevices(raw)).toEqual(expected);
  });

  it.each(['', '0,0', '0,-1', '1.5', 'gpu0', '0,,1', 'any'])('refuses %j in one line naming --devices', (raw) => {
    try {
      parseDevices(raw);
      throw new Error('expected an OptionError');
    } catch (error) {
      expect(error).toBeInstanceOf(OptionError);
      expect((error as OptionError).message).toMatch(/^invalid --devices: expected .*/);
      expect((error as OptionError).message).not.toContain('\n');
    }
  });

  it.each([1, 2, 3, 8])("resolves 'all' and checks indices against %i devices", async (count) => {
    const { binding } = standInDevices(count);
    expect(await resolveDevices('all', binding)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(await resolveDevices([count - 1], binding)).toEqual([count - 1]);
    await expect(resolveDevices([0, count], binding)).rejects.toThrow(`invalid --devices: expected device indices below ${count}`);
  });

  it('is refused together with --device, and checked before anything runs', () => {
    expect(() => planSweep({ devices: '0,1', device: 0 })).toThrow(/--devices or --device, not both/);
    expect(() => planSweep({ devices: '0,0' })).toThrow(OptionError);
    expect(planSweep({ devices: 'all' }).devices).toBe('all');
    expect(planSweep({}).devices).toBeUndefined();
  });
});

describe('runOnDevices', () => {
  it.each([2, 3, 5])('spreads jobs over %i devices, one job per device at a time', async (count) => {
    const devices = Array.from({ length: count }, (_, i) => i);
    const spans: Span[] = [];
    const jobs = Array.from({ length: count * 4 }, (_, i) => i);
    const t0 = performance.now();
    await runOnDevices(jobs, devices, async (job, device) => {
      const start = performance.now();
      await sleep(20 + (job % 3) * 5);
      spans.push({ job, device, start, end: performance.now() });
    });
    const wall = performance.now() - t0;
    expect(spans.map((s) => s.job).sort((a, b) => a - b)).toEqual(jobs);
    expect(new Set(spans.map((s) => s.device))).toEqual(new Set(devices));
    expectNoOverlap(spans);
    // All of the jobs' time over count devices: about 1/count of running them one after another.
    const serial = spans.reduce((sum, s) => sum + s.end - s.start, 0);
    expect(wall).toBeLessThan(serial / count + 60);
  });

  it('keeps the other devices going when one throws, and throws its error at the end', async () => {
    const done: number[] = [];
    const run = runOnDevices([0, 1, 2, 3, 4, 5], [0, 1], async (job, device) => {
      await sleep(5);
      if (device === 1 && job === 1) throw new Error('device 1 broke');
      done.push(job);
    });
    await expect(run).rejects.toThrow('device 1 broke');
    // Device 0 ran every other job: none was lost with device 1's worker.
    expect(done.sort()).toEqual([0, 2, 3, 4, 5]);
  });

  it('stops taking jobs once the signal is aborted or a job says it was cancelled', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runOnDevices(
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1],
      async (job) => {
        started.push(job);
        if (job === 2) controller.abort();
        await sleep(5);
      },
      controller.signal,
    );
    expect(started.length).toBeLessThanOrEqual(4);
    const cancelled: number[] = [];
    await runOnDevices([0, 1, 2, 3, 4, 5], [0, 1, 2], async (job) => {
      cancelled.push(job);
      await sleep(5);
      return job !== 0;
    });
    expect(cancelled.length).toBeLessThan(6);
  });

  it('serialises writes: each starts after the previous one ended', async () => {
    const log: string[] = [];
    let n = 0;
    const write = serialised(async () => {
      const id = n++;
      log.push(`start ${id}`);
      await sleep(5);
      log.push(`end ${id}`);
    });
    await Promise.all([write(), write(), write()]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });
});

describe('a sweep over several stand-in devices', () => {
  let outDir = '';
  beforeEach(async () => {
    outDir = join(await mkdtemp(join(tmpdir(), 'gsm-fleet-')), 'results');
    process.env.STAND_IN_PROCS = '1';
  });
  afterEach(async () => {
    delete process.env.STAND_IN_FAIL_DEVICE;
    delete process.env.STAND_IN_TRACE_NS;
    await rm(join(outDir, '..'), { recursive: true, force: true });
  });
  const plan = (devices?: string) =>
    planSweep({
      sizes: '256',
      procs: '1',
      modes: 'timeslice,streams',
      loops: 'saturate,closed',
      duration: '300ms',
      warmup: '0ms',
      seed: 5,
      ...(devices ? { devices } : {}),
    });

  it.each([2, 3])('runs points on all %i devices, one at a time each, and records each point’s GPU', async (count) => {
    const spans: Span[] = [];
    const starts = new Map<number, number>();
    const summary = await runSweep(plan('all'), {
      clientModule,
      ...standInDevices(count),
      outDir,
      onProgress: (e) => {
        if (e.type === 'point') starts.set(e.index, performance.now());
        if (e.type === 'pointDone') spans.push({ job: e.index, device: e.summary.device!, start: starts.get(e.index)!, end: performance.now() });
      },
    });
    expect(summary.points.map((p) => p.reason ?? p.status)).toEqual(Array(4).fill('done'));
    expect(new Set(summary.points.map((p) => p.device))).toEqual(new Set(Array.from({ length: Math.min(count, 4) }, (_, i) => i)));
    for (const p of summary.points) {
      expect(p.gpuUuid).toBe(`GPU-test-${p.device}`);
      expect(p.gpuName).toBe('Stand-in GPU');
      const result = JSON.parse(await readFile(join(outDir, p.file!), 'utf8'));
      expect(result.environment.gpu.index).toBe(p.device);
    }
    expectNoOverlap(spans);
    // One baseline per device and kernel/size/loop: the devices do not share them.
    const baselines = await readdir(join(outDir, 'baselines'));
    expect(baselines.every((f) => /-device\d+\.json$/.test(f))).toBe(true);
    expect(sweepSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8'))).points).toEqual(summary.points);
  });

  it('takes clearly less time on 2 devices than on 1', async () => {
    // Long phases, so that waiting on the clients outweighs starting them (this machine's 2 cores are shared);
    // the pool's own timing (1/N of the serial time) is checked above without processes.
    // Two points of different baselines, so that both runs measure one baseline and one shared phase each.
    const two = planSweep({ sizes: '256', procs: '1', modes: 'timeslice', loops: 'saturate,closed', duration: '1s', warmup: '0ms', seed: 5 });
    const devices = standInDevices(2);
    process.env.STAND_IN_TRACE_NS = String(50e6);
    const t1 = performance.now();
    await runSweep({ ...two, devices: [0] }, { clientModule, ...devices, outDir: `${outDir}-1` });
    const one = performance.now() - t1;
    const t2 = performance.now();
    await runSweep({ ...two, devices: [0, 1] }, { clientModule, ...devices, outDir: `${outDir}-2` });
    expect(performance.now() - t2).toBeLessThan(one * 0.75);
  });

  it('goes on on the other device when a point fails on one', async () => {
    process.env.STAND_IN_FAIL_DEVICE = '1';
    const summary = await runSweep(plan('0,1'), { clientModule, ...standInDevices(2), outDir });
    const onZero = summary.points.filter((p) => p.device === 0);
    const onOne = summary.points.filter((p) => p.device === 1);
    expect(onZero.length).toBeGreaterThan(0);
    expect(onOne.length).toBeGreaterThan(0);
    expect(onZero.every((p) => p.status === 'done')).toBe(true);
    expect(onOne.every((p) => p.status === 'failed' && p.reason)).toBe(true);
    expect(summary.points.every((p) => p.status !== 'pending')).toBe(true);
  });

  it('refuses a device the machine lacks before writing anything', async () => {
    await expect(runSweep(plan('0,2'), { clientModule, ...standInDevices(2), outDir })).rejects.toThrow(/^invalid --devices: expected device indices below 2/);
    await expect(readdir(outDir)).rejects.toThrow();
  });
});

describe('a scenario over several stand-in devices', () => {
  const YAML = `name: pair
description: two saturating roles
duration: 300ms
warmup: 0ms
seed: 4
modes: [timeslice, streams]
roles:
  train:
    kernel: gemm
    size: 256
  other:
    kernel: gemm
    size: 128
`;
  let outDir = '';
  beforeEach(async () => {
    outDir = join(await mkdtemp(join(tmpdir(), 'gsm-fleet-scenario-')), 'results');
    process.env.STAND_IN_PROCS = '2';
  });
  afterEach(async () => {
    await rm(join(outDir, '..'), { recursive: true, force: true });
  });

  it.each([2, 3])('runs its steps on %i devices, one at a time each, in the steps’ order, with baselines per device', async (count) => {
    const scenario = parseScenario(YAML, 'pair.yaml');
    const steps = scenarioSteps(scenario, 2);
    const spans: Span[] = [];
    const starts = new Map<number, number>();
    const summary = await runScenario(scenario, steps, {
      outDir,
      clientModule,
      ...standInDevices(count),
      devices: 'all',
      onProgress: (e) => {
        if (e.type === 'step') starts.set(e.index, performance.now());
        if (e.type === 'stepDone') spans.push({ job: e.index, device: e.run.device!, start: starts.get(e.index)!, end: performance.now() });
      },
    });
    expect(summary.complete).toBe(true);
    expect(summary.runs.map((r) => [r.mode, r.repeat ?? 0])).toEqual(steps.map((s) => [s.mode, s.repeat]));
    expect(new Set(summary.runs.map((r) => r.device))).toEqual(new Set(Array.from({ length: count }, (_, i) => i)));
    expectNoOverlap(spans);
    // Each device measured the two roles alone once: 2 baselines per device used, each its own file.
    const used = new Set(summary.runs.map((r) => r.device)).size;
    expect(summary.baselines).toHaveLength(2 * used);
    expect(new Set(summary.baselines.map((b) => b.file)).size).toBe(summary.baselines.length);
    expect((await readdir(join(outDir, 'baselines'))).sort()).toEqual(summary.baselines.map((b) => b.file.replace('baselines/', '')).sort());
    for (const run of summary.runs) {
      const result = JSON.parse(await readFile(join(outDir, run.file!), 'utf8'));
      expect(result.environment.gpu.index).toBe(run.device);
    }
    expect(scenarioSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'scenario.json'), 'utf8'))).runs).toEqual(summary.runs);
  });

  it('refuses a device the machine lacks before writing anything', async () => {
    const scenario = parseScenario(YAML, 'pair.yaml');
    await expect(runScenario(scenario, scenarioSteps(scenario), { outDir, clientModule, ...standInDevices(2), devices: [1, 2] })).rejects.toThrow(
      /^invalid --devices: expected device indices below 2/,
    );
    await expect(readdir(outDir)).rejects.toThrow();
  });
});

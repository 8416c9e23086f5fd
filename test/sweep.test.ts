// The sweep without a GPU: its points, its results directory, interrupting and resuming it, and
// its exporters, with stand-in clients.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { OptionError } from '../src/errors.js';
import { validateRunResult } from '../src/report/schema.js';
import { csvExporter, markdownExporter, tableExporter } from '../src/sweep/exporters.js';
import { planSweep } from '../src/sweep/plan.js';
import { runSweep, type SweepProgress } from '../src/sweep/runner.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
let outDir = '';
beforeEach(async () => {
  outDir = join(await mkdtemp(join(tmpdir(), 'gsm-sweep-')), 'results');
});
afterEach(async () => {
  await rm(join(outDir, '..'), { recursive: true, force: true });
});

describe('planSweep', () => {
  it('makes the cartesian product, MPS thread percentages only for MPS points', () => {
    const plan = planSweep({ sizes: '2048,8192', procs: '1,2,4', modes: 'timeslice,mps,streams,green', loops: 'saturate,closed', mpsThreads: '50,100' });
    // 2 sizes x 2 loops x (timeslice, mps 50, mps 100, streams, green) x 3 procs
    expect(plan.points).toHaveLength(2 * 2 * 5 * 3);
    expect(plan.points[0]!.id).toBe('gemm-2048-saturate-timeslice-p1');
    expect(plan.points.map((p) => p.id)).toContain('gemm-8192-closed-mps-t50-p4');
    const mps50 = plan.points.find((p) => p.id === 'gemm-2048-saturate-mps-t50-p2')!;
    expect(mps50.config.mps?.threads).toEqual([50, 50]);
    expect(new Set(plan.points.map((p) => p.id)).size).toBe(plan.points.length);
    // One seed for all points.
    expect(new Set(plan.points.map((p) => p.config.seed)).size).toBe(1);
    expect(plan.points.find((p) => p.loop === 'closed')!.config.clients[0]!.depth).toBe(1);
  });

  it.each([
    [{ modes: 'timeslice,vgpu' }, '--modes'],
    [{ procs: '1,0' }, '--procs'],
    [{ sizes: '2048,' }, '--sizes'],
    [{ loops: 'open' }, '--loops'],
    [{ kernels: 'conv9' }, '--kernels'],
    [{ modes: 'timeslice', mpsThreads: '50' }, '--mps-threads'],
    [{ duration: 'soon' }, '--duration'],
  ])('rejects %j naming %s', (options, option) => {
    try {
      planSweep(options);
      throw new Error('expected an OptionError');
    } catch (error) {
      expect(error).toBeInstanceOf(OptionError);
      expect((error as OptionError).option).toBe(option);
    }
  });
});

describe('runSweep with stand-in clients', () => {
  const plan = () => planSweep({ sizes: '256', procs: '1,2', modes: 'timeslice,streams,green', duration: '150ms', warmup: '0ms', seed: 3 });
  const controls = { clientModule, ...standInDevice({ smCount: 132 }) };

  it('runs every point into the results directory, with one baseline for all of them', async () => {
    process.env.STAND_IN_PROCS = '2';
    const events: SweepProgress[] = [];
    const summary = await runSweep(plan(), { ...controls, outDir, onProgress: (e) => events.push(e) });
    expect(summary.points.map((p) => p.status)).toEqual(Array(6).fill('done'));
    expect(await readdir(join(outDir, 'baselines'))).toHaveLength(1);
    expect((await readdir(join(outDir, 'points'))).sort()).toEqual(summary.points.map((p) => `${p.id}.json`).sort());
    // The file is what its one schema describes, field for field (parsing would drop a field it lacks).
    const saved = sweepSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
    expect(saved).toEqual(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
    expect(saved.points).toEqual(summary.points);
    expectTypeOf(runSweep).returns.resolves.toEqualTypeOf<z.infer<typeof sweepSummarySchema>>();
    for (const p of summary.points) {
      const result = validateRunResult(JSON.parse(await readFile(join(outDir, p.file!), 'utf8')));
      expect(result.mode).toBe(p.mode);
      expect(result.shared.procs).toBe(p.procs);
      expect(p.aggregateVsSolo).toBeGreaterThan(0);
      // Fairness compares clients: a point of one client has none.
      if (p.procs === 1) expect(p.fairness).toBeUndefined();
      else expect(p.fairness).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.type === 'pointDone')).toHaveLength(6);
    expect((await readFile(join(outDir, 'summary.csv'), 'utf8')).trim().split('\n')).toHaveLength(7);
    expect(existsSync(join(outDir, 'summary.md'))).toBe(true);
    const table = tableExporter.render(summary.points);
    for (const text of ['aggregate vs solo', 'fairness', 'green', 'streams', 'timeslice']) expect(table).toContain(text);
  });

  it('stops when interrupted and resumes without running finished points again', async () => {
    process.env.STAND_IN_PROCS = '2';
    const controller = new AbortController();
    const first = await runSweep(plan(), {
      ...controls,
      outDir,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'pointDone' && e.index === 1) controller.abort();
      },
    });
    expect(first.points.map((p) => p.status)).toEqual(['done', 'done', 'pending', 'pending', 'pending', 'pending']);
    const firstFile = await readFile(join(outDir, first.points[0]!.file!), 'utf8');

    await expect(runSweep(plan(), { ...controls, outDir })).rejects.toThrow(/--resume/);
    const ran: string[] = [];
    const resumed = await runSweep(plan(), { ...controls, outDir, resume: true, onProgress: (e) => e.type === 'point' && ran.push(e.point.id) });
    expect(resumed.points.every((p) => p.status === 'done')).toBe(true);
    expect(ran).toEqual(resumed.points.slice(2).map((p) => p.id));
    expect(await readFile(join(outDir, first.points[0]!.file!), 'utf8')).toBe(firstFile);
    // A summary that is not one is refused, in one line naming the option.
    const { writeFile } = await import('node:fs/promises');
    const saved = await readFile(join(outDir, 'summary.json'), 'utf8');
    await writeFile(join(outDir, 'summary.json'), '{"schema": "something else"}');
    await expect(runSweep(plan(), { ...controls, outDir, resume: true })).rejects.toThrow(
      /^invalid --resume: expected a results directory whose summary.json is a gpushare-micro\/sweep summary/,
    );
    await writeFile(join(outDir, 'summary.json'), saved);
    // Resuming a different sweep in the same directory is refused.
    await expect(
      runSweep(planSweep({ sizes: '512', procs: '1', modes: 'timeslice', duration: '150ms' }), { ...controls, outDir, resume: true }),
    ).rejects.toThrow(/same axes/);
  });

  it('skips a point that cannot run here, with its reason', async () => {
    process.env.STAND_IN_PROCS = '2';
    const summary = await runSweep(planSweep({ sizes: '256', procs: '2', modes: 'timeslice,green', duration: '150ms', warmup: '0ms' }), {
      clientModule,
      // Eight SMs cannot be split into two green contexts of at least eight.
      ...standInDevice({ smCount: 8 }),
      outDir,
    });
    expect(summary.points[0]!.status).toBe('done');
    expect(summary.points[1]!.status).toBe('skipped');
    expect(summary.points[1]!.reason).toMatch(/--procs/);
    expect(csvExporter.render(summary.points)).toContain('skipped');
    expect(markdownExporter.render(summary.points).split('\n')[1]).toMatch(/^\|( -{3,}:? \|)+$/);
  });
});

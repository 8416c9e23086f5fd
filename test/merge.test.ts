// `merge`: sweeps made by stand-in clients on two "nodes" (different hosts and GPU models, one of them
// with two GPUs), and the two H200 sweeps recorded in the repository, put side by side.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeDirectories, mergeSources, readSource, spreadOf } from '../src/fleet/merge.js';
import { buildReport } from '../src/report/html/build.js';
import { loadReportInputs } from '../src/report/inputs.js';
import { MERGED_FIGURES, mergedSchema } from '../src/report/merged-schema.js';
import { formatMerged } from '../src/report/merged-table.js';
import { planSweep } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/runner.js';
import { standInDevices } from './fixtures/stand-in-run-binding.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const clientModule = join(root, 'test/fixtures/stand-in-client.mjs');
const cli = join(root, 'dist/cli/main.js');
const RECORDED = [join(root, 'examples/h200-sweep'), join(root, 'docs/results/2026-11-29-h200-modes')];

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gsm-merge-'));
  process.env.STAND_IN_PROCS = '2';
  const plan = planSweep({ sizes: '256', procs: '1,2', modes: 'timeslice,streams', duration: '150ms', warmup: '0ms', seed: 9 });
  // Node A: one "Stand-in A100"; node B: two "Stand-in H200"s, the sweep spread over both.
  await runSweep(plan, { clientModule, ...standInDevices(1, { name: 'Stand-in A100' }, 'node-a'), outDir: join(dir, 'node-a') });
  await runSweep({ ...plan, devices: 'all' }, { clientModule, ...standInDevices(2, { name: 'Stand-in H200' }, 'node-b'), outDir: join(dir, 'node-b') });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('spreadOf', () => {
  it('gives min, median, max and max/min', () => {
    expect(spreadOf([2, 1, 4])).toEqual({ n: 3, min: 1, median: 2, max: 4, ratio: 4 });
    expect(spreadOf([3])).toEqual({ n: 1, min: 3, median: 3, max: 3, ratio: 1 });
    expect(spreadOf([0, 2])!.ratio).toBeUndefined();
    expect(spreadOf([])).toBeUndefined();
  });
});

describe('merge of stand-in sweeps on two nodes', () => {
  it('lists each node and GPU, each point side by side, and the node-to-node spread', async () => {
    const out = join(dir, 'merged');
    const merged = await mergeDirectories([join(dir, 'node-a'), join(dir, 'node-b')], out);
    const saved = mergedSchema.parse(JSON.parse(await readFile(join(out, 'merged.json'), 'utf8')));
    expect(saved).toEqual(JSON.parse(JSON.stringify(merged)));
    expect(merged.nodes.map((n) => [n.id, n.hostname, n.gpuName, n.gpuUuid])).toEqual([
      ['node-a/gpu0', 'node-a', 'Stand-in A100', 'GPU-node-a-0'],
      ['node-b/gpu0', 'node-b', 'Stand-in H200', 'GPU-node-b-0'],
      ['node-b/gpu1', 'node-b', 'Stand-in H200', 'GPU-node-b-1'],
    ]);
    expect(merged.models).toEqual([
      { gpuName: 'Stand-in A100', nodes: ['node-a/gpu0'] },
      { gpuName: 'Stand-in H200', nodes: ['node-b/gpu0', 'node-b/gpu1'] },
    ]);
    expect(merged.points).toHaveLength(4);
    for (const p of merged.points) {
      // Every point ran once on node A and once on one of node B's GPUs.
      expect(p.nodes.map((e) => e.node.split('/')[0])).toEqual(['node-a', 'node-b']);
      expect(p.nodes.every((e) => e.status === 'done')).toBe(true);
      const values = p.nodes.map((e) => e.figures.aggregateVsSolo!);
      expect(p.spread.aggregateVsSolo).toEqual(spreadOf(values));
      expect(p.spread.aggregateVsSolo!.n).toBe(2);
      expect(p.spread.aggregateVsSolo!.ratio).toBeCloseTo(Math.max(...values) / Math.min(...values), 12);
      expect(p.byModel.map((m) => m.spread.aggregateVsSolo?.n)).toEqual([1, 1]);
      // Over the nodes that have the figure (switch figures exist only where the clients took turns: docs/evidence.md).
      expect(p.spread.switchesPerSecond?.n ?? 0).toBe(p.nodes.filter((e) => e.figures.switchesPerSecond !== undefined).length);
      if (p.mode === 'timeslice' && p.procs > 1) expect(p.spread.switchesPerSecond!.n).toBe(2);
    }
    const text = formatMerged(merged);
    expect(text.split('\n')[0]).toBe('3 nodes (Stand-in A100 (1), Stand-in H200 (2)) from 2 directories; 4 points, 4 measured on two or more nodes');
    for (const s of ['node-b/gpu1', 'GPU-node-a-0', 'spread: median [min–max] ÷max/min', 'aggregate vs solo', 'switch overhead']) expect(text).toContain(s);
  });

  it('report draws the merged directory: its nodes and each point node by node, with the spread', async () => {
    const out = join(dir, 'merged-report');
    await mergeDirectories([join(dir, 'node-a'), join(dir, 'node-b')], out);
    const input = await loadReportInputs([out]);
    expect(input.kind).toBe('merged');
    const html = await buildReport(input);
    for (const s of [
      'gpushare-micro merged comparison',
      'node-b/gpu1',
      'Stand-in A100',
      'spread: median [min–max] ÷max/min',
      'gemm-256-saturate-timeslice-p2',
    ]) {
      expect(html).toContain(s);
    }
  });

  it('refuses a directory that is no sweep, in one line naming it', async () => {
    await expect(readSource(join(dir, 'nothing-here'))).rejects.toThrow(
      /^invalid DIR: expected a sweep results directory holding summary.json, got ".*nothing-here"$/,
    );
    await expect(readSource(join(root, 'examples'))).rejects.toThrow(/invalid DIR/);
  });
});

describe('merge of the recorded H200 sweeps', () => {
  it('reads both as one node each, with their run-to-run spread where they share points', async () => {
    const merged = mergeSources(await Promise.all(RECORDED.map(readSource)));
    expect(mergedSchema.safeParse(JSON.parse(JSON.stringify(merged))).success).toBe(true);
    expect(merged.nodes.map((n) => [n.id, n.gpuName])).toEqual([
      ['vm/gpu0', 'NVIDIA H200'],
      ['vm/gpu0@2026-11-29-h200-modes', 'NVIDIA H200'],
    ]);
    // Both report host "vm" and device 0, but different GPU UUIDs: two H200 machines (or one re-provisioned VM).
    expect(new Set(merged.nodes.map((n) => n.gpuUuid)).size).toBe(2);
    expect(merged.models).toEqual([{ gpuName: 'NVIDIA H200', nodes: merged.nodes.map((n) => n.id) }]);
    // 12 points at size 4096 in one, 60 at sizes 2048 and 8192 in the other: no point id in common.
    expect(merged.points).toHaveLength(72);
    const shared = merged.points.filter((p) => p.nodes.length > 1);
    expect(shared).toHaveLength(0);
    const mig = merged.points.find((p) => p.id === 'gemm-2048-saturate-mig-p1')!;
    expect(mig.nodes[0]!.status).toBe('skipped');
    expect(mig.spread).toEqual({});
    const one = merged.points.find((p) => p.id === 'gemm-4096-saturate-mps-p4')!;
    for (const f of MERGED_FIGURES.slice(0, 2)) expect(one.spread[f]!.n).toBe(1);
  });
});

describe('gpushare-micro merge', () => {
  it.skipIf(!existsSync(cli))('writes merged.json and prints the table; bad input is one line, exit 2', async () => {
    const out = join(dir, 'cli-merged');
    const r = spawnSync(process.execPath, [cli, 'merge', join(dir, 'node-a'), join(dir, 'node-b'), '-o', out], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('3 nodes');
    expect(r.stderr).toContain('merged.json');
    expect(mergedSchema.safeParse(JSON.parse(await readFile(join(out, 'merged.json'), 'utf8'))).success).toBe(true);
    const bad = spawnSync(process.execPath, [cli, 'merge', join(dir, 'nowhere'), '-o', out], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stdout).toBe('');
  });
});

// A scenario run end to end with stand-in clients (no GPU): each role's baseline once, every mode into
// runs/, scenario.json with the role figures and the verdicts, the terminal tables, `advise` on the
// directory, and a peak search whose steps are whole runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatScenario } from '../src/report/scenario-table.js';
import { parseScenario } from '../src/scenario/file.js';
import { searchPeaks } from '../src/scenario/peak-run.js';
import { scenarioSummarySchema } from '../src/scenario/result-schema.js';
import { runScenario, scenarioSteps } from '../src/scenario/runner.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-scenario-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.STAND_IN_PROCS;
  delete process.env.STAND_IN_SERVICE_NS;
});

const YAML = `name: pair
description: a saturating role beside an open-loop one
duration: 400ms
warmup: 0ms
seed: 4
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
    knobs:
      streams: { priority: high }
`;

describe('runScenario with stand-in clients', () => {
  it('measures each role alone once, then every mode, and writes the summary with verdicts', async () => {
    process.env.STAND_IN_PROCS = '2';
    process.env.STAND_IN_SERVICE_NS = String(1e6);
    const scenario = parseScenario(YAML, 'pair.yaml');
    const outDir = join(dir, 'pair');
    const events: string[] = [];
    const summary = await runScenario(scenario, scenarioSteps(scenario), {
      outDir,
      clientModule,
      ...standInDevice(),
      onProgress: (e) => events.push(e.type === 'baseline' ? `alone ${e.role}` : e.type === 'step' ? `step ${e.step.mode}` : `done ${e.run.mode}`),
    });
    // The baselines are shared by both modes: measured once, before the first mode.
    expect(events).toEqual(['step timeslice', 'alone train', 'alone infer', 'done timeslice', 'step streams', 'done streams']);
    expect(summary.complete).toBe(true);
    expect(summary.baselines.map((b) => b.role)).toEqual(['train', 'infer']);
    expect(summary.runs.map((r) => [r.mode, r.status])).toEqual([
      ['timeslice', 'done'],
      ['streams', 'done'],
    ]);
    for (const run of summary.runs) {
      expect(existsSync(join(outDir, run.file!))).toBe(true);
      expect(run.roles?.find((r) => r.role === 'infer')?.slo?.[0]).toMatchObject({ percentile: 'p99' });
    }
    expect(summary.verdicts.map((v) => v.objective)).toEqual(['slo', 'throughput', 'fairness']);
    const written = scenarioSummarySchema.parse(JSON.parse(await readFile(join(outDir, 'scenario.json'), 'utf8')));
    expect(written.runs).toHaveLength(2);
    const text = formatScenario(summary);
    for (const t of ['scenario pair', 'throughput vs alone', 'timeslice', 'streams', 'infer', 'SLOs']) expect(text).toContain(t);
  });

  it('advise reads the directory and picks a mode with its evidence, in one command', () => {
    const r = spawnSync(process.execPath, [cli, 'advise', join(dir, 'pair'), '--objective', 'throughput'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Pick: (timeslice|streams)/);
    expect(r.stdout).toContain('Noise: unknown');
    const bad = spawnSync(process.execPath, [cli, 'advise', join(dir, 'pair'), '--slo', 'nobody:p99<=1ms'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the peak search, each step a run', () => {
  it('finds the highest rate of the open-loop role that meets its SLO beside the other role', async () => {
    process.env.STAND_IN_PROCS = '2';
    process.env.STAND_IN_SERVICE_NS = String(1e6);
    const scenario = parseScenario(YAML.replace('modes: [timeslice, streams]', 'modes: [streams]'), 'pair.yaml');
    const outDir = join(dir, 'peak');
    const lines = await searchPeaks(scenario, {
      role: 'infer',
      kind: 'poisson',
      slo: { percentile: 'p99', maxNs: 5e6 },
      low: 200,
      high: 3200,
      maxSteps: 6,
      minNs: 300e6,
      maxNs: 600e6,
      outDir,
      clientModule,
      ...standInDevice(),
      quiet: true,
    });
    const peak = JSON.parse(await readFile(join(outDir, 'peak.json'), 'utf8')) as {
      modes: Array<{ mode: string; result: { peakRate: number; missRate: number } }>;
    };
    const result = peak.modes[0]!.result;
    // A 1 ms server: the p99 wait of a Poisson stream passes 4 ms somewhere between 60% and 95% of capacity.
    expect(result.peakRate).toBeGreaterThan(400);
    expect(result.peakRate).toBeLessThan(1000);
    expect(result.missRate).toBeGreaterThan(result.peakRate);
    expect(lines.join('\n')).toContain('infer under streams: peak');
  }, 120_000);
});

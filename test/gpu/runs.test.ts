// `run --runs 5` on the GPU, through the built CLI: five runs of gemm 2048 with two clients under time
// slicing, each the kernel alone then shared, and every ratio the median over the runs with an interval
// that holds it. Skips without a GPU.
//
// On an H200, expected: time slicing keeps about 0.9× of the kernel alone in aggregate (two gemm 4096
// clients: 0.90×, each slowed 2.23×, docs/results/2026-11-29-h200-timeslice/gemm-p2.txt; four gemm 2048
// clients: 0.92×, the README's sweep); five runs of 1 s phases land within a few percent of each other,
// so each interval ([min, max] of the five runs, 93.75%) is a few hundredths wide. About 25 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/metrics/summary.js';
import { validateRunResult } from '../../src/report/schema.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('runs.test.ts');
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gpushare-runs-gpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!gpu.available)('repeated runs on the GPU', () => {
  it('run --runs 5: every ratio is the median of five interleaved runs, with an interval that holds it', () => {
    const file = join(dir, 'runs.json');
    const r = spawnSync(
      process.execPath,
      [cli, 'run', '--kernel', 'gemm', '--procs', '2', '--size', '2048', '--duration', '1s', '--runs', '5', '--quiet', '--json', file],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/aggregate throughput vs solo +\d\.\d\d× \[\d\.\d\d–\d\.\d\d\]/);
    expect(r.stdout).toContain('Repeated: 5 runs, interleaved (each role alone, then shared)');
    const result = validateRunResult(JSON.parse(readFileSync(file, 'utf8')));
    expect(result.complete).toBe(true);
    expect(result.repeats).toMatchObject({ asked: 5, runs: 5, method: 'order-statistic' });
    expect(result.repeats!.perRun.every((run) => run.complete)).toBe(true);
    const ratios: Summary[] = [
      ...result.comparison,
      ...result.shared.clients.flatMap((c) => c.summaries.filter((s) => s.hint === 'ratio')),
      ...result.roles.flatMap((role) => role.summaries),
    ];
    expect(ratios.map((s) => s.tag)).toEqual(expect.arrayContaining(['aggregate.vsSolo', 'slowdown.max', 'slowdown', 'latency.p99.vsSolo', 'role.vsSolo']));
    for (const s of ratios) {
      expect(s.ci, s.tag).toBeDefined();
      expect(s.ci!.low, s.tag).toBeLessThanOrEqual(s.value);
      expect(s.value, s.tag).toBeLessThanOrEqual(s.ci!.high);
      // Five runs: [min, max], which holds the median 93.75% of the time.
      expect(s.ci!.level, s.tag).toBe(0.9375);
    }
    // Time slicing two gemm clients: the aggregate near the kernel alone, each client about twice as slow.
    const aggregate = result.comparison.find((s) => s.tag === 'aggregate.vsSolo')!;
    expect(aggregate.value).toBeGreaterThan(0.6);
    expect(aggregate.value).toBeLessThan(1.2);
    // The recorded phases are the median run's, and the interval is the five runs' range.
    const perRun = result.repeats!.perRun.map((run) => run.comparison.find((s) => s.tag === 'aggregate.vsSolo')!.value);
    expect(perRun[result.repeats!.recorded]).toBe(aggregate.value);
    expect(aggregate.ci).toMatchObject({ low: Math.min(...perRun), high: Math.max(...perRun) });
    // Runs of one GPU a few seconds apart: within 20% of each other.
    expect(aggregate.ci!.high / aggregate.ci!.low).toBeLessThan(1.2);
  }, 240_000);
});

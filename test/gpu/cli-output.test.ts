// The measuring commands' output on the GPU, through the built CLI (dist/cli/main.js): the verdict before
// any table, the compact table within COLUMNS, --json - (the JSON alone on stdout) and --json FILE.gz
// (gzipped, read back against the schema), for run, probe, bench, sweep, scenario run and monitor.
// Skips without a GPU. On an H200 each command measures for a second or two; expected: exit code 0,
// a "Verdict:" block whose lines name aggregate vs solo, worst slowdown, worst p99 vs solo and (time
// slicing) switching overhead; every table line at most 80 characters with COLUMNS=80. The probe curve
// (two shared-memory states) prints its table as Markdown and its JSON alone on stdout; run --runs 2
// prints aggregate vs solo with its interval and keeps its traces beside --json FILE (runs.traces.gz).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { validateRunResult } from '../../src/report/schema.js';
import { sweepSummarySchema } from '../../src/report/sweep-schema.js';
import { scenarioSummarySchema } from '../../src/scenario/result-schema.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('cli-output.test.ts');
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gsm-gpu-cli-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cliRun(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 512 * 2 ** 20,
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '80' },
  });
}

const gunzipJson = (file: string): unknown => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
const tableLines = (printed: string) => printed.split('\n').filter((l) => /^[┌│├└]/.test(l));

describe.skipIf(!gpu.available)('the measuring commands print the verdict first and write --json the same way', () => {
  it('run: the verdict, a compact table within 80 columns, the result gzipped', () => {
    const file = join(work, 'run.json.gz');
    const r = cliRun('--kernel', 'gemm', '--size', '2048', '--procs', '2', '--duration', '1s', '--json', file, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const verdict = r.stdout.indexOf('Verdict:');
    expect(verdict).toBeGreaterThan(0);
    expect(verdict).toBeLessThan(r.stdout.indexOf('┌'));
    for (const label of ['aggregate vs solo', 'worst slowdown', 'worst p99 vs solo', 'switching overhead']) expect(r.stdout).toContain(`  ${label} `);
    for (const line of tableLines(r.stdout)) expect([...line].length).toBeLessThanOrEqual(80);
    expect(validateRunResult(gunzipJson(file)).shared.clients).toHaveLength(2);
  }, 300_000);

  it('run --json -: the result alone on stdout; probe --json: the same', () => {
    for (const args of [
      ['--kernel', 'gemm', '--size', '1024', '--procs', '2', '--duration', '500ms', '--json', '-'],
      ['probe', '--duration', '1s', '--json'],
    ]) {
      const r = cliRun(...args, '--quiet');
      expect(r.status, r.stderr).toBe(0);
      validateRunResult(JSON.parse(r.stdout));
    }
  }, 300_000);

  it('probe with a list (the probe curve): --json - and --format markdown; run --runs 2: the verdict with intervals, --keep-traces beside --json FILE', () => {
    const curve = cliRun('probe', '--smem', '0,64K', '--duration', '500ms', '--json', '-', '--quiet');
    expect(curve.status, curve.stderr).toBe(0);
    expect(JSON.parse(curve.stdout)).toMatchObject({ schema: 'gpushare-micro/probe-curve', points: [expect.any(Object), expect.any(Object)] });
    const markdown = cliRun('probe', '--smem', '0,64K', '--duration', '500ms', '--format', 'markdown', '--quiet');
    expect(markdown.status, markdown.stderr).toBe(0);
    expect(markdown.stdout).toMatch(/^\| shared\/SM \| threads \| regs asked \|/m);
    const file = join(work, 'runs.json');
    const r = cliRun('--kernel', 'gemm', '--size', '2048', '--procs', '2', '--duration', '500ms', '--runs', '2', '--keep-traces', '--json', file, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}aggregate vs solo +\d+\.\d\d× \[\d+\.\d\d–\d+\.\d\d\]: /m);
    expect(r.stdout).toContain('Repeated: 2 runs, interleaved');
    for (const line of tableLines(r.stdout)) expect([...line].length).toBeLessThanOrEqual(80);
    expect(validateRunResult(JSON.parse(readFileSync(file, 'utf8'))).repeats?.runs).toBe(2);
    expect(existsSync(join(work, 'runs.traces.gz'))).toBe(true);
  }, 300_000);

  it('bench --json FILE.gz and --format markdown', () => {
    const file = join(work, 'bench.json.gz');
    const r = cliRun('bench', '--preset', 'gemm-bf16-4096', '--launches', '5', '--json', file, '--format', 'markdown', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('**Verdict**');
    expect(r.stdout).toMatch(/^\| workload \| impl \|/m);
    expect(gunzipJson(file)).toMatchObject({ schema: 'gpushare-micro.bench', rows: expect.any(Array) });
  }, 300_000);

  it('sweep --json -: its summary, which checks against the sweep schema', () => {
    const r = cliRun(
      'sweep',
      '--procs',
      '2',
      '--modes',
      'timeslice,mps',
      '--sizes',
      '1024',
      '--duration',
      '300ms',
      '--out',
      join(work, 'sweep'),
      '--json',
      '-',
      '--quiet',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(sweepSummarySchema.parse(JSON.parse(r.stdout)).points).toHaveLength(2);
  }, 300_000);

  it('scenario run: the verdicts with the SLO line, the summary in FILE.gz', () => {
    const yaml = join(work, 'tiny.yaml');
    writeFileSync(
      yaml,
      'name: tiny\ndescription: a gemm beside an open-loop gemm\nduration: 1s\nmodes: [timeslice, mps]\nroles:\n  train:\n    kernel: gemm\n    size: 2048\n  infer:\n    kernel: gemm\n    size: 512\n    arrival: poisson:200/s\n    slo: p99<=5ms\n',
    );
    const file = join(work, 'scenario.json.gz');
    const r = cliRun('scenario', 'run', yaml, '--out', join(work, 'scenario'), '--json', file, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Verdicts:$/m);
    expect(r.stdout).toMatch(/^ {2}SLO infer +p99<=5ms: /m);
    expect(scenarioSummarySchema.parse(gunzipJson(file)).runs).toHaveLength(2);
  }, 300_000);

  it('monitor --once --json FILE.gz: one frame as a JSON line', () => {
    const file = join(work, 'frames.jsonl.gz');
    const r = cliRun('monitor', '--once', '--json', file);
    expect(r.status, r.stderr).toBe(0);
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toHaveProperty('gpus');
  }, 120_000);
});

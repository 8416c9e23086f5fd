// What the CLI prints, the same in every command: --format table|markdown|json, the compact table fitted
// to the terminal (COLUMNS when stdout is no terminal) and --wide, --json [FILE|-] (stdout with -, a .gz
// name gzipped, read back and checked against its schema), and the help of every command (examples,
// defaults, choices). Through the built CLI (dist/cli/main.js) where no GPU is needed: `report` prints
// recorded H200 results as their command printed them. Needs `npm run build:ts`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Command, Option } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliHasGpu } from './fixtures/gpu-present.js';
import { emit, outputPlan, writeJsonTarget } from '../src/cli/output.js';
import { buildProgram } from '../src/cli/program.js';
import { formatJson, openAtomicStream } from '../src/report/json.js';
import { mergedSchema } from '../src/report/merged-schema.js';
import { validateRunResult } from '../src/report/schema.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { formatRunResult } from '../src/report/table.js';
import { scenarioSummarySchema, verdictSchema } from '../src/scenario/result-schema.js';
import { standInRun, writeSweep } from './fixtures/report-inputs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');
const gemmP4 = join(root, 'examples', 'h200-gemm-p4', 'timeslice.json.gz');
const trainInfer = join(root, 'docs', 'results', '2026-12-01-h200-scenarios', 'train+infer');

const gpu = cliHasGpu();

function cliRun(args: string[], env: Record<string, string> = {}, cwd = root) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 * 2 ** 20,
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

const tableLines = (printed: string) => printed.split('\n').filter((l) => /^[┌│├└]/.test(l));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gsm-cli-output-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('--format and the width: report prints recorded results as their command did', () => {
  it.each([80, 120])('a recorded 4-client run in COLUMNS=%i: the verdict first, every table line within the width', (columns) => {
    const r = cliRun(['report', gemmP4, '--format', 'table'], { COLUMNS: String(columns) });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = tableLines(r.stdout);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
    expect(r.stdout.indexOf('Verdict:\n  aggregate vs solo   0.93×')).toBeGreaterThan(0);
    expect(r.stdout.indexOf('Verdict:')).toBeLessThan(r.stdout.indexOf('┌'));
  });

  it('--wide prints every column, as the tables were before', () => {
    const r = cliRun(['report', gemmP4, '--format', 'table', '--wide'], { COLUMNS: '80' });
    expect(r.status).toBe(0);
    const head = tableLines(r.stdout)[1]!;
    for (const title of ['launches', 'p95 latency', 'p50 GPU time', 'SM share', 'p50 latency vs solo']) expect(head).toContain(title);
  });

  it('--format markdown: GitHub tables, the verdict as a list', () => {
    const r = cliRun(['report', gemmP4, '--format', 'markdown']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**Verdict**\n\n- **aggregate vs solo**: 0.93×');
    expect(r.stdout).toMatch(/^\| client \| throughput \|.*\|\n\| --- \|( ---: \|)+$/m);
    expect(r.stdout).not.toMatch(/[┌│└]/);
  });

  it('--format json: the result itself, which validates', () => {
    const r = cliRun(['report', gemmP4, '--format', 'json']);
    expect(r.status).toBe(0);
    const result = validateRunResult(JSON.parse(r.stdout));
    expect(result.shared.clients).toHaveLength(4);
  });

  it('a recorded scenario: the verdicts and each SLO, in every format', () => {
    const table = cliRun(['report', trainInfer, '--format', 'table'], { COLUMNS: '100' });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^ {2}SLO infer {3}p99<=1ms: met under mps 820 µs, streams 841 µs, green 956 µs;/m);
    for (const line of tableLines(table.stdout)) expect([...line].length).toBeLessThanOrEqual(100);
    const md = cliRun(['report', trainInfer, '--format', 'markdown']);
    expect(md.stdout).toMatch(/^\| mode \| role \| throughput vs alone \|/m);
    const json = cliRun(['report', trainInfer, '--format', 'json']);
    expect(scenarioSummarySchema.parse(JSON.parse(json.stdout)).scenario.name).toBe('train+infer');
  });

  it.each([
    [['report', gemmP4, '--format', 'table', '-o', 'x.html'], '--output'],
    [['report', gemmP4, '--wide'], '--wide'],
    [['report', gemmP4, '--format', 'json', '--wide'], '--wide'],
    [['report', gemmP4, '--format', 'yaml'], '--format'],
    [['advise', trainInfer, '--format', 'table', '--json', '-'], '--json'],
    [['--format', 'markdown', '--json', '-'], '--json'],
    [['bench', '--format', 'markdown', '--json'], '--json'],
    [['sweep', '--format', 'csv', '--wide'], '--wide'],
  ])('%j: one line naming %s, exit code 2, nothing on stdout', (args, option) => {
    const r = cliRun(args, {}, work);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^gpushare-micro: invalid ${option}: expected `));
  });
});

describe('--json [FILE|-] means the same in every command', () => {
  let sweepDir: string;
  beforeAll(async () => {
    sweepDir = await writeSweep(join(work, 'sweep'));
  }, 120_000);

  function gunzipJson(file: string): unknown {
    return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
  }

  it('info: - and no FILE print the JSON alone; FILE.gz is gzipped and the text still printed', () => {
    for (const args of [
      ['info', '--json', '-'],
      ['info', '--json'],
    ]) {
      const r = cliRun(args);
      expect(r.status).toBe(0);
      const info = JSON.parse(r.stdout) as { available: boolean; modes: unknown[] };
      expect(typeof info.available).toBe('boolean');
      expect(info.modes).toHaveLength(5);
    }
    const file = join(work, 'info.json.gz');
    const r = cliRun(['info', '--json', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^gpushare-micro /);
    expect(r.stderr).toBe(`gpushare-micro: wrote ${file}\n`);
    expect((gunzipJson(file) as { modes: unknown[] }).modes).toHaveLength(5);
  });

  it('mps status: - prints the JSON alone; FILE.gz is gzipped', () => {
    const pipe = join(work, 'no-daemon');
    const r = cliRun(['mps', 'status', '--pipe', pipe, '--json', '-']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ running: false, pipeDir: pipe });
    const file = join(work, 'mps.json.gz');
    expect(cliRun(['mps', 'status', '--pipe', pipe, '--json', file]).status).toBe(0);
    expect(gunzipJson(file)).toMatchObject({ running: false });
  });

  it('merge: - prints the comparison as JSON, FILE.gz is gzipped, both check against the merged schema', () => {
    const stdout = cliRun(['merge', sweepDir, '-o', join(work, 'merged-a'), '--json', '-']);
    expect(stdout.status).toBe(0);
    expect(mergedSchema.parse(JSON.parse(stdout.stdout)).points.length).toBeGreaterThan(0);
    const file = join(work, 'merged.json.gz');
    const gz = cliRun(['merge', sweepDir, '-o', join(work, 'merged-b'), '--json', file, '--format', 'markdown']);
    expect(gz.status).toBe(0);
    expect(gz.stdout).toMatch(/^\| point \| node \|/m);
    expect(mergedSchema.parse(gunzipJson(file)).nodes).toHaveLength(1);
  });

  it('advise DIR: - prints the pick and its lines, FILE.gz is gzipped', () => {
    const r = cliRun(['advise', trainInfer, '--json', '-']);
    expect(r.status).toBe(0);
    const advice = JSON.parse(r.stdout) as { pick: unknown; lines: string[] };
    expect(verdictSchema.parse(advice.pick).mode).toBe('streams');
    expect(advice.lines[0]).toBe('Scenario train+infer: 4 runs');
    const file = join(work, 'advice.json.gz');
    expect(cliRun(['advise', trainInfer, '--json', file]).status).toBe(0);
    expect(verdictSchema.parse((gunzipJson(file) as { pick: unknown }).pick).objective).toBe('slo');
  });

  it.skipIf(gpu)('the measuring commands take - and FILE.gz before looking for the GPU (here: none, exit 3)', () => {
    const gz = join(work, 'never.json.gz');
    for (const args of [
      ['run', '--procs', '2', '--json', '-'],
      ['run', '--procs', '2', '--json', gz],
      ['probe', '--json'],
      ['bench', '--preset', 'gemm-bf16-4096', '--json', gz],
      ['sweep', '--out', join(work, 'sweep-never'), '--json', '-'],
      ['scenario', 'run', 'train+infer', '--out', join(work, 'scenario-never'), '--json', gz],
      ['monitor', '--once', '--json', gz],
      ['mig', 'list', '--json', '-'],
    ]) {
      const r = cliRun(args, { PATH: '/nonexistent' }, work);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('invalid --json');
    }
  });

  describe('what run, probe, bench, sweep and scenario run do with the result (no GPU: their shared output code, with a stand-in run)', () => {
    afterEach(() => vi.restoreAllMocks());

    it('--json FILE.gz: written atomically and gzipped, the text printed; read back, the result validates', async () => {
      const result = await standInRun(2);
      const file = join(work, 'run.json.gz');
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((text: string) => printed.push(text));
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const plan = outputPlan({ json: file });
      expect(plan.print).toMatchObject({ as: 'text', layout: { format: 'table', wide: false } });
      await emit(plan, result, (layout) => formatRunResult(result, layout));
      expect(printed.join('\n')).toMatch(/^gpushare-micro .*\n[\s\S]*\nVerdict:\n/);
      const back = validateRunResult(gunzipJson(file));
      expect(back.shared.clients).toHaveLength(2);
      expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    }, 60_000);

    it('--json - (and --format json): the JSON alone on stdout, as formatJson writes it', async () => {
      const result = await standInRun(2);
      for (const flags of [{ json: '-' }, { json: true }, { format: 'json' }]) {
        const out: string[] = [];
        vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
        vi.spyOn(console, 'log').mockImplementation(() => {
          throw new Error('text printed beside the JSON');
        });
        await emit(outputPlan(flags), result, () => 'text');
        vi.restoreAllMocks();
        expect(out.join('')).toBe(formatJson(result));
        validateRunResult(JSON.parse(out.join('')));
      }
    }, 60_000);

    it('a sweep summary to FILE.gz reads back against the sweep schema', async () => {
      const summary = JSON.parse(readFileSync(join(sweepDir, 'summary.json'), 'utf8')) as unknown;
      const file = join(work, 'sweep-summary.json.gz');
      await writeJsonTarget({ to: 'file', path: file }, summary, true);
      expect(sweepSummarySchema.parse(gunzipJson(file)).points).toHaveLength(6);
    });

    it("a stream (monitor's JSON lines) appears whole at commit, gzipped, and not at all when aborted", async () => {
      const file = join(work, 'frames.jsonl.gz');
      const stream = openAtomicStream(file);
      stream.write('{"frame":1}\n');
      stream.write('{"frame":2}\n');
      expect(() => readFileSync(file)).toThrow();
      await stream.commit();
      expect(
        gunzipSync(readFileSync(file))
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual([{ frame: 1 }, { frame: 2 }]);
      const dropped = openAtomicStream(join(work, 'dropped.jsonl'));
      dropped.write('{}\n');
      await dropped.abort();
      expect(() => readFileSync(join(work, 'dropped.jsonl'))).toThrow();
    });
  });
});

/** Every command of the program, with the path the user types. */
function commands(cmd: Command, path: string[] = []): Array<{ path: string; cmd: Command }> {
  const here = cmd.parent ? [...path, cmd.name()] : path;
  return [{ path: here.join(' ') || 'gpushare-micro', cmd }, ...cmd.commands.flatMap((c) => commands(c, here))];
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

describe('the help of every command', () => {
  const all = commands(buildProgram());

  it.each(all.map((c) => [c.path, c.cmd] as const))('%s: examples, and the defaults and choices of its options', (_, cmd) => {
    const help = helpOf(cmd);
    expect(help).toMatch(/\nExamples:\n {2}# .+\n {2}\$ gpushare-micro/);
    // Commander wraps the descriptions to the terminal: compared with the line breaks as spaces.
    const flat = help.replace(/\s+/g, ' ');
    for (const option of cmd.options as Option[]) {
      if (option.negate || option.defaultValue === undefined) continue;
      expect(flat, option.flags).toContain(`default: ${option.defaultValueDescription ?? JSON.stringify(option.defaultValue)}`);
    }
    for (const option of cmd.options as Option[]) if (option.argChoices) expect(flat, option.flags).toContain(`choices: "${option.argChoices[0]}"`);
  });

  it('the defaults shown are the ones the measuring commands apply', () => {
    const run = all.find((c) => c.path === 'run')!.cmd;
    const defaults = Object.fromEntries((run.options as Option[]).map((o) => [o.attributeName(), o.defaultValue]));
    expect(defaults).toMatchObject({
      procs: 4,
      duration: '5s',
      kernel: 'gemm',
      mode: 'timeslice',
      loop: 'saturate',
      size: 4096,
      warmup: '300ms',
      format: 'table',
    });
    const probe = all.find((c) => c.path === 'probe')!.cmd;
    expect(Object.fromEntries((probe.options as Option[]).map((o) => [o.attributeName(), o.defaultValue]))).toMatchObject({ procs: 2, duration: '3s' });
  });
});

// Generated bad invocations of every command through the built CLI (node dist/cli/main.js; `npm test`
// builds it): each must exit with code 2, print one line on stderr naming the option, argument or file
// at fault, and nothing on stdout. Needs no GPU. GSM_FUZZ_SEED=<n> draws other cases than the default;
// GSM_FUZZ_LOG=1 prints each invocation with its time and exit code as it ends.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { commandCases, type Case, PROGRAM_COMMANDS } from './cli-cases.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const seed = Number(process.env.GSM_FUZZ_SEED ?? 20261201);
/** The longest error line allowed: echoed values are cut, whatever their length. */
const MAX_LINE = 1100;

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `jobs` with at most `width` at a time, keeping their order. */
async function pool<T, R>(jobs: readonly T[], width: number, run: (job: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await run(jobs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

/** What is wrong with an outcome (empty: nothing). */
function problems(c: Case, r: Outcome): string[] {
  const found: string[] = [];
  const expected = c.exit ?? 2;
  if (r.status !== expected) found.push(`exit code ${r.status}, expected ${expected}`);
  if (r.stdout !== '') found.push(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  const lines = r.stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '') found.push(`${lines.length - 1} stderr lines, expected 1`);
  const line = lines[0] ?? '';
  if (!line.startsWith('gpushare-micro: ')) found.push('stderr line without the "gpushare-micro: " prefix');
  if (!line.includes(c.names.slice(0, 40))) found.push(`stderr line does not name ${JSON.stringify(c.names.slice(0, 40))}`);
  if (line.length > MAX_LINE) found.push(`stderr line of ${line.length} characters`);
  return found;
}

function show(args: string[]): string {
  return args.map((a) => (a.length > 60 ? `${a.slice(0, 40)}…(${a.length} chars)` : JSON.stringify(a))).join(' ');
}

const work = mkdtempSync(join(tmpdir(), 'gsm-fuzz-'));
const fixtures = { file: join(work, 'not-a-result.txt'), dir: join(work, 'a-dir') };
const arbitraries = commandCases(fixtures);
const groups = arbitraries.map(([command, arbitrary, count]) => {
  // Distinct argument lists only: a repeated case tells nothing new.
  const seen = new Set<string>();
  const cases = fc.sample(arbitrary, { numRuns: count * 3, seed }).filter((c) => {
    const key = JSON.stringify(c.args);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { command, cases: cases.slice(0, count) };
});
const results = new Map<Case, string[]>();

beforeAll(async () => {
  writeFileSync(fixtures.file, 'plain text, not a result\n');
  mkdirSync(fixtures.dir);
  const all = groups.flatMap((g) => g.cases);
  for (const c of all) for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(work, name), text);
  // Starting node is most of each case's time: as many at once as there are cores, at least two.
  const outcomes = await pool(all, Math.max(2, availableParallelism()), async (c) => {
    const t = Date.now();
    const r = await runCli(c.args, work);
    if (process.env.GSM_FUZZ_LOG) process.stderr.write(`[fuzz] ${Date.now() - t} ms ${r.status} ${show(c.args)}\n`);
    return r;
  });
  for (const [i, c] of all.entries()) {
    const outcome = outcomes[i]!;
    results.set(
      c,
      problems(c, outcome).map((p) => `${p}; stderr: ${JSON.stringify(outcome.stderr.slice(0, 300))}`),
    );
  }
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`bad CLI invocations (fast-check seed ${seed})`, () => {
  it('cover every command with at least 200 cases', () => {
    const total = groups.reduce((n, g) => n + g.cases.length, 0);
    console.log(`[fuzz] ${total} invocations: ${groups.map((g) => `${g.command} ${g.cases.length}`).join(', ')}`);
    expect(total).toBeGreaterThanOrEqual(200);
    for (const g of groups) expect(g.cases.length, g.command).toBeGreaterThanOrEqual(8);
  });

  it('cover every command of the program, down to each subcommand', () => {
    const program = buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(PROGRAM_COMMANDS);
    const leaves = (cmd: Command, path: string[]): string[] =>
      cmd.commands.length === 0 ? [path.join(' ')] : cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
    // Of many draws (none run): every command can be drawn, whatever GSM_FUZZ_SEED picks to run.
    const covered = new Set(arbitraries.flatMap(([, arbitrary]) => fc.sample(arbitrary, { numRuns: 500, seed }).map((c) => c.command)));
    expect(leaves(program, []).filter((c) => !covered.has(c))).toEqual([]);
  });

  it.each(groups.map((g) => [g.command, g] as const))('%s: exit code 2, one stderr line naming the option or file, nothing on stdout', (_, group) => {
    const failures = group.cases.flatMap((c) => results.get(c)!.map((p) => `${show(c.args)}: ${p}`));
    expect(failures).toEqual([]);
  });
});

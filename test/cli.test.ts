// The CLI as a user runs it: exit codes and one-line errors. Needs `npm run build:ts` (npm test does it).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliHasGpu } from './fixtures/gpu-present.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const gemmArgs = ['--kernel', 'gemm', '--procs', '2', '--duration', '200ms', '--size', '256'];

const hasGpu = cliHasGpu();

/** Every command, as the user types it (the test below checks it against the program's own list). */
const COMMANDS = [
  'run',
  'probe',
  'info',
  'sweep',
  'bench',
  'monitor',
  'mps',
  'mps start',
  'mps stop',
  'mps status',
  'mig',
  'mig list',
  'mig plan',
  'mig apply',
  'report',
  'export',
  'merge',
  'scenario',
  'scenario list',
  'scenario show',
  'scenario run',
  'scenario peak',
  'advise',
  'k8s',
  'k8s render',
];

function cliRun(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('CLI', () => {
  it.each([
    [['--kernel', 'conv9'], '--kernel', 'gemm, probe'],
    [['--procs', '0'], '--procs', '1..64'],
    [['--procs', '65'], '--procs', '1..64'],
    [['--duration', 'forever'], '--duration', 'duration'],
    [['--size', '0'], '--size', 'integer'],
    [['probe', '--procs', '100'], '--procs', '1..64'],
    [['probe', '--smem', '0,64K', '--threads', '2000'], '--threads', '1..1024'],
    [['probe', '--regs', '32,100'], '--regs', '0, 32, 64, 128, 255'],
    [['probe', '--smem', '300K'], '--smem', '0..227K'],
    [['probe', '--smem', '0,64K', '--duration', 'forever'], '--duration', 'duration'],
    [['--json', '/nonexistent-dir/x.json'], '--json', 'existing directory'],
    [['--mps-threads', '50'], '--mps-threads', '--mode mps'],
    [['--mode', 'streams', '--mps-mem', '2G'], '--mps-mem', '--mode mps'],
    [['--priority', 'high'], '--priority', '--mode streams or --mode green'],
    [['--mode', 'streams', '--priority', 'urgent'], '--priority', 'high, low or integers'],
    [['--mode', 'green', '--procs', '2', '--sm-split', '64'], '--sm-split', '2 SM counts'],
    [['--mode', 'teleport'], '--mode', 'timeslice, mps, streams, green, mig'],
    [['sweep', '--modes', 'timeslice,teleport'], '--modes', 'timeslice, mps, streams, green, mig'],
    [['sweep', '--procs', '1,65'], '--procs', '1..64'],
    [['sweep', '--resume'], '--resume', '--out'],
    [['sweep', '--modes', 'streams', '--mps-threads', '50'], '--mps-threads', 'includes mps'],
    [['bench', '--preset', 'gemm-int8'], '--preset', 'gemm-bf16-4096'],
    [['bench', '--kernel', 'gemm', '--shape', '4096,4096'], '--shape', 'm,n,k'],
    [['bench', '--kernel', 'gemm', '--shape', '64,64,64', '--dtype', 'int8'], '--dtype', 'bf16, fp16, tf32, fp32'],
    [['bench', '--launches', '0'], '--launches', '1..100000'],
    [['bench', '--json', '/nonexistent-dir/x.json'], '--json', 'existing directory'],
    // Numbers are plain decimals, integers are whole, and output paths are checked before any GPU work.
    [['--procs', '0x4'], '--procs', '1..64'],
    [['--seed', '1.5'], '--seed', 'an integer'],
    [['sweep', '--procs', '1,0x4'], '--procs', '1..64'],
    [['bench', '--launches', '1e3'], '--launches', '1..100000'],
    [['--json', '/proc/gsm.json'], '--json', 'no file can be created in /proc'],
    [['--json', '/dev/null'], '--json', 'a regular file'],
    [['sweep', '--out', '/proc/gsm-results'], '--out', 'no file can be created in /proc'],
    [['report', 'x.json', '-o', '/sys/gsm.html'], '--output', 'no file can be created in /sys'],
    [['--kernel', 'conv', '--shape', '100000,100000,224,224,64,3,3,1,1'], '--shape', 'at most 2147483647 elements'],
    // Model workloads: the per-field options are checked against the registry.
    [['--kernel', 'resnet50-train', '--input', '64'], '--input', 'one of 32, 224 for resnet50-train'],
    [['--workload', 'bert-base-train', '--kv', '64'], '--kv', 'no --kv with bert-base-train'],
    [['--kernel', 'gemm', '--batch', '8'], '--batch', 'only with a model workload'],
    [['--kernel', 'gemm', '--profile-layers'], '--profile-layers', 'a model workload'],
    [['sweep', '--kernels', 'gemm', '--batches', '1,8'], '--batches', 'a model workload'],
    [['bench', '--workload', 'resnet50-train', '--seq', '128'], '--seq', 'no --seq with resnet50-train'],
    [['bench', '--workload', 'llm-decode', '--pytorch', '/nonexistent/t.json'], '--pytorch', 'scripts/pytorch/models.py'],
  ])('rejects %j with exit code 2 and one line naming the option', (args, option, expected) => {
    const r = cliRun(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
    expect(lines[0]).toContain(expected);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--frobnicate'], "unknown option '--frobnicate' (see gpushare-micro run --help)"],
    [['info', '--jsn'], "unknown option '--jsn'; did you mean --json? (see gpushare-micro info --help)"],
    [['--procs'], "option '-p, --procs <n>' argument missing (see gpushare-micro run --help)"],
    [
      ['frob'],
      "unknown command 'frob' (did you mean probe?): expected one of run, probe, info, sweep, bench, monitor, mps, mig, report, export, merge, scenario, advise, k8s (see gpushare-micro --help)",
    ],
    [['run', 'extra'], "unexpected argument 'extra' for run: it takes no arguments (see gpushare-micro run --help)"],
    [['mps'], 'mps needs a command: start, stop, status (see gpushare-micro mps --help)'],
    [['mig'], 'mig needs a command: list, plan, apply (see gpushare-micro mig --help)'],
    [['mps', 'frob'], "unknown command 'frob' for mps: expected one of start, stop, status (see gpushare-micro mps --help)"],
    [
      ['help', 'frob'],
      "unknown command 'frob' for help (did you mean probe?): expected one of run, probe, info, sweep, bench, monitor, mps, mig, report, export, merge, scenario, advise, k8s (see gpushare-micro --help)",
    ],
    [['mig', 'plan'], "missing required argument 'profiles' (see gpushare-micro mig plan --help)"],
    // A mistyped command: commander's nearest match.
    [
      ['swep'],
      "unknown command 'swep' (did you mean sweep?): expected one of run, probe, info, sweep, bench, monitor, mps, mig, report, export, merge, scenario, advise, k8s (see gpushare-micro --help)",
    ],
    [['scenario', 'rnu'], "unknown command 'rnu' for scenario (did you mean run?): expected one of list, show, run, peak (see gpushare-micro scenario --help)"],
    [['mps', 'stat'], "unknown command 'stat' for mps (did you mean start?): expected one of start, stop, status (see gpushare-micro mps --help)"],
    [['mig', 'lst', '--json'], "unknown command 'lst' for mig (did you mean list?): expected one of list, plan, apply (see gpushare-micro mig --help)"],
    [['--loop', 'ring'], 'invalid --loop: expected one of saturate, closed, open, got "ring"'],
  ])('commander usage error %j: exit code 2, one line', (args, line) => {
    const r = cliRun(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`gpushare-micro: ${line}\n`);
    expect(r.stdout).toBe('');
  });

  it('echoes no more than the start and end of a 100,000-character value', () => {
    for (const args of [['--mode', 'x'.repeat(100_000)], [`--${'x'.repeat(100_000)}`], ['mps', 'status', '--pipe', 'p'.repeat(100_000)]]) {
      const r = cliRun(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr.length).toBeLessThan(300);
      expect(r.stderr).toMatch(/ \(10000[02] characters\)/);
    }
  });

  it('refuses a sweep results directory that holds another sweep before looking for a GPU', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gsm-cli-sweep-'));
    try {
      await writeFile(join(dir, 'summary.json'), '{}');
      const r = cliRun('sweep', '--out', dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^gpushare-micro: invalid --out: expected a new or empty directory \(or --resume to continue the sweep in it\)/);
      const resume = cliRun('sweep', '--out', dir, '--resume');
      expect(resume.status).toBe(2);
      expect(resume.stderr).toMatch(/^gpushare-micro: invalid --resume: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists every command the program has', () => {
    /** The commands a --help lists under "Commands:" (help itself left out). */
    const listed = (...path: string[]) => {
      const help = cliRun(...path, '--help').stdout;
      const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
      return section
        .split('\n')
        .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined && name !== 'help')
        .map((name) => [...path, name].join(' '));
    };
    const top = listed();
    const all = [...top, ...top.flatMap((c) => listed(...c.split(' ')))];
    expect([...all].sort()).toEqual([...COMMANDS].sort());
  });

  it('prints help for each command with exit code 0, with examples', () => {
    for (const command of ['', ...COMMANDS]) {
      const r = cliRun(...command.split(' ').filter(Boolean), '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout).toContain(`Usage: gpushare-micro${command ? ` ${command}` : ''}`);
      expect(r.stdout, command).toMatch(/\nExamples:\n {2}# .+\n {2}\$ gpushare-micro/);
    }
    expect(cliRun('--help').stdout).toContain('Exit codes');
  });

  it('run --list and bench --list print the same registry: kernels, workloads, presets', () => {
    const run = cliRun('run', '--list');
    const bench = cliRun('bench', '--list');
    expect(run.status).toBe(0);
    expect(bench.stdout).toBe(run.stdout);
    for (const heading of ['Kernels (', 'Workloads (', 'Presets (']) expect(run.stdout).toContain(heading);
    for (const name of ['gemm', 'attention', 'resnet50-train', 'bert-base-infer', 'llm-decode', 'resnet50-l1-3x3', 'llm-decode-b64'])
      expect(run.stdout).toContain(name);
  });

  it('info exits 0 with or without a GPU', () => {
    const r = cliRun('info');
    expect(r.status).toBe(0);
    if (!hasGpu) expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(cliRun('info', '--json').stdout) as { available: boolean; modes: unknown[] };
    expect(j.modes).toHaveLength(5);
  });

  it('mps status on a directory with no daemon says so and exits 0', () => {
    const r = cliRun('mps', 'status', '--pipe', '/nonexistent/gsm-pipe');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('MPS: not running in /nonexistent/gsm-pipe');
  });

  it.skipIf(hasGpu)('without a GPU, a run says so in one line and exits 3', () => {
    for (const args of [gemmArgs, ['probe', '--procs', '2'], ['bench', '--preset', 'gemm-bf16-4096']]) {
      const r = cliRun(...args);
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/no usable NVIDIA GPU|native addon/);
    }
  });
});

// The CLI as a user runs it: exit codes and one-line errors. Needs `npm run build:ts` (npm test does it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../src/binding/loader.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const gemmArgs = ['--kernel', 'gemm', '--procs', '2', '--duration', '200ms', '--size', '256'];

function gpuPresent(): boolean {
  try {
    loadBinding();
  } catch {
    return false;
  }
  const probe = spawnSync(process.execPath, [cli, 'info', '--json'], { encoding: 'utf8' });
  return probe.status === 0 && (JSON.parse(probe.stdout) as { available: boolean }).available;
}
const hasGpu = gpuPresent();

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
  ])('rejects %j with exit code 2 and one line naming the option', (args, option, expected) => {
    const r = cliRun(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
    expect(lines[0]).toContain(expected);
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown option with exit code 2', () => {
    const r = cliRun('--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
  });

  it('prints help for each command with exit code 0', () => {
    for (const args of [['--help'], ['run', '--help'], ['probe', '--help'], ['info', '--help'], ['sweep', '--help'], ['mps', '--help'], ['mps', 'start', '--help']]) {
      const r = cliRun(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage: gpushare-micro');
    }
    expect(cliRun('--help').stdout).toContain('Exit codes');
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
    for (const args of [gemmArgs, ['probe', '--procs', '2']]) {
      const r = cliRun(...args);
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/no usable NVIDIA GPU|native addon/);
    }
  });
});

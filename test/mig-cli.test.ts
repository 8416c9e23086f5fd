// `gpushare-micro mig list|plan|apply` as a user runs it (the built dist), with the recording
// stand-in for nvidia-smi first on PATH. Needs `npm run build:ts` (npm test does it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NVIDIA_SMI_DIRS } from '../src/mig/nvidia-smi.js';
import { emptyDir, removeSmiDirs, standIn } from './fixtures/smi.js';

afterAll(removeSmiDirs);

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const smiInstalled = NVIDIA_SMI_DIRS.some((d) => existsSync(join(d, 'nvidia-smi')));

function mig(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [cli, 'mig', ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

function invocations(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
}

describe('gpushare-micro mig', () => {
  it('mig plan on the recorded H200 prints the checked layout and the exact commands', () => {
    const s = standIn();
    const r = mig(s.env(['h200-580']), 'plan', '3g.71gb,3g.71gb');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('MIG layout for GPU 0 (NVIDIA H200, MIG disabled), checked against the profiles GPU 0 reports (nvidia-smi mig -lgip, -lgipp):');
    expect(lines).toContain('  3g.71gb  profile  9  memory slices 0-3   3 compute slices (60 SMs)');
    expect(lines).toContain('  3g.71gb  profile  9  memory slices 4-7   3 compute slices (60 SMs)');
    expect(lines).toContain('  uses 6 of 7 compute slices and 8 of 8 memory slices');
    const at = lines.findIndex((l) => l.startsWith('Commands'));
    expect(lines[at]).toContain('they change GPU 0 for every user of this machine');
    expect(lines[at]).toContain('`gpushare-micro mig apply 3g.71gb,3g.71gb --gpu 0 --yes` runs them');
    expect(lines.slice(at + 1, at + 3)).toEqual(['  nvidia-smi -i 0 -mig 1', '  nvidia-smi mig -i 0 -cgi 9:0,9:4 -C']);
    // Read-only listings only.
    expect(invocations(s.log).map((l) => JSON.parse(l).join(' '))).toEqual([
      '--query-gpu=index,name,uuid,mig.mode.current,mig.mode.pending --format=csv,noheader',
      '-L',
      'mig -lgip -i 0',
      'mig -lgipp -i 0',
    ]);
  });

  it('mig plan --model plans offline, without nvidia-smi', () => {
    const r = mig({ ...process.env, PATH: emptyDir() }, 'plan', '2g.35gb,2g.35gb,2g.35gb,1g.18gb', '--model', 'H200-141GB', '--gpu', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('MIG layout for GPU 1 (an H200 141GB, planned offline), checked against the recorded profiles of the H200 141GB');
    expect(r.stdout).toContain('\n  nvidia-smi -i 1 -mig 1\n  nvidia-smi mig -i 1 -cgi 14:0,14:2,14:4,19:6 -C\n');
  });

  it.each([
    [
      ['plan', '7g.141gb,1g.18gb', '--model', 'H200-141GB'],
      'gpushare-micro: mig plan: 7g.141gb,1g.18gb does not fit on H200 141GB: needs 8 compute slices, the GPU has 7 (7g.141gb 7 + 1g.18gb 1)',
    ],
    [
      ['plan', '3g.71gb,5g.90gb', '--model', 'h200-141gb'],
      'gpushare-micro: mig plan: unknown MIG profile "5g.90gb" for H200 141GB: expected one of 1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb',
    ],
    [
      ['plan', '3g.71gb', '--model', 'Z100'],
      'gpushare-micro: invalid --model: expected one of H200-141GB, H100-94GB, H100-80GB, A100-80GB, A100-40GB, got "Z100"',
    ],
    [
      ['plan', '3g.71gb', '--model', 'H200-141GB', '--gpu', 'first'],
      'gpushare-micro: invalid --gpu: expected a GPU index (nvidia-smi -L) in 0..63, got "first"',
    ],
  ])('mig %j fails with exit code 2 and one line', (args, line) => {
    const r = mig({ ...process.env, PATH: emptyDir() }, ...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('mig plan for a GPU nvidia-smi does not list is an invalid --gpu', () => {
    const r = mig(standIn().env(['h200-580']), 'plan', '3g.71gb', '--gpu', '2');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('gpushare-micro: invalid --gpu: expected a GPU index that nvidia-smi lists (0), got "2"');
  });

  it('mig plan on a GPU without MIG says so (exit 3)', () => {
    const r = mig(standIn().env(['composed/no-mig']), 'plan', '3g.71gb');
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toBe('gpushare-micro: mig plan: GPU 0 (NVIDIA GeForce RTX 4090) does not support MIG');
  });

  it('mig apply without --yes refuses (exit 2) and runs nothing, not even a read', () => {
    const s = standIn();
    const env = s.env(['h200-580']);
    const r = mig(env, 'apply', '3g.71gb,3g.71gb', '--gpu', '0');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gpushare-micro: mig apply changes GPU 0 for every user of this machine .*nothing was run: add --yes to apply/);
    expect(existsSync(s.log)).toBe(false);
    // The stand-in does record when it is run: the same environment's plan leaves a log.
    expect(mig(env, 'plan', '3g.71gb,3g.71gb', '--gpu', '0').status).toBe(0);
    expect(invocations(s.log).length).toBeGreaterThan(0);
  });

  it('mig apply needs --gpu', () => {
    const s = standIn();
    const r = mig(s.env(['h200-580']), 'apply', '3g.71gb', '--yes');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("required option '--gpu <index>' not specified");
    expect(existsSync(s.log)).toBe(false);
  });

  it("mig list shows each GPU's MIG mode and MIG devices", () => {
    const h200 = mig(standIn().env(['h200-580']), 'list');
    expect(h200.status).toBe(0);
    expect(h200.stdout).toBe('GPU 0: NVIDIA H200 · GPU-286895ec-7af6-a9c9-3fd8-63a4fd804f74 · MIG disabled\n');
    const a100 = mig(standIn().env(['composed/a100-80gb-enabled', 'a100-80gb-7x1g']), 'list');
    expect(a100.status).toBe(0);
    const lines = a100.stdout.trim().split('\n');
    expect(lines[0]).toBe('GPU 0: NVIDIA A100-SXM4-80GB · GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16 · MIG enabled');
    expect(lines.slice(1)).toHaveLength(7);
    expect(lines[1]).toBe('  MIG device 0: 1g.10gb · MIG-feb88891-0321-5fef-9c87-d4af3b54259e');
    const json = JSON.parse(mig(standIn().env(['h200-580']), 'list', '--json').stdout) as Array<{ mode: string; pendingMode: string }>;
    expect(json).toEqual([
      { index: 0, name: 'NVIDIA H200', uuid: 'GPU-286895ec-7af6-a9c9-3fd8-63a4fd804f74', mode: 'disabled', pendingMode: 'disabled', migDevices: [] },
    ]);
  });

  it.skipIf(smiInstalled)('mig list without nvidia-smi: one line, exit 3', () => {
    const r = mig({ ...process.env, PATH: emptyDir() }, 'list');
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(/^gpushare-micro: mig list: nvidia-smi was not found \(searched PATH, \/usr\/bin, \/usr\/local\/nvidia\/bin\)$/);
  });

  it('help says that apply changes the machine for everyone and that tests never run it', () => {
    const help = mig(process.env, 'apply', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('CHANGES THE MACHINE FOR EVERYONE');
    expect(help.stdout).toContain('its tests never run `mig apply`');
    expect(mig(process.env, '--help').stdout).toMatch(/list[\s\S]*plan[\s\S]*apply/);
  });
});

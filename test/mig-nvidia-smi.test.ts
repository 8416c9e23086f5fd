// The nvidia-smi parsers against every recorded output in test/fixtures/nvidia-smi, and the runner
// (lookup on PATH, exit codes, timeout) against small scripts standing in for nvidia-smi.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findNvidiaSmi,
  NVIDIA_SMI_DIRS,
  nvidiaSmi,
  parseGiProfiles,
  parseGpuInstances,
  parseGpuList,
  parseMigModes,
  parsePlacements,
} from '../src/mig/nvidia-smi.js';

const root = fileURLToPath(new URL('./fixtures/nvidia-smi/', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function allFixtures(dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return allFixtures(path);
    return /\.(txt|csv)$/.test(name) ? [relative(root, path)] : [];
  });
}

describe('nvidia-smi parsers on the recorded outputs', () => {
  it('every fixture is read by the parser its name names, and yields rows (or is a known empty listing)', () => {
    const files = allFixtures();
    expect(files.length).toBeGreaterThanOrEqual(20);
    const emptyListings = ['h200-580/lgi.txt'];
    for (const file of files) {
      const text = read(file);
      const base = file.split('/').pop()!;
      const rows = base.endsWith('.csv')
        ? parseMigModes(text)
        : base.startsWith('L')
          ? parseGpuList(text)
          : base.startsWith('lgipp')
            ? parsePlacements(text)
            : base.startsWith('lgip')
              ? parseGiProfiles(text)
              : base.startsWith('lgi')
                ? parseGpuInstances(text)
                : undefined;
      expect(rows, file).toBeDefined();
      if (emptyListings.includes(file)) expect(rows, file).toEqual([]);
      else expect(rows!.length, file).toBeGreaterThan(0);
    }
  });

  it('-L on the H200 (MIG disabled): one GPU, no MIG devices', () => {
    expect(parseGpuList(read('h200-580/L.txt'))).toEqual([{ index: 0, name: 'NVIDIA H200', uuid: 'GPU-286895ec-7af6-a9c9-3fd8-63a4fd804f74', migDevices: [] }]);
  });

  it('-L with MIG devices, in the padded format of recent drivers', () => {
    const [gpu] = parseGpuList(read('a100-80gb-7x1g/L.txt'));
    expect(gpu!.name).toBe('NVIDIA A100-SXM4-80GB');
    expect(gpu!.migDevices).toHaveLength(7);
    expect(gpu!.migDevices[0]).toEqual({ gpu: 0, device: 0, profile: '1g.10gb', uuid: 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e' });
    expect(gpu!.migDevices[6]).toEqual({ gpu: 0, device: 6, profile: '1g.10gb', uuid: 'MIG-1aae4990-b962-574e-8375-119d6d9b9687' });
  });

  it('-L with several GPUs: MIG devices belong to the GPU listed above them', () => {
    const gpus = parseGpuList(read('a100-80gb-4gpus/L.txt'));
    expect(gpus.map((g) => [g.index, g.migDevices.length])).toEqual([
      [0, 4],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(gpus[0]!.migDevices.map((d) => d.profile)).toEqual(['1g.20gb', '1g.20gb', '1g.20gb', '1g.20gb']);
    expect(gpus[3]!.uuid).toBe('GPU-69ec2344-ebac-b028-f88f-452abb3d7f11');
  });

  it('-L in the MIG guide\'s older format (single spaces, no "NVIDIA " prefix)', () => {
    const [gpu] = parseGpuList(read('a100-40gb-guide/L.txt'));
    expect(gpu!.name).toBe('A100-SXM4-40GB');
    expect(gpu!.migDevices.map((d) => [d.device, d.profile, d.uuid])).toEqual([
      [0, '3g.20gb', 'MIG-c7384736-a75d-5afc-978f-d2f1294409fd'],
      [1, '3g.20gb', 'MIG-a28ad590-3fda-56dd-84fc-0a0b96edc58d'],
    ]);
  });

  it('-lgip on the H200 (driver 580): seven profiles with their IDs, counts, memory and engines', () => {
    const profiles = parseGiProfiles(read('h200-580/lgip.txt'));
    expect(profiles.map((p) => [p.name, p.id, p.free, p.total, p.memoryGiB, p.sms])).toEqual([
      ['1g.18gb', 19, 7, 7, 16, 16],
      ['1g.18gb+me', 20, 1, 1, 16, 16],
      ['1g.35gb', 15, 4, 4, 32.5, 26],
      ['2g.35gb', 14, 3, 3, 32.5, 32],
      ['3g.71gb', 9, 2, 2, 69.75, 60],
      ['4g.71gb', 5, 1, 1, 69.75, 64],
      ['7g.141gb', 0, 1, 1, 140, 132],
    ]);
    const whole = profiles[6]!;
    expect([whole.gpu, whole.p2p, whole.dec, whole.enc, whole.ce, whole.jpeg, whole.ofa]).toEqual([0, false, 7, 0, 8, 7, 1]);
    expect([profiles[1]!.ce, profiles[1]!.jpeg, profiles[1]!.ofa]).toEqual([1, 1, 1]);
  });

  it('-lgip on an H100 80GB, in the narrower table of older drivers', () => {
    const profiles = parseGiProfiles(read('h100-80gb/lgip.txt'));
    expect(profiles.map((p) => p.name)).toEqual(['1g.10gb', '1g.10gb+me', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']);
    expect(profiles.find((p) => p.name === '3g.40gb')).toMatchObject({ id: 9, total: 2, memoryGiB: 39.5, sms: 60, ce: 3 });
  });

  it('-lgip rows with -me, +gfx and +me.all profile names (RTX PRO 6000)', () => {
    const profiles = parseGiProfiles(read('public/lgip-rtx-pro-6000-rows-excerpt.txt'));
    expect(profiles.map((p) => [p.gpu, p.name, p.id, p.total])).toEqual([
      [1, '1g.24gb-me', 67, 4],
      [1, '2g.48gb', 5, 2],
      [1, '2g.48gb+gfx', 35, 2],
      [1, '2g.48gb+me.all', 64, 1],
      [1, '2g.48gb-me', 66, 2],
    ]);
    expect(profiles[3]).toMatchObject({ dec: 4, enc: 4, ce: 2, jpeg: 4, ofa: 1 });
  });

  it('-lgipp: start slots and sizes, including the singular "Placement :" lines', () => {
    const h200 = parsePlacements(read('h200-580/lgipp.txt'));
    expect(h200).toEqual([
      { gpu: 0, profileId: 19, starts: [0, 1, 2, 3, 4, 5, 6], size: 1 },
      { gpu: 0, profileId: 20, starts: [0, 1, 2, 3, 4, 5, 6], size: 1 },
      { gpu: 0, profileId: 15, starts: [0, 2, 4, 6], size: 2 },
      { gpu: 0, profileId: 14, starts: [0, 2, 4], size: 2 },
      { gpu: 0, profileId: 9, starts: [0, 4], size: 4 },
      { gpu: 0, profileId: 5, starts: [0], size: 4 },
      { gpu: 0, profileId: 0, starts: [0], size: 8 },
    ]);
    // The H100 and A100 (MIG guide) recordings list the same placements as the H200.
    expect(parsePlacements(read('h100-80gb/lgipp.txt'))).toEqual(h200);
    expect(parsePlacements(read('a100-40gb-guide/lgipp.txt'))).toEqual(h200);
  });

  it('-lgi: instances with profile, instance ID and placement, in three table widths', () => {
    expect(parseGpuInstances(read('a100-40gb-guide/lgi.txt'))).toEqual([
      { gpu: 0, profile: '3g.20gb', profileId: 9, instanceId: 1, start: 4, size: 4 },
      { gpu: 0, profile: '3g.20gb', profileId: 9, instanceId: 2, start: 0, size: 4 },
    ]);
    const h100 = parseGpuInstances(read('h100-80gb/lgi-7x1g.txt'));
    expect(h100.map((i) => [i.instanceId, i.start, i.size])).toEqual([
      [7, 0, 1],
      [8, 1, 1],
      [9, 2, 1],
      [10, 3, 1],
      [11, 4, 1],
      [12, 5, 1],
      [13, 6, 1],
    ]);
    const frag = parseGpuInstances(read('public/lgi-fragmented.txt'));
    expect(frag.map((i) => [i.gpu, i.profile, i.start])).toEqual([
      [3, '1g.10gb', 0],
      [3, '1g.10gb', 1],
      [3, '1g.10gb', 5],
    ]);
    const two = parseGpuInstances(read('public/lgi-2gpus-excerpt.txt'));
    expect(two.filter((i) => i.gpu === 1).map((i) => `${i.profile}@${i.start}:${i.size}`)).toEqual([
      '1g.10gb@2:1',
      '1g.10gb@3:1',
      '2g.20gb@0:2',
      '3g.40gb@4:4',
    ]);
  });

  it('-lgi with MIG disabled prints a sentence, not a table: no instances', () => {
    expect(read('h200-580/lgi.txt').trim()).toBe('No MIG-enabled devices found.');
    expect(parseGpuInstances(read('h200-580/lgi.txt'))).toEqual([]);
  });

  it('--query-gpu: index, name, UUID, current and pending MIG mode; [N/A] is a GPU without MIG', () => {
    expect(parseMigModes(read('h200-580/query.csv'))).toEqual([
      { index: 0, name: 'NVIDIA H200', uuid: 'GPU-286895ec-7af6-a9c9-3fd8-63a4fd804f74', current: 'disabled', pending: 'disabled' },
    ]);
    expect(parseMigModes(read('composed/h200-pending/query.csv'))[0]).toMatchObject({ current: 'disabled', pending: 'enabled' });
    expect(parseMigModes(read('composed/no-mig/query.csv'))[0]).toMatchObject({
      name: 'NVIDIA GeForce RTX 4090',
      current: 'unsupported',
      pending: 'unsupported',
    });
    expect(parseMigModes('garbage\n\n0, too, few\n')).toEqual([]);
  });
});

describe('running nvidia-smi', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  function scriptDir(body: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'gsm-smi-'));
    made.push(dir);
    writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, 'nvidia-smi'), 0o755);
    return dir;
  }

  it('finds it on PATH first, and ignores a file that is not executable', () => {
    const dir = scriptDir('exit 0');
    expect(findNvidiaSmi({ PATH: `/nonexistent:${dir}` })).toBe(join(dir, 'nvidia-smi'));
    chmodSync(join(dir, 'nvidia-smi'), 0o644);
    const fallback = NVIDIA_SMI_DIRS.map((d) => join(d, 'nvidia-smi')).find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    expect(findNvidiaSmi({ PATH: dir })).toBe(fallback);
  });

  it('returns stdout, stderr and the exit code', async () => {
    const dir = scriptDir('echo "out $1"; echo "err" >&2; exit 6');
    const out = await nvidiaSmi({ env: { PATH: dir } })(['-L']);
    expect(out).toMatchObject({ path: join(dir, 'nvidia-smi'), args: ['-L'], code: 6, stdout: 'out -L\n', stderr: 'err\n' });
    expect(out.failure).toBeUndefined();
  });

  it('stops one that does not finish in time and says so', async () => {
    const dir = scriptDir(`exec "${process.execPath}" -e "setTimeout(() => {}, 10000)"`);
    const out = await nvidiaSmi({ env: { PATH: dir }, timeoutMs: 300 })(['-q']);
    // No exit code: it was killed (left alone, it would have exited with 0 after 10 s).
    expect(out.code).toBeNull();
    expect(out.failure).toMatch(/did not finish within 0.3 s/);
  });
});

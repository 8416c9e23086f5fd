// planLayout and the profile tables: which layouts fit, where each instance goes, the exact
// nvidia-smi commands, and a one-line reason for each layout that does not fit.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGpuInstances } from '../src/mig/nvidia-smi.js';
import { planLayout, type PlanOutcome } from '../src/mig/plan.js';
import { recordedTableForGpu, recordedTableForModel, tableFromSmiText, type MigProfileTable } from '../src/mig/profiles.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`./fixtures/nvidia-smi/${path}`, import.meta.url)), 'utf8');

/** The H200's profiles as the GPU reports them (recorded, driver 580). */
const h200Live = tableFromSmiText(0, 'NVIDIA H200', read('h200-580/lgip.txt'), read('h200-580/lgipp.txt'))!;
const h200Recorded = recordedTableForModel('H200-141GB')!;

function plan(
  table: MigProfileTable,
  list: string,
  migEnabled?: boolean,
  existing = [] as Array<{ profile: string; start: number; size: number }>,
): PlanOutcome {
  return planLayout(table, list.split(','), { gpu: 0, migEnabled, existing });
}

function commands(outcome: PlanOutcome): string[] {
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.plan.commands.map((c) => c.join(' '));
}

function error(outcome: PlanOutcome): string {
  if (outcome.ok) throw new Error(`expected a rejection, got ${commands(outcome).join('; ')}`);
  return outcome.error;
}

describe('MIG profile tables', () => {
  it('the H200 table read from the GPU matches the recorded one in everything the planner uses', () => {
    const shape = (t: MigProfileTable) => t.profiles.map((p) => [p.name, p.id, p.computeSlices, p.memorySlices, p.maxInstances, p.starts]);
    expect(h200Live.model).toBe('NVIDIA H200');
    expect([h200Live.computeSlices, h200Live.memorySlices]).toEqual([7, 8]);
    expect(shape(h200Live)).toEqual(shape(h200Recorded));
    expect(h200Live.profiles.map((p) => [p.memoryGiB, p.sms])).toEqual(h200Recorded.profiles.map((p) => [p.memoryGiB, p.sms]));
  });

  it('the H100 80GB table read from a recording matches the recorded one', () => {
    const live = tableFromSmiText(0, 'NVIDIA H100 80GB HBM3', read('h100-80gb/lgip.txt'), read('h100-80gb/lgipp.txt'))!;
    const shape = (t: MigProfileTable) => t.profiles.map((p) => [p.name, p.id, p.computeSlices, p.memorySlices, p.maxInstances, p.starts, p.memoryGiB, p.sms]);
    expect(shape(live)).toEqual(shape(recordedTableForModel('h100-80gb')!));
  });

  it('a GPU name picks its recorded table; other GPUs have none', () => {
    const model = (name: string) => recordedTableForGpu(name)?.model;
    expect(model('NVIDIA H200')).toBe('H200 141GB');
    expect(model('NVIDIA H200 NVL')).toBe('H200 141GB');
    expect(model('NVIDIA H200 MIG 3g.71gb')).toBe('H200 141GB');
    expect(model('NVIDIA GH200 144G HBM3e')).toBeUndefined();
    expect(model('NVIDIA H100 80GB HBM3')).toBe('H100 80GB');
    expect(model('NVIDIA H100 PCIe')).toBe('H100 80GB');
    expect(model('NVIDIA H100 NVL')).toBe('H100 94GB');
    expect(model('NVIDIA A100-SXM4-80GB')).toBe('A100 80GB');
    expect(model('NVIDIA A100 80GB PCIe')).toBe('A100 80GB');
    expect(model('A100-SXM4-40GB')).toBe('A100 40GB');
    expect(model('NVIDIA GeForce RTX 4090')).toBeUndefined();
  });

  it('no table from a listing that has no profiles', () => {
    expect(tableFromSmiText(0, 'NVIDIA GeForce RTX 4090', 'No MIG-enabled devices found.\n', '')).toBeUndefined();
  });
});

describe('planLayout on the H200', () => {
  for (const [name, table] of [
    ['read from the GPU', h200Live],
    ['recorded', h200Recorded],
  ] as const) {
    it(`accepts layouts that fit, with each instance's placement (${name} profiles)`, () => {
      expect(commands(plan(table, '3g.71gb,3g.71gb'))).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 9:0,9:4 -C']);
      expect(commands(plan(table, '4g.71gb,3g.71gb'))).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 5:0,9:4 -C']);
      // Asked smallest first: placed largest first, so that the 4g gets the only slot it can have.
      expect(commands(plan(table, '3g.71gb,4g.71gb'))).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 5:0,9:4 -C']);
      expect(commands(plan(table, '2g.35gb,2g.35gb,2g.35gb,1g.18gb'))).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 14:0,14:2,14:4,19:6 -C']);
      expect(commands(plan(table, '7g.141gb'))).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 0:0 -C']);
      expect(commands(plan(table, '1g.18gb,1g.18gb,1g.18gb,1g.18gb,1g.18gb,1g.18gb,1g.18gb'))).toEqual([
        'nvidia-smi -i 0 -mig 1',
        'nvidia-smi mig -i 0 -cgi 19:0,19:1,19:2,19:3,19:4,19:5,19:6 -C',
      ]);
    });
  }

  it('finds the arrangement that needs the 3g in the upper half (3g + 2g + 1g + 1g)', () => {
    // 3g.71gb at slice 0 leaves 4, 5 and 6 for the rest (slice 7 takes no 1g): only 3g at 4 works.
    const outcome = plan(h200Live, '3g.71gb,2g.35gb,1g.18gb,1g.18gb');
    expect(commands(outcome)).toEqual(['nvidia-smi -i 0 -mig 1', 'nvidia-smi mig -i 0 -cgi 9:4,14:0,19:2,19:3 -C']);
    if (outcome.ok) expect([outcome.plan.computeUsed, outcome.plan.memoryUsed]).toEqual([7, 8]);
  });

  it('with MIG already enabled, only creates the instances', () => {
    expect(commands(plan(h200Live, '3g.71gb,3g.71gb', true))).toEqual(['nvidia-smi mig -i 0 -cgi 9:0,9:4 -C']);
    expect(planLayout(h200Live, ['3g.71gb'], { gpu: 3, migEnabled: true })).toMatchObject({
      ok: true,
      plan: { commands: [['nvidia-smi', 'mig', '-i', '3', '-cgi', '9:0', '-C']] },
    });
  });

  it('accepts names as nvidia-smi prints them and in any case', () => {
    expect(commands(plan(h200Live, 'MIG 3g.71gb, 3G.71GB', true))).toEqual(['nvidia-smi mig -i 0 -cgi 9:0,9:4 -C']);
  });

  it('rejects a layout with more compute slices than the GPU has, naming the slices used', () => {
    expect(error(plan(h200Live, '7g.141gb,1g.18gb'))).toBe(
      '7g.141gb,1g.18gb does not fit on NVIDIA H200: needs 8 compute slices, the GPU has 7 (7g.141gb 7 + 1g.18gb 1)',
    );
  });

  it('rejects a layout with more memory slices than the GPU has', () => {
    expect(error(plan(h200Live, '3g.71gb,3g.71gb,1g.18gb'))).toBe(
      '3g.71gb,3g.71gb,1g.18gb does not fit on NVIDIA H200: needs 9 memory slices, the GPU has 8 (3g.71gb 4 + 3g.71gb 4 + 1g.18gb 1)',
    );
  });

  it('rejects a profile asked more often than the GPU allows', () => {
    expect(error(plan(h200Live, '3g.71gb,3g.71gb,3g.71gb'))).toBe(
      '3g.71gb,3g.71gb,3g.71gb does not fit on NVIDIA H200: 3 × 3g.71gb asked, at most 2 3g.71gb per GPU',
    );
    expect(error(plan(h200Live, '1g.18gb+me,1g.18gb+me'))).toMatch(/at most 1 1g\.18gb\+me per GPU/);
  });

  it('rejects an unknown profile, listing the valid ones', () => {
    expect(error(plan(h200Live, '3g.71gb,3g.40gb'))).toBe(
      'unknown MIG profile "3g.40gb" for NVIDIA H200: expected one of 1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb',
    );
    expect(error(plan(h200Live, '3g.71gb,'))).toMatch(/^unknown MIG profile "" for NVIDIA H200/);
    expect(error(planLayout(h200Live, [], { gpu: 0 }))).toMatch(/^no MIG profiles given: expected a comma-separated list such as 3g\.71gb/);
  });

  it('rejects every error in one line', () => {
    for (const list of ['7g.141gb,1g.18gb', '3g.71gb,3g.71gb,1g.18gb', 'x', '3g.71gb,3g.71gb,3g.71gb']) expect(error(plan(h200Live, list))).not.toContain('\n');
  });
});

describe('planLayout around existing GPU instances', () => {
  const h100 = recordedTableForModel('H100-80GB')!;
  const fragmented = parseGpuInstances(read('public/lgi-fragmented.txt')).map((i) => ({ profile: i.profile, start: i.start, size: i.size }));

  it('rejects a 3g.40gb where 1g instances on slices 0, 1 and 5 block both of its start slots', () => {
    // Enough slices are free (3 compute of 7, 3 memory of 8 in use) but not in the right place.
    expect(error(plan(h100, '3g.40gb', true, fragmented))).toBe(
      '3g.40gb cannot be placed on H100 80GB: 3g.40gb starts at slice 0 or 4 and takes 4 memory slices, and existing GPU instances hold slices 0, 1 and 5',
    );
  });

  it('places new instances in the gaps and counts the existing ones', () => {
    const outcome = plan(h100, '2g.20gb,1g.10gb,1g.20gb', true, fragmented);
    expect(commands(outcome)).toEqual(['nvidia-smi mig -i 0 -cgi 14:2,15:6,19:4 -C']);
    if (outcome.ok) expect([outcome.plan.computeUsed, outcome.plan.memoryUsed]).toEqual([7, 8]);
    expect(error(plan(h100, '2g.20gb,2g.20gb', true, fragmented))).toMatch(
      /^2g\.20gb,2g\.20gb cannot be placed together on H100 80GB: no arrangement keeps them apart \(2g\.20gb starts at slice 0, 2 or 4 and takes 2 memory slices\); existing GPU instances hold slices 0, 1 and 5$/,
    );
    expect(error(plan(h100, '1g.10gb,1g.10gb,1g.10gb,1g.10gb,1g.10gb', true, fragmented))).toMatch(/5 × 1g\.10gb asked \(3 already exist\), at most 7/);
  });

  it("the MIG guide's 3-2-1-1 layout on an A100 40GB", () => {
    const a100 = recordedTableForModel('A100-40GB')!;
    expect(commands(plan(a100, '3g.20gb,2g.10gb,1g.5gb,1g.5gb', true))).toEqual(['nvidia-smi mig -i 0 -cgi 9:4,14:0,19:2,19:3 -C']);
    // The driver chose other slots for the same layout in the guide (-lgi): 1g at 0 and 1, 2g at 2,
    // 3g at 4. Those are allowed starts too, and with them in place nothing more fits.
    const guide = parseGpuInstances(read('a100-40gb-guide/lgi-3211.txt'));
    for (const i of guide) expect(a100.profiles.find((p) => p.id === i.profileId)!.starts).toContain(i.start);
    const existing = guide.map((i) => ({ profile: i.profile, start: i.start, size: i.size }));
    expect(error(plan(a100, '1g.5gb', true, existing))).toBe(
      '1g.5gb does not fit on A100 40GB: needs 8 compute slices, the GPU has 7 (1g.5gb 1 + existing instances 7)',
    );
  });
});

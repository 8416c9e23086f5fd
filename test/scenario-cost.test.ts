import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { type CostSpec, costSheet, formatCosts, money, parseGpuCost } from '../src/scenario/cost.js';
import { scenarioRun } from './fixtures/scenario-runs.js';

const specs: CostSpec[] = [
  { role: 'train', count: 1, loop: 'saturate' },
  { role: 'infer', count: 1, loop: 'open', arrival: { kind: 'poisson', ratePerSec: 2000 } },
];

describe('parseGpuCost', () => {
  it('takes a positive price per GPU-hour', () => {
    expect(parseGpuCost('2.5')).toBe(2.5);
    expect(parseGpuCost(' 36 ')).toBe(36);
    expect(parseGpuCost(4)).toBe(4);
  });

  it('rejects anything else in one line naming --gpu-cost', () => {
    for (const bad of ['0', '-1', 'abc', '', '1e3', '$2', 'Infinity', '2000000', undefined, null]) {
      expect(() => parseGpuCost(bad)).toThrow(OptionError);
      try {
        parseGpuCost(bad);
      } catch (e) {
        expect((e as Error).message).toMatch(/^invalid --gpu-cost: expected a price per GPU-hour above 0 and at most 1,000,000, e\.g\. 2\.5, got [^\n]*$/);
      }
    }
  });
});

describe('costSheet', () => {
  it('splits the hourly cost evenly between the roles and compares with one GPU per client at its solo rate', () => {
    // 36 per GPU-hour is 0.01 per GPU-second.
    // train: 900 launch/s shared at 0.90× alone, so 1,000 launch/s alone.
    //   shared: its half of the GPU, 0.005/s, over 900 launch/s → 0.005 / 900 × 1,000 = 0.005556 per 1,000 launches.
    //   dedicated: 0.01/s over 1,000 launch/s → 0.01 per 1,000 launches. Shared costs 0.556× dedicated.
    // infer: 2,000 requests/s, 1.00× alone.
    //   shared: 0.005 / 2,000 × 1,000 = 0.0025 per 1,000 requests; dedicated: 0.01 / 2,000 × 1,000 = 0.005. 0.50×.
    // Per hour: 36 for one shared GPU, 72 for two dedicated ones.
    const runs = [scenarioRun({ mode: 'mps', roles: { train: { throughput: 900, vsSolo: 0.9 }, infer: { throughput: 2000, vsSolo: 1 } } })];
    const sheet = costSheet(specs, runs, 36);
    expect(sheet.dedicatedGpus).toBe(2);
    const [train, infer] = sheet.candidates[0]!.roles;
    expect(train!.unit).toBe('launches');
    expect(train!.shared).toBeCloseTo(0.005 / 0.9, 12);
    expect(train!.dedicated).toBeCloseTo(0.01, 12);
    expect(infer!.unit).toBe('requests');
    expect(infer!.shared).toBeCloseTo(0.0025, 12);
    expect(infer!.dedicated).toBeCloseTo(0.005, 12);
    expect(formatCosts(sheet)).toEqual([
      "Costs at 36.0 per GPU-hour: shared, the GPU's cost split evenly between the 2 roles on it; dedicated, one GPU per client at its solo rate",
      '  mps',
      '    train  per 1,000 launches: 0.00556 shared, 0.0100 dedicated (0.56×)',
      '    infer  per 1,000 requests: 0.00250 shared, 0.00500 dedicated (0.50×)',
      '  per hour: 36.0 shared (1 GPU), 72.0 dedicated (2 GPUs)',
    ]);
  });

  it('takes a role of several clients as several GPUs at one client solo rate, and medians over repeats', () => {
    // 3 train clients do 1,200 launch/s together at 0.40× alone: one alone does 1,200 / (0.4 × 3) = 1,000 launch/s.
    // With 7.2 per GPU-hour (0.002/s): dedicated 0.002 / 1,000 × 1,000 = 0.002 per 1,000 launches.
    // Shared: half the GPU, 0.001/s, over 1,200 launch/s → 0.000833 per 1,000. The repeats' medians: 1,200 and 0.40.
    const three: CostSpec[] = [{ ...specs[0]!, count: 3 }, specs[1]!];
    const runs = [1100, 1200, 1300].map((t, i) =>
      scenarioRun({ mode: 'streams', roles: { train: { throughput: t, vsSolo: [0.39, 0.4, 0.41][i] }, infer: { throughput: 2000, vsSolo: 1 } } }),
    );
    const sheet = costSheet(three, runs, 7.2);
    expect(sheet.dedicatedGpus).toBe(4);
    const train = sheet.candidates[0]!.roles[0]!;
    expect(train.shared).toBeCloseTo(0.001 / 1.2, 12);
    // Medians of each run's solo rate: 1100/(0.39·3) = 940.2, 1200/1.2 = 1000, 1300/1.23 = 1056.9 → 1000.
    expect(train.dedicated).toBeCloseTo(0.002, 12);
    expect(formatCosts(sheet).at(-1)).toBe('  per hour: 7.20 shared (1 GPU), 28.8 dedicated (4 GPUs)');
  });

  it('counts a bursty role in launches and says when a role did no work or has no solo rate', () => {
    const bursty: CostSpec[] = [{ role: 'notebook', count: 1, loop: 'open', arrival: { kind: 'bursty', onNs: 2e9, offNs: 8e9 } }, specs[1]!];
    const runs = [scenarioRun({ mode: 'timeslice', roles: { notebook: { throughput: 0 }, infer: { throughput: 500 } } })];
    const sheet = costSheet(bursty, runs, 2.5);
    expect(sheet.candidates[0]!.roles.map((r) => r.unit)).toEqual(['launches', 'requests']);
    const lines = formatCosts(sheet);
    expect(lines[2]).toBe('    notebook  per 1,000 launches: no work done shared, no solo rate for dedicated');
    // 2.5 per hour, half of it over 500 requests/s: 1.25 / 3600 / 500 × 1,000 = 0.000694.
    expect(lines[3]).toBe('    infer     per 1,000 requests: 0.000694 shared, no solo rate for dedicated');
  });

  it('prints prices with three significant digits and no exponent', () => {
    expect(money(0.0055555)).toBe('0.00556');
    expect(money(6.94e-6)).toBe('0.00000694');
    expect(money(1234.5)).toBe('1,230');
    expect(money(2.5)).toBe('2.50');
  });
});

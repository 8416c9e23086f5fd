import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { advise, parseObjective, parseSloFlag, parseSloFlags } from '../src/scenario/advise.js';
import { scenarioSummarySchema } from '../src/scenario/result-schema.js';
import { sloFromSummaries } from '../src/scenario/slo-summary.js';
import { P99_5MS, role, scenarioRole, scenarioRun, scenarioSummary } from './fixtures/scenario-runs.js';

const roles = [
  scenarioRole('train'),
  scenarioRole('infer', { kernel: 'attention', loop: 'open', arrival: { kind: 'poisson', ratePerSec: 2000 }, depth: 64, slo: [P99_5MS] }),
];

/** train+infer under a mode: train's ratio and throughput; infer's p95 and p99 in ms (p50 1 ms, p99.9 p99 + 1 ms, max p99 + 3 ms). */
function run(mode: string, train: number, p95: number, p99: number, extra: { aggregate?: number; fairness?: number } = {}) {
  return scenarioRun({
    mode,
    ...extra,
    roles: {
      train: { throughput: 1000 * train, vsSolo: train, p50: 30, p95: 35, p99: 40, p999: 41, max: 45 },
      infer: {
        throughput: 2000,
        vsSolo: 1,
        p50: 1,
        p95,
        p99,
        p999: p99 + 1,
        max: p99 + 3,
        notStarted: 0,
        slo: [{ slo: P99_5MS, ms: p99, attainment: p99 <= 5 ? 0.995 : 0.97 }],
      },
    },
  });
}

const runs = [
  run('timeslice', 0.95, 4, 7.2, { aggregate: 1.95, fairness: 0.99 }),
  run('mps', 0.91, 2.5, 3.1, { aggregate: 1.91, fairness: 0.99 }),
  run('streams', 0.85, 2.8, 4, { aggregate: 1.85, fairness: 0.98 }),
  { mode: 'mig', status: 'skipped' as const, reason: 'MIG is disabled on this GPU' },
];
const summary = scenarioSummary(roles, runs);

describe('advise', () => {
  it('reads a valid scenario summary', () => {
    expect(scenarioSummarySchema.parse(summary)).toEqual(summary);
  });

  it('picks the mode meeting the SLO with the most training throughput, with the evidence', () => {
    const { pick, lines } = advise({ summary, objective: 'slo' });
    expect(pick).toMatchObject({ objective: 'slo', mode: 'mps' });
    expect(lines.slice(0, 5)).toEqual([
      'Scenario train+infer: 4 runs',
      'Objective: meet every SLO (infer p99<=5ms) and keep the most throughput of the other roles',
      'Pick: mps',
      `Why: ${pick.text}`,
      'Noise: unknown, as a candidate ran once (measure with --runs N or repeat with --repeat N to know it)',
    ]);
    expect(pick.text).toContain('mps, 0.91× train, infer p99 3.10 ms ≤ 5.00 ms');
    const text = lines.join('\n');
    expect(text).toContain('Candidates (medians over their runs):');
    expect(lines.find((l) => l.includes(' timeslice '))).toMatch(/0\.95×.*7\.20 ms.*1\.95×.*99\.0%.*SLO missed \(infer p99\)/);
    expect(text).toContain('Not candidates: mig (skipped: MIG is disabled on this GPU)');
    expect(text).toContain('Other objectives:');
    expect(lines.filter((l) => /^ {2}(throughput|fairness) /.test(l))).toHaveLength(2);
    expect(text).not.toContain('Costs at');
  });

  it('answers the other objectives', () => {
    expect(advise({ summary, objective: 'throughput' }).pick.mode).toBe('timeslice');
    const fairness = advise({ summary, objective: 'fairness' });
    // timeslice and mps tie at 0.99: the first in run order.
    expect(fairness.pick.mode).toBe('timeslice');
    expect(fairness.pick.text).toContain('tied with mps');
    expect(fairness.lines[1]).toBe("Objective: the fairest shares (Jain's index of each client's share of its role alone)");
  });

  it('checks an --slo against the role summaries: a tighter p99 that nobody meets', () => {
    const tight = { percentile: 'p99' as const, maxNs: 3e6 };
    const { pick, lines } = advise({ summary, objective: 'slo', slos: { infer: [tight] } });
    expect(pick.mode).toBeUndefined();
    // mps is the closest: its p99 3.1 ms just misses; 3 ms lies 5/6 of the way from p95 (2.5 ms) to p99 (3.1 ms):
    // attainment 0.95 + 0.04 × 5/6 = 0.9833. streams: 0.95 + 0.04 × (0.2/1.2) = 0.9567; timeslice: 3 ms below p95 4 ms.
    expect(pick.text).toContain('no run meets every SLO; closest: mps, 98.3% of requests within their bounds, infer p99 3.10 ms > 3.00 ms');
    expect(lines[1]).toBe('Objective: meet every SLO (infer p99<=3ms) and keep the most throughput of the other roles');
    expect(lines[2]).toBe('Pick: none');
    expect(lines[4]).toBe('Noise: no pick to compare with');
  });

  it('checks an --slo on another percentile, and one for a role that had none', () => {
    const p95 = advise({ summary, objective: 'slo', slos: { infer: [{ percentile: 'p95', maxNs: 4e6 }] } });
    // Every mode's infer p95 is within 4 ms: the most train throughput wins.
    expect(p95.pick.mode).toBe('timeslice');
    expect(p95.pick.text).toContain('infer p95 4.00 ms ≤ 4.00 ms');
    // The train p99 is 40 ms under every mode; infer keeps its own SLO: the same pick as without --slo.
    const train = advise({ summary, objective: 'slo', slos: { train: [{ percentile: 'p99', maxNs: 50e6 }] } });
    expect(train.pick.mode).toBe('mps');
    expect(train.pick.text).toContain("keeps the most throughput (geometric mean of every role's vs-alone ratio)");
    expect(train.pick.text).toContain('train p99 40.0 ms ≤ 50.0 ms, infer p99 3.10 ms ≤ 5.00 ms');
  });

  it('names knob values, the candidates within the noise and the costs', () => {
    const knobbed = [25, 50].flatMap((threads, k) =>
      [0, 1, 2].map((i) => ({ ...run('mps', [0.9, 0.89][k]! + i * 0.01, 2.5, 3.1), knobs: { 'infer.mps-threads': threads }, repeat: i })),
    );
    const { pick, lines } = advise({ summary: scenarioSummary(roles, knobbed), objective: 'slo', gpuCost: 3.6 });
    expect(pick).toMatchObject({ mode: 'mps', knobs: { 'infer.mps-threads': 25 }, withinNoise: ['mps (infer.mps-threads=50)'] });
    expect(lines[2]).toBe('Pick: mps with infer.mps-threads=25');
    expect(lines[4]).toBe('Noise: within the noise of the pick, as good by these runs: mps (infer.mps-threads=50) (more repeats may tell them apart)');
    const costs = lines.slice(lines.findIndex((l) => l.startsWith('Costs at')));
    // 3.6 per hour, half per role: 0.0005 per second. train at 910 launch/s: 0.0005 / 910 × 1,000 = 0.000549 per 1,000;
    // dedicated at its solo 1,000 launch/s: 0.001 per 1,000. infer: 0.00025 shared, 0.0005 dedicated.
    expect(costs[0]).toContain('Costs at 3.60 per GPU-hour');
    expect(costs[1]).toBe('  mps (infer.mps-threads=25)');
    expect(costs[2]).toBe('    train  per 1,000 launches: 0.000549 shared, 0.00100 dedicated (0.55×)');
    expect(costs[3]).toBe('    infer  per 1,000 requests: 0.000250 shared, 0.000500 dedicated (0.50×)');
    expect(lines).toContain('  per hour: 3.60 shared (1 GPU), 7.20 dedicated (2 GPUs)');
  });

  it('rejects an --slo for a role the summary does not have', () => {
    expect(() => advise({ summary, objective: 'slo', slos: { notebook: [P99_5MS] } })).toThrow(
      /invalid --slo: expected a role of the scenario \(train, infer\)/,
    );
  });
});

describe('parseSloFlag and parseObjective', () => {
  const names = ['train', 'infer'];

  it('parses ROLE:OBJECTIVES', () => {
    expect(parseSloFlag('infer:p99<=5ms', names)).toEqual({ role: 'infer', slos: [P99_5MS] });
    expect(parseSloFlag('infer: p50<=1ms&p99.9<=10ms', names).slos).toEqual([
      { percentile: 'p50', maxNs: 1e6 },
      { percentile: 'p99.9', maxNs: 10e6 },
    ]);
    expect(parseSloFlags(['infer:p99<=5ms', 'train:max<=1s'], names)).toEqual({ infer: [P99_5MS], train: [{ percentile: 'max', maxNs: 1e9 }] });
  });

  it('rejects in one line: no role, an unknown role, a percentile the results lack, a bad objective, a role twice', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => parseSloFlag('p99<=5ms', names), 'expected ROLE:OBJECTIVES such as infer:p99<=5ms'],
      [() => parseSloFlag(5, names), 'expected ROLE:OBJECTIVES'],
      [() => parseSloFlag('notebook:p99<=5ms', names), 'expected a role of the scenario (train, infer) before the colon'],
      [() => parseSloFlag('infer:p90<=5ms', names), 'expected a percentile the results hold (p50, p95, p99, p99.9, max), not p90'],
      [() => parseSloFlag('infer:p99<5', names), 'latency objectives such as p99<=5ms'],
      [() => parseSloFlags(['infer:p99<=5ms', 'infer:p50<=1ms'], names), 'one --slo per role (infer twice: join objectives with &)'],
      [() => parseObjective('latency'), 'invalid --objective: expected slo'],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(OptionError);
      expect(call).toThrow(message);
    }
    expect(parseObjective(' fairness ')).toBe('fairness');
  });
});

describe('sloFromSummaries', () => {
  const slo = { percentile: 'p99' as const, maxNs: 3.5e6 };

  it('reads the percentile and interpolates the attainment', () => {
    const r = role('infer', { p50: 1, p95: 2, p99: 3, p999: 4, max: 5 });
    expect(sloFromSummaries(slo, r)).toEqual({ ...slo, measuredNs: 3e6, met: true, attainment: expect.closeTo(0.9945, 12), requests: 0 });
    expect(sloFromSummaries({ percentile: 'max', maxNs: 10e6 }, r)).toMatchObject({ measuredNs: 5e6, met: true, attainment: 1 });
    // Below p50: from 0 at 0 ns, 0.5 at 1 ms.
    expect(sloFromSummaries({ percentile: 'p50', maxNs: 0.5e6 }, r)).toMatchObject({ met: false, attainment: 0.25 });
    expect(sloFromSummaries({ percentile: 'p90', maxNs: 1e6 }, r)).toBeUndefined();
    expect(sloFromSummaries(slo, role('infer', {}))).toBeUndefined();
  });

  it('counts requests that never started as misses, weighed by the request count when the role has one', () => {
    // 50 of 10,000 requests never started (0.5%): the p99 of all is the 0.99 / 0.995 = 0.99497 quantile of the
    // started ones, between p99 (3 ms) and p99.9 (4 ms): 3 + (0.00497 / 0.009) × 1 = 3.553 ms, above 3.5 ms.
    const counted = role('infer', {
      p50: 1,
      p95: 2,
      p99: 3,
      p999: 4,
      max: 5,
      notStarted: 50,
      slo: [{ slo: P99_5MS, ms: 3, attainment: 0.99, requests: 10_000 }],
    });
    const o = sloFromSummaries(slo, counted)!;
    expect(o.measuredNs! / 1e6).toBeCloseTo(3 + (0.99 / 0.995 - 0.99) / 0.009, 9);
    expect(o).toMatchObject({ met: false, requests: 10_000 });
    expect(o.attainment).toBeCloseTo(0.9945 * 0.995, 12);
    expect(sloFromSummaries({ percentile: 'max', maxNs: 10e6 }, counted)).toMatchObject({ measuredNs: null, met: false });
    // Without the count, a role that left requests unstarted misses.
    const uncounted = role('infer', { p50: 1, p95: 2, p99: 3, p999: 4, max: 5, notStarted: 50 });
    expect(sloFromSummaries(slo, uncounted)).toMatchObject({ measuredNs: null, met: false, attainment: 0 });
  });
});

// Repeated runs from figures written by hand: how runs are made into one result (medians, the recorded
// run, SLOs, outliers and their warnings), how an interval prints, and the noise verdicts of a sweep,
// a scenario and `advise` when each mode was measured several times.
import { describe, expect, it } from 'vitest';
import type { SloOutcome } from '../src/clients/slo.js';
import { sloOutcomeText } from '../src/clients/slo.js';
import { mergeSources } from '../src/fleet/merge.js';
import { combineRuns, combineSlo, type MeasuredRun, medianRun, outlierWarnings } from '../src/metrics/repeats.js';
import { summary } from '../src/metrics/summary.js';
import { formatSummaryValue } from '../src/report/format.js';
import { formatMerged } from '../src/report/merged-table.js';
import type { ClientReport, PhaseResult, RoleReport } from '../src/report/schema.js';
import type { PointSummary, SweepSummary } from '../src/report/sweep-schema.js';
import { advise } from '../src/scenario/advise.js';
import { verdicts } from '../src/scenario/verdict.js';
import { markdownExporter, tableExporter } from '../src/sweep/exporters.js';
import { noiseLines, withNoiseVerdicts, workOf } from '../src/sweep/noise.js';
import { P99_5MS, scenarioRole, scenarioRun, scenarioSummary } from './fixtures/scenario-runs.js';

/** A run of two clients whose figures are the given ones (only what combineRuns reads is filled in). */
function measured(aggregate: number, slowdowns: [number, number], slo?: SloOutcome): MeasuredRun<ClientReport, RoleReport> {
  const client = (i: number) => ({
    client: i,
    role: 'gemm',
    status: 'ok' as const,
    launches: 100,
    elapsedNs: 1e9,
    summaries: [summary('throughput', 'throughput', 'rate', 100 / slowdowns[i]!, 'launch/s'), summary('slowdown', 'slowdown vs solo', 'ratio', slowdowns[i]!)],
    tracedLaunches: 0,
    gapsObserved: 0,
    samples: { enqueueNs: [], latencyNs: [], gpuNs: [] },
  });
  const phase = (label: 'baseline' | 'shared', clients: number[]) =>
    ({ label, procs: clients.length, complete: true, clients: clients.map(client), aggregate: [] }) as unknown as PhaseResult;
  return {
    baselines: new Map([['gemm', phase('baseline', [0])]]),
    shared: phase('shared', [0, 1]),
    comparison: [
      summary('aggregate.vsSolo', 'aggregate throughput vs solo', 'ratio', aggregate),
      summary('slowdown.max', 'worst client slowdown', 'ratio', Math.max(...slowdowns)),
    ],
    roles: [
      { role: 'gemm', clients: [0, 1], summaries: [summary('role.vsSolo', 'throughput vs alone', 'ratio', aggregate / 2)], ...(slo ? { slo: [slo] } : {}) },
    ],
    complete: true,
  };
}

describe('combineRuns', () => {
  const runs = [
    measured(1.0, [2.0, 2.1]),
    measured(1.02, [1.95, 2.05]),
    measured(1.4, [1.2, 1.3]), // the odd one
    measured(1.01, [2.0, 2.0]),
    measured(0.99, [2.02, 2.04]),
  ];

  it('reports the medians with their intervals and keeps the median run', () => {
    const c = combineRuns(runs, 5);
    expect(medianRun(runs)).toBe(c.recorded);
    // Aggregates sorted: 0.99, 1.0, 1.01, 1.02, 1.4: the median 1.01 is run 4's.
    expect(c.recorded).toBe(3);
    expect(c.comparison[0]).toEqual({
      tag: 'aggregate.vsSolo',
      name: 'aggregate throughput vs solo',
      hint: 'ratio',
      value: 1.01,
      ci: { low: 0.99, high: 1.4, level: 0.9375 },
    });
    // The recorded run's clients, their ratios replaced by the medians over the runs; other figures as measured.
    expect(c.clients[0]!.summaries.find((s) => s.tag === 'slowdown')).toMatchObject({ value: 2.0, ci: { low: 1.2, high: 2.02 } });
    expect(c.clients[0]!.summaries.find((s) => s.tag === 'throughput')).toEqual(runs[3]!.shared.clients[0]!.summaries[0]);
    expect(c.roles[0]!.summaries[0]).toMatchObject({ tag: 'role.vsSolo', value: 0.505, ci: { low: 0.495, high: 0.7 } });
    expect(c.repeats.perRun.map((r) => r.comparison[0]!.value)).toEqual([1.0, 1.02, 1.4, 1.01, 0.99]);
    expect(c.repeats.perRun[0]!.clients).toEqual([
      { client: 0, summaries: [summary('slowdown', 'slowdown vs solo', 'ratio', 2.0)] },
      { client: 1, summaries: [summary('slowdown', 'slowdown vs solo', 'ratio', 2.1)] },
    ]);
  });

  it('flags the run that stands out, in every figure it stands out in, and warns about it once', () => {
    const c = combineRuns(runs, 5);
    expect(c.repeats.outliers.map((o) => [o.figure, o.run])).toEqual([
      ['aggregate.vsSolo', 2],
      ['slowdown.max', 2],
      ['client 0 slowdown', 2],
      ['client 1 slowdown', 2],
      ['gemm role.vsSolo', 2],
    ]);
    const warnings = outlierWarnings(c.repeats);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.tag).toBe('runs.outlier');
    expect(warnings[0]!.message).toMatch(
      /^run 3 of 5 stands out \(modified z-score above 10, more than 1% from the median\): aggregate throughput vs solo 1\.40× \(median 1\.01×\), /,
    );
  });

  it('checks each SLO on the median over the runs, with the runs that met it and every request', () => {
    const o = (ms: number | null, met: boolean, attainment: number): SloOutcome => ({
      ...P99_5MS,
      measuredNs: ms === null ? null : ms * 1e6,
      met,
      attainment,
      requests: 1000,
    });
    const [slo] = combineSlo([o(4, true, 0.995)], [[o(4, true, 0.995)], [o(6, false, 0.98)], [o(4.5, true, 0.992)]]);
    expect(slo).toEqual({
      ...P99_5MS,
      measuredNs: 4.5e6,
      met: true,
      attainment: (995 + 980 + 992) / 3000,
      requests: 3000,
      ci: { low: 4e6, high: 6e6, level: 0.75 },
      runs: { met: 2, of: 3 },
    });
    expect(sloOutcomeText(slo!)).toBe('p99<=5ms: 4.50 ms [4.00 ms–6.00 ms], met (met in 2 of 3 runs; 98.9% of 3,000 requests within 5.00 ms)');
    // A run whose percentile is unbounded (requests never started) counts as the longest; the interval then has no upper bound.
    const [unbounded] = combineSlo([o(4, true, 0.995)], [[o(4, true, 0.995)], [o(null, false, 0.5)], [o(null, false, 0.5)]]);
    expect(unbounded).toMatchObject({ measuredNs: null, met: false, runs: { met: 1, of: 3 } });
    expect(unbounded!.ci).toBeUndefined();
  });
});

describe('an interval in print', () => {
  it('follows its value, by the hint, in every table', () => {
    const ci = (low: number, high: number) => ({ low, high, level: 0.9375 });
    expect(formatSummaryValue({ hint: 'ratio', value: 1.05, ci: ci(1.02, 1.08) })).toBe('1.05× [1.02–1.08]');
    expect(formatSummaryValue({ hint: 'fraction', value: 0.998, ci: ci(0.99, 1) })).toBe('99.8% [99.0–100.0%]');
    expect(formatSummaryValue({ hint: 'duration', value: 3.1e6, ci: ci(3e6, 3.3e6) })).toBe('3.10 ms [3.00 ms–3.30 ms]');
    expect(formatSummaryValue({ hint: 'rate', value: 1234, unit: 'launch/s', ci: ci(1200, 1260) })).toBe('1,234 launch/s [1,200–1,260]');
    expect(formatSummaryValue({ hint: 'count', value: 3, ci: ci(2, 4) })).toBe('3 [2–4]');
    expect(formatSummaryValue({ hint: 'ratio', value: 1.05 })).toBe('1.05×');
  });
});

/** A done sweep point of gemm 4096 saturate p4 under `mode` with aggregate vs solo `value` [low–high] over 5 runs. */
function point(mode: string, value: number, low: number, high: number, threads?: number): PointSummary {
  const t = threads !== undefined ? `-t${threads}` : '';
  return {
    id: `gemm-4096-saturate-${mode}${t}-p4`,
    kernel: 'gemm',
    size: 4096,
    procs: 4,
    mode,
    loop: 'saturate',
    options: threads !== undefined ? { mpsThreads: threads } : {},
    status: 'done',
    file: `points/gemm-4096-saturate-${mode}${t}-p4.json`,
    aggregateVsSolo: value,
    slowdownMedian: 4 / value,
    runs: 5,
    ci: { aggregateVsSolo: { low, high, level: 0.9375 }, slowdownMedian: { low: 4 / high, high: 4 / low, level: 0.9375 } },
  };
}

describe('the noise in a sweep', () => {
  const points = [point('timeslice', 0.92, 0.91, 0.93), point('mps', 1.09, 1.06, 1.12), point('streams', 1.08, 1.07, 1.1), point('mps', 1.03, 1.02, 1.04, 50)];

  it('names, per work, the modes within the noise of the best and those beyond it', () => {
    expect(workOf(points[3]!)).toBe('gemm-4096-saturate-p4');
    expect(noiseLines(points)).toEqual([
      'Within the noise (aggregate vs solo, median [confidence interval] over the runs; two are within the noise when their intervals overlap or their medians differ by less than 1%):',
      '  gemm-4096-saturate-p4: mps 1.09× [1.06–1.12] is the most; within its noise: streams 1.08× [1.07–1.10]; beyond it: mps 50% 1.03× [1.02–1.04], timeslice 0.92× [0.91–0.93]',
    ]);
    const judged = withNoiseVerdicts(points);
    expect(judged.map((p) => p.withinNoise)).toEqual([[], ['gemm-4096-saturate-streams-p4'], ['gemm-4096-saturate-mps-p4'], []]);
  });

  it('says nothing where a mode ran once, and prints the intervals in the table', () => {
    const once = points.map(({ ci: _ci, runs: _runs, ...p }) => p as PointSummary);
    expect(noiseLines(once)).toEqual([]);
    expect(withNoiseVerdicts(once).every((p) => p.withinNoise === undefined)).toBe(true);
    expect(tableExporter.render(once)).not.toContain('[');
    expect(tableExporter.render(points)).toContain('1.09× [1.06–1.12]');
    expect(markdownExporter.render(points)).toContain('| 1.09× [1.06–1.12] |');
  });

  it('carries each node’s intervals into the merged view', () => {
    const sweep = (host: string, list: PointSummary[]): SweepSummary => ({
      schema: 'gpushare-micro/sweep',
      version: 1,
      createdAt: '2026-12-01T00:00:00.000Z',
      points: list.map((p) => ({ ...p, device: 0, gpuName: 'NVIDIA H200', gpuUuid: `GPU-${host}` })),
    });
    const merged = mergeSources([
      { dir: '/results/a', summary: { ...sweep('a', points.slice(0, 2)), environment: { hostname: 'a' } as never } },
      { dir: '/results/b', summary: { ...sweep('b', points.slice(0, 2)), environment: { hostname: 'b' } as never } },
    ]);
    expect(merged.points[1]!.nodes[0]).toMatchObject({ runs: 5, ci: { aggregateVsSolo: { low: 1.06, high: 1.12 } } });
    const text = formatMerged(merged);
    expect(text).toContain('1.09× [1.06–1.12]');
    expect(text).toContain("A node's row with --runs: the median over its runs and [its confidence interval]");
  });
});

describe('the noise in a scenario and in advise, one step per mode measured several times', () => {
  const roles = [scenarioRole('train'), scenarioRole('infer', { slo: [P99_5MS] })];
  /** A run of one step with runs: 5, its aggregate with an interval. */
  const step = (mode: string, value: number, low: number, high: number) => {
    const run = scenarioRun({
      mode,
      roles: { train: { vsSolo: 0.9 }, infer: { vsSolo: 0.95, slo: [{ slo: P99_5MS, ms: 3, attainment: 0.999 }] } },
      aggregate: value,
    });
    run.runs = 5;
    run.comparison = run.comparison!.map((s) => (s.tag === 'aggregate.vsSolo' ? { ...s, ci: { low, high, level: 0.9375 } } : s));
    return run;
  };

  it('compares the intervals when each mode ran once with runs', () => {
    const overlapping = verdicts(roles, [step('mps', 1.09, 1.05, 1.12), step('streams', 1.07, 1.06, 1.1)]).find((v) => v.objective === 'throughput')!;
    expect(overlapping.mode).toBe('mps');
    expect(overlapping.withinNoise).toEqual(['streams']);
    expect(overlapping.text).toContain('mps, 1.09× [1.05–1.12] over 5 runs');
    expect(overlapping.text).toContain('within the noise of streams (their confidence intervals over the runs overlap, or their medians are within 1%)');
    const apart = verdicts(roles, [step('mps', 1.09, 1.08, 1.12), step('streams', 1.0, 0.98, 1.02)]).find((v) => v.objective === 'throughput')!;
    expect(apart.withinNoise).toEqual([]);
    expect(apart.text).toContain('ahead of the others beyond the noise (no interval overlaps, and every median is more than 1% behind)');
  });

  it('advise names the candidates within the noise and prints their intervals', () => {
    const summaryFile = scenarioSummary(roles, [step('mps', 1.09, 1.05, 1.12), step('streams', 1.07, 1.06, 1.1)]);
    const { pick, lines } = advise({ summary: summaryFile, objective: 'throughput' });
    expect(pick.withinNoise).toEqual(['streams']);
    expect(lines).toContain('Noise: within the noise of the pick, as good by these runs: streams (more repeats may tell them apart)');
    expect(lines.join('\n')).toContain('1.09× [1.05–1.12]');
    // One run, no interval: the noise is unknown, and advise says how to know it.
    const once = advise({
      summary: scenarioSummary(roles, [scenarioRun({ mode: 'mps', roles: {}, aggregate: 1 }), scenarioRun({ mode: 'streams', roles: {}, aggregate: 1.1 })]),
      objective: 'throughput',
    });
    expect(once.lines).toContain('Noise: unknown, as a candidate ran once (measure with --runs N or repeat with --repeat N to know it)');
  });
});

import { describe, expect, it } from 'vitest';
import { candidates, spread, withinNoise } from '../src/scenario/candidates.js';
import { scenarioRunSchema } from '../src/scenario/result-schema.js';
import { formatVerdicts, type VerdictSpec, verdicts } from '../src/scenario/verdict.js';
import { P99_5MS, scenarioRun } from './fixtures/scenario-runs.js';

const specs: VerdictSpec[] = [{ role: 'train' }, { role: 'infer', slo: [P99_5MS] }];

/** train+infer under one mode: train's share of its solo throughput, infer's p99 in ms and attainment. */
function trainInfer(
  mode: string,
  train: number,
  p99: number,
  extra: { aggregate?: number; fairness?: number; attainment?: number; knobs?: Record<string, unknown> } = {},
) {
  const attainment = extra.attainment ?? (p99 <= 5 ? 0.995 : 0.97);
  return scenarioRun({
    mode,
    knobs: extra.knobs,
    aggregate: extra.aggregate,
    fairness: extra.fairness,
    roles: { train: { vsSolo: train }, infer: { vsSolo: 1, p99, slo: [{ slo: P99_5MS, ms: p99, attainment }] } },
  });
}

describe('candidates and the noise rule', () => {
  it('groups runs by mode and knob values, leaving out runs that did not finish', () => {
    const runs = [
      trainInfer('mps', 0.9, 3, { knobs: { 'infer.mps-threads': 25 } }),
      trainInfer('mps', 0.8, 3, { knobs: { 'infer.mps-threads': 50 } }),
      trainInfer('mps', 0.91, 3, { knobs: { 'infer.mps-threads': 25 } }),
      { ...trainInfer('streams', 0.9, 3), status: 'failed' as const },
      { ...trainInfer('green', 0.9, 3), complete: false },
    ];
    const all = candidates(runs);
    expect(all.map((c) => [c.label, c.runs.length])).toEqual([
      ['mps (infer.mps-threads=25)', 2],
      ['mps (infer.mps-threads=50)', 1],
    ]);
  });

  it('takes the median and range, Infinity included, and overlaps only ranges of two runs or more', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([Infinity, Infinity])).toEqual({ median: Infinity, min: Infinity, max: Infinity, n: 2 });
    expect(spread([1, Infinity])!.median).toBe(Infinity);
    expect(spread([])).toBeUndefined();
    expect(withinNoise(spread([1, 2])!, spread([1.5, 3])!)).toBe(true);
    expect(withinNoise(spread([1, 2])!, spread([2.1, 3])!)).toBe(false);
    expect(withinNoise(spread([1])!, spread([1, 3])!)).toBeUndefined();
  });

  it('accepts a run with a repeat index in the scenario summary schema', () => {
    expect(scenarioRunSchema.parse({ ...trainInfer('mps', 0.9, 3), repeat: 2 }).repeat).toBe(2);
    expect(() => scenarioRunSchema.parse({ ...trainInfer('mps', 0.9, 3), repeat: -1 })).toThrow();
  });
});

describe('verdicts', () => {
  it('picks, among the modes meeting the SLO, the one keeping the most train throughput; aggregate and fairness by their figures', () => {
    const runs = [
      trainInfer('timeslice', 0.95, 7.2, { aggregate: 1.4, fairness: 0.97 }),
      trainInfer('mps', 0.91, 3.1, { aggregate: 1.6, fairness: 0.9 }),
      trainInfer('streams', 0.85, 4, { aggregate: 1.5, fairness: 0.99 }),
    ];
    const [slo, throughput, fairness] = verdicts(specs, runs);
    expect(slo).toMatchObject({ objective: 'slo', mode: 'mps' });
    expect(slo!.text).toBe(
      'meets every SLO and keeps the most train throughput: mps, 0.91× train, infer p99 3.10 ms ≤ 5.00 ms; one run each: the noise is unknown (measure with --runs N or repeat with --repeat N to know it)',
    );
    expect(slo!.withinNoise).toBeUndefined();
    expect(throughput).toMatchObject({ objective: 'throughput', mode: 'mps' });
    expect(throughput!.text).toContain(': mps, 1.60× (train 0.91×, infer 1.00×)');
    expect(fairness).toMatchObject({ objective: 'fairness', mode: 'streams' });
    expect(fairness!.text).toContain(': streams, 99.0% (train 0.85×, infer 1.00×)');
  });

  it('gives a tie to the first candidate and says so', () => {
    const runs = [trainInfer('mps', 0.9, 3, { aggregate: 1.5 }), trainInfer('streams', 0.9, 3, { aggregate: 1.5 })];
    const [slo, throughput] = verdicts(specs, runs);
    expect(slo!.mode).toBe('mps');
    expect(slo!.text).toContain('tied with streams; one run each: the noise is unknown');
    expect(throughput!.mode).toBe('mps');
    expect(throughput!.text).toContain('tied with streams');
  });

  it('picks nothing when no mode meets every SLO, and names the closest by its lowest attainment', () => {
    const runs = [trainInfer('timeslice', 0.95, 9, { attainment: 0.97 }), trainInfer('mps', 0.9, 6, { attainment: 0.985 })];
    const [slo] = verdicts(specs, runs);
    expect(slo!.mode).toBeUndefined();
    expect(slo!.text).toBe(
      'no run meets every SLO; closest: mps, 98.5% of requests within their bounds, infer p99 6.00 ms > 5.00 ms, 0.90× train; one run each: the noise is unknown (measure with --runs N or repeat with --repeat N to know it)',
    );
  });

  it('says when an SLO was unbounded (requests never started)', () => {
    const run = scenarioRun({
      mode: 'timeslice',
      roles: { train: { vsSolo: 1 }, infer: { vsSolo: 0.2, slo: [{ slo: P99_5MS, ms: null, attainment: 0.4 }] } },
    });
    expect(verdicts(specs, [run])[0]!.text).toContain('infer p99 unbounded (requests never started) > 5.00 ms');
  });

  it('keeps a candidate out when one of its repeats missed, and says how many met', () => {
    const runs = [trainInfer('mps', 0.95, 4.8), trainInfer('mps', 0.95, 5.3, { attainment: 0.989 }), trainInfer('mps', 0.95, 4.9)];
    const [slo] = verdicts(specs, runs);
    expect(slo!.mode).toBeUndefined();
    expect(slo!.text).toContain('closest: mps, 99.5% (98.9–99.5% over 3 runs) of requests within their bounds, met every SLO in 2 of 3 runs');
    expect(slo!.text).toContain('the only candidate');
  });

  it('names the candidates within the noise when the repeats overlap, and none when they do not', () => {
    const repeats = (mode: string, trains: number[]) => trains.map((t) => trainInfer(mode, t, 3, { aggregate: 1 + t }));
    const close = verdicts(specs, [...repeats('mps', [0.9, 0.92, 0.88]), ...repeats('streams', [0.87, 0.89, 0.86])]);
    expect(close[0]!.mode).toBe('mps');
    expect(close[0]!.withinNoise).toEqual(['streams']);
    expect(close[0]!.text).toContain('0.90× (0.88–0.92× over 3 runs) train');
    expect(close[0]!.text).toContain('within the noise of streams (their ranges over the repeats overlap, or their medians are within 1%)');
    expect(close[1]!.withinNoise).toEqual(['streams']);
    const apart = verdicts(specs, [...repeats('mps', [0.9, 0.92, 0.88]), ...repeats('streams', [0.8, 0.82, 0.81])]);
    expect(apart[0]!.withinNoise).toEqual([]);
    expect(apart[0]!.text).toContain('ahead of the others beyond the noise');
    // Tight repeats that do not overlap but whose medians are within 1%: as good as equal.
    const tight = verdicts(specs, [...repeats('mps', [0.92, 0.921, 0.919]), ...repeats('streams', [0.923, 0.924, 0.925])]);
    expect(tight[0]!.mode).toBe('streams');
    expect(tight[0]!.withinNoise).toEqual(['mps']);
  });

  it('says the noise is unknown for the candidates that ran once', () => {
    const runs = [trainInfer('mps', 0.9, 3), trainInfer('mps', 0.91, 3), trainInfer('streams', 0.8, 3)];
    const [slo] = verdicts(specs, runs);
    expect(slo!.text).toContain('streams ran once: the noise is unknown');
    expect(slo!.withinNoise).toBeUndefined();
  });

  it('ranks the other roles by the geometric mean of their ratios: starving one role loses to sharing evenly', () => {
    // A: train 1.0×, notebook 0.1×: geometric mean √0.1 = 0.316 (arithmetic 0.55).
    // B: train 0.5×, notebook 0.5×: geometric mean 0.5 (arithmetic 0.5). The geometric mean picks B.
    const three: VerdictSpec[] = [{ role: 'train' }, { role: 'notebook' }, { role: 'infer', slo: [P99_5MS] }];
    const run = (mode: string, train: number, notebook: number) =>
      scenarioRun({ mode, roles: { train: { vsSolo: train }, notebook: { vsSolo: notebook }, infer: { slo: [{ slo: P99_5MS, ms: 3, attainment: 1 }] } } });
    const [slo] = verdicts(three, [run('mps', 1, 0.1), run('streams', 0.5, 0.5)]);
    expect(slo!.mode).toBe('streams');
    expect(slo!.text).toContain(
      'keeps the most throughput of train and notebook (geometric mean of their vs-alone ratios): streams, 0.50× train, 0.50× notebook',
    );
  });

  it('ranks by every role when all have SLOs, and says when none has one', () => {
    const both: VerdictSpec[] = [
      { role: 'a', slo: [P99_5MS] },
      { role: 'b', slo: [P99_5MS] },
    ];
    const run = (mode: string, a: number, b: number) =>
      scenarioRun({
        mode,
        roles: { a: { vsSolo: a, slo: [{ slo: P99_5MS, ms: 2, attainment: 1 }] }, b: { vsSolo: b, slo: [{ slo: P99_5MS, ms: 4, attainment: 1 }] } },
      });
    const [slo] = verdicts(both, [run('mps', 0.6, 0.6), run('streams', 0.9, 0.3)]);
    expect(slo!.mode).toBe('mps');
    expect(slo!.text).toContain(
      "keeps the most throughput (geometric mean of every role's vs-alone ratio): mps, 0.60× a, 0.60× b, a p99 2.00 ms ≤ 5.00 ms, b p99 4.00 ms ≤ 5.00 ms",
    );
    const [none] = verdicts([{ role: 'a' }, { role: 'b' }], [run('mps', 0.6, 0.6)]);
    expect(none!.mode).toBeUndefined();
    expect(none!.text).toContain('no role has an SLO');
  });

  it('labels knob-sweep steps and carries their knobs', () => {
    const runs = [25, 50, 100].map((t, i) => trainInfer('mps', [0.95, 0.9, 0.8][i]!, [6, 4, 2][i]!, { knobs: { 'infer.mps-threads': t } }));
    const [slo] = verdicts(specs, runs);
    expect(slo).toMatchObject({ mode: 'mps', knobs: { 'infer.mps-threads': 50 } });
    expect(slo!.text).toContain('mps (infer.mps-threads=50), 0.90× train');
  });

  it('says why there is no pick when no run finished or no run has the figure', () => {
    const v = verdicts(specs, [{ mode: 'mig', status: 'skipped', reason: 'MIG is disabled' }]);
    expect(v.map((x) => x.mode)).toEqual([undefined, undefined, undefined]);
    expect(v[0]!.text).toContain('no run finished');
    expect(v[1]!.text).toContain('no run finished');
    const noBaseline = verdicts(specs, [trainInfer('mps', 0.9, 3)]);
    expect(noBaseline[1]!.text).toContain("no pick: no run has aggregate.vsSolo (it needs every role's solo baseline)");
    expect(noBaseline[2]!.text).toContain("no pick: no run has fairness (it needs every role's solo baseline and two clients or more)");
  });

  it('prints one line per objective under a heading', () => {
    const lines = formatVerdicts(verdicts(specs, [trainInfer('mps', 0.91, 3.1, { aggregate: 1.6, fairness: 0.9 })]));
    expect(lines[0]).toBe('Verdicts:');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^ {2}SLOs {8}meets every SLO/);
    expect(lines[2]).toMatch(/^ {2}throughput {2}most aggregate throughput/);
    expect(lines[3]).toMatch(/^ {2}fairness {4}fairest shares/);
    expect(formatVerdicts([])).toEqual([]);
  });
});

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { findPeakRate, formatPeak, type PeakStep, peakStep, requestsNeeded, stepDurationNs } from '../src/scenario/peak.js';
import { role } from './fixtures/scenario-runs.js';

// The synthetic latency curve: an M/D/1 queue (Poisson arrivals at rate λ, one server, a fixed service
// time D). Its waiting time has Erlang's closed form
//   P(W ≤ t) = (1 − ρ) Σ_{k=0}^{⌊t/D⌋} (λ(kD − t))^k / k! · e^{−λ(kD − t)},   ρ = λD < 1,
// and a request's latency is W + D. With D = 1 ms and the SLO p99 ≤ 5 ms, a rate meets the SLO when
// P(W ≤ 4 ms) ≥ 0.99; that share is also its attainment. The p99 grows without bound as λ → 1/D.
const D = 1e-3;
const BOUND_S = 5e-3;

function waitCdf(t: number, rate: number): number {
  const rho = rate * D;
  if (rho >= 1) return 0;
  if (t < 0) return 0;
  let sum = 0;
  let factorial = 1;
  for (let k = 0; k <= Math.floor(t / D + 1e-12); k++) {
    if (k > 0) factorial *= k;
    const x = rate * (k * D - t);
    sum += (x ** k / factorial) * Math.exp(-x);
  }
  return (1 - rho) * sum;
}

/** p99 latency (s) by bisection on the CDF, up to 20 service times of waiting (beyond, the sum loses its precision); Infinity beyond. */
function p99(rate: number): number {
  if (waitCdf(20 * D, rate) < 0.99) return Infinity;
  let lo = 0;
  let hi = 20 * D;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (waitCdf(mid, rate) >= 0.99) hi = mid;
    else lo = mid;
  }
  return hi + D;
}

/** The rate at which p99 latency is exactly the bound, by bisection (the true peak). */
function truePeak(): number {
  let lo = 1;
  let hi = 1 / D;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (waitCdf(BOUND_S - D, mid) >= 0.99) lo = mid;
    else hi = mid;
  }
  return lo;
}

function md1Step(rate: number, noise = 1): PeakStep {
  const measured = p99(rate) * noise;
  return {
    measuredNs: Number.isFinite(measured) ? measured * 1e9 : null,
    met: measured <= BOUND_S,
    attainment: waitCdf(BOUND_S / noise - D, rate),
    others: { train: 1 - rate * D },
  };
}

describe('the M/D/1 curve of these tests', () => {
  it("agrees with a simulated queue (Lindley's recursion, 400,000 requests) within 0.005", () => {
    const rng = xoroshiro128plus(7);
    const rate = 600;
    let wait = 0;
    const n = 400_000;
    let within2 = 0;
    for (let i = 0; i < n; i++) {
      if (wait <= 2 * D) within2++;
      const gap = -Math.log(1 - uniformFloat64(rng)) / rate;
      wait = Math.max(0, wait + D - gap);
    }
    expect(Math.abs(within2 / n - waitCdf(2 * D, rate))).toBeLessThan(0.005);
    expect(waitCdf(0, rate)).toBeCloseTo(0.4, 12);
  });

  it('has a p99 that grows with the rate without bound', () => {
    const rates = [100, 300, 500, 700, 800];
    const values = rates.map(p99);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    expect(p99(950)).toBe(Infinity); // beyond 20 service times of waiting
    expect(truePeak()).toBeGreaterThan(300);
    expect(truePeak()).toBeLessThan(700);
  });
});

describe('findPeakRate', () => {
  it('finds the peak of the M/D/1 curve within the tolerance, growing then bisecting', async () => {
    const peak = truePeak();
    const result = await findPeakRate({ lowRate: 50, highRate: 5000, measure: async (r) => md1Step(r), maxSteps: 20, relativeTolerance: 0.02 });
    expect(result.stopped).toBe('converged');
    expect(result.peakRate!).toBeLessThanOrEqual(peak);
    expect((peak - result.peakRate!) / peak).toBeLessThan(0.02);
    expect(result.missRate! / result.peakRate! - 1).toBeLessThanOrEqual(0.02);
    // 50, 100, 200, 400 met; 800 missed; then geometric bisection of 400..800 down to 2%: ln 2 / ln 1.02 = 35 → 6 halvings.
    expect(result.steps.slice(0, 5).map((s) => [s.rate, s.met])).toEqual([
      [50, true],
      [100, true],
      [200, true],
      [400, true],
      [800, false],
    ]);
    expect(result.steps).toHaveLength(11);
    const at = result.steps.find((s) => s.rate === result.peakRate)!;
    expect(at.measuredNs!).toBeLessThanOrEqual(5e6);
    expect(at.attainment).toBeGreaterThanOrEqual(0.99);
    expect(at.others.train).toBeCloseTo(1 - result.peakRate! * D, 12);
  });

  it('stays within the noise band and below every miss when the steps are noisy', async () => {
    const rng = xoroshiro128plus(42);
    // Each step's p99 off by up to ±5 %: the boundary lies where the true p99 is between 5/1.05 and 5/0.95 ms.
    const noisy = (rate: number) => md1Step(rate, 0.95 + 0.1 * uniformFloat64(rng));
    const bandLow = rateWhereP99Is(BOUND_S / 1.05);
    const bandHigh = rateWhereP99Is(BOUND_S / 0.95);
    for (let run = 0; run < 5; run++) {
      const result = await findPeakRate({ lowRate: 50, highRate: 5000, measure: async (r) => noisy(r), maxSteps: 20, relativeTolerance: 0.02 });
      expect(result.stopped).toBe('converged');
      expect(result.peakRate!).toBeGreaterThanOrEqual(bandLow * 0.98);
      expect(result.peakRate!).toBeLessThanOrEqual(bandHigh);
      for (const s of result.steps) if (!s.met) expect(s.rate).toBeGreaterThan(result.peakRate!);
    }
  });

  it('on a curve that is not monotonic, returns a rate that met with a miss within the tolerance above it', async () => {
    // Misses from 300/s to 500/s and above 700/s, meets elsewhere: the search finds the first boundary, 300/s.
    const met = (r: number) => r < 300 || (r >= 500 && r < 700);
    const step = (r: number): PeakStep => ({ measuredNs: met(r) ? 4e6 : 6e6, met: met(r), attainment: met(r) ? 0.995 : 0.98, others: {} });
    const result = await findPeakRate({ lowRate: 100, highRate: 2000, measure: async (r) => step(r), maxSteps: 30, relativeTolerance: 0.01 });
    expect(result.stopped).toBe('converged');
    expect(result.peakRate!).toBeLessThan(300);
    expect(result.peakRate!).toBeGreaterThan(300 / 1.01);
    expect(result.missRate!).toBeGreaterThanOrEqual(300);
    expect(result.steps.every((s) => s.met === met(s.rate))).toBe(true);
  });

  it('stops at once when the low rate misses, and at the high rate when it meets', async () => {
    const low = await findPeakRate({ lowRate: 900, highRate: 5000, measure: async (r) => md1Step(r), maxSteps: 10, relativeTolerance: 0.05 });
    expect(low).toMatchObject({ peakRate: null, missRate: 900, stopped: 'low-missed' });
    expect(low.steps).toHaveLength(1);
    expect(low.reason).toBe('the lowest rate, 900/s, misses the SLO');
    const high = await findPeakRate({ lowRate: 10, highRate: 150, measure: async (r) => md1Step(r), maxSteps: 10, relativeTolerance: 0.05 });
    // 10, 20, 40, 80, 150 (the high rate, not 160): all meet.
    expect(high.steps.map((s) => s.rate)).toEqual([10, 20, 40, 80, 150]);
    expect(high).toMatchObject({ peakRate: 150, missRate: null, stopped: 'high-met' });
  });

  it('stops when the steps run out, with the bracket it has, and reports each step as it goes', async () => {
    const seen: number[] = [];
    const result = await findPeakRate({
      lowRate: 50,
      highRate: 5000,
      measure: async (r) => md1Step(r),
      maxSteps: 6,
      relativeTolerance: 0.001,
      onStep: (t) => seen.push(t.rate),
    });
    expect(result.stopped).toBe('steps');
    expect(result.steps).toHaveLength(6);
    expect(seen).toEqual(result.steps.map((s) => s.rate));
    expect(result.reason).toMatch(/^6 steps spent: the peak is between .* and .*$/);
    const grow = await findPeakRate({ lowRate: 1, highRate: 5000, measure: async (r) => md1Step(r), maxSteps: 3, relativeTolerance: 0.05 });
    expect(grow).toMatchObject({ peakRate: 4, missRate: null, stopped: 'steps' });
  });

  it('rejects bad bounds, steps and tolerances before measuring', async () => {
    const measure = async (): Promise<PeakStep> => {
      throw new Error('measured');
    };
    const bad = [
      { lowRate: 0, highRate: 10, maxSteps: 5, relativeTolerance: 0.05 },
      { lowRate: 10, highRate: 5, maxSteps: 5, relativeTolerance: 0.05 },
      { lowRate: 1, highRate: Infinity, maxSteps: 5, relativeTolerance: 0.05 },
      { lowRate: 1, highRate: 10, maxSteps: 1, relativeTolerance: 0.05 },
      { lowRate: 1, highRate: 10, maxSteps: 5, relativeTolerance: 0 },
      { lowRate: 1, highRate: 10, maxSteps: 5, relativeTolerance: 0.05, growth: 1 },
    ];
    for (const b of bad) await expect(findPeakRate({ ...b, measure })).rejects.toBeInstanceOf(OptionError);
    await expect(findPeakRate({ lowRate: 1, highRate: 10, maxSteps: 5, relativeTolerance: 0.05, measure })).rejects.toThrow('measured');
  });
});

function rateWhereP99Is(seconds: number): number {
  let lo = 1;
  let hi = 1 / D;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (waitCdf(seconds - D, mid) >= 0.99) lo = mid;
    else hi = mid;
  }
  return lo;
}

describe('step length', () => {
  it('needs 10 requests beyond the percentile and 100 in all', () => {
    expect(requestsNeeded('p50')).toBe(100);
    expect(requestsNeeded('p90')).toBe(100);
    expect(requestsNeeded('p95')).toBe(200);
    expect(requestsNeeded('p99')).toBe(1_000);
    expect(requestsNeeded('p99.9')).toBe(10_000);
    expect(requestsNeeded('max')).toBe(10_000);
  });

  it('lasts long enough for those requests at the rate, and at least the minimum', () => {
    // p99 at 2,000/s: 1,000 requests take 0.5 s; the minimum 2 s wins. At 100/s: 10 s.
    expect(stepDurationNs(2000, 'p99', 2e9)).toBe(2e9);
    expect(stepDurationNs(100, 'p99', 2e9)).toBe(10e9);
    expect(stepDurationNs(500, 'p99.9', 0)).toBe(20e9);
    expect(() => stepDurationNs(0, 'p99', 1e9)).toThrow(OptionError);
  });
});

describe('peakStep and formatPeak', () => {
  const slo = { percentile: 'p99' as const, maxNs: 5e6 };

  it("reads the role's own outcome, else its summaries, and the others' ratios", () => {
    const own = [role('infer', { p99: 3, slo: [{ slo, ms: 3, attainment: 0.996 }] }), role('train', { vsSolo: 0.8 })];
    expect(peakStep(own, 'infer', slo)).toEqual({ measuredNs: 3e6, met: true, attainment: 0.996, others: { train: 0.8 } });
    const fromSummaries = [role('infer', { p50: 1, p95: 4, p99: 6, p999: 8, max: 9, notStarted: 0 }), role('train', { vsSolo: 0.7 })];
    const step = peakStep(fromSummaries, 'infer', slo);
    expect(step).toMatchObject({ measuredNs: 6e6, met: false, others: { train: 0.7 } });
    // 5 ms is halfway between p95 (4 ms) and p99 (6 ms): 0.95 + 0.04 × 0.5 = 0.97.
    expect(step.attainment).toBeCloseTo(0.97, 12);
    expect(peakStep([], 'infer', slo)).toEqual({ measuredNs: null, met: false, attainment: 0, others: {} });
  });

  it('prints the peak with the others at that rate, each step by rate, and why it stopped', async () => {
    const result = await findPeakRate({ lowRate: 50, highRate: 5000, measure: async (r) => md1Step(r), maxSteps: 20, relativeTolerance: 0.02 });
    const lines = formatPeak(result, 'infer', slo, 'mps');
    expect(lines[0]).toMatch(/^infer under mps: peak [\d,.]+\/s meeting p99<=5ms, with train 0\.\d\d× alone$/);
    expect(lines.at(-1)).toBe(`stopped: ${result.reason} (11 steps)`);
    expect(lines.filter((l) => /^│ [\d,.]+\/s +│ (met|MISSED) /.test(l))).toHaveLength(11);
    const none = formatPeak({ peakRate: null, missRate: 900, steps: [], stopped: 'low-missed', reason: 'x' }, 'infer', slo, 'timeslice');
    expect(none[0]).toBe('infer under timeslice: no rate tried meets p99<=5ms');
  });
});

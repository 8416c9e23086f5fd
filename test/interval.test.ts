// The statistics of repeated runs (src/metrics/interval.ts): the order-statistic interval of the median,
// its coverage measured by simulation on known distributions (seeded, so the test is the same every
// time), the outlier rule's false alarms and its power, and the noise rule.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { probit } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { CI_LEVEL, estimate, intervalLevel, medianInterval, OUTLIER_SCORE, orderStatisticCoverage, runOutliers, withinNoise } from '../src/metrics/interval.js';
import { outlierIndices } from '../src/metrics/stats.js';

/** A seeded source of uniform values in (0, 1). */
function uniform(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => {
    let u = uniformFloat64(rng);
    while (u === 0) u = uniformFloat64(rng);
    return u;
  };
}

/** Distributions whose median is known, drawn by inverting their CDF (probit: the normal's inverse CDF). */
const DISTRIBUTIONS: Array<{ name: string; draw: (u: number) => number; median: number }> = [
  { name: 'normal(1.05, 0.02)', draw: (u) => 1.05 + 0.02 * probit(u), median: 1.05 },
  // Skewed, as run times are: a long tail of slow runs.
  { name: 'lognormal(0, 0.5)', draw: (u) => Math.exp(0.5 * probit(u)), median: 1 },
  { name: 'exponential(1)', draw: (u) => -Math.log(1 - u), median: Math.LN2 },
  { name: 'uniform(0.9, 1.1)', draw: (u) => 0.9 + 0.2 * u, median: 1 },
];

describe('the order-statistic interval of the median', () => {
  it('has the exact binomial coverage at each number of runs', () => {
    // [min, max] of n runs misses the median only when all n fall on one side: 2 · 2^-n.
    for (const n of [2, 3, 4, 5, 6, 7, 8]) expect(orderStatisticCoverage(n, 1)).toBeCloseTo(1 - 2 ** (1 - n), 12);
    // 9 runs: [x(2), x(8)] misses when 0 or 1 run is below the median, on either side: 2 · (1 + 9) / 512.
    expect(orderStatisticCoverage(9, 2)).toBeCloseTo(1 - 20 / 512, 12);
    expect(orderStatisticCoverage(10, 2)).toBeCloseTo(1 - 22 / 1024, 12);
    expect(orderStatisticCoverage(10, 3)).toBeCloseTo(1 - 112 / 1024, 12);
    // k past the middle is no interval.
    expect(orderStatisticCoverage(3, 3)).toBe(0);
  });

  it('takes the narrowest interval that reaches 95%, else [min, max] with its own level', () => {
    const levels = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n, Number(intervalLevel(n).toFixed(4))]);
    expect(levels).toEqual([
      [2, 0.5],
      [3, 0.75],
      [4, 0.875],
      [5, 0.9375],
      [6, 0.9688],
      [7, 0.9844],
      [8, 0.9922],
      [9, 0.9609],
      [10, 0.9785],
    ]);
    // Nine runs: the second-smallest to the second-largest, whatever their order.
    expect(medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5])).toMatchObject({ low: 2, high: 8 });
    expect(medianInterval([3, 1, 2])).toEqual({ low: 1, high: 3, level: 0.75 });
    expect(medianInterval([1])).toBeUndefined();
    expect(medianInterval([1, Number.NaN])).toBeUndefined();
  });

  it('gives the median with its interval, which holds it', () => {
    expect(estimate([1.1, 0.9, 1.0])).toEqual({ value: 1, ci: { low: 0.9, high: 1.1, level: 0.75 } });
    expect(estimate([2, 1, 4, 3])).toMatchObject({ value: 2.5, ci: { low: 1, high: 4 } });
    expect(estimate([7])).toEqual({ value: 7 });
    expect(estimate([])).toBeUndefined();
    expect(estimate([Infinity, Infinity])!.value).toBe(Infinity);
  });

  it('covers the true median as often as its level says, by simulation on known distributions', () => {
    const trials = 4000;
    const rows: string[] = [];
    for (const [d, dist] of DISTRIBUTIONS.entries()) {
      for (let n = 3; n <= 10; n++) {
        const next = uniform(1000 * d + n);
        let covered = 0;
        let level = 0;
        for (let t = 0; t < trials; t++) {
          const ci = medianInterval(Array.from({ length: n }, () => dist.draw(next())))!;
          level = ci.level;
          if (ci.low <= dist.median && dist.median <= ci.high) covered++;
        }
        const coverage = covered / trials;
        // Within 4 standard errors of the stated level (the coverage is exact for continuous distributions).
        const tolerance = 4 * Math.sqrt((level * (1 - level)) / trials);
        rows.push(`${dist.name} n=${n}: ${coverage.toFixed(3)} (level ${level.toFixed(3)})`);
        expect(Math.abs(coverage - level), rows.at(-1)).toBeLessThan(tolerance);
        if (n >= 6) expect(coverage, rows.at(-1)).toBeGreaterThan(CI_LEVEL - tolerance);
      }
    }
  });
});

describe('outliers among runs', () => {
  it('flags a run far from tightly grouped ones, not one a little off, and needs 5 runs', () => {
    expect(runOutliers([1.0, 1.01, 0.99, 1.0, 1.5])).toEqual([4]);
    expect(runOutliers([1.5, 1.0, 1.01, 0.99, 1.0, 1.005])).toEqual([0]);
    // 0.5% off the median: under the 1% that counts, however tight the others.
    expect(runOutliers([1.0, 1.0001, 0.9999, 1.0, 1.005])).toEqual([]);
    // Four runs: no scale to judge by.
    expect(runOutliers([1.0, 1.01, 0.99, 1.5])).toEqual([]);
  });

  it('rarely flags an ordinary normal run and nearly always a run 20% off, by simulation', () => {
    const trials = 20_000;
    const next = uniform(42);
    const normal = () => 1 + 0.01 * probit(next());
    const alarms = (n: number) => {
      let flagged = 0;
      for (let t = 0; t < trials; t++) if (outlierIndices(Array.from({ length: n }, normal), OUTLIER_SCORE).length > 0) flagged++;
      return flagged / trials;
    };
    // The rates src/metrics/interval.ts states: about 3% of figures at 5 runs, 1% at 6 or 7, under 0.5% from 8.
    expect(alarms(5)).toBeGreaterThan(0.015);
    expect(alarms(5)).toBeLessThan(0.045);
    expect(alarms(7)).toBeLessThan(0.02);
    expect(alarms(8)).toBeLessThan(0.0075);
    expect(alarms(10)).toBeLessThan(0.005);
    const caught = (n: number) => {
      let count = 0;
      for (let t = 0; t < trials; t++) if (runOutliers([...Array.from({ length: n - 1 }, normal), 1.2]).includes(n - 1)) count++;
      return count / trials;
    };
    // And the power it states: 86% at 5 runs, 94% at 6, 97% at 8.
    expect(caught(5)).toBeGreaterThan(0.83);
    expect(caught(6)).toBeGreaterThan(0.92);
    expect(caught(8)).toBeGreaterThan(0.95);
  });
});

describe('within the noise', () => {
  it('is overlapping intervals, or medians within 1%', () => {
    expect(withinNoise({ value: 1.05, low: 1.02, high: 1.08 }, { value: 1.1, low: 1.07, high: 1.12 })).toBe(true);
    expect(withinNoise({ value: 1.05, low: 1.02, high: 1.06 }, { value: 1.1, low: 1.07, high: 1.12 })).toBe(false);
    // Tight but within 1%: as good as equal.
    expect(withinNoise({ value: 1.0, low: 0.999, high: 1.001 }, { value: 1.009, low: 1.008, high: 1.01 })).toBe(true);
  });
});

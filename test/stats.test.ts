import { describe, it, expect } from 'vitest';
import { medianAbsoluteDeviation } from 'simple-statistics';
import { distribution, durationSummaries, maxOf, median, minOf, outlierCount } from '../src/metrics/stats.js';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('distribution', () => {
  it('gives the quantiles of 1..100 (linear interpolation)', () => {
    const d = distribution(oneToHundred);
    expect(d).toBeDefined();
    expect(d!.count).toBe(100);
    expect(d!.min).toBe(1);
    expect(d!.max).toBe(100);
    expect(d!.mean).toBeCloseTo(50.5, 12);
    expect(d!.p50).toBeCloseTo(50.5, 12);
    expect(d!.p10).toBeCloseTo(10.9, 12);
    expect(d!.p90).toBeCloseTo(90.1, 12);
    expect(d!.p95).toBeCloseTo(95.05, 12);
    expect(d!.p99).toBeCloseTo(99.01, 12);
    // |x - 50.5| over 1..100 is 0.5, 0.5, 1.5, 1.5, ..., 49.5, 49.5: median 25.
    expect(d!.mad).toBeCloseTo(25, 12);
  });

  it('agrees with simple-statistics on the MAD', () => {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648) * 100 - 20;
    };
    for (const n of [1, 2, 3, 10, 11, 1000, 1001]) {
      const values = Array.from({ length: n }, next);
      expect(distribution(values)!.mad).toBeCloseTo(medianAbsoluteDeviation(values), 10);
    }
    const ties = [1, 1, 2, 2, 4, 6, 9, 2, 2];
    expect(distribution(ties)!.mad).toBe(medianAbsoluteDeviation(ties));
  });

  it('sorts numerically whatever the input order and type', () => {
    const shuffled = Float64Array.from([10, 9, 100, 2, 1, 30]);
    const d = distribution(shuffled)!;
    expect(d.min).toBe(1);
    expect(d.max).toBe(100);
    expect(d.p50).toBe(9.5);
  });

  it('excludes NaN', () => {
    const d = distribution([3, Number.NaN, 1, 2, Number.NaN])!;
    expect(d.count).toBe(3);
    expect(d.p50).toBe(2);
    expect(d.mean).toBe(2);
    expect(d.max).toBe(3);
  });

  it('is undefined for empty or all-NaN input', () => {
    expect(distribution([])).toBeUndefined();
    expect(distribution(new Float64Array(0))).toBeUndefined();
    expect(distribution([Number.NaN, Number.NaN])).toBeUndefined();
  });

  it('handles a single value', () => {
    const d = distribution([7])!;
    expect(d).toMatchObject({ count: 1, min: 7, p10: 7, p50: 7, p99: 7, max: 7, mean: 7, mad: 0 });
  });

  it('does not mutate its input', () => {
    const arr = [5, 3, 9, 1];
    const typed = Float64Array.from(arr);
    distribution(arr);
    distribution(typed);
    expect(arr).toEqual([5, 3, 9, 1]);
    expect(Array.from(typed)).toEqual([5, 3, 9, 1]);
  });
});

describe('durationSummaries', () => {
  it('tags and names chosen fields', () => {
    const d = distribution(oneToHundred)!;
    const s = durationSummaries('latency', 'latency', d, ['p50', 'p99', 'max']);
    expect(s).toEqual([
      { tag: 'latency.p50', name: 'p50 latency', hint: 'duration', value: d.p50 },
      { tag: 'latency.p99', name: 'p99 latency', hint: 'duration', value: d.p99 },
      { tag: 'latency.max', name: 'max latency', hint: 'duration', value: 100 },
    ]);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median(Float64Array.from([4, 1, 3, 2]))).toBe(2.5);
  });
  it('is NaN for empty input and ignores NaN', () => {
    expect(median([])).toBeNaN();
    expect(median([Number.NaN])).toBeNaN();
    expect(median([1, Number.NaN, 3])).toBe(2);
  });
});

describe('maxOf and minOf', () => {
  it('take arrays far past what fits on the stack as arguments, with Math.max semantics', () => {
    // 0..999999 shuffled (7919 is prime to 10^6).
    const million = Float64Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_000);
    expect(() => Math.max(...million)).toThrow(RangeError);
    expect(maxOf(million)).toBe(999_999);
    expect(minOf(million)).toBe(0);
    expect(minOf([3, -2, 5])).toBe(-2);
    expect(maxOf([])).toBe(-Infinity);
    expect(minOf([])).toBe(Infinity);
    expect(maxOf([1, Number.NaN, 3])).toBeNaN();
  });
});

describe('outlierCount', () => {
  it('finds planted outliers', () => {
    const values = [...oneToHundred.map((i) => 1000 + (i % 10)), 5000, 9000, -3000];
    expect(outlierCount(values)).toBe(3);
  });
  it('finds none in a uniform sample', () => {
    expect(outlierCount(oneToHundred)).toBe(0);
  });
  it('is 0 when the MAD is 0', () => {
    expect(outlierCount([5, 5, 5, 5, 1000])).toBe(0);
  });
  it('respects the threshold', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20];
    expect(median(values)).toBe(6);
    // Median 6: deviations 5,4,3,2,1,0,1,2,3,4,14 → MAD 3; z(20) = 0.6745 * 14 / 3 ≈ 3.15.
    expect(outlierCount(values)).toBe(0);
    expect(outlierCount(values, 3)).toBe(1);
    expect(outlierCount([])).toBe(0);
  });
});

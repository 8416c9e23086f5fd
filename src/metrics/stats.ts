// Descriptive statistics over samples (durations, gaps, rates). Quantiles come from simple-statistics
// (linear interpolation, numpy's default / R type 7); this module only prepares the samples: it drops NaN,
// copies into a Float64Array and sorts numerically, never touching the caller's array.

import { mean as ssMean, quantileSorted } from 'simple-statistics';
import { z } from 'zod';
import { summary, type Summary } from './summary.js';

/** A distribution as the result files record it (src/report/schema.ts); the type is inferred from it. */
export const distributionSchema = z.object({
  count: z.number().int().nonnegative(),
  min: z.number(),
  p10: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Median absolute deviation around the median (unscaled). */
  mad: z.number(),
});

export type Distribution = z.infer<typeof distributionSchema>;

/** The fields of a Distribution that can be turned into duration summaries. */
export type DistributionKey = 'p10' | 'p50' | 'p90' | 'p95' | 'p99' | 'max' | 'min' | 'mean';

/**
 * simple-statistics is typed for plain arrays but only indexes and reads `length`, so a Float64Array
 * works as-is; this cast keeps that assumption in one place.
 */
function asArray(values: Float64Array): readonly number[] {
  return values as unknown as readonly number[];
}

/** Copies the non-NaN values into a new Float64Array sorted ascending. */
function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) out[n++] = v;
  }
  // Float64Array#sort without a comparator is a numeric sort (unlike Array#sort).
  return out.subarray(0, n).sort();
}

/** Median of already-sorted, non-empty values. */
function medianOfSorted(sorted: Float64Array): number {
  return quantileSorted(asArray(sorted), 0.5);
}

/**
 * Median absolute deviation of already-sorted, non-empty values around their median `med`.
 * The deviations below the median, read downwards from it, and those above it, read upwards, are each
 * already in ascending order, so merging the two gives the sorted deviations in O(n), with no second sort.
 */
function madOfSorted(sorted: Float64Array, med: number): number {
  const n = sorted.length;
  // `hi` = first index with a value ≥ med; `lo` walks down from just below it.
  let hi = 0;
  while (hi < n && (sorted[hi] as number) < med) hi++;
  let lo = hi - 1;
  const dev = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const below = lo >= 0 ? med - (sorted[lo] as number) : Infinity;
    const above = hi < n ? (sorted[hi] as number) - med : Infinity;
    if (below <= above) {
      dev[k] = below;
      lo--;
    } else {
      dev[k] = above;
      hi++;
    }
  }
  return medianOfSorted(dev);
}

/**
 * Summary statistics of a sample. NaN values are ignored; undefined when nothing is left.
 * The input is not modified.
 */
export function distribution(values: ArrayLike<number>): Distribution | undefined {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) return undefined;
  const s = asArray(sorted);
  const p50 = quantileSorted(s, 0.5);
  return {
    count: n,
    min: sorted[0] as number,
    p10: quantileSorted(s, 0.1),
    p50,
    p90: quantileSorted(s, 0.9),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    max: sorted[n - 1] as number,
    mean: ssMean(s),
    mad: madOfSorted(sorted, p50),
  };
}

/**
 * Duration summaries for chosen fields of a distribution: tag `${prefix}.${key}`, name `${key} ${label}`
 * (e.g. prefix "latency", label "latency", key "p99" → tag "latency.p99", name "p99 latency").
 */
export function durationSummaries(prefix: string, label: string, d: Distribution, which: readonly DistributionKey[]): Summary[] {
  return which.map((key) => summary(`${prefix}.${key}`, `${key} ${label}`, 'duration', d[key]));
}

/** Median of the non-NaN values; NaN when there are none. The input is not modified. */
export function median(values: ArrayLike<number>): number {
  const sorted = sortedCopy(values);
  return sorted.length === 0 ? Number.NaN : medianOfSorted(sorted);
}

/**
 * Largest and smallest value, as Math.max and Math.min give them (NaN if any value is NaN; -Infinity
 * and Infinity for none), in a loop: spreading an array into Math.max puts every element on the
 * stack, which overflows for arrays of a few hundred thousand (a result file's samples can be).
 */
export function maxOf(values: ArrayLike<number>): number {
  let out = -Infinity;
  for (let i = 0; i < values.length; i++) out = Math.max(out, values[i] as number);
  return out;
}

export function minOf(values: ArrayLike<number>): number {
  let out = Infinity;
  for (let i = 0; i < values.length; i++) out = Math.min(out, values[i] as number);
  return out;
}

/**
 * The values that are outliers by the modified z-score (Iglewicz and Hoaglin), as hyperfine reports them:
 * a value is an outlier when |0.6745 · (x − median) / MAD| exceeds `threshold`. Their indices, in order;
 * NaN values are ignored. None when the MAD is 0 (more than half the sample is identical: no scale to judge by).
 */
export function outlierIndices(values: ArrayLike<number>, threshold = 3.5): number[] {
  const sorted = sortedCopy(values);
  if (sorted.length === 0) return [];
  const med = medianOfSorted(sorted);
  const mad = madOfSorted(sorted, med);
  if (mad === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Math.abs((0.6745 * ((values[i] as number) - med)) / mad) > threshold) out.push(i);
  }
  return out;
}

/** Number of outliers by the modified z-score (outlierIndices). */
export function outlierCount(values: ArrayLike<number>, threshold = 3.5): number {
  return outlierIndices(values, threshold).length;
}

/** Jain's fairness index of non-negative values: 1 when all are equal, 1/n when one has everything. */
export function jainIndex(values: number[]): number {
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

// A figure measured over repeated runs (--runs N): its median, the confidence interval of that median,
// the runs that stand out, and when two figures are within each other's noise.
//
// The interval: distribution-free, between two order statistics. Of n independent runs sorted
// x(1) ≤ … ≤ x(n), the interval [x(k), x(n+1−k)] holds the median of the distribution the runs come
// from with probability 1 − 2·P(B ≤ k−1), B ~ Binomial(n, ½), whatever that distribution is (the
// classical sign-test interval for a median; e.g. Conover, Practical Nonparametric Statistics, 3rd ed.,
// §3.2, or Hollander, Wolfe and Chicken, Nonparametric Statistical Methods, §3.6). The coverage is
// exact at every n, not a large-sample approximation, which is what matters here: a run of the tool
// takes seconds to minutes, so N is small (3 to 10), and the run-to-run spread of a GPU is seldom
// normal (a slow run when the clocks drop, a fast one when another tenant left).
//
// We take the narrowest such interval whose coverage is at least CI_LEVEL (95%). Below 6 runs none
// reaches it, and the widest one, [min, max], is given with its true coverage as its level: 75% with 3
// runs, 87.5% with 4, 93.75% with 5 (then 96.9% with 6, 98.4% with 7, 99.2% with 8, and from 9 runs
// the second-smallest to the second-largest, 96.1% with 9 and 97.9% with 10). A level is never claimed
// that the interval does not have. The alternative, a percentile bootstrap of the median, was set
// aside: with so few runs its resamples take only a handful of distinct medians, and its intervals
// cover less than they claim (with 3 runs its "95%" interval is [min, max], which covers 75%).
// test/interval.test.ts measures the coverage of these intervals by simulation on known distributions.
//
// Outliers: a run's value is flagged when its modified z-score 0.6745·|x − median| / MAD (Iglewicz and
// Hoaglin's score, as src/metrics/stats.ts scores samples) exceeds OUTLIER_SCORE, 10, and it lies more
// than PRACTICAL_DIFFERENCE (1%) from the median. Their threshold, 3.5, is for large samples: with 5 to
// 10 runs the MAD is itself uncertain, and normal runs (simulated) cross 3.5 in 12 to 20% of figures;
// they cross 10 in about 3% at 5 runs, 1% at 6 or 7 and under 0.5% from 8, while a run 20% off among
// runs 1% apart crosses it 86% of the time at 5 runs, 94% at 6, 97% at 8 (test/interval.test.ts). It takes MIN_OUTLIER_RUNS (5) runs: with 3 or 4 the
// MAD is the gap to one or two neighbours and says nothing. The 1% keeps tightly grouped runs from
// flagging one 0.3% off. Flagged runs stay in the median (it is robust to them); they are reported so
// that a reader can look at what happened in that run.
import { binomialDistribution } from 'simple-statistics';
import { median, outlierIndices } from './stats.js';

/** The level the intervals aim for: the narrowest order-statistic interval with at least this coverage. */
export const CI_LEVEL = 0.95;

/** Two figures whose medians are closer than this share of the larger are as good as equal, however
 * tight their runs: a few seconds' runs can land 0.1% apart every time while another day's differ by more. */
export const PRACTICAL_DIFFERENCE = 0.01;

/** A confidence interval: the bounds and its coverage (0..1). */
export interface Interval {
  low: number;
  high: number;
  level: number;
}

/** The coverage of [x(k), x(n+1−k)] (1-based k) as an interval of the median of n runs: 1 − 2·P(B ≤ k−1), B ~ Binomial(n, ½). */
export function orderStatisticCoverage(n: number, k: number): number {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1 || 2 * k > n + 1) return 0;
  // simple-statistics stops its table once the cells add up to 1 within epsilon: the cells left out are 0.
  const pmf = binomialDistribution(n, 0.5) ?? [];
  let below = 0;
  for (let i = 0; i < k; i++) below += pmf[i] ?? 0;
  // The cells come through logarithms (0.7499999999999998 for 0.75): rounded to 12 decimals.
  return Math.max(0, Number((1 - 2 * below).toFixed(12)));
}

/**
 * The median's confidence interval from the values of n ≥ 2 runs (NaN ignored; undefined with fewer):
 * the narrowest order-statistic interval with coverage ≥ `level`, else [min, max] with its own coverage.
 */
export function medianInterval(values: readonly number[], level = CI_LEVEL): Interval | undefined {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n < 2) return undefined;
  let k = 1;
  while (2 * (k + 1) < n + 1 && orderStatisticCoverage(n, k + 1) >= level) k++;
  return { low: sorted[k - 1]!, high: sorted[n - k]!, level: orderStatisticCoverage(n, k) };
}

/** The coverage of the interval medianInterval() gives for n runs (0 below 2 runs). */
export function intervalLevel(n: number): number {
  return medianInterval(Array.from({ length: n }, (_, i) => i))?.level ?? 0;
}

/** The median of the runs' values and its interval; undefined for no value, no interval for one. */
export function estimate(values: readonly number[]): { value: number; ci?: Interval } | undefined {
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return undefined;
  // The two middle values averaged by hand: an interpolating quantile gives NaN for [Infinity, Infinity].
  const sorted = [...finite].sort((a, b) => a - b);
  const n = sorted.length;
  const value = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const ci = medianInterval(sorted);
  return ci ? { value, ci } : { value };
}

/** Runs needed before any is called an outlier. */
export const MIN_OUTLIER_RUNS = 5;

/** The modified z-score above which a run is an outlier. */
export const OUTLIER_SCORE = 10;

/** The runs (indices into `values`) whose value stands out: modified z-score above 10 and more than 1% from the median (from 5 runs). */
export function runOutliers(values: readonly number[]): number[] {
  if (values.length < MIN_OUTLIER_RUNS) return [];
  const mid = median(values);
  return outlierIndices(values, OUTLIER_SCORE).filter((i) => Math.abs(values[i]! - mid) > PRACTICAL_DIFFERENCE * Math.abs(mid));
}

/** The modified z-score of `x` among `values` (0.6745·|x − median| / MAD); Infinity when the MAD is 0 and x is off the median. */
export function modifiedZ(x: number, values: readonly number[]): number {
  const mid = median(values);
  const mad = median(values.map((v) => Math.abs(v - mid)));
  if (x === mid) return 0;
  return mad === 0 ? Infinity : (0.6745 * Math.abs(x - mid)) / mad;
}

/**
 * Whether two figures, each a median with its interval (or a range), are within each other's noise:
 * their intervals overlap, or their medians differ by less than PRACTICAL_DIFFERENCE of the larger.
 */
export function withinNoise(a: { value: number; low: number; high: number }, b: { value: number; low: number; high: number }): boolean {
  const close = Math.abs(a.value - b.value) <= PRACTICAL_DIFFERENCE * Math.max(Math.abs(a.value), Math.abs(b.value));
  return close || (a.low <= b.high && b.low <= a.high);
}

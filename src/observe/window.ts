// Time windows over a sampled series: which samples fall inside, and time-weighted means of values
// that hold over intervals (GPM, PM sampling). Plain functions over typed arrays; no I/O.

/** A window in nanoseconds on the series' own axis (relative to its start). */
export interface Window {
  fromNs: number;
  toNs: number;
}

/** Indices i with from <= t[i] <= to, as [first, end) (t ascending). */
export function indexRange(t: ArrayLike<number>, w: Window): [number, number] {
  let first = 0;
  while (first < t.length && (t[first] as number) < w.fromNs) first++;
  let end = first;
  while (end < t.length && (t[end] as number) <= w.toNs) end++;
  return [first, end];
}

export interface PointStats {
  count: number;
  mean: number;
  min: number;
  max: number;
}

/** Mean, min and max of the non-NaN values with index in [first, end); undefined when none. */
export function pointStats(values: ArrayLike<number>, first: number, end: number): PointStats | undefined {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = first; i < end; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return count === 0 ? undefined : { count, mean: sum / count, min, max };
}

/**
 * Time-weighted mean of values that each hold over [start[i], end[i]], counting only the part of
 * each interval inside the window; NaN values are skipped. Undefined when nothing overlaps.
 */
export function intervalMean(
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  values: ArrayLike<number>,
  w: Window,
): { mean: number; max: number; coveredNs: number } | undefined {
  let weighted = 0;
  let covered = 0;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    const a = Math.max(start[i] as number, w.fromNs);
    const b = Math.min(end[i] as number, w.toNs);
    if (b <= a) continue;
    weighted += v * (b - a);
    covered += b - a;
    if (v > max) max = v;
  }
  return covered === 0 ? undefined : { mean: weighted / covered, max, coveredNs: covered };
}

/** A typed array as a JSON-safe array: NaN becomes null. */
export function jsonArray(values: ArrayLike<number>): Array<number | null> {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    out[i] = Number.isNaN(v) ? null : v;
  }
  return out;
}

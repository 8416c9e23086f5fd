// The candidates a scenario's runs offer: each mode (and, in a knob sweep, each set of knob values) is
// one candidate, and the runs of the same candidate are its repeats. A candidate's figure is the median
// over its repeats, and its spread (min..max over them) is what this project calls its noise: two
// candidates are within the noise of each other when both were run at least twice and their ranges
// overlap. A candidate of one step measured several times (runs: N, --runs) has its figures as the
// median over those runs with a confidence interval: the interval is then its spread. With a single
// run, a candidate's noise is unknown, and so is whether another is within it.
import type { Slo, SloOutcome } from '../clients/slo.js';
import { withinNoise as intervalsWithinNoise } from '../metrics/interval.js';
import type { Summary } from '../metrics/summary.js';
import type { RoleReport } from '../report/schema.js';
import type { ScenarioRun } from './result-schema.js';

export { PRACTICAL_DIFFERENCE } from '../metrics/interval.js';

export interface Candidate {
  mode: string;
  /** The knob values of a knob sweep's step ({"infer.mps-threads": 25}); {} outside a sweep. */
  knobs: Record<string, unknown>;
  /** "mps" or "mps (infer.mps-threads=25)". */
  label: string;
  /** Its finished runs (the repeats), in the order given. */
  runs: ScenarioRun[];
}

/** A figure over a candidate's repeats. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Repeats that had the figure (or, with `level`, the runs behind the one step's interval). */
  n: number;
  /** Set when min..max is the confidence interval of one step measured n times (runs: N), not a range over repeats: its level. */
  level?: number;
}

/** "infer.mps-threads=25, train.sms=66": the knob values in key order. */
export function knobsText(knobs: Readonly<Record<string, unknown>>): string {
  return Object.keys(knobs)
    .sort()
    .map((k) => `${k}=${String(knobs[k])}`)
    .join(', ');
}

/** A finished run: done, not cut short, with its roles' figures. */
export function finished(run: ScenarioRun): boolean {
  return run.status === 'done' && run.complete !== false && run.roles !== undefined;
}

/** The finished runs grouped by mode and knob values, in order of first appearance. */
export function candidates(runs: readonly ScenarioRun[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const run of runs) {
    if (!finished(run)) continue;
    const knobs = run.knobs ?? {};
    const text = knobsText(knobs);
    const key = `${run.mode}\u0000${text}`;
    let c = byKey.get(key);
    if (!c) {
      c = { mode: run.mode, knobs, label: text ? `${run.mode} (${text})` : run.mode, runs: [] };
      byKey.set(key, c);
    }
    c.runs.push(run);
  }
  return [...byKey.values()];
}

/** Median, min and max of the values (Infinity allowed; NaN dropped); undefined when none is left. */
export function spread(values: readonly number[]): Spread | undefined {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return undefined;
  // The two middle values averaged by hand: an interpolating quantile gives NaN for [Infinity, Infinity].
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

/** A value of one run: a number, or a summary with its interval over the run's repeated measurements. */
type RunValue = number | Pick<Summary, 'value' | 'ci'> | undefined;

/**
 * The figure over the candidate's repeats: `of` gives it for one run (undefined: that run lacks it).
 * A candidate of one step measured several times (runs: N) whose value carries an interval: that interval.
 */
export function figure(c: Candidate, of: (run: ScenarioRun) => RunValue): Spread | undefined {
  const values = c.runs.map(of);
  const only = values[0];
  const runs = c.runs[0]?.runs ?? 1;
  if (values.length === 1 && typeof only === 'object' && only.ci && runs > 1) {
    return { median: only.value, min: only.ci.low, max: only.ci.high, n: runs, level: only.ci.level };
  }
  return spread(values.map((v) => (typeof v === 'object' ? v.value : v)).filter((v): v is number => v !== undefined));
}

/** The role's report in a run. */
export function roleOf(run: ScenarioRun, role: string): RoleReport | undefined {
  return run.roles?.find((r) => r.role === role);
}

/** The run's outcome of a role's SLO (undefined: the run did not check it). */
export function sloOutcomeOf(run: ScenarioRun, role: string, slo: Slo): SloOutcome | undefined {
  return roleOf(run, role)?.slo?.find((o) => o.percentile === slo.percentile && o.maxNs === slo.maxNs);
}

/** A tagged summary of a role in a run ("role.vsSolo", "role.latency.p99"), with its interval over repeated runs. */
export function roleSummary(run: ScenarioRun, role: string, tag: string): Summary | undefined {
  return roleOf(run, role)?.summaries.find((s) => s.tag === tag);
}

/** A tagged value of a role's summaries in a run ("role.vsSolo", "role.latency.p99"). */
export function roleValue(run: ScenarioRun, role: string, tag: string): number | undefined {
  return roleSummary(run, role, tag)?.value;
}

/** A tagged summary of a run's comparison ("aggregate.vsSolo", "fairness"), with its interval over repeated runs. */
export function comparisonSummary(run: ScenarioRun, tag: string): Summary | undefined {
  return run.comparison?.find((s) => s.tag === tag);
}

/** A tagged value of a run's comparison ("aggregate.vsSolo", "fairness"). */
export function comparisonValue(run: ScenarioRun, tag: string): number | undefined {
  return comparisonSummary(run, tag)?.value;
}

/** Whether two figures are within the noise of each other (their ranges over the repeats, or their intervals
 * over the runs, overlap, or their medians differ by less than PRACTICAL_DIFFERENCE): undefined when
 * either was measured once. */
export function withinNoise(a: Spread, b: Spread): boolean | undefined {
  if (a.n < 2 || b.n < 2) return undefined;
  return intervalsWithinNoise({ value: a.median, low: a.min, high: a.max }, { value: b.median, low: b.min, high: b.max });
}

const twoDecimals = (v: number) => v.toFixed(2);

/** "1.62×", with repeats "1.62× (1.58–1.65× over 3 runs)", with one step's runs "1.62× [1.58–1.65] over 5 runs";
 * `format` prints one value, `unit` follows it. */
export function spreadText(s: Spread, format: (v: number) => string = twoDecimals, unit = '×'): string {
  const at = `${format(s.median)}${unit}`;
  if (s.n < 2) return at;
  if (s.level !== undefined) return `${at} [${format(s.min)}–${format(s.max)}${unit === '×' ? '' : unit}] over ${s.n} runs`;
  return `${at} (${format(s.min)}–${format(s.max)}${unit} over ${s.n} runs)`;
}

/** "SLOs met", "SLO missed (infer p99)", "SLOs met in 2 of 3 runs"; '' when no role has an SLO. */
export function sloNote(c: Candidate): string {
  const outcomes = c.runs.map((run) => (run.roles ?? []).flatMap((r) => (r.slo ?? []).map((o) => ({ role: r.role, o }))));
  if (outcomes.every((list) => list.length === 0)) return '';
  const met = outcomes.filter((list) => list.every(({ o }) => o.met)).length;
  if (c.runs.length > 1) return `SLOs met in ${met} of ${c.runs.length} runs`;
  const missed = outcomes[0]!.filter(({ o }) => !o.met).map(({ role, o }) => `${role} ${o.percentile}`);
  return missed.length === 0 ? 'SLOs met' : `SLO missed (${missed.join(', ')})`;
}

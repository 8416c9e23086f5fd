// The peak rate under an SLO: the highest arrival rate of one role that still meets its objective with
// the other roles running. A bounded search over rates, each step a whole measured run:
//
//   1. Measure the low rate. If it misses, stop: nothing in range meets the SLO.
//   2. Grow geometrically (× growth, 2 by default) until a rate misses or the high rate meets. Growing
//      from below, not starting at the high end, keeps the search out of deep overload, whose steps
//      take as long and only say "missed".
//   3. Bisect geometrically (the square root of the product) between the highest rate that met and the
//      lowest that missed, until they are within the relative tolerance of each other.
//   Every step counts against maxSteps; when they run out, the search stops with the bracket it has.
//
// The highest rate that met is always below the lowest that missed: each new step lies between them.
// Latency is assumed to grow with the rate; where noise or the mix makes it not (a rate that misses
// below one that would meet), the search finds a rate that met with a miss at most the tolerance above
// it, not necessarily the highest such rate. Repeat the search to see how far the noise moves it.
import type { Slo, SloPercentile } from '../clients/slo.js';
import { sloText } from '../clients/slo.js';
import { OptionError } from '../errors.js';
import { summary, type Summary } from '../metrics/summary.js';
import type { RoleReport } from '../report/schema.js';
import { summaryTable } from '../report/summary-table.js';
import { sloFromSummaries } from './slo-summary.js';

/** What one step measured of the searched role and of the others. */
export interface PeakStep {
  /** The SLO's percentile at this rate, ns (null: unbounded, requests never started). */
  measuredNs: number | null;
  met: boolean;
  /** Share of the role's requests within the bound. */
  attainment: number;
  /** Each other role's throughput against alone at this rate (role.vsSolo). */
  others: Record<string, number>;
}

export interface PeakTrial extends PeakStep {
  rate: number;
}

export interface PeakSearch {
  /** Requests/s to start from: should meet the SLO. */
  lowRate: number;
  /** Requests/s not to go beyond. */
  highRate: number;
  /** Runs the scenario with the role at `rate` and says how it fared. */
  measure: (rate: number) => Promise<PeakStep>;
  /** Most steps (runs) in all, 2 or more. */
  maxSteps: number;
  /** Stop when the rate that met and the rate that missed are within this share of each other (e.g. 0.05). */
  relativeTolerance: number;
  /** Factor between steps while growing (default 2). */
  growth?: number;
  /** Called after each step (progress). */
  onStep?: (trial: PeakTrial) => void;
}

export const PEAK_STOPS = ['low-missed', 'high-met', 'converged', 'steps'] as const;

export interface PeakResult {
  /** The highest rate tried that met the SLO; null when the low rate missed. */
  peakRate: number | null;
  /** The lowest rate tried that missed it; null when none did (the high rate met). */
  missRate: number | null;
  /** Every step, in the order tried. */
  steps: PeakTrial[];
  stopped: (typeof PEAK_STOPS)[number];
  /** Why it stopped, in words. */
  reason: string;
}

function checkSearch(s: PeakSearch): void {
  const rate = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0)) throw new OptionError(`peak ${name}`, 'a rate above 0 requests/s', v);
  };
  rate('lowRate', s.lowRate);
  rate('highRate', s.highRate);
  if (s.highRate < s.lowRate) throw new OptionError('peak highRate', `a rate at or above lowRate (${s.lowRate}/s)`, s.highRate);
  if (!Number.isInteger(s.maxSteps) || s.maxSteps < 2) throw new OptionError('peak maxSteps', 'an integer of 2 or more', s.maxSteps);
  if (!(s.relativeTolerance > 0 && s.relativeTolerance < 1))
    throw new OptionError('peak relativeTolerance', 'a share between 0 and 1, e.g. 0.05', s.relativeTolerance);
  if (s.growth !== undefined && !(s.growth > 1 && Number.isFinite(s.growth))) throw new OptionError('peak growth', 'a factor above 1', s.growth);
}

const rateText = (r: number) => `${Number(r.toPrecision(4)).toLocaleString('en-US')}/s`;

/** Searches for the highest rate that meets the SLO (see the top of this file); `measure` errors propagate. */
export async function findPeakRate(search: PeakSearch): Promise<PeakResult> {
  checkSearch(search);
  const { lowRate, highRate, maxSteps, relativeTolerance } = search;
  const growth = search.growth ?? 2;
  const steps: PeakTrial[] = [];
  const tryRate = async (rate: number) => {
    const trial = { ...(await search.measure(rate)), rate };
    steps.push(trial);
    search.onStep?.(trial);
    return trial.met;
  };
  const done = (peakRate: number | null, missRate: number | null, stopped: PeakResult['stopped'], reason: string): PeakResult => ({
    peakRate,
    missRate,
    steps,
    stopped,
    reason,
  });
  if (!(await tryRate(lowRate))) return done(null, lowRate, 'low-missed', `the lowest rate, ${rateText(lowRate)}, misses the SLO`);
  let met = lowRate;
  let missed: number | undefined;
  while (missed === undefined) {
    if (met >= highRate) return done(met, null, 'high-met', `the highest rate, ${rateText(highRate)}, meets the SLO: the peak is there or above`);
    if (steps.length >= maxSteps) return done(met, null, 'steps', `${maxSteps} steps spent while growing: the peak is above ${rateText(met)}`);
    const next = Math.min(highRate, met * growth);
    if (await tryRate(next)) met = next;
    else missed = next;
  }
  while (missed / met - 1 > relativeTolerance) {
    if (steps.length >= maxSteps) return done(met, missed, 'steps', `${maxSteps} steps spent: the peak is between ${rateText(met)} and ${rateText(missed)}`);
    const mid = Math.sqrt(met * missed);
    if (await tryRate(mid)) met = mid;
    else missed = mid;
  }
  const within = `${(relativeTolerance * 100).toFixed(relativeTolerance < 0.01 ? 1 : 0)}%`;
  return done(met, missed, 'converged', `met at ${rateText(met)}, missed at ${rateText(missed)}: within ${within}`);
}

/** The share of requests beyond each percentile, and the fewest requests a step needs in all. */
const TAIL: Record<SloPercentile, number> = { p50: 0.5, p90: 0.1, p95: 0.05, p99: 0.01, 'p99.9': 0.001, max: 0.001 };
/** Requests a step must have beyond the percentile. */
export const REQUESTS_BEYOND = 10;
export const MIN_STEP_REQUESTS = 100;

/**
 * How many requests a step needs for the percentile to mean something: at least REQUESTS_BEYOND (10)
 * beyond it, so that it is not just one of the few slowest requests (p99: 1,000; p99.9: 10,000), and
 * at least MIN_STEP_REQUESTS (100) in all (p50, p90: 100; p95: 200). `max` is read as p99.9: the
 * slowest of 10,000 requests.
 */
export function requestsNeeded(percentile: SloPercentile): number {
  return Math.max(MIN_STEP_REQUESTS, Math.ceil(REQUESTS_BEYOND / TAIL[percentile] - 1e-9));
}

/** How long a step at `rate` requests/s must measure for `percentile`: requestsNeeded at that rate, and at least minNs. Long at low rates (p99.9 at 10/s: 1,000 s): the caller caps it and says so. */
export function stepDurationNs(rate: number, percentile: SloPercentile, minNs: number): number {
  if (!(Number.isFinite(rate) && rate > 0)) throw new OptionError('peak rate', 'a rate above 0 requests/s', rate);
  return Math.max(minNs, Math.ceil((requestsNeeded(percentile) / rate) * 1e9));
}

/** A step from a run's role reports: the searched role's SLO (its own outcome, else from its summaries) and the others' vs-alone ratios. */
export function peakStep(roles: readonly RoleReport[], role: string, slo: Slo): PeakStep {
  const mine = roles.find((r) => r.role === role);
  const outcome = mine?.slo?.find((o) => o.percentile === slo.percentile && o.maxNs === slo.maxNs) ?? (mine ? sloFromSummaries(slo, mine) : undefined);
  const others: Record<string, number> = {};
  for (const r of roles) {
    const v = r.summaries.find((s) => s.tag === 'role.vsSolo')?.value;
    if (r.role !== role && v !== undefined) others[r.role] = v;
  }
  return { measuredNs: outcome?.measuredNs ?? null, met: outcome?.met ?? false, attainment: outcome?.attainment ?? 0, others };
}

/** The search in lines: the peak (and the others' throughput there), each step, and why it stopped. */
export function formatPeak(result: PeakResult, role: string, slo: Slo, mode: string): string[] {
  const at = result.peakRate === null ? undefined : result.steps.find((s) => s.rate === result.peakRate);
  const others = at ? Object.entries(at.others).map(([r, v]) => `${r} ${v.toFixed(2)}× alone`) : [];
  const head =
    result.peakRate === null
      ? `${role} under ${mode}: no rate tried meets ${sloText(slo)}`
      : `${role} under ${mode}: peak ${rateText(result.peakRate)} meeting ${sloText(slo)}${others.length ? `, with ${others.join(', ')}` : ''}`;
  const rows = [...result.steps]
    .sort((a, b) => a.rate - b.rate)
    .map((s) => {
      const summaries: Summary[] = [
        summary('measured', slo.percentile, 'duration', s.measuredNs ?? Infinity),
        summary('attainment', 'within bound', 'fraction', s.attainment),
      ];
      for (const [r, v] of Object.entries(s.others)) summaries.push(summary(`${r}.vsSolo`, `${r} vs alone`, 'ratio', v));
      return { labels: [rateText(s.rate), s.met ? 'met' : 'MISSED'], summaries };
    });
  return [
    head,
    ...summaryTable(['rate', sloText(slo)], rows).split('\n'),
    `stopped: ${result.reason} (${result.steps.length} step${result.steps.length === 1 ? '' : 's'})`,
  ];
}

// `advise`: from a scenario's measured runs, the mode and knob values to choose for an objective, why,
// with the figures, the candidates within the noise, and (with --gpu-cost) what the work costs.
//
// `--slo infer:p99<=5ms` replaces the SLOs of the role it names (the other roles keep theirs). It is
// checked against the role summaries already in the summary, not the run files' samples, so only the
// percentiles those hold can be asked for: p50, p95, p99, p99.9 and max (src/scenario/slo-summary.ts).
// An SLO equal to one the run checked keeps that run's outcome.
import type { SloOutcome } from '../clients/slo.js';
import { parseSlos, type Slo, sloText } from '../clients/slo.js';
import { OptionError } from '../errors.js';
import { summary, type Summary } from '../metrics/summary.js';
import { summaryTable } from '../report/summary-table.js';
import { type Candidate, candidates, comparisonSummary, figure, finished, knobsText, roleSummary, sloNote, sloOutcomeOf, type Spread } from './candidates.js';
import { costSheet, formatCosts } from './cost.js';
import { OBJECTIVES, type Objective, type ScenarioRun, type ScenarioSummary, type Verdict } from './result-schema.js';
import { SUMMARY_PERCENTILES, sloFromSummaries } from './slo-summary.js';
import { formatVerdicts, type VerdictSpec, verdicts } from './verdict.js';

/** Parses --objective: slo, throughput or fairness. */
export function parseObjective(raw: unknown): Objective {
  if (typeof raw !== 'string' || !(OBJECTIVES as readonly string[]).includes(raw.trim())) {
    throw new OptionError('--objective', 'slo (meet every SLO, keep the most of the rest), throughput (the most aggregate) or fairness', raw);
  }
  return raw.trim() as Objective;
}

const SUMMARY_NAMES = SUMMARY_PERCENTILES.map(([p]) => p);

/** Parses one --slo: "ROLE:OBJECTIVES", e.g. "infer:p99<=5ms" or "infer:p50<=1ms&p99<=5ms", for a role among `roles`. */
export function parseSloFlag(raw: unknown, roles: readonly string[]): { role: string; slos: Slo[] } {
  const colon = typeof raw === 'string' ? raw.indexOf(':') : -1;
  if (colon < 0) throw new OptionError('--slo', 'ROLE:OBJECTIVES such as infer:p99<=5ms', raw);
  const role = (raw as string).slice(0, colon).trim();
  if (!roles.includes(role)) throw new OptionError('--slo', `a role of the scenario (${roles.join(', ')}) before the colon`, raw);
  const slos = parseSlos('--slo', (raw as string).slice(colon + 1));
  const other = slos.find((s) => !SUMMARY_NAMES.includes(s.percentile));
  if (other) throw new OptionError('--slo', `a percentile the results hold (${SUMMARY_NAMES.join(', ')}), not ${other.percentile}`, raw);
  return { role, slos };
}

/** Parses every --slo given; each role at most once. */
export function parseSloFlags(raws: readonly unknown[], roles: readonly string[]): Record<string, Slo[]> {
  const out: Record<string, Slo[]> = {};
  for (const raw of raws) {
    const { role, slos } = parseSloFlag(raw, roles);
    if (role in out) throw new OptionError('--slo', `one --slo per role (${role} twice: join objectives with &)`, raw);
    out[role] = slos;
  }
  return out;
}

export interface AdviseInput {
  summary: ScenarioSummary;
  objective: Objective;
  /** --slo: the SLOs of the roles named, replacing theirs. */
  slos?: Record<string, Slo[]>;
  /** --gpu-cost: the price of one GPU for an hour. */
  gpuCost?: number;
}

export interface Advice {
  pick: Verdict;
  lines: string[];
}

/** The runs with the roles' SLOs replaced by `slos`, each checked from the role's summaries (or the run's own outcome of it). */
function withSlos(runs: readonly ScenarioRun[], slos: Record<string, Slo[]>): ScenarioRun[] {
  return runs.map((run) => {
    if (!run.roles) return run;
    const roles = run.roles.map((r) => {
      const wanted = slos[r.role];
      if (!wanted) return r;
      const slo = wanted.flatMap((s): SloOutcome[] => {
        const own = r.slo?.find((o) => o.percentile === s.percentile && o.maxNs === s.maxNs);
        const outcome = own ?? sloFromSummaries(s, r);
        return outcome ? [outcome] : [];
      });
      return { ...r, slo };
    });
    return { ...run, roles };
  });
}

const OBJECTIVE_TEXT: Record<Objective, (sloText: string) => string> = {
  slo: (slos) => `meet every SLO (${slos || 'none given'}) and keep the most throughput of the other roles`,
  throughput: () => "the most aggregate throughput (the sum of each client's share of its role alone)",
  fairness: () => "the fairest shares (Jain's index of each client's share of its role alone)",
};

/** Picks a mode and knob values for the objective from the summary's runs, and says why in lines. */
export function advise(input: AdviseInput): Advice {
  const { summary: s, objective } = input;
  const roles = s.scenario.roles.map((r) => r.role);
  for (const role of Object.keys(input.slos ?? {})) {
    if (!roles.includes(role)) throw new OptionError('--slo', `a role of the scenario (${roles.join(', ')})`, role);
  }
  const specs: VerdictSpec[] = s.scenario.roles.map((r) => ({ role: r.role, slo: input.slos?.[r.role] ?? r.slo }));
  const runs = input.slos ? withSlos(s.runs, input.slos) : s.runs;
  const all = verdicts(specs, runs);
  const pick = all.find((v) => v.objective === objective)!;
  const slos = specs.flatMap((spec) => (spec.slo ?? []).map((slo) => `${spec.role} ${sloText(slo)}`)).join(', ');
  const lines = [
    `Scenario ${s.scenario.name}: ${runs.length} run${runs.length === 1 ? '' : 's'}`,
    `Objective: ${OBJECTIVE_TEXT[objective](slos)}`,
    `Pick: ${pick.mode ? (pick.knobs ? `${pick.mode} with ${knobsText(pick.knobs)}` : pick.mode) : 'none'}`,
    `Why: ${pick.text}`,
    noiseLine(pick),
    '',
    ...candidateTable(specs, runs),
    ...notCandidates(runs),
  ];
  if (input.gpuCost !== undefined) lines.push('', ...formatCosts(costSheet(s.scenario.roles, runs, input.gpuCost)));
  lines.push('', 'Other objectives:', ...formatVerdicts(all.filter((v) => v !== pick)).slice(1));
  return { pick, lines };
}

function noiseLine(pick: Verdict): string {
  if (!pick.mode) return 'Noise: no pick to compare with';
  if (pick.withinNoise === undefined) return 'Noise: unknown, as a candidate ran once (measure with --runs N or repeat with --repeat N to know it)';
  if (pick.withinNoise.length === 0) return 'Noise: no other candidate is within the noise of the pick';
  return `Noise: within the noise of the pick, as good by these runs: ${pick.withinNoise.join(', ')} (more repeats may tell them apart)`;
}

/** Every candidate's figures: each role's vs-alone ratio, each SLO's percentile, aggregate and fairness, medians over repeats. */
function candidateTable(specs: readonly VerdictSpec[], runs: readonly ScenarioRun[]): string[] {
  const rows = candidates(runs).map((c) => ({ labels: [c.label, String(c.runs.length)], summaries: candidateSummaries(c, specs), note: sloNote(c) }));
  if (rows.length === 0) return ['Candidates: none (no run finished)'];
  return ['Candidates (medians over their runs):', ...summaryTable(['candidate', 'runs'], rows).split('\n')];
}

/** A candidate's figure as a summary: the median, and where it is one step's runs (runs: N), their confidence interval. */
function figureSummary(tag: string, name: string, hint: Summary['hint'], s: Spread): Summary {
  const out = summary(tag, name, hint, s.median);
  return s.level !== undefined ? { ...out, ci: { low: s.min, high: s.max, level: s.level } } : out;
}

function candidateSummaries(c: Candidate, specs: readonly VerdictSpec[]): Summary[] {
  const out: Summary[] = [];
  for (const spec of specs) {
    const ratio = figure(c, (run) => roleSummary(run, spec.role, 'role.vsSolo'));
    if (ratio) out.push(figureSummary(`${spec.role}.vsSolo`, `${spec.role} vs alone`, 'ratio', ratio));
    for (const slo of spec.slo ?? []) {
      const at = figure(c, (run) => {
        const o = sloOutcomeOf(run, spec.role, slo);
        return o ? { value: o.measuredNs ?? Infinity, ...(o.ci ? { ci: o.ci } : {}) } : undefined;
      });
      if (at) out.push(figureSummary(`${spec.role}.${slo.percentile}`, `${spec.role} ${slo.percentile}`, 'duration', at));
    }
  }
  const aggregate = figure(c, (run) => comparisonSummary(run, 'aggregate.vsSolo'));
  if (aggregate) out.push(figureSummary('aggregate.vsSolo', 'aggregate', 'ratio', aggregate));
  const fairness = figure(c, (run) => comparisonSummary(run, 'fairness'));
  if (fairness) out.push(figureSummary('fairness', 'fairness', 'fraction', fairness));
  return out;
}

/** "Not candidates: mig (skipped: MIG is disabled)". */
function notCandidates(runs: readonly ScenarioRun[]): string[] {
  const left = runs.filter((r) => !finished(r));
  if (left.length === 0) return [];
  const why = (r: ScenarioRun) =>
    `${r.mode}${r.knobs ? ` (${knobsText(r.knobs)})` : ''} (${r.status === 'done' ? 'incomplete' : r.status}${r.reason ? `: ${r.reason}` : ''})`;
  return [`Not candidates: ${left.map(why).join('; ')}`];
}

// The verdicts of a scenario: for each objective, which candidate (a mode, with its knob values in a
// knob sweep) does best, with the figures, and whether the runner-up is within the noise.
//
//   slo         Among the candidates that met every SLO in every one of their runs, the one that keeps
//               the most throughput of the roles without an SLO: the geometric mean of those roles'
//               "vs alone" ratios (1 = as fast as alone). Geometric, not arithmetic: a candidate that
//               starves one role (0.1×) while the other runs alone-fast (1.0×) scores 0.32, below one
//               that gives both 0.5×; the arithmetic mean would score them alike. When every role has an
//               SLO, the mean is over all roles. When none met every SLO, the verdict picks nothing and
//               names the closest: the highest share of requests within their bounds, taking for each
//               run its lowest attainment over the SLOs.
//   throughput  The highest aggregate.vsSolo (the sum of each client's share of its role alone).
//   fairness    The highest fairness (Jain's index of those shares).
//
// A candidate's figure is the median over its repeats; ties go to the first candidate in run order. The
// noise rule is candidates.ts's: ranges (min..max over the repeats) that overlap, when every candidate
// ran at least twice, or — for candidates of one step measured several times (runs: N) — confidence
// intervals over those runs that overlap; otherwise the text says the noise is unknown and withinNoise
// is left out.
import { geometricMean } from 'simple-statistics';
import { type Slo, sloText } from '../clients/slo.js';
import type { ClientSpec } from '../clients/spec.js';
import { formatDuration } from '../report/format.js';
import {
  type Candidate,
  candidates,
  comparisonSummary,
  figure,
  roleSummary,
  roleValue,
  sloOutcomeOf,
  type Spread,
  spread,
  spreadText,
  withinNoise,
} from './candidates.js';
import type { Objective, ScenarioRun, Verdict } from './result-schema.js';

/** What the verdicts read of a spec: its role and its objectives. */
export type VerdictSpec = Pick<ClientSpec, 'role' | 'slo'>;

interface Ranked {
  c: Candidate;
  figure: Spread | undefined;
}

const REPEAT_HINT = 'measure with --runs N or repeat with --repeat N to know it';

/** The candidate with the highest median (first on ties), and how the others stand against it. */
function best(ranked: readonly Ranked[]): { pick: Ranked; clause: string; withinNoise?: string[] } {
  let pick = ranked[0]!;
  for (const r of ranked) if ((r.figure?.median ?? -Infinity) > (pick.figure?.median ?? -Infinity)) pick = r;
  const others = ranked.filter((r) => r !== pick);
  if (!pick.figure) return { pick, clause: 'no run has the figure to rank them by' };
  if (others.length === 0) return { pick, clause: 'the only candidate', withinNoise: [] };
  const once = ranked.filter((r) => (r.figure?.n ?? 0) < 2);
  if (once.length > 0) {
    const ties = others.filter((r) => r.figure !== undefined && r.figure.median === pick.figure?.median).map((r) => r.c.label);
    const tied = ties.length > 0 ? `tied with ${ties.join(', ')}; ` : '';
    const who = once.length === ranked.length ? 'one run each' : `${once.map((r) => r.c.label).join(', ')} ran once`;
    return { pick, clause: `${tied}${who}: the noise is unknown (${REPEAT_HINT})` };
  }
  const within = others.filter((r) => withinNoise(pick.figure!, r.figure!)).map((r) => r.c.label);
  // Ranges over repeats, or confidence intervals over one step's runs (runs: N), or both.
  const kinds = new Set(ranked.map((r) => (r.figure?.level !== undefined ? 'interval' : 'range')));
  const what = kinds.size > 1 ? 'ranges or intervals' : kinds.has('interval') ? 'confidence intervals over the runs' : 'ranges over the repeats';
  const one = kinds.size > 1 ? 'range or interval' : kinds.has('interval') ? 'interval' : 'range over the repeats';
  const clause =
    within.length > 0
      ? `within the noise of ${within.join(', ')} (their ${what} overlap, or their medians are within 1%)`
      : `ahead of the others beyond the noise (no ${one} overlaps, and every median is more than 1% behind)`;
  return { pick, clause, withinNoise: within };
}

/** "train 0.91×, infer 0.71×": each role's median vs-alone ratio. */
function rolesText(c: Candidate, roles: readonly string[]): string {
  return roles
    .map((role) => {
      const s = figure(c, (run) => roleValue(run, role, 'role.vsSolo'));
      return s ? `${role} ${s.median.toFixed(2)}×` : `${role} -`;
    })
    .join(', ');
}

/** The verdict of a comparison figure: aggregate throughput or fairness. */
function comparisonVerdict(objective: Objective, tag: string, headline: string, all: readonly Candidate[], roles: readonly string[]): Verdict {
  const ranked = all.map((c) => ({ c, figure: figure(c, (run) => comparisonSummary(run, tag)) })).filter((r) => r.figure !== undefined);
  if (ranked.length === 0) {
    const needs = objective === 'fairness' ? "every role's solo baseline and two clients or more" : "every role's solo baseline";
    const why = all.length === 0 ? 'no run finished' : `no run has ${tag} (it needs ${needs})`;
    return { objective, text: `${headline}: no pick: ${why}` };
  }
  const { pick, clause, withinNoise } = best(ranked);
  const value = objective === 'fairness' ? spreadText(pick.figure!, (v) => (v * 100).toFixed(1), '%') : spreadText(pick.figure!);
  const text = `${headline}: ${pick.c.label}, ${value} (${rolesText(pick.c, roles)}); ${clause}`;
  return { objective, mode: pick.c.mode, ...knobsOf(pick.c), text, ...(withinNoise ? { withinNoise } : {}) };
}

function knobsOf(c: Candidate): { knobs?: Record<string, unknown> } {
  return Object.keys(c.knobs).length > 0 ? { knobs: c.knobs } : {};
}

/** One verdict per objective (OBJECTIVES order) over the scenario's runs; runs that did not finish are left out. */
export function verdicts(specs: readonly VerdictSpec[], runs: readonly ScenarioRun[]): Verdict[] {
  const all = candidates(runs);
  const roles = specs.map((s) => s.role);
  return [
    sloVerdict(specs, all),
    comparisonVerdict('throughput', 'aggregate.vsSolo', "most aggregate throughput (sum of each client's share of its role alone)", all, roles),
    comparisonVerdict('fairness', 'fairness', "fairest shares (Jain's index of the clients' shares of their roles alone, 100% = equal)", all, roles),
  ];
}

interface SloStanding extends Ranked {
  /** Runs that met every SLO. */
  met: number;
  /** Each run's lowest attainment over the SLOs. */
  attainment: Spread;
}

/** Each SLO's outcome in a run, in the specs' order (undefined: the run did not check it). */
function outcomes(run: ScenarioRun, sloSpecs: readonly VerdictSpec[]) {
  return sloSpecs.flatMap((s) => (s.slo ?? []).map((slo) => sloOutcomeOf(run, s.role, slo)));
}

function standing(c: Candidate, sloSpecs: readonly VerdictSpec[], kept: readonly string[]): SloStanding {
  const met = c.runs.filter((run) => outcomes(run, sloSpecs).every((o) => o?.met === true)).length;
  const attainment = spread(c.runs.map((run) => Math.min(...outcomes(run, sloSpecs).map((o) => o?.attainment ?? 0))))!;
  const keptOf = (run: ScenarioRun) => {
    // One role kept: its ratio as measured, with its interval over repeated runs; several: their geometric mean.
    if (kept.length === 1) return roleSummary(run, kept[0]!, 'role.vsSolo');
    const ratios = kept.map((role) => roleValue(run, role, 'role.vsSolo'));
    return ratios.every((v): v is number => v !== undefined && v >= 0) ? geometricMean(ratios) : undefined;
  };
  return { c, met, attainment, figure: figure(c, keptOf) };
}

/** "infer p99 3.10 ms ≤ 5.00 ms" for each SLO: the median over the candidate's runs. */
function sloFigures(c: Candidate, sloSpecs: readonly VerdictSpec[]): string {
  return sloSpecs
    .flatMap((s) =>
      (s.slo ?? []).map((slo: Slo) => {
        const measured = figure(c, (run) => {
          const o = sloOutcomeOf(run, s.role, slo);
          return o ? (o.measuredNs ?? Infinity) : undefined;
        });
        if (!measured) return `${s.role} ${sloText(slo)} not checked`;
        const at = Number.isFinite(measured.median) ? formatDuration(measured.median) : 'unbounded (requests never started)';
        return `${s.role} ${slo.percentile} ${at} ${measured.median <= slo.maxNs ? '≤' : '>'} ${formatDuration(slo.maxNs)}`;
      }),
    )
    .join(', ');
}

/** "keeps the most train throughput", or of several roles, or of every role when all have SLOs. */
function keptHeadline(kept: readonly string[], all: boolean): string {
  if (all) return "keeps the most throughput (geometric mean of every role's vs-alone ratio)";
  if (kept.length === 1) return `keeps the most ${kept[0]} throughput`;
  return `keeps the most throughput of ${kept.slice(0, -1).join(', ')} and ${kept.at(-1)} (geometric mean of their vs-alone ratios)`;
}

function sloVerdict(specs: readonly VerdictSpec[], all: readonly Candidate[]): Verdict {
  const sloSpecs = specs.filter((s) => (s.slo?.length ?? 0) > 0);
  if (sloSpecs.length === 0) return { objective: 'slo', text: 'no role has an SLO: give one in the scenario or with --slo ROLE:p99<=5ms' };
  if (all.length === 0) return { objective: 'slo', text: 'no run finished: nothing meets the SLOs' };
  const free = specs.filter((s) => (s.slo?.length ?? 0) === 0).map((s) => s.role);
  const kept = free.length > 0 ? free : specs.map((s) => s.role);
  const standings = all.map((c) => standing(c, sloSpecs, kept));
  const meeting = standings.filter((s) => s.met === s.c.runs.length);
  if (meeting.length > 0) {
    const { pick, clause, withinNoise } = best(meeting);
    const figures = [kept.map((role) => keptRole(pick.c, role)).join(', '), sloFigures(pick.c, sloSpecs)].join(', ');
    const text = `meets every SLO and ${keptHeadline(kept, free.length === 0)}: ${pick.c.label}, ${figures}; ${clause}`;
    return { objective: 'slo', mode: pick.c.mode, ...knobsOf(pick.c), text, ...(withinNoise ? { withinNoise } : {}) };
  }
  const { pick, clause } = best(standings.map((s) => ({ ...s, figure: s.attainment })));
  const closest = pick as SloStanding;
  const some = closest.met > 0 ? `, met every SLO in ${closest.met} of ${closest.c.runs.length} runs` : '';
  const share = spreadText(closest.attainment, (v) => (v * 100).toFixed(1), '%');
  const figures = `${share} of requests within their bounds${some}, ${sloFigures(closest.c, sloSpecs)}, ${kept.map((r) => keptRole(closest.c, r)).join(', ')}`;
  return { objective: 'slo', text: `no run meets every SLO; closest: ${closest.c.label}, ${figures}; ${clause}` };
}

/** "0.91× train" (with the range over repeats, or the interval over one step's runs). */
function keptRole(c: Candidate, role: string): string {
  const s = figure(c, (run) => roleSummary(run, role, 'role.vsSolo'));
  return s ? `${spreadText(s)} ${role}` : `${role} vs alone unknown`;
}

const OBJECTIVE_LABELS: Record<Objective, string> = { slo: 'SLOs', throughput: 'throughput', fairness: 'fairness' };

/** The lines printed before any table: "Verdicts:" and one line per objective. */
export function formatVerdicts(list: readonly Verdict[]): string[] {
  if (list.length === 0) return [];
  const width = Math.max(...list.map((v) => OBJECTIVE_LABELS[v.objective].length));
  return ['Verdicts:', ...list.map((v) => `  ${OBJECTIVE_LABELS[v.objective].padEnd(width)}  ${v.text}`)];
}

// Repeated runs (--runs N) made into one result. Each run is the roles alone, then the shared phase
// (B1 S1 B2 S2 …: a drift of the clocks or the temperature hits both sides of every ratio alike), and
// each run's figures are compared as a single run's are (src/run.ts compare(), src/metrics/roles.ts).
// The result then reports, as the median over the runs with its confidence interval (Summary.ci,
// src/metrics/interval.ts):
//   - the comparison (aggregate vs solo, worst slowdown, fairness);
//   - each shared client's ratios to its role alone (slowdown, p50 and p99 vs solo), by client index;
//   - every figure of each role, and each SLO check (the median percentile against the bound).
// The phases the result records (baselines, shared: samples, switches, the device) are those of one
// run, the median run by the headline figure (the first of the comparison), so that what a reader
// sees of them sits in the middle of the spread. Every run's headline figures are kept in
// `repeats.perRun`, and values that stand out among the runs in `repeats.outliers`.
import { z } from 'zod';
import { type SloOutcome, sloOutcomeSchema } from '../clients/slo.js';
import { formatSummaryValue } from '../report/format.js';
import { estimate, modifiedZ, runOutliers } from './interval.js';
import { summarySchema, type Summary } from './summary.js';

const figures = z.array(summarySchema);

/** One run's headline figures. */
export const runFiguresSchema = z.object({
  complete: z.boolean(),
  reason: z.string().optional(),
  /** Shared against solo in this run: aggregate vs solo, worst slowdown, fairness. */
  comparison: figures,
  /** Each role alone in this run: its client's throughput and p99 latency. */
  solo: z.array(z.object({ role: z.string(), summaries: figures })),
  /** Each shared client's ratios to its role alone in this run. */
  clients: z.array(z.object({ client: z.number().int().nonnegative(), summaries: figures })),
  /** Each role's figures in this run, and its objectives. */
  roles: z.array(z.object({ role: z.string(), summaries: figures, slo: z.array(sloOutcomeSchema).optional() })),
});
export type RunFigures = z.infer<typeof runFiguresSchema>;

export const outlierSchema = z.object({
  /** Which figure: "aggregate.vsSolo", "client 2 slowdown", "infer role.vsSolo". */
  figure: z.string(),
  /** Its name as printed: "aggregate throughput vs solo", "client 2: slowdown vs solo". */
  name: z.string(),
  /** The run (0-based) whose value stands out. */
  run: z.number().int().nonnegative(),
  value: z.number(),
  /** The median over the runs. */
  median: z.number(),
  /** Its modified z-score, 0.6745·|value − median| / MAD. */
  score: z.number(),
  hint: summarySchema.shape.hint,
});
export type Outlier = z.infer<typeof outlierSchema>;

/** A result's record of its repeated runs (`repeats`, present when --runs was 2 or more). */
export const repeatsSchema = z.object({
  /** Runs asked for (--runs). */
  asked: z.number().int().min(2),
  /** Runs made: fewer than asked when the measurement was interrupted. */
  runs: z.number().int().min(1),
  /** How the intervals are made: between two order statistics (src/metrics/interval.ts). */
  method: z.enum(['order-statistic']),
  /** Which run (0-based) the result's baselines and shared phase are: the median run by the headline figure. */
  recorded: z.number().int().nonnegative(),
  /** Every run's headline figures, in run order. */
  perRun: z.array(runFiguresSchema),
  /** Values that stand out among the runs: modified z-score above 10 and more than 1% from the median. */
  outliers: z.array(outlierSchema),
});
export type Repeats = z.infer<typeof repeatsSchema>;

/** What this file reads of a client's report and of a role's (src/report/schema.ts has them whole). */
interface RunClient {
  client: number;
  summaries: Summary[];
}
interface RunRole {
  role: string;
  summaries: Summary[];
  slo?: SloOutcome[] | undefined;
}

/** One measured run, as src/run.ts makes it: the phases, and what compare() and roleReports() made of them. */
export interface MeasuredRun<C extends RunClient = RunClient, R extends RunRole = RunRole> {
  baselines: ReadonlyMap<string, { clients: readonly RunClient[] }>;
  /** The shared phase, its clients with their ratios to solo. */
  shared: { clients: C[] };
  comparison: Summary[];
  roles: R[];
  complete: boolean;
  reason?: string;
}

/** The median (with its interval) of each tag over the lists, in order of first appearance; `keep` picks the tags. */
export function medianSummaries(lists: ReadonlyArray<readonly Summary[] | undefined>, keep: (s: Summary) => boolean = () => true): Summary[] {
  const first = new Map<string, Summary>();
  for (const list of lists) for (const s of list ?? []) if (keep(s) && !first.has(s.tag)) first.set(s.tag, s);
  const out: Summary[] = [];
  for (const [tag, s] of first) {
    const values = lists.map((l) => l?.find((x) => x.tag === tag)?.value).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const e = estimate(values);
    if (!e) continue;
    const { ci: _old, ...rest } = s;
    out.push({ ...rest, value: e.value, ...(e.ci ? { ci: e.ci } : {}) });
  }
  return out;
}

/** The headline figure a run is ranked by: the first of its comparison, else its first role's first figure. */
function headlineOf(run: MeasuredRun, tag: string | undefined): number | undefined {
  if (tag === undefined) return undefined;
  return [...run.comparison, ...(run.roles[0]?.summaries ?? [])].find((s) => s.tag === tag)?.value;
}

/** The run whose headline figure is the median of the runs' (the lower of the two middle ones), among the complete runs if any; else the last. */
export function medianRun(runs: readonly MeasuredRun[]): number {
  const pool = runs.some((r) => r.complete) ? runs.map((r, i) => ({ r, i })).filter(({ r }) => r.complete) : runs.map((r, i) => ({ r, i }));
  const tag = pool[0]?.r.comparison[0]?.tag ?? pool[0]?.r.roles[0]?.summaries[0]?.tag;
  const ranked = pool
    .map(({ r, i }) => ({ i, v: headlineOf(r, tag) }))
    .filter((x): x is { i: number; v: number } => x.v !== undefined && Number.isFinite(x.v))
    .sort((a, b) => a.v - b.v || a.i - b.i);
  if (ranked.length === 0) return runs.length - 1;
  return ranked[Math.floor((ranked.length - 1) / 2)]!.i;
}

/** Each SLO of a role over the runs: the median percentile against the bound, its interval, the runs that met it, attainment over every request. */
export function combineSlo(recorded: readonly SloOutcome[], perRun: ReadonlyArray<readonly SloOutcome[] | undefined>): SloOutcome[] {
  return recorded.map((o, j) => {
    const each = perRun.map((list) => list?.[j]).filter((x): x is SloOutcome => x?.percentile === o.percentile && x.maxNs === o.maxNs);
    const e = estimate(each.map((x) => x.measuredNs ?? Infinity))!;
    const requests = each.reduce((n, x) => n + x.requests, 0);
    const within = each.reduce((n, x) => n + x.attainment * x.requests, 0);
    const ci = e.ci && Number.isFinite(e.ci.low) && Number.isFinite(e.ci.high) ? e.ci : undefined;
    return {
      percentile: o.percentile,
      maxNs: o.maxNs,
      measuredNs: Number.isFinite(e.value) ? e.value : null,
      met: e.value <= o.maxNs,
      attainment: requests > 0 ? within / requests : 0,
      requests,
      ...(ci ? { ci } : {}),
      runs: { met: each.filter((x) => x.met).length, of: each.length },
    };
  });
}

/** One run's headline figures, as repeats.perRun records them. */
function figuresOf(run: MeasuredRun): RunFigures {
  const keep = new Set(['throughput', 'latency.p99']);
  return {
    complete: run.complete,
    ...(run.reason ? { reason: run.reason } : {}),
    comparison: run.comparison,
    solo: [...run.baselines].map(([role, phase]) => ({ role, summaries: phase.clients[0]?.summaries.filter((s) => keep.has(s.tag)) ?? [] })),
    clients: run.shared.clients.map((c) => ({ client: c.client, summaries: c.summaries.filter((s) => s.hint === 'ratio') })),
    roles: run.roles.map((r) => ({ role: r.role, summaries: r.summaries, ...(r.slo ? { slo: r.slo } : {}) })),
  };
}

/** The values of one figure over the runs that stand out, as outliers. */
function outliersOf(figure: string, name: string, values: ReadonlyArray<Summary | undefined>): Outlier[] {
  const present = values.flatMap((s, run) => (s && Number.isFinite(s.value) ? [{ s, run }] : []));
  const numbers = present.map((p) => p.s.value);
  const mid = estimate(numbers)?.value;
  if (mid === undefined) return [];
  return runOutliers(numbers).map((i) => {
    const { s, run } = present[i]!;
    return { figure, name, run, value: s.value, median: mid, score: modifiedZ(s.value, numbers), hint: s.hint };
  });
}

/** Every figure's outliers: the comparison's, each client's ratios', each role's ratios'. */
function outliers(perRun: readonly RunFigures[]): Outlier[] {
  const out: Outlier[] = [];
  const tags = (lists: ReadonlyArray<readonly Summary[] | undefined>) => [...new Set(lists.flatMap((l) => (l ?? []).map((s) => s.tag)))];
  const at = (list: readonly Summary[] | undefined, tag: string) => list?.find((s) => s.tag === tag);
  const nameOf = (lists: ReadonlyArray<readonly Summary[] | undefined>, tag: string) => lists.map((l) => at(l, tag)?.name).find(Boolean) ?? tag;
  const comparisons = perRun.map((r) => r.comparison);
  for (const tag of tags(comparisons))
    out.push(
      ...outliersOf(
        tag,
        nameOf(comparisons, tag),
        comparisons.map((l) => at(l, tag)),
      ),
    );
  for (const client of new Set(perRun.flatMap((r) => r.clients.map((c) => c.client)))) {
    const lists = perRun.map((r) => r.clients.find((c) => c.client === client)?.summaries);
    for (const tag of tags(lists))
      out.push(
        ...outliersOf(
          `client ${client} ${tag}`,
          `client ${client}: ${nameOf(lists, tag)}`,
          lists.map((l) => at(l, tag)),
        ),
      );
  }
  for (const role of new Set(perRun.flatMap((r) => r.roles.map((x) => x.role)))) {
    const lists = perRun.map((r) => r.roles.find((x) => x.role === role)?.summaries.filter((s) => s.hint === 'ratio'));
    for (const tag of tags(lists))
      out.push(
        ...outliersOf(
          `${role} ${tag}`,
          `${role}: ${nameOf(lists, tag)}`,
          lists.map((l) => at(l, tag)),
        ),
      );
  }
  return out.sort((a, b) => a.run - b.run);
}

/**
 * The runs as one result's figures: the recorded run (medianRun), the comparison, the recorded run's
 * shared clients with their ratios replaced by the medians over the runs, each role's figures and
 * SLOs over the runs, and the repeats section.
 */
export function combineRuns<C extends RunClient, R extends RunRole>(
  runs: ReadonlyArray<MeasuredRun<C, R>>,
  asked: number,
): { recorded: number; comparison: Summary[]; clients: C[]; roles: R[]; repeats: Repeats } {
  const recorded = medianRun(runs);
  const base = runs[recorded]!;
  const comparison = medianSummaries(runs.map((r) => r.comparison));
  const clients = base.shared.clients.map((c) => {
    const ratios = medianSummaries(
      runs.map((r) => r.shared.clients.find((x) => x.client === c.client)?.summaries),
      (s) => s.hint === 'ratio',
    );
    return { ...c, summaries: c.summaries.map((s) => (s.hint === 'ratio' ? (ratios.find((x) => x.tag === s.tag) ?? s) : s)) };
  });
  const roles = base.roles.map((role) => {
    const each = runs.map((r) => r.roles.find((x) => x.role === role.role));
    const summaries = medianSummaries(each.map((r) => r?.summaries));
    return {
      ...role,
      summaries,
      ...(role.slo
        ? {
            slo: combineSlo(
              role.slo,
              each.map((r) => r?.slo),
            ),
          }
        : {}),
    };
  });
  const perRun = runs.map(figuresOf);
  return {
    recorded,
    comparison,
    clients,
    roles,
    repeats: { asked, runs: runs.length, method: 'order-statistic', recorded, perRun, outliers: outliers(perRun) },
  };
}

/** One warning per run that stands out: "run 3 of 5 stands out: aggregate throughput vs solo 1.42× (median 1.05×), …". */
export function outlierWarnings(repeats: Repeats): Array<{ tag: string; message: string }> {
  const byRun = new Map<number, Outlier[]>();
  for (const o of repeats.outliers) byRun.set(o.run, [...(byRun.get(o.run) ?? []), o]);
  return [...byRun].map(([run, list]) => ({
    tag: 'runs.outlier',
    message:
      `run ${run + 1} of ${repeats.runs} stands out (modified z-score above 10, more than 1% from the median): ` +
      list.map((o) => `${o.name} ${formatSummaryValue(o)} (median ${formatSummaryValue({ ...o, value: o.median })})`).join(', ') +
      '; it counts in the medians, and its figures are in repeats.perRun',
  }));
}

// An SLO checked against a role's latency summaries instead of its samples: what `advise --slo` and
// the peak search do with a result that was measured under other objectives (or none). The summaries
// hold p50, p95, p99, p99.9 and max of the requests that started (src/metrics/roles.ts), so only those
// percentiles can be checked; p90 cannot. Requests that never started (role.notStarted) count as misses,
// as in src/clients/slo.ts: when the role's own SLO outcomes say how many requests there were in all,
// the percentile over all requests is read from the started ones' at a shifted quantile; without that
// count, a role that left requests unstarted is taken to miss.
//
// Attainment (the share of requests within the bound) is estimated: linear interpolation of the
// latency CDF between the two summary percentiles that bracket the bound (from 0 at 0 ns below p50),
// scaled by the share of requests that started. It ranks the closest candidate; it is not a count.
import type { Slo, SloOutcome, SloPercentile } from '../clients/slo.js';
import type { RoleReport } from '../report/schema.js';

/** The percentiles the role summaries hold, with their quantiles. */
export const SUMMARY_PERCENTILES: ReadonlyArray<readonly [SloPercentile, number]> = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p99.9', 0.999],
  ['max', 1],
];

function latency(role: RoleReport, percentile: string): number | undefined {
  return role.summaries.find((s) => s.tag === `role.latency.${percentile}`)?.value;
}

/** The role's latency CDF at the summary percentiles, as (latency, quantile) points in order. */
function cdfPoints(role: RoleReport): Array<[number, number]> {
  return SUMMARY_PERCENTILES.flatMap(([p, q]): Array<[number, number]> => {
    const ns = latency(role, p);
    return ns === undefined ? [] : [[ns, q]];
  });
}

/** Share of started requests within `bound`, by linear interpolation between the summary percentiles. */
function startedWithin(points: ReadonlyArray<[number, number]>, bound: number): number {
  let prev: [number, number] = [0, 0];
  for (const [ns, q] of points) {
    if (bound < ns) return prev[1] + ((q - prev[1]) * (bound - prev[0])) / (ns - prev[0]);
    prev = [ns, q];
  }
  return points.length > 0 ? 1 : 0;
}

/** The percentile over started requests that is `q` over all of them, when a share `unstarted` never started: undefined past the last. */
function shiftedQuantile(q: number, unstarted: number): number | undefined {
  if (q === 1) return unstarted > 0 ? undefined : 1;
  const shifted = q / (1 - unstarted);
  return shifted <= 1 ? shifted : undefined;
}

/** Interpolated latency at quantile q from the summary points; undefined outside them. */
function latencyAt(points: ReadonlyArray<[number, number]>, q: number): number | undefined {
  const exact = points.find(([, pq]) => pq === q);
  if (exact) return exact[0];
  for (let i = 1; i < points.length; i++) {
    const [a, qa] = points[i - 1]!;
    const [b, qb] = points[i]!;
    if (q > qa && q < qb) return a + ((b - a) * (q - qa)) / (qb - qa);
  }
  return undefined;
}

/** The SLO checked against the role's summaries; undefined when they lack its percentile. */
export function sloFromSummaries(slo: Slo, role: RoleReport): SloOutcome | undefined {
  const points = cdfPoints(role);
  const quantile = SUMMARY_PERCENTILES.find(([p]) => p === slo.percentile)?.[1];
  if (quantile === undefined || latency(role, slo.percentile) === undefined) return undefined;
  const notStarted = role.summaries.find((s) => s.tag === 'role.notStarted')?.value ?? 0;
  const requests = role.slo?.[0]?.requests;
  // Without the count of all requests, unstarted ones cannot be weighed: unstarted share 1 (a miss).
  const unstarted = notStarted === 0 ? 0 : requests ? notStarted / requests : 1;
  const q = shiftedQuantile(quantile, unstarted);
  const measured = q === undefined ? undefined : latencyAt(points, q);
  return {
    ...slo,
    measuredNs: measured ?? null,
    met: measured !== undefined && measured <= slo.maxNs,
    attainment: Math.min(1, Math.max(0, startedWithin(points, slo.maxNs) * (1 - unstarted))),
    requests: requests ?? 0,
  };
}

// Which ways of sharing a sweep cannot tell apart. Points that measure the same work (kernel, size or
// batch, loop, procs) and differ only in how they share the GPU (mode, MPS thread share) are compared on
// aggregate vs solo, the sweep's headline: two are within the noise of each other when both were
// measured several times (--runs) and their confidence intervals overlap, or their medians differ by
// less than 1% (src/metrics/interval.ts withinNoise, the rule `advise` uses for a scenario's modes).
// With a single run per point the noise is unknown and nothing is said.
import { withinNoise } from '../metrics/interval.js';
import type { PointSummary } from '../report/sweep-schema.js';

/** The point's work: its id without the mode and MPS thread share ("gemm-4096-saturate-mps-t50-p4" → "gemm-4096-saturate-p4"). */
export function workOf(p: Pick<PointSummary, 'id' | 'mode' | 'procs'>): string {
  const tail = new RegExp(`-${p.mode}(-t\\d+)?-p${p.procs}$`);
  return tail.test(p.id) ? p.id.replace(tail, `-p${p.procs}`) : p.id;
}

/** The way the point shares the GPU: "mps", "mps 50%". */
export function sharingOf(p: Pick<PointSummary, 'mode' | 'options'>): string {
  return p.options.mpsThreads !== undefined ? `${p.mode} ${String(p.options.mpsThreads)}%` : p.mode;
}

interface Ranked {
  p: PointSummary;
  value: number;
  low: number;
  high: number;
}

/** The done points with an interval on aggregate vs solo, grouped by their work, each group best first. */
function groups(points: readonly PointSummary[]): Map<string, Ranked[]> {
  const out = new Map<string, Ranked[]>();
  for (const p of points) {
    const ci = p.ci?.aggregateVsSolo;
    if (p.status !== 'done' || p.aggregateVsSolo === undefined || !ci) continue;
    const key = workOf(p);
    out.set(key, [...(out.get(key) ?? []), { p, value: p.aggregateVsSolo, low: ci.low, high: ci.high }]);
  }
  for (const list of out.values()) list.sort((a, b) => b.value - a.value);
  return out;
}

/** The points with `withinNoise` set where the noise is known: the ids of the same work's points within the noise of each. */
export function withNoiseVerdicts(points: readonly PointSummary[]): PointSummary[] {
  const within = new Map<string, string[]>();
  for (const list of groups(points).values()) {
    if (list.length < 2) continue;
    for (const a of list)
      within.set(
        a.p.id,
        list.filter((b) => b !== a && withinNoise(a, b)).map((b) => b.p.id),
      );
  }
  return points.map((p) => {
    const ids = within.get(p.id);
    if (ids) return { ...p, withinNoise: ids };
    const { withinNoise: _old, ...rest } = p;
    return rest as PointSummary;
  });
}

const text = (r: Ranked) => `${sharingOf(r.p)} ${r.value.toFixed(2)}× [${r.low.toFixed(2)}–${r.high.toFixed(2)}]`;

/** Per work measured under two or more ways of sharing with --runs: the best, those within its noise, those beyond it; [] when none. */
export function noiseLines(points: readonly PointSummary[]): string[] {
  const lines: string[] = [];
  for (const [work, list] of groups(points)) {
    if (list.length < 2) continue;
    const [best, ...others] = list as [Ranked, ...Ranked[]];
    const near = others.filter((r) => withinNoise(best, r));
    const far = others.filter((r) => !near.includes(r));
    const parts = [`${work}: ${text(best)} is the most`];
    if (near.length > 0) parts.push(`within its noise: ${near.map(text).join(', ')}`);
    else parts.push('ahead beyond the noise');
    if (far.length > 0) parts.push(`beyond it: ${far.map(text).join(', ')}`);
    lines.push(`  ${parts.join('; ')}`);
  }
  if (lines.length === 0) return [];
  return [
    'Within the noise (aggregate vs solo, median [confidence interval] over the runs; two are within the noise when their intervals overlap or their medians differ by less than 1%):',
    ...lines,
  ];
}

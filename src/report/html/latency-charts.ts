// Per-client latency CDFs against solo, from the raw per-launch samples kept in the result.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResultJson } from '../schema.js';
import { clientName } from './occupancy-charts.js';
import { clientColor, renderChart, SOLO_COLOR } from './render.js';

/** Points drawn per curve: the samples' quantiles at this many evenly spaced probabilities. */
const POINTS_PER_CURVE = 240;

/**
 * (latency ms, cumulative fraction) pairs of one client's samples, at most POINTS_PER_CURVE + 1.
 * `unbounded` requests (scheduled, never started) count in the total but never complete: the curve
 * then tops out below 1.
 */
export function cdfPoints(latencyNs: readonly number[], unbounded = 0): Array<{ ms: number; p: number }> {
  const sorted = Float64Array.from(latencyNs).sort();
  const n = sorted.length;
  if (n === 0) return [];
  const steps = Math.min(POINTS_PER_CURVE, n);
  const out: Array<{ ms: number; p: number }> = [];
  for (let i = 0; i <= steps; i++) {
    const rank = Math.min(n - 1, Math.round((i / steps) * (n - 1)));
    out.push({ ms: sorted[rank]! / 1e6, p: (rank + 1) / (n + unbounded) });
  }
  return out;
}

/** Latency CDF of every shared client and of the solo client; undefined when there is no sample. */
export async function latencyChart(r: RunResultJson, width: number): Promise<string | undefined> {
  const values: Array<{ ms: number; p: number; who: string }> = [];
  const domain: string[] = [];
  const range: string[] = [];
  for (const b of r.baselines) {
    const solo = b.phase.clients[0];
    if (!solo || solo.samples.latencyNs.length === 0) continue;
    const who = r.baselines.length > 1 ? `solo ${b.role}` : 'solo';
    for (const pt of cdfPoints(solo.samples.latencyNs)) values.push({ ...pt, who });
    domain.push(who);
    range.push(SOLO_COLOR);
  }
  r.shared.clients.forEach((c, k) => {
    if (c.samples.latencyNs.length === 0) return;
    for (const pt of cdfPoints(c.samples.latencyNs)) values.push({ ...pt, who: clientName(c.client) });
    domain.push(clientName(c.client));
    range.push(clientColor(k));
  });
  if (values.length === 0) return undefined;
  const spec: TopLevelSpec = {
    width,
    height: 220,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'latency: enqueue to completion seen on the host (ms)', scale: { zero: false } },
      y: { field: 'p', type: 'quantitative', title: 'share of launches at or below', axis: { format: '.0%' } },
      color: { field: 'who', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'top', direction: 'horizontal' } },
      strokeDash: { condition: { test: "indexof(datum.who, 'solo') === 0", value: [5, 3] }, value: [1, 0] },
    },
  };
  return renderChart(spec);
}

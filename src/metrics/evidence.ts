// What a figure rests on, and when that is too little to print it. A figure is printed only where its
// evidence exists (docs/evidence.md lists every figure with its source):
// - per-SM figures (a client's SM share, the SMs busy and idle, the SM timeline) need CTA traces of
//   every kernel the clients ran: a library's kernels write none, and CUPTI's kernel records, which
//   stand in for them in the switch analysis, say when a kernel ran, not on which SMs;
// - a percentile needs enough samples that at least one lies beyond it (a p99 of 40 launches is
//   their maximum under another name);
// - two sources that measure the same thing (the traces' busy share, GPM's SM activity) must agree
//   within a tolerance, or the result says that they do not.
import { z } from 'zod';

/**
 * What a client's switch and SM figures rest on: `cta` every kernel's CTA records; `cta-part` CTA records
 * of only some of its kernels (a model step with library ops); `kernels` CUPTI's kernel records (start
 * and end of each kernel, no SM); `none` no trace at all.
 */
export const TRACE_SOURCES = ['cta', 'cta-part', 'kernels', 'none'] as const;
export const traceSourceSchema = z.enum(TRACE_SOURCES);
export type TraceSource = z.infer<typeof traceSourceSchema>;

/**
 * How far the SMs' busy share from the CTA traces and GPM's SM activity (mean over the phase) may
 * differ before the result says they disagree: by more than 15% of GPM's value and by more than 3
 * points of SM time. The 15% is the bound the GPU test holds them to (test/gpu/sharing.test.ts). On
 * the H200, phases of the project's own kernels were 0.93–1.12× of GPM (examples/: gemm under every
 * mode, green contexts of four clients the farthest; the 2026-12-01 scenarios); outside 15% were green
 * contexts beside an open-loop role (notebook+train, 1.30×) and, of the model steps (2026-12-02),
 * three under MPS (0.78–0.83×) and bert-base-train under time slicing (0.85×). The 3 points keep a
 * nearly idle GPU quiet: four open-loop tenants at 17–19% busy were 1.09–1.15× of GPM, 2.5 points apart.
 */
export const TRACES_VS_GPM_TOLERANCE = { relative: 0.15, points: 0.03 } as const;

/** Whether the traces' busy share and GPM's SM activity (both fractions of SM time) agree within TRACES_VS_GPM_TOLERANCE. */
export function tracesAgreeWithGpm(busy: number, gpm: number): boolean {
  const apart = Math.abs(busy - gpm);
  return apart <= TRACES_VS_GPM_TOLERANCE.relative * gpm || apart <= TRACES_VS_GPM_TOLERANCE.points;
}

/**
 * The fewest samples a percentile q (0..1) needs: as many as make one sample lie beyond it on average
 * (p50 2, p90 and p10 10, p95 20, p99 100, p99.9 1,000). The maximum and minimum need one.
 */
export function samplesForPercentile(q: number): number {
  if (q <= 0 || q >= 1) return 1;
  const tail = Math.min(q, 1 - q);
  return Math.ceil(1 / tail - 1e-9);
}

/** The quantile a percentile name stands for ("p99" 0.99, "p99.9" 0.999, "max" 1); undefined for another name. */
export function percentileOf(name: string): number | undefined {
  if (name === 'max') return 1;
  if (name === 'min') return 0;
  const m = /^p(\d+(?:\.\d+)?)$/.exec(name);
  return m ? Number(m[1]) / 100 : undefined;
}

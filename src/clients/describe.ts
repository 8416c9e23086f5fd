// A client spec in words, for headers, tables and reports: "gemm 4096×4096×4096 bf16→fp32",
// "open loop, poisson:2,000/s (at most 64 in flight)", "p99<=5ms".
import { describeWorkloadShape, isWorkload } from '../registry/workloads.js';
import { arrivalText } from './arrival.js';
import { sloText } from './slo.js';
import type { ClientSpec } from './spec.js';

/** What the spec's clients run; results from before kernels had shapes read `size`. */
export function describeWork(s: Pick<ClientSpec, 'size' | 'impl' | 'dtype' | 'spinNs' | 'gapThresholdNs'> & { kernel: string; shape?: number[] }): string {
  if (s.kernel === 'probe') return `probe (${s.spinNs / 1e3} µs per CTA per launch, gap > ${s.gapThresholdNs / 1e3} µs)`;
  const impl = s.impl && s.impl !== 'own' ? ` (${s.impl})` : '';
  if (s.kernel === 'gemm') {
    const [m, n, k] = s.shape?.length === 3 ? s.shape : [s.size, s.size, s.size];
    const dtype = s.dtype ?? 'bf16';
    return `gemm ${m}×${n}×${k} ${dtype === 'bf16' || dtype === 'fp16' ? `${dtype}→fp32` : dtype}${impl}`;
  }
  // A model workload names its fields and always its implementation: "resnet50-train batch 128, input 32 bf16 (own)".
  if (isWorkload(s.kernel) && s.shape) return `${s.kernel} ${describeWorkloadShape(s.kernel, s.shape)} ${s.dtype ?? ''} (${s.impl ?? 'own'})`;
  return `${s.kernel} [${(s.shape ?? []).join(', ')}] ${s.dtype ?? ''}${impl}`.replace(/ +/g, ' ');
}

/** How the spec's clients issue their work. */
export function loopText(s: Pick<ClientSpec, 'loop' | 'depth' | 'arrival'>): string {
  if (s.loop === 'closed') return 'closed loop';
  if (s.loop === 'saturate') return `saturating (${s.depth} in flight)`;
  if (s.arrival?.kind === 'bursty') return `bursty ${arrivalText(s.arrival).slice('bursty:'.length)} on/off (${s.depth} in flight while on)`;
  return `open loop, ${s.arrival ? arrivalText(s.arrival) : '?'} (at most ${s.depth} in flight)`;
}

/** The spec's objectives, "p50<=1ms & p99<=5ms", or '' when it has none. */
export function sloListText(s: Pick<ClientSpec, 'slo'>): string {
  return (s.slo ?? []).map(sloText).join(' & ');
}

/** One line per role: "infer ×1: attention [...] bf16, open loop, poisson:2,000/s (...), SLO p99<=2ms". */
export function roleLine(s: Omit<ClientSpec, 'kernel'> & { kernel: string }): string {
  const slo = sloListText(s);
  return `${s.role} ×${s.count}: ${describeWork(s)}, ${loopText(s)}${slo ? `, SLO ${slo}` : ''}`;
}

// Shared by the conv / attention / copy GPU tests: float64 references computed from the inputs a
// workload read back (workloadCheck), the relative error ||out - ref|| / ||ref||, and a check that a
// workload's launches are traced (per-CTA %globaltimer / %smid records) and counted as the TypeScript
// side counts them.
import { expect } from 'vitest';
import type { HostTensor, NativeBinding, WorkloadSpec } from '../../src/binding/contract.js';
import { decodeIntervals } from '../../src/metrics/traces.js';
import { workloadBytes, workloadFlops, type KernelFamily } from '../../src/registry/kernels.js';
import { loopConfig } from '../fixtures/loops.js';

export function tensor(tensors: HostTensor[], name: string): HostTensor {
  const t = tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name} in ${tensors.map((x) => x.name).join(', ')}`);
  return t;
}

/** ||out - ref|| / ||ref||; throws on the first NaN in out (a poisoned element nothing wrote). */
export function relativeError(out: Float32Array, ref: Float64Array): number {
  expect(out.length).toBe(ref.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    if (Number.isNaN(o)) throw new Error(`output element ${i} is NaN (never written, or computed NaN)`);
    diff += (o - ref[i]!) ** 2;
    norm += ref[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** y[n, p, q, k] = sum over r, s, c of x[n, p*stride - pad + r, q*stride - pad + s, c] * w[k, r, s, c]. */
export function convReference(x: HostTensor, w: HostTensor, shape: readonly number[]): Float64Array {
  const [n, c, h, wd, k, r, s, stride, pad] = shape as [number, number, number, number, number, number, number, number, number];
  const p = Math.floor((h + 2 * pad - r) / stride) + 1;
  const q = Math.floor((wd + 2 * pad - s) / stride) + 1;
  const out = new Float64Array(n * p * q * k);
  const xv = x.values;
  const wv = w.values;
  for (let img = 0; img < n; img++) {
    for (let op = 0; op < p; op++) {
      for (let oq = 0; oq < q; oq++) {
        const o = ((img * p + op) * q + oq) * k;
        for (let fr = 0; fr < r; fr++) {
          const ih = op * stride - pad + fr;
          if (ih < 0 || ih >= h) continue;
          for (let fs = 0; fs < s; fs++) {
            const iw = oq * stride - pad + fs;
            if (iw < 0 || iw >= wd) continue;
            const xi = ((img * h + ih) * wd + iw) * c;
            for (let ko = 0; ko < k; ko++) {
              const wi = ((ko * r + fr) * s + fs) * c;
              let acc = 0;
              for (let ch = 0; ch < c; ch++) acc += xv[xi + ch]! * wv[wi + ch]!;
              out[o + ko]! += acc;
            }
          }
        }
      }
    }
  }
  return out;
}

/** O = softmax(Q K^T / sqrt(d), keys after the query masked when causal) V, per (batch, head). */
export function attentionReference(qT: HostTensor, kT: HostTensor, vT: HostTensor, shape: readonly number[]): Float64Array {
  const [b, heads, seq, d, causal] = shape as [number, number, number, number, number];
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(b * heads * seq * d);
  const scores = new Float64Array(seq);
  for (let bh = 0; bh < b * heads; bh++) {
    const base = bh * seq * d;
    for (let i = 0; i < seq; i++) {
      const keys = causal === 1 ? i + 1 : seq;
      let max = -Infinity;
      for (let j = 0; j < keys; j++) {
        let dot = 0;
        for (let e = 0; e < d; e++) dot += qT.values[base + i * d + e]! * kT.values[base + j * d + e]!;
        scores[j] = dot * scale;
        if (scores[j]! > max) max = scores[j]!;
      }
      let sum = 0;
      for (let j = 0; j < keys; j++) {
        scores[j] = Math.exp(scores[j]! - max);
        sum += scores[j]!;
      }
      for (let j = 0; j < keys; j++) {
        const pj = scores[j]! / sum;
        for (let e = 0; e < d; e++) out[base + i * d + e]! += pj * vT.values[base + j * d + e]!;
      }
    }
  }
  return out;
}

/**
 * Prepares the workload in a timed loop, runs a few traced launches, and checks the counts against
 * the TypeScript formulas and the CTA records (own kernels: every CTA of every traced launch has a
 * start, a positive duration and a real SM; library implementations report 0 CTAs and no trace).
 */
export async function checkLoopAndTrace(binding: NativeBinding, spec: WorkloadSpec, smCount: number): Promise<void> {
  const launches = 3;
  const loop = new binding.TimedLoop(loopConfig(spec, { durationNs: 0, launches, depth: 1, traceCapacity: 4_000_000 }));
  try {
    const info = await loop.prepare();
    const family = spec.kernel as KernelFamily;
    expect(info.flopsPerLaunch).toBe(workloadFlops(family, spec.shape));
    expect(info.bytesPerLaunch).toBe(workloadBytes(family, spec.shape));
    const r = await loop.run(process.hrtime.bigint());
    expect(r.gpuNs.length).toBe(launches);
    if (spec.impl !== 'own') {
      expect(info.ctasPerLaunch).toBe(0);
      expect(r.tracedLaunches).toBe(0);
      return;
    }
    expect(info.ctasPerLaunch).toBeGreaterThan(0);
    expect(r.tracedLaunches).toBe(launches);
    const t = decodeIntervals(new Uint8Array(r.trace), info.clock.gpuNs);
    expect(t.start.length).toBe(launches * info.ctasPerLaunch);
    for (let i = 0; i < t.start.length; i++) {
      if (!(t.start[i]! > 0 && t.end[i]! > t.start[i]! && t.sm[i]! < smCount)) {
        throw new Error(`CTA record ${i} is not a real CTA: start ${t.start[i]}, end ${t.end[i]}, sm ${t.sm[i]}`);
      }
    }
  } finally {
    loop.release();
  }
}

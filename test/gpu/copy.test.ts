// copy (b = a) and triad (a = b + 3 c) over fp32: exact results (triad's single fused multiply-add
// rounds once, as fround(b + 3c) does), tails that are not whole 16-byte vectors, and cudaMemcpy.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kernelWorkload } from '../../src/registry/kernels.js';
import { checkGpu } from './gpu.js';
import { checkLoopAndTrace, tensor } from './kernel-checks.js';

const gpu = await checkGpu('copy.test.ts');

const SIZES = [1, 5, 4096, 1_000_003, 3 * 2 ** 20 + 2];

function expectExact(out: Float32Array, ref: (i: number) => number): void {
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== ref(i)) throw new Error(`element ${i}: got ${out[i]}, expected ${ref(i)}`);
  }
}

describe.skipIf(!gpu.available)('copy and triad on the GPU', () => {
  for (const n of SIZES) {
    for (const impl of ['own', 'cudart']) {
      it(`copy (${impl}) of ${n} elements is exact`, async () => {
        const t = await gpu.binding!.workloadCheck(kernelWorkload('copy', impl, [n], randomInt(1, 2 ** 31)), 0);
        const a = tensor(t, 'a').values;
        expect(new Set(Array.from(a.subarray(0, Math.min(n, 1000)))).size).toBeGreaterThan(Math.min(n, 1000) / 2); // random, not constant
        expectExact(tensor(t, 'b').values, (i) => a[i]!);
      });
    }
    it(`triad of ${n} elements is exact`, async () => {
      const t = await gpu.binding!.workloadCheck(kernelWorkload('triad', 'own', [n], randomInt(1, 2 ** 31)), 0);
      const b = tensor(t, 'b').values;
      const c = tensor(t, 'c').values;
      const s = tensor(t, 'scalar').values[0]!;
      expect(s).toBe(3);
      expectExact(tensor(t, 'a').values, (i) => Math.fround(b[i]! + s * c[i]!));
    });
  }

  it('traces every CTA and counts bytes as the TypeScript side does', async () => {
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('copy', 'own', [2 ** 22], 9), gpu.smCount);
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('triad', 'own', [2 ** 22 + 3], 9), gpu.smCount);
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('copy', 'cudart', [2 ** 22], 9), gpu.smCount);
  });
});

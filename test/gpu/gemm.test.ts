// gemm against a float64 reference on fresh random inputs, shapes on and off the 128x128x32 tile.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkGpu } from './gpu.js';
import { gemmWorkload, loopConfig } from '../fixtures/loops.js';

const gpu = await checkGpu('gemm.test.ts');

function bf16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}
function bf16Value(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
}
function randomBf16(count: number): { bits: Uint16Array; values: Float64Array } {
  const bits = new Uint16Array(count);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    bits[i] = bf16Bits(Math.random() * 2 - 1);
    values[i] = bf16Value(bits[i]!);
  }
  return { bits, values };
}

describe.skipIf(!gpu.available)('gemm (bf16 in, fp32 accumulate) on the GPU', () => {
  const shapes: Array<[number, number, number]> = [
    [128, 128, 32],
    [256, 384, 512],
    [1, 1, 1],
    [200, 136, 72],
    [257, 129, 33], // k not a multiple of 8: the element-wise load path
    [130, 250, 1000], // n not a multiple of 8
    [513, 77, 300],
  ];
  for (const [m, n, k] of shapes) {
    it(`matches a float64 reference for m=${m} n=${n} k=${k}`, async () => {
      const a = randomBf16(m * k);
      const b = randomBf16(k * n);
      const c = await gpu.binding!.gemmCompute({ device: 0, m, n, k, a: a.bits, b: b.bits });
      expect(c.length).toBe(m * n);
      let diff = 0;
      let ref = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += a.values[i * k + p]! * b.values[p * n + j]!;
          const got = c[i * n + j]!;
          expect(Number.isNaN(got), `C[${i},${j}] was never written`).toBe(false);
          diff += (got - acc) ** 2;
          ref += acc ** 2;
        }
      }
      const relative = Math.sqrt(diff / ref);
      // Products of bf16 values are exact in fp32; only the fp32 accumulation rounds.
      expect(relative).toBeLessThan(1e-5);
    });
  }

  it('rejects bad arguments with a TypeError instead of crashing', () => {
    const binding = gpu.binding!;
    expect(() => binding.gemmCompute({ device: 0, m: 2, n: 2, k: 2, a: new Uint16Array(3), b: new Uint16Array(4) })).toThrow(TypeError);
    expect(() => (binding.gemmCompute as unknown as (x: unknown) => unknown)('nope')).toThrow(TypeError);
  });

  it('reports a CUDA failure as an Error with a code and the CUDA error name', async () => {
    // 1e10 trace records are 160 GB: more than the device has.
    const loop = new gpu.binding!.TimedLoop(loopConfig(gemmWorkload(64, randomInt(1, 1000)), { traceCapacity: 1e10 }));
    await expect(loop.prepare()).rejects.toMatchObject({ code: 'ERR_CUDA', cudaError: 'cudaErrorMemoryAllocation' });
    loop.release();
  });
});

// attention (fused softmax(Q K^T / sqrt(d)) V, bf16, fp32 accumulation): the project's kernel, cuDNN's
// fused attention and the cuBLAS GEMM-softmax-GEMM sequence against a float64 reference on fresh
// random inputs; sequences on and off the 128-row / 64-key tiles, causal and not.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NativeError } from '../../src/binding/contract.js';
import { kernelWorkload } from '../../src/registry/kernels.js';
import { checkGpu } from './gpu.js';
import { attentionReference, checkLoopAndTrace, relativeError, tensor } from './kernel-checks.js';

const gpu = await checkGpu('attention.test.ts');

// [batch, heads, seq, headDim, causal]
const SHAPES: number[][] = [
  [1, 2, 128, 64, 0],
  [2, 1, 200, 64, 1], // seq not a multiple of any tile, causal
  [1, 2, 77, 128, 0], // shorter than one tile
  [1, 1, 300, 128, 1],
  [1, 2, 256, 128, 0],
  [1, 1, 1, 64, 1], // one query, one key
];

async function check(impl: string, shape: number[], variant?: number): Promise<number> {
  const spec = { ...kernelWorkload('attention', impl, shape, randomInt(1, 2 ** 31)), ...(variant === undefined ? {} : { variant }) };
  const t = await gpu.binding!.workloadCheck(spec, 0);
  const ref = attentionReference(tensor(t, 'q'), tensor(t, 'k'), tensor(t, 'v'), shape);
  return relativeError(tensor(t, 'o').values, ref);
}

describe.skipIf(!gpu.available)('attention on the GPU', () => {
  for (const shape of SHAPES) {
    it(`own kernel matches a float64 reference for [${shape.join(', ')}]`, async () => {
      // P is rounded to bf16 before P V, and O to bf16: a few parts in 1e3.
      expect(await check('own', shape)).toBeLessThan(1e-2);
    });
  }

  // 4 to 6: the wgmma kernel (4 is the default where sm_90a code runs; elsewhere they fall back to variant 0).
  for (const variant of [1, 2, 3, 4, 5, 6]) {
    it(`tile variant ${variant} matches the reference too`, async () => {
      expect(await check('own', [1, 2, 200, 64, 1], variant)).toBeLessThan(1e-2);
      expect(await check('own', [1, 2, 200, 128, 0], variant)).toBeLessThan(1e-2);
      expect(await check('own', [1, 1, 130, 128, 1], variant)).toBeLessThan(1e-2);
      expect(await check('own', [1, 2, 300, 64, 0], variant)).toBeLessThan(1e-2); // 3 or 5 key blocks: the wgmma ring wraps
    });
  }

  for (const shape of [SHAPES[0]!, SHAPES[4]!]) {
    it(`cuDNN fused attention matches the reference for [${shape.join(', ')}]`, async () => {
      expect(await check('cudnn', shape)).toBeLessThan(1e-2);
    });
  }

  it('cuDNN with a causal mask is right or refused with ERR_LIBRARY, never wrong', async () => {
    // cuDNN 9.14's SDPA operation takes no mask, and on the H200 its engines offered no plan for the
    // composite causal graph (docs/results/2026-11-29-h200-kernels): a refusal must say so by code.
    let error: number | undefined;
    try {
      error = await check('cudnn', [1, 2, 256, 128, 1]);
    } catch (e) {
      expect((e as NativeError).code, (e as Error).message).toBe('ERR_LIBRARY');
      return;
    }
    expect(error).toBeLessThan(1e-2);
  });

  for (const shape of [SHAPES[1]!, SHAPES[2]!]) {
    it(`cuBLAS GEMM-softmax-GEMM matches the reference for [${shape.join(', ')}]`, async () => {
      expect(await check('cublas', shape)).toBeLessThan(1e-2);
    });
  }

  it('traces every CTA of the own kernel and counts flops and bytes as the TypeScript side does', async () => {
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('attention', 'own', [2, 4, 512, 64, 1], 3), gpu.smCount);
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('attention', 'cublas', [2, 4, 512, 64, 1], 3), gpu.smCount);
  });
});

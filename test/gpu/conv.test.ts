// conv (NHWC implicit GEMM, bf16 in, fp32 accumulate, bf16 out), the project's kernel and cuDNN,
// against a float64 reference on fresh random inputs; ragged shapes on and off every tile.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kernelWorkload } from '../../src/registry/kernels.js';
import { checkGpu } from './gpu.js';
import { checkLoopAndTrace, convReference, relativeError, tensor } from './kernel-checks.js';

const gpu = await checkGpu('conv.test.ts');

// [n, c, h, w, k, r, s, stride, pad]
const SHAPES: number[][] = [
  [2, 64, 10, 10, 64, 3, 3, 1, 1], // k <= 64: the tall tile
  [1, 32, 17, 13, 80, 3, 3, 2, 1], // stride 2, k not a multiple of the tile
  [3, 3, 23, 23, 16, 7, 7, 2, 3], // c = 3 (ResNet-50's stem): the element-wise path
  [2, 24, 9, 9, 40, 1, 1, 1, 0], // 1x1, c smaller than a K slice
  [1, 8, 5, 7, 3, 3, 3, 1, 2], // odd k, padding wider than the filter's half
  [2, 40, 12, 12, 130, 5, 3, 1, 2], // rectangular filter
  [1, 256, 7, 7, 256, 3, 3, 1, 1], // a ResNet-50 layer4 3x3 at batch 1
  [1, 13, 6, 6, 9, 3, 3, 1, 1], // odd c: element-wise, odd k
];

async function check(impl: string, shape: number[], variant?: number): Promise<number> {
  const spec = { ...kernelWorkload('conv', impl, shape, randomInt(1, 2 ** 31)), ...(variant === undefined ? {} : { variant }) };
  const tensors = await gpu.binding!.workloadCheck(spec, 0);
  const ref = convReference(tensor(tensors, 'x'), tensor(tensors, 'w'), shape);
  return relativeError(tensor(tensors, 'y').values, ref);
}

describe.skipIf(!gpu.available)('conv on the GPU', () => {
  for (const shape of SHAPES) {
    it(`own kernel matches a float64 reference for [${shape.join(', ')}]`, async () => {
      // bf16 output: each element is rounded once (relative 2^-9 at most).
      expect(await check('own', shape)).toBeLessThan(1e-2);
    });
  }

  // Variants 0..4: the mma.sync tiles; 5..8: the Hopper wgmma tiles (kernels/conv_wgmma.cu), which
  // fall back to the default mma.sync tile on a device without sm_90a code.
  for (let variant = 0; variant < 9; variant++) {
    it(`tile variant ${variant} matches the reference on a ragged shape`, async () => {
      expect(await check('own', [2, 48, 11, 9, 136, 3, 3, 1, 1], variant)).toBeLessThan(1e-2);
      expect(await check('own', [1, 64, 30, 30, 72, 3, 3, 2, 1], variant)).toBeLessThan(1e-2);
    });
  }

  for (let variant = 5; variant < 9; variant++) {
    it(`wgmma variant ${variant} matches the reference with more tiles than SMs (persistent CTAs)`, async () => {
      // 36860 output pixels: 144 or 288 tiles, so CTAs take several; c = 16 wraps a tap every chunk;
      // K = 400 (7 slices of 64, the last partial); odd k.
      expect(await check('own', [4, 16, 97, 95, 13, 5, 5, 1, 2], variant)).toBeLessThan(1e-2);
    });
  }

  for (const shape of [SHAPES[0]!, SHAPES[1]!, SHAPES[5]!]) {
    it(`cuDNN matches the same reference for [${shape.join(', ')}]`, async () => {
      expect(await check('cudnn', shape)).toBeLessThan(1e-2);
    });
  }

  it('traces every CTA of the own kernel and counts flops and bytes as the TypeScript side does', async () => {
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('conv', 'own', [4, 64, 28, 28, 128, 3, 3, 1, 1], 5), gpu.smCount);
    await checkLoopAndTrace(gpu.binding!, kernelWorkload('conv', 'cudnn', [4, 64, 28, 28, 128, 3, 3, 1, 1], 5), gpu.smCount);
  });
});

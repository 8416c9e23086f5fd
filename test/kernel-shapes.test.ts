// The conv/attention/copy/triad shapes, their checks and their operation counts; the presets.
import { describe, expect, it } from 'vitest';
import { ATTENTION_PRESETS, KERNEL_PRESETS, RESNET50_CONV_PRESETS, TARGET_PRESETS, findPreset } from '../src/registry/presets.js';
import { KERNEL_IMPLS, convOutputSize, isKernelFamily, kernelWorkload, shapeProblem, workloadBytes, workloadFlops } from '../src/registry/kernels.js';
import { isWorkload, workloadShapeProblem } from '../src/registry/workloads.js';

describe('kernel shapes', () => {
  it('computes convolution output sizes as the frameworks do', () => {
    expect(convOutputSize(224, 7, 2, 3)).toBe(112);
    expect(convOutputSize(56, 3, 1, 1)).toBe(56);
    expect(convOutputSize(56, 3, 2, 1)).toBe(28);
    expect(convOutputSize(56, 1, 2, 0)).toBe(28);
    expect(convOutputSize(5, 3, 1, 2)).toBe(7);
  });

  it('counts conv and attention operations the standard way', () => {
    // 2 n p q k c r s
    expect(workloadFlops('conv', [2, 3, 8, 8, 4, 3, 3, 1, 1])).toBe(2 * 2 * 8 * 8 * 4 * 3 * 3 * 3);
    expect(workloadFlops('attention', [8, 16, 4096, 128, 0])).toBe(4 * 8 * 16 * 4096 * 4096 * 128);
    expect(workloadFlops('attention', [8, 16, 4096, 128, 1])).toBe(2 * 8 * 16 * 4096 * 4096 * 128);
    expect(workloadBytes('copy', [1000])).toBe(8000);
    expect(workloadBytes('triad', [1000])).toBe(12000);
    expect(workloadFlops('triad', [1000])).toBe(2000);
    // x, w and y in bf16
    expect(workloadBytes('conv', [1, 8, 4, 4, 16, 1, 1, 1, 0])).toBe(2 * (128 + 128 + 256));
  });

  it('rejects shapes that do not fit, naming the field', () => {
    expect(shapeProblem('conv', [1, 2, 3])).toMatch(/expects a shape \[n, c, h, w, k, r, s, stride, pad\]/);
    expect(shapeProblem('conv', [1, 3, 4, 4, 8, 7, 7, 1, 0])).toMatch(/does not fit/);
    expect(shapeProblem('conv', [1, 3, 4, 4, 8, 3, 3, 0, 1])).toMatch(/stride must be an integer >= 1/);
    expect(shapeProblem('conv', [1, 3, 4, 4, 8, 3, 3, 1, 0])).toBeUndefined();
    expect(shapeProblem('attention', [1, 1, 64, 96, 0])).toMatch(/headDim 64 or 128/);
    expect(shapeProblem('attention', [1, 1, 64, 96, 0], 'cudnn')).toBeUndefined();
    expect(shapeProblem('attention', [1, 1, 64, 64, 2])).toMatch(/causal must be 0 or 1/);
    expect(shapeProblem('copy', [0])).toMatch(/elements must be an integer >= 1/);
    expect(() => kernelWorkload('conv', 'cublas', [1, 8, 4, 4, 8, 1, 1, 1, 0], 1)).toThrow(/own, cudnn/);
    expect(() => kernelWorkload('conv9', 'own', [1], 1)).toThrow(/conv, attention, copy, triad/);
    expect(kernelWorkload('triad', 'own', [10], 7)).toEqual({ kernel: 'triad', impl: 'own', dtype: 'fp32', shape: [10], seed: 7 });
  });
});

describe('kernel presets', () => {
  it('are all valid for every implementation of their family, with unique names', () => {
    const names = new Set<string>();
    for (const preset of KERNEL_PRESETS) {
      expect(names.has(preset.name), preset.name).toBe(false);
      names.add(preset.name);
      const kernel = preset.kernel;
      if (isKernelFamily(kernel)) for (const impl of KERNEL_IMPLS[kernel]) expect(shapeProblem(kernel, preset.shape, impl), preset.name).toBeUndefined();
      else if (isWorkload(kernel)) expect(workloadShapeProblem(kernel, preset.shape), preset.name).toBeUndefined();
      else expect([kernel, preset.shape.length, preset.dtype !== undefined], preset.name).toEqual(['gemm', 3, true]);
    }
    for (const target of TARGET_PRESETS) {
      const preset = findPreset(target.preset);
      expect(preset, target.preset).toBeDefined();
      expect(isKernelFamily(preset!.kernel) && KERNEL_IMPLS[preset!.kernel]).toContain(target.library);
    }
  });

  it("add up to ResNet-50's published cost: about 4.1 GMAC per 224x224 image in its convolutions", () => {
    let macs = 0;
    for (const p of RESNET50_CONV_PRESETS) macs += (p.count * workloadFlops('conv', [1, ...p.shape.slice(1)])) / 2;
    expect(macs).toBeGreaterThan(4.0e9);
    expect(macs).toBeLessThan(4.15e9);
    // 53 convolutions: the stem, 16 bottlenecks of 3, and 4 shortcuts
    expect(RESNET50_CONV_PRESETS.reduce((n, p) => n + p.count, 0)).toBe(53);
  });

  it('chain: each ResNet-50 stage starts where the previous one ended', () => {
    const byName = (n: string) => RESNET50_CONV_PRESETS.find((p) => p.name === `resnet50-${n}`)!.shape;
    const out = (s: readonly number[]) => convOutputSize(s[2]!, s[5]!, s[7]!, s[8]!);
    expect(out(byName('conv1'))).toBe(112); // a 3x3/2 max pool follows: 112 -> 56
    expect(byName('l2-3x3')[2]).toBe(out(byName('l2-3x3-stride2')));
    expect(byName('l3-3x3')[2]).toBe(out(byName('l3-3x3-stride2')));
    expect(byName('l4-3x3')[2]).toBe(out(byName('l4-3x3-stride2')));
    expect(ATTENTION_PRESETS.map((p) => p.name)).toEqual(['bert-base', 'llm-4k', 'llm-4k-causal']);
  });
});

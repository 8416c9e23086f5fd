import { describe, expect, it } from 'vitest';
import { parseDuration, resolveRunConfig } from '../src/config.js';
import { OptionError } from '../src/errors.js';

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('expected an OptionError');
}

/** The spec of a single-role run: where --kernel, --shape, --loop and the like land. */
function onlySpec(options: Parameters<typeof resolveRunConfig>[0]) {
  const c = resolveRunConfig(options);
  expect(c.clients).toHaveLength(1);
  return c.clients[0]!;
}

describe('kernels, shapes and implementations', () => {
  it('gives gemm its square shape from --size, or --shape, in bf16 with the own kernel', () => {
    expect(onlySpec({ size: 1024 })).toMatchObject({ kernel: 'gemm', shape: [1024, 1024, 1024], impl: 'own', dtype: 'bf16' });
    expect(onlySpec({ shape: '4096,64,8192', impl: 'cublas', dtype: 'tf32' })).toMatchObject({
      shape: [4096, 64, 8192],
      impl: 'cublas',
      dtype: 'tf32',
    });
  });

  it('takes a preset as kernel and shape, and the families default to a typical layer', () => {
    expect(onlySpec({ preset: 'bert-base', impl: 'cudnn' })).toMatchObject({
      kernel: 'attention',
      shape: [32, 12, 512, 64, 0],
      impl: 'cudnn',
      dtype: 'bf16',
    });
    expect(onlySpec({ kernel: 'conv' })).toMatchObject({ kernel: 'conv', shape: [256, 64, 56, 56, 64, 3, 3, 1, 1], impl: 'own' });
    expect(onlySpec({ kernel: 'copy', impl: 'cudart' })).toMatchObject({ shape: [2 ** 28], dtype: 'fp32' });
  });

  it.each([
    [{ shape: '64,64' }, '--shape'],
    [{ size: 64, shape: '64,64,64' }, '--shape'],
    [{ dtype: 'int8' }, '--dtype'],
    [{ impl: 'cudnn' }, '--impl'],
    [{ kernel: 'conv', size: 64 }, '--size'],
    [{ kernel: 'triad', impl: 'cudart' }, '--impl'],
    [{ kernel: 'attention', shape: '8,16,4096,96,0' }, '--shape'],
    [{ kernel: 'conv', dtype: 'fp16' }, '--dtype'],
    [{ preset: 'resnet51' }, '--preset'],
    [{ preset: 'bert-base', kernel: 'conv' }, '--kernel'],
    [{ kernel: 'probe', shape: '1' }, '--shape'],
  ])('rejects %j naming %s', (options, option) => {
    expect(optionError(() => resolveRunConfig(options)).option).toBe(option);
  });
});

describe('resolveRunConfig', () => {
  it('fills the documented defaults', () => {
    const c = resolveRunConfig({ seed: 5 });
    expect(c).toMatchObject({ procs: 4, durationNs: 5e9, launches: 0, baseline: true, device: 0, seed: 5 });
    // One role of four identical clients, named after its kernel.
    expect(c.clients).toEqual([
      {
        role: 'gemm',
        count: 4,
        kernel: 'gemm',
        size: 4096,
        shape: [4096, 4096, 4096],
        impl: 'own',
        dtype: 'bf16',
        loop: 'saturate',
        depth: 3,
        knobs: {},
        spinNs: 2e6,
        gapThresholdNs: 4e3,
      },
    ]);
  });

  it('accepts CLI strings', () => {
    const c = resolveRunConfig({ kernel: 'probe', procs: '2', duration: '500ms', size: '1024', loop: 'closed', spinUs: '250' });
    expect(c).toMatchObject({ procs: 2, durationNs: 5e8 });
    expect(c.clients[0]).toMatchObject({ kernel: 'probe', count: 2, size: 1024, loop: 'closed', depth: 1, spinNs: 250_000 });
  });

  it('draws a fresh seed when none is given', () => {
    expect(resolveRunConfig({}).seed).not.toBe(resolveRunConfig({}).seed);
  });

  it('names the option and lists the valid kernels and model workloads', () => {
    const e = optionError(() => resolveRunConfig({ kernel: 'conv2' }));
    expect(e.option).toBe('--kernel');
    expect(e.message).toBe(
      'invalid --kernel: expected one of gemm, probe, conv, attention, copy, triad, resnet50-train, resnet50-infer, bert-base-train, bert-base-infer, llm-decode, got "conv2"',
    );
  });

  it.each([0, 65, 2.5, '-1', 'four', ''])('rejects --procs %s', (procs) => {
    expect(optionError(() => resolveRunConfig({ procs })).message).toMatch(/^invalid --procs: expected an integer in 1\.\.64, got /);
  });

  it.each(['0s', '5x', 'ms', '-1s', '2h', '10ms'])('rejects --duration %s', (duration) => {
    expect(optionError(() => resolveRunConfig({ duration })).option).toBe('--duration');
  });

  it.each([0, 40000, 1.5, 'big'])('rejects --size %s', (size) => {
    expect(optionError(() => resolveRunConfig({ size })).option).toBe('--size');
  });

  it('rejects --duration with --launches, --depth with a closed loop, an unknown loop', () => {
    expect(optionError(() => resolveRunConfig({ duration: '1s', launches: 10 })).option).toBe('--launches');
    expect(optionError(() => resolveRunConfig({ loop: 'closed', depth: 4 })).option).toBe('--depth');
    expect(optionError(() => resolveRunConfig({ loop: 'ring' })).message).toContain('saturate, closed, open');
    expect(optionError(() => resolveRunConfig({ loop: 'open' })).option).toBe('--arrival');
  });

  it('keeps every message on one line', () => {
    for (const bad of [{ kernel: 'x' }, { procs: 99 }, { duration: 'soon' }, { size: -1 }, { warmup: 'x' }]) {
      expect(optionError(() => resolveRunConfig(bad)).message).not.toContain('\n');
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['5s', 5e9],
    ['500ms', 5e8],
    ['1.5', 1.5e9],
    ['1m', 60e9],
    ['250us', 250e3],
    [2, 2e9],
  ])('%s', (raw, ns) => {
    expect(parseDuration('--duration', raw, 0, 3600e9)).toBe(ns);
  });
});

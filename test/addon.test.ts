// The addon loads anywhere it was built, reports "no GPU" cleanly, and rejects wrong arguments with
// TypeErrors. The loader lists what it tried when nothing loads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../src/binding/contract.js';
import { addonCandidates, loadBinding } from '../src/binding/loader.js';
import { AddonLoadError } from '../src/errors.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';

let binding: NativeBinding | undefined;
let loadError: Error | undefined;
try {
  binding = loadBinding();
} catch (error) {
  loadError = error as Error;
}

describe('loader', () => {
  it('fails with every path it tried and what to do', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gsm-empty-'));
    try {
      const error = (() => {
        try {
          loadBinding(empty);
        } catch (e) {
          return e as AddonLoadError;
        }
        throw new Error('expected a failure');
      })();
      expect(error).toBeInstanceOf(AddonLoadError);
      expect(error.code).toBe('ERR_ADDON_LOAD');
      for (const candidate of addonCandidates(empty)) expect(error.message).toContain(candidate);
      expect(error.message).toContain('npm run build:native');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!binding)('native addon', () => {
  if (!binding) console.warn(`[skip] addon tests: ${loadError?.message.split('\n')[0]}`);

  it('reports its build without touching CUDA', () => {
    const info = binding!.addonInfo();
    expect(info.napiVersion).toBe(8);
    expect(info.intervalBytes).toBe(16);
    expect(info.cudaRuntimeVersion).toBeGreaterThanOrEqual(12000);
    expect(info.cudaArchitectures).toMatch(/\d/);
  });

  it('answers cudaDevices() either with devices or with a coded reason', async () => {
    const cuda = await binding!.cudaDevices();
    if (cuda.available) {
      expect(cuda.devices.length).toBeGreaterThan(0);
      expect(cuda.devices[0]!.smCount).toBeGreaterThan(0);
    } else {
      expect(cuda.devices).toEqual([]);
      expect(cuda.error?.code).toBe('ERR_NO_GPU');
      expect(cuda.error?.cudaError).toMatch(/^cudaError/);
    }
  });

  it('answers nvmlSnapshot() with devices or a reason', async () => {
    const snap = await binding!.nvmlSnapshot();
    if (!snap.available) expect(snap.reason).toMatch(/NVML|nvml|libnvidia-ml/);
    else expect(snap.driverVersion).toMatch(/^\d+\./);
  });

  it.each([
    ['no argument', []],
    ['a number', [5]],
    ['no workload', [{ ...loopConfig(gemmWorkload(4)), workload: undefined }]],
    ['an unknown kernel', [loopConfig({ ...gemmWorkload(4), kernel: 'nope' })]],
    ['a string size', [loopConfig({ ...gemmWorkload(4), shape: ['4', 4, 4] as unknown as number[] })]],
    ['a negative size', [loopConfig({ ...gemmWorkload(4), shape: [-4, 4, 4] })]],
    ['a gemm without three dimensions', [loopConfig({ ...gemmWorkload(4), shape: [4, 4] })]],
    ['both duration and launches', [loopConfig(gemmWorkload(4), { durationNs: 1e9, launches: 5 })]],
    ['a string priority', [{ ...loopConfig(gemmWorkload(4)), streamPriority: 'high' }]],
    ['traceEvery 0', [{ ...loopConfig(gemmWorkload(4)), traceEvery: 0 }]],
    ['a fractional traceEvery', [{ ...loopConfig(gemmWorkload(4)), traceEvery: 1.5 }]],
  ])('TimedLoop with %s throws a TypeError', (_label, args) => {
    const Ctor = binding!.TimedLoop as unknown as new (...a: unknown[]) => unknown;
    expect(() => new Ctor(...args)).toThrow(TypeError);
  });

  it('run() without a bigint start throws a TypeError; run() before prepare() rejects', async () => {
    const loop = new binding!.TimedLoop(loopConfig(gemmWorkload(8)));
    expect(() => (loop.run as unknown as (x: unknown) => unknown)(5)).toThrow(TypeError);
    await expect(loop.run(0n)).rejects.toMatchObject({ code: 'ERR_STATE' });
    loop.release();
  });

  it('green-context functions with wrong arguments throw a TypeError', () => {
    const create = binding!.createGreenContexts as unknown as (...a: unknown[]) => unknown;
    const partition = binding!.smPartitioning as unknown as (...a: unknown[]) => unknown;
    expect(() => create()).toThrow(TypeError);
    expect(() => create({ device: 0, smCounts: [] })).toThrow(TypeError);
    expect(() => create({ device: 0, smCounts: [8, 'x'] })).toThrow(TypeError);
    expect(() => partition('0')).toThrow(TypeError);
  });

  it('workloadCheck with wrong arguments throws a TypeError', () => {
    const check = binding!.workloadCheck as unknown as (...a: unknown[]) => unknown;
    expect(() => check()).toThrow(TypeError);
    expect(() => check(gemmWorkload(4))).toThrow(TypeError);
    expect(() => check({ ...gemmWorkload(4), kernel: 'nope' }, 0)).toThrow(TypeError);
  });

  it('workloadAvailable says which workloads this build has, without a GPU', () => {
    expect(binding!.workloadAvailable(gemmWorkload(4))).toEqual({ available: true });
    for (const dtype of ['bf16', 'fp16', 'tf32', 'fp32']) {
      expect(binding!.workloadAvailable({ ...gemmWorkload(4), dtype }).available).toBe(true);
      expect(binding!.workloadAvailable({ ...gemmWorkload(4), dtype, impl: 'cublas' }).available).toBe(true);
    }
    expect(binding!.workloadAvailable({ kernel: 'memcpy', impl: 'cudart', dtype: 'none', shape: [1], seed: 1 }).available).toBe(true);
    const missing = binding!.workloadAvailable({ ...gemmWorkload(4), kernel: 'nope' });
    expect(missing.available).toBe(false);
    expect(missing.reason).toMatch(/no workload 'nope'/);
    expect(binding!.workloadAvailable({ ...gemmWorkload(4), dtype: 'int8' })).toMatchObject({
      available: false,
      reason: expect.stringMatching(/dtype 'int8'/),
    });
    expect(binding!.workloadAvailable({ ...gemmWorkload(4), gemmPath: 'tensor' })).toMatchObject({
      available: false,
      reason: expect.stringMatching(/path 'tensor'/),
    });
    const f = binding!.workloadAvailable as unknown as (...a: unknown[]) => unknown;
    expect(() => f()).toThrow(TypeError);
    expect(() => f({ ...gemmWorkload(4), gemmPath: 3 })).toThrow(TypeError);
  });
});

// The addon keeps the contract's word on errors and knobs (src/binding/contract.ts): the codes it
// throws are exactly NATIVE_ERROR_CODES, argument errors are TypeErrors with ERR_ARGS (also for a
// knob out of range, a shape whose tensors would overflow, a method on the wrong object), calls out
// of order are ERR_STATE, and without a driver every call says ERR_NO_GPU. Needs no GPU.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type NativeBinding, NATIVE_ERROR_CODES, type WorkloadSpec } from '../src/binding/contract.js';
import { loadBinding, packageRoot } from '../src/binding/loader.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(h|cpp)$/.test(name) ? [path] : [];
  });
}

describe('error codes', () => {
  it('NATIVE_ERROR_CODES lists exactly the codes native/ throws', () => {
    const used = new Set<string>();
    for (const file of sources(join(packageRoot, 'native'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/"(ERR_[A-Z_]+)"/g)) used.add(m[1]!);
    }
    expect([...used].sort()).toEqual([...NATIVE_ERROR_CODES].sort());
  });
});

let binding: NativeBinding | undefined;
try {
  binding = loadBinding();
} catch {
  binding = undefined;
}
const cuda = binding ? await binding.cudaDevices() : undefined;

/** The error `f` throws synchronously. */
function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

function expectArgsError(f: () => unknown, message?: RegExp): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(TypeError);
  expect(e.code).toBe('ERR_ARGS');
  if (message) expect(e.message).toMatch(message);
}

const conv = (shape: number[], extra: Partial<WorkloadSpec> = {}): WorkloadSpec => ({ kernel: 'conv', impl: 'own', dtype: 'bf16', shape, seed: 1, ...extra });
const attention = (impl: string, shape: number[], extra: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  kernel: 'attention',
  impl,
  dtype: 'bf16',
  shape,
  seed: 1,
  ...extra,
});

describe.skipIf(!binding)('knobs are spec fields, checked for every workload', () => {
  const b = binding!;

  it('conv takes variants 0 to 8 and attention 0 to 6 (impl own), -1 or none for the default', () => {
    for (let variant = -1; variant <= 8; variant++) expect(b.workloadAvailable(conv([1, 8, 8, 8, 8, 3, 3, 1, 1], { variant }))).toEqual({ available: true });
    for (let variant = -1; variant <= 6; variant++) expect(b.workloadAvailable(attention('own', [1, 1, 64, 64, 0], { variant }))).toEqual({ available: true });
    expect(b.workloadAvailable(conv([1, 8, 8, 8, 8, 3, 3, 1, 1], { variant: 9 }))).toMatchObject({
      available: false,
      reason: expect.stringMatching(/tile variants 0 to 8/),
    });
    expect(b.workloadAvailable(attention('own', [1, 1, 64, 64, 0], { variant: 7 }))).toMatchObject({
      available: false,
      reason: expect.stringMatching(/tile variants 0 to 6/),
    });
  });

  it('a knob on a workload without it is refused, not ignored', () => {
    expect(b.workloadAvailable({ ...gemmWorkload(4), variant: 1 })).toMatchObject({
      available: false,
      reason: expect.stringMatching(/variant applies to conv and attention/),
    });
    expect(b.workloadAvailable(conv([1, 8, 8, 8, 8, 3, 3, 1, 1], { impl: 'cudnn', variant: 1 })).available).toBe(false);
    expect(b.workloadAvailable(conv([1, 8, 8, 8, 8, 3, 3, 1, 1], { cudnnGraph: 'unified' })).available).toBe(false);
    expectArgsError(() => new b.TimedLoop(loopConfig({ ...gemmWorkload(4), variant: 2 })), /variant/);
  });

  it('cudnnGraph takes auto, unified (non-causal only) or composite', () => {
    for (const cudnnGraph of ['auto', 'unified', 'composite'] as const) {
      expect(b.workloadAvailable(attention('cudnn', [1, 1, 64, 64, 0], { cudnnGraph }))).toEqual({ available: true });
    }
    expect(b.workloadAvailable(attention('cudnn', [1, 1, 64, 64, 1], { cudnnGraph: 'unified' }))).toMatchObject({
      available: false,
      reason: expect.stringMatching(/causal/),
    });
    const fast = attention('cudnn', [1, 1, 64, 64, 0], { cudnnGraph: 'fast' as 'auto' });
    expect(b.workloadAvailable(fast)).toMatchObject({ available: false, reason: expect.stringMatching(/auto, unified or composite/) });
    expectArgsError(() => b.workloadCheck(fast, 0), /cudnnGraph/);
  });
});

describe.skipIf(!binding)('shapes: element counts are bounded, never wrapped', () => {
  const b = binding!;

  it('a conv whose input would pass 2^40 elements is refused with ERR_ARGS', () => {
    const huge = conv([65536, 65536, 65536, 65536, 1, 1, 1, 1, 0]);
    expect(b.workloadAvailable(huge)).toMatchObject({ available: false, reason: expect.stringMatching(/conv input x .* too large/) });
    expectArgsError(() => new b.TimedLoop(loopConfig(huge)), /too large/);
    expectArgsError(() => b.workloadCheck(huge, 0), /too large/);
  });

  it('what a kernel indexes with 32-bit integers stays below 2^31', () => {
    expect(b.workloadAvailable(conv([1, 8, 2 ** 16, 2 ** 16, 8, 1, 1, 1, 0])).reason).toMatch(/input pixels/);
    expect(b.workloadAvailable(conv([1, 8, 8, 8, 8, 3, 3, 1, 2 ** 30])).reason).toMatch(/padded input/);
    expect(b.workloadAvailable(attention('own', [2 ** 16, 2 ** 16, 1, 64, 0])).reason).toMatch(/batch x heads/);
    expect(b.workloadAvailable(attention('cublas', [1, 1, 2 ** 21, 64, 0])).reason).toMatch(/scores .* too large/);
    expect(b.workloadAvailable(attention('own', [1, 1, 2 ** 21, 64, 0]))).toEqual({ available: true });
    expect(b.workloadAvailable({ kernel: 'copy', impl: 'own', dtype: 'fp32', shape: [2 ** 31 - 1], seed: 1 })).toEqual({ available: true });
  });

  it('a conv filter larger than the padded input is refused, however the stride divides', () => {
    expect(b.workloadAvailable(conv([1, 8, 1, 1, 8, 2, 2, 2, 0])).reason).toMatch(/filter larger than the padded input/);
  });

  it('a shape of more than 16 dimensions is an argument error, not cut short', () => {
    expectArgsError(() => b.workloadAvailable({ ...gemmWorkload(4), shape: Array(17).fill(4) }), /shape/);
  });
});

describe.skipIf(!binding)('argument errors carry ERR_ARGS wherever they come from', () => {
  const b = binding!;
  const anyB = b as unknown as Record<string, (...a: unknown[]) => unknown>;

  it('a 64-bit count, time or seed that is not a whole number is refused, not truncated', () => {
    expectArgsError(() => new b.TimedLoop(loopConfig({ ...gemmWorkload(4), seed: 1.5 })), /integer for seed/);
    expectArgsError(() => new b.TimedLoop({ ...loopConfig(gemmWorkload(4)), durationNs: 1e8 + 0.5 }), /integer for durationNs/);
    expectArgsError(() => new b.TimedLoop({ ...loopConfig(gemmWorkload(4)), traceCapacity: 2.5 }), /integer for traceCapacity/);
    expectArgsError(() => b.workloadCheck({ ...gemmWorkload(4), seed: 0.25 }, 0), /integer for seed/);
  });

  it('a workload this build lacks', () => {
    expectArgsError(() => new b.TimedLoop(loopConfig({ ...gemmWorkload(4), kernel: 'nope' })), /no workload 'nope'/);
  });

  it('a getter or Proxy trap that throws while options are read', () => {
    const config = loopConfig(gemmWorkload(4));
    Object.defineProperty(config, 'depth', {
      get: () => {
        throw new Error('no depth today');
      },
      enumerable: true,
    });
    expectArgsError(() => new b.TimedLoop(config), /could not read depth: no depth today/);
    const trapped = new Proxy(
      { device: 0, periodMs: 50, gpm: false },
      {
        get: () => {
          throw new RangeError('trap');
        },
      },
    );
    expectArgsError(() => new b.NvmlSampler(trapped), /could not read/);
  });

  it('a method called on another object, or a class called without new', () => {
    const sampler = new b.NvmlSampler({ device: 0, periodMs: 50, gpm: false });
    const prepare = b.TimedLoop.prototype.prepare as (this: unknown) => unknown;
    expectArgsError(() => prepare.call(sampler), /expected a TimedLoop/);
    expectArgsError(() => prepare.call({}), /expected a TimedLoop/);
    expectArgsError(() => prepare.call(undefined), /expected a TimedLoop/);
    expectArgsError(() => anyB.TimedLoop!(loopConfig(gemmWorkload(4))), /call it with new/);
  });
});

describe.skipIf(!binding)('calls out of order are ERR_STATE', () => {
  it('release() while prepare() is pending throws ERR_STATE and leaves the loop usable', async () => {
    const loop = new binding!.TimedLoop(loopConfig(gemmWorkload(4), { durationNs: 0, launches: 3 }));
    const pending = loop.prepare();
    const e = thrown(() => loop.release());
    expect(e.code).toBe('ERR_STATE');
    await pending.catch((error: { code?: string }) => expect(NATIVE_ERROR_CODES).toContain(error.code));
    loop.release();
  });
});

describe.skipIf(!binding || cuda?.available)('without a driver, every call that needs the GPU says ERR_NO_GPU', () => {
  const b = binding!;

  it.each([
    ['createGreenContexts', () => b.createGreenContexts({ device: 0, smCounts: [8] })],
    ['workloadCheck', () => b.workloadCheck(gemmWorkload(4), 0)],
    ['TimedLoop.prepare', () => new b.TimedLoop(loopConfig(gemmWorkload(4))).prepare()],
  ])('%s rejects with ERR_NO_GPU', async (_name, call) => {
    await expect(call()).rejects.toMatchObject({ code: 'ERR_NO_GPU' });
  });

  it('smPartitioning and cudaDevices say why instead', async () => {
    expect((await b.smPartitioning(0)).supported).toBe(false);
    expect((await b.cudaDevices()).error?.code).toBe('ERR_NO_GPU');
  });
});

describe.skipIf(!binding)('nvmlProcessUtilization: its options are checked before NVML is asked', () => {
  const b = binding!;
  const call = (...args: unknown[]) => (b.nvmlProcessUtilization as (...a: unknown[]) => unknown)(...args);

  it.each([
    [[], /expected an object for the process utilisation options/],
    [[7], /expected an object/],
    [[{ sinceUs: 0 }], /device/],
    [[{ device: -1, sinceUs: 0 }], /device/],
    [[{ device: 1024, sinceUs: 0 }], /device/],
    [[{ device: 0.5, sinceUs: 0 }], /device/],
    [[{ device: 0 }], /expected a number for sinceUs/],
    [[{ device: 0, sinceUs: '0' }], /sinceUs/],
    [[{ device: 0, sinceUs: 1.5 }], /expected an integer for sinceUs/],
    [[{ device: 0, sinceUs: -1 }], /sinceUs/],
    [[{ device: 0, sinceUs: 2 ** 53 }], /sinceUs/],
  ])('%j is a TypeError with ERR_ARGS', (args, message) => {
    expectArgsError(() => call(...args), message);
  });

  it.skipIf(cuda?.available)('without NVML it resolves to reported: false with the reason, not an error', async () => {
    const r = await b.nvmlProcessUtilization({ device: 0, sinceUs: 0 });
    expect(r.reported).toBe(false);
    expect(r.reason).toMatch(/libnvidia-ml\.so\.1|NVML/);
    expect(r.samples).toEqual([]);
  });
});

// The observe functions at the N-API boundary: wrong arguments throw TypeError (never crash), and
// without NVML, CUPTI or a GPU each source says so instead of failing.
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../src/binding/contract.js';
import { loadBinding } from '../../src/binding/loader.js';
import { startKernelActivity } from '../../src/observe/cupti.js';
import { startDeviceObservers } from '../../src/observe/observers.js';
import { startPmSampling } from '../../src/observe/pm-sampling.js';

const binding: NativeBinding = loadBinding();
const snapshot = await binding.nvmlSnapshot();
const cuda = await binding.cudaDevices();
const anyBinding = binding as unknown as Record<string, (...args: unknown[]) => unknown> & {
  NvmlSampler: new (...args: unknown[]) => unknown;
  PmSampler: new (...args: unknown[]) => unknown;
};

describe('observe: N-API arguments', () => {
  it.each([
    [undefined],
    ['fast'],
    [{ periodMs: 50 }],
    [{ device: '0', periodMs: 50 }],
    [{ device: 0, periodMs: 0 }],
    [{ device: 0, periodMs: 1.5 }],
    [{ device: 0, periodMs: 50, gpm: 'yes' }],
    [{ device: 0, periodMs: 50, retain: 1 }],
  ])('NvmlSampler(%j) throws TypeError', (options) => {
    expect(() => new anyBinding.NvmlSampler(options)).toThrow(TypeError);
  });

  it.each([[undefined], [{ device: 0 }], [{ device: -1, maxRecords: 10 }], [{ device: 0, maxRecords: 10, globalTimer: 'yes' }]])(
    'cuptiActivityStart(%j) throws TypeError',
    (options) => {
      expect(() => anyBinding.cuptiActivityStart!(options)).toThrow(TypeError);
    },
  );

  it.each([
    [undefined],
    [{ device: 0, intervalNs: 10, hardwareBufferBytes: 2 ** 24, maxSamplesPerImage: 100 }],
    [{ device: 0, intervalNs: 1e5, hardwareBufferBytes: 2 ** 24 }],
    [{ device: 0, intervalNs: 1e5, hardwareBufferBytes: 2 ** 24, maxSamplesPerImage: 100, metrics: 'sm__cycles_active.avg' }],
    [{ device: 0, intervalNs: 1e5, hardwareBufferBytes: 2 ** 24, maxSamplesPerImage: 100, metrics: [1] }],
  ])('PmSampler(%j) throws TypeError', (options) => {
    expect(() => new anyBinding.PmSampler(options)).toThrow(TypeError);
  });

  it('a sampler that never started cannot be stopped and has no reading', async () => {
    const s = new binding.NvmlSampler({ device: 0, periodMs: 50, gpm: false });
    expect(s.latest()).toBeNull();
    await expect(s.stop()).rejects.toMatchObject({ code: 'ERR_STATE' });
  });
});

describe.skipIf(snapshot.available)('observe without NVML', () => {
  it('the snapshot and the sampler say why', async () => {
    expect(snapshot.reason).toMatch(/libnvidia-ml/);
    const s = new binding.NvmlSampler({ device: 0, periodMs: 50, gpm: true });
    expect(() => s.start()).toThrow(expect.objectContaining({ code: 'ERR_NVML' }));
  });

  it('the device observers report NVML unavailable without failing', async () => {
    const observers = await startDeviceObservers({ device: 0, binding });
    expect(observers.notRunning.map((n) => n.source)).toEqual(['nvml']);
    const o = await observers.stop();
    expect(o.nvml).toMatchObject({ available: false });
    expect((o.nvml as { reason: string }).reason).toMatch(/libnvidia-ml/);
  });
});

describe.skipIf(cuda.available)('CUPTI without a GPU', () => {
  it('kernel activity is unavailable, with the reason', async () => {
    const running = await startKernelActivity(binding, { device: 0 });
    expect(running.started.available).toBe(false);
    expect(running.started.reason).toBeTruthy();
    const result = await running.stop();
    expect(result).toMatchObject({ available: false, pid: process.pid });
    // A second start is allowed: the first never ran.
    expect((await startKernelActivity(binding)).started.available).toBe(false);
  });

  it('PM sampling is unavailable, with the reason', async () => {
    const running = await startPmSampling(binding, { device: 0 });
    expect(running.started.available).toBe(false);
    expect(running.started.reason).toBeTruthy();
    expect((await running.stop()).available).toBe(false);
  });
});

describe('observe: GPM period argument', () => {
  it('rejects a non-integer gpmPeriodMs', () => {
    expect(() => new anyBinding.NvmlSampler({ device: 0, periodMs: 50, gpm: true, gpmPeriodMs: 'often' })).toThrow(TypeError);
    expect(() => new anyBinding.NvmlSampler({ device: 0, periodMs: 50, gpm: true, gpmPeriodMs: 0 })).toThrow(TypeError);
  });
});

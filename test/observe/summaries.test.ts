// From raw sampler series to tagged summaries, flags and JSON-safe series: the pure functions the
// observers use, fed with series shaped exactly like the native sampler's output.
import { describe, expect, it } from 'vitest';
import type { CuptiActivityRaw, NvmlSeriesRaw, PmSamplingRaw } from '../../src/binding/contract.js';
import { pick } from '../../src/metrics/summary.js';
import { kernelActivity } from '../../src/observe/cupti.js';
import { hostWindow, observeNvml } from '../../src/observe/nvml-sampler.js';
import { observePm } from '../../src/observe/pm-sampling.js';
import { deviceObservationSchema, kernelActivitySchema } from '../../src/observe/schema.js';
import { intervalMean, indexRange, pointStats } from '../../src/observe/window.js';

const f64 = (...v: number[]) => Float64Array.from(v);

function series(overrides: Partial<NvmlSeriesRaw> = {}): NvmlSeriesRaw {
  // 5 samples 50 ms apart; power and utilisation rise; one failed read (NaN) of the SM clock.
  return {
    device: 0,
    name: 'Test GPU',
    uuid: 'GPU-00000000-0000-0000-0000-000000000000',
    periodMs: 50,
    startNs: 1_000_000_000_000n,
    endNs: 1_000_000_000_000n + 200_000_000n,
    lateSamples: 0,
    tNs: f64(0, 50e6, 100e6, 150e6, 200e6),
    columns: {
      utilizationGpuPct: f64(0, 100, 100, 100, 50),
      memoryUsedBytes: f64(2 ** 30, 2 ** 31, 2 ** 31, 2 ** 31, 2 ** 30),
      powerW: f64(100, 300, 500, 500, 200),
      smClockMHz: f64(1980, Number.NaN, 1980, 1755, 1980),
      clocksEventReasons: f64(0x1, 0, 0x4, 0x4, 0),
      energyJ: f64(1000, 1015, 1040, 1065, 1075),
    },
    gpm: {
      available: true,
      startNs: f64(0, 50e6, 100e6, 150e6),
      endNs: f64(50e6, 100e6, 150e6, 200e6),
      metrics: { smActivityPct: f64(10, 90, 90, 50), smOccupancyPct: f64(5, 20, 20, 10) },
    },
    migGpm: [],
    events: { available: true, list: [{ tNs: 120e6, type: 0x8, data: 79 }] },
    ecc: { before: { corrected: 3, uncorrected: 0 }, after: { corrected: 5, uncorrected: 1 } },
    processes: {
      available: true,
      list: [{ pid: 42, mps: false, maxUsedMemoryBytes: 2 ** 30, lastUsedMemoryBytes: 2 ** 30, firstSeenNs: 0, lastSeenNs: 200e6 }],
    },
    errors: [],
    ...overrides,
  };
}

describe('window helpers', () => {
  it('selects samples inside a window and averages intervals by their overlap', () => {
    expect(indexRange(f64(0, 10, 20, 30), { fromNs: 5, toNs: 20 })).toEqual([1, 3]);
    expect(pointStats(f64(1, Number.NaN, 3), 0, 3)).toEqual({ count: 2, mean: 2, min: 1, max: 3 });
    expect(pointStats(f64(Number.NaN), 0, 1)).toBeUndefined();
    // [0,10]=10 and [10,30]=40; the window [5,20] covers 5 ns of the first and 10 of the second.
    const m = intervalMean(f64(0, 10), f64(10, 30), f64(10, 40), { fromNs: 5, toNs: 20 });
    expect(m?.coveredNs).toBe(15);
    expect(m?.mean).toBeCloseTo((10 * 5 + 40 * 10) / 15, 12);
  });
});

describe('observeNvml', () => {
  it('summarises every reported field and leaves out the others', () => {
    const o = observeNvml(series());
    const v = (tag: string) => pick(o.summaries, tag)?.value;
    expect(v('nvml.samples')).toBe(5);
    expect(v('nvml.gpu_util.mean')).toBeCloseTo(0.7, 12);
    expect(v('nvml.gpu_util.max')).toBe(1);
    expect(v('nvml.power.mean')).toBeCloseTo(320, 12);
    expect(v('nvml.sm_clock.min')).toBe(1755);
    expect(v('nvml.sm_clock.mean')).toBeCloseTo((1980 * 3 + 1755) / 4, 12); // the NaN is skipped
    expect(v('nvml.energy')).toBe(75);
    expect(v('nvml.power.from_energy')).toBeCloseTo(75 / 0.2, 9);
    expect(v('nvml.memory_used.max')).toBe(2048);
    // Temperature and memory utilisation were not reported: no summary, not zero.
    expect(v('nvml.temperature.max')).toBeUndefined();
    expect(v('nvml.mem_util.mean')).toBeUndefined();
    expect(o.series.columns.temperatureC).toBeUndefined();
    expect(o.series.columns.smClockMHz?.[1]).toBeNull();
    // Two of five samples had the software power cap.
    expect(v('nvml.clock_limited')).toBeCloseTo(0.4, 12);
    expect(v('nvml.throttle.sw_power_cap')).toBeCloseTo(0.4, 12);
    expect(o.series.throttleReasons?.[2]).toEqual(['sw_power_cap']);
    // GPM, time-weighted, in its own list.
    const g = (tag: string) => pick(o.gpm.summaries, tag)?.value;
    expect(g('gpm.sm_active.mean')).toBeCloseTo(0.6, 12);
    expect(g('gpm.sm_occupancy.max')).toBeCloseTo(0.2, 12);
    expect(g('gpm.tensor_active.mean')).toBeUndefined();
  });

  it('flags Xid errors and ECC counts that rose', () => {
    const o = observeNvml(series());
    expect(pick(o.summaries, 'nvml.xid_events')?.value).toBe(1);
    expect(pick(o.summaries, 'nvml.ecc_corrected')?.value).toBe(2);
    expect(pick(o.summaries, 'nvml.ecc_uncorrected')?.value).toBe(1);
    expect(o.flags.some((f) => f.startsWith('Xid 79'))).toBe(true);
    expect(o.flags.some((f) => f.includes('UNCORRECTED'))).toBe(true);
    expect(o.events.list[0]).toMatchObject({ kind: 'xid', xid: 79 });
  });

  it('restricts summaries to a window on the host clock', () => {
    const raw = series();
    const o = observeNvml(raw, hostWindow(raw, raw.startNs + 50_000_000n, raw.startNs + 150_000_000n));
    expect(pick(o.summaries, 'nvml.samples')?.value).toBe(3);
    expect(pick(o.summaries, 'nvml.gpu_util.mean')?.value).toBe(1);
    expect(pick(o.gpm.summaries, 'gpm.sm_active.mean')?.value).toBeCloseTo(0.9, 12);
    expect(pick(o.summaries, 'nvml.xid_events')?.value).toBe(1);
  });

  it('says why GPM is missing and the result fits the schema', () => {
    const o = observeNvml(
      series({ gpm: { available: false, reason: 'this GPU does not support GPM (Hopper or newer is needed)', startNs: f64(), endNs: f64(), metrics: {} } }),
    );
    expect(o.gpm.available).toBe(false);
    expect(o.gpm.reason).toContain('GPM');
    expect(o.gpm.summaries).toEqual([]);
    const parsed = deviceObservationSchema.safeParse({ device: 0, window: { startNs: '1', endNs: '2' }, nvml: { available: true, ...o } });
    expect(parsed.success).toBe(true);
    const unavailable = deviceObservationSchema.safeParse({ device: 0, window: { startNs: '1', endNs: '2' }, nvml: { available: false, reason: 'no driver' } });
    expect(unavailable.success).toBe(true);
  });
});

describe('kernelActivity', () => {
  it('places CUPTI times on the host clock with the readings taken around them', () => {
    // CUPTI's clock runs 1e-4 faster than the host's and is offset by 5 s.
    const hostStart = 10_000_000_000n;
    const raw: CuptiActivityRaw = {
      available: true,
      library: 'libcupti.so.13',
      clockStart: { hostNs: hostStart, cuptiNs: hostStart + 5_000_000_000n, gpuNs: 1_700_000_000_000_000_000n, uncertaintyNs: 100 },
      clockEnd: {
        hostNs: hostStart + 1_000_000_000n,
        cuptiNs: hostStart + 5_000_000_000n + 1_000_100_000n,
        gpuNs: 1_700_000_001_000_000_000n,
        uncertaintyNs: 100,
      },
      baseNs: hostStart + 5_000_000_000n,
      kernels: {
        count: 2,
        startNs: f64(100_010, 500_050_000),
        endNs: f64(200_020, 600_060_000),
        deviceId: Uint32Array.from([0, 0]),
        contextId: Uint32Array.from([1, 1]),
        streamId: Uint32Array.from([13, 13]),
        correlationId: Uint32Array.from([7, 9]),
        nameIndex: Uint32Array.from([0, 0]),
        grid: Int32Array.from([8, 8, 1, 8, 8, 1]),
        block: Int32Array.from([256, 1, 1, 256, 1, 1]),
        registersPerThread: Uint32Array.from([64, 64]),
        sharedMemoryBytes: Uint32Array.from([0, 0]),
      },
      names: ['gemmKernel(int)'],
      droppedByCupti: 0,
      droppedOverLimit: 0,
      otherRecords: 0,
    };
    const k = kernelActivity(raw, 1234);
    expect(k.available).toBe(true);
    expect(k.hostEpochNs).toBe(hostStart.toString());
    expect(k.kernels!.startNs[0]).toBeCloseTo(100_000, 6);
    expect(k.kernels!.endNs[1]).toBeCloseTo(600_000_000, 3);
    expect(k.cuptiPerHostNs).toBeCloseTo(1.0001, 12);
    expect(k.gpuPerHostNs).toBe(1);
    expect(pick(k.summaries, 'cupti.kernels')?.value).toBe(2);
    expect(kernelActivitySchema.safeParse(k).success).toBe(true);
  });

  it('passes the reason on when CUPTI was refused', () => {
    const k = kernelActivity(
      { available: false, reason: 'cuptiActivityEnable failed: another profiler', cuptiError: 'CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED' },
      5,
    );
    expect(k).toMatchObject({ available: false, pid: 5, cuptiError: 'CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED' });
    expect(kernelActivitySchema.safeParse(k).success).toBe(true);
  });
});

describe('observePm', () => {
  const metric = 'sm__cycles_active.avg.pct_of_peak_sustained_elapsed';
  const base: PmSamplingRaw = {
    available: true,
    metrics: [metric],
    unsupportedMetrics: [],
    droppedMetrics: [],
    intervalNs: 100_000,
    clockStart: { hostNs: 5_000_000_000n, gpuNs: 1_800_000_000_000_000_000n, uncertaintyNs: 50 },
    clockEnd: { hostNs: 6_000_000_000n, gpuNs: 1_800_000_001_000_000_000n, uncertaintyNs: 50 },
    baseNs: 1_800_000_000_200_000_000n,
    startNs: f64(0, 100_000, 200_000),
    endNs: f64(100_000, 200_000, 300_000),
    values: { [metric]: f64(100, 50, 0) },
    overflows: 0,
    decodeErrors: 0,
  };

  it('recognises %globaltimer timestamps and maps them to the host clock', () => {
    const o = observePm(base);
    expect(o.clockDomain).toBe('globaltimer');
    expect(o.hostEpochNs).toBe('5000000000');
    expect(o.series!.startNs[0]).toBeCloseTo(200_000_000, 3);
    expect(pick(o.summaries, 'pm.samples')?.value).toBe(3);
    expect(pick(o.summaries, 'pm.sm_active.mean')?.value).toBeCloseTo(0.5, 12);
    expect(pick(o.summaries, 'pm.interval.p50')?.value).toBeCloseTo(100_000, 6);
  });

  it('leaves timestamps it cannot place relative to the first sample', () => {
    const o = observePm({ ...base, baseNs: 900_000_000_000_000_000n });
    expect(o.clockDomain).toBe('unknown');
    expect(o.hostEpochNs).toBeUndefined();
    expect(o.series!.startNs).toEqual([0, 100_000, 200_000]);
  });
});

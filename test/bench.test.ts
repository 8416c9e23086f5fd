// `bench` without a GPU: option validation, the summaries and floors, and the whole flow against a
// stand-in native module (the same code path the GPU run takes, with made-up rates).
import { describe, expect, it } from 'vitest';
import { bench, rowSummaries } from '../src/bench/bench.js';
import { resolveBenchConfig } from '../src/bench/options.js';
import { BENCH_PRESETS } from '../src/bench/presets.js';
import { OptionError } from '../src/errors.js';
import { pick } from '../src/metrics/summary.js';
import { formatBenchResult } from '../src/report/bench-table.js';
import { standInBinding } from './fixtures/stand-in-binding.js';

describe('resolveBenchConfig', () => {
  it('defaults to every preset, 50 launches', () => {
    const c = resolveBenchConfig({});
    expect(c.entries.map((e) => e.name)).toEqual(BENCH_PRESETS.map((p) => p.name));
    expect(c.launches).toBe(50);
    expect(c.entries.find((e) => e.name === 'gemm-bf16-8192')).toMatchObject({
      kernel: 'gemm',
      dtype: 'bf16',
      shape: [8192, 8192, 8192],
      metric: 'flops',
      library: { impl: 'cublas' },
    });
    expect(c.entries.find((e) => e.name === 'triad-1gib')?.library).toBeUndefined();
  });

  it('takes presets comma-separated or repeated, and one custom kernel', () => {
    expect(resolveBenchConfig({ preset: 'gemm-bf16-4096,gemm-fp32-4096' }).entries.map((e) => e.name)).toEqual(['gemm-bf16-4096', 'gemm-fp32-4096']);
    expect(resolveBenchConfig({ preset: ['gemm-tf32-4096', 'copy-1gib'] }).entries).toHaveLength(2);
    const custom = resolveBenchConfig({ kernel: 'gemm', shape: '1000,999,1001', dtype: 'tf32', launches: '7' });
    expect(custom.entries).toEqual([expect.objectContaining({ kernel: 'gemm', dtype: 'tf32', shape: [1000, 999, 1001] })]);
    expect(custom.launches).toBe(7);
    expect(resolveBenchConfig({ kernel: 'attention', shape: '8,16,4096,128,0' }).entries[0]!.shape).toEqual([8, 16, 4096, 128, 0]);
  });

  it.each([
    [{ preset: 'gemm-int8' }, '--preset'],
    [{ preset: '' }, '--preset'],
    [{ kernel: 'fft', shape: '4' }, '--kernel'],
    [{ kernel: 'gemm' }, '--shape'],
    [{ kernel: 'gemm', shape: '1,2' }, '--shape'],
    [{ kernel: 'gemm', shape: '0,2,3' }, '--shape'],
    [{ kernel: 'gemm', shape: '4,4,4', dtype: 'int8' }, '--dtype'],
    [{ kernel: 'gemm', shape: '4,4,4', preset: 'gemm-bf16-4096' }, '--kernel'],
    [{ shape: '4,4,4' }, '--shape'],
    [{ dtype: 'bf16' }, '--dtype'],
    [{ launches: 0 }, '--launches'],
    [{ warmup: 'soon' }, '--warmup'],
    [{ device: -1 }, '--device'],
    [{ preset: 'copy-1gib,triad-1gib', variants: true }, '--variants'],
    [{ kernel: 'gemm', shape: '4,4,4', dtype: 'fp32', variants: true }, '--variants'],
    [{ preset: 'resnet50-l1-3x3', variants: '9' }, '--variants'],
    [{ preset: 'resnet50-l1-3x3,bert-base', variants: '7' }, '--variants'],
    [{ preset: 'bert-base', variants: '-1' }, '--variants'],
    [{ preset: 'bert-base', variants: '' }, '--variants'],
    [{ preset: 'gemm-bf16-4096', variants: 'simt' }, '--variants'],
    [{ preset: 'gemm-bf16-4096,resnet50-l1-3x3', variants: 'mma' }, '--variants'],
  ])('rejects %j naming %s', (options, option) => {
    expect(() => resolveBenchConfig(options as never)).toThrow(OptionError);
    expect(() => resolveBenchConfig(options as never)).toThrow(`invalid ${option}`);
  });
});

describe('--variants', () => {
  it('gives every workload whose kernel has variants all of them, or the ones listed', () => {
    const all = resolveBenchConfig({ preset: 'gemm-bf16-4096,gemm-fp32-4096,resnet50-l1-3x3,bert-base,copy-1gib', variants: true }).entries;
    expect(all.map((e) => e.variants?.map((v) => v.name))).toEqual([
      ['wgmma', 'mma'],
      undefined, // fp32 gemm runs on the SIMT path only
      ['0', '1', '2', '3', '4', '5', '6', '7', '8'],
      ['0', '1', '2', '3', '4', '5', '6'],
      undefined,
    ]);
    const listed = resolveBenchConfig({ preset: 'resnet50-l1-3x3,bert-base,copy-1gib', variants: '5,6,5' }).entries;
    expect(listed[0]!.variants!.map((v) => v.spec)).toEqual([{ variant: 5 }, { variant: 6 }]);
    expect(listed[1]!.variants!.map((v) => v.spec)).toEqual([{ variant: 5 }, { variant: 6 }]);
    expect(resolveBenchConfig({ kernel: 'gemm', shape: '64,64,64', variants: ['mma'] }).entries[0]!.variants!.map((v) => v.spec)).toEqual([
      { gemmPath: 'mma' },
    ]);
    expect(resolveBenchConfig({ preset: 'gemm-bf16-4096', variants: false }).entries[0]!.variants).toBeUndefined();
  });

  it('says in one line which variants the workload has', () => {
    expect(() => resolveBenchConfig({ preset: 'resnet50-l1-3x3,bert-base', variants: '7' })).toThrow(
      'invalid --variants: expected variants of attention (0..6) for bert-base, got "7"',
    );
    expect(() => resolveBenchConfig({ preset: 'copy-1gib', variants: true })).toThrow(
      'invalid --variants: expected workloads of a kernel with variants: gemm bf16/fp16/tf32 (wgmma, mma), conv (0..8), attention (0..6), got "copy-1gib"',
    );
  });
});

describe('rowSummaries', () => {
  const entry = resolveBenchConfig({ preset: 'gemm-bf16-4096' }).entries[0]!;
  const flops = 2 * 4096 ** 3;
  const bytes = 2 * 2 * 4096 ** 2 + 4 * 4096 ** 2;
  const m = (ns: number) => ({
    status: 'ok' as const,
    flopsPerLaunch: flops,
    bytesPerLaunch: bytes,
    time: { count: 3, min: ns, p10: ns, p50: ns, p90: ns, p95: ns, p99: ns, max: ns, mean: ns, mad: 0 },
  });

  it('gives the rate, own over library, both floors and the distance from the larger', () => {
    const own = m(200_000);
    const lib = m(160_000);
    const s = rowSummaries(entry, own, 4e12, 800e12, lib);
    expect(pick(s, 'rate')?.value).toBeCloseTo(flops / 200_000 / 1e3); // TFLOP/s
    expect(pick(s, 'vs.library')?.value).toBeCloseTo(0.8);
    expect(pick(s, 'floor.compute')?.value).toBeCloseTo((flops / 800e12) * 1e9);
    expect(pick(s, 'floor.memory')?.value).toBeCloseTo((bytes / 4e12) * 1e9);
    expect(pick(s, 'vs.floor')?.value).toBeCloseTo(200_000 / ((flops / 800e12) * 1e9));
  });

  it('leaves out what was not measured', () => {
    const s = rowSummaries(entry, m(200_000), undefined, undefined);
    expect(pick(s, 'floor.compute')).toBeUndefined();
    expect(pick(s, 'vs.library')).toBeUndefined();
    expect(rowSummaries(entry, { status: 'unavailable', reason: 'not in this build' }, 1, 1)).toEqual([]);
  });
});

describe('bench() against a stand-in native module', () => {
  it('measures the ceilings, own beside library, and says which workloads this build lacks', async () => {
    const binding = standInBinding([
      { key: 'gemm/own', rate: 600e12, traceCost: 0.004 },
      { key: 'gemm/cublas', rate: 750e12 },
      { key: 'memcpy/cudart', rate: 4e12 },
    ]);
    const config = resolveBenchConfig({ preset: 'gemm-bf16-4096,resnet50-l1-3x3', launches: 5, seed: 1 });
    const r = await bench(config, { command: ['test'] }, binding);
    expect(r.ceilings.bandwidth.rate).toBeCloseTo(4e12, -9);
    expect(r.ceilings.matrix.bf16?.rate).toBeCloseTo(750e12, -10);
    expect(r.rows.map((row) => [row.entry, row.label, row.measurement.status])).toEqual([
      ['gemm-bf16-4096', 'own', 'ok'],
      ['gemm-bf16-4096', 'cuBLASLt', 'ok'],
      ['resnet50-l1-3x3', 'own', 'unavailable'],
      ['resnet50-l1-3x3', 'cuDNN', 'unavailable'],
    ]);
    expect(pick(r.rows[0]!.summaries, 'vs.library')?.value).toBeCloseTo(0.8, 5);
    expect(pick(r.rows[0]!.summaries, 'vs.floor')?.value).toBeCloseTo(750 / 600, 5);
    expect(r.rows[0]!.measurement.gpuNs).toHaveLength(5);
    // The trace's cost: every other launch of one loop traced, medians compared (library rows: none).
    expect(r.rows[0]!.traceCost?.pairs).toBe(100);
    expect(pick(r.rows[0]!.summaries, 'trace.cost')?.value).toBeCloseTo(0.004, 6);
    expect(r.rows[1]!.traceCost).toBeUndefined();
    const text = formatBenchResult(r);
    expect(text).toContain('not in this build');
    expect(text).toContain('own / library');
    expect(text).toContain('0.80×');
    expect(text).toContain('CTA trace cost');
    expect(text).toMatch(/memory bandwidth\s+4,000 GB\/s/);
    expect(JSON.parse(JSON.stringify(r)).schema).toBe('gpushare-micro.bench');
  });

  it('times the variants asked for between the default and the library, each against the library', async () => {
    const binding = standInBinding([
      { key: 'gemm/own', rate: 600e12, traceCost: 0.004, variantRates: { mma: 300e12 } },
      { key: 'gemm/cublas', rate: 750e12 },
      { key: 'memcpy/cudart', rate: 4e12 },
    ]);
    const r = await bench(resolveBenchConfig({ preset: 'gemm-bf16-4096', launches: 5, seed: 1, variants: true }), {}, binding);
    expect(r.rows.map((row) => [row.label, row.variant, row.measurement.status])).toEqual([
      ['own', undefined, 'ok'],
      ['own wgmma', 'wgmma', 'ok'],
      ['own mma', 'mma', 'ok'],
      ['cuBLASLt', undefined, 'ok'],
    ]);
    expect(r.rows.map((row) => pick(row.summaries, 'vs.library')?.value)).toEqual([
      expect.closeTo(0.8, 5),
      expect.closeTo(0.8, 5),
      expect.closeTo(0.4, 5),
      undefined,
    ]);
    // The trace's cost is the default's only.
    expect(r.rows.map((row) => row.traceCost !== undefined)).toEqual([true, false, false, false]);
    expect(r.entries[0]!.variants!.map((v) => v.name)).toEqual(['wgmma', 'mma']);
    const text = formatBenchResult(r);
    expect(text).toContain('own mma');
    expect(text).toContain('0.40×');
  });

  it('prints the p10–p90 spread only from enough launches for a p10 and a p90 (10)', async () => {
    const binding = standInBinding([
      { key: 'gemm/own', rate: 600e12 },
      { key: 'gemm/cublas', rate: 750e12 },
      { key: 'memcpy/cudart', rate: 4e12 },
    ]);
    const spread = async (launches: number) =>
      (await bench(resolveBenchConfig({ preset: 'gemm-bf16-4096', launches, seed: 1 }), {}, binding)).rows.map(
        (row) => pick(row.summaries, 'time.spread') !== undefined,
      );
    expect(await spread(9)).toEqual([false, false]);
    expect(await spread(10)).toEqual([true, true]);
  });

  it('says why the trace cost or a workload could not be measured instead of leaving it out silently', async () => {
    const binding = standInBinding([
      { key: 'gemm/own', rate: 600e12, traceFail: { code: 'ERR_CUDA', message: 'cudaMalloc failed: out of memory' } },
      { key: 'gemm/cublas', rate: 750e12, unreadable: 'expected a string for gemmPath' },
      { key: 'memcpy/cudart', rate: 4e12 },
    ]);
    const r = await bench(resolveBenchConfig({ preset: 'gemm-bf16-4096', launches: 3 }), {}, binding);
    expect(r.rows[0]!.traceCost).toBeUndefined();
    expect(r.rows[0]!.traceCostProblem).toBe('[ERR_CUDA] cudaMalloc failed: out of memory');
    expect(r.rows[1]!.measurement).toMatchObject({ status: 'unavailable', reason: 'not in this build: expected a string for gemmPath' });
    const text = formatBenchResult(r);
    expect(text).toContain('CTA trace cost not measured: [ERR_CUDA] cudaMalloc failed: out of memory');
    expect(text).toContain('not in this build: expected a string for gemmPath');
  });

  it('reports a missing library as unavailable and a failure as failed', async () => {
    const binding = standInBinding([
      { key: 'gemm/own', rate: 1e12, fail: { code: 'ERR_CUDA', message: 'cudaMalloc failed' } },
      { key: 'gemm/cublas', rate: 1e12, fail: { code: 'ERR_LIBRARY', message: 'cuBLASLt (libcublasLt.so) could not be loaded' } },
      { key: 'memcpy/cudart', rate: 1e12 },
    ]);
    const r = await bench(resolveBenchConfig({ preset: 'gemm-fp32-4096', launches: 3 }), {}, binding);
    expect(r.ceilings.matrix.fp32?.measurement).toMatchObject({ status: 'unavailable', code: 'ERR_LIBRARY' });
    expect(r.rows.map((row) => row.measurement.status)).toEqual(['failed', 'unavailable']);
    const text = formatBenchResult(r);
    expect(text).toContain('FAILED: [ERR_CUDA] cudaMalloc failed');
    expect(text).toContain('1 implementation FAILED');
  });
});

// Model workloads wherever a kernel runs: run options, --client specs, presets, sweep axes, the memory
// check before any GPU work, --profile-layers and its report, and bench --workload.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rowSummaries } from '../src/bench/bench.js';
import { resolveBenchConfig } from '../src/bench/options.js';
import { resolveRunConfig, type RawRunOptions } from '../src/config.js';
import { OptionError } from '../src/errors.js';
import { formatLayerGrowth, layerGrowth, type LayerTiming } from '../src/metrics/layers.js';
import { pick } from '../src/metrics/summary.js';
import { workloadSpec } from '../src/phase.js';
import { workloadStepFlops } from '../src/registry/workloads.js';
import { validateRunResult } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import { run } from '../src/run.js';
import { parseScenario, scenarioRunConfig } from '../src/scenario/file.js';
import { planSweep } from '../src/sweep/plan.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

function optionError(options: RawRunOptions): OptionError {
  try {
    resolveRunConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).not.toContain('\n');
    return error as OptionError;
  }
  throw new Error('no error');
}

describe('run options with a model workload', () => {
  it('takes a workload as --kernel or --workload, with its defaults and per-field options', () => {
    const a = resolveRunConfig({ kernel: 'resnet50-train', procs: 2 }).clients[0]!;
    expect(a).toMatchObject({ role: 'resnet50-train', kernel: 'resnet50-train', shape: [128, 32], impl: 'own', dtype: 'bf16', count: 2 });
    const b = resolveRunConfig({ workload: 'resnet50-train', batch: '64', input: '224', impl: 'library' }).clients[0]!;
    expect(b).toMatchObject({ kernel: 'resnet50-train', shape: [64, 224], impl: 'library' });
    expect(resolveRunConfig({ kernel: 'bert-base-infer', seq: 512 }).clients[0]!.shape).toEqual([1, 512]);
    expect(resolveRunConfig({ kernel: 'llm-decode', batch: 8, layers: 4, kv: 4096 }).clients[0]!.shape).toEqual([8, 4, 4096]);
  });

  it('takes a workload preset by --preset or --shape NAME, and gemm presets with their dtype', () => {
    expect(resolveRunConfig({ preset: 'resnet50-train-imagenet' }).clients[0]).toMatchObject({
      kernel: 'resnet50-train',
      shape: [256, 224],
      preset: 'resnet50-train-imagenet',
    });
    expect(resolveRunConfig({ shape: 'llm-decode-b64', batch: 32 }).clients[0]).toMatchObject({ kernel: 'llm-decode', shape: [32, 32, 1024] });
    expect(resolveRunConfig({ preset: 'gemm-fp16-4096' }).clients[0]).toMatchObject({ kernel: 'gemm', dtype: 'fp16', shape: [4096, 4096, 4096] });
    expect(resolveRunConfig({ shape: 'resnet50-l4-expand' }).clients[0]).toMatchObject({ kernel: 'conv', preset: 'resnet50-l4-expand' });
  });

  it('refuses what the registry does not allow, naming the option and the values allowed', () => {
    const cases: Array<[RawRunOptions, string, RegExp]> = [
      [{ kernel: 'resnet50-train', input: 64 }, '--input', /expected one of 32, 224 for resnet50-train, got 64/],
      [{ kernel: 'resnet50-train', seq: 128 }, '--seq', /no --seq with resnet50-train \(its fields: --batch, --input\)/],
      [{ kernel: 'bert-base-train', seq: 1024 }, '--seq', /an integer in 1..512 for bert-base-train/],
      [{ kernel: 'llm-decode', batch: 65 }, '--batch', /an integer in 1..64 for llm-decode/],
      [{ kernel: 'gemm', batch: 4 }, '--batch', /--batch only with a model workload/],
      [{ workload: 'resnet50-tran' }, '--workload', /one of resnet50-train, resnet50-infer, bert-base-train, bert-base-infer, llm-decode/],
      [{ workload: 'bert-base-train', kernel: 'gemm' }, '--kernel', /either --kernel or --workload/],
      [{ kernel: 'resnet50-train', impl: 'cudnn' }, '--impl', /one of own, library/],
      [{ kernel: 'resnet50-train', dtype: 'fp16' }, '--dtype', /bf16 \(the only element type of resnet50-train\)/],
      [{ kernel: 'resnet50-train', shape: '128,32' }, '--shape', /no --shape with resnet50-train/],
      [{ kernel: 'resnet50-train', size: 128 }, '--size', /--size only with --kernel gemm/],
      [{ preset: 'resnet50-train-cifar', kernel: 'bert-base-train' }, '--kernel', /resnet50-train \(the workload of --preset resnet50-train-cifar\)/],
      [{ kernel: 'gemm', profileLayers: true }, '--profile-layers', /a model workload/],
    ];
    for (const [options, option, message] of cases) {
      const e = optionError(options);
      expect(e.option, JSON.stringify(options)).toBe(option);
      expect(e.message).toMatch(message);
    }
  });

  it('builds --client roles of workloads, with errors naming the role and key', () => {
    const config = resolveRunConfig({
      clients: ['role=train,workload=resnet50-train,batch=128,input=32,impl=own', 'role=infer,kernel=bert-base-infer,seq=64,arrival=poisson:100/s'],
    });
    expect(config.clients.map((c) => [c.role, c.kernel, c.shape, c.loop])).toEqual([
      ['train', 'resnet50-train', [128, 32], 'saturate'],
      ['infer', 'bert-base-infer', [1, 64], 'open'],
    ]);
    const e = optionError({ clients: ['role=train,workload=resnet50-train,input=48'] });
    expect(e.option).toBe('--client train: input');
    expect(optionError({ clients: ['role=a,kernel=gemm'], batch: 4 }).option).toBe('--batch');
  });

  it('--profile-layers asks the native side to time the layers of workload clients only', () => {
    const config = resolveRunConfig({ clients: ['role=train,workload=resnet50-train', 'role=side,kernel=gemm,size=256'], profileLayers: true });
    expect(config.profileLayers).toBe(true);
    expect(workloadSpec(config, 0, 132)).toMatchObject({ kernel: 'resnet50-train', shape: [128, 32], profileLayers: true });
    expect(workloadSpec(config, 1, 132)).not.toHaveProperty('profileLayers');
    expect(resolveRunConfig({ kernel: 'resnet50-train' })).not.toHaveProperty('profileLayers');
  });
});

describe('the memory check of a workload, before any GPU work', () => {
  it('says what the workload needs, made of what, against what is free', async () => {
    const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
    // The stand-in device has 8 GiB; the 7B model's bf16 weights alone are 12.6 GiB.
    const error = await run({ kernel: 'llm-decode', procs: 1, duration: '100ms' }, { clientModule, ...standInDevice() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    const e = error as OptionError;
    expect(e.option).toBe('--batch');
    expect(e.message).toMatch(
      /llm-decode batch 1, layers 32, kv 1024 needs ~13\.1 GiB \(weights 12\.6 GiB, activations 0\.0 GiB, KV cache 0\.5 GiB\); 1 client needs 13\.\d GiB, free is 7\.2 GiB/,
    );
    expect(e.message).not.toContain('\n');
  });
});

describe('sweep over workloads', () => {
  it('makes the batch an axis of the model workloads', () => {
    const plan = planSweep({ kernels: 'resnet50-infer,gemm', batches: '1,8', modes: 'timeslice', procs: '2', seed: 1 });
    expect(plan.points.map((p) => p.id)).toEqual([
      'resnet50-infer-b1-saturate-timeslice-p2',
      'resnet50-infer-b8-saturate-timeslice-p2',
      'gemm-4096-saturate-timeslice-p2',
    ]);
    expect(plan.points.map((p) => p.config.clients[0]!.shape)).toEqual([
      [1, 224],
      [8, 224],
      [4096, 4096, 4096],
    ]);
    expect(plan.axes.batches).toEqual([1, 8]);
    expect(() => planSweep({ kernels: 'gemm', batches: '1' })).toThrow('invalid --batches: expected --batches only when --kernels includes a model workload');
    expect(() => planSweep({ kernels: 'resnet50-infer', batches: '1', modes: 'timeslice', procs: '1', seed: 1 }).points).not.toThrow();
  });
});

describe('--profile-layers report', () => {
  const t = (layer: string, phase: LayerTiming['phase'], ns: number[], impl = 'own'): LayerTiming => ({ layer, phase, impl, ns });
  const solo = [t('conv1', 'forward', [100, 110, 90]), t('layer1.0.conv2', 'forward', [200, 200, 200]), t('fc', 'backward', [50, 50, 50], 'cuBLASLt')];
  const shared = [
    [t('conv1', 'forward', [150, 150]), t('layer1.0.conv2', 'forward', [600, 620]), t('fc', 'backward', [40, 40], 'cuBLASLt')],
    [t('conv1', 'forward', [160]), t('layer1.0.conv2', 'forward', [580])],
  ];

  it('compares the medians per (layer, phase), the most added time first', () => {
    const rows = layerGrowth(solo, shared);
    expect(rows.map((r) => [r.layer, r.phase, r.soloNs, r.sharedNs, r.addedNs])).toEqual([
      ['layer1.0.conv2', 'forward', 200, 600, 400],
      ['conv1', 'forward', 100, 150, 50],
      ['fc', 'backward', 50, 40, -10],
    ]);
    expect(rows[0]!.ratio).toBe(3);
    expect(layerGrowth(solo, [])).toEqual([]);
  });

  it('prints the top layers in a table', () => {
    const lines = formatLayerGrowth('train', layerGrowth(solo, shared), 2);
    expect(lines[0]).toBe('layers of train that grew most under sharing (median per step, solo vs shared; 2 of 3):');
    expect(lines[2]).toMatch(/^ {2}layer1\.0\.conv2 {2}forward +0\.2 us +0\.6 us +3\.00x +0\.4 us {2}own$/);
    expect(lines).toHaveLength(4);
  });
});

describe('bench --workload', () => {
  it('makes one entry per workload: own beside library, its samples and model FLOPs per step', () => {
    const config = resolveBenchConfig({ workload: 'resnet50-train,bert-base-infer', batch: 64 });
    expect(config.entries.map((e) => [e.name, e.kernel, e.shape, e.samples, e.library?.impl])).toEqual([
      ['resnet50-train-64x32', 'resnet50-train', [64, 32], 64, 'library'],
      ['bert-base-infer-64x128', 'bert-base-infer', [64, 128], 64, 'library'],
    ]);
    expect(config.entries[0]!.flopsPerStep).toBe(workloadStepFlops('resnet50-train', [64, 32]));
    expect(resolveBenchConfig({ preset: 'llm-decode-b64' }).entries[0]).toMatchObject({ kernel: 'llm-decode', shape: [64, 32, 1024], samples: 64 });
  });

  it('refuses options that do not fit, naming the option', () => {
    const cases: Array<[object, string]> = [
      [{ workload: 'resnet50-train', kernel: 'gemm' }, '--workload'],
      [{ workload: 'resnet50-train', seq: 128 }, '--seq'],
      [{ workload: 'resnet50-train', input: 64 }, '--input'],
      [{ workload: 'vgg' }, '--workload'],
      [{ batch: 4 }, '--batch'],
      [{ workload: 'llm-decode', pytorch: '/nonexistent/torch.json' }, '--pytorch'],
    ];
    for (const [options, option] of cases) expect(() => resolveBenchConfig(options as never), option).toThrow(`invalid ${option}`);
  });

  it("prints samples/s, the model rate and, with PyTorch's figures, the ratio", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsm-torch-'));
    const file = join(dir, 'torch.json');
    writeFileSync(file, JSON.stringify([{ workload: 'resnet50-train', batch: 128, input: 32, msPerStep: 40, samplesPerSec: 3200 }]));
    const entry = resolveBenchConfig({ workload: 'resnet50-train', pytorch: file }).entries[0]!;
    expect(entry.pytorch?.samplesPerSec).toBe(3200);
    const ns = 50e6;
    const m = { status: 'ok' as const, flopsPerLaunch: 0, time: { count: 3, min: ns, p10: ns, p50: ns, p90: ns, p95: ns, p99: ns, max: ns, mean: ns, mad: 0 } };
    const s = rowSummaries(entry, m, undefined, undefined);
    expect(pick(s, 'samples')?.value).toBeCloseTo(128 / 0.05);
    expect(pick(s, 'vs.pytorch')?.value).toBeCloseTo(2560 / 3200);
    expect(pick(s, 'rate')?.value).toBeCloseTo(workloadStepFlops('resnet50-train', [128, 32]) / ns / 1e3);
    expect(pick(s, 'rate')?.name).toBe('model rate');
    // a figure for another shape is not matched
    expect(resolveBenchConfig({ workload: 'resnet50-train', batch: 64, pytorch: file }).entries[0]!.pytorch).toBeUndefined();
  });
});

describe('scenario roles of workloads', () => {
  it('take the workload and its fields as keys', () => {
    const text = [
      'modes: [timeslice, mps]',
      'roles:',
      '  train: {workload: resnet50-train, batch: 64, input: 224, impl: library}',
      '  infer: {kernel: bert-base-infer, seq: 256, arrival: "poisson:100/s", slo: "p99<=50ms"}',
      '',
    ].join('\n');
    const config = scenarioRunConfig(parseScenario(text, 'w.yaml'), 'timeslice', { seed: 1 });
    expect(config.clients.map((c) => [c.role, c.kernel, c.shape, c.impl])).toEqual([
      ['train', 'resnet50-train', [64, 224], 'library'],
      ['infer', 'bert-base-infer', [1, 256], 'own'],
    ]);
    const bad = 'roles:\n  train: {workload: resnet50-train, seq: 128}\n';
    expect(() => scenarioRunConfig(parseScenario(bad, 'w.yaml'), 'timeslice', { seed: 1 })).toThrow(/seq/);
  });
});

describe('a result with per-layer timings', () => {
  it('validates against the result schema and prints the layers that grew most', async () => {
    process.env.STAND_IN_PROCS = '2';
    const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
    try {
      const result = await run({ kernel: 'gemm', size: 256, procs: 2, duration: '200ms', seed: 3 }, { clientModule, ...standInDevice() });
      const layers = [{ layer: 'layer1.0.conv2', phase: 'backward' as const, impl: 'cuDNN', ns: [1000, 1200] }];
      const growth = layerGrowth(layers, [[{ ...layers[0]!, ns: [3000, 3000] }]]);
      const withLayers = {
        ...result,
        shared: { ...result.shared, clients: result.shared.clients.map((c) => ({ ...c, layers, deviceBytes: 123 })) },
        roles: result.roles.map((r) => ({ ...r, layers: growth })),
      };
      const read = validateRunResult(JSON.parse(JSON.stringify(withLayers)));
      expect(read.roles[0]!.layers).toEqual(growth);
      expect(read.shared.clients[0]!.deviceBytes).toBe(123);
      const text = formatRunResult(withLayers);
      expect(text).toContain('layers of gemm that grew most under sharing (median per step, solo vs shared; 1 of 1):');
      expect(text).toMatch(/layer1\.0\.conv2 {2}backward +1\.1 us +3\.0 us +2\.73x +1\.9 us {2}cuDNN/);
      expect(formatRunResult(result)).not.toContain('grew most');
    } finally {
      delete process.env.STAND_IN_PROCS;
    }
  });
});

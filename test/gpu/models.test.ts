// The model workloads (native/workloads/workload_model.cpp) through the addon: each model, impl own and
// library, at a small size in the native timed loop with profileLayers (the ops it lists, their FLOPs,
// the CTA trace of the own kernels, device memory, a duration for every layer of every step), and one
// step through workloadCheck (a finite loss, an output without NaN). The gradients, the loss falling
// and the full sizes are checked without Node by test/native/model_check.cu (scripts/gpu/run.sh model-check).
import { describe, expect, it } from 'vitest';
import type { LayerInfo, WorkloadSpec } from '../../src/binding/contract.js';
import { loopConfig } from '../fixtures/loops.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('models.test.ts');

// Small shapes (contract.ts, WorkloadSpec.shape): the models at full width, few samples.
const MODELS: [kernel: string, shape: number[]][] = [
  ['resnet50-train', [8, 32]],
  ['resnet50-infer', [2, 32]],
  ['bert-base-train', [2, 32]],
  ['bert-base-infer', [2, 32]],
  ['llm-decode', [2, 2, 64]],
];
const LAUNCHES = 6;

function modelWorkload(kernel: string, impl: string, shape: number[], profileLayers: boolean): WorkloadSpec {
  return { kernel, impl, dtype: 'bf16', shape, seed: 11, profileLayers };
}

// The (layer, phase) runs of consecutive ops, as the layer timer groups them (graph.h LayerTimer).
function runsOf(ops: LayerInfo[]): string[] {
  const runs: string[] = [];
  for (const op of ops) {
    const key = `${op.layer}/${op.phase}`;
    if (runs.at(-1) !== key) runs.push(key);
  }
  return runs;
}

describe.skipIf(!gpu.available)('model workloads on the GPU', () => {
  for (const [kernel, shape] of MODELS) {
    const train = kernel.endsWith('-train');
    for (const impl of ['own', 'library']) {
      it(`${kernel} ${impl} [${shape.join(', ')}]: ops, FLOPs, memory, CTA trace and a time for every layer of every step`, async () => {
        const loop = new gpu.binding!.TimedLoop(
          loopConfig(modelWorkload(kernel, impl, shape, true), { durationNs: 0, launches: LAUNCHES, depth: 2, traceCapacity: 1 << 22, warmupNs: 0 }),
        );
        const info = await loop.prepare();
        const r = await loop.run(0n);
        loop.release();
        expect(r.gpuNs.length).toBe(LAUNCHES);
        expect(info.detail).toMatch(new RegExp(`^${kernel} ${impl}: \\d+ ops \\(`));
        expect(info.flopsPerLaunch).toBeGreaterThan(0);
        expect(info.deviceBytes).toBeGreaterThan(0);
        if (kernel === 'llm-decode') expect(info.bytesPerLaunch).toBeGreaterThan(0);

        // The ops: forward only for inference; forward, backward, update in that order for training.
        const ops = info.layers!;
        expect(ops.length).toBeGreaterThan(0);
        const opFlops = ops.reduce((sum, op) => sum + op.flops, 0);
        expect(Math.abs(info.flopsPerLaunch - opFlops)).toBeLessThanOrEqual(1e-9 * opFlops);
        const phases = ops.map((op) => op.phase);
        expect(phases[0]).toBe('forward');
        expect(phases.includes('backward')).toBe(train);
        expect(phases.includes('update')).toBe(train);
        for (let i = 1; i < phases.length; i++)
          expect(['forward', 'backward', 'update'].indexOf(phases[i]!)).toBeGreaterThanOrEqual(['forward', 'backward', 'update'].indexOf(phases[i - 1]!));
        for (const op of ops) expect(op.impl).toMatch(/^(own|cuDNN|cuBLASLt|cudaMemcpy)/);
        if (impl === 'own') {
          expect(ops.some((op) => op.impl.startsWith('own'))).toBe(true);
          expect(info.ctasPerLaunch).toBeGreaterThan(0);
          expect(r.tracedLaunches).toBeGreaterThan(0);
          expect(r.trace.byteLength).toBe(r.tracedLaunches * info.ctasPerLaunch * 16);
        } else {
          // library: cuBLASLt for every gemm, cuDNN for every convolution; own kernels only for what no library has
          expect(ops.some((op) => op.impl === 'cuBLASLt' || op.impl === 'cuDNN')).toBe(true);
          expect(ops.some((op) => /^own (wgmma|mma|skinny)/.test(op.impl))).toBe(false);
        }

        // Layer times: every (layer, phase) run in order, one duration per launch (the warm-up's were cleared),
        // and per step they add up to about the launch's GPU time (the events lie between the same ops).
        const layers = r.layers!;
        expect(layers.map((l) => `${l.layer}/${l.phase}`)).toEqual(runsOf(ops));
        for (const l of layers) {
          expect(l.ns.length).toBe(LAUNCHES);
          expect(l.ns.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
          expect(l.impl.length).toBeGreaterThan(0);
        }
        for (let step = 0; step < LAUNCHES; step++) {
          const sum = layers.reduce((total, l) => total + l.ns[step]!, 0);
          expect(sum / r.gpuNs[step]!).toBeGreaterThan(0.8);
          expect(sum / r.gpuNs[step]!).toBeLessThan(1.05);
        }
      });

      it(`${kernel} ${impl}: one step gives ${train ? 'a finite loss' : kernel === 'llm-decode' ? 'token ids in range' : 'logits without NaN'}`, async () => {
        const tensors = await gpu.binding!.workloadCheck(modelWorkload(kernel, impl, shape, false), 0);
        const last = tensors.at(-1)!;
        expect(last.values.length).toBeGreaterThan(0);
        for (const v of last.values) {
          if (kernel === 'llm-decode') {
            expect(Number.isInteger(v) && v >= 0 && v < 32000).toBe(true);
          } else {
            expect(Number.isFinite(v)).toBe(true);
          }
        }
        if (train) expect(last.values.length).toBe(1);
      });
    }
  }

  it('runs without layer timings unless profileLayers is set', async () => {
    const loop = new gpu.binding!.TimedLoop(loopConfig(modelWorkload('llm-decode', 'own', [1, 2, 64], false), { durationNs: 0, launches: 3, warmupNs: 0 }));
    await loop.prepare();
    const r = await loop.run(0n);
    loop.release();
    expect(r.gpuNs.length).toBe(3);
    expect(r.layers).toEqual([]);
  });

  it('refuses profileLayers on a single-kernel workload, and model shapes and impls it does not have (ERR_ARGS)', () => {
    const b = gpu.binding!;
    const gemm: WorkloadSpec = { kernel: 'gemm', impl: 'own', dtype: 'bf16', shape: [256, 256, 256], seed: 1, profileLayers: true };
    expect(b.workloadAvailable(gemm)).toMatchObject({ available: false, reason: expect.stringMatching(/profileLayers applies to the model workloads only/) });
    expect(b.workloadAvailable(modelWorkload('resnet50-train', 'own', [8, 64], false)).reason).toMatch(/input is 32 .* or 224/);
    expect(b.workloadAvailable(modelWorkload('llm-decode', 'cublas', [1, 2, 64], false)).reason).toMatch(/impl is own or library/);
    expect(b.workloadAvailable(modelWorkload('llm-decode', 'own', [65, 2, 64], false)).reason).toMatch(/batch must be 1 to 64/);
    expect(b.workloadAvailable(modelWorkload('bert-base-infer', 'library', [1, 513], false)).reason).toMatch(/seq must be 1 to 512/);
    let error: (Error & { code?: string }) | undefined;
    try {
      new b.TimedLoop(loopConfig(gemm));
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error?.code).toBe('ERR_ARGS');
  });
});

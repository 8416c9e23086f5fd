// Whole measurements on the GPU: the probe finds time slicing between two processes, and a
// two-process gemm run reports switches, slowdowns and an aggregate against solo.
import { describe, expect, it } from 'vitest';
import { pick } from '../../src/metrics/summary.js';
import { probe } from '../../src/probe.js';
import { probeCurve } from '../../src/probe-curve.js';
import type { RunOptions } from '../../src/options.js';
import { run } from '../../src/run.js';
import { checkGpu } from './gpu.js';
import { validateRunResult } from '../../src/report/schema.js';

const gpu = await checkGpu('sharing.test.ts');
const value = (list: Array<{ tag: string; value: number }>, tag: string) => pick(list as never, tag)?.value;

describe.skipIf(!gpu.available)('sharing measurements', () => {
  it('probe alone sees no context switches', async () => {
    const r = await probe({ procs: 1, duration: '1s' });
    expect(r.complete).toBe(true);
    expect(r.shared.switches.count).toBe(0);
    expect(r.shared.clients[0]!.gapsObserved).toBeLessThan(100);
  });

  it('probe under two processes finds the time slicing', async () => {
    const r = await probe({ procs: 2, duration: '2s' });
    expect(r.complete).toBe(true);
    const s = r.shared.switches;
    expect(s.count).toBeGreaterThan(20);
    // Both clients were switched out, many times.
    for (const c of r.shared.clients) expect(c.gapsObserved).toBeGreaterThan(10 * gpu.smCount);
    expect(s.slice!.p50).toBeGreaterThan(50_000);
    expect(s.slice!.p50).toBeLessThan(200e6);
    expect(s.gap!.p50).toBeGreaterThan(0);
    expect(s.overheadFraction).toBeGreaterThan(0);
    expect(s.overheadFraction).toBeLessThan(0.5);
    // Switches alternate between the two clients.
    for (const sw of s.switches.slice(0, 50)) expect(sw.from).not.toBe(sw.to);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it('a probe curve over what each CTA holds: every state runs, reports what it held and sees the time slicing', async () => {
    // 0 and 200 KiB of shared memory, 256 threads of 64 registers (the compiler gives the variant 58):
    // the register file a quarter full, and shared memory empty or nearly full.
    const curve = await probeCurve({ smem: '0,200K', threads: 256, regs: 64, procs: 2, duration: '2s' });
    expect(curve.points).toHaveLength(2);
    for (const p of curve.points) {
      expect(p.complete).toBe(true);
      expect(p.resident!.sharedBytesPerCta).toBe(p.state.sharedBytes);
      expect(p.resident!.threadsPerCta).toBe(256);
      expect(p.resident!.registersPerThread).toBeGreaterThanOrEqual(32);
      expect(p.resident!.registersPerThread).toBeLessThanOrEqual(64);
      expect(p.switches).toBeGreaterThan(20);
      expect(p.gap!.p50).toBeGreaterThan(0);
      // One probe CTA per SM: every SM of the device ran one, in every launch.
      expect(p.result.shared.device!.ctasPerLaunch).toBe(gpu.smCount);
      validateRunResult(JSON.parse(JSON.stringify(p.result)));
    }
  });

  it('two gemm processes report switches, slowdown and aggregate against solo', async () => {
    const r = await run({ kernel: 'gemm', procs: 2, size: 2048, duration: '2s' });
    expect(r.complete).toBe(true);
    expect(r.baselines[0]?.phase.clients[0]?.status).toBe('ok');
    expect(r.shared.switches.count).toBeGreaterThan(5);
    for (const c of r.shared.clients) {
      const slowdown = value(c.summaries, 'slowdown')!;
      expect(slowdown).toBeGreaterThan(1.3);
      expect(slowdown).toBeLessThan(4);
      expect(value(c.summaries, 'latency.p99')).toBeGreaterThan(0);
    }
    const aggregate = value(r.comparison, 'aggregate.vsSolo')!;
    expect(aggregate).toBeGreaterThan(0.6);
    expect(aggregate).toBeLessThan(1.2);
    expect(value(r.shared.aggregate, 'startSkew')).toBeLessThan(10e6);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it('a library kernel (cuBLASLt) shared by two processes: switches from CUPTI kernel records', async () => {
    const r = await run({ kernel: 'gemm', impl: 'cublas', procs: 2, size: 4096, duration: '1s', cupti: true });
    expect(r.complete).toBe(true);
    for (const c of r.shared.clients) {
      expect(c.tracedLaunches).toBe(0); // library kernels are not instrumented
      expect(c.kernelActivity?.available).toBe(true);
      expect(value(c.summaries, 'tflops')).toBeGreaterThan(50);
    }
    expect(r.shared.switches.count).toBeGreaterThan(5);
    expect(r.shared.switches.slice!.p50).toBeGreaterThan(100_000);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it('conv, attention and copy workloads run shared, own and library', async () => {
    const cases: RunOptions[] = [
      { preset: 'resnet50-l3-3x3', impl: 'own' },
      { preset: 'resnet50-l3-3x3', impl: 'cudnn' },
      { preset: 'bert-base', impl: 'own' },
      { kernel: 'copy', shape: [67108864], impl: 'cudart' },
    ];
    for (const options of cases) {
      const r = await run({ ...options, procs: 2, duration: '500ms', warmup: '100ms' });
      expect(r.complete).toBe(true);
      for (const c of r.shared.clients) expect(value(c.summaries, 'slowdown')).toBeGreaterThan(1.2);
    }
  });

  it('SM occupancy from the traces agrees with GPM SM activity, alone and time-sliced', async () => {
    const r = await run({ kernel: 'gemm', procs: 2, size: 4096, duration: '2s' });
    for (const phase of [r.baselines[0]!.phase, r.shared]) {
      const ratio = value(phase.aggregate, 'occupancy.vsGpm');
      expect(ratio).toBeDefined();
      expect(ratio!).toBeGreaterThan(0.85);
      expect(ratio!).toBeLessThan(1.15);
    }
  });
});

// The observers on a real GPU, around a real gemm TimedLoop: the NVML sampler with GPM, CUPTI kernel
// activity, CUPTI PM sampling, the Prometheus endpoint and `monitor --once`. Key numbers are printed
// (and, with OBSERVE_OUT set, written there as JSON) for docs/results.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { LoopConfig, LoopResult, NativeBinding } from '../../src/binding/contract.js';
import { distribution } from '../../src/metrics/stats.js';
import { pick } from '../../src/metrics/summary.js';
import { PrometheusExporter, servePrometheus } from '../../src/monitor/prometheus.js';
import { MonitorSource } from '../../src/monitor/source.js';
import { startKernelActivity } from '../../src/observe/cupti.js';
import { hostWindow, observeNvml } from '../../src/observe/nvml-sampler.js';
import { startPmSampling } from '../../src/observe/pm-sampling.js';
import { deviceObservationSchema, kernelActivitySchema, pmObservationSchema } from '../../src/observe/schema.js';
import { checkGpu } from './gpu.js';
import { gemmWorkload, loopConfig } from '../fixtures/loops.js';

const gpu = await checkGpu('observe.test.ts');
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function record(name: string, value: unknown): void {
  const dir = process.env.OBSERVE_OUT;
  if (!dir) return;
  writeFileSync(
    join(dir, name),
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1),
  );
}

const gemm = (n: number, overrides: Partial<Omit<LoopConfig, 'workload'>> = {}): LoopConfig =>
  loopConfig(gemmWorkload(n, 11), { durationNs: 2e9, depth: 3, warmupNs: 2e8, ...overrides });

async function runLoop(binding: NativeBinding, config: LoopConfig, around: { before?: () => Promise<void> } = {}): Promise<LoopResult> {
  const loop = new binding.TimedLoop(config);
  await loop.prepare();
  await around.before?.();
  const r = await loop.run(process.hrtime.bigint());
  loop.release();
  return r;
}

describe.skipIf(!gpu.available)('observers on the GPU', () => {
  it('NVML sampler over a gemm run: utilisation, SM clock, GPM SM activity', async () => {
    const b = gpu.binding!;
    const sampler = new b.NvmlSampler({ device: 0, periodMs: 50, gpm: true });
    sampler.start();
    const r = await runLoop(b, gemm(4096));
    const raw = await sampler.stop();
    const o = observeNvml(raw, hostWindow(raw, r.startNs, r.endNs));
    const v = (tag: string) => pick(o.summaries, tag)?.value;
    const g = (tag: string) => pick(o.gpm.summaries, tag)?.value;
    console.log(
      `[observe] NVML over ${(Number(r.endNs - r.startNs) / 1e9).toFixed(2)} s of gemm: samples ${v('nvml.samples')}, util mean ${v('nvml.gpu_util.mean')}, SM clock mean ${v('nvml.sm_clock.mean')} MHz min ${v('nvml.sm_clock.min')}, power mean ${v('nvml.power.mean')} W, GPM ${o.gpm.available ? `SM active ${g('gpm.sm_active.mean')}, occupancy ${g('gpm.sm_occupancy.mean')}, tensor ${g('gpm.tensor_active.mean')}, DRAM ${g('gpm.dram_active.mean')}` : o.gpm.reason}, events ${o.events.available ? 'on' : o.events.reason}, ECC ${JSON.stringify(o.ecc)}, processes ${o.processes.list.length}, flags ${JSON.stringify(o.flags)}, late ${o.lateSamples}`,
    );
    record('nvml-gemm.json', { launches: r.latencyNs.length, observation: o });
    expect(v('nvml.samples')).toBeGreaterThan(20);
    expect(v('nvml.gpu_util.mean')).toBeGreaterThan(0);
    expect(pick(o.summaries, 'nvml.sm_clock.mean')!.value).toBeGreaterThan(1000);
    expect(o.gpm.available).toBe(true);
    expect(g('gpm.sm_active.mean')).toBeGreaterThan(0);
    // A saturating 4096³ gemm keeps the SMs busy: GPM read 96% at 500 ms (monitor) while PM sampling
    // read 96%; at a 50 ms GPM period every other interval read 0 (mean 48%), hence the 200 ms floor.
    expect(g('gpm.sm_active.mean')).toBeGreaterThan(0.5);
    expect(o.processes.available).toBe(true);
    expect(o.processes.list.some((p) => p.pid === process.pid)).toBe(true);
    expect(
      deviceObservationSchema.safeParse({ device: 0, window: { startNs: String(r.startNs), endNs: String(r.endNs) }, nvml: { available: true, ...o } }).success,
    ).toBe(true);
  });

  it('CUPTI records every gemm kernel with durations matching the loop’s CUDA events', async () => {
    const b = gpu.binding!;
    let activity: Awaited<ReturnType<typeof startKernelActivity>> | undefined;
    const r = await runLoop(b, gemm(2048, { durationNs: 0, launches: 300 }), {
      before: async () => {
        activity = await startKernelActivity(b, { device: 0 });
      },
    });
    const k = await activity!.stop();
    if (!k.available) console.log(`[observe] CUPTI activity unavailable: ${k.cuptiError ?? ''} ${k.reason}`);
    expect(k.available).toBe(true);
    const names = k.names!;
    const gemmIdx = names.map((n, i) => (/gemm/i.test(n) ? i : -1)).filter((i) => i >= 0);
    const idx = k.kernels!.nameIndex.map((n, i) => (gemmIdx.includes(n) ? i : -1)).filter((i) => i >= 0);
    const durations = Float64Array.from(idx, (i) => k.kernels!.endNs[i]! - k.kernels!.startNs[i]!);
    const cupti = distribution(durations)!;
    const events = distribution(r.gpuNs)!;
    const loopFrom = Number(r.startNs - BigInt(k.hostEpochNs!));
    const loopTo = Number(r.endNs - BigInt(k.hostEpochNs!));
    const firstStart = Math.min(...idx.map((i) => k.kernels!.startNs[i]!));
    const lastEnd = Math.max(...idx.map((i) => k.kernels!.endNs[i]!));
    console.log(
      `[observe] CUPTI ${k.library}: ${idx.length} gemm kernels (${names.join(' | ')}), p50 ${cupti.p50} ns vs CUDA events p50 ${events.p50} ns; kernels on host clock ${firstStart.toFixed(0)}..${lastEnd.toFixed(0)} ns vs loop ${loopFrom}..${loopTo}; dropped ${JSON.stringify(k.dropped)}; cupti/host ${k.cuptiPerHostNs}, gpu/host ${k.gpuPerHostNs}`,
    );
    record('cupti-gemm.json', {
      summaries: k.summaries,
      names,
      count: idx.length,
      cuptiP50: cupti.p50,
      eventsP50: events.p50,
      firstStart,
      lastEnd,
      loopFrom,
      loopTo,
      clockStart: k.clockStart,
      clockEnd: k.clockEnd,
      cuptiPerHostNs: k.cuptiPerHostNs,
      gpuPerHostNs: k.gpuPerHostNs,
      dropped: k.dropped,
    });
    expect(idx.length).toBe(300);
    expect(k.dropped).toEqual({ byCupti: 0, overLimit: 0 });
    // A kernel's CUPTI duration is within the CUDA events around it (which add launch overhead).
    expect(cupti.p50).toBeGreaterThan(events.p50 * 0.7);
    expect(cupti.p50).toBeLessThanOrEqual(events.p50 * 1.05);
    // On the host clock the kernels lie inside the loop's window (within 2 ms of clock error).
    expect(firstStart).toBeGreaterThan(loopFrom - 2e6);
    expect(lastEnd).toBeLessThan(loopTo + 2e6);
    expect(kernelActivitySchema.safeParse(k).success).toBe(true);
  });

  it('PM sampling returns device-wide samples during a gemm run, or says why not', async () => {
    const b = gpu.binding!;
    const pm = await startPmSampling(b, { device: 0, intervalNs: 100_000 });
    const r = await runLoop(b, gemm(4096));
    const o = await pm.stop({ fromHostNs: r.startNs, toHostNs: r.endNs });
    if (!o.available) {
      console.log(`[observe] PM sampling unavailable: ${o.cuptiError ?? ''} ${o.reason}`);
      expect(o.reason).toBeTruthy();
      expect([
        'CUPTI_ERROR_INSUFFICIENT_PRIVILEGES',
        'CUPTI_ERROR_NOT_SUPPORTED',
        'CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED',
        'CUPTI_ERROR_HARDWARE_BUSY',
        'CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED',
        undefined,
      ]).toContain(o.cuptiError);
      return;
    }
    console.log(
      `[observe] PM sampling on ${o.chip}: metrics ${o.metrics.join(', ')}; unsupported ${o.unsupportedMetrics.join(', ') || 'none'}; not in the same pass ${o.droppedMetrics.join(', ') || 'none'}; ${o.samples} samples, clock ${o.clockDomain}, overflows ${o.overflows}, decode errors ${o.decodeErrors}; ${o.summaries.map((s) => `${s.tag}=${s.value}`).join(' ')}`,
    );
    record('pm-gemm.json', {
      ...o,
      series: undefined,
      firstSamples: o.series
        ? { startNs: o.series.startNs.slice(0, 20), values: Object.fromEntries(Object.entries(o.series.values).map(([k2, v]) => [k2, v.slice(0, 20)])) }
        : undefined,
    });
    expect(o.samples).toBeGreaterThan(100);
    expect(pick(o.summaries, 'pm.samples')!.value).toBeGreaterThan(100);
    expect(pick(o.summaries, 'pm.sm_active.mean')!.value).toBeGreaterThan(0.1);
    expect(pmObservationSchema.safeParse(o).success).toBe(true);
  });

  it('serves Prometheus metrics that parse, with the GPU’s labels and values', async () => {
    const b = gpu.binding!;
    const source = await MonitorSource.open(b, { intervalMs: 200, gpm: true });
    await source.warmUp(1000);
    const exporter = new PrometheusExporter();
    exporter.update(await source.frame());
    const server = await servePrometheus(exporter, 0, '127.0.0.1');
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      record('prometheus.txt', text);
      const families = parsePrometheus(text);
      const fam = (name: string) => families.find((f) => f.name === name);
      const sm = fam('DCGM_FI_DEV_SM_CLOCK')!.metrics.find((m) => m.labels?.gpu === '0')!;
      expect(sm.labels?.UUID).toMatch(/^GPU-/);
      expect(sm.labels?.modelName).toContain('NVIDIA');
      expect(Number(sm.value)).toBeGreaterThan(0);
      expect(Number(fam('DCGM_FI_DEV_FB_TOTAL')!.metrics[0]!.value)).toBeGreaterThan(1000);
      expect(fam('DCGM_FI_DEV_POWER_USAGE')).toBeDefined();
      expect(fam('DCGM_FI_PROF_SM_ACTIVE')).toBeDefined();
      console.log(
        `[observe] Prometheus: ${families.length} families, e.g. ${text
          .split('\n')
          .filter((l) => /^DCGM_FI_(DEV_SM_CLOCK|DEV_POWER_USAGE|PROF_SM_ACTIVE)\{/.test(l))
          .join(' | ')}`,
      );
      expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await source.close();
    }
  });

  it('monitor --once prints one frame; --json --once one parsable line', () => {
    const plain = spawnSync(process.execPath, [cli, 'monitor', '--once'], { encoding: 'utf8', timeout: 60_000 });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^\S+Z gpu=0 util=\d+% /m);
    const json = spawnSync(process.execPath, [cli, 'monitor', '--once', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(json.status).toBe(0);
    const frame = JSON.parse(json.stdout.trim()) as { gpus: Array<{ index: number; smClockMHz?: number; gpm?: unknown }> };
    expect(frame.gpus[0]!.index).toBe(0);
    expect(frame.gpus[0]!.smClockMHz).toBeGreaterThan(0);
    console.log(`[observe] monitor --once: ${plain.stdout.trim().split('\n')[0]}`);
    record('monitor-once.txt', plain.stdout);
  });
});

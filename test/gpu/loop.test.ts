// The native timed loop on the GPU: samples, CTA traces on %globaltimer/%smid, probe placement.
import { describe, expect, it } from 'vitest';
import { decodeIntervals } from '../../src/metrics/traces.js';
import { checkGpu } from './gpu.js';
import { gemmTraceRecords, gemmWorkload, loopConfig, probeWorkload } from '../fixtures/loops.js';

const gpu = await checkGpu('loop.test.ts');

describe.skipIf(!gpu.available)('native timed loop', () => {
  it('records every launch and traces CTAs on real SMs', async () => {
    const loop = new gpu.binding!.TimedLoop(
      loopConfig(gemmWorkload(2048, 42), { durationNs: 0, launches: 200, depth: 3, traceCapacity: 64 * 100, warmupNs: 1e7 }),
    );
    const info = await loop.prepare();
    // One record per output tile: 128x128 tiles (256), or 128x256 on Hopper's wgmma path (128: enough
    // tiles for the SMs, so K is not split).
    const tiles = gemmTraceRecords(info.detail, 2048, 2048, info.smCount);
    expect(tiles).toBe(info.detail.startsWith('wgmma') ? 128 : 256);
    expect(info.ctasPerLaunch).toBe(tiles);
    expect(info.traceLaunchCapacity).toBe(6400 / tiles);
    const r = await loop.run(process.hrtime.bigint());
    loop.release();
    expect(r.latencyNs.length).toBe(200);
    expect(r.gpuNs.length).toBe(200);
    expect(r.tracedLaunches).toBe(6400 / tiles);
    for (const g of r.gpuNs) expect(g).toBeGreaterThan(0);
    const t = decodeIntervals(new Uint8Array(r.trace), info.clock.gpuNs);
    expect(t.start.length).toBe(6400);
    for (let i = 0; i < t.start.length; i++) {
      expect(t.start[i]).toBeGreaterThan(0);
      expect(t.end[i]! - t.start[i]!).toBeGreaterThan(0);
      expect(t.sm[i]).toBeLessThan(info.smCount);
    }
    // CTA lifetimes sit inside the run, on the same clock as the calibration reading after it.
    const last = Math.max(...t.end);
    expect(last).toBeLessThan(Number(r.clock.gpuNs - info.clock.gpuNs));
  });

  it('traceEvery 2 traces launches 0, 2, 4, ... only, until the buffer is full', async () => {
    const loop = new gpu.binding!.TimedLoop({
      ...loopConfig(gemmWorkload(1024, 7), { durationNs: 0, launches: 41, depth: 3, warmupNs: 1e7 }),
      traceCapacity: 64 * 1000,
      traceEvery: 2,
    });
    const info = await loop.prepare();
    const r = await loop.run(process.hrtime.bigint());
    loop.release();
    expect(r.gpuNs.length).toBe(41);
    expect(r.tracedLaunches).toBe(21);
    const t = decodeIntervals(new Uint8Array(r.trace), info.clock.gpuNs);
    expect(t.start.length).toBe(21 * info.ctasPerLaunch);
    for (let i = 0; i < t.start.length; i++) expect(t.end[i]! - t.start[i]!).toBeGreaterThan(0);
  });

  it('places one probe CTA on every SM and records no gaps when alone', async () => {
    const loop = new gpu.binding!.TimedLoop(loopConfig(probeWorkload(500_000, 4000, 100000), { durationNs: 0, launches: 20, traceCapacity: gpu.smCount * 20 }));
    const info = await loop.prepare();
    const r = await loop.run(0n);
    loop.release();
    const t = decodeIntervals(new Uint8Array(r.trace), info.clock.gpuNs);
    const perLaunch = info.ctasPerLaunch;
    expect(perLaunch).toBe(gpu.smCount);
    for (let l = 0; l < 20; l++) {
      const sms = new Set(Array.from(t.sm.subarray(l * perLaunch, (l + 1) * perLaunch)));
      expect(sms.size).toBe(gpu.smCount);
    }
    // Each CTA ran at least its active time.
    for (let i = 0; i < t.start.length; i++) expect(t.end[i]! - t.start[i]!).toBeGreaterThanOrEqual(500_000);
    expect(r.gapsObserved).toBeLessThan(20 * gpu.smCount * 0.05);
  });

  it('stop() ends a long loop early and the result says so', async () => {
    const loop = new gpu.binding!.TimedLoop(loopConfig(gemmWorkload(512, 3), { durationNs: 60e9, depth: 3 }));
    await loop.prepare();
    const running = loop.run(0n);
    await expect(loop.prepare()).rejects.toMatchObject({ code: 'ERR_STATE' });
    setTimeout(() => loop.stop(), 300);
    const r = await running;
    loop.release();
    expect(r.stopped).toBe(true);
    expect(Number(r.endNs - r.startNs)).toBeLessThan(5e9);
    expect(r.latencyNs.length).toBeGreaterThan(10);
  });
});

// Open-loop and bursty timed loops on the GPU: requests issued on their schedule with the loop's own
// lateness (wakeLateNs) far below a kernel's time, latency from the schedule when the GPU cannot keep
// up, and launches only inside the ON windows of a bursty loop. Prints the measured lateness so that
// it can be recorded with the run.
//
// Expected on an H200: (a) 1000 requests, none unstarted, lateness p50 a few µs, p99 well under
// 100 µs; (b) the 4096³ gemm serves a few thousand requests per second, so of 10,000 due most are not
// started and the backlog grows through the run; (c) 7 bursts, every enqueue inside its window.
import { describe, expect, it } from 'vitest';
import type { LoopConfig, LoopResult } from '../../src/binding/contract.js';
import { distribution, median } from '../../src/metrics/stats.js';
import { gemmWorkload, loopConfig } from '../fixtures/loops.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('open-loop.test.ts');
const MS = 1e6;

async function runLoop(config: LoopConfig, stopAfterMs?: number): Promise<LoopResult> {
  const loop = new gpu.binding!.TimedLoop(config);
  try {
    await loop.prepare();
    const running = loop.run(process.hrtime.bigint() + 10_000_000n);
    if (stopAfterMs !== undefined) setTimeout(() => loop.stop(), stopAfterMs);
    return await running;
  } finally {
    loop.release();
  }
}

const us = (ns: number | undefined) => `${((ns ?? Number.NaN) / 1e3).toFixed(1)} µs`;
/** Every `periodNs` from 0 up to (not including) `untilNs`. */
const constant = (periodNs: number, untilNs: number) => Float64Array.from({ length: Math.ceil(untilNs / periodNs) }, (_, i) => i * periodNs);

describe.skipIf(!gpu.available)('open-loop timed loop', () => {
  it('at low load issues every request on time: the loop is late by far less than a kernel', { timeout: 60_000 }, async () => {
    const arrivals = constant(1 * MS, 1000 * MS); // 1000 requests/s for 1 s
    const r = await runLoop(loopConfig(gemmWorkload(256, 5), { durationNs: 1000 * MS, depth: 4, warmupNs: 1e7, arrivalsNs: arrivals }));
    expect(r.stopped).toBe(false);
    expect(r.scheduledRequests).toBe(1000);
    expect(r.notStarted).toBe(0);
    expect(r.latencyNs.length).toBe(1000);
    expect(Array.from(r.scheduledNs)).toEqual(Array.from(arrivals));
    for (let i = 0; i < 1000; i++) {
      expect(r.enqueueNs[i]).toBeGreaterThanOrEqual(r.scheduledNs[i]!);
      expect(r.latencyNs[i]).toBeGreaterThanOrEqual(r.gpuNs[i]!);
    }
    // With a duration the loop spans it, as the saturating loop does.
    expect(Number(r.endNs - r.startNs)).toBeGreaterThanOrEqual(1000 * MS);
    const late = distribution(r.wakeLateNs)!;
    const latency = distribution(r.latencyNs)!;
    console.log(
      `open loop, 1000/s gemm 256³: wakeLateNs p50 ${us(late.p50)} p99 ${us(late.p99)} max ${us(late.max)}; ` +
        `latency p50 ${us(latency.p50)} p99 ${us(latency.p99)}; gpu p50 ${us(median(r.gpuNs))}`,
    );
    expect(late.count).toBe(1000);
    expect(late.p99).toBeLessThan(100_000);
  });

  it('past capacity latency counts from the schedule: the backlog grows and requests go unstarted', { timeout: 60_000 }, async () => {
    const arrivals = constant(50_000, 500 * MS); // 20,000 requests/s for 0.5 s: 10,000 due
    const r = await runLoop(loopConfig(gemmWorkload(4096, 6), { durationNs: 500 * MS, depth: 8, warmupNs: 5e7, arrivalsNs: arrivals }));
    const n = r.latencyNs.length;
    expect(r.scheduledRequests).toBe(10_000);
    expect(n + r.notStarted).toBe(10_000);
    expect(r.notStarted).toBeGreaterThan(0);
    const tenth = Math.max(1, Math.floor(n / 10));
    const first = median(r.latencyNs.subarray(0, tenth));
    const last = median(r.latencyNs.subarray(n - tenth));
    const fromEnqueue = Float64Array.from(r.latencyNs, (l, i) => l - (r.enqueueNs[i]! - r.scheduledNs[i]!));
    console.log(
      `open loop, 20,000/s gemm 4096³ depth 8: ${n} issued, ${r.notStarted} not started; median latency first tenth ${us(first)}, ` +
        `last tenth ${us(last)}; median from schedule ${us(median(r.latencyNs))} vs from enqueue ${us(median(fromEnqueue))}; ` +
        `gpu p50 ${us(median(r.gpuNs))}; wakeLateNs p99 ${us(distribution(r.wakeLateNs)!.p99)}`,
    );
    expect(last).toBeGreaterThan(first);
    expect(median(r.latencyNs)).toBeGreaterThan(2 * median(fromEnqueue));
    for (let i = 0; i < n; i++) expect(fromEnqueue[i]).toBeGreaterThanOrEqual(r.gpuNs[i]!);
  });

  it('with `launches` issues the whole schedule; stop() ends it early and counts only what was due', { timeout: 60_000 }, async () => {
    const counted = await runLoop(loopConfig(gemmWorkload(256, 7), { durationNs: 0, launches: 200, depth: 2, arrivalsNs: constant(500_000, 100 * MS) }));
    expect(counted.latencyNs.length).toBe(200);
    expect(counted.scheduledRequests).toBe(200);
    expect(counted.notStarted).toBe(0);

    // 1000/s for 60 s, stopped after about 300 ms: the rest of the minute is not "not started".
    const stopped = await runLoop(loopConfig(gemmWorkload(256, 8), { durationNs: 60e9, depth: 2, arrivalsNs: constant(1 * MS, 60e9) }), 300);
    expect(stopped.stopped).toBe(true);
    expect(stopped.scheduledRequests).toBe(60_000);
    expect(stopped.latencyNs.length).toBeGreaterThan(100);
    expect(stopped.notStarted).toBeLessThan(5);
    expect(Number(stopped.endNs - stopped.startNs)).toBeLessThan(5e9);
  });
});

describe.skipIf(!gpu.available)('bursty timed loop', () => {
  it('launches only inside ON windows (50 ms on, 100 ms off, 1 s): 7 bursts', { timeout: 60_000 }, async () => {
    const bursts = { onNs: 50 * MS, offNs: 100 * MS, phaseNs: 0 };
    const r = await runLoop(loopConfig(gemmWorkload(1024, 9), { durationNs: 1000 * MS, depth: 3, warmupNs: 1e7, bursts }));
    expect(r.stopped).toBe(false);
    expect(r.bursts).toBe(7);
    expect(r.scheduledNs.length).toBe(0);
    expect(r.wakeLateNs.length).toBe(7);
    expect(r.notStarted).toBe(0);
    const perWindow = new Array<number>(7).fill(0);
    for (const t of r.enqueueNs) {
      expect(t % (150 * MS)).toBeLessThan(50 * MS + 1 * MS);
      perWindow[Math.floor(t / (150 * MS))]!++;
    }
    for (const count of perWindow) expect(count).toBeGreaterThan(10);
    for (let i = 0; i < r.latencyNs.length; i++) expect(r.latencyNs[i]).toBeGreaterThanOrEqual(r.gpuNs[i]!);
    expect(Number(r.endNs - r.startNs)).toBeGreaterThanOrEqual(1000 * MS);
    const late = distribution(r.wakeLateNs)!;
    console.log(`bursty, 50/100 ms gemm 1024³: launches per burst ${perWindow.join(' ')}; wake lateness p50 ${us(late.p50)} max ${us(late.max)}`);
    expect(late.max).toBeLessThan(1 * MS);
  });
});

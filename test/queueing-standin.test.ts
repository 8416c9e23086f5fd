// Latency of an open loop is taken from each request's scheduled arrival: a stand-in client serving
// requests in a fixed time (1 ms) from a Poisson schedule at half its capacity must show the queueing
// an M/D/1 queue predicts, through the whole run() path (schedule, worker, role figures). No GPU.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pick } from '../src/metrics/summary.js';
import { run } from '../src/run.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
afterEach(() => {
  delete process.env.STAND_IN_SERVICE_NS;
  delete process.env.STAND_IN_PROCS;
});

describe('open-loop latency against queueing theory', () => {
  it('a Poisson stream at utilisation 0.5 on a 1 ms server waits as long as M/D/1 predicts', async () => {
    process.env.STAND_IN_SERVICE_NS = String(1e6);
    const rate = 500;
    const result = await run(
      { clients: [`role=infer,kernel=gemm,size=64,arrival=poisson:${rate}/s,depth=1000,slo=p99<=10ms`], duration: '4s', seed: 11, baseline: false },
      { clientModule, ...standInDevice() },
    );
    const c = result.shared.clients[0]!;
    expect(c.samples.scheduledNs?.length).toBe(c.launches);
    const waits = c.samples.latencyNs.map((l, i) => l - c.samples.gpuNs[i]!);
    const meanWait = waits.reduce((a, b) => a + b, 0) / waits.length;
    // M/D/1: Wq = ρ / (2 μ (1 − ρ)), ρ = λ/μ = 0.5, μ = 1000/s: 0.5 ms.
    const rho = rate / 1000;
    const predicted = (rho / (2 * 1000 * (1 - rho))) * 1e9;
    expect(Math.abs(meanWait - predicted) / predicted).toBeLessThan(0.15);
    // Every latency is at least the service time; the role's figures split it the same way.
    expect(Math.min(...c.samples.latencyNs)).toBeGreaterThanOrEqual(1e6);
    const role = result.roles[0]!;
    expect(pick(role.summaries, 'role.service.p50')?.value).toBe(1e6);
    expect(pick(role.summaries, 'role.queueing.p50')?.value).toBeLessThan(predicted);
    expect(pick(role.summaries, 'role.notStarted')?.value).toBe(0);
    expect(pick(c.summaries, 'offered')?.value).toBeGreaterThan(rate * 0.9);
    expect(role.slo?.[0]).toMatchObject({ percentile: 'p99', met: true });
  });

  it('past capacity the client falls behind, counts what it could not start and misses its SLO', async () => {
    process.env.STAND_IN_SERVICE_NS = String(1e6);
    const result = await run(
      { clients: ['role=infer,kernel=gemm,size=64,arrival=constant:2000/s,depth=4,slo=p99<=5ms'], duration: '1s', seed: 3, baseline: false },
      { clientModule, ...standInDevice() },
    );
    const c = result.shared.clients[0]!;
    expect(c.notStarted).toBeGreaterThan(900);
    expect(pick(c.summaries, 'lag.max')?.value).toBeGreaterThan(0.4e9);
    expect(result.roles[0]!.slo?.[0]).toMatchObject({ met: false, measuredNs: null });
  });
});

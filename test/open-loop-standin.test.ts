// Open-loop and bursty clients through the orchestrator, against the stand-in client (no GPU): the
// schedule crosses the process boundary, the new arrays and counts come back on the wire (and only
// for open and bursty clients), and latency taken from the schedule shows the queueing theory predicts
// for a FIFO server of fixed service time (test/fixtures/stand-in-client.mjs simulates one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoopConfig } from '../src/binding/contract.js';
import type { ClientRaw } from '../src/orchestrator/messages.js';
import { runClients, type WorkerSpec } from '../src/orchestrator/orchestrator.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';

const standIn = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
let workDir = '';

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'gsm-open-'));
});
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Runs one client per worker on the stand-in, whose server serves each request in `serviceNs`; returns their results. */
async function run(configs: LoopConfig[], serviceNs: number): Promise<ClientRaw[]> {
  const workers: WorkerSpec[] = configs.map((config, client) => ({ env: { STAND_IN_SERVICE_NS: String(serviceNs) }, clients: [{ client, config }] }));
  const outcome = await runClients({ workers, workDir, clientModule: standIn });
  expect(outcome.reason).toBeUndefined();
  expect(outcome.clients.map((c) => c.status)).toEqual(configs.map(() => 'ok'));
  return outcome.clients.map((c) => c.result!);
}

/** Every `periodNs` from 0 up to (not including) `untilNs`. */
const constant = (periodNs: number, untilNs: number) => Float64Array.from({ length: Math.ceil(untilNs / periodNs) }, (_, i) => i * periodNs);

const MS = 1e6;

describe('open loop on the stand-in', () => {
  it('below capacity every request is served on arrival; a saturating client next to it keeps its fields', async () => {
    // 500 requests/s on a 1 ms server: utilisation 0.5, no request ever waits. The schedule runs past the
    // 200 ms deadline: what lies beyond it is not part of the run.
    const arrivals = constant(2 * MS, 300 * MS);
    const open = loopConfig(gemmWorkload(64), { durationNs: 200 * MS, depth: 4, arrivalsNs: arrivals });
    const saturating = loopConfig(gemmWorkload(64), { durationNs: 200 * MS, depth: 3 });
    const [r, s] = await run([open, saturating], 1 * MS);
    expect(r!.scheduledRequests).toBe(100);
    expect(r!.notStarted).toBe(0);
    expect(r!.scheduledNs).toEqual(Array.from(arrivals.subarray(0, 100)));
    expect(r!.enqueueNs).toEqual(r!.scheduledNs);
    expect(new Set(r!.latencyNs)).toEqual(new Set([1 * MS]));
    expect(new Set(r!.gpuNs)).toEqual(new Set([1 * MS]));
    expect(r!.wakeLateNs).toHaveLength(100);
    expect(r!.bursts).toBe(0);
    for (const key of ['scheduledNs', 'wakeLateNs', 'notStarted', 'scheduledRequests', 'bursts']) expect(s).not.toHaveProperty(key);
  });

  it('past capacity the queue grows as theory says and requests due before the deadline go unstarted', async () => {
    // 2000 requests/s on a 1 ms server (utilisation 2): request i finishes at (i + 1) ms, so its latency
    // from the schedule is (i + 1) - i/2 ms, however deep the client's queue of launches.
    const r = (await run([loopConfig(gemmWorkload(64), { durationNs: 200 * MS, depth: 4, arrivalsNs: constant(0.5 * MS, 200 * MS) })], 1 * MS))[0]!;
    expect(r.scheduledRequests).toBe(400);
    // Request i is issued at (i - 3) ms: the last before the deadline is i = 202.
    expect(r.notStarted).toBe(197);
    expect(r.latencyNs.length + r.notStarted!).toBe(400);
    expect(r.latencyNs).toEqual(r.latencyNs.map((_, i) => (i + 1) * MS - (i * MS) / 2));
    // Issued on arrival, or once a slot of four became free (at the completion of request i - 4) if later.
    expect(r.enqueueNs).toEqual(r.enqueueNs.map((_, i) => Math.max(i * 0.5 * MS, i < 4 ? 0 : (i - 3) * MS)));
  });

  it('with Poisson arrivals at utilisation 0.5 the mean wait matches M/D/1 (Pollaczek-Khinchine)', async () => {
    // λ = 50,000/s on a 10 µs server, 0.4 s: 20,000 requests; expected wait ρS / (2(1 - ρ)) = 5 µs.
    const serviceNs = 10_000;
    const rng = xoroshiro128plus(12);
    const arrivals: number[] = [];
    for (let t = 0; t < 400 * MS; t += -Math.log(1 - uniformFloat64(rng)) * 20_000) arrivals.push(t);
    const r = (await run([loopConfig(gemmWorkload(64), { durationNs: 400 * MS, depth: 64, arrivalsNs: arrivals })], serviceNs))[0]!;
    expect(r.notStarted).toBe(0);
    expect(r.latencyNs).toHaveLength(arrivals.length);
    const meanWait = r.latencyNs.reduce((sum, l) => sum + l - serviceNs, 0) / r.latencyNs.length;
    expect(meanWait).toBeGreaterThan(5000 * 0.85);
    expect(meanWait).toBeLessThan(5000 * 1.15);
  });
});

describe('bursty loop on the stand-in', () => {
  it('issues only inside ON windows and counts the bursts', async () => {
    // ON 20 ms, OFF 30 ms, from the opening of a window, for 200 ms: windows at 0, 50, 100 and 150 ms.
    const bursts = { onNs: 20 * MS, offNs: 30 * MS, phaseNs: 0 };
    const r = (await run([loopConfig(gemmWorkload(64), { durationNs: 200 * MS, depth: 2, bursts })], 1 * MS))[0]!;
    expect(r.bursts).toBe(4);
    expect(r.wakeLateNs).toHaveLength(4);
    expect(r.scheduledNs).toEqual([]);
    expect(r.notStarted).toBe(0);
    // Two launches at the opening, then one as each completes: 21 per window.
    expect(r.enqueueNs).toHaveLength(84);
    for (const t of r.enqueueNs) expect(t % (50 * MS)).toBeLessThan(20 * MS);
    expect(new Set(r.gpuNs)).toEqual(new Set([1 * MS]));
  });
});

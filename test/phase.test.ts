// A measured phase and the comparison with solo return what they work out and change nothing they are
// given; what a phase works out per sharing mode comes from the mode's traits. Stand-in clients (time-
// sliced synthetic traces), no GPU.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { pick, summary } from '../src/metrics/summary.js';
import { detectSwitches } from '../src/metrics/switches.js';
import { sharingMode } from '../src/modes/index.js';
import { processPerClient } from '../src/modes/mode.js';
import type { ModeName } from '../src/options.js';
import { loopConfig, runPhase, type ClientReport, type PhaseOptions, type PhaseResult } from '../src/phase.js';
import { compare } from '../src/run.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));

afterEach(() => {
  delete process.env.STAND_IN_PROCS;
});

/** Freezes an object graph, so that any write into it throws (modules are strict code). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A phase of `procs` stand-in clients, one process each, under the traits of `mode`. */
function phaseOptions(mode: ModeName, procs: number): PhaseOptions {
  process.env.STAND_IN_PROCS = String(procs);
  const config = resolveRunConfig({ procs, duration: '200ms', size: 256, seed: 1, sampleMs: 0 });
  return {
    traits: sharingMode(mode).traits,
    label: 'shared',
    workers: processPerClient(procs, (client) => loopConfig(config, client, 8)),
    clientModule,
  };
}

function client(n: number, throughput: number, p50: number, p99: number): ClientReport {
  const summaries = [
    summary('throughput', 'throughput', 'rate', throughput, 'launch/s'),
    summary('latency.p50', 'p50 latency', 'duration', p50),
    summary('latency.p99', 'p99 latency', 'duration', p99),
  ];
  return {
    client: n,
    role: 'gemm',
    status: 'ok',
    launches: 10,
    elapsedNs: 1e9,
    summaries,
    tracedLaunches: 0,
    gapsObserved: 0,
    samples: { enqueueNs: [], latencyNs: [], gpuNs: [] },
  };
}

function phase(label: PhaseResult['label'], clients: ClientReport[], aggregateRate: number): PhaseResult {
  const switches = detectSwitches([]);
  return {
    label,
    procs: clients.length,
    complete: true,
    clients,
    aggregate: [summary('aggregate.throughput', 'aggregate throughput', 'rate', aggregateRate, 'launch/s')],
    switches,
  };
}

describe('compare()', () => {
  it('returns new shared client reports with their ratios against solo, and leaves both phases as they were', () => {
    const baseline = deepFreeze(phase('baseline', [client(0, 100, 1e6, 2e6)], 100));
    const shared = deepFreeze(phase('shared', [client(0, 50, 2e6, 8e6), client(1, 25, 3e6, 4e6)], 75));
    const before = structuredClone(shared);
    const { clients, comparison } = compare(new Map([['gemm', baseline]]), shared);
    expect(shared).toEqual(before);
    expect(clients).not.toBe(shared.clients);
    expect(clients.map((c) => pick(c.summaries, 'slowdown')?.value)).toEqual([2, 4]);
    expect(clients.map((c) => pick(c.summaries, 'latency.p50.vsSolo')?.value)).toEqual([2, 3]);
    expect(clients.map((c) => pick(c.summaries, 'latency.p99.vsSolo')?.value)).toEqual([4, 2]);
    // The client's own summaries come first, its ratios after them.
    expect(clients[0]!.summaries.map((s) => s.tag)).toEqual([
      'throughput',
      'latency.p50',
      'latency.p99',
      'slowdown',
      'latency.p50.vsSolo',
      'latency.p99.vsSolo',
    ]);
    expect(pick(comparison, 'aggregate.vsSolo')?.value).toBe(0.75);
    expect(pick(comparison, 'slowdown.max')?.value).toBe(4);
    expect(pick(comparison, 'fairness')?.value).toBeCloseTo(0.9, 12);
  });

  it('compares nothing without a solo client that finished', () => {
    const shared = deepFreeze(phase('shared', [client(0, 50, 2e6, 8e6)], 50));
    expect(compare(new Map(), shared)).toEqual({ clients: shared.clients, comparison: [] });
    const failed = deepFreeze(phase('baseline', [{ ...client(0, 100, 1e6, 2e6), status: 'crashed' }], 100));
    expect(compare(new Map([['gemm', failed]]), shared).comparison).toEqual([]);
  });
});

describe('runPhase() asks the mode', () => {
  it('time slicing: the clients take turns; occupancy counts each within its own slices; it changes nothing it was given', async () => {
    const options = deepFreeze(phaseOptions('timeslice', 2));
    const before = structuredClone(options);
    const p = await runPhase(options);
    expect(p.complete).toBe(true);
    expect(p.switches.kind).toBe('timeslicing');
    expect(p.switches.count).toBeGreaterThan(10);
    expect(p.occupancy?.clippedToSlices).toBe(true);
    expect(pick(p.clients[0]!.summaries, 'smShare')).toBeDefined();
    expect(pick(p.aggregate, 'occupancy.idle')).toBeDefined();
    expect(p.clients[0]!.summaries[0]!.tag).toBe('launches');
    expect(options).toEqual(before);
  });

  it('streams: the clients run at once (no turns looked for), each client shows its priority first', async () => {
    const p = await runPhase(deepFreeze(phaseOptions('streams', 2)));
    expect(p.switches.kind).toBe('concurrent');
    expect(p.switches.count).toBe(0);
    expect(p.occupancy?.clippedToSlices).toBe(false);
    expect(p.clients.map((c) => c.summaries[0]!.tag)).toEqual(['priority', 'priority']);
    expect(pick(p.aggregate, 'coRunning')).toBeDefined();
  });

  it('green contexts: priority then SMs first in each client', async () => {
    const p = await runPhase(deepFreeze(phaseOptions('green', 2)));
    expect(p.clients[0]!.summaries.slice(0, 3).map((s) => s.tag)).toEqual(['priority', 'sms', 'launches']);
    expect(pick(p.clients[0]!.summaries, 'sms')?.value).toBe(8);
  });

  it('MIG: the SM ids are not one set, so there is no occupancy', async () => {
    const p = await runPhase(deepFreeze(phaseOptions('mig', 2)));
    expect(p.complete).toBe(true);
    expect(p.occupancy).toBeUndefined();
    expect(pick(p.clients[0]!.summaries, 'smShare')).toBeUndefined();
    expect(pick(p.aggregate, 'occupancy.idle')).toBeUndefined();
    expect(p.switches.kind).toBe('concurrent');
  });
});

// A run as a list of client specs: the --client parser, resolving specs (workload, loop, arrivals,
// SLOs, knobs) with one-line errors naming the role and key, the arrival generators' rates and
// inter-arrival distributions, SLO attainment, role figures, and each role against its own baseline
// with stand-in clients (no GPU).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { burstPhaseNs, parseArrival, parseRate, schedule } from '../src/clients/arrival.js';
import { parseSlos, sloOutcome, sloText } from '../src/clients/slo.js';
import { clientSpecs, firstClients, parseClientFlag } from '../src/clients/spec.js';
import { resolveRunConfig } from '../src/config.js';
import { OptionError } from '../src/errors.js';
import { roleReports } from '../src/metrics/roles.js';
import { pick, summary } from '../src/metrics/summary.js';
import type { ClientReport, PhaseResult } from '../src/phase.js';
import { validateRunResult } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import { run } from '../src/run.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OptionError) return error;
    throw error;
  }
  throw new Error('expected an OptionError');
}

const TRAIN = 'role=train,kernel=gemm,size=1024';
const INFER = 'role=infer,preset=bert-base,arrival=poisson:2000/s,slo=p99<=2ms';

describe('--client', () => {
  it('parses key=value pairs, a shape written with x', () => {
    expect(parseClientFlag('role=a,kernel=gemm,shape=64x128x256,mps-threads=50')).toEqual({ role: 'a', kernel: 'gemm', shape: '64x128x256', mpsThreads: '50' });
  });

  it.each(['', 'role', 'role=a,colour=red', 'role=a,role=b', 'role=a,,kernel=gemm'])('rejects %j in one line naming --client', (raw) => {
    const e = optionError(() => parseClientFlag(raw));
    expect(e.option).toBe('--client');
    expect(e.message).not.toContain('\n');
  });

  it('resolves each spec with its own workload, loop, arrivals and objectives, in client order', () => {
    const c = resolveRunConfig({ clients: [`${TRAIN},count=2`, INFER], duration: '2s', seed: 3 });
    expect(c.procs).toBe(3);
    expect(c.clients.map((s) => [s.role, s.count, s.kernel, s.loop, s.depth])).toEqual([
      ['train', 2, 'gemm', 'saturate', 3],
      ['infer', 1, 'attention', 'open', 64],
    ]);
    expect(c.clients[0]!.shape).toEqual([1024, 1024, 1024]);
    expect(c.clients[1]).toMatchObject({ preset: 'bert-base', arrival: { kind: 'poisson', ratePerSec: 2000 }, slo: [{ percentile: 'p99', maxNs: 2e6 }] });
    expect(clientSpecs(c.clients).map((s) => s.role)).toEqual(['train', 'train', 'infer']);
    expect(firstClients(c.clients)).toEqual([0, 2]);
  });

  it('turns the roles knobs into the modes per-client settings', () => {
    const mps = resolveRunConfig({ mode: 'mps', mpsMem: '2G', clients: [`${TRAIN},count=2,mps-threads=30`, `${INFER},mps-mem=4G`] });
    expect(mps.mps).toEqual({ threads: [30, 30, 100], memBytes: [2 * 2 ** 30, 2 * 2 ** 30, 4 * 2 ** 30] });
    const green = resolveRunConfig({ mode: 'green', clients: [`${TRAIN},sms=96`, `${INFER},sms=32,priority=high`] });
    expect(green.smSplit).toEqual([96, 32]);
    expect(green.priorities).toEqual(['low', 'high']);
    const streams = resolveRunConfig({ mode: 'streams', clients: [TRAIN, `${INFER},priority=-5`] });
    expect(streams.priorities).toEqual(['low', -5]);
  });

  it.each([
    [{ clients: [TRAIN, 'role=train,kernel=conv'] }, '--client'],
    [{ clients: [TRAIN], procs: 2 }, '--procs'],
    [{ clients: [TRAIN], kernel: 'gemm' }, '--kernel'],
    [{ clients: [TRAIN], priority: 'high', mode: 'streams' }, '--priority'],
    [{ clients: ['role=9lives,kernel=gemm'] }, '--client 1: role'],
    [{ clients: ['role=a,kernel=resnet'] }, '--client a: kernel'],
    [{ clients: ['role=a,size=4096,arrival=poisson:-3/s'] }, '--client a: arrival'],
    [{ clients: ['role=a,size=4096,loop=open'] }, '--client a: arrival'],
    [{ clients: ['role=a,size=4096,loop=closed,arrival=poisson:5/s'] }, '--client a: arrival'],
    [{ clients: ['role=a,size=4096,slo=p42<=1ms'] }, '--client a: slo'],
    [{ clients: ['role=a,size=4096,count=65'] }, '--client a: count'],
    [{ clients: ['role=a,size=4096,count=40', 'role=b,size=64,count=40'] }, '--client'],
    [{ clients: ['role=a,size=4096,mps-threads=50'], mode: 'timeslice' }, '--client a: mps-threads'],
    [{ clients: ['role=a,size=4096,mps-threads=150'], mode: 'mps' }, '--client a: mps-threads'],
    [{ clients: ['role=a,size=4096,sms=64'], mode: 'streams' }, '--client a: sms'],
    [{ clients: ['role=a,size=4096,shape=1x2x3'] }, '--client a: shape'],
    [{ clients: ['role=a,size=1024,arrival=poisson:1000000/s'], duration: '60s' }, '--client a: arrival'],
  ])('rejects %j naming %s, in one line', (options, option) => {
    const e = optionError(() => resolveRunConfig(options as Parameters<typeof resolveRunConfig>[0]));
    expect(e.option).toBe(option);
    expect(e.message).not.toContain('\n');
  });
});

describe('arrivals', () => {
  it('parses rates and bursts', () => {
    expect(parseRate('2000')).toBe(2000);
    expect(parseRate('2k/s')).toBe(2000);
    expect(parseRate('120/min')).toBe(2);
    expect(parseArrival('--arrival', 'constant:50/s')).toEqual({ kind: 'constant', ratePerSec: 50 });
    expect(parseArrival('--arrival', 'bursty:200ms/1s')).toEqual({ kind: 'bursty', onNs: 2e8, offNs: 1e9 });
    for (const bad of ['poisson', 'poisson:', 'poisson:fast', 'uniform:5', 'bursty:2s', 'bursty:0ms/1s', 'poisson:5:6', 'constant:1e3'])
      expect(() => parseArrival('--arrival', bad), bad).toThrow(OptionError);
  });

  it('poisson: the count is the rate within five standard deviations and the gaps are exponential', () => {
    const rate = 5000;
    const s = schedule({ kind: 'poisson', ratePerSec: rate }, { durationNs: 10e9 }, 42);
    const expected = rate * 10;
    expect(Math.abs(s.length - expected)).toBeLessThan(5 * Math.sqrt(expected));
    const gaps = Array.from(s, (t, i) => t - (i === 0 ? 0 : s[i - 1]!));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(0.98 * (1e9 / rate));
    expect(mean).toBeLessThan(1.02 * (1e9 / rate));
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.97); // exponential: coefficient of variation 1
    expect(sd / mean).toBeLessThan(1.03);
    // P(gap > t) = exp(-rate t) at t = mean and 2 means.
    for (const k of [1, 2]) {
      const share = gaps.filter((g) => g > k * mean).length / gaps.length;
      expect(share).toBeCloseTo(Math.exp(-k), 2);
    }
    expect(s.every((t, i) => i === 0 || t >= s[i - 1]!)).toBe(true);
    expect(s[s.length - 1]!).toBeLessThan(10e9);
  });

  it('constant: evenly spaced from a seeded phase; the same seed gives the same schedule, another seed another', () => {
    const s = schedule({ kind: 'constant', ratePerSec: 1000 }, { durationNs: 1e9 }, 7);
    expect(s.length).toBe(1000);
    expect(s[0]!).toBeGreaterThanOrEqual(0);
    expect(s[0]!).toBeLessThan(1e6);
    for (let i = 1; i < s.length; i++) expect(s[i]! - s[i - 1]!).toBeCloseTo(1e6, 3);
    expect(schedule({ kind: 'poisson', ratePerSec: 100 }, { durationNs: 1e9 }, 9)).toEqual(
      schedule({ kind: 'poisson', ratePerSec: 100 }, { durationNs: 1e9 }, 9),
    );
    expect(schedule({ kind: 'poisson', ratePerSec: 100 }, { durationNs: 1e9 }, 9)).not.toEqual(
      schedule({ kind: 'poisson', ratePerSec: 100 }, { durationNs: 1e9 }, 10),
    );
  });

  it('a count gives exactly that many arrivals; a bursty phase falls within one cycle', () => {
    expect(schedule({ kind: 'poisson', ratePerSec: 10 }, { durationNs: 0, count: 123 }, 1).length).toBe(123);
    for (let seed = 0; seed < 50; seed++) {
      const phase = burstPhaseNs({ kind: 'bursty', onNs: 2e8, offNs: 8e8 }, seed);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(1e9);
    }
  });
});

describe('SLOs', () => {
  it('parses objectives and writes them back', () => {
    const slos = parseSlos('--slo', 'p50<=1ms&p99.9<=250us');
    expect(slos).toEqual([
      { percentile: 'p50', maxNs: 1e6 },
      { percentile: 'p99.9', maxNs: 250e3 },
    ]);
    expect(slos.map(sloText)).toEqual(['p50<=1ms', 'p99.9<=250us']);
    for (const bad of ['p99', 'p99<=', 'p99>=5ms', 'p98<=5ms', 'p99<=5', 'p99<=5ms&p99<=6ms', 'p99<=0.1us'])
      expect(() => parseSlos('--slo', bad), bad).toThrow(OptionError);
  });

  it('counts requests never started as misses, and attainment over all requests', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => (i + 1) * 1e5); // 0.1 .. 10 ms
    const p99 = { percentile: 'p99' as const, maxNs: 9.95e6 };
    expect(sloOutcome(p99, latencies)).toMatchObject({ met: true, measuredNs: 9.9e6, attainment: 0.99, requests: 100 });
    // Two requests never started: the 99th percentile of 102 requests is one of them.
    expect(sloOutcome(p99, latencies, 2)).toMatchObject({ met: false, measuredNs: null, requests: 102 });
    expect(sloOutcome({ percentile: 'p50', maxNs: 5e6 }, latencies, 2)).toMatchObject({ met: false, measuredNs: 5.1e6 });
    expect(sloOutcome({ percentile: 'max', maxNs: 20e6 }, [])).toMatchObject({ met: false, requests: 0 });
  });
});

function client(n: number, role: string, rate: number, latencyMs: number[], gpuMs: number[] = latencyMs.map(() => 0.5)): ClientReport {
  return {
    client: n,
    role,
    status: 'ok',
    launches: latencyMs.length,
    elapsedNs: 1e9,
    summaries: [summary('throughput', 'throughput', 'rate', rate, 'launch/s')],
    tracedLaunches: 0,
    gapsObserved: 0,
    samples: { enqueueNs: [], latencyNs: latencyMs.map((l) => l * 1e6), gpuNs: gpuMs.map((g) => g * 1e6) },
  };
}

describe('role figures', () => {
  it('pools a role’s clients, compares them with the role alone, splits open-loop latency and checks its SLOs', () => {
    const c = resolveRunConfig({ clients: [`${TRAIN},count=2`, INFER], seed: 1 });
    const soloPhase = (role: string, rate: number, latencyMs: number[]): PhaseResult => ({
      label: 'baseline',
      procs: 1,
      complete: true,
      clients: [client(0, role, rate, latencyMs)],
      aggregate: [],
      switches: { kind: 'turns', windowStartNs: 0, windowEndNs: 0, count: 0, perSecond: 0, overheadFraction: 0, coRunningFraction: 0 } as never,
    });
    const baselines = new Map([
      ['train', soloPhase('train', 100, [10])],
      ['infer', soloPhase('infer', 2000, [1, 1, 1, 1])],
    ]);
    const shared = [client(0, 'train', 30, [20]), client(1, 'train', 30, [20]), client(2, 'infer', 2000, [1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5])];
    const [train, infer] = roleReports(c.clients, shared, baselines);
    expect(train!.clients).toEqual([0, 1]);
    expect(pick(train!.summaries, 'role.throughput')?.value).toBe(60);
    expect(pick(train!.summaries, 'role.vsSolo')?.value).toBeCloseTo(0.3, 12); // 60 / (2 × 100)
    expect(pick(train!.summaries, 'role.queueing.p50')).toBeUndefined();
    expect(pick(infer!.summaries, 'role.vsSolo')?.value).toBe(1);
    expect(pick(infer!.summaries, 'role.latency.p50')?.value).toBeCloseTo(2.5e6, 6);
    expect(pick(infer!.summaries, 'role.queueing.p50')?.value).toBeCloseTo(2e6, 6);
    expect(pick(infer!.summaries, 'role.service.p50')?.value).toBeCloseTo(0.5e6, 6);
    expect(pick(infer!.summaries, 'role.latency.p99.vsSolo')?.value).toBeGreaterThan(3.9);
    expect(infer!.slo).toEqual([expect.objectContaining({ percentile: 'p99', maxNs: 2e6, met: false, attainment: 0.5, requests: 4 })]);
  });
});

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
afterEach(() => {
  delete process.env.STAND_IN_PROCS;
});

describe('memory for every role, before any GPU work', () => {
  it('names the largest role and how much too much, in one line', async () => {
    // The stand-in device has 8 GiB; two gemm 16384³ fp32 roles need 3 GiB a client, 4 clients in all.
    const error = await run(
      { clients: ['role=big,kernel=gemm,size=16384,dtype=fp32,count=3', 'role=small,kernel=gemm,size=1024'], duration: '100ms' },
      { clientModule, ...standInDevice() },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    const e = error as OptionError;
    expect(e.option).toBe('--client big');
    expect(e.message).toMatch(/GiB too many: big [\d.]+ GiB, small [\d.]+ GiB/);
    expect(e.message).not.toContain('\n');
  });
});

describe('run() with two roles of stand-in clients', () => {
  it('measures each role alone, then all together, and compares each client with its own role', async () => {
    process.env.STAND_IN_PROCS = '3';
    const progress: string[] = [];
    const result = await run(
      { clients: ['role=train,kernel=gemm,size=256,count=2', 'role=side,kernel=gemm,size=128,slo=p99<=50ms'], duration: '300ms', seed: 2 },
      { clientModule, ...standInDevice(), onProgress: (e) => (e.type === 'phase' ? progress.push(`${e.label}${e.role ? ` ${e.role}` : ''}`) : undefined) },
    );
    expect(progress).toEqual(['baseline train', 'baseline side', 'shared']);
    expect(result.complete).toBe(true);
    expect(result.baselines.map((b) => b.role)).toEqual(['train', 'side']);
    expect(result.shared.clients.map((c) => c.role)).toEqual(['train', 'train', 'side']);
    for (const c of result.shared.clients) expect(pick(c.summaries, 'slowdown')?.value).toBeGreaterThan(0);
    expect(result.roles.map((r) => [r.role, r.clients])).toEqual([
      ['train', [0, 1]],
      ['side', [2]],
    ]);
    expect(result.roles[1]!.slo?.[0]).toMatchObject({ percentile: 'p99', met: true });
    expect(pick(result.comparison, 'aggregate.vsSolo')?.name).toContain("each client's share of its role alone");
    validateRunResult(JSON.parse(JSON.stringify(result)));
    const table = formatRunResult(result);
    for (const text of ['2 roles, 3 clients', 'train ×2: gemm 256×256×256', 'solo side', '2 side', 'Roles (each against itself alone)', 'SLO p99<=50ms'])
      expect(table).toContain(text);
  });
});

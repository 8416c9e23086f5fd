import { describe, it, expect } from 'vitest';
import { detectSwitches, MAX_LISTED, switchSummaries, type ClientTrace } from '../src/metrics/switches.js';
import { pick } from '../src/metrics/summary.js';
import { timeBoundMs } from './fixtures/yardstick.js';

const US = 1_000;
const MS = 1_000_000;

/** Collects CTA and gap records of one client and turns them into a ClientTrace. */
class TraceBuilder {
  private readonly cta: number[][] = [[], [], []];
  private readonly gap: number[][] = [[], [], []];
  constructor(readonly client: number) {}
  addCta(start: number, end: number, sm: number): this {
    this.cta[0]!.push(start);
    this.cta[1]!.push(end);
    this.cta[2]!.push(sm);
    return this;
  }
  addGap(start: number, end: number, sm: number): this {
    this.gap[0]!.push(start);
    this.gap[1]!.push(end);
    this.gap[2]!.push(sm);
    return this;
  }
  build(coveredFrom: number, coveredTo: number): ClientTrace {
    return {
      client: this.client,
      ctaStart: Float64Array.from(this.cta[0]!),
      ctaEnd: Float64Array.from(this.cta[1]!),
      ctaSm: Uint32Array.from(this.cta[2]!),
      gapStart: Float64Array.from(this.gap[0]!),
      gapEnd: Float64Array.from(this.gap[1]!),
      gapSm: Uint32Array.from(this.gap[2]!),
      coveredFrom,
      coveredTo,
    };
  }
}

/** Round-robin time slicing: slice k belongs to client k % clients and starts at k · (slice + gap). */
interface Schedule {
  clients: number;
  slices: number;
  sliceNs: number;
  gapNs: number;
}
const sliceStart = (s: Schedule, k: number) => k * (s.sliceNs + s.gapNs);
const scheduleEnd = (s: Schedule) => sliceStart(s, s.slices) - s.gapNs;

/**
 * Every slice full of short CTAs: on each of `sms` SMs, CTAs of `ctaNs` back to back, the SM's first CTA
 * starting `smOffset(sm)` after the slice start, as many as fit before the slice ends.
 */
function shortCtaTraces(s: Schedule, sms: number, ctaNs: number, smOffset: (sm: number) => number = () => 0) {
  const builders = Array.from({ length: s.clients }, (_, c) => new TraceBuilder(c));
  for (let k = 0; k < s.slices; k++) {
    const b = builders[k % s.clients]!;
    const start = sliceStart(s, k);
    for (let sm = 0; sm < sms; sm++) {
      for (let t = start + smOffset(sm); t + ctaNs <= start + s.sliceNs; t += ctaNs) b.addCta(t, t + ctaNs, sm);
    }
  }
  return builders;
}

describe('detectSwitches: time slicing with short CTAs', () => {
  const s: Schedule = { clients: 2, slices: 20, sliceNs: 2 * MS, gapNs: 50 * US };
  const windowNs = scheduleEnd(s);

  it('finds every alternation, the slice length, the gap and the overhead', () => {
    const traces = shortCtaTraces(s, 132, 20 * US).map((b) => b.build(0, windowNs));
    const a = detectSwitches(traces);
    expect(a.windowStartNs).toBe(0);
    expect(a.windowEndNs).toBe(windowNs);
    expect(a.count).toBe(s.slices - 1);
    expect(a.switches).toHaveLength(s.slices - 1);
    expect(a.slices).toHaveLength(s.slices);
    a.switches.forEach((sw, i) => {
      expect(sw.from).toBe(i % 2);
      expect(sw.to).toBe((i + 1) % 2);
      expect(sw.atNs).toBe(sliceStart(s, i) + s.sliceNs);
      expect(sw.gapNs).toBeCloseTo(s.gapNs, 6);
    });
    expect(a.slice!.count).toBe(s.slices - 2);
    expect(a.slice!.p50).toBeCloseTo(s.sliceNs, 6);
    expect(a.gap!.p50).toBeCloseTo(s.gapNs, 6);
    expect(a.overheadFraction).toBeCloseTo(((s.slices - 1) * s.gapNs) / windowNs, 12);
    expect(a.perSecond).toBeCloseTo((s.slices - 1) / (windowNs / 1e9), 6);
    expect(a.overlapCount).toBe(0);
  });

  it('measures slices and gaps to within the CTA spacing when SMs are staggered', () => {
    const ctaNs = 20 * US;
    // Staggered SMs: the last CTA of a slice ends up to one CTA early, so slices look shorter and gaps longer.
    const traces = shortCtaTraces(s, 132, ctaNs, (sm) => (sm % 7) * 700).map((b) => b.build(0, windowNs));
    const a = detectSwitches(traces);
    expect(a.count).toBe(s.slices - 1);
    expect(a.slice!.p50).toBeLessThanOrEqual(s.sliceNs);
    expect(a.slice!.p50).toBeGreaterThan(s.sliceNs - ctaNs);
    expect(a.gap!.p50).toBeGreaterThanOrEqual(s.gapNs);
    expect(a.gap!.p50).toBeLessThan(s.gapNs + ctaNs);
    expect(a.overlapCount).toBe(0);
  });

  it('is not fooled by a CTA preempted across the other client’s slice', () => {
    const builders = shortCtaTraces(s, 132, 20 * US);
    // Client 0 starts a CTA just before its slice 0 ends; it is preempted and only finishes early in its
    // slice 2, so its interval covers the whole of client 1's slice 1. Only its endpoints count.
    builders[0]!.addCta(sliceStart(s, 0) + s.sliceNs - 5 * US, sliceStart(s, 2) + 5 * US, 7);
    const a = detectSwitches(builders.map((b) => b.build(0, windowNs)));
    expect(a.count).toBe(s.slices - 1);
    expect(a.switches[0]).toMatchObject({ from: 0, to: 1, atNs: sliceStart(s, 0) + s.sliceNs });
    expect(a.switches[1]).toMatchObject({ from: 1, to: 0, atNs: sliceStart(s, 1) + s.sliceNs });
    expect(a.slices[1]).toEqual({ client: 1, startNs: sliceStart(s, 1), endNs: sliceStart(s, 1) + s.sliceNs });
  });
});

describe('detectSwitches: probe traces', () => {
  it('finds switches from gap edges', () => {
    const s: Schedule = { clients: 2, slices: 12, sliceNs: 1 * MS, gapNs: 30 * US };
    const sms = 8;
    // A probe reads the clock every few hundred ns, so each SM sees its slice a little late and leaves it a
    // little early: SM `sm` first reads the clock `lag(sm)` after the slice starts and last `lag(sm)` before
    // it ends.
    const lag = (sm: number) => 200 + sm * 100;
    const builders = [new TraceBuilder(0), new TraceBuilder(1)];
    for (let c = 0; c < 2; c++) {
      const own = Array.from({ length: s.slices / 2 }, (_, i) => 2 * i + c);
      for (let sm = 0; sm < sms; sm++) {
        const first = own[0]!;
        const last = own[own.length - 1]!;
        // One long CTA per SM spanning all of the client's slices, with a gap for each switch-out.
        builders[c]!.addCta(sliceStart(s, first) + lag(sm), sliceStart(s, last) + s.sliceNs - lag(sm), sm);
        for (let i = 0; i + 1 < own.length; i++) {
          builders[c]!.addGap(sliceStart(s, own[i]!) + s.sliceNs - lag(sm), sliceStart(s, own[i + 1]!) + lag(sm), sm);
        }
      }
    }
    const a = detectSwitches(builders.map((b) => b.build(0, scheduleEnd(s))));
    expect(a.count).toBe(s.slices - 1);
    a.switches.forEach((sw, k) => {
      // Last instant of the outgoing client: its earliest-lagging SM's last reading; first instant of the
      // incoming client: likewise its first reading.
      const outgoingLast = sliceStart(s, k) + s.sliceNs - lag(0);
      const incomingFirst = sliceStart(s, k + 1) + lag(0);
      expect(sw).toEqual({ from: k % 2, to: (k + 1) % 2, atNs: outgoingLast, gapNs: incomingFirst - outgoingLast });
    });
    expect(a.gap!.p50).toBe(s.gapNs + 2 * lag(0));
    expect(a.slice!.p50).toBe(s.sliceNs - 2 * lag(0));
    expect(a.overlapCount).toBe(0);
  });
});

describe('detectSwitches: edge cases', () => {
  it('reports no switches for a single client', () => {
    const b = new TraceBuilder(0);
    for (let t = 0; t < 10 * MS; t += 20 * US) b.addCta(t, t + 20 * US, 0);
    const a = detectSwitches([b.build(0, 10 * MS)]);
    expect(a.count).toBe(0);
    expect(a.switches).toEqual([]);
    expect(a.slices).toEqual([{ client: 0, startNs: 0, endNs: 10 * MS }]);
    expect(a.perSecond).toBe(0);
    expect(a.overheadFraction).toBe(0);
    expect(a.slice).toBeUndefined();
    expect(a.gap).toBeUndefined();
    expect(a.overlapCount).toBe(0);
  });

  it('reports nothing without clients or with an empty window', () => {
    const none = detectSwitches([]);
    expect(none).toMatchObject({ count: 0, perSecond: 0, overheadFraction: 0, overlapCount: 0, slices: [] });
    const a = new TraceBuilder(0).addCta(0, 10, 0).build(0, 100);
    const b = new TraceBuilder(1).addCta(200, 210, 0).build(150, 300);
    const disjoint = detectSwitches([a, b]);
    expect(disjoint.count).toBe(0);
    expect(disjoint.slices).toEqual([]);
    expect(disjoint.windowEndNs).toBe(disjoint.windowStartNs);
  });

  it('restricts the analysis to the window every client covers', () => {
    const s: Schedule = { clients: 2, slices: 20, sliceNs: 2 * MS, gapNs: 50 * US };
    const builders = shortCtaTraces(s, 16, 20 * US);
    // Client 1 was fully recorded only until the middle of slice 12 (client 0's); after that only a few of
    // its records survived, which would look like (spurious) switches if they were used.
    const coveredTo = sliceStart(s, 12) + 1 * MS;
    builders[1]!.addCta(sliceStart(s, 12) + 1.5 * MS, sliceStart(s, 12) + 1.6 * MS, 3);
    // Client 0's coverage starts late, inside its slice 2.
    const coveredFrom = sliceStart(s, 2) + 0.5 * MS;
    const a = detectSwitches([builders[0]!.build(coveredFrom, scheduleEnd(s)), builders[1]!.build(0, coveredTo)]);
    expect(a.windowStartNs).toBe(coveredFrom);
    expect(a.windowEndNs).toBe(coveredTo);
    // Slices 2..12 are (partly) in the window: 10 switches, none at or after the window end.
    expect(a.count).toBe(10);
    expect(a.switches[0]).toMatchObject({ from: 0, to: 1, atNs: sliceStart(s, 2) + s.sliceNs });
    for (const sw of a.switches) expect(sw.atNs).toBeLessThan(coveredTo);
    const last = a.slices[a.slices.length - 1]!;
    expect(last.client).toBe(0);
    expect(last.endNs).toBeLessThanOrEqual(coveredTo);
    // The truncated first and last slices are left out of the slice distribution.
    expect(a.slice!.count).toBe(a.slices.length - 2);
    expect(a.slice!.min).toBe(s.sliceNs);
    expect(a.overheadFraction).toBeCloseTo((10 * s.gapNs) / (coveredTo - coveredFrom), 12);
  });

  it('counts lone instants between another client’s instants as overlap', () => {
    // Concurrent clients: their instants interleave one by one.
    const a = new TraceBuilder(0);
    const b = new TraceBuilder(1);
    for (let i = 0; i < 50; i++) {
      a.addCta(i * 40, i * 40 + 20, 0); // instants 0, 20, 40, 60, ...
      b.addCta(i * 40 + 10, i * 40 + 30, 1); // instants 10, 30, 50, 70, ...
    }
    const r = detectSwitches([a.build(0, 2000), b.build(0, 2000)]);
    expect(r.slices).toHaveLength(200);
    expect(r.count).toBe(199);
    expect(r.overlapCount).toBe(198); // every slice but the first and last
    expect(r.gap!.p50).toBe(10);
  });

  it('orders equal instants by client, whatever the order of the traces', () => {
    const a = new TraceBuilder(0).addCta(0, 10, 0).build(0, 20);
    const b = new TraceBuilder(1).addCta(10, 20, 0).build(0, 20);
    for (const traces of [
      [a, b],
      [b, a],
    ]) {
      const r = detectSwitches(traces);
      expect(r.switches).toEqual([{ from: 0, to: 1, atNs: 10, gapNs: 0 }]);
      expect(r.slices).toEqual([
        { client: 0, startNs: 0, endNs: 10 },
        { client: 1, startNs: 10, endNs: 20 },
      ]);
    }
  });

  it('ignores NaN and out-of-window instants', () => {
    const a = new TraceBuilder(0).addCta(Number.NaN, 10, 0).addCta(-5, 5, 0).build(0, 40);
    const b = new TraceBuilder(1).addCta(20, 30, 0).addCta(35, 45, 0).build(0, 40);
    const r = detectSwitches([a, b]);
    expect(r.slices).toEqual([
      { client: 0, startNs: 5, endNs: 10 },
      { client: 1, startNs: 20, endNs: 35 },
    ]);
  });
});

describe('switchSummaries', () => {
  it('reports count, rate, slices, gaps and overhead', () => {
    // 110 slices: 109 switches, enough for a gap p99 (100) and the slices' p10 and p90 (10).
    const s: Schedule = { clients: 2, slices: 110, sliceNs: 2 * MS, gapNs: 50 * US };
    const a = detectSwitches(shortCtaTraces(s, 4, 20 * US).map((b) => b.build(0, scheduleEnd(s))));
    const list = switchSummaries(a);
    expect(list.map((x) => x.tag)).toEqual([
      'switch.count',
      'switch.perSecond',
      'slice.p10',
      'slice.p50',
      'slice.p90',
      'switchGap.p50',
      'switchGap.p99',
      'switchGap.max',
      'switch.overhead',
      'coRunning',
    ]);
    expect(pick(list, 'coRunning')!.value).toBeLessThan(0.05);
    expect(pick(list, 'switch.count')).toMatchObject({ hint: 'count', value: 109 });
    expect(pick(list, 'switch.perSecond')).toMatchObject({ hint: 'rate', unit: 'switch/s', value: a.perSecond });
    expect(pick(list, 'slice.p50')).toMatchObject({ name: 'time slice p50', hint: 'duration', value: a.slice!.p50 });
    expect(pick(list, 'switchGap.max')).toMatchObject({ hint: 'duration', value: a.gap!.max });
    expect(pick(list, 'switch.overhead')).toMatchObject({
      name: 'switching overhead',
      hint: 'fraction',
      value: a.overheadFraction,
    });
  });

  it('omits distributions that are undefined, and percentiles with too few samples', () => {
    const a = new TraceBuilder(0).addCta(0, 10, 0);
    const b = new TraceBuilder(1).addCta(20, 30, 0);
    // One switch: no interior slice, one gap (its maximum, but no median of one).
    const list = switchSummaries(detectSwitches([a.build(0, 30), b.build(0, 30)]));
    expect(list.map((x) => x.tag)).toEqual(['switch.count', 'switch.perSecond', 'switchGap.max', 'switch.overhead', 'coRunning']);
    // 9 switches, 8 interior slices: a median of each, but no p10 or p90 (10 samples) and no gap p99 (100).
    const s: Schedule = { clients: 2, slices: 10, sliceNs: 2 * MS, gapNs: 50 * US };
    const nine = detectSwitches(shortCtaTraces(s, 4, 20 * US).map((t) => t.build(0, scheduleEnd(s))));
    expect(nine.count).toBe(9);
    expect(nine.gap!.p99).toBeGreaterThan(0); // the analysis keeps the whole distribution
    expect(switchSummaries(nine).map((x) => x.tag)).toEqual([
      'switch.count',
      'switch.perSecond',
      'slice.p50',
      'switchGap.p50',
      'switchGap.max',
      'switch.overhead',
      'coRunning',
    ]);
  });

  it('names its figures kernel-level when some client is traced by its kernels (CUPTI), not its CTAs', () => {
    const s: Schedule = { clients: 2, slices: 110, sliceNs: 2 * MS, gapNs: 50 * US };
    const a = detectSwitches(shortCtaTraces(s, 4, 20 * US).map((t) => t.build(0, scheduleEnd(s))));
    const list = switchSummaries(a, { kernelLevel: true });
    expect(list.map((x) => x.tag)).toEqual(switchSummaries(a).map((x) => x.tag));
    for (const x of list.filter((x) => x.tag !== 'coRunning')) expect(x.name).toMatch(/ \(kernel-level\)$/);
    expect(pick(list, 'coRunning')!.name).toBe("10 µs bins with several clients' kernel starts/ends (CUPTI)");
    expect(pick(switchSummaries({ ...a, kind: 'concurrent' }, { kernelLevel: true }), 'coRunning')!.name).toContain('kernel starts/ends');
  });

  it('says nothing about switches for a single client', () => {
    const b = new TraceBuilder(0).addCta(0, 10, 0);
    const a = detectSwitches([b.build(0, 10)]);
    expect(a.kind).toBe('single');
    expect(switchSummaries(a)).toEqual([]);
  });
});

describe('detectSwitches: performance', () => {
  /** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** `n` CTAs of one client, recorded SM by SM (so not in time order), each lasting 15–25 µs. */
  function ctaTrace(client: number, n: number, at: (i: number) => number, random: () => number): ClientTrace {
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    const sm = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      start[i] = at(i);
      end[i] = start[i]! + 15 * US + random() * 10 * US;
      sm[i] = i % 132;
    }
    const empty = new Float64Array(0);
    return {
      client,
      ctaStart: start,
      ctaEnd: end,
      ctaSm: sm,
      gapStart: empty,
      gapEnd: empty,
      gapSm: new Uint32Array(0),
      coveredFrom: 0,
      coveredTo: Infinity,
    };
  }

  it('handles 4 clients × 1M time-sliced instants quickly', () => {
    const random = rng(1);
    const clients = 4;
    const ctas = 500_000; // two instants each
    const perSlice = 10_000;
    const sliceNs = 2 * MS;
    // CTA i of client c runs in that client's (i / perSlice)-th slice of the round robin, at a random time.
    const traces = Array.from({ length: clients }, (_, c) =>
      ctaTrace(c, ctas, (i) => (Math.floor(i / perSlice) * clients + c) * (sliceNs + 50 * US) + random() * (sliceNs - 25 * US), random),
    );
    const t0 = performance.now();
    const a = detectSwitches(traces);
    const elapsed = performance.now() - t0;
    expect(a.count).toBe((ctas / perSlice) * clients - 1);
    // Near-linear, not quadratic: the bound follows the machine's speed at this moment (fixtures/yardstick.ts).
    expect(elapsed).toBeLessThan(timeBoundMs(2 * ctas * clients, 50, 3000));
  });

  it('stays linear when concurrent clients interleave instant by instant, and calls them concurrent', () => {
    // Worst case for the merge: nearly every instant is its own run. 4 clients × 250k instants at
    // random over 1 s: every 10 µs bin holds several clients, so there are no turns to report.
    const random = rng(2);
    const traces = Array.from({ length: 4 }, (_, c) => ctaTrace(c, 125_000, () => random() * 1e9, random));
    const t0 = performance.now();
    const a = detectSwitches(traces);
    const elapsed = performance.now() - t0;
    expect(a.kind).toBe('concurrent');
    expect(a.coRunningFraction).toBeGreaterThan(0.9);
    expect(a.count).toBe(0);
    expect(a.switches).toEqual([]);
    expect(switchSummaries(a).map((s) => s.tag)).toEqual(['coRunning']);
    // Near-linear, not quadratic: the bound follows the machine's speed at this moment (fixtures/yardstick.ts).
    expect(elapsed).toBeLessThan(timeBoundMs(4 * 250_000, 50, 3000));
  });

  it('keeps at most MAX_LISTED switches in the result, counting all of them', () => {
    // Turns of 20 instants each: 2 clients × 30k slices → 60k switches.
    const a = new TraceBuilder(0);
    const b = new TraceBuilder(1);
    for (let i = 0; i < 30_000; i++) {
      const t = i * 2 * 1000 * US;
      for (let k = 0; k < 10; k++) a.addCta(t + k * 40 * US, t + k * 40 * US + 20 * US, 0);
      for (let k = 0; k < 10; k++) b.addCta(t + 1000 * US + k * 40 * US, t + 1000 * US + k * 40 * US + 20 * US, 1);
    }
    const end = 30_000 * 2 * 1000 * US;
    const r = detectSwitches([a.build(0, end), b.build(0, end)]);
    expect(r.kind).toBe('timeslicing');
    expect(r.count).toBe(59_999);
    expect(r.switches).toHaveLength(MAX_LISTED);
    expect(r.slices).toHaveLength(MAX_LISTED);
    expect(r.gap!.count).toBe(59_999);
  });
});

describe('kernelTrace: switches from CUPTI kernel records', () => {
  it('puts two clients’ kernels on one GPU clock and finds their turns', async () => {
    const { kernelTrace } = await import('../src/phase.js');
    // Client 0's kernels run at GPU times 0–1, 4–5 and 8–9 ms; client 1's at 2–3, 6–7 and 10–11 ms.
    // Each client's host epoch maps to a different %globaltimer value, as it does across processes.
    // Only the window both cover counts: 2–9 ms.
    const record = (gpuEpochNs: bigint, starts: number[]) => ({
      available: true,
      pid: 1,
      summaries: [],
      gpuEpochNs: gpuEpochNs.toString(),
      gpuPerHostNs: 1,
      hostEpochNs: '0',
      names: ['k'],
      kernels: {
        startNs: starts,
        endNs: starts.map((t) => t + 1e6),
        nameIndex: starts.map(() => 0),
        streamId: [],
        correlationId: [],
        deviceId: [],
        contextId: [],
        grid: [],
        block: [],
      },
    });
    const epoch = 1_000_000_000n;
    const a = kernelTrace(0, record(epoch, [0, 4e6, 8e6]), epoch)!;
    const b = kernelTrace(1, record(epoch + 2_000_000n, [0, 4e6, 8e6]), epoch)!;
    expect(Array.from(b.ctaStart)).toEqual([2e6, 6e6, 10e6]);
    const r = detectSwitches([a, b], 'turns');
    expect(r.switches.map((s) => [s.from, s.to])).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(r.gap!.p50).toBe(1e6);
    expect(kernelTrace(0, { available: false, pid: 1, summaries: [] }, epoch)).toBeUndefined();
  });
});

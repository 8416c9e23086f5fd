// SM occupancy from CTA traces, on synthetic traces whose answer is known by construction.
import { describe, expect, it } from 'vitest';
import { measureOccupancy, niceBinWidth, phaseOccupancy, sweepUnion, TIMELINE_IDLE, tookTurns, type OccupancyTrace } from '../src/metrics/occupancy.js';
import { pick } from '../src/metrics/summary.js';
import { detectSwitches, type ClientTrace } from '../src/metrics/switches.js';
import { sharingMode } from '../src/modes/index.js';
import { timeBoundMs } from './fixtures/yardstick.js';

const MS = 1e6;
const US = 1e3;

/** A trace from [start, end, sm] triples (ns). */
function trace(client: number, records: Array<[number, number, number]>): OccupancyTrace {
  return {
    client,
    ctaStart: Float64Array.from(records, (r) => r[0]),
    ctaEnd: Float64Array.from(records, (r) => r[1]),
    ctaSm: Uint32Array.from(records, (r) => r[2]),
  };
}

/** Clients taking turns in `sliceNs` slices, each slice filled with back-to-back CTAs of `ctaNs` on every SM. */
function alternating(clients: number, sms: number, sliceNs: number, ctaNs: number, totalNs: number): OccupancyTrace[] {
  return Array.from({ length: clients }, (_, c) => {
    const records: Array<[number, number, number]> = [];
    for (let t0 = c * sliceNs; t0 < totalNs; t0 += clients * sliceNs) {
      for (let t = t0; t < t0 + sliceNs; t += ctaNs) for (let sm = 0; sm < sms; sm++) records.push([t, t + ctaNs, sm]);
    }
    return trace(c, records);
  });
}

describe('sweepUnion', () => {
  it('merges overlapping and touching intervals from separately sorted starts and ends', () => {
    const out: Array<[number, number]> = [];
    // Intervals [0,10) [5,15) [15,20) [30,40) [32,33)
    sweepUnion(Float64Array.of(0, 5, 15, 30, 32), Float64Array.of(10, 15, 20, 33, 40), (a, b) => out.push([a, b]));
    expect(out).toEqual([
      [0, 20],
      [30, 40],
    ]);
  });
});

describe('measureOccupancy', () => {
  it('two clients alternating 2 ms slices on 132 SMs hold 50% each, nothing idle', () => {
    const traces = alternating(2, 132, 2 * MS, 100 * US, 100 * MS);
    const o = measureOccupancy(traces, { smCount: 132, windowStartNs: 0, windowEndNs: 100 * MS })!;
    expect(o.clients).toEqual([0, 1]);
    expect(o.share[0]).toBeCloseTo(0.5, 10);
    expect(o.share[1]).toBeCloseTo(0.5, 10);
    expect(o.idle).toBeCloseTo(0, 10);
    expect(o.perSm[0]).toHaveLength(132);
    expect(o.perSm[0]!.every((v) => v === 0.5)).toBe(true);
    // Timeline: 100 ms at most 1000 bins → 100 µs bins; 20 bins of client 0, then 20 of client 1, ...
    expect(o.timeline.binNs).toBe(100 * US);
    expect(o.timeline.bins).toBe(1000);
    expect(o.timeline.rows).toHaveLength(132);
    const expected = Array.from({ length: 1000 }, (_, b) => (Math.floor(b / 20) % 2 === 0 ? '0' : '1')).join('');
    expect(o.timeline.rows.every((r) => r === expected)).toBe(true);
    // Series: 100 ms in at most 200 bins → 500 µs bins, each all one client.
    expect(o.series.binNs).toBe(500 * US);
    expect(o.series.tNs).toHaveLength(200);
    expect(o.series.share[0]!.slice(0, 8)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(o.series.idle.every((v) => v === 0)).toBe(true);
  });

  it('one client on half the SMs leaves 50% idle', () => {
    const records: Array<[number, number, number]> = [];
    for (let t = 0; t < 10 * MS; t += 50 * US) for (let sm = 0; sm < 66; sm++) records.push([t, t + 50 * US, sm]);
    const o = measureOccupancy([trace(0, records)], { smCount: 132, windowStartNs: 0, windowEndNs: 10 * MS })!;
    expect(o.share[0]).toBeCloseTo(0.5, 10);
    expect(o.busy).toBeCloseTo(0.5, 10);
    expect(o.idle).toBeCloseTo(0.5, 10);
    expect(o.perSm[0]!.slice(0, 66).every((v) => v === 1)).toBe(true);
    expect(o.perSm[0]!.slice(66).every((v) => v === 0)).toBe(true);
    expect(o.timeline.rows[0]).toMatch(/^0+$/);
    expect(o.timeline.rows[131]).toBe(TIMELINE_IDLE.repeat(o.timeline.bins));
  });

  it('counts overlapping CTAs of one client on one SM once', () => {
    // [0,10) [5,15) [5,6) on SM 0 → held 15 of 20.
    const o = measureOccupancy(
      [
        trace(3, [
          [0, 10, 0],
          [5, 15, 0],
          [5, 6, 0],
        ]),
      ],
      { smCount: 1, windowStartNs: 0, windowEndNs: 20 },
    )!;
    expect(o.clients).toEqual([3]);
    expect(o.share[0]).toBeCloseTo(0.75, 12);
    expect(o.idle).toBeCloseTo(0.25, 12);
  });

  it('lets clients resident at once (MPS) each hold the SM, and counts busy time once', () => {
    const a = trace(0, [[0, 10, 0]]);
    const b = trace(1, [[5, 20, 0]]);
    const o = measureOccupancy([b, a], { smCount: 1, windowStartNs: 0, windowEndNs: 20 })!;
    expect(o.clients).toEqual([0, 1]);
    expect(o.share).toEqual([0.5, 0.75]);
    expect(o.busy).toBe(1);
    expect(o.idle).toBe(0);
  });

  it('clips CTAs to the window and ignores those outside it', () => {
    const o = measureOccupancy(
      [
        trace(0, [
          [-50, 25, 0],
          [90, 150, 0],
          [200, 300, 0],
        ]),
      ],
      { smCount: 1, windowStartNs: 0, windowEndNs: 100 },
    )!;
    expect(o.share[0]).toBeCloseTo(0.35, 12);
  });

  it('keeps a row for SM ids at or above the SM count, shares still over the SM count', () => {
    const o = measureOccupancy(
      [
        trace(0, [
          [0, 10, 0],
          [0, 10, 5],
        ]),
      ],
      { smCount: 2, windowStartNs: 0, windowEndNs: 10 },
    )!;
    expect(o.perSm[0]).toEqual([1, 0, 0, 0, 0, 1]);
    expect(o.timeline.rows).toHaveLength(6);
    expect(o.share[0]).toBe(1);
  });

  it('marks a bin idle when idle is its largest part, and the larger client otherwise', () => {
    // Bins of 10 ns over [0, 30): bin 0 client 0 for 4 (idle 6); bin 1 client 0 for 3, client 1 for 7; bin 2 client 1 for 5, idle 5.
    const traces = [
      trace(0, [
        [0, 4, 0],
        [10, 13, 0],
      ]),
      trace(1, [[13, 25, 0]]),
    ];
    const o = measureOccupancy(traces, { smCount: 1, windowStartNs: 0, windowEndNs: 30, timeline: { maxBins: 3 } })!;
    expect(o.timeline.binNs).toBe(10);
    expect(o.timeline.rows[0]).toBe(`${TIMELINE_IDLE}11`);
  });

  it('takes a sub-window for the timeline, clamped to the window, with a 1-2-5 bin width', () => {
    const traces = alternating(2, 4, 2 * MS, 100 * US, 40 * MS);
    const o = measureOccupancy(traces, { smCount: 4, windowStartNs: 0, windowEndNs: 40 * MS, timeline: { startNs: 3 * MS, lengthNs: 4 * MS, maxBins: 300 } })!;
    expect(o.timeline.startNs).toBe(3 * MS);
    expect(o.timeline.endNs).toBe(7 * MS);
    expect(o.timeline.binNs).toBe(20 * US); // 4 ms / 300 = 13.3 µs → 20 µs
    expect(o.timeline.bins).toBe(200);
    // 3..4 ms client 1, 4..6 ms client 0, 6..7 ms client 1.
    expect(o.timeline.rows[0]).toBe(`${'1'.repeat(50)}${'0'.repeat(100)}${'1'.repeat(50)}`);
    const late = measureOccupancy(traces, { smCount: 4, windowStartNs: 0, windowEndNs: 40 * MS, timeline: { startNs: 39 * MS } })!;
    expect(late.timeline.endNs).toBe(40 * MS);
    expect(late.timeline.bins).toBe(1000);
    expect(late.timeline.binNs).toBe(1 * US);
  });

  it('gives nothing for an empty window or no traces', () => {
    expect(measureOccupancy([trace(0, [[0, 10, 0]])], { smCount: 1, windowStartNs: 5, windowEndNs: 5 })).toBeUndefined();
    expect(measureOccupancy([], { smCount: 1, windowStartNs: 0, windowEndNs: 5 })).toBeUndefined();
  });

  it('handles millions of records with typed arrays', () => {
    // 4 clients × 500k CTAs (10 µs each, 2 ms slices on 132 SMs, 4 resident per SM at once) ≈ 2M records.
    const clients = 4;
    const sms = 132;
    const sliceNs = 2 * MS;
    const traces: OccupancyTrace[] = [];
    let total = 0;
    for (let c = 0; c < clients; c++) {
      const n = 500_000;
      const start = new Float64Array(n);
      const end = new Float64Array(n);
      const sm = new Uint32Array(n);
      let i = 0;
      for (let t0 = c * sliceNs; i < n; t0 += clients * sliceNs) {
        for (let t = t0; t < t0 + sliceNs && i < n; t += 10 * US) {
          for (let s = 0; s < sms && i < n; s++) {
            for (let r = 0; r < 4 && i < n; r++, i++) {
              // Shuffled order within a slice, as CTAs finish out of order on the GPU.
              start[i] = t + r * 1000;
              end[i] = t + 10 * US + r * 1000 - 3000;
              sm[i] = (s * 7 + r) % sms;
            }
          }
        }
      }
      total += n;
      traces.push({ client: c, ctaStart: start, ctaEnd: end, ctaSm: sm });
    }
    const windowEndNs = Math.min(...traces.map((t) => t.ctaEnd.reduce((a, b) => Math.max(a, b), 0)));
    const began = performance.now();
    const o = measureOccupancy(traces, { smCount: sms, windowStartNs: 0, windowEndNs })!;
    const ms = performance.now() - began;
    console.log(`occupancy of ${total.toLocaleString('en-US')} CTA records: ${ms.toFixed(0)} ms`);
    // Near-linear, not quadratic: the bound follows the machine's speed at this moment (fixtures/yardstick.ts).
    expect(ms).toBeLessThan(timeBoundMs(2 * total, 50, 20_000));
    // Each slice's CTAs cover its SMs without a gap: 4 clients in turn → about 25% each.
    for (const s of o.share) expect(s).toBeGreaterThan(0.23);
    expect(o.idle).toBeLessThan(0.05);
  });
});

/** A switch-analysis input for traces (no probe gaps), covered from first start to last end. */
function forSwitches(traces: OccupancyTrace[]): ClientTrace[] {
  return traces.map((t) => ({
    ...t,
    gapStart: new Float64Array(0),
    gapEnd: new Float64Array(0),
    gapSm: new Uint32Array(0),
    coveredFrom: Math.min(...t.ctaStart),
    coveredTo: Math.max(...t.ctaEnd),
  }));
}

/**
 * Time slicing as the GPU does it to a saturating kernel: clients take 2 ms turns with 100 µs between
 * them; in each turn every SM runs 100 µs CTAs back to back, and the CTA running at the end of the turn is
 * preempted: its interval stays open until it finishes 100 µs into the client's next turn.
 */
function preempted(clients: number, sms: number, turns: number): OccupancyTrace[] {
  const period = 2.1 * MS;
  return Array.from({ length: clients }, (_, c) => {
    const records: Array<[number, number, number]> = [];
    for (let k = 0; k < turns; k++) {
      const t0 = (k * clients + c) * period;
      const next = t0 + clients * period;
      for (let sm = 0; sm < sms; sm++) {
        for (let t = t0 + (k === 0 ? 0 : 100 * US); t + 100 * US <= t0 + 1.9 * MS + 1; t += 100 * US) records.push([t, t + 100 * US, sm]);
        records.push([t0 + 1.9 * MS, next + 100 * US, sm]);
      }
    }
    return trace(c, records);
  });
}

describe('phaseOccupancy', () => {
  it('gives each client an SM share summary and the phase an idle summary', () => {
    const traces = alternating(2, 8, 2 * MS, 100 * US, 20 * MS);
    const window = { windowStartNs: 0, windowEndNs: 20 * MS, count: 0, overlapCount: 0, slices: [] };
    const p = phaseOccupancy(traces, window, 16)!;
    expect(pick(p.clients.get(0)!, 'smShare')).toMatchObject({ hint: 'fraction', value: 0.25 });
    expect(pick(p.clients.get(1)!, 'smShare')?.value).toBeCloseTo(0.25, 12);
    expect(pick(p.aggregate, 'occupancy.idle')?.value).toBeCloseTo(0.5, 12);
    expect(phaseOccupancy(traces, { ...window, windowEndNs: 0 }, 16)).toBeUndefined();
  });

  it("under time slicing, counts a preempted CTA only within its own client's turns", () => {
    const traces = preempted(2, 16, 20);
    // Whole CTA intervals: each client seems to hold every SM almost all the time.
    const whole = measureOccupancy(traces, { smCount: 16, windowStartNs: 2.1 * MS, windowEndNs: 80 * MS })!;
    expect(whole.clippedToSlices).toBe(false);
    for (const s of whole.share) expect(s).toBeGreaterThan(0.9);
    // Within its turns: from its first to its last instant of each turn (0.1..1.9 ms of every 4.2 ms).
    const switches = detectSwitches(forSwitches(traces));
    expect(switches.overlapCount).toBe(0);
    expect(tookTurns(switches)).toBe(true);
    const p = phaseOccupancy(traces, switches, 16)!;
    expect(p.occupancy.clippedToSlices).toBe(true);
    // The window runs from client 1's first CTA (2.1 ms) to client 0's last CTA end (84.1 ms): client 0
    // has 19 turns of 1.8 ms in it, client 1 one of 1.9 ms (its first CTA starts its turn) and 19 of 1.8 ms.
    const windowMs = 84.1 - 2.1;
    expect(p.occupancy.share[0]).toBeCloseTo((19 * 1.8) / windowMs, 9);
    expect(p.occupancy.share[1]).toBeCloseTo((1.9 + 19 * 1.8) / windowMs, 9);
    expect(p.occupancy.idle).toBeCloseTo(1 - (1.9 + 38 * 1.8) / windowMs, 9);
    // Told that the clients ran at once, it counts whole CTA intervals; the sharing mode tells the same.
    expect(phaseOccupancy(traces, switches, 16, { turns: false })!.occupancy.share[0]).toBeGreaterThan(0.9);
    expect(phaseOccupancy(traces, switches, 16, { turns: !sharingMode('mps').traits.concurrent })!.occupancy.clippedToSlices).toBe(false);
    expect(phaseOccupancy(traces, switches, 16, { turns: !sharingMode('timeslice').traits.concurrent })!.occupancy.clippedToSlices).toBe(true);
    // A long run's analysis lists only its first slices: the occupancy ends with the last one listed.
    const listed = { ...switches, slices: switches.slices.slice(0, 10) };
    const short = phaseOccupancy(traces, listed, 16)!.occupancy;
    expect(short.windowEndNs).toBe(switches.slices[9]!.endNs);
    expect(short.share[0]).toBeGreaterThan(0.3);
    // Under MIG each client's SM ids are its own instance's: no common SM timeline, so a phase asks for no occupancy.
    expect(sharingMode('mig').traits.sharedSmIds).toBe(false);
    expect(p.occupancy.share[0]! + p.occupancy.share[1]!).toBeLessThanOrEqual(p.occupancy.busy + 1e-12);
    // The timeline (100 µs bins from 2.1 ms) shows each switch as idle: client 1 to 4.0 ms, nobody, client 0 from 4.3 ms.
    expect(p.occupancy.timeline.rows[0]!.slice(0, 44)).toBe(`${'1'.repeat(19)}...${'0'.repeat(18)}...1`);
  });

  it('when the clients ran concurrently (interleaved instants), counts whole CTA intervals', () => {
    // Both clients' 100 µs CTAs on every SM at once, each SM a few µs after the previous, the second
    // client 50 µs after the first (as under MPS): their instants interleave within microseconds.
    const records = (offset: number) => {
      const out: Array<[number, number, number]> = [];
      for (let sm = 0; sm < 16; sm++) {
        for (let t = offset + sm * 6 * US; t + 100 * US <= 20 * MS; t += 100 * US) out.push([t, t + 100 * US, sm]);
      }
      return out;
    };
    const traces = [trace(0, records(0)), trace(1, records(50 * US))];
    const switches = detectSwitches(forSwitches(traces));
    expect(switches.kind).toBe('concurrent');
    expect(tookTurns(switches)).toBe(false);
    // The same verdict from the slices alone, where an analysis gives no kind.
    const { kind: _kind, ...withoutKind } = detectSwitches(forSwitches(traces.map((t) => ({ ...t }))));
    expect(tookTurns({ ...withoutKind, count: 10, overlapCount: 0, slice: { p50: 20e3 } })).toBe(false);
    const p = phaseOccupancy(traces, switches, 16)!;
    expect(p.occupancy.clippedToSlices).toBe(false);
    for (const s of p.occupancy.share) expect(s).toBeCloseTo(0.995, 2);
    expect(p.occupancy.busy).toBeCloseTo(1, 2);
  });

  it('nice bin widths are 1, 2 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.5, 3, 7, 11, 99, 101, 13_333, 250_001].map(niceBinWidth)).toEqual([1, 1, 2, 5, 10, 20, 100, 200, 20_000, 500_000]);
  });
});

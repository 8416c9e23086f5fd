// Placing times from one clock on another with two simultaneous readings (at start and at stop):
// CUPTI's clock, %globaltimer and the host's CLOCK_MONOTONIC. Between the readings the mapping is
// linear, which absorbs a constant rate difference (drift) as well as the offset.
import type { ClockTriple } from '../binding/contract.js';
import type { ClockDomain, ClockReadingJson } from './schema.js';

export function clockJson(c: ClockTriple): ClockReadingJson {
  const out: ClockReadingJson = { hostNs: c.hostNs.toString(), uncertaintyNs: c.uncertaintyNs };
  if (c.gpuNs !== undefined) out.gpuNs = c.gpuNs.toString();
  if (c.cuptiNs !== undefined) out.cuptiNs = c.cuptiNs.toString();
  return out;
}

/** Rate of clock B per unit of clock A between two readings; 1 when the span is empty or unknown. */
export function slope(aStart: bigint | undefined, aEnd: bigint | undefined, bStart: bigint | undefined, bEnd: bigint | undefined): number {
  if (aStart === undefined || aEnd === undefined || bStart === undefined || bEnd === undefined) return 1;
  const da = Number(aEnd - aStart);
  const db = Number(bEnd - bStart);
  if (!(da > 0) || !(db > 0)) return 1;
  return db / da;
}

/** Which clock a timestamp belongs to, judged by the readings taken around it (±10 s). */
export function clockDomain(t: bigint, start: ClockTriple, end: ClockTriple | undefined): ClockDomain {
  const near = (a: bigint | undefined, b: bigint | undefined) => a !== undefined && t >= a - 10_000_000_000n && t <= (b ?? a) + 10_000_000_000n;
  if (near(start.gpuNs, end?.gpuNs)) return 'globaltimer';
  if (near(start.cuptiNs, end?.cuptiNs)) return 'cupti';
  if (near(start.hostNs, end?.hostNs)) return 'host';
  return 'unknown';
}

// Decoding the clients' binary trace files (16-byte Interval records: u64 start on %globaltimer,
// u32 duration, u32 SM id) into float64 nanoseconds relative to a common epoch.
import { readFile } from 'node:fs/promises';

export interface Intervals {
  start: Float64Array;
  end: Float64Array;
  sm: Uint32Array;
}

const TWO_32 = 2 ** 32;

/** Splits a 64-bit time into two 32-bit halves so records decode without BigInt per element. */
function halves(value: bigint): [number, number] {
  return [Number(value >> 32n), Number(value & 0xffffffffn)];
}

/** Decodes records from a buffer; times are relative to `epochNs` (must not exceed any record's start). */
export function decodeIntervals(bytes: Uint8Array, epochNs: bigint): Intervals {
  const count = Math.floor(bytes.byteLength / 16);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, count * 4);
  const [epochHi, epochLo] = halves(epochNs);
  const out: Intervals = { start: new Float64Array(count), end: new Float64Array(count), sm: new Uint32Array(count) };
  for (let i = 0; i < count; i++) {
    const lo = words[4 * i]!;
    const hi = words[4 * i + 1]!;
    const start = (hi - epochHi) * TWO_32 + (lo - epochLo);
    out.start[i] = start;
    out.end[i] = start + words[4 * i + 2]!;
    out.sm[i] = words[4 * i + 3]!;
  }
  return out;
}

export async function readIntervals(file: string, epochNs: bigint): Promise<Intervals> {
  return decodeIntervals(await readFile(file), epochNs);
}

/** Encodes intervals (absolute nanoseconds) into the binary record format; for tests and tools. */
export function encodeIntervals(records: Array<{ startNs: bigint; durationNs: number; sm: number }>): Uint8Array {
  const bytes = new Uint8Array(records.length * 16);
  const view = new DataView(bytes.buffer);
  records.forEach((r, i) => {
    view.setBigUint64(16 * i, r.startNs, true);
    view.setUint32(16 * i + 8, Math.min(r.durationNs, 0xffffffff), true);
    view.setUint32(16 * i + 12, r.sm, true);
  });
  return bytes;
}

// The CTA traces a run keeps beside its result (`run --keep-traces --json FILE`), for `export --perfetto`.
// A result holds the figures made from the traces, not the traces: millions of 16-byte records per
// client would make every result tens of MB. Kept, they go to one gzipped sidecar file next to the
// result (run.json → run.traces.gz):
//
//   a header line: JSON {"schema":"gpushare-micro/traces","version":1,"resultCreatedAt":...,
//                        "epochGpuNs":"<%globaltimer ns>","clients":[{"client":0,"role":"gemm","ctas":N,"gaps":M},...]}\n
//   then, client after client in the header's order, N CTA records and M probe-gap records,
//   each 16 bytes little-endian: u64 start (ns after epochGpuNs), u32 duration (ns), u32 SM id.
//
// The records are the clients' own trace records (src/metrics/traces.ts) with their start made relative
// to the phase's epoch, the one the result's switches and occupancy are measured from.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { OutputError, systemReason } from '../errors.js';
import type { ClientTrace } from '../metrics/switches.js';
import { decodeIntervals, type Intervals } from '../metrics/traces.js';
import type { PhaseTraces } from '../phase.js';
import { checkFile } from './check.js';

export const TRACES_SCHEMA = 'gpushare-micro/traces';
export const TRACES_VERSION = 1;
const RECORD_BYTES = 16;
/** Records per chunk written (16 MiB). */
const CHUNK_RECORDS = 1 << 20;

const headerSchema = z.object({
  schema: z.literal(TRACES_SCHEMA),
  version: z.literal(TRACES_VERSION),
  /** The createdAt of the result the traces belong to: export checks that the two go together. */
  resultCreatedAt: z.string(),
  epochGpuNs: z.string().regex(/^\d+$/),
  clients: z.array(
    z.object({ client: z.number().int().nonnegative(), role: z.string(), ctas: z.number().int().nonnegative(), gaps: z.number().int().nonnegative() }),
  ),
});
export type TracesHeader = z.infer<typeof headerSchema>;

/** A kept trace: one client's CTAs and probe gaps, ns after the header's epoch. */
export interface KeptClientTrace {
  client: number;
  role: string;
  ctas: Intervals;
  gaps: Intervals;
}

/** A traces file that cannot be read; its message is one line naming the file. CLI exit code 2. */
export class TracesFileError extends Error {
  readonly code = 'ERR_TRACES_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'TracesFileError';
  }
}

/**
 * Of the shared phases' traces handed over in turn (run's onTraces), those of the phase the result holds:
 * with --runs every run's shared phase hands its own, and the result holds the median run's phases
 * (repeats.recorded). Found by the trace epoch the result records where that is unique, else by the run's
 * place; undefined when neither tells (a run that handed none).
 */
export function tracesOfResult(
  result: { shared: { traceEpochGpuNs?: string | undefined }; repeats?: { runs: number; recorded: number } | undefined },
  handed: readonly PhaseTraces[],
): PhaseTraces | undefined {
  const epoch = result.shared.traceEpochGpuNs;
  const same = epoch === undefined ? [] : handed.filter((t) => t.epochGpuNs.toString() === epoch);
  if (same.length === 1) return same[0];
  if (!result.repeats) return handed.length === 1 ? handed[0] : undefined;
  return handed.length === result.repeats.runs ? handed[result.repeats.recorded] : undefined;
}

/** Where a result's traces are kept: run.json (or run.json.gz) → run.traces.gz beside it. */
export function tracesFileFor(resultFile: string): string {
  const name = basename(resultFile).replace(/\.json(\.gz)?$/, '');
  return join(dirname(resultFile), `${name}.traces.gz`);
}

/** Intervals (start ns ≥ 0, end ≥ start, SM id) as 16-byte records, `from` to `to`. */
function encode(start: Float64Array, end: Float64Array, sm: Uint32Array, from: number, to: number): Uint8Array {
  const words = new Uint32Array((to - from) * 4);
  for (let i = from; i < to; i++) {
    const s = Math.max(0, Math.round(start[i]!));
    const k = 4 * (i - from);
    words[k] = s % 2 ** 32;
    words[k + 1] = Math.floor(s / 2 ** 32);
    words[k + 2] = Math.min(0xffffffff, Math.max(0, Math.round(end[i]! - start[i]!)));
    words[k + 3] = sm[i]!;
  }
  return new Uint8Array(words.buffer);
}

/** The header line and every record, in chunks. */
function* chunks(header: TracesHeader, clients: readonly ClientTrace[]): Generator<Uint8Array> {
  yield Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  for (const t of clients) {
    for (const [start, end, sm] of [
      [t.ctaStart, t.ctaEnd, t.ctaSm],
      [t.gapStart, t.gapEnd, t.gapSm],
    ] as const) {
      for (let from = 0; from < start.length; from += CHUNK_RECORDS) yield encode(start, end, sm, from, Math.min(start.length, from + CHUNK_RECORDS));
    }
  }
}

/** Writes the shared phase's traces next to its result (gzipped, atomically); `roles` by client index. */
export async function writeTracesFile(file: string, traces: PhaseTraces, result: { createdAt: string; roles: ReadonlyMap<number, string> }): Promise<void> {
  const header: TracesHeader = {
    schema: TRACES_SCHEMA,
    version: TRACES_VERSION,
    resultCreatedAt: result.createdAt,
    epochGpuNs: traces.epochGpuNs.toString(),
    clients: traces.clients.map((t) => ({ client: t.client, role: result.roles.get(t.client) ?? 'client', ctas: t.ctaStart.length, gaps: t.gapStart.length })),
  };
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(Readable.from(chunks(header, traces.clients)), createGzip(), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new OutputError(file, systemReason(error), { cause: error });
  }
}

/** Reads a traces file: its header and each client's CTAs and gaps (ns after the header's epoch). */
export async function readTracesFile(file: string): Promise<{ header: TracesHeader; clients: KeptClientTrace[] }> {
  const parts: Buffer[] = [];
  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TracesFileError(`cannot read ${file}: ${code === 'Z_DATA_ERROR' ? 'not gzip data' : (code ?? (error as Error).message)}`);
  }
  const bytes = Buffer.concat(parts);
  const newline = bytes.indexOf(10);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8', 0, newline < 0 ? Math.min(bytes.length, 1 << 20) : newline));
  } catch {
    throw new TracesFileError(`${file} is not a ${TRACES_SCHEMA} file: its first line is not JSON`);
  }
  const parsed = checkFile(headerSchema, value);
  if (!parsed.success) throw new TracesFileError(`${file} is not a ${TRACES_SCHEMA} v${TRACES_VERSION} file: ${parsed.problem}`);
  const header = parsed.data;
  const records = header.clients.reduce((n, c) => n + c.ctas + c.gaps, 0);
  // A copy: the records start at an offset of the header's length, and are read as 32-bit words.
  const body = new Uint8Array(bytes.subarray(newline + 1));
  if (body.length !== records * RECORD_BYTES) {
    throw new TracesFileError(`${file} is cut short or damaged: its header lists ${records} records, it holds ${Math.floor(body.length / RECORD_BYTES)}`);
  }
  let at = 0;
  const take = (n: number) => {
    const out = decodeIntervals(body.subarray(at, at + n * RECORD_BYTES), 0n);
    at += n * RECORD_BYTES;
    return out;
  };
  const clients = header.clients.map((c) => ({ client: c.client, role: c.role, ctas: take(c.ctas), gaps: take(c.gaps) }));
  return { header, clients };
}

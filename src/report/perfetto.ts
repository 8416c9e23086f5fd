// A run as a Chrome/Perfetto trace (`gpushare-micro export --perfetto FILE RESULT`), written in the
// Trace Event Format's JSON object form ({"traceEvents": [...]}), which ui.perfetto.dev and
// chrome://tracing open. Times are µs ("ts", "dur"; fractions keep the ns) after the shared phase's
// trace epoch (the earliest client's %globaltimer reading), the clock the result's switches are on.
//
// Tracks:
//   "GPU" process: one thread of complete events ("X"), one per context switch gap of the switch
//     analysis (from client A's last activity to client B's first).
//   one process per client ("client 0 (gemm)"):
//     "time slices": the client's slices from the switch analysis;
//     "kernels (CUPTI)": each kernel CUPTI recorded (--cupti), named, with its grid and block;
//     "SM n": each CTA the client ran on SM n, from the kept CTA traces (run --keep-traces). CTAs of one
//     client that were resident on one SM at once would overlap on one thread, which the viewers draw
//     as nesting: each such CTA goes to the next thread of that SM ("SM n · 2", ...);
//     "SM n · probe gaps": the probe's own gaps (it was switched out), where it ran.
// Complete events of one thread never overlap, and each thread's events are written in time order.
import type { Intervals } from '../metrics/traces.js';
import { openAtomicStream } from './json.js';
import type { RunResultJson } from './schema.js';
import type { KeptClientTrace } from './traces-file.js';

/** CTA spans written at most by default: past it, the earliest ones (a trace of ~1 million spans is ~80 MB and opens in the browser). */
export const DEFAULT_MAX_CTAS = 1_000_000;

/** One Trace Event Format event (the fields this export uses). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

export interface PerfettoInput {
  result: RunResultJson;
  /** The kept CTA traces, when the run kept them. */
  traces?: { epochGpuNs: bigint; clients: KeptClientTrace[] };
  maxCtas?: number;
}

/** What the export wrote, for the line the CLI prints. */
export interface PerfettoCounts {
  ctas: number;
  ctasWritten: number;
  /** Where CTAs were cut (ns after the epoch): none starting later were written. */
  ctasCutAtNs?: number;
  probeGaps: number;
  kernels: number;
  /** Kernels were placed on their own clock (a result without its trace epoch): not aligned with the rest. */
  kernelsUnaligned: boolean;
  switchGaps: number;
  slices: number;
}

const clientName = (client: number) => `client ${client}`;
const GPU_PID = 1;
const clientPid = (client: number) => 2 + client;
const TID_SWITCHES = 1;
const TID_SLICES = 1;
const TID_KERNELS = 2;
/** Thread ids of SM tracks: lane L of SM s is LANE_STRIDE * L + SM_TID_BASE + s; probe gaps have their own base. */
const SM_TID_BASE = 1000;
const GAP_TID_BASE = 500_000;
const LANE_STRIDE = 1_000_000;

/** ns → µs with the ns kept (3 decimals). */
const us = (ns: number) => Math.round(ns) / 1000;
/** A span's ts and dur, both from the rounded ends: a span that ends when the next begins never overlaps it once rounded. */
const span = (startNs: number, endNs: number) => ({ ts: us(startNs), dur: (Math.round(endNs) - Math.round(startNs)) / 1000 });

function meta(pid: number, tid: number, name: 'process_name' | 'process_sort_index' | 'thread_name' | 'thread_sort_index', value: string | number): TraceEvent {
  return { name, ph: 'M', pid, tid, args: typeof value === 'string' ? { name: value } : { sort_index: value } };
}

/**
 * Spans in time order, each given the first lane (thread) whose previous span has ended: spans of one
 * lane never overlap. Returns the indices in time order and each one's lane.
 */
export function assignLanes(start: ArrayLike<number>, end: ArrayLike<number>, indices: number[]): { order: number[]; lane: Map<number, number> } {
  const order = [...indices].sort((a, b) => start[a]! - start[b]! || end[a]! - end[b]!);
  const laneEnds: number[] = [];
  const lane = new Map<number, number>();
  for (const i of order) {
    let l = laneEnds.findIndex((e) => e <= start[i]!);
    if (l < 0) {
      l = laneEnds.length;
      laneEnds.push(0);
    }
    laneEnds[l] = end[i]!;
    lane.set(i, l);
  }
  return { order, lane };
}

/** The start below which at most `max` of all clients' CTAs start (Infinity when all fit). */
function ctaCut(clients: readonly KeptClientTrace[], max: number): number {
  const total = clients.reduce((n, c) => n + c.ctas.start.length, 0);
  if (total <= max) return Infinity;
  const starts = new Float64Array(total);
  let at = 0;
  for (const c of clients) {
    starts.set(c.ctas.start, at);
    at += c.ctas.start.length;
  }
  starts.sort();
  return starts[max]!;
}

/** A client's spans of one kind (CTAs or probe gaps) on SM threads: events in time order per thread, and the threads' names. */
function smEvents(pid: number, iv: Intervals, cut: number, kind: 'cta' | 'gap'): { events: TraceEvent[]; threads: TraceEvent[] } {
  const bySm = new Map<number, number[]>();
  for (let i = 0; i < iv.start.length; i++) {
    if (!(iv.start[i]! < cut)) continue;
    const list = bySm.get(iv.sm[i]!);
    if (list) list.push(i);
    else bySm.set(iv.sm[i]!, [i]);
  }
  const events: TraceEvent[] = [];
  const threads: TraceEvent[] = [];
  const base = kind === 'cta' ? SM_TID_BASE : GAP_TID_BASE;
  for (const sm of [...bySm.keys()].sort((a, b) => a - b)) {
    const { order, lane } = assignLanes(iv.start, iv.end, bySm.get(sm)!);
    let lanes = 0;
    for (const i of order) {
      const l = lane.get(i)!;
      lanes = Math.max(lanes, l + 1);
      const tid = LANE_STRIDE * l + base + sm;
      events.push({ name: kind === 'cta' ? 'CTA' : 'probe gap (switched out)', cat: kind, ph: 'X', pid, tid, ...span(iv.start[i]!, iv.end[i]!) });
    }
    for (let l = 0; l < lanes; l++) {
      const tid = LANE_STRIDE * l + base + sm;
      const name = `SM ${sm}${kind === 'gap' ? ' · probe gaps' : ''}${l > 0 ? ` · ${l + 1}` : ''}`;
      threads.push(meta(pid, tid, 'thread_name', name), meta(pid, tid, 'thread_sort_index', 10 + sm * 128 + (kind === 'gap' ? 64 : 0) + l));
    }
  }
  return { events, threads };
}

type ClientReport = RunResultJson['shared']['clients'][number];

/** A client's CUPTI kernels on the trace clock (ns after the epoch), or on their own (after the earliest kernel) without one. */
function kernelEvents(c: ClientReport, pid: number, epoch: bigint | undefined, firstKernelNs: bigint | undefined): TraceEvent[] {
  const k = c.kernelActivity;
  const list = k?.kernels;
  if (!k?.available || !list || list.startNs.length === 0 || k.gpuEpochNs === undefined || k.gpuPerHostNs === undefined) return [];
  const zero = epoch ?? firstKernelNs ?? 0n;
  const offset = Number(BigInt(k.gpuEpochNs) - zero);
  const rate = k.gpuPerHostNs;
  const start = list.startNs.map((s) => offset + s * rate);
  const end = list.endNs.map((e) => offset + e * rate);
  const { order, lane } = assignLanes(
    start,
    end,
    start.map((_, i) => i),
  );
  return order.map((i) => ({
    name: k.names?.[list.nameIndex[i]!] ?? 'kernel',
    cat: 'kernel',
    ph: 'X' as const,
    pid,
    tid: TID_KERNELS + LANE_STRIDE * lane.get(i)!,
    ...span(start[i]!, end[i]!),
    args: {
      grid: list.grid.slice(3 * i, 3 * i + 3),
      block: list.block.slice(3 * i, 3 * i + 3),
      stream: list.streamId[i],
      correlationId: list.correlationId[i],
    },
  }));
}

/** The earliest kernel start of any client on the GPU clock (for results without a trace epoch). */
function firstKernel(result: RunResultJson): bigint | undefined {
  let first: bigint | undefined;
  for (const c of result.shared.clients) {
    const k = c.kernelActivity;
    if (!k?.available || !k.kernels || k.kernels.startNs.length === 0 || k.gpuEpochNs === undefined || k.gpuPerHostNs === undefined) continue;
    const earliest = k.kernels.startNs.reduce((a, b) => Math.min(a, b), Infinity);
    const t = BigInt(k.gpuEpochNs) + BigInt(Math.round(earliest * k.gpuPerHostNs));
    if (first === undefined || t < first) first = t;
  }
  return first;
}

/** Every event of the trace: metadata first, then each track's events in time order; and what was written. */
export function perfettoEvents(input: PerfettoInput): { events: TraceEvent[]; counts: PerfettoCounts } {
  const { result, traces } = input;
  const epoch = traces?.epochGpuNs ?? (result.shared.traceEpochGpuNs !== undefined ? BigInt(result.shared.traceEpochGpuNs) : undefined);
  const cut = traces ? ctaCut(traces.clients, input.maxCtas ?? DEFAULT_MAX_CTAS) : Infinity;
  const s = result.shared.switches;
  const events: TraceEvent[] = [
    meta(GPU_PID, 0, 'process_name', `GPU: ${result.environment.gpu.name}`),
    meta(GPU_PID, 0, 'process_sort_index', 0),
    meta(GPU_PID, TID_SWITCHES, 'thread_name', 'context switch gaps'),
  ];
  const gaps = [...s.switches].sort((a, b) => a.atNs - b.atNs);
  for (const g of gaps) {
    events.push({
      name: `switch ${clientName(g.from)} → ${clientName(g.to)}`,
      cat: 'switch',
      ph: 'X',
      pid: GPU_PID,
      tid: TID_SWITCHES,
      ...span(g.atNs, g.atNs + g.gapNs),
      args: { from: g.from, to: g.to, gapUs: us(g.gapNs) },
    });
  }
  const counts: PerfettoCounts = {
    ctas: 0,
    ctasWritten: 0,
    probeGaps: 0,
    kernels: 0,
    kernelsUnaligned: epoch === undefined,
    switchGaps: gaps.length,
    slices: 0,
  };
  const first = epoch === undefined ? firstKernel(result) : undefined;
  for (const c of result.shared.clients) {
    const pid = clientPid(c.client);
    events.push(meta(pid, 0, 'process_name', `${clientName(c.client)} (${c.role ?? 'client'})`), meta(pid, 0, 'process_sort_index', 1 + c.client));
    const slices = s.slices.filter((x) => x.client === c.client).sort((a, b) => a.startNs - b.startNs);
    if (slices.length > 0) events.push(meta(pid, TID_SLICES, 'thread_name', 'time slices'), meta(pid, TID_SLICES, 'thread_sort_index', 0));
    for (const x of slices) events.push({ name: 'time slice', cat: 'slice', ph: 'X', pid, tid: TID_SLICES, ...span(x.startNs, x.endNs) });
    counts.slices += slices.length;
    const kernels = kernelEvents(c, pid, epoch, first);
    const kernelLanes = new Set(kernels.map((e) => e.tid));
    for (const tid of [...kernelLanes].sort((a, b) => a - b)) {
      const l = Math.floor(tid / LANE_STRIDE);
      events.push(meta(pid, tid, 'thread_name', `kernels (CUPTI)${l > 0 ? ` · ${l + 1}` : ''}`), meta(pid, tid, 'thread_sort_index', 1 + l));
    }
    append(events, kernels);
    counts.kernels += kernels.length;
    const kept = traces?.clients.find((t) => t.client === c.client);
    if (!kept) continue;
    counts.ctas += kept.ctas.start.length;
    for (const [kind, iv] of [
      ['cta', kept.ctas],
      ['gap', kept.gaps],
    ] as const) {
      const { events: spans, threads } = smEvents(pid, iv, kind === 'cta' ? cut : Infinity, kind);
      append(events, threads);
      append(events, spans);
      if (kind === 'cta') counts.ctasWritten += spans.length;
      else counts.probeGaps += spans.length;
    }
  }
  if (Number.isFinite(cut)) counts.ctasCutAtNs = cut;
  return { events, counts };
}

/** Appends `list` to `to` one by one: push(...list) passes every element as an argument and overflows
 * the stack at a few hundred thousand (a run's CUPTI kernels or CTA spans). */
function append<T>(to: T[], list: readonly T[]): void {
  for (const x of list) to.push(x);
}

/** Writes the trace to `file` (atomically, through openAtomicStream; gzipped where the name ends in .gz), events in chunks. */
export async function writePerfetto(file: string, input: PerfettoInput): Promise<PerfettoCounts> {
  const { events, counts } = perfettoEvents(input);
  const otherData = {
    tool: `gpushare-micro ${input.result.environment.tool.version}`,
    result: input.result.createdAt,
    mode: input.result.mode,
    gpu: input.result.environment.gpu.name,
    clock: "µs after the shared phase's trace epoch (%globaltimer)",
    ...(counts.ctasCutAtNs !== undefined ? { ctasCut: `CTAs starting at or after ${us(counts.ctasCutAtNs)} µs left out (--max-ctas)` } : {}),
  };
  const out = openAtomicStream(file);
  try {
    out.write(`{"displayTimeUnit":"ns","otherData":${JSON.stringify(otherData)},"traceEvents":[\n`);
    const CHUNK = 20_000;
    for (let i = 0; i < events.length; i += CHUNK) {
      const part = events.slice(i, i + CHUNK).map((e) => JSON.stringify(e));
      out.write(`${i > 0 ? ',\n' : ''}${part.join(',\n')}`);
    }
    out.write('\n]}\n');
  } catch (error) {
    await out.abort();
    throw error;
  }
  await out.commit();
  return counts;
}

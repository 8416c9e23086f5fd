// `gpushare-micro bench`: each workload's own kernel beside its library counterpart, measured in
// one process, one after the other, with the two ceilings that bound them measured in the same run:
// the device-to-device copy bandwidth and the library's matrix rate. For each entry: median GPU
// time, the rate (TFLOP/s or GB/s), own over library, and the floors set by arithmetic (operations
// over the matrix rate) and by memory traffic (bytes over the bandwidth).
import type { NativeBinding, WorkloadSpec } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { captureEnvironment, readClocks, type Environment } from '../environment.js';
import { maxOf } from '../metrics/stats.js';
import { summary, type Summary } from '../metrics/summary.js';
import { measureTraceCost, measureWorkload, type Measurement, type TraceCost } from './measure.js';
import type { BenchConfig, BenchEntry } from './options.js';

export const BENCH_SCHEMA = 'gpushare-micro.bench';
export const BENCH_SCHEMA_VERSION = 1;

/** The matrix product that sets a dtype's arithmetic ceiling, and the copy that sets the bandwidth. */
export const CEILING_GEMM_SIZE = 8192;
export const CEILING_COPY_MIB = 1024;
const CEILING_LAUNCHES = 20;
/** Traced/plain launch pairs at least, for the trace's cost (its medians must resolve well under 1%). */
const TRACE_COST_PAIRS = 100;

export interface BenchRow {
  /** The entry's name (preset name). */
  entry: string;
  /** own, or the library's impl name. */
  impl: string;
  /** "own" or the library's label, e.g. cuBLASLt. */
  label: string;
  measurement: Measurement;
  /** Own kernels: the CTA trace's cost, traced and plain launches interleaved on one instance. */
  traceCost?: TraceCost;
  summaries: Summary[];
}

export interface Ceiling {
  what: string;
  spec: WorkloadSpec;
  measurement: Measurement;
  /** Bytes per second (bandwidth) or floating-point operations per second (matrix rate). */
  rate?: number;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  schemaVersion: typeof BENCH_SCHEMA_VERSION;
  command: string[];
  config: BenchConfig;
  environment: Environment;
  ceilings: { bandwidth: Ceiling; matrix: Record<string, Ceiling> };
  entries: BenchEntry[];
  rows: BenchRow[];
  startedAt: string;
  finishedAt: string;
}

export type BenchProgress =
  | { type: 'ceiling'; what: string }
  | { type: 'measure'; entry: string; label: string }
  | { type: 'done'; entry: string; label: string; measurement: Measurement };

export interface BenchControls {
  command?: string[];
  onProgress?: (event: BenchProgress) => void;
  signal?: AbortSignal;
}

function spec(entry: Pick<BenchEntry, 'kernel' | 'dtype' | 'shape'>, impl: string, seed: number): WorkloadSpec {
  return { kernel: entry.kernel, impl, dtype: entry.dtype, shape: [...entry.shape], seed };
}

/** The dtype whose matrix rate bounds an entry's arithmetic (gemm: its own; conv, attention: bf16). */
export function matrixDtype(entry: BenchEntry): string | undefined {
  if (entry.metric !== 'flops') return undefined;
  return entry.kernel === 'gemm' ? entry.dtype : 'bf16';
}

/** Tagged summaries of one row, given the ceilings and (for the own row) the library's measurement. */
export function rowSummaries(entry: BenchEntry, m: Measurement, bandwidth: number | undefined, matrixRate: number | undefined, library?: Measurement, traceCost?: TraceCost): Summary[] {
  if (m.status !== 'ok' || !m.time) return [];
  const t = m.time.p50;
  const out: Summary[] = [summary('time.p50', 'GPU time p50', 'duration', t)];
  out.push(summary('time.spread', 'p10–p90 spread', 'fraction', (m.time.p90 - m.time.p10) / t));
  const flops = m.flopsPerLaunch ?? 0;
  const bytes = m.bytesPerLaunch ?? 0;
  if (entry.metric === 'flops' && flops > 0) out.push(summary('rate', 'rate', 'rate', flops / t / 1e3, 'TFLOP/s'));
  if (entry.metric === 'bytes' && bytes > 0) out.push(summary('rate', 'rate', 'rate', bytes / t, 'GB/s'));
  if (library?.status === 'ok' && library.time) out.push(summary('vs.library', 'own / library', 'ratio', library.time.p50 / t));
  const floors: number[] = [];
  if (flops > 0 && matrixRate) {
    const floor = (flops / matrixRate) * 1e9;
    floors.push(floor);
    out.push(summary('floor.compute', 'arithmetic floor', 'duration', floor));
  }
  if (bytes > 0 && bandwidth) {
    const floor = (bytes / bandwidth) * 1e9;
    floors.push(floor);
    out.push(summary('floor.memory', 'memory floor', 'duration', floor));
  }
  if (floors.length > 0) out.push(summary('vs.floor', 'time / larger floor', 'ratio', t / maxOf(floors)));
  if (traceCost) out.push(summary('trace.cost', 'CTA trace cost', 'fraction', traceCost.cost));
  return out;
}

function rateOf(m: Measurement, per: 'flops' | 'bytes'): number | undefined {
  if (m.status !== 'ok' || !m.time) return undefined;
  const amount = per === 'flops' ? m.flopsPerLaunch : m.bytesPerLaunch;
  return amount ? amount / (m.time.p50 / 1e9) : undefined;
}

export async function bench(config: BenchConfig, controls: BenchControls = {}, binding: NativeBinding = loadBinding()): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const environment = await captureEnvironment(binding, config.device);
  const options = { device: config.device, launches: config.launches, warmupNs: config.warmupNs };
  const ceilingOptions = { ...options, launches: Math.min(config.launches, CEILING_LAUNCHES) };
  const progress = controls.onProgress ?? (() => {});

  // Ceilings first: the copy bandwidth, and the library's matrix rate for each dtype in use.
  progress({ type: 'ceiling', what: 'bandwidth' });
  const copySpec: WorkloadSpec = { kernel: 'memcpy', impl: 'cudart', dtype: 'none', shape: [CEILING_COPY_MIB], seed: config.seed };
  const copy = await measureWorkload(binding, copySpec, ceilingOptions);
  const bandwidth: Ceiling = { what: `device-to-device cudaMemcpy of ${CEILING_COPY_MIB} MiB (bytes read + written)`, spec: copySpec, measurement: copy };
  const bw = rateOf(copy, 'bytes');
  if (bw) bandwidth.rate = bw;
  const matrix: Record<string, Ceiling> = {};
  for (const dtype of new Set(config.entries.map(matrixDtype).filter((d): d is string => d !== undefined))) {
    if (controls.signal?.aborted) break;
    progress({ type: 'ceiling', what: `${dtype} matrix rate` });
    const n = CEILING_GEMM_SIZE;
    const s = spec({ kernel: 'gemm', dtype, shape: [n, n, n] }, 'cublas', config.seed);
    const m = await measureWorkload(binding, s, ceilingOptions);
    matrix[dtype] = { what: `cuBLASLt ${dtype} gemm ${n}³`, spec: s, measurement: m };
    const rate = rateOf(m, 'flops');
    if (rate) matrix[dtype]!.rate = rate;
  }

  const rows: BenchRow[] = [];
  for (const entry of config.entries) {
    if (controls.signal?.aborted) break;
    const impls = [{ impl: 'own', label: 'own' }, ...(entry.library ? [entry.library] : [])];
    const measured: Measurement[] = [];
    let traceCost: TraceCost | undefined;
    for (const { impl, label } of impls) {
      progress({ type: 'measure', entry: entry.name, label });
      const s = spec(entry, impl, config.seed);
      const m = await measureWorkload(binding, s, options);
      progress({ type: 'done', entry: entry.name, label, measurement: m });
      measured.push(m);
      if (impl === 'own' && m.status === 'ok' && m.ctasPerLaunch) {
        traceCost = await measureTraceCost(binding, s, m.ctasPerLaunch, Math.max(config.launches, TRACE_COST_PAIRS), options);
      }
    }
    const dtype = matrixDtype(entry);
    const matrixRate = dtype ? matrix[dtype]?.rate : undefined;
    impls.forEach(({ impl, label }, i) => {
      const library = i === 0 && measured.length > 1 ? measured[1] : undefined;
      const row: BenchRow = { entry: entry.name, impl, label, measurement: measured[i]!, summaries: [] };
      if (i === 0 && traceCost) row.traceCost = traceCost;
      row.summaries = rowSummaries(entry, measured[i]!, bandwidth.rate, matrixRate, library, row.traceCost);
      rows.push(row);
    });
  }
  environment.clocksEnd = await readClocks(binding, environment.gpu.uuid);
  return {
    schema: BENCH_SCHEMA,
    schemaVersion: BENCH_SCHEMA_VERSION,
    command: controls.command ?? [],
    config,
    environment,
    ceilings: { bandwidth, matrix },
    entries: config.entries,
    rows,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

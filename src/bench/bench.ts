// `gpushare-micro bench`: each workload's own kernel beside its library counterpart, measured in
// one process, one after the other, with the two ceilings that bound them measured in the same run:
// the device-to-device copy bandwidth and the library's matrix rate. For each entry: median GPU
// time, the rate (TFLOP/s or GB/s), own over library, and the floors set by arithmetic (operations
// over the matrix rate) and by memory traffic (bytes over the bandwidth). With --variants, the own
// kernel's tuning variants (a tile shape, gemm's path) are measured beside its default.
import type { NativeBinding, WorkloadSpec } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { captureEnvironment, readClocks, type Environment } from '../environment.js';
import { samplesForPercentile } from '../metrics/evidence.js';
import { maxOf } from '../metrics/stats.js';
import { summary, type Summary } from '../metrics/summary.js';
import { measureTraceCost, measureWorkload, type Measurement, type TraceCost } from './measure.js';
import type { BenchConfig, BenchEntry } from './options.js';
import type { KernelVariant } from './presets.js';

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
  /** "own", "own v5" (a variant), or the library's label, e.g. cuBLASLt. */
  label: string;
  /** The own kernel's variant this row ran (KERNEL_VARIANTS), if not its default. */
  variant?: string;
  measurement: Measurement;
  /** Own kernels: the CTA trace's cost, traced and plain launches interleaved on one instance. */
  traceCost?: TraceCost;
  /** Why the trace's cost could not be measured, in one line. */
  traceCostProblem?: string;
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
export function rowSummaries(
  entry: BenchEntry,
  m: Measurement,
  bandwidth: number | undefined,
  matrixRate: number | undefined,
  library?: Measurement,
  traceCost?: TraceCost,
): Summary[] {
  if (m.status !== 'ok' || !m.time) return [];
  const t = m.time.p50;
  const out: Summary[] = [summary('time.p50', 'GPU time p50', 'duration', t)];
  // A p10 and a p90 need 10 launches (src/metrics/evidence.ts); with fewer, no spread is printed.
  if (m.time.count >= samplesForPercentile(0.9)) out.push(summary('time.spread', 'p10–p90 spread', 'fraction', (m.time.p90 - m.time.p10) / t));
  // A model workload's step: its model FLOPs as the registry counts them where the native side gives none.
  const flops = m.flopsPerLaunch || entry.flopsPerStep || 0;
  const bytes = m.bytesPerLaunch ?? 0;
  if (entry.samples !== undefined) {
    out.push(summary('samples', 'samples/s', 'rate', entry.samples / (t / 1e9), 'samples/s'));
    if (entry.pytorch) out.push(summary('vs.pytorch', 'samples/s / PyTorch', 'ratio', entry.samples / (t / 1e9) / entry.pytorch.samplesPerSec));
  }
  if (entry.metric === 'flops' && flops > 0) out.push(summary('rate', entry.samples !== undefined ? 'model rate' : 'rate', 'rate', flops / t / 1e3, 'TFLOP/s'));
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

/** Ceilings first: the copy bandwidth, and the library's matrix rate for each dtype in use. */
async function measureCeilings(binding: NativeBinding, config: BenchConfig, controls: BenchControls): Promise<BenchResult['ceilings']> {
  const options = { device: config.device, launches: Math.min(config.launches, CEILING_LAUNCHES), warmupNs: config.warmupNs };
  const progress = controls.onProgress ?? (() => {});
  progress({ type: 'ceiling', what: 'bandwidth' });
  const copySpec: WorkloadSpec = { kernel: 'memcpy', impl: 'cudart', dtype: 'none', shape: [CEILING_COPY_MIB], seed: config.seed };
  const copy = await measureWorkload(binding, copySpec, options);
  const bandwidth: Ceiling = { what: `device-to-device cudaMemcpy of ${CEILING_COPY_MIB} MiB (bytes read + written)`, spec: copySpec, measurement: copy };
  const bw = rateOf(copy, 'bytes');
  if (bw) bandwidth.rate = bw;
  const matrix: Record<string, Ceiling> = {};
  for (const dtype of new Set(config.entries.map(matrixDtype).filter((d): d is string => d !== undefined))) {
    if (controls.signal?.aborted) break;
    progress({ type: 'ceiling', what: `${dtype} matrix rate` });
    const n = CEILING_GEMM_SIZE;
    const s = spec({ kernel: 'gemm', dtype, shape: [n, n, n] }, 'cublas', config.seed);
    const m = await measureWorkload(binding, s, options);
    matrix[dtype] = { what: `cuBLASLt ${dtype} gemm ${n}³`, spec: s, measurement: m };
    const rate = rateOf(m, 'flops');
    if (rate) matrix[dtype]!.rate = rate;
  }
  return { bandwidth, matrix };
}

/** "v5" for a numbered tile variant, the name otherwise ("wgmma"). */
const variantLabel = (v: KernelVariant) => (/^\d+$/.test(v.name) ? `v${v.name}` : v.name);

/**
 * One entry's rows, measured in this order: the own kernel as it chooses, each variant asked for
 * (--variants), then the library. The own kernel's rows are compared with the library.
 */
async function entryRows(
  binding: NativeBinding,
  entry: BenchEntry,
  config: BenchConfig,
  ceilings: BenchResult['ceilings'],
  controls: BenchControls,
): Promise<BenchRow[]> {
  const options = { device: config.device, launches: config.launches, warmupNs: config.warmupNs };
  const progress = controls.onProgress ?? (() => {});
  const runs: Array<{ impl: string; label: string; variant?: KernelVariant }> = [
    { impl: 'own', label: 'own' },
    ...(entry.variants ?? []).map((variant) => ({ impl: 'own', label: `own ${variantLabel(variant)}`, variant })),
    ...(entry.library ? [entry.library] : []),
  ];
  const measured: Measurement[] = [];
  let traceCost: Awaited<ReturnType<typeof measureTraceCost>> | undefined;
  for (const [i, run] of runs.entries()) {
    progress({ type: 'measure', entry: entry.name, label: run.label });
    const s: WorkloadSpec = { ...spec(entry, run.impl, config.seed), ...run.variant?.spec };
    const m = await measureWorkload(binding, s, options);
    progress({ type: 'done', entry: entry.name, label: run.label, measurement: m });
    measured.push(m);
    if (i === 0 && m.status === 'ok' && m.ctasPerLaunch) {
      traceCost = await measureTraceCost(binding, s, m.ctasPerLaunch, Math.max(config.launches, TRACE_COST_PAIRS), options);
    }
  }
  const dtype = matrixDtype(entry);
  const matrixRate = dtype ? ceilings.matrix[dtype]?.rate : undefined;
  const library = entry.library ? measured[runs.length - 1] : undefined;
  return runs.map((run, i) => {
    const row: BenchRow = { entry: entry.name, impl: run.impl, label: run.label, measurement: measured[i]!, summaries: [] };
    if (run.variant) row.variant = run.variant.name;
    if (i === 0 && traceCost) {
      if ('problem' in traceCost) row.traceCostProblem = traceCost.problem;
      else row.traceCost = traceCost;
    }
    row.summaries = rowSummaries(entry, measured[i]!, ceilings.bandwidth.rate, matrixRate, run.impl === 'own' ? library : undefined, row.traceCost);
    return row;
  });
}

export async function bench(config: BenchConfig, controls: BenchControls = {}, binding: NativeBinding = loadBinding()): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const environment = await captureEnvironment(binding, config.device);
  const ceilings = await measureCeilings(binding, config, controls);
  const rows: BenchRow[] = [];
  for (const entry of config.entries) {
    if (controls.signal?.aborted) break;
    for (const row of await entryRows(binding, entry, config, ceilings, controls)) rows.push(row);
  }
  environment.clocksEnd = await readClocks(binding, environment.gpu.uuid);
  return {
    schema: BENCH_SCHEMA,
    schemaVersion: BENCH_SCHEMA_VERSION,
    command: controls.command ?? [],
    config,
    environment,
    ceilings,
    entries: config.entries,
    rows,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

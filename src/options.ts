// The run's vocabulary: what a caller may pass (RunOptions), the one validated configuration it
// becomes (RunConfig), the names they use, and the list and size parsers that config.ts and each
// sharing mode's own option checks (src/modes/) share. It sits below both and imports neither.
import { OptionError } from './errors.js';
import { KERNEL_FAMILIES } from './kernels/shapes.js';

export const KERNELS = ['gemm', 'probe', ...KERNEL_FAMILIES] as const;
export type Kernel = (typeof KERNELS)[number];
export const LOOPS = ['saturate', 'closed'] as const;
export type LoopKind = (typeof LOOPS)[number];
export const MODES = ['timeslice', 'mps', 'streams', 'green', 'mig'] as const;
export type ModeName = (typeof MODES)[number];
/** A stream priority: a keyword or the device's own number (lower is more urgent). */
export type Priority = 'high' | 'low' | number;

/** What a caller may pass to run() and probe(); every field is optional. */
export interface RunOptions {
  /** Kernel each client runs (default "gemm"). */
  kernel?: string;
  /** Client processes sharing the GPU, 1..64 (default 4). */
  procs?: number | string;
  /** How long each phase measures: seconds as a number, or "500ms", "5s", "1m" (default 5 s). */
  duration?: number | string;
  /** Measure this many launches per client instead of a duration. */
  launches?: number | string;
  /** gemm: the n of an n x n x n product (default 4096). */
  size?: number | string;
  /** The kernel's dimensions: gemm "m,n,k"; conv "n,c,h,w,k,r,s,stride,pad"; attention "batch,heads,seq,headDim,causal"; copy and triad "elements". */
  shape?: string | number[];
  /** A named shape (ResNet-50 layers, bert-base, llm-4k, copy-1gib, ...); sets kernel and shape. */
  preset?: string;
  /** own (the project's kernel) or a library: gemm cublas; conv cudnn; attention cudnn, cublas; copy cudart. */
  impl?: string;
  /** gemm: bf16 (default), fp16, tf32, fp32. */
  dtype?: string;
  /** saturate (launches queued back to back, as training does) or closed (launch, wait, repeat). */
  loop?: string;
  /** Launches kept in flight by a saturating client (default 3). */
  depth?: number | string;
  /** Run the same kernel alone first, for slowdown and aggregate ratios (default true). */
  baseline?: boolean;
  /** CUDA device index (default 0). */
  device?: number | string;
  /** probe: running time of each probe CTA per launch, in microseconds (default 2000). */
  spinUs?: number | string;
  /** probe: a %globaltimer step longer than this many microseconds counts as a gap (default 4). */
  gapThresholdUs?: number | string;
  /** Warm-up before each phase, like duration (default 300 ms). */
  warmup?: number | string;
  /** CTA trace records kept per client (default 2,000,000: 32 MB of device memory). */
  traceRecords?: number | string;
  /** Seed of the random inputs (default: random). */
  seed?: number | string;
  /** How the clients share the GPU: timeslice (default), mps, streams, green, mig. */
  mode?: string;
  /** mps: use the MPS control daemon listening in this pipe directory (not started, not stopped). */
  mpsPipe?: string;
  /** mps: active thread percentage per client, one value for all or one per client ("50" or "25,75"). */
  mpsThreads?: string | number | number[];
  /** mps: pinned device memory limit per client, e.g. "4G", "512M". */
  mpsMem?: string;
  /** streams, green: stream priority per client: high, low or the device's numbers ("high,low"). */
  priority?: string | Priority[];
  /** green: SMs per client ("64,64"); the device rounds each up to its granularity (default: equal split). */
  smSplit?: string | number[];
  /** NVML sampling period in ms during the shared phase (default 50; 0: no sampling). */
  sampleMs?: number | string;
  /** Record every kernel of each client with CUPTI (default false). */
  cupti?: boolean;
  /** CUPTI PM sampling of SM activity, device-wide, from the orchestrator process (default false). */
  pmSampling?: boolean;
}

export interface RunConfig {
  kernel: Kernel;
  procs: number;
  durationNs: number;
  launches: number;
  size: number;
  /** The kernel's dimensions (gemm [m, n, k]; empty for the probe). */
  shape: number[];
  impl: string;
  dtype: string;
  loop: LoopKind;
  depth: number;
  baseline: boolean;
  device: number;
  spinNs: number;
  gapThresholdNs: number;
  warmupNs: number;
  traceRecords: number;
  seed: number;
  mode: ModeName;
  /** mps only. */
  mps?: { pipe?: string; threads?: number[]; memBytes?: number };
  /** streams and green only: one per client. */
  priorities?: Priority[];
  /** green only: requested SMs, one per client. */
  smSplit?: number[];
  /** What is observed besides the clients' own records. */
  observe: { sampleMs: number; cupti: boolean; pmSampling: boolean };
}

/** Splits "a,b,c" (or takes an array) into trimmed, non-empty items. */
export function list(option: string, raw: unknown, what: string): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'number') return [raw];
  if (typeof raw === 'string' && raw.trim() !== '') {
    const items = raw.split(',').map((x) => x.trim());
    if (items.every((x) => x !== '')) return items;
  }
  throw new OptionError(option, what, raw);
}

/** One value for every client, or exactly one per client. */
export function perClient<T>(option: string, values: T[], procs: number, raw: unknown): T[] {
  if (values.length === 1) return Array.from({ length: procs }, () => values[0]!);
  if (values.length === procs) return values;
  throw new OptionError(option, `one value for all clients or ${procs} values (one per client)`, raw);
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$/i;
const SIZE_UNIT: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Parses "4G", "512M", "1.5GiB" (binary units) into bytes. */
export function parseSize(option: string, raw: unknown): number {
  const match = typeof raw === 'string' ? SIZE.exec(raw) : null;
  const unit = match ? (match[2] ?? 'b').toLowerCase()[0]! : '';
  const bytes = match ? Math.floor(Number(match[1]) * SIZE_UNIT[unit]!) : NaN;
  if (!Number.isFinite(bytes) || bytes < 2 ** 20) throw new OptionError(option, 'a size of at least 1M such as 512M or 4G', raw);
  return bytes;
}

// The run's vocabulary: what a caller may pass (RunOptions), the one validated configuration it
// becomes (RunConfig), the names they use, and the number, list and size parsers that config.ts and
// each sharing mode's own option checks (src/modes/) share. It sits below both and imports neither.
import { z } from 'zod';
import type { ArrivalText } from './clients/arrival.js';
import type { SloText } from './clients/slo.js';
import {
  type ClientOptions,
  clientSpecSchema,
  CLIENT_LOOPS,
  type Kernel,
  MAX_PROCS,
  type Priority,
  prioritySchema,
  type RawClientOptions,
} from './clients/spec.js';
import { OptionError } from './errors.js';
import type { DurationText, Raw, SharedBytesText, SizeText } from './option-text.js';
import type { ProbeRegisters } from './registry/kernels.js';
import type { PresetName } from './registry/presets.js';
import type { Dtype, Impl, WorkloadName } from './registry/workloads.js';

export { KERNELS, MAX_PROCS, prioritySchema } from './clients/spec.js';
export type { ClientOptions, ClientSpec, Kernel, Priority, RawClientOptions } from './clients/spec.js';
export type { ArrivalText } from './clients/arrival.js';
export type { SloText } from './clients/slo.js';
export type { DurationText, Raw, SharedBytesText, SizeText } from './option-text.js';
export const LOOPS = CLIENT_LOOPS;
export type LoopKind = (typeof LOOPS)[number];

export const MODES = ['timeslice', 'mps', 'streams', 'green', 'mig'] as const;
export type ModeName = (typeof MODES)[number];

/**
 * What a caller may pass to run() and probe(); every field is optional. Names are the unions of what
 * exists (a typo fails to compile), counts are numbers, and a string only where the option is written
 * as one (a duration "5s", a size "4G", an arrival, an SLO, a `--client` spec). Each is checked again
 * at run time (resolveRunConfig()), with the same OptionError, for callers without types.
 */
export interface RunOptions {
  /** Kernel or model workload each client runs (default "gemm"; src/registry/). */
  kernel?: Kernel;
  /** A model workload each client runs (resnet50-train, ...): the same as `kernel`. */
  workload?: WorkloadName;
  /** A model workload's shape fields: resnet50-* batch and input (32|224); bert-base-* batch and seq;
   * llm-decode batch, layers and kv (the cache capacity). Defaults: src/registry/workloads.ts. */
  batch?: number;
  input?: number;
  seq?: number;
  layers?: number;
  kv?: number;
  /** Model workloads: time each layer of every step with CUDA events (per-layer solo against shared). */
  profileLayers?: boolean;
  /** Client processes sharing the GPU, 1..64 (default 4). */
  procs?: number;
  /** How long each phase measures: seconds as a number, or "500ms", "5s", "1m" (default 5 s). */
  duration?: number | DurationText;
  /** Measure this many launches per client instead of a duration. */
  launches?: number;
  /** gemm: the n of an n x n x n product (default 4096). */
  size?: number;
  /** The kernel's dimensions: gemm [m, n, k]; conv [n, c, h, w, k, r, s, stride, pad]; attention [batch, heads, seq, headDim, causal]; copy and triad [elements]. */
  shape?: readonly number[];
  /** A named shape (src/registry/presets.ts: gemm-bf16-4096, ResNet-50 layers, bert-base, llm-4k,
   * copy-1gib, resnet50-train-imagenet, ...); sets kernel and shape. */
  preset?: PresetName;
  /** own (the project's kernel) or a library: gemm cublas; conv cudnn; attention cudnn, cublas; copy cudart; model workloads library. */
  impl?: Impl;
  /** gemm: bf16 (default), fp16, tf32, fp32; the other kernels and the workloads have one each. */
  dtype?: Dtype;
  /** saturate (launches queued back to back, as training does), closed (launch, wait, repeat) or open (requests on a schedule: needs arrival). */
  loop?: LoopKind;
  /** open loop: how requests arrive: poisson:RATE, constant:RATE or bursty:ON/OFF (src/clients/arrival.ts). */
  arrival?: ArrivalText;
  /** Latency objectives of the clients, e.g. "p99<=5ms" (src/clients/slo.ts). */
  slo?: SloText;
  /** Several different clients: each its options or a `--client` spec ("role=infer,kernel=attention,arrival=poisson:2000/s");
   * replaces kernel, procs, shape and the other per-client options. */
  clients?: ReadonlyArray<ClientOptions | string>;
  /** Launches kept in flight by a saturating client (default 3). */
  depth?: number;
  /** Run the same kernel alone first, for slowdown and aggregate ratios (default true). */
  baseline?: boolean;
  /** CUDA device index (default 0). */
  device?: number;
  /** probe: running time of each probe CTA per launch, in microseconds (default 2000). */
  spinUs?: number;
  /** probe: a %globaltimer step longer than this many microseconds counts as a gap (default 4). */
  gapThresholdUs?: number;
  /** probe: what each probe CTA holds while switched out (src/registry/probe-state.ts): shared memory
   * it fills (bytes, or "64K"), threads per CTA, registers per thread. One value each here; probeCurve()
   * takes lists and measures each state. */
  smem?: number | SharedBytesText;
  threads?: number;
  regs?: ProbeRegisters;
  /** Warm-up before each phase, like duration (default 300 ms). */
  warmup?: number | DurationText;
  /** CTA trace records kept per client (default 2,000,000: 32 MB of device memory). */
  traceRecords?: number;
  /** Seed of the random inputs (default: random). */
  seed?: number;
  /** How the clients share the GPU: timeslice (default), mps, streams, green, mig. */
  mode?: ModeName;
  /** mps: use the MPS control daemon listening in this pipe directory (not started, not stopped). */
  mpsPipe?: string;
  /** mps: active thread percentage per client, one value for all or one per client. */
  mpsThreads?: number | readonly number[];
  /** mps: pinned device memory limit of every client, e.g. "4G", "512M". */
  mpsMem?: SizeText;
  /** streams, green: stream priority per client: high, low or the device's numbers; one for all or one per client. */
  priority?: Priority | readonly Priority[];
  /** green: SMs per client ([64, 64]); the device rounds each up to its granularity (default: equal split). */
  smSplit?: readonly number[];
  /** NVML sampling period in ms during the shared phase (default 50; 0: no sampling). */
  sampleMs?: number;
  /** Record every kernel of each client with CUPTI (default false). */
  cupti?: boolean;
  /** CUPTI PM sampling of SM activity, device-wide, from the orchestrator process (default false). */
  pmSampling?: boolean;
  /** Measure this many times, each role alone then shared, interleaved (B1 S1 B2 S2 …); ratios are the
   * median over the runs with a confidence interval (default 1, at most 100). */
  runs?: number;
}

/** RunOptions as the validators (resolveRunConfig() in config.ts, the modes) take them. */
export type RawRunOptions = Raw<Omit<RunOptions, 'clients'>> & { clients?: ReadonlyArray<RawClientOptions | string> | string };

/** The one validated configuration a run's options become (config.ts). The result file records it
 * as `options` (src/report/schema.ts, which reads older files that lack some of it); the type is
 * inferred from it. */
export const runConfigSchema = z.object({
  /** The client specs, in client order: spec 0's clients first. */
  clients: z.array(clientSpecSchema).min(1),
  /** Clients in all: the sum of the specs' counts. */
  procs: z.number().int().min(1).max(MAX_PROCS),
  durationNs: z.number().nonnegative(),
  launches: z.number().int().nonnegative(),
  baseline: z.boolean(),
  device: z.number().int().nonnegative(),
  warmupNs: z.number().nonnegative(),
  traceRecords: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  mode: z.enum(MODES),
  /** mps only: threads and memBytes one per client (memBytes 0: no limit). */
  mps: z.object({ pipe: z.string().optional(), threads: z.array(z.number()).optional(), memBytes: z.array(z.number().nonnegative()).optional() }).optional(),
  /** streams and green only: one per client. */
  priorities: z.array(prioritySchema).optional(),
  /** green only: requested SMs, one per client. */
  smSplit: z.array(z.number().int().positive()).optional(),
  /** What is observed besides the clients' own records. */
  observe: z.object({ sampleMs: z.number().int().nonnegative(), cupti: z.boolean(), pmSampling: z.boolean() }),
  /** Model workloads: each layer of each step timed with CUDA events (--profile-layers). */
  profileLayers: z.boolean().optional(),
  /** Runs, each role alone then shared, interleaved (--runs); absent: one. */
  runs: z.number().int().min(1).optional(),
});

export type RunConfig = z.infer<typeof runConfigSchema>;

// Numbers in options are plain decimals: an optional sign, digits and (where fractions make sense) a
// fraction. Number() would also take 0x10, 0b1, 0o7, 1e3, Infinity and "" (0), and integer options
// would truncate 1.5 somewhere later: one parser for every number option keeps them all alike.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/** The value of a decimal string (surrounding spaces allowed) or a finite number; undefined for anything else. */
export function decimalValue(raw: unknown, kind: 'integer' | 'decimal' = 'decimal'): number | undefined {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && (kind === 'integer' ? INTEGER : DECIMAL).test(raw.trim())) value = Number(raw.trim());
  else return undefined;
  if (!Number.isFinite(value) || (kind === 'integer' && !Number.isSafeInteger(value))) return undefined;
  return value === 0 ? 0 : value; // no -0
}

/** An integer option in min..max, written in decimal. */
export function integer(option: string, raw: unknown, min: number, max: number): number {
  const value = decimalValue(raw, 'integer');
  if (value === undefined || value < min || value > max) throw new OptionError(option, `an integer in ${min}..${max}`, raw);
  return value;
}

/** A number option in min..max, written in decimal (a fraction allowed, no exponent). */
export function decimal(option: string, raw: unknown, min: number, max: number): number {
  const value = decimalValue(raw);
  if (value === undefined || value < min || value > max) throw new OptionError(option, `a number in ${min}..${max}`, raw);
  return value;
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
const MAX_SIZE = 2 ** 50;

/** Parses "4G", "512M", "1.5GiB" (binary units) into bytes, from 1M to 1P. */
export function parseSize(option: string, raw: unknown): number {
  const match = typeof raw === 'string' ? SIZE.exec(raw) : null;
  const unit = match ? (match[2] ?? 'b').toLowerCase()[0]! : '';
  const bytes = match ? Math.floor(Number(match[1]) * SIZE_UNIT[unit]!) : NaN;
  if (!Number.isFinite(bytes) || bytes < 2 ** 20 || bytes > MAX_SIZE) throw new OptionError(option, 'a size from 1M to 1024T such as 512M or 4G', raw);
  return bytes;
}

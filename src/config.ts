// Options -> one validated configuration. Every check happens here, before any GPU work, and a
// failure is an OptionError naming the option and what was expected. The native side trusts this.
import { randomInt } from 'node:crypto';
import { OptionError } from './errors.js';
import { findPreset, KERNEL_PRESETS } from './kernels/presets.js';
import { GEMM_MAX_DIM, isKernelFamily, KERNEL_DTYPES, KERNEL_FAMILIES, KERNEL_IMPLS, shapeProblem, workloadBytes } from './kernels/shapes.js';

export const KERNELS = ['gemm', 'probe', ...KERNEL_FAMILIES] as const;
export type Kernel = (typeof KERNELS)[number];
/** gemm's element types and implementations (conv, attention, copy, triad: see kernels/shapes.ts). */
export const GEMM_DTYPES = ['bf16', 'fp16', 'tf32', 'fp32'] as const;
export const GEMM_IMPLS = ['own', 'cublas'] as const;
export const LOOPS = ['saturate', 'closed'] as const;
export type LoopKind = (typeof LOOPS)[number];
export const MODES = ['timeslice', 'mps', 'streams', 'green', 'mig'] as const;
export type ModeName = (typeof MODES)[number];
/** A stream priority: a keyword or the device's own number (lower is more urgent). */
export type Priority = 'high' | 'low' | number;
export const MAX_PROCS = 64;

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

/** probe()'s defaults where they differ from a run's (src/probe.ts). */
export const PROBE_DEFAULTS = { procs: 2, duration: '3s', baseline: false } as const;

export const DEFAULTS = {
  kernel: 'gemm',
  procs: 4,
  duration: '5s',
  size: 4096,
  loop: 'saturate',
  depth: 3,
  device: 0,
  spinUs: 2000,
  gapThresholdUs: 4,
  warmup: '300ms',
  traceRecords: 2_000_000,
  mode: 'timeslice',
} as const;

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

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|s|m)?\s*$/;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9 };

/** Parses "500ms", "5s", "1.5", 2 (seconds) into nanoseconds within [minNs, maxNs]. */
export function parseDuration(option: string, raw: unknown, minNs: number, maxNs: number): number {
  const expected = `a duration from ${formatSeconds(minNs)} to ${formatSeconds(maxNs)} such as 500ms, 5s or 2 (seconds)`;
  let ns: number;
  if (typeof raw === 'number') {
    ns = raw * 1e9;
  } else if (typeof raw === 'string') {
    const match = DURATION.exec(raw);
    if (!match) throw new OptionError(option, expected, raw);
    ns = Number(match[1]) * UNIT_NS[match[2] ?? 's']!;
  } else {
    throw new OptionError(option, expected, raw);
  }
  if (!Number.isFinite(ns) || ns < minNs || ns > maxNs) throw new OptionError(option, expected, raw);
  return Math.round(ns);
}

function formatSeconds(ns: number): string {
  return ns >= 1e9 ? `${ns / 1e9}s` : `${ns / 1e6}ms`;
}

function oneOf<T extends string>(option: string, raw: unknown, valid: readonly T[]): T {
  if (typeof raw === 'string' && (valid as readonly string[]).includes(raw)) return raw as T;
  throw new OptionError(option, `one of ${valid.join(', ')}`, raw);
}

/** Splits "a,b,c" (or takes an array) into trimmed, non-empty items. */
function list(option: string, raw: unknown, what: string): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'number') return [raw];
  if (typeof raw === 'string' && raw.trim() !== '') {
    const items = raw.split(',').map((x) => x.trim());
    if (items.every((x) => x !== '')) return items;
  }
  throw new OptionError(option, what, raw);
}

/** One value for every client, or exactly one per client. */
function perClient<T>(option: string, values: T[], procs: number, raw: unknown): T[] {
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

function requireMode(option: string, raw: unknown, mode: ModeName, allowed: ModeName[]): void {
  if (raw !== undefined && !allowed.includes(mode)) {
    throw new OptionError(option, `${option} only with --mode ${allowed.join(' or --mode ')} (the mode is ${mode})`, raw);
  }
}

/** Validates the sharing mode's options; device limits (SM count, priority range) are checked by the mode. */
function resolveModeOptions(options: RunOptions, procs: number): Pick<RunConfig, 'mode' | 'mps' | 'priorities' | 'smSplit'> {
  const mode = oneOf('--mode', options.mode ?? DEFAULTS.mode, MODES);
  requireMode('--mps-pipe', options.mpsPipe, mode, ['mps']);
  requireMode('--mps-threads', options.mpsThreads, mode, ['mps']);
  requireMode('--mps-mem', options.mpsMem, mode, ['mps']);
  requireMode('--priority', options.priority, mode, ['streams', 'green']);
  requireMode('--sm-split', options.smSplit, mode, ['green']);
  const out: Pick<RunConfig, 'mode' | 'mps' | 'priorities' | 'smSplit'> = { mode };
  if (mode === 'mps') {
    const mps: NonNullable<RunConfig['mps']> = {};
    if (options.mpsPipe !== undefined) {
      if (typeof options.mpsPipe !== 'string' || options.mpsPipe.trim() === '') throw new OptionError('--mps-pipe', 'a directory', options.mpsPipe);
      mps.pipe = options.mpsPipe;
    }
    if (options.mpsThreads !== undefined) {
      const what = 'active thread percentages in 1..100, e.g. 50 or 25,75';
      const values = list('--mps-threads', options.mpsThreads, what).map((v) => {
        const n = decimalValue(v);
        if (n === undefined || n < 1 || n > 100) throw new OptionError('--mps-threads', what, options.mpsThreads);
        return n;
      });
      mps.threads = perClient('--mps-threads', values, procs, options.mpsThreads);
    }
    if (options.mpsMem !== undefined) mps.memBytes = parseSize('--mps-mem', options.mpsMem);
    out.mps = mps;
  }
  if (options.priority !== undefined) {
    const what = 'stream priorities: high, low or integers, e.g. high,low';
    const values = list('--priority', options.priority, what).map((v): Priority => {
      if (v === 'high' || v === 'low') return v;
      const n = decimalValue(v, 'integer');
      if (n === undefined) throw new OptionError('--priority', what, options.priority);
      return n;
    });
    out.priorities = perClient('--priority', values, procs, options.priority);
  }
  if (options.smSplit !== undefined) {
    const what = `${procs} SM counts (one per client), e.g. ${Array.from({ length: procs }, () => 32).join(',')}`;
    const values = list('--sm-split', options.smSplit, what).map((v) => {
      const n = decimalValue(v, 'integer');
      if (n === undefined || n < 1) throw new OptionError('--sm-split', what, options.smSplit);
      return n;
    });
    if (values.length !== procs) throw new OptionError('--sm-split', what, options.smSplit);
    out.smSplit = values;
  }
  return out;
}

/** Default shapes of the kernels that have no --size: a typical layer of each. */
const DEFAULT_PRESET: Record<(typeof KERNEL_FAMILIES)[number], string> = {
  conv: 'resnet50-l1-3x3',
  attention: 'llm-4k',
  copy: 'copy-1gib',
  triad: 'triad-1gib',
};

function numberList(option: string, raw: unknown, what: string): number[] {
  return list(option, raw, what).map((v) => {
    const n = decimalValue(v, 'integer');
    if (n === undefined) throw new OptionError(option, what, raw);
    return n;
  });
}

/** The kernel's shape, implementation and element type, checked. */
function resolveWorkload(kernel: Kernel, options: RunOptions, size: number, presetShape?: readonly number[]): Pick<RunConfig, 'shape' | 'impl' | 'dtype'> {
  if (kernel === 'probe') {
    for (const option of ['shape', 'impl', 'dtype'] as const) {
      if (options[option] !== undefined && !(option === 'impl' && options.impl === 'own')) throw new OptionError(`--${option}`, `no --${option} with the probe kernel`, options[option]);
    }
    return { shape: [], impl: 'own', dtype: 'none' };
  }
  if (kernel === 'gemm') {
    if (options.size !== undefined && options.shape !== undefined) throw new OptionError('--shape', 'either --size or --shape, not both', options.shape);
    const what = `m,n,k: three integers in 1..${GEMM_MAX_DIM}`;
    const shape = options.shape === undefined ? [size, size, size] : numberList('--shape', options.shape, what);
    if (shape.length !== 3 || shape.some((d) => d < 1 || d > GEMM_MAX_DIM)) throw new OptionError('--shape', what, options.shape);
    return { shape, impl: oneOf('--impl', options.impl ?? 'own', GEMM_IMPLS), dtype: oneOf('--dtype', options.dtype ?? 'bf16', GEMM_DTYPES) };
  }
  if (!isKernelFamily(kernel)) throw new OptionError('--kernel', `one of ${KERNELS.join(', ')}`, kernel);
  if (options.size !== undefined) throw new OptionError('--size', `--size only with --kernel gemm (${kernel} takes --shape or --preset)`, options.size);
  const impl = oneOf('--impl', options.impl ?? 'own', KERNEL_IMPLS[kernel]);
  if (options.dtype !== undefined && options.dtype !== KERNEL_DTYPES[kernel]) {
    throw new OptionError('--dtype', `${KERNEL_DTYPES[kernel]} (the only element type of ${kernel})`, options.dtype);
  }
  const shape = presetShape
    ? [...presetShape]
    : options.shape === undefined
      ? [...findPreset(DEFAULT_PRESET[kernel])!.shape]
      : numberList('--shape', options.shape, `the ${kernel} shape as comma-separated integers`);
  const problem = shapeProblem(kernel, shape, impl);
  if (problem) throw new OptionError('--shape', problem.replace(/, got .*$/, ''), shape.join(','));
  return { shape, impl, dtype: KERNEL_DTYPES[kernel] };
}

/** Validates options for run() (and, with kernel "probe", probe()). Throws OptionError. */
export function resolveRunConfig(options: RunOptions): RunConfig {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'an object', options);
  const preset = options.preset === undefined ? undefined : findPreset(String(options.preset));
  if (options.preset !== undefined && !preset) {
    throw new OptionError('--preset', `one of ${KERNEL_PRESETS.map((p) => p.name).join(', ')}`, options.preset);
  }
  if (preset && options.kernel !== undefined && options.kernel !== preset.kernel) {
    throw new OptionError('--kernel', `${preset.kernel} (the kernel of --preset ${preset.name}) or no --kernel`, options.kernel);
  }
  if (preset && options.shape !== undefined) throw new OptionError('--shape', 'no --shape with --preset (the preset is a shape)', options.shape);
  const kernel = oneOf('--kernel', preset?.kernel ?? options.kernel ?? DEFAULTS.kernel, KERNELS);
  const procs = integer('--procs', options.procs ?? DEFAULTS.procs, 1, MAX_PROCS);
  if (options.duration !== undefined && options.launches !== undefined) {
    throw new OptionError('--launches', 'either --duration or --launches, not both', options.launches);
  }
  const launches = options.launches === undefined ? 0 : integer('--launches', options.launches, 1, 1e9);
  const durationNs = launches > 0 ? 0 : parseDuration('--duration', options.duration ?? DEFAULTS.duration, 50e6, 3600e9);
  const size = integer('--size', options.size ?? DEFAULTS.size, 1, 32768);
  const { shape, impl, dtype } = resolveWorkload(kernel, options, size, preset?.shape);
  const loop = oneOf('--loop', options.loop ?? DEFAULTS.loop, LOOPS);
  const depth = loop === 'closed' ? 1 : integer('--depth', options.depth ?? DEFAULTS.depth, 2, 64);
  if (loop === 'closed' && options.depth !== undefined) {
    throw new OptionError('--depth', '--depth only with --loop saturate (a closed loop keeps one launch in flight)', options.depth);
  }
  if (options.baseline !== undefined && typeof options.baseline !== 'boolean') {
    throw new OptionError('--baseline', 'true or false', options.baseline);
  }
  const device = integer('--device', options.device ?? DEFAULTS.device, 0, 1023);
  const spinNs = decimal('--spin-us', options.spinUs ?? DEFAULTS.spinUs, 10, 10_000_000) * 1e3;
  const gapThresholdNs = decimal('--gap-threshold-us', options.gapThresholdUs ?? DEFAULTS.gapThresholdUs, 0.1, 1e6) * 1e3;
  const warmupNs = parseDuration('--warmup', options.warmup ?? DEFAULTS.warmup, 0, 600e9);
  const traceRecords = integer('--trace-records', options.traceRecords ?? DEFAULTS.traceRecords, 0, 500_000_000);
  const seed = options.seed === undefined ? randomInt(1, 2 ** 47) : integer('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
  const modeOptions = resolveModeOptions(options, procs);
  const sampleMs = integer('--sample-ms', options.sampleMs ?? 50, 0, 10_000);
  for (const [option, value] of [['--cupti', options.cupti], ['--pm-sampling', options.pmSampling]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new OptionError(option, 'true or false', value);
  }
  if (options.pmSampling && modeOptions.mode !== 'timeslice') {
    throw new OptionError('--pm-sampling', '--pm-sampling only with --mode timeslice (it needs a CUDA context in the measuring process)', modeOptions.mode);
  }
  return {
    kernel,
    procs,
    durationNs,
    launches,
    size,
    shape,
    impl,
    dtype,
    loop,
    depth,
    baseline: options.baseline ?? true,
    device,
    spinNs: Math.round(spinNs),
    gapThresholdNs: Math.round(gapThresholdNs),
    warmupNs,
    traceRecords,
    seed,
    ...modeOptions,
    observe: { sampleMs, cupti: options.cupti ?? false, pmSampling: options.pmSampling ?? false },
  };
}

/** Device memory one client allocates for its buffers, in bytes (library workspaces not counted). */
export function clientMemoryBytes(config: RunConfig, smCount = 132): number {
  const trace = config.traceRecords * 16;
  if (config.kernel === 'gemm') {
    const [m, n, k] = config.shape as [number, number, number];
    const element = config.dtype === 'bf16' || config.dtype === 'fp16' ? 2 : 4;
    return (m * k + k * n) * element + m * n * 4 + trace;
  }
  if (isKernelFamily(config.kernel)) return workloadBytes(config.kernel, config.shape) + trace;
  return trace + probeGapCapacity(config, smCount) * 16;
}

/** Probe gap records kept per client: room for a gap every 100 us on every SM, at least 1M. */
export function probeGapCapacity(config: RunConfig, smCount: number): number {
  const seconds = config.durationNs > 0 ? config.durationNs / 1e9 : (config.launches * config.spinNs) / 1e9;
  return Math.min(Math.max(1_000_000, Math.ceil(seconds * 10_000 * smCount)), 64_000_000);
}

// Options -> one validated configuration. Every check happens here, before any GPU work, and a
// failure is an OptionError naming the option and what was expected. The native side trusts this.
import { randomInt } from 'node:crypto';
import { OptionError } from './errors.js';

export const KERNELS = ['gemm', 'probe'] as const;
export type Kernel = (typeof KERNELS)[number];
export const LOOPS = ['saturate', 'closed'] as const;
export type LoopKind = (typeof LOOPS)[number];
export const MODES = ['timeslice', 'mps', 'streams', 'green', 'mig'] as const;
export type ModeName = (typeof MODES)[number];
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
}

export interface RunConfig {
  kernel: Kernel;
  procs: number;
  durationNs: number;
  launches: number;
  size: number;
  loop: LoopKind;
  depth: number;
  baseline: boolean;
  device: number;
  spinNs: number;
  gapThresholdNs: number;
  warmupNs: number;
  traceRecords: number;
  seed: number;
}

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
} as const;

function integer(option: string, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(option, `an integer in ${min}..${max}`, raw);
  }
  return value;
}

function decimal(option: string, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new OptionError(option, `a number in ${min}..${max}`, raw);
  }
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

/** Validates options for run() (and, with kernel "probe", probe()). Throws OptionError. */
export function resolveRunConfig(options: RunOptions): RunConfig {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'an object', options);
  const kernel = oneOf('--kernel', options.kernel ?? DEFAULTS.kernel, KERNELS);
  const procs = integer('--procs', options.procs ?? DEFAULTS.procs, 1, MAX_PROCS);
  if (options.duration !== undefined && options.launches !== undefined) {
    throw new OptionError('--launches', 'either --duration or --launches, not both', options.launches);
  }
  const launches = options.launches === undefined ? 0 : integer('--launches', options.launches, 1, 1e9);
  const durationNs = launches > 0 ? 0 : parseDuration('--duration', options.duration ?? DEFAULTS.duration, 50e6, 3600e9);
  const size = integer('--size', options.size ?? DEFAULTS.size, 1, 32768);
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
  return {
    kernel,
    procs,
    durationNs,
    launches,
    size,
    loop,
    depth,
    baseline: options.baseline ?? true,
    device,
    spinNs: Math.round(spinNs),
    gapThresholdNs: Math.round(gapThresholdNs),
    warmupNs,
    traceRecords,
    seed,
  };
}

/** Device memory one client allocates for its buffers, in bytes. */
export function clientMemoryBytes(config: RunConfig, smCount = 132): number {
  const trace = config.traceRecords * 16;
  if (config.kernel === 'gemm') {
    const n = config.size;
    return n * n * (2 + 2 + 4) + trace;
  }
  return trace + probeGapCapacity(config, smCount) * 16;
}

/** Probe gap records kept per client: room for a gap every 100 us on every SM, at least 1M. */
export function probeGapCapacity(config: RunConfig, smCount: number): number {
  const seconds = config.durationNs > 0 ? config.durationNs / 1e9 : (config.launches * config.spinNs) / 1e9;
  return Math.min(Math.max(1_000_000, Math.ceil(seconds * 10_000 * smCount)), 64_000_000);
}

// Options -> one validated configuration. Every check happens here, before any GPU work, and a
// failure is an OptionError naming the option and what was expected. The native side trusts this.
import { randomInt } from 'node:crypto';
import { OptionError } from './errors.js';
import { findPreset, KERNEL_PRESETS } from './kernels/presets.js';
import { GEMM_MAX_DIM, isKernelFamily, KERNEL_DTYPES, type KERNEL_FAMILIES, KERNEL_IMPLS, shapeProblem } from './kernels/shapes.js';
import { modeOptions, modesTaking, modesWhere, sharingMode, type ModeConfig } from './modes/index.js';
import {
  decimal,
  decimalValue,
  integer,
  KERNELS,
  list,
  LOOPS,
  MAX_PROCS,
  MODES,
  type Kernel,
  type ModeName,
  type RunConfig,
  type RunOptions,
} from './options.js';

export { decimal, decimalValue, integer, KERNELS, LOOPS, MAX_PROCS, MODES, parseSize } from './options.js';
export type { Kernel, LoopKind, ModeName, Priority, RunConfig, RunOptions } from './options.js';
export { clientMemoryBytes, probeGapCapacity } from './kernels/memory.js';

/** gemm's element types and implementations (conv, attention, copy, triad: see kernels/shapes.ts). */
export const GEMM_DTYPES = ['bf16', 'fp16', 'tf32', 'fp32'] as const;
export const GEMM_IMPLS = ['own', 'cublas'] as const;

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

/**
 * The sharing mode and its options. Each mode checks its own options (src/modes/); an option that
 * only other modes take is an error here. Device limits (SM count, priority range) are checked by
 * the mode before the run.
 */
function resolveModeOptions(options: RunOptions, procs: number): { mode: ModeName } & ModeConfig {
  const mode = oneOf('--mode', options.mode ?? DEFAULTS.mode, MODES);
  for (const { key, flag } of modeOptions()) {
    const takers = modesTaking(key);
    if (options[key] !== undefined && !takers.includes(mode)) {
      throw new OptionError(flag, `${flag} only with --mode ${takers.join(' or --mode ')} (the mode is ${mode})`, options[key]);
    }
  }
  return { mode, ...sharingMode(mode).resolveOptions(options, procs) };
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
      if (options[option] !== undefined && !(option === 'impl' && options.impl === 'own'))
        throw new OptionError(`--${option}`, `no --${option} with the probe kernel`, options[option]);
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
  const modeFields = resolveModeOptions(options, procs);
  const sampleMs = integer('--sample-ms', options.sampleMs ?? 50, 0, 10_000);
  for (const [option, value] of [
    ['--cupti', options.cupti],
    ['--pm-sampling', options.pmSampling],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new OptionError(option, 'true or false', value);
  }
  if (options.pmSampling && !sharingMode(modeFields.mode).traits.pmSampling) {
    const takers = modesWhere((m) => m.traits.pmSampling);
    throw new OptionError(
      '--pm-sampling',
      `--pm-sampling only with --mode ${takers.join(' or --mode ')} (it needs a CUDA context in the measuring process)`,
      modeFields.mode,
    );
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
    ...modeFields,
    observe: { sampleMs, cupti: options.cupti ?? false, pmSampling: options.pmSampling ?? false },
  };
}

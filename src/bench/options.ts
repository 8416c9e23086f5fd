// `bench` options -> one validated configuration. Every check happens here, before any GPU work; a
// failure is an OptionError naming the option and what was expected.
import { randomInt } from 'node:crypto';
import { decimalValue, integer, parseDuration } from '../config.js';
import { OptionError } from '../errors.js';
import { GEMM_MAX_DIM, isKernelFamily, shapeSizeProblem } from '../kernels/shapes.js';
import { BENCH_KERNELS, BENCH_PRESETS, benchKernel, type BenchMetric } from './presets.js';

export interface BenchOptions {
  /** Preset names (see BENCH_PRESETS), as an array or comma-separated; default: every preset. */
  preset?: string | string[];
  /** Instead of presets: one kernel on one shape (with shape and dtype). */
  kernel?: string;
  /** Comma-separated sizes, e.g. "4096,4096,4096" for gemm m,n,k, or an array. */
  shape?: string | number[];
  dtype?: string;
  /** Timed launches per implementation (default 50). */
  launches?: number | string;
  /** Warm-up before each implementation's timed launches, e.g. "300ms" (default). */
  warmup?: number | string;
  device?: number | string;
  seed?: number | string;
}

/** One workload to measure: the own kernel and, where there is one, its library counterpart. */
export interface BenchEntry {
  name: string;
  about: string;
  kernel: string;
  dtype: string;
  shape: number[];
  metric: BenchMetric;
  library?: { impl: string; label: string };
}

export interface BenchConfig {
  entries: BenchEntry[];
  launches: number;
  warmupNs: number;
  device: number;
  seed: number;
}

export const BENCH_DEFAULTS = { launches: 50, warmup: '300ms', device: 0 } as const;

function list(raw: string | string[]): string[] {
  return (Array.isArray(raw) ? raw : [raw]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
}

function parseShape(raw: unknown, dims: readonly string[], kernel: string): number[] {
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : undefined;
  const expected = `${dims.length} comma-separated positive integers for ${kernel} (${dims.join(',')})`;
  if (!parts || parts.length !== dims.length) throw new OptionError('--shape', expected, raw);
  return parts.map((p: unknown, i) => {
    const v = decimalValue(p, 'integer');
    // causal (attention) and pad may be 0; every other size is at least 1.
    const min = dims[i] === 'causal' || dims[i] === 'pad' ? 0 : 1;
    if (v === undefined || v < min || v > 2 ** 31 - 1) throw new OptionError('--shape', expected, raw);
    return v;
  });
}

/** The bounds a run checks too: gemm's dimensions, the element counts of the other kernels' tensors. */
function sizeProblem(kernel: string, shape: number[]): string | undefined {
  if (kernel === 'gemm') return shape.some((d) => d > GEMM_MAX_DIM) ? `m, n and k at most ${GEMM_MAX_DIM}` : undefined;
  return isKernelFamily(kernel) ? shapeSizeProblem(kernel, shape) : undefined;
}

/** Validates `bench` options. Throws OptionError. */
export function resolveBenchConfig(options: BenchOptions): BenchConfig {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'an object', options);
  const launches = integer('--launches', options.launches ?? BENCH_DEFAULTS.launches, 1, 100_000);
  const warmupNs = parseDuration('--warmup', options.warmup ?? BENCH_DEFAULTS.warmup, 0, 600e9);
  const device = integer('--device', options.device ?? BENCH_DEFAULTS.device, 0, 1023);
  const seed = options.seed === undefined ? randomInt(1, 2 ** 47) : integer('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER);

  let entries: BenchEntry[];
  if (options.kernel !== undefined) {
    if (options.preset !== undefined) throw new OptionError('--kernel', 'either --preset or --kernel, not both', options.kernel);
    const kernel = typeof options.kernel === 'string' ? benchKernel(options.kernel) : undefined;
    if (!kernel) throw new OptionError('--kernel', `one of ${BENCH_KERNELS.map((k) => k.name).join(', ')}`, options.kernel);
    if (options.shape === undefined) throw new OptionError('--shape', `${kernel.dims.join(',')} for ${kernel.name}`, undefined);
    const shape = parseShape(options.shape, kernel.dims, kernel.name);
    const problem = sizeProblem(kernel.name, shape);
    if (problem) throw new OptionError('--shape', problem.replace(/, got .*$/, ''), options.shape);
    const dtype = options.dtype ?? kernel.dtypes[0]!;
    if (!kernel.dtypes.includes(dtype)) throw new OptionError('--dtype', `one of ${kernel.dtypes.join(', ')} for ${kernel.name}`, options.dtype);
    const entry: BenchEntry = { name: `${kernel.name}-${dtype}-${shape.join('x')}`, about: `${dtype} ${kernel.name} ${shape.join('×')}`, kernel: kernel.name, dtype, shape, metric: kernel.metric };
    if (kernel.library) entry.library = kernel.library;
    entries = [entry];
  } else {
    if (options.shape !== undefined) throw new OptionError('--shape', '--shape only with --kernel', options.shape);
    if (options.dtype !== undefined) throw new OptionError('--dtype', '--dtype only with --kernel', options.dtype);
    const names = options.preset === undefined ? BENCH_PRESETS.map((p) => p.name) : list(options.preset);
    if (names.length === 0) throw new OptionError('--preset', `one or more of ${BENCH_PRESETS.map((p) => p.name).join(', ')}`, options.preset);
    entries = names.map((name) => {
      const preset = BENCH_PRESETS.find((p) => p.name === name);
      if (!preset) throw new OptionError('--preset', `one of ${BENCH_PRESETS.map((p) => p.name).join(', ')}`, name);
      const kernel = benchKernel(preset.kernel)!;
      const entry: BenchEntry = { name: preset.name, about: preset.about, kernel: preset.kernel, dtype: preset.dtype, shape: [...preset.shape], metric: kernel.metric };
      if (kernel.library) entry.library = kernel.library;
      return entry;
    });
  }
  return { entries, launches, warmupNs, device, seed };
}

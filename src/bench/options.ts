// `bench` options -> one validated configuration. Every check happens here, before any GPU work; a
// failure is an OptionError naming the option and what was expected.
import { randomInt } from 'node:crypto';
import { decimalValue, integer, parseDuration } from '../config.js';
import { OptionError } from '../errors.js';
import { readFileSync } from 'node:fs';
import type { DurationText, Raw } from '../options.js';
import type { Dtype, PresetName } from '../registry/index.js';
import { GEMM_MAX_DIM, isKernelFamily, type KERNEL_NAMES, shapeSizeProblem } from '../registry/kernels.js';
import {
  fieldRule,
  isWorkload,
  WORKLOAD_DTYPE,
  WORKLOAD_NAMES,
  WORKLOADS,
  workloadSamples,
  workloadShapeProblem,
  workloadStepFlops,
  type WorkloadName,
} from '../registry/workloads.js';
import {
  BENCH_KERNELS,
  BENCH_PRESET_NAMES,
  BENCH_PRESETS,
  benchKernel,
  benchPreset,
  KERNEL_VARIANTS,
  kernelVariants,
  type BenchMetric,
  type KernelVariant,
} from './presets.js';

/** A kernel `bench` times on a shape of its own (every kernel but the probe). */
export type BenchKernelName = Exclude<(typeof KERNEL_NAMES)[number], 'probe'>;

/** What a caller may pass to resolveBenchConfig(): presets, or one kernel on one shape, or model workloads. */
export interface BenchOptions {
  /** Preset names (see BENCH_PRESETS; any registry preset); default: BENCH_PRESETS. */
  preset?: PresetName | readonly PresetName[];
  /** Instead of presets: one kernel on one shape (with shape and dtype). */
  kernel?: BenchKernelName;
  /** The kernel's dimensions, e.g. [4096, 4096, 4096] for gemm m, n, k. */
  shape?: readonly number[];
  dtype?: Dtype;
  /** Timed launches per implementation (default 50). */
  launches?: number;
  /** Warm-up before each implementation's timed launches: seconds, or "300ms" (default). */
  warmup?: number | DurationText;
  device?: number;
  seed?: number;
  /** Also time the own kernel's variants (KERNEL_VARIANTS): true for all of them, or a list of names
   * ("wgmma", 5) that every selected workload whose kernel has variants must have. */
  variants?: boolean | ReadonlyArray<string | number>;
  /** Model workloads by name: each step, own beside library. */
  workload?: WorkloadName | readonly WorkloadName[];
  /** Their shape fields (each must belong to every workload given). */
  batch?: number;
  input?: number;
  seq?: number;
  layers?: number;
  kv?: number;
  /** A JSON file of PyTorch's figures (scripts/pytorch/models.py): samples/s compared with each workload's. */
  pytorch?: string;
}

/** BenchOptions as the command line gives them ("gemm-bf16-4096,llm-4k", "50"): src/option-text.ts Raw. */
export type RawBenchOptions = Raw<BenchOptions>;

/** One workload's PyTorch figures, as scripts/pytorch/models.py writes them. */
export interface PytorchFigure {
  workload: string;
  batch: number;
  input?: number;
  seq?: number;
  layers?: number;
  kv?: number;
  msPerStep: number;
  samplesPerSec: number;
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
  /** Variants of the own kernel timed beside its default (--variants). */
  variants?: KernelVariant[];
  /** Model workloads: samples per step (the batch) and the model FLOPs of a step (src/registry/workloads.ts). */
  samples?: number;
  flopsPerStep?: number;
  /** PyTorch's figures for the same workload and shape (--pytorch). */
  pytorch?: PytorchFigure;
}

export interface BenchConfig {
  entries: BenchEntry[];
  launches: number;
  warmupNs: number;
  device: number;
  seed: number;
}

export const BENCH_DEFAULTS = { launches: 50, warmup: '300ms', device: 0 } as const;

function list(raw: string | ReadonlyArray<string | number>): string[] {
  return (Array.isArray(raw) ? raw : [raw])
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
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

/** Validates `bench` options, typed or as the command line wrote them. Throws OptionError. */
export function resolveBenchConfig(options: RawBenchOptions): BenchConfig {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'an object', options);
  const launches = integer('--launches', options.launches ?? BENCH_DEFAULTS.launches, 1, 100_000);
  const warmupNs = parseDuration('--warmup', options.warmup ?? BENCH_DEFAULTS.warmup, 0, 600e9);
  const device = integer('--device', options.device ?? BENCH_DEFAULTS.device, 0, 1023);
  const seed = options.seed === undefined ? randomInt(1, 2 ** 47) : integer('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER);

  let entries: BenchEntry[];
  if (options.workload !== undefined) {
    if (options.kernel !== undefined) throw new OptionError('--workload', 'either --workload or --kernel, not both', options.workload);
    if (options.shape !== undefined)
      throw new OptionError('--shape', 'no --shape with --workload (its fields are --batch, --input, --seq, --layers, --kv)', options.shape);
    const names = list(options.workload);
    if (names.length === 0) throw new OptionError('--workload', `one or more of ${WORKLOAD_NAMES.join(', ')}`, options.workload);
    entries = names.map((name) => {
      if (!isWorkload(name)) throw new OptionError('--workload', `one of ${WORKLOAD_NAMES.join(', ')}`, name);
      return workloadEntry(name, workloadShape(name, options));
    });
    if (options.preset !== undefined) entries.push(...presetEntries(options.preset));
  } else if (options.kernel !== undefined) {
    if (options.preset !== undefined) throw new OptionError('--kernel', 'either --preset or --kernel, not both', options.kernel);
    const kernel = typeof options.kernel === 'string' ? benchKernel(options.kernel) : undefined;
    if (!kernel) throw new OptionError('--kernel', `one of ${BENCH_KERNELS.map((k) => k.name).join(', ')}`, options.kernel);
    if (options.shape === undefined) throw new OptionError('--shape', `${kernel.dims.join(',')} for ${kernel.name}`, undefined);
    const shape = parseShape(options.shape, kernel.dims, kernel.name);
    const problem = sizeProblem(kernel.name, shape);
    if (problem) throw new OptionError('--shape', problem.replace(/, got .*$/, ''), options.shape);
    const dtype = options.dtype ?? kernel.dtypes[0]!;
    if (!kernel.dtypes.includes(dtype)) throw new OptionError('--dtype', `one of ${kernel.dtypes.join(', ')} for ${kernel.name}`, options.dtype);
    const entry: BenchEntry = {
      name: `${kernel.name}-${dtype}-${shape.join('x')}`,
      about: `${dtype} ${kernel.name} ${shape.join('×')}`,
      kernel: kernel.name,
      dtype,
      shape,
      metric: kernel.metric,
    };
    if (kernel.library) entry.library = kernel.library;
    entries = [entry];
  } else {
    if (options.shape !== undefined) throw new OptionError('--shape', '--shape only with --kernel', options.shape);
    if (options.dtype !== undefined) throw new OptionError('--dtype', '--dtype only with --kernel', options.dtype);
    for (const field of WORKLOAD_FIELDS) {
      if (options[field] !== undefined) throw new OptionError(`--${field}`, `--${field} only with --workload`, options[field]);
    }
    entries = options.preset === undefined ? BENCH_PRESETS.map((p) => presetEntries(p.name)[0]!) : presetEntries(options.preset);
  }
  if (options.variants !== undefined && options.variants !== false) selectVariants(entries, options.variants);
  if (options.pytorch !== undefined) attachPytorch(entries, readPytorch(options.pytorch));
  return { entries, launches, warmupNs, device, seed };
}

const WORKLOAD_FIELDS = ['batch', 'input', 'seq', 'layers', 'kv'] as const;

/** The entries of --preset names (any registry preset: a kernel's shape or a workload's). */
function presetEntries(raw: string | readonly string[]): BenchEntry[] {
  const names = list(raw);
  if (names.length === 0) throw new OptionError('--preset', `one or more of ${BENCH_PRESET_NAMES.join(', ')}`, raw);
  return names.map((name) => {
    const preset = benchPreset(name);
    if (!preset) throw new OptionError('--preset', `one of ${BENCH_PRESET_NAMES.join(', ')}`, name);
    if (isWorkload(preset.kernel)) return { ...workloadEntry(preset.kernel, preset.shape), name: preset.name, about: preset.about };
    const kernel = benchKernel(preset.kernel)!;
    const entry: BenchEntry = {
      name: preset.name,
      about: preset.about,
      kernel: preset.kernel,
      dtype: preset.dtype,
      shape: [...preset.shape],
      metric: kernel.metric,
    };
    if (kernel.library) entry.library = kernel.library;
    return entry;
  });
}

/** A workload's shape: its defaults with each field option given replacing its field. */
function workloadShape(name: WorkloadName, options: RawBenchOptions): number[] {
  const def = WORKLOADS[name];
  for (const field of WORKLOAD_FIELDS) {
    if (options[field] !== undefined && !def.fields.some((f) => f.name === field))
      throw new OptionError(`--${field}`, `no --${field} with ${name} (its fields: ${def.fields.map((f) => `--${f.name}`).join(', ')})`, options[field]);
  }
  const shape = def.fields.map((f, i) => {
    const raw = options[f.name];
    if (raw === undefined) return def.defaults[i]!;
    const v = decimalValue(raw, 'integer');
    if (v === undefined) throw new OptionError(`--${f.name}`, `${fieldRule(f)} for ${name}`, raw);
    return v;
  });
  const problem = workloadShapeProblem(name, shape);
  if (problem) {
    const field = def.fields.find((f) => problem.startsWith(`${name} ${f.name} `));
    throw new OptionError(`--${field?.name ?? 'batch'}`, `${field ? fieldRule(field) : 'a valid shape'} for ${name}`, options[field?.name ?? 'batch']);
  }
  return shape;
}

function workloadEntry(name: WorkloadName, shape: readonly number[]): BenchEntry {
  const def = WORKLOADS[name];
  return {
    name: `${name}-${shape.join('x')}`,
    about: `${def.standsFor}; ${def.fields.map((f, i) => `${f.name} ${shape[i]}`).join(', ')}`,
    kernel: name,
    dtype: WORKLOAD_DTYPE,
    shape: [...shape],
    metric: 'flops',
    library: { impl: 'library', label: 'library (cuBLASLt, cuDNN)' },
    samples: workloadSamples(name, shape),
    flopsPerStep: workloadStepFlops(name, shape),
  };
}

/** Reads --pytorch: one figure or a list of them, as scripts/pytorch/models.py writes. */
export function readPytorch(file: string): PytorchFigure[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OptionError('--pytorch', `a readable JSON file written by scripts/pytorch/models.py (${(error as Error).message.split('\n')[0]})`, file);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  for (const item of items) {
    const f = item as Partial<PytorchFigure> | null;
    if (!f || typeof f.workload !== 'string' || typeof f.batch !== 'number' || typeof f.msPerStep !== 'number' || typeof f.samplesPerSec !== 'number')
      throw new OptionError('--pytorch', 'a list of {workload, batch, input|seq|layers+kv, msPerStep, samplesPerSec} (scripts/pytorch/models.py)', file);
  }
  return items as PytorchFigure[];
}

/** Gives each workload entry PyTorch's figure for the same workload and shape, where the file has one. */
function attachPytorch(entries: BenchEntry[], figures: readonly PytorchFigure[]): void {
  for (const entry of entries) {
    if (!isWorkload(entry.kernel)) continue;
    const fields = WORKLOADS[entry.kernel].fields;
    const match = figures.find(
      (f) => f.workload === entry.kernel && fields.every((field, i) => (f as unknown as Record<string, unknown>)[field.name] === entry.shape[i]),
    );
    if (match) entry.pytorch = match;
  }
}

/** What has variants, for messages: "conv (0..8), attention (0..6), gemm bf16/fp16/tf32 (wgmma, mma)". */
function variantsText(kernel?: string): string {
  return Object.entries(KERNEL_VARIANTS)
    .filter(([name]) => kernel === undefined || name === kernel)
    .map(([name, v]) => {
      const names = v.list.map((x) => x.name);
      const numbered = names.every((n, i) => n === String(i));
      return `${name}${v.dtypes ? ` ${v.dtypes.join('/')}` : ''} (${numbered ? `0..${names.length - 1}` : names.join(', ')})`;
    })
    .join(', ');
}

/** Gives each entry whose kernel has variants the ones asked for: all (true), or the names listed. */
function selectVariants(entries: BenchEntry[], raw: true | string | ReadonlyArray<string | number>): void {
  const withVariants = entries.filter((e) => kernelVariants(e.kernel, e.dtype).length > 0);
  if (withVariants.length === 0)
    throw new OptionError('--variants', `workloads of a kernel with variants: ${variantsText()}`, entries.map((e) => e.name).join(','));
  const names = raw === true ? undefined : [...new Set(list(Array.isArray(raw) ? raw.map(String) : raw))];
  if (names !== undefined && names.length === 0) throw new OptionError('--variants', 'a comma-separated list of variants, or no value for all of them', raw);
  for (const entry of withVariants) {
    const all = kernelVariants(entry.kernel, entry.dtype);
    entry.variants =
      names === undefined
        ? [...all]
        : names.map((name) => {
            const v = all.find((x) => x.name === name);
            if (!v) throw new OptionError('--variants', `variants of ${variantsText(entry.kernel)} for ${entry.name}`, name);
            return v;
          });
  }
}

// The sweep's axes → its points: the cartesian product of kernels × sizes × loops × modes (× MPS
// thread percentages, for MPS points) × procs. Every point's options are validated here, before any
// GPU work, with the same checks as a single run.
import { decimalValue, DEFAULTS, MODES, resolveRunConfig, type ModeName, type RawRunOptions, type RunConfig } from '../config.js';
import type { DurationText, Raw } from '../options.js';
import { OptionError } from '../errors.js';
import { parseDevices, type DeviceSpec } from '../fleet/device-pool.js';
import { modesTaking, sharingMode } from '../modes/index.js';
import { isWorkload, WORKLOAD_NAMES } from '../registry/workloads.js';

/** The loops a sweep can vary; an open loop needs arrivals, which a scenario gives. */
export const SWEEP_LOOPS = ['saturate', 'closed'] as const;
export type SweepLoop = (typeof SWEEP_LOOPS)[number];

export const SWEEP_KERNELS = ['gemm', 'probe', ...WORKLOAD_NAMES] as const;
export type SweepKernel = (typeof SWEEP_KERNELS)[number];

/** What a caller may pass to sweep() and planSweep(): each axis one value or a list. */
export interface SweepOptions {
  /** Kernels: gemm, probe or model workloads (default gemm). */
  kernels?: SweepKernel | readonly SweepKernel[];
  /** gemm sizes, e.g. [2048, 8192] (default 4096). */
  sizes?: number | readonly number[];
  /** Model workloads' batches, e.g. [1, 8, 32] (default: each workload's own default). */
  batches?: number | readonly number[];
  /** Clients sharing the GPU (default [1, 2, 4]). */
  procs?: number | readonly number[];
  /** Sharing modes (default timeslice, mps, streams, green). */
  modes?: ModeName | readonly ModeName[];
  /** Client loops: saturate, closed (default saturate); open loops need arrivals: a scenario's. */
  loops?: SweepLoop | readonly SweepLoop[];
  /** MPS points only: one point per active thread percentage, applied to every client (e.g. [50, 100]). */
  mpsThreads?: number | readonly number[];
  /** Per phase, like run's duration: seconds, or "1s" (default 1s). */
  duration?: number | DurationText;
  warmup?: number | DurationText;
  depth?: number;
  traceRecords?: number;
  device?: number;
  /** Run independent points on these devices at once ('all', or [0, 1]); replaces `device`. */
  devices?: 'all' | number | readonly number[];
  seed?: number;
  /** Runs per point, each the point's role alone then shared, interleaved (like run's runs; default 1). */
  runs?: number;
}

/** SweepOptions as the command line gives them ("gemm,probe", "1,2,4"): src/option-text.ts Raw. */
export type RawSweepOptions = Raw<SweepOptions>;

export interface SweepPoint {
  /** Stable name, also the point's file name: gemm-2048-saturate-mps-t50-p4. */
  id: string;
  kernel: string;
  size: number;
  /** Model workloads: the batch of this point (absent: the workload's default). */
  batch?: number;
  procs: number;
  mode: ModeName;
  loop: SweepLoop;
  /** Per-mode options of this point (MPS thread percentage). */
  options: { mpsThreads?: number };
  config: RunConfig;
}

export interface SweepPlan {
  points: SweepPoint[];
  /** The devices to spread the points over (--devices), checked against the machine's when the sweep starts. */
  devices?: DeviceSpec;
  /** The options as given, for the summary. */
  axes: { kernels: string[]; sizes: number[]; batches?: number[]; procs: number[]; modes: ModeName[]; loops: SweepLoop[]; mpsThreads?: number[] };
}

export const SWEEP_DEFAULTS = {
  kernels: ['gemm'],
  sizes: [4096],
  procs: [1, 2, 4],
  modes: ['timeslice', 'mps', 'streams', 'green'] as ModeName[],
  loops: ['saturate'],
  duration: '1s',
  warmup: '200ms',
  traceRecords: 500_000,
};

function items(option: string, raw: unknown, fallback: unknown[]): unknown[] {
  if (raw === undefined) return fallback;
  const values = Array.isArray(raw) ? raw : typeof raw === 'number' ? [raw] : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()) : [];
  if (values.length === 0 || values.some((v) => v === '')) throw new OptionError(option, 'a comma-separated list', raw);
  return [...new Set(values)];
}

function ints(option: string, raw: unknown, fallback: number[], min: number, max: number): number[] {
  return items(option, raw, fallback).map((v) => {
    const n = decimalValue(v, 'integer');
    if (n === undefined || n < min || n > max) throw new OptionError(option, `integers in ${min}..${max}, comma-separated`, raw);
    return n;
  });
}

function names<T extends string>(option: string, raw: unknown, fallback: readonly T[], valid: readonly T[]): T[] {
  return items(option, raw, [...fallback]).map((v) => {
    if (typeof v !== 'string' || !(valid as readonly string[]).includes(v)) throw new OptionError(option, `a list of ${valid.join(', ')}`, raw);
    return v as T;
  });
}

/** The sweep's points, every one validated (OptionError); the options typed or as the command line wrote them. */
export function planSweep(options: RawSweepOptions): SweepPlan {
  // Sizes are gemm's; the other kernels join the sweep once it has a shape axis.
  const kernels = names('--kernels', options.kernels, SWEEP_DEFAULTS.kernels as SweepKernel[], SWEEP_KERNELS);
  const sizes = ints('--sizes', options.sizes, SWEEP_DEFAULTS.sizes, 1, 32768);
  const batches = options.batches === undefined ? undefined : ints('--batches', options.batches, [], 1, 4096);
  if (batches && !kernels.some((k) => isWorkload(k)))
    throw new OptionError('--batches', `--batches only when --kernels includes a model workload (${WORKLOAD_NAMES.join(', ')})`, options.batches);
  const procs = ints('--procs', options.procs, SWEEP_DEFAULTS.procs, 1, 64);
  const modes = names('--modes', options.modes, SWEEP_DEFAULTS.modes, MODES);
  const loops = names('--loops', options.loops, SWEEP_DEFAULTS.loops as SweepLoop[], SWEEP_LOOPS);
  const mpsThreads = options.mpsThreads === undefined ? undefined : ints('--mps-threads', options.mpsThreads, [], 1, 100);
  // The thread-percentage axis applies to the modes that take --mps-threads (MPS).
  const threadModes = modesTaking('mpsThreads');
  if (mpsThreads && !modes.some((m) => threadModes.includes(m))) {
    throw new OptionError('--mps-threads', `--mps-threads only when --modes includes ${threadModes.join(' or ')}`, options.mpsThreads);
  }

  const common: RawRunOptions = {
    duration: options.duration ?? SWEEP_DEFAULTS.duration,
    warmup: options.warmup ?? SWEEP_DEFAULTS.warmup,
    traceRecords: options.traceRecords ?? SWEEP_DEFAULTS.traceRecords,
  };
  if (options.depth !== undefined) common.depth = options.depth;
  if (options.device !== undefined) common.device = options.device;
  if (options.runs !== undefined) common.runs = options.runs;
  const devices = options.devices === undefined ? undefined : parseDevices(options.devices);
  if (devices && options.device !== undefined) throw new OptionError('--devices', '--devices or --device, not both', options.devices);
  // One seed for the whole sweep: every point draws the same inputs.
  common.seed = options.seed ?? resolveRunConfig({}).seed;

  const points: SweepPoint[] = [];
  for (const kernel of kernels) {
    // One point per size (gemm) or per batch (model workloads, with --batches); one for the others.
    const steps: Array<{ size: number; batch?: number }> =
      kernel === 'gemm'
        ? sizes.map((size) => ({ size }))
        : isWorkload(kernel) && batches
          ? batches.map((batch) => ({ size: DEFAULTS.size, batch }))
          : [{ size: DEFAULTS.size }];
    for (const { size, batch } of steps) {
      for (const loop of loops) {
        for (const mode of modes) {
          const variants: Array<number | undefined> = threadModes.includes(mode) && mpsThreads ? mpsThreads : [undefined];
          for (const threads of variants) {
            for (const p of procs) {
              const run: RawRunOptions = { ...common, kernel, procs: p, mode, loop };
              if (kernel === 'gemm') run.size = size;
              if (batch !== undefined) run.batch = batch;
              if (loop === 'closed') delete run.depth;
              if (threads !== undefined) run.mpsThreads = threads;
              const config = resolveRunConfig(run);
              const id = [
                kernel,
                kernel === 'gemm' ? size : undefined,
                batch !== undefined ? `b${batch}` : undefined,
                loop,
                mode,
                threads !== undefined ? `t${threads}` : undefined,
                `p${p}`,
              ]
                .filter((x) => x !== undefined)
                .join('-');
              const point: SweepPoint = { id, kernel, size, procs: p, mode, loop, options: threads !== undefined ? { mpsThreads: threads } : {}, config };
              if (batch !== undefined) point.batch = batch;
              points.push(point);
            }
          }
        }
      }
    }
  }
  const axes: SweepPlan['axes'] = { kernels, sizes, procs, modes, loops };
  if (batches) axes.batches = batches;
  if (mpsThreads) axes.mpsThreads = mpsThreads;
  return devices ? { points, axes, devices } : { points, axes };
}

/** Points that share a solo baseline: same kernel, size, loop and inputs, and where the mode runs it (MIG: alone on a MIG device). */
export function baselineKey(point: SweepPoint): string {
  return [point.kernel, point.size, point.batch ?? '', point.loop, point.config.clients[0]!.depth, sharingMode(point.mode).traits.soloOn].join('-');
}

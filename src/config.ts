// Options -> one validated configuration. Every check happens here, before any GPU work, and a
// failure is an OptionError naming the option and what was expected. The native side trusts this.
import { randomInt } from 'node:crypto';
import { OptionError } from './errors.js';
import {
  findPreset,
  GEMM_DTYPES,
  GEMM_IMPLS,
  GEMM_MAX_DIM,
  isKernelFamily,
  isWorkload,
  KERNEL_DTYPES,
  KERNEL_IMPLS,
  KERNEL_PRESETS,
  kernelInfo,
  shapeProblem,
  WORKLOAD_DTYPE,
  WORKLOAD_IMPLS,
  WORKLOADS,
  fieldRule,
  type KernelPreset,
  type WorkloadField,
  type WorkloadName,
} from './registry/index.js';
import { expectedRequests, MAX_SCHEDULED, parseArrival } from './clients/arrival.js';
import { parseSlos } from './clients/slo.js';
import { type RawClientOptions, type ClientSpec, clientSpecs, type Knobs, parseClientFlag, ROLE_NAME } from './clients/spec.js';
import { modeOptions, modesTaking, modesWhere, sharingMode, type ModeConfig } from './modes/index.js';
import { parsePriorities } from './modes/streams.js';
import { probeShape } from './registry/probe-state.js';
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
  type RawRunOptions,
  parseSize,
} from './options.js';

export { decimal, decimalValue, integer, KERNELS, LOOPS, MAX_PROCS, MODES, parseSize } from './options.js';
export type { Kernel, LoopKind, ModeName, Priority, RawRunOptions, RunConfig, RunOptions } from './options.js';
export { clientMemoryBytes, probeGapCapacity } from './registry/memory.js';
/** gemm's element types and implementations (the other kernels' and the workloads': src/registry/). */
export { GEMM_DTYPES, GEMM_IMPLS } from './registry/index.js';

/** probe()'s defaults where they differ from a run's (src/probe.ts). */
export const PROBE_DEFAULTS = { procs: 2, duration: '3s', baseline: false } as const;

/** --runs at most: each run measures every role alone and the shared phase again. */
export const MAX_RUNS = 100;

/** Requests an open-loop client keeps in flight at most, unless its spec says otherwise. */
export const OPEN_LOOP_DEPTH = 64;

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
function resolveModeOptions(options: RawRunOptions, procs: number): { mode: ModeName } & ModeConfig {
  const mode = oneOf('--mode', options.mode ?? DEFAULTS.mode, MODES);
  for (const { key, flag } of modeOptions()) {
    const takers = modesTaking(key);
    if (options[key] !== undefined && !takers.includes(mode)) {
      throw new OptionError(flag, `${flag} only with --mode ${takers.join(' or --mode ')} (the mode is ${mode})`, options[key]);
    }
  }
  return { mode, ...sharingMode(mode).resolveOptions(options, procs) };
}

function numberList(option: string, raw: unknown, what: string): number[] {
  return list(option, raw, what).map((v) => {
    const n = decimalValue(v, 'integer');
    if (n === undefined) throw new OptionError(option, what, raw);
    return n;
  });
}

/** The kernel's shape, implementation and element type, checked. */
function resolveWorkload(
  kernel: Kernel,
  options: WorkloadOptions,
  size: number,
  presetShape?: readonly number[],
  presetDtype?: string,
): Pick<ClientSpec, 'shape' | 'impl' | 'dtype'> {
  if (isWorkload(kernel)) return resolveModelWorkload(kernel, options, presetShape);
  for (const field of WORKLOAD_FIELD_OPTIONS) {
    if (options[field] !== undefined)
      throw new OptionError(`--${field}`, `--${field} only with a model workload (${Object.keys(WORKLOADS).join(', ')}), not ${kernel}`, options[field]);
  }
  if (kernel === 'probe') {
    for (const option of ['shape', 'impl', 'dtype'] as const) {
      if (options[option] !== undefined && !(option === 'impl' && options.impl === 'own'))
        throw new OptionError(`--${option}`, `no --${option} with the probe kernel`, options[option]);
    }
    return { shape: probeShape(options), impl: 'own', dtype: 'none' };
  }
  for (const option of ['smem', 'threads', 'regs'] as const) {
    if (options[option] !== undefined)
      throw new OptionError(`--${option}`, `--${option} only with the probe kernel (what each probe CTA holds)`, options[option]);
  }
  if (kernel === 'gemm') {
    if (options.size !== undefined && options.shape !== undefined) throw new OptionError('--shape', 'either --size or --shape, not both', options.shape);
    const what = `m,n,k: three integers in 1..${GEMM_MAX_DIM}`;
    const shape = presetShape ? [...presetShape] : options.shape === undefined ? [size, size, size] : numberList('--shape', options.shape, what);
    if (shape.length !== 3 || shape.some((d) => d < 1 || d > GEMM_MAX_DIM)) throw new OptionError('--shape', what, options.shape);
    return { shape, impl: oneOf('--impl', options.impl ?? 'own', GEMM_IMPLS), dtype: oneOf('--dtype', options.dtype ?? presetDtype ?? 'bf16', GEMM_DTYPES) };
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
      ? [...findPreset(kernelInfo(kernel)!.defaultPreset!)!.shape]
      : numberList('--shape', options.shape, `the ${kernel} shape as comma-separated integers`);
  const problem = shapeProblem(kernel, shape, impl);
  if (problem) throw new OptionError('--shape', problem.replace(/, got .*$/, ''), shape.join(','));
  return { shape, impl, dtype: KERNEL_DTYPES[kernel] };
}

/** A model workload's shape fields as options (--batch, --input, --seq, --layers, --kv). */
const WORKLOAD_FIELD_OPTIONS = ['batch', 'input', 'seq', 'layers', 'kv'] as const satisfies ReadonlyArray<WorkloadField['name']>;

/** A model workload's shape (from its preset or defaults, each field option replacing its field), implementation and dtype. */
function resolveModelWorkload(name: WorkloadName, options: WorkloadOptions, presetShape?: readonly number[]): Pick<ClientSpec, 'shape' | 'impl' | 'dtype'> {
  const def = WORKLOADS[name];
  if (options.size !== undefined) throw new OptionError('--size', `--size only with --kernel gemm (${name} takes ${fieldFlags(def.fields)})`, options.size);
  if (options.shape !== undefined)
    throw new OptionError('--shape', `no --shape with ${name} (its fields are options: ${fieldFlags(def.fields)}, or a --preset)`, options.shape);
  for (const field of WORKLOAD_FIELD_OPTIONS) {
    if (options[field] !== undefined && !def.fields.some((f) => f.name === field))
      throw new OptionError(`--${field}`, `no --${field} with ${name} (its fields: ${fieldFlags(def.fields)})`, options[field]);
  }
  const shape = def.fields.map((f, i) => {
    const raw = options[f.name];
    if (raw === undefined) return (presetShape ?? def.defaults)[i]!;
    const v = decimalValue(raw, 'integer');
    const ok = v !== undefined && (f.values ? f.values.includes(v) : v >= f.min! && v <= f.max!);
    if (!ok) throw new OptionError(`--${f.name}`, `${fieldRule(f)} for ${name}`, raw);
    return v;
  });
  const impl = oneOf('--impl', options.impl ?? 'own', WORKLOAD_IMPLS);
  if (options.dtype !== undefined && options.dtype !== WORKLOAD_DTYPE)
    throw new OptionError('--dtype', `${WORKLOAD_DTYPE} (the only element type of ${name})`, options.dtype);
  return { shape, impl, dtype: WORKLOAD_DTYPE };
}

function fieldFlags(fields: readonly WorkloadField[]): string {
  return fields.map((f) => `--${f.name}`).join(', ');
}

/** What a spec's workload and loop are made of: the top-level options of a single-role run, or one `--client`. */
type SpecOptions = Pick<
  RawRunOptions,
  | 'kernel'
  | 'workload'
  | 'preset'
  | 'size'
  | 'shape'
  | 'impl'
  | 'dtype'
  | 'batch'
  | 'input'
  | 'seq'
  | 'layers'
  | 'kv'
  | 'loop'
  | 'depth'
  | 'arrival'
  | 'slo'
  | 'spinUs'
  | 'gapThresholdUs'
  | 'smem'
  | 'threads'
  | 'regs'
>;
type WorkloadOptions = Pick<SpecOptions, 'shape' | 'impl' | 'dtype' | 'size' | 'smem' | 'threads' | 'regs' | (typeof WORKLOAD_FIELD_OPTIONS)[number]>;
type RunLength = Pick<RunConfig, 'durationNs' | 'launches'>;

/** The loop, its depth and its arrivals, checked together (an arrival process makes an open loop). */
function resolveLoop(options: SpecOptions, length: RunLength): Pick<ClientSpec, 'loop' | 'depth' | 'arrival'> {
  const loop = oneOf('--loop', options.loop ?? (options.arrival !== undefined ? 'open' : DEFAULTS.loop), LOOPS);
  if (loop === 'closed') {
    if (options.depth !== undefined)
      throw new OptionError('--depth', '--depth only with --loop saturate or open (a closed loop keeps one launch in flight)', options.depth);
    if (options.arrival !== undefined) throw new OptionError('--arrival', '--arrival only with --loop open', options.arrival);
    return { loop, depth: 1 };
  }
  if (loop === 'saturate') {
    if (options.arrival !== undefined) throw new OptionError('--arrival', '--arrival only with --loop open', options.arrival);
    return { loop, depth: integer('--depth', options.depth ?? DEFAULTS.depth, 2, 64) };
  }
  if (options.arrival === undefined)
    throw new OptionError('--arrival', 'an arrival process with --loop open: poisson:RATE, constant:RATE or bursty:ON/OFF', undefined);
  const arrival = parseArrival('--arrival', options.arrival);
  if (arrival.kind === 'bursty') return { loop, depth: integer('--depth', options.depth ?? DEFAULTS.depth, 1, 64), arrival };
  const expected = length.launches > 0 ? length.launches : expectedRequests(arrival, length.durationNs);
  if (expected > MAX_SCHEDULED) {
    throw new OptionError(
      '--arrival',
      `at most ${MAX_SCHEDULED.toLocaleString('en-US')} requests per client in one phase (a lower rate or a shorter --duration)`,
      options.arrival,
    );
  }
  return { loop, depth: integer('--depth', options.depth ?? OPEN_LOOP_DEPTH, 1, 1024), arrival };
}

/** One spec's workload, loop and objectives, with errors naming the top-level options. */
/** `--shape NAME` is `--preset NAME`: a shape that is not numbers names a preset. */
function shapeAsPreset(options: SpecOptions): SpecOptions {
  const shape = options.shape;
  if (typeof shape !== 'string' || !/[a-z]/i.test(shape.replace(/x/gi, ''))) return options;
  if (options.preset !== undefined) throw new OptionError('--shape', 'either --shape PRESET or --preset, not both', shape);
  if (!findPreset(shape)) throw new OptionError('--shape', 'comma-separated integers, or the name of a preset (see --list)', shape);
  const { shape: _, ...rest } = options;
  return { ...rest, preset: shape };
}

/** The kernel or workload a spec runs: --workload, --kernel or its preset's (they must agree). */
function specKernel(options: SpecOptions, preset: KernelPreset | undefined): Kernel {
  if (options.workload !== undefined) {
    if (!isWorkload(options.workload)) throw new OptionError('--workload', `one of ${Object.keys(WORKLOADS).join(', ')}`, options.workload);
    if (options.kernel !== undefined && options.kernel !== options.workload)
      throw new OptionError('--kernel', `either --kernel or --workload (or the same name in both)`, options.kernel);
  }
  const asked = options.workload ?? options.kernel;
  if (preset && asked !== undefined && asked !== preset.kernel) {
    const flag = options.workload !== undefined ? '--workload' : '--kernel';
    throw new OptionError(flag, `${preset.kernel} (the ${isWorkload(preset.kernel) ? 'workload' : 'kernel'} of --preset ${preset.name}) or no ${flag}`, asked);
  }
  return oneOf('--kernel', preset?.kernel ?? asked ?? DEFAULTS.kernel, KERNELS);
}

function resolveSpec(given: SpecOptions, role: string, count: number, length: RunLength): ClientSpec {
  const options = shapeAsPreset(given);
  const preset = options.preset === undefined ? undefined : findPreset(String(options.preset));
  if (options.preset !== undefined && !preset) {
    throw new OptionError('--preset', `one of ${KERNEL_PRESETS.map((p) => p.name).join(', ')}`, options.preset);
  }
  if (preset && options.shape !== undefined) throw new OptionError('--shape', 'no --shape with --preset (the preset is a shape)', options.shape);
  if (preset?.kernel === 'gemm' && options.size !== undefined)
    throw new OptionError('--size', 'no --size with a gemm --preset (the preset is a shape)', options.size);
  const kernel = specKernel(options, preset);
  const size = integer('--size', options.size ?? DEFAULTS.size, 1, 32768);
  return {
    role,
    count,
    kernel,
    ...(preset ? { preset: preset.name } : {}),
    size,
    ...resolveWorkload(kernel, options, size, preset?.shape, preset?.dtype),
    ...resolveLoop(options, length),
    ...(options.slo !== undefined ? { slo: parseSlos('--slo', options.slo) } : {}),
    knobs: {},
    spinNs: Math.round(decimal('--spin-us', options.spinUs ?? DEFAULTS.spinUs, 10, 10_000_000) * 1e3),
    gapThresholdNs: Math.round(decimal('--gap-threshold-us', options.gapThresholdUs ?? DEFAULTS.gapThresholdUs, 0.1, 1e6) * 1e3),
  };
}

/** The run-wide options `--client` leaves at the top level; every other per-client option goes inside each --client. */
const PER_CLIENT_OPTIONS = [
  'kernel',
  'workload',
  'procs',
  'preset',
  'size',
  'shape',
  'batch',
  'input',
  'seq',
  'layers',
  'kv',
  'impl',
  'dtype',
  'loop',
  'depth',
  'arrival',
  'slo',
  'mpsThreads',
  'priority',
  'smSplit',
] as const;

/** The --client key of a per-client option where its name differs. */
const INSIDE_CLIENT: Partial<Record<(typeof PER_CLIENT_OPTIONS)[number], string>> = { procs: 'count', smSplit: 'sms' };

/** An OptionError of a --client's field, named as `--client ROLE: key`. */
function inClient(role: string, error: unknown): unknown {
  if (!(error instanceof OptionError)) return error;
  return new OptionError(`--client ${role}: ${error.option.replace(/^--/, '')}`, error.expected, error.received);
}

/** One `--client` (a string or its options) as a spec, with its knobs checked against the mode. */
function resolveClient(raw: string | RawClientOptions, index: number, mode: ModeName, length: RunLength): ClientSpec {
  const o = typeof raw === 'string' ? parseClientFlag(raw) : raw;
  if (o === null || typeof o !== 'object') throw new OptionError('--client', 'a client spec such as role=infer,kernel=gemm,size=1024', raw);
  const role = o.role ?? String(o.workload ?? o.kernel ?? (o.preset ? (findPreset(String(o.preset))?.kernel ?? DEFAULTS.kernel) : DEFAULTS.kernel));
  if (typeof role !== 'string' || !ROLE_NAME.test(role))
    throw new OptionError(`--client ${index + 1}: role`, 'a name of letters, digits, - and _ (up to 32, a letter first)', role);
  try {
    const count = integer('--count', o.count ?? 1, 1, MAX_PROCS);
    // Dimensions are written with x inside a --client ("shape=1024x1024x1024"); a preset name is left alone.
    const shape = typeof o.shape === 'string' && /^[\d\sx]+$/i.test(o.shape) ? o.shape.replace(/x/gi, ',') : o.shape;
    const spec = resolveSpec({ ...o, shape, priority: undefined } as SpecOptions, role, count, length);
    return { ...spec, knobs: resolveKnobs(o, mode) };
  } catch (error) {
    throw inClient(role, error);
  }
}

/** A --client's own knobs of the sharing modes; a knob the mode does not take is an error. */
function resolveKnobs(o: RawClientOptions, mode: ModeName): Knobs {
  const knobs: Knobs = {};
  const only = (key: keyof RawRunOptions, flag: string, raw: unknown) => {
    const takers = modesTaking(key);
    if (!takers.includes(mode)) throw new OptionError(`--${flag}`, `${flag}= only with --mode ${takers.join(' or --mode ')} (the mode is ${mode})`, raw);
  };
  if (o.mpsThreads !== undefined) {
    only('mpsThreads', 'mps-threads', o.mpsThreads);
    knobs.mpsThreads = decimal('--mps-threads', o.mpsThreads, 1, 100);
  }
  if (o.mpsMem !== undefined) {
    only('mpsMem', 'mps-mem', o.mpsMem);
    knobs.mpsMemBytes = parseSize('--mps-mem', o.mpsMem);
  }
  if (o.priority !== undefined) {
    only('priority', 'priority', o.priority);
    knobs.priority = parsePriorities(typeof o.priority === 'number' ? [o.priority] : o.priority, 1)[0]!;
  }
  if (o.sms !== undefined) {
    only('smSplit', 'sms', o.sms);
    knobs.sms = integer('--sms', o.sms, 1, 100_000);
  }
  return knobs;
}

/** The specs of a run given as `--client` values; per-client top-level options are errors. */
function resolveClients(options: RawRunOptions, mode: ModeName, length: RunLength): ClientSpec[] {
  if (!Array.isArray(options.clients) || options.clients.length === 0) throw new OptionError('--client', 'one or more client specs', options.clients);
  for (const key of PER_CLIENT_OPTIONS) {
    const inside = INSIDE_CLIENT[key] ?? kebab(key);
    if (options[key] !== undefined)
      throw new OptionError(`--${kebab(key)}`, `no --${kebab(key)} with --client (give ${inside}= inside each --client)`, options[key]);
  }
  for (const key of ['smem', 'threads', 'regs'] as const) {
    if (options[key] !== undefined)
      throw new OptionError(`--${key}`, `no --${key} with --client (it sets the probe kernel's state, without --client)`, options[key]);
  }
  const specs = options.clients.map((c, i) => resolveClient(c, i, mode, length));
  const roles = new Set<string>();
  for (const s of specs) {
    if (roles.has(s.role)) throw new OptionError('--client', `a different role= for each --client (${s.role} twice)`, s.role);
    roles.add(s.role);
  }
  const procs = specs.reduce((n, s) => n + s.count, 0);
  if (procs > MAX_PROCS) throw new OptionError('--client', `at most ${MAX_PROCS} clients in all`, `${procs} clients`);
  return specs;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The modes' per-client settings made from the specs' knobs (and --mps-mem for every client). */
function knobFields(specs: readonly ClientSpec[], options: RawRunOptions): ModeConfig {
  const clients = clientSpecs(specs);
  const out: ModeConfig = {};
  const memAll = options.mpsMem !== undefined ? parseSize('--mps-mem', options.mpsMem) : undefined;
  const mps: NonNullable<RunConfig['mps']> = {};
  if (options.mpsPipe !== undefined) mps.pipe = sharingMode('mps').resolveOptions({ mpsPipe: options.mpsPipe }, 1).mps?.pipe;
  if (clients.some((c) => c.knobs.mpsThreads !== undefined)) mps.threads = clients.map((c) => c.knobs.mpsThreads ?? 100);
  if (memAll !== undefined || clients.some((c) => c.knobs.mpsMemBytes !== undefined)) mps.memBytes = clients.map((c) => c.knobs.mpsMemBytes ?? memAll ?? 0);
  if (Object.keys(mps).length > 0) out.mps = mps;
  if (clients.some((c) => c.knobs.priority !== undefined)) out.priorities = clients.map((c) => c.knobs.priority ?? 'low');
  const withSms = specs.filter((s) => s.knobs.sms !== undefined);
  if (withSms.length > 0 && withSms.length < specs.length) {
    const missing = specs.find((s) => s.knobs.sms === undefined)!;
    throw new OptionError(`--client ${missing.role}: sms`, 'sms= for every role or for none (green contexts split all the SMs at once)', undefined);
  }
  if (withSms.length > 0) out.smSplit = clients.map((c) => c.knobs.sms!);
  return out;
}

/** --profile-layers needs a model workload in at least one role (a kernel has no layers). */
function profileLayers(clients: readonly ClientSpec[]): true {
  if (!clients.some((c) => isWorkload(c.kernel)))
    throw new OptionError(
      '--profile-layers',
      `a model workload (${Object.keys(WORKLOADS).join(', ')}) in at least one role`,
      clients.map((c) => c.kernel).join(','),
    );
  return true;
}

/** Validates options for run() (and, with kernel "probe", probe()), typed or as the command line wrote them. Throws OptionError. */
export function resolveRunConfig(options: RawRunOptions): RunConfig {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'an object', options);
  if (options.duration !== undefined && options.launches !== undefined) {
    throw new OptionError('--launches', 'either --duration or --launches, not both', options.launches);
  }
  const launches = options.launches === undefined ? 0 : integer('--launches', options.launches, 1, 1e9);
  const durationNs = launches > 0 ? 0 : parseDuration('--duration', options.duration ?? DEFAULTS.duration, 50e6, 3600e9);
  const length = { durationNs, launches };
  let clients: ClientSpec[];
  let modeFields: { mode: ModeName } & ModeConfig;
  if (options.clients !== undefined) {
    const mode = oneOf('--mode', options.mode ?? DEFAULTS.mode, MODES);
    clients = resolveClients(options, mode, length);
    modeFields = { mode, ...knobFields(clients, options) };
  } else {
    // One role of `procs` identical clients, named after its kernel.
    const procs = integer('--procs', options.procs ?? DEFAULTS.procs, 1, MAX_PROCS);
    const spec = resolveSpec(options, 'client', procs, length);
    clients = [{ ...spec, role: spec.kernel }];
    modeFields = resolveModeOptions(options, procs);
  }
  if (options.baseline !== undefined && typeof options.baseline !== 'boolean') {
    throw new OptionError('--baseline', 'true or false', options.baseline);
  }
  const device = integer('--device', options.device ?? DEFAULTS.device, 0, 1023);
  const warmupNs = parseDuration('--warmup', options.warmup ?? DEFAULTS.warmup, 0, 600e9);
  const traceRecords = integer('--trace-records', options.traceRecords ?? DEFAULTS.traceRecords, 0, 500_000_000);
  const seed = options.seed === undefined ? randomInt(1, 2 ** 47) : integer('--seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
  const sampleMs = integer('--sample-ms', options.sampleMs ?? 50, 0, 10_000);
  const runs = integer('--runs', options.runs ?? 1, 1, MAX_RUNS);
  for (const [option, value] of [
    ['--cupti', options.cupti],
    ['--pm-sampling', options.pmSampling],
    ['--profile-layers', options.profileLayers],
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
    clients,
    procs: clients.reduce((n, s) => n + s.count, 0),
    durationNs,
    launches,
    baseline: options.baseline ?? true,
    device,
    warmupNs,
    traceRecords,
    seed,
    ...modeFields,
    observe: { sampleMs, cupti: options.cupti === true, pmSampling: options.pmSampling === true },
    ...(options.profileLayers ? { profileLayers: profileLayers(clients) } : {}),
    ...(runs > 1 ? { runs } : {}),
  };
}

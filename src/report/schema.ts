// The result file's schema (schema "gpushare-micro/run", version 2), written with zod: the one
// definition of the file. The parts computed elsewhere have their fragment beside the code that
// computes them (summaries, distributions, the switch analysis, occupancy, the observers' records,
// the run's options); this file puts them together.
//
// Two schemas, one derived from the other here: writtenRunResultSchema is what this version writes,
// and the types run() builds (RunResult, PhaseResult, ClientReport, Environment, ClockState) are
// inferred from it; runResultSchema is what a reader accepts (the report, the tests, and
// docs/result.schema.json): the same, with the few fields older files lack made optional and the
// names a reader only prints read as any string.
import { z } from 'zod';
import { COMPUTE_MODES } from '../binding/contract.js';
import { traceSourceSchema } from '../metrics/evidence.js';
import { layerGrowthSchema, layerTimingSchema } from '../metrics/layers.js';
import { occupancySchema } from '../metrics/occupancy.js';
import { repeatsSchema } from '../metrics/repeats.js';
import { summarySchema as summary } from '../metrics/summary.js';
import { switchAnalysisSchema } from '../metrics/switches.js';
import { deviceObservationSchema, kernelActivitySchema } from '../observe/schema.js';
import { sloOutcomeSchema } from '../clients/slo.js';
import { clientSpecSchema } from '../clients/spec.js';
import { MODES, runConfigSchema } from '../options.js';
import { CLIENT_STATUSES } from '../orchestrator/orchestrator.js';
import { checkFile, type FileCheck } from './check.js';

export const RESULT_SCHEMA = 'gpushare-micro/run';
/** 2: the run is a list of client specs (options.clients), each role has its own baseline (baselines) and
 * figures (roles), clients say their role, open loops record their schedule. Version 1 files are read and
 * upgraded (upgradeRunResult). */
export const RESULT_SCHEMA_VERSION = 2;

const client = z.object({
  client: z.number().int().nonnegative(),
  /** The role (client spec) it plays. */
  role: z.string(),
  pid: z.number().int().optional(),
  status: z.enum(CLIENT_STATUSES),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
  stderr: z.string().optional(),
  error: z.object({ message: z.string(), code: z.string().optional(), cudaError: z.string().optional() }).optional(),
  launches: z.number().int().nonnegative(),
  elapsedNs: z.number().nonnegative(),
  /** Host clock offset of this client's first launch from the earliest client's. */
  startOffsetNs: z.number().optional(),
  summaries: z.array(summary),
  tracedLaunches: z.number().int().nonnegative(),
  gapsObserved: z.number().int().nonnegative(),
  /** What its switch and SM figures rest on (src/metrics/evidence.ts): every kernel's CTA records, some kernels', CUPTI's kernel records, or nothing; absent in files made before it and for a client that did not finish. */
  trace: traceSourceSchema.optional(),
  /** SMs the client could use (its green context's, or the device's). */
  smsAvailable: z.number().int().optional(),
  /** The priority its stream got. */
  streamPriority: z.number().int().optional(),
  /** CUPTI's record of the client's kernels (with --cupti, one client per process). */
  kernelActivity: kernelActivitySchema.optional(),
  /** Every launch: enqueue time (from the client's start), host latency (from the scheduled arrival in an
   * open loop), GPU time (events), and in an open loop the scheduled arrival (from the client's start). */
  samples: z.object({
    enqueueNs: z.array(z.number()),
    latencyNs: z.array(z.number()),
    gpuNs: z.array(z.number()),
    scheduledNs: z.array(z.number()).optional(),
  }),
  /** Open loops: requests scheduled within the phase that never started (the client could not keep up). */
  notStarted: z.number().int().nonnegative().optional(),
  /** Model workloads with --profile-layers: each (layer, phase)'s duration per timed step. */
  layers: z.array(layerTimingSchema).optional(),
  /** Model workloads: the device memory the model's graph allocated (weights, activations, gradients, state). */
  deviceBytes: z.number().nonnegative().optional(),
  /** What each CTA of its kernel held on its SM (what a switch saves and restores), where the workload knows it (always for the probe). */
  resident: z
    .object({
      threadsPerCta: z.number().int().positive(),
      registersPerThread: z.number().int().nonnegative(),
      sharedBytesPerCta: z.number().int().nonnegative(),
    })
    .optional(),
});
export type ClientReport = z.infer<typeof client>;

const phase = z.object({
  label: z.enum(['baseline', 'shared']),
  procs: z.number().int().min(1),
  complete: z.boolean(),
  reason: z.string().optional(),
  device: z.object({ name: z.string(), smCount: z.number().int(), ctasPerLaunch: z.number().int() }).optional(),
  clients: z.array(client),
  aggregate: z.array(summary),
  switches: switchAnalysisSchema,
  /** The %globaltimer reading (ns, a decimal string) that the traces' times are after: the switches', the occupancy's (absent before it was recorded). */
  traceEpochGpuNs: z.string().regex(/^\d+$/, 'an integer in a string (nanoseconds)').optional(),
  /** What the device did meanwhile (NVML, GPM, PM sampling), over the clients' measured window. */
  observation: deviceObservationSchema.optional(),
  /** SM occupancy from the CTA traces over the switch analysis's window (absent when none was traced, and under MIG). */
  occupancy: occupancySchema.optional(),
});
export type PhaseResult = z.infer<typeof phase>;

const clocks = z.object({
  at: z.string(),
  smClockMHz: z.number().optional(),
  memClockMHz: z.number().optional(),
  temperatureC: z.number().optional(),
  powerW: z.number().optional(),
  clocksEventReasons: z.number().optional(),
});
export type ClockState = z.infer<typeof clocks>;

/** One role's solo baseline: the role's workload alone, one client. */
const roleBaseline = z.object({ role: z.string(), phase });

/** One role's figures in the shared phase: its clients together, against its own baseline, and its objectives. */
const roleReport = z.object({
  role: z.string(),
  clients: z.array(z.number().int().nonnegative()),
  summaries: z.array(summary),
  slo: z.array(sloOutcomeSchema).optional(),
  /** Model workloads with --profile-layers: every (layer, phase) alone against shared, the most grown first. */
  layers: z.array(layerGrowthSchema).optional(),
});
export type RoleReport = z.infer<typeof roleReport>;

const environment = z.object({
  tool: z.object({ name: z.literal('gpushare-micro'), version: z.string() }),
  node: z.string(),
  platform: z.string(),
  hostname: z.string(),
  addon: z.object({ version: z.string(), napiVersion: z.number(), cudaRuntimeVersion: z.number(), cudaArchitectures: z.string(), intervalBytes: z.number() }),
  driverVersion: z.string().optional(),
  cudaDriverVersion: z.number(),
  cudaRuntimeVersion: z.number(),
  gpu: z.object({
    index: z.number().int(),
    name: z.string(),
    uuid: z.string(),
    pciBusId: z.string(),
    computeCapability: z.string(),
    smCount: z.number().int(),
    memoryBytes: z.number(),
    l2Bytes: z.number(),
    sharedMemoryPerSmBytes: z.number(),
    computeMode: z.enum(COMPUTE_MODES),
    streamPriorities: z.object({ least: z.number().int(), greatest: z.number().int() }).optional(),
    maxSmClockMHz: z.number().optional(),
    migEnabled: z.boolean().optional(),
    persistenceMode: z.boolean().optional(),
  }),
  clocksStart: clocks,
  clocksEnd: clocks.optional(),
  nvml: z.object({ available: z.boolean(), reason: z.string().optional() }),
});
export type Environment = z.infer<typeof environment>;

/** What this version writes; RunResult is inferred from it. */
export const writtenRunResultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA),
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  createdAt: z.string(),
  /** The command line that made it, when run from the CLI. */
  command: z.array(z.string()).optional(),
  /** Sharing mode: how the clients share the GPU. */
  mode: z.enum(MODES),
  /** What the mode set up: the MPS pipe, the SM split asked for, the MIG devices, ... */
  modeFacts: z.record(z.string(), z.unknown()).optional(),
  options: runConfigSchema,
  environment,
  /** Each role alone, measured first (empty with baseline: false). */
  baselines: z.array(roleBaseline),
  shared: phase,
  /** Per role: its clients' figures together, against the role's baseline, and its SLOs. */
  roles: z.array(roleReport),
  /** Shared against solo: aggregate throughput ratio, the worst client's slowdown, fairness. */
  comparison: z.array(summary),
  complete: z.boolean(),
  reason: z.string().optional(),
  /** What a reader must know before trusting the figures: sources that disagree, figures left out and why. */
  warnings: z.array(z.object({ tag: z.string(), message: z.string() })).optional(),
  /** With --runs N (2 or more): how the runs were made into one result, every run's headline figures, the outliers. */
  repeats: repeatsSchema.optional(),
});
export type RunResult = z.infer<typeof writtenRunResultSchema>;

// What a reader accepts beyond what this version writes, all of it here: version 1 files (one kernel, one
// baseline; upgraded on reading), the switch analysis of files written before some fields existed, and
// names a reader only prints (a kernel or a compute mode that another version knows).
const readSpec = clientSpecSchema.extend({ kernel: z.string() });
const readOptions = runConfigSchema.partial({ mode: true, observe: true }).extend({ clients: z.array(readSpec).min(1) });
const readClient = client.partial({ role: true });
const readPhase = phase.extend({ clients: z.array(readClient), switches: switchAnalysisSchema.partial({ kind: true, coRunningFraction: true }) });
const readEnvironment = environment.extend({ gpu: environment.shape.gpu.extend({ computeMode: z.string() }) });

/** Every result file of version 2 this version reads. */
export const runResultSchema = writtenRunResultSchema.extend({
  options: readOptions,
  environment: readEnvironment,
  baselines: z.array(z.object({ role: z.string(), phase: readPhase })),
  shared: readPhase,
});

/** Version 1 files: one kernel for every client, in the options, and one baseline. */
const v1Options = z.object({
  kernel: z.string(),
  procs: z.number().int().min(1),
  size: z.number().int().positive(),
  shape: z.array(z.number().int().nonnegative()).optional(),
  impl: z.string().optional(),
  dtype: z.string().optional(),
  loop: z.enum(['saturate', 'closed']),
  depth: z.number().int().positive(),
  spinNs: z.number().positive(),
  gapThresholdNs: z.number().positive(),
  mps: z.object({ pipe: z.string().optional(), threads: z.array(z.number()).optional(), memBytes: z.number().optional() }).optional(),
});
const v1RunResultSchema = runResultSchema.omit({ baselines: true, roles: true }).extend({
  schemaVersion: z.literal(1),
  options: runConfigSchema.omit({ clients: true, mps: true }).partial({ mode: true, observe: true }).extend(v1Options.shape),
  baseline: readPhase.optional(),
});

export type RunResultJson = z.infer<typeof runResultSchema>;

/** Every result file this version reads, either version: docs/result.schema.json is generated from it. */
export const anyRunResultSchema = z.union([runResultSchema, v1RunResultSchema]);

/** A version 1 result as version 2 writes it: one role named after the kernel, its baseline, no role figures. */
export function upgradeRunResult(r: z.infer<typeof anyRunResultSchema>): RunResultJson {
  if (r.schemaVersion === RESULT_SCHEMA_VERSION) return r as RunResultJson;
  const v1 = r as z.infer<typeof v1RunResultSchema>;
  const { kernel, size, shape, impl, dtype, loop, depth, spinNs, gapThresholdNs, mps, ...rest } = v1.options;
  const baseline = v1.baseline;
  const role = kernel;
  const spec = {
    role,
    count: v1.options.procs,
    kernel,
    size,
    shape: shape ?? [size, size, size],
    impl: impl ?? 'own',
    dtype: dtype ?? 'bf16',
    loop,
    depth,
    knobs: {},
    spinNs,
    gapThresholdNs,
  };
  const { baseline: _old, ...result } = v1;
  const withRole = <P extends { clients: Array<{ role?: string }> }>(p: P): P => ({ ...p, clients: p.clients.map((c) => ({ ...c, role })) });
  return {
    ...result,
    schemaVersion: RESULT_SCHEMA_VERSION,
    options: {
      ...rest,
      clients: [spec],
      ...(mps ? { mps: { ...mps, ...(mps.memBytes !== undefined ? { memBytes: Array.from({ length: v1.options.procs }, () => mps.memBytes!) } : {}) } } : {}),
    },
    baselines: baseline ? [{ role, phase: withRole(baseline) }] : [],
    shared: withRole(v1.shared),
    roles: [],
  } as RunResultJson;
}

/** Checks a parsed result file of either version and upgrades it: the data, or its first problem in one line. */
export function readRunResult(value: unknown): FileCheck<RunResultJson> & { version: number } {
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion === 1 ? 1 : RESULT_SCHEMA_VERSION;
  const parsed = version === 1 ? checkFile(v1RunResultSchema, value) : checkFile(runResultSchema, value);
  return parsed.success ? { success: true, data: upgradeRunResult(parsed.data), version } : { ...parsed, version };
}

/** Checks a parsed result file (either version) and upgrades it; throws with every problem listed (the first only, where there are too many to collect). */
export function validateRunResult(value: unknown): RunResultJson {
  const read = readRunResult(value);
  if (!read.success) throw new Error(`not a gpushare-micro/run v${read.version} result:\n${z.prettifyError(read.error)}`);
  return read.data;
}

/** The schema as JSON Schema (docs/result.schema.json is generated from it). */
export function runResultJsonSchema(): unknown {
  return z.toJSONSchema(anyRunResultSchema);
}

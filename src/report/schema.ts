// The result file's schema (schema "gpushare-micro/run", version 1), written with zod: the one
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
import { occupancySchema } from '../metrics/occupancy.js';
import { summarySchema as summary } from '../metrics/summary.js';
import { switchAnalysisSchema } from '../metrics/switches.js';
import { deviceObservationSchema, kernelActivitySchema } from '../observe/schema.js';
import { MODES, runConfigSchema } from '../options.js';
import { CLIENT_STATUSES } from '../orchestrator/orchestrator.js';
import { checkFile } from './check.js';

export const RESULT_SCHEMA = 'gpushare-micro/run';
export const RESULT_SCHEMA_VERSION = 1;

const client = z.object({
  client: z.number().int().nonnegative(),
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
  /** SMs the client could use (its green context's, or the device's). */
  smsAvailable: z.number().int().optional(),
  /** The priority its stream got. */
  streamPriority: z.number().int().optional(),
  /** CUPTI's record of the client's kernels (with --cupti, one client per process). */
  kernelActivity: kernelActivitySchema.optional(),
  /** Every launch: enqueue time (from the client's start), host latency, GPU time (events). */
  samples: z.object({ enqueueNs: z.array(z.number()), latencyNs: z.array(z.number()), gpuNs: z.array(z.number()) }),
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
  /** The kernel alone, measured first (absent with baseline: false). */
  baseline: phase.optional(),
  shared: phase,
  /** Shared against solo: aggregate throughput ratio, the worst client's slowdown, fairness. */
  comparison: z.array(summary),
  complete: z.boolean(),
  reason: z.string().optional(),
});
export type RunResult = z.infer<typeof writtenRunResultSchema>;

// What a reader accepts beyond what this version writes, all of it here: the options and switch
// analysis of files written before these fields existed, and names a reader only prints (a kernel or
// a compute mode that another version knows).
const readOptions = runConfigSchema.partial({ shape: true, impl: true, dtype: true, mode: true, observe: true }).extend({ kernel: z.string() });
const readPhase = phase.extend({ switches: switchAnalysisSchema.partial({ kind: true, coRunningFraction: true }) });
const readEnvironment = environment.extend({ gpu: environment.shape.gpu.extend({ computeMode: z.string() }) });

/** Every result file this version reads: docs/result.schema.json is generated from it. */
export const runResultSchema = writtenRunResultSchema.extend({
  options: readOptions,
  environment: readEnvironment,
  baseline: readPhase.optional(),
  shared: readPhase,
});

export type RunResultJson = z.infer<typeof runResultSchema>;

/** Checks a parsed result file; throws with every problem listed (the first only, where there are too many to collect). */
export function validateRunResult(value: unknown): RunResultJson {
  const parsed = checkFile(runResultSchema, value);
  if (!parsed.success) throw new Error(`not a gpushare-micro/run v1 result:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The schema as JSON Schema (docs/result.schema.json is generated from it). */
export function runResultJsonSchema(): unknown {
  return z.toJSONSchema(runResultSchema);
}

// The result file's schema (schema "gpushare-micro/run", version 1), written with zod. It is the
// reference for docs/result-schema.md and the check the tests apply to every result they produce.
import { z } from 'zod';
import { summarySchema as summary } from '../metrics/summary.js';
import { checkFile } from './check.js';
import { deviceObservationSchema, kernelActivitySchema } from '../observe/schema.js';

const distribution = z.object({
  count: z.number().int().nonnegative(),
  min: z.number(), p10: z.number(), p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number(), max: z.number(),
  mean: z.number(), mad: z.number(),
});

const switches = z.object({
  windowStartNs: z.number(),
  windowEndNs: z.number(),
  switches: z.array(z.object({ from: z.number().int(), to: z.number().int(), atNs: z.number(), gapNs: z.number() })),
  slices: z.array(z.object({ client: z.number().int(), startNs: z.number(), endNs: z.number() })),
  count: z.number().int().nonnegative(),
  perSecond: z.number(),
  slice: distribution.optional(),
  gap: distribution.optional(),
  overheadFraction: z.number().min(0),
  overlapCount: z.number().int().nonnegative(),
  kind: z.enum(['single', 'timeslicing', 'concurrent']).optional(),
  coRunningFraction: z.number().min(0).max(1).optional(),
});

// SM occupancy from the CTA traces (src/metrics/occupancy.ts); optional: results made before it lack it.
const occupancy = z.object({
  windowStartNs: z.number(),
  windowEndNs: z.number(),
  smCount: z.number().int().positive(),
  clippedToSlices: z.boolean(),
  clients: z.array(z.number().int().nonnegative()),
  share: z.array(z.number().min(0)),
  busy: z.number().min(0),
  idle: z.number().min(0),
  perSm: z.array(z.array(z.number().min(0))),
  series: z.object({ binNs: z.number().positive(), tNs: z.array(z.number()), share: z.array(z.array(z.number())), idle: z.array(z.number()) }),
  timeline: z.object({ startNs: z.number(), endNs: z.number(), binNs: z.number().positive(), bins: z.number().int().positive(), rows: z.array(z.string()) }),
});

const client = z.object({
  client: z.number().int().nonnegative(),
  pid: z.number().int().optional(),
  status: z.enum(['ok', 'stopped', 'crashed', 'failed', 'timeout', 'cancelled']),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
  stderr: z.string().optional(),
  error: z.object({ message: z.string(), code: z.string().optional(), cudaError: z.string().optional() }).optional(),
  launches: z.number().int().nonnegative(),
  elapsedNs: z.number().nonnegative(),
  startOffsetNs: z.number().optional(),
  summaries: z.array(summary),
  tracedLaunches: z.number().int().nonnegative(),
  gapsObserved: z.number().int().nonnegative(),
  smsAvailable: z.number().int().optional(),
  streamPriority: z.number().int().optional(),
  kernelActivity: kernelActivitySchema.optional(),
  samples: z.object({ enqueueNs: z.array(z.number()), latencyNs: z.array(z.number()), gpuNs: z.array(z.number()) }),
});

const phase = z.object({
  label: z.enum(['baseline', 'shared']),
  procs: z.number().int().min(1),
  complete: z.boolean(),
  reason: z.string().optional(),
  device: z.object({ name: z.string(), smCount: z.number().int(), ctasPerLaunch: z.number().int() }).optional(),
  clients: z.array(client),
  aggregate: z.array(summary),
  switches,
  observation: deviceObservationSchema.optional(),
  occupancy: occupancy.optional(),
});

const clocks = z.object({
  at: z.string(),
  smClockMHz: z.number().optional(),
  memClockMHz: z.number().optional(),
  temperatureC: z.number().optional(),
  powerW: z.number().optional(),
  clocksEventReasons: z.number().optional(),
});

export const runResultSchema = z.object({
  schema: z.literal('gpushare-micro/run'),
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  command: z.array(z.string()).optional(),
  mode: z.enum(['timeslice', 'mps', 'streams', 'green', 'mig']),
  /** What the mode set up: the MPS pipe, the SM split asked for, the MIG devices, ... */
  modeFacts: z.record(z.string(), z.unknown()).optional(),
  options: z.object({
    kernel: z.string(),
    procs: z.number().int().min(1).max(64),
    durationNs: z.number().nonnegative(),
    launches: z.number().int().nonnegative(),
    size: z.number().int().positive(),
    shape: z.array(z.number().int().nonnegative()).optional(),
    impl: z.string().optional(),
    dtype: z.string().optional(),
    loop: z.enum(['saturate', 'closed']),
    depth: z.number().int().positive(),
    baseline: z.boolean(),
    device: z.number().int().nonnegative(),
    spinNs: z.number().positive(),
    gapThresholdNs: z.number().positive(),
    warmupNs: z.number().nonnegative(),
    traceRecords: z.number().int().nonnegative(),
    seed: z.number().int().nonnegative(),
    mode: z.enum(['timeslice', 'mps', 'streams', 'green', 'mig']).optional(),
    mps: z.object({ pipe: z.string().optional(), threads: z.array(z.number()).optional(), memBytes: z.number().optional() }).optional(),
    priorities: z.array(z.union([z.literal('high'), z.literal('low'), z.number().int()])).optional(),
    smSplit: z.array(z.number().int().positive()).optional(),
    observe: z.object({ sampleMs: z.number().int().nonnegative(), cupti: z.boolean(), pmSampling: z.boolean() }).optional(),
  }),
  environment: z.object({
    tool: z.object({ name: z.literal('gpushare-micro'), version: z.string() }),
    node: z.string(),
    platform: z.string(),
    hostname: z.string(),
    addon: z.object({ version: z.string(), napiVersion: z.number(), cudaRuntimeVersion: z.number(), cudaArchitectures: z.string(), intervalBytes: z.number() }),
    driverVersion: z.string().optional(),
    cudaDriverVersion: z.number(),
    cudaRuntimeVersion: z.number(),
    gpu: z.object({
      index: z.number().int(), name: z.string(), uuid: z.string(), pciBusId: z.string(), computeCapability: z.string(),
      smCount: z.number().int(), memoryBytes: z.number(), l2Bytes: z.number(), sharedMemoryPerSmBytes: z.number(),
      computeMode: z.string(), streamPriorities: z.object({ least: z.number().int(), greatest: z.number().int() }).optional(), maxSmClockMHz: z.number().optional(), migEnabled: z.boolean().optional(), persistenceMode: z.boolean().optional(),
    }),
    clocksStart: clocks,
    clocksEnd: clocks.optional(),
    nvml: z.object({ available: z.boolean(), reason: z.string().optional() }),
  }),
  baseline: phase.optional(),
  shared: phase,
  comparison: z.array(summary),
  complete: z.boolean(),
  reason: z.string().optional(),
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

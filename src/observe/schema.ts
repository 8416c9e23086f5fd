// zod fragments for what the observers add to a result: a DeviceObservation (NVML/GPM, PM sampling)
// per phase and a KernelActivity (CUPTI) per client. src/report/schema.ts wires them in.
import { z } from 'zod';
import { summarySchema as summary } from '../metrics/summary.js';

const nsString = z.string().regex(/^-?\d+$/, 'an integer in a string (nanoseconds)');
const nullableNumbers = z.array(z.number().nullable());
const clockReading = z.object({ hostNs: nsString, gpuNs: nsString.optional(), cuptiNs: nsString.optional(), uncertaintyNs: z.number() });
const ecc = z.object({ corrected: z.number(), uncorrected: z.number() });

const gpmSeries = z.object({ startNs: z.array(z.number()), endNs: z.array(z.number()), metrics: z.record(z.string(), nullableNumbers) });

export const nvmlObservationSchema = z.object({
  available: z.literal(true),
  device: z.number().int().nonnegative(),
  name: z.string(),
  uuid: z.string(),
  periodMs: z.number().positive(),
  summaries: z.array(summary),
  gpm: z.object({
    available: z.boolean(),
    reason: z.string().optional(),
    summaries: z.array(summary),
    mig: z.array(z.object({ gpuInstanceId: z.number().int(), summaries: z.array(summary) })),
  }),
  events: z.object({
    available: z.boolean(),
    reason: z.string().optional(),
    list: z.array(z.object({ tNs: z.number(), kind: z.enum(['xid', 'ecc-single-bit', 'ecc-double-bit', 'other']), xid: z.number().optional(), gpuInstanceId: z.number().optional() })),
  }),
  ecc: z.object({ before: ecc.optional(), after: ecc.optional(), reason: z.string().optional() }),
  processes: z.object({
    available: z.boolean(),
    reason: z.string().optional(),
    list: z.array(
      z.object({
        pid: z.number().int(),
        name: z.string().optional(),
        mps: z.boolean(),
        maxUsedMemoryBytes: z.number().optional(),
        lastUsedMemoryBytes: z.number().optional(),
        gpuInstanceId: z.number().optional(),
        firstSeenNs: z.number(),
        lastSeenNs: z.number(),
      }),
    ),
  }),
  flags: z.array(z.string()),
  errors: z.array(z.string()),
  lateSamples: z.number().int().nonnegative(),
  series: z.object({
    startNs: nsString,
    periodMs: z.number(),
    tNs: z.array(z.number()),
    columns: z.record(z.string(), nullableNumbers),
    throttleReasons: z.array(z.array(z.string())).optional(),
    gpm: gpmSeries.optional(),
    migGpm: z.array(gpmSeries.extend({ gpuInstanceId: z.number().int() })).optional(),
  }),
});

export const pmObservationSchema = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  cuptiError: z.string().optional(),
  library: z.string().optional(),
  chip: z.string().optional(),
  metrics: z.array(z.string()),
  unsupportedMetrics: z.array(z.string()),
  droppedMetrics: z.array(z.string()),
  intervalNs: z.number(),
  clockDomain: z.enum(['globaltimer', 'cupti', 'host', 'unknown']).optional(),
  hostEpochNs: nsString.optional(),
  clockStart: clockReading.optional(),
  clockEnd: clockReading.optional(),
  samples: z.number().int().nonnegative().optional(),
  overflows: z.number().int().nonnegative().optional(),
  decodeErrors: z.number().int().nonnegative().optional(),
  lastDecodeError: z.string().optional(),
  summaries: z.array(summary),
  series: z.object({ startNs: z.array(z.number()), endNs: z.array(z.number()), values: z.record(z.string(), nullableNumbers) }).optional(),
});

/** What startDeviceObservers().stop() returns, for one phase. */
export const deviceObservationSchema = z.object({
  device: z.number().int().nonnegative(),
  window: z.object({ startNs: nsString, endNs: nsString }),
  nvml: z.union([nvmlObservationSchema, z.object({ available: z.literal(false), reason: z.string() })]),
  pmSampling: pmObservationSchema.optional(),
});

/** What startKernelActivity().stop() returns, for one client process. */
export const kernelActivitySchema = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  cuptiError: z.string().optional(),
  library: z.string().optional(),
  pid: z.number().int(),
  hostEpochNs: nsString.optional(),
  gpuEpochNs: nsString.optional(),
  gpuPerHostNs: z.number().optional(),
  cuptiPerHostNs: z.number().optional(),
  clockStart: clockReading.optional(),
  clockEnd: clockReading.optional(),
  clockReason: z.string().optional(),
  names: z.array(z.string()).optional(),
  kernels: z
    .object({
      startNs: z.array(z.number()),
      endNs: z.array(z.number()),
      nameIndex: z.array(z.number().int()),
      streamId: z.array(z.number().int()),
      correlationId: z.array(z.number().int()),
      deviceId: z.array(z.number().int()),
      contextId: z.array(z.number().int()),
      grid: z.array(z.number().int()),
      block: z.array(z.number().int()),
    })
    .optional(),
  dropped: z.object({ byCupti: z.number().int().nonnegative(), overLimit: z.number().int().nonnegative() }).optional(),
  summaries: z.array(summary),
});

export type DeviceObservationJson = z.infer<typeof deviceObservationSchema>;
export type KernelActivityJson = z.infer<typeof kernelActivitySchema>;

// zod fragments for what the observers add to a result: a DeviceObservation (NVML/GPM, PM sampling)
// per phase and a KernelActivity (CUPTI) per client. src/report/schema.ts wires them in. They are the
// one definition of these shapes: the observers' types (NvmlObservation, PmObservation, KernelActivity,
// DeviceObservation, ...) are inferred here.
import { z } from 'zod';
import { summarySchema as summary } from '../metrics/summary.js';

const nsString = z.string().regex(/^-?\d+$/, 'an integer in a string (nanoseconds)');
const nullableNumbers = z.array(z.number().nullable());
/** A ClockTriple (src/binding/contract.ts) with its times as decimal strings. */
const clockReading = z.object({ hostNs: nsString, gpuNs: nsString.optional(), cuptiNs: nsString.optional(), uncertaintyNs: z.number() });
export type ClockReadingJson = z.infer<typeof clockReading>;
/** Which clock a series' timestamps were found on (src/observe/clocks.ts). */
const clockDomainSchema = z.enum(['globaltimer', 'cupti', 'host', 'unknown']);
export type ClockDomain = z.infer<typeof clockDomainSchema>;
const ecc = z.object({ corrected: z.number(), uncorrected: z.number() });

/** GPM metrics over intervals, JSON-safe. */
const gpmSeries = z.object({ startNs: z.array(z.number()), endNs: z.array(z.number()), metrics: z.record(z.string(), nullableNumbers) });
export type GpmTimeSeries = z.infer<typeof gpmSeries>;

const nvmlEventSeen = z.object({
  tNs: z.number(),
  kind: z.enum(['xid', 'ecc-single-bit', 'ecc-double-bit', 'other']),
  xid: z.number().optional(),
  gpuInstanceId: z.number().optional(),
});
export type NvmlEventSeen = z.infer<typeof nvmlEventSeen>;

/** What the report charts: every sample, times relative to startNs (host CLOCK_MONOTONIC). */
const nvmlTimeSeries = z.object({
  startNs: nsString,
  periodMs: z.number(),
  tNs: z.array(z.number()),
  columns: z.record(z.string(), nullableNumbers),
  /** Names of the throttle reasons set at each sample (only where clocksEventReasons is reported). */
  throttleReasons: z.array(z.array(z.string())).optional(),
  gpm: gpmSeries.optional(),
  migGpm: z.array(gpmSeries.extend({ gpuInstanceId: z.number().int() })).optional(),
});
export type NvmlTimeSeries = z.infer<typeof nvmlTimeSeries>;

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
  events: z.object({ available: z.boolean(), reason: z.string().optional(), list: z.array(nvmlEventSeen) }),
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
  /** Anything a reader must not miss: Xid errors, ECC counts that rose, throttling, sampling trouble. */
  flags: z.array(z.string()),
  errors: z.array(z.string()),
  lateSamples: z.number().int().nonnegative(),
  series: nvmlTimeSeries,
});
/** What observeNvml() makes of a raw series (the phase's `nvml` adds `available: true`). */
export type NvmlObservation = Omit<z.infer<typeof nvmlObservationSchema>, 'available'>;

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
  /** Which clock the sample timestamps were found on; times below are on the host clock unless 'unknown'. */
  clockDomain: clockDomainSchema.optional(),
  /** CLOCK_MONOTONIC the sample times are relative to (absent when the domain is unknown: then relative to the first sample). */
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
export type PmObservation = z.infer<typeof pmObservationSchema>;

/** What startDeviceObservers().stop() returns, for one phase. */
export const deviceObservationSchema = z.object({
  device: z.number().int().nonnegative(),
  /** Host CLOCK_MONOTONIC of the window the summaries cover. */
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
  /** CLOCK_MONOTONIC at the start reading; kernel times below are ns after it, on the host clock. */
  hostEpochNs: nsString.optional(),
  /** %globaltimer at the same instant, and its rate per host ns (to place kernels on the GPU clock). */
  gpuEpochNs: nsString.optional(),
  gpuPerHostNs: z.number().optional(),
  /** CUPTI clock ns per host ns over the collection (1 when they run at the same rate). */
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
      /** x, y, z per kernel. */
      grid: z.array(z.number().int()),
      block: z.array(z.number().int()),
    })
    .optional(),
  dropped: z.object({ byCupti: z.number().int().nonnegative(), overLimit: z.number().int().nonnegative() }).optional(),
  summaries: z.array(summary),
});

export type DeviceObservation = z.infer<typeof deviceObservationSchema>;
/** A phase's NVML part: the observation, or why there is none. */
export type NvmlPart = DeviceObservation['nvml'];
export type KernelActivity = z.infer<typeof kernelActivitySchema>;
/** The names the public API has exported these under (the same types). */
export type DeviceObservationJson = DeviceObservation;
export type KernelActivityJson = KernelActivity;

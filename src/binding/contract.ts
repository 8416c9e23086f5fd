// The whole contract of the native module (build/Release/gpushare_micro.node): every function it
// exports, with its argument and result types, and every error code it throws. Only src/binding/
// touches the raw module; everything else goes through these types. Times on the host are
// CLOCK_MONOTONIC nanoseconds (the clock of process.hrtime.bigint()); times on the GPU are
// %globaltimer nanoseconds, common to all processes.
//
// Arguments: a call the native side cannot use (wrong type, out of range, a shape whose tensors
// would be too large, a knob a workload does not have, a method called on the wrong object) throws a
// TypeError with code ERR_ARGS synchronously, before any GPU work; everything that fails later
// rejects the promise with a NativeError. Tuning goes through WorkloadSpec fields (gemmPath,
// variant, cudnnGraph), never through environment variables. GSM_VERBOSE=1 is a debug switch only:
// it prints which cuDNN algorithm or graph a workload chose to stderr and changes no result.

/** Every `code` a NativeError may carry (native/core/errors.h says when each is used). */
export const NATIVE_ERROR_CODES = [
  /** An argument the native side cannot use; always a TypeError, thrown synchronously. */
  'ERR_ARGS',
  /** No driver, no device, or the device is unavailable. */
  'ERR_NO_GPU',
  /** A CUDA runtime or driver call failed otherwise (cudaError names the error). */
  'ERR_CUDA',
  /** A call out of order: run() before prepare(), release() while busy, stop() of a stopped sampler. */
  'ERR_STATE',
  /** cuDNN, cuBLAS or cuBLASLt missing, or refusing the problem. */
  'ERR_LIBRARY',
  /** cuBLASLt failed while running. */
  'ERR_CUBLAS',
  /** This device or driver cannot run the workload as asked (e.g. a forced gemm path). */
  'ERR_UNSUPPORTED',
  /** NVML missing or failing (NvmlSampler.start()). */
  'ERR_NVML',
  /** Any other C++ exception: a bug in the addon. */
  'ERR_NATIVE',
] as const;

export type NativeErrorCode = (typeof NATIVE_ERROR_CODES)[number];

/** Build facts; calling it makes no CUDA call. */
export interface AddonInfo {
  version: string;
  napiVersion: number;
  /** CUDART_VERSION the addon was built against, e.g. 13000. */
  cudaRuntimeVersion: number;
  /** CMAKE_CUDA_ARCHITECTURES of the build, comma-separated. */
  cudaArchitectures: string;
  /** Size of one trace record (Interval) in bytes. */
  intervalBytes: number;
}

/** An Error from the native side (a TypeError for ERR_ARGS). */
export interface NativeError extends Error {
  /** One of NATIVE_ERROR_CODES. */
  code: NativeErrorCode;
  /** The CUDA error name, when CUDA failed (e.g. cudaErrorMemoryAllocation). */
  cudaError?: string;
  /** The failing call as written in the source. */
  call?: string;
}

/** A CUDA device's compute mode as cudaDevices() reports it (cudaDeviceProp::computeMode). */
export const COMPUTE_MODES = ['default', 'prohibited', 'exclusive-process', 'unknown'] as const;

export interface CudaDevice {
  index: number;
  name: string;
  uuid: string;
  pciBusId: string;
  computeCapability: string;
  smCount: number;
  memoryBytes: number;
  l2Bytes: number;
  sharedMemoryPerSmBytes: number;
  computeMode: (typeof COMPUTE_MODES)[number];
  /** Stream priorities: greatest (numerically lowest, most urgent) to least (the default, 0). */
  streamPriorities?: { least: number; greatest: number };
}

export interface CudaDevices {
  available: boolean;
  /** cudaDriverGetVersion: 0 where no driver is installed. */
  driverVersion: number;
  runtimeVersion: number;
  /** Why no device is usable (code ERR_NO_GPU or ERR_CUDA). */
  error?: NativeError;
  devices: CudaDevice[];
}

/** One device as NVML reports it; a field the device does not support is absent. */
export interface NvmlDevice {
  index: number;
  name: string;
  uuid: string;
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
  smClockMHz?: number;
  memClockMHz?: number;
  graphicsClockMHz?: number;
  maxSmClockMHz?: number;
  maxMemClockMHz?: number;
  temperatureC?: number;
  powerW?: number;
  utilizationGpuPct?: number;
  utilizationMemoryPct?: number;
  computeMode?: 'default' | 'exclusive-thread' | 'prohibited' | 'exclusive-process' | 'unknown';
  persistenceMode?: boolean;
  migEnabled?: boolean;
  migPendingEnabled?: boolean;
  /** nvmlDeviceGetCurrentClocksEventReasons bit mask. */
  clocksEventReasons?: number;
  // ---- observe: what a live monitor needs (absent where the device does not report it) ----
  /** Enforced power limit. */
  powerLimitW?: number;
  /** Energy used since the driver loaded (nvmlDeviceGetTotalEnergyConsumption). */
  energyJ?: number;
  eccEnabled?: boolean;
  /** Volatile ECC error counts (since the driver loaded); where ECC is on. */
  eccErrors?: EccCounts;
  /** nvmlGpmQueryDeviceSupport; absent when the driver's NVML has no GPM. */
  gpmSupported?: boolean;
  /** Compute processes on the device (MPS clients marked); absent when NVML cannot list them. */
  processes?: NvmlProcess[];
  /** Why `processes` is absent. */
  processesReason?: string;
  /** MIG devices, where MIG is on. */
  migDevices?: NvmlMigDevice[];
}

export interface NvmlSnapshot {
  available: boolean;
  /** Why NVML is unavailable (library missing, init failed). */
  reason?: string;
  driverVersion?: string;
  cudaDriverVersion?: number;
  devices: NvmlDevice[];
}

/**
 * What a timed loop launches. The native side checks types, that this build has the kernel, the
 * shape (each dimension below 2^31, each tensor at most 2^40 elements, and what a kernel indexes with
 * 32-bit integers below 2^31, e.g. conv's n·h·w, n·p·q and r·s·c, attention's batch·heads) and the
 * knobs; anything else is a TypeError with code ERR_ARGS.
 */
export interface WorkloadSpec {
  /** gemm, probe, memcpy, ... */
  kernel: string;
  /** own (the project's kernel) or a library implementation (cublas, cudnn, cudart) where one exists. */
  impl: string;
  /** Element type of the inputs: gemm bf16, fp16 (fp32 accumulation and output), tf32 (fp32 inputs on
   * the tensor cores), fp32 (fp32 arithmetic). */
  dtype: string;
  /**
   * Kernel-specific dimensions: gemm [m, n, k] (row-major A[m,k], B[k,n], C[m,n]); probe [];
   * conv [n, c, h, w, k, r, s, stride, pad]; attention [batch, heads, seq, headDim, causal 0|1];
   * copy and triad [elements]; memcpy [MiB] (see src/kernels/shapes.ts).
   *
   * The model workloads (impl own or library, dtype bf16; one launch is one whole step):
   * - resnet50-train, resnet50-infer [batch 1..1024, input 32|224]: ResNet-50 on synthetic images,
   *   input 32 with 10 classes (CIFAR-10), 224 with 1000 (ImageNet); train: forward, backward and an
   *   SGD-momentum update; infer: eval-mode forward.
   * - bert-base-train, bert-base-infer [batch 1..1024, seq 1..512]: BERT-base sequence classification
   *   (12 layers, hidden 768, 12 heads, FFN 3072, 2 classes); train: forward, backward and AdamW.
   * - llm-decode [batch 1..64, layers 1..128, kvLength 2..32768]: one greedy decode step of a 7B-class
   *   decoder (hidden 4096, 32 heads, FFN 11008, vocabulary 32000) over a KV cache of kvLength
   *   positions per sequence that starts half full and grows one position per step (back to half when
   *   full).
   * impl own runs the project's kernels wherever one exists (conv backward is cuDNN in both), library
   * cuBLASLt and cuDNN wherever they have the op; PrepareInfo.layers says what ran each op.
   */
  shape: number[];
  /** Seed of the random inputs (integer below 2^53). */
  seed: number;
  /** probe: running time of each CTA per launch, gaps excluded. */
  probeActiveNs?: number;
  /** probe: a %globaltimer step above this is recorded as a gap. */
  gapThresholdNs?: number;
  /** probe: gap records kept. */
  gapCapacity?: number;
  /** gemm, impl own: force a path (auto, wgmma, mma, simt) instead of the fastest the device allows. */
  gemmPath?: string;
  /**
   * conv and attention, impl own: force a tile variant instead of the one chosen by shape and device
   * (absent or -1). Any other workload refuses it (ERR_ARGS), as it does a value out of range.
   * - conv: 0..4 the mma.sync tiles (0 128x128, 1 256x64, 2 128x256, 3 256x128, 4 128x64); 5..8 the
   *   Hopper wgmma tiles (5 128x256, 6 256x128, 7 128x128, 8 256x64), which fall back to the default
   *   mma.sync choice where the device does not run sm_90a code. Where c is not a multiple of 8 every
   *   variant runs tile 0 (the only one with the element-wise path).
   * - attention: 0..3 the mma.sync kernel (0 128 query rows on 4 warps with 64-key blocks, 1 the other
   *   key block, 2 128 rows on 8 warps, 3 64 rows on 4 warps); 4..6 the Hopper wgmma kernel (4 128-key
   *   blocks, 5 64-key blocks, 6 128-key blocks with the consumer warpgroups taking turns, the default
   *   there), which fall back to variant 0 without sm_90a code.
   * See kernels/conv.cu and kernels/attention.cu for the tiles and the measurements behind the defaults.
   */
  variant?: number;
  /**
   * attention, impl cudnn: which cuDNN graph to build. auto (or absent): the unified SDPA operation
   * for non-causal attention, falling back to the composite graph, and the composite graph for causal;
   * unified: the SDPA operation only (non-causal only: causal with unified is ERR_ARGS); composite:
   * the matmul-softmax-matmul graph only. Any other workload refuses it (ERR_ARGS).
   */
  cudnnGraph?: 'auto' | 'unified' | 'composite';
  /**
   * Model workloads only (any other refuses it: ERR_ARGS): CUDA events between layers time each
   * (layer, phase) of every step, up to 1000 steps per run (LoopResult.layers). The events cost a
   * little time of their own between layers.
   */
  profileLayers?: boolean;
}

/** One op of a model workload's step (PrepareInfo.layers), in the order the step runs them. */
export interface LayerInfo {
  /** e.g. "layer3.2.conv2", "encoder.7.attention", "lm_head". */
  layer: string;
  phase: 'forward' | 'backward' | 'update';
  /** What the op computes, e.g. "conv fwd", "bn+relu fwd", "gemm dW". */
  what: string;
  /** What ran it: "own wgmma", "own mma", "own skinny", "own", "cuDNN", "cuBLASLt". */
  impl: string;
  /** Model FLOPs of the op (0 for memory-bound ones). */
  flops: number;
}

/** A model's (layer, phase): a run of consecutive ops of the step with the same layer and phase, timed with CUDA events. */
export interface LayerTimes {
  layer: string;
  phase: 'forward' | 'backward' | 'update';
  /** The implementations of its ops, joined ("own wgmma + cuDNN"). */
  impl: string;
  /** Its duration in each timed step, in order (ns, CUDA event resolution, about 0.5 µs). */
  ns: number[];
}

/**
 * Bursty arrivals (LoopConfig.bursts), in whole nanoseconds: at time t after the loop's start it is ON
 * when (t + phaseNs) mod (onNs + offNs) < onNs.
 */
export interface BurstWindows {
  /** Length of an ON window (> 0). */
  onNs: number;
  /** Length of an OFF gap (> 0). */
  offNs: number;
  /** Where in the cycle the loop starts: 0 starts at the opening of an ON window; below onNs + offNs. */
  phaseNs: number;
}

/**
 * Configuration of one client's timed loop. The native side checks types only: validate first.
 *
 * How the loop issues launches: back to back with `depth` in flight (saturating; closed with depth 1),
 * by default; an open loop with `arrivalsNs`; bursts of back-to-back launches with `bursts` (at most
 * one of the two).
 */
export interface LoopConfig {
  workload: WorkloadSpec;
  device: number;
  /** Stream priority (lower is higher; see CudaDevice.streamPriorities); 0 is the default. */
  streamPriority: number;
  /** Index from createGreenContexts(), or -1 for the device's primary context. */
  greenContext: number;
  /** Run for this long; exactly one of durationNs and launches is non-zero. */
  durationNs: number;
  launches: number;
  /** Launches in flight: 1 is a closed loop (launch, wait, repeat). */
  depth: number;
  /** CTA records kept on the device; launches are traced from the start until it is full. */
  traceCapacity: number;
  /** Trace launches 0, k, 2k, ... only (default 1: every launch until the buffer is full); k = 2
   * interleaves traced and plain launches, which is how the trace's own cost is measured. */
  traceEvery?: number;
  warmupNs: number;
  /**
   * Open loop: the scheduled arrival of every request, in ns after the loop's start (the moment run()
   * begins issuing, after the common start time), ascending, finite, in [0, 86400e9]; fractions are
   * truncated to whole ns. At most 50,000,000 entries; with `launches`, exactly that many (all are
   * issued). Request i is issued at its arrival, after the oldest has completed if `depth` are already
   * in flight; none is issued at or after durationNs. Latency counts from the arrival (see LoopResult).
   */
  arrivalsNs?: Float64Array | number[];
  /** Bursty: back to back with `depth` in flight inside ON windows only; latency counts from the enqueue. */
  bursts?: BurstWindows;
}

/** One simultaneous reading of the host clock and %globaltimer. */
export interface ClockPair {
  hostNs: bigint;
  gpuNs: bigint;
  uncertaintyNs: number;
}

/** A kernel's per-CTA state on its SM (PrepareInfo.resident). */
export interface ResidentState {
  threadsPerCta: number;
  /** As the compiler allocated them (cudaFuncGetAttributes). */
  registersPerThread: number;
  /** Dynamic and static shared memory. */
  sharedBytesPerCta: number;
}

export interface PrepareInfo {
  deviceName: string;
  smCount: number;
  /** SMs this loop may use: its green context's, or the whole device's. */
  smsAvailable: number;
  ctasPerLaunch: number;
  /** The priority its stream got. */
  streamPriority: number;
  /** Floating-point operations and DRAM bytes of one launch (0 where not meaningful). */
  flopsPerLaunch: number;
  bytesPerLaunch: number;
  /** What runs, in a few words: the kernel path (e.g. "wgmma, clusters of 2, 128x256 tiles, 132 CTAs") or the library. */
  detail: string;
  /** Model workloads: every op of a step, in order; empty for the single-kernel workloads. Always set by the
   * addon (optional for stand-in bindings). */
  layers?: LayerInfo[];
  /** Device memory the workload holds (model workloads: activations and scratch, parameters, gradients and
   * optimizer state); 0 where not counted. Always set by the addon (optional for stand-in bindings). */
  deviceBytes?: number;
  /** What each CTA of the workload's kernel holds on its SM (what a context switch saves and restores);
   * absent where the workload does not know it (library kernels). The probe always sets it. */
  resident?: ResidentState;
  warmupLaunches: number;
  warmupMs: number;
  /** How many launches fit in the trace buffer. */
  traceLaunchCapacity: number;
  clock: ClockPair;
}

export interface LoopResult {
  requestedStartNs: bigint;
  /** Host clock at the first launch. */
  startNs: bigint;
  /** Host clock once the last launch had completed (open and bursty loops run for a duration: not before its end). */
  endNs: bigint;
  /** Ended early by stop(). */
  stopped: boolean;
  /** Per launch, relative to startNs. */
  enqueueNs: Float64Array;
  /** Per launch: enqueue to observed completion, on the host; in an open loop from the request's scheduled
   * arrival (scheduledNs) instead, so that time spent waiting to be issued counts (no coordinated omission). */
  latencyNs: Float64Array;
  /** Per launch: CUDA events recorded around the launch (the service time). */
  gpuNs: Float64Array;
  /** Open loop, per request issued: its scheduled arrival relative to startNs (whole ns); empty otherwise. */
  scheduledNs: Float64Array;
  /**
   * The loop's own lateness, enqueue − max(when the launch was due, when a slot became free for it): open
   * loop, per request issued (due at its arrival); bursty, per burst (its first launch, due at the
   * window's opening); empty for saturating and closed loops. This is the arrival loop's jitter.
   */
  wakeLateNs: Float64Array;
  /** Open loop: requests of the schedule due before durationNs (all of it, with `launches`); else 0. */
  scheduledRequests: number;
  /** Open loop: of those, the ones never issued (the client fell behind; or, when stopped, those due
   * before the stop). Issued + notStarted = scheduledRequests unless stopped. Else 0. */
  notStarted: number;
  /** Bursty: ON windows in which at least one launch was issued; else 0. */
  bursts: number;
  tracedLaunches: number;
  /** tracedLaunches x ctasPerLaunch Interval records (16 bytes each: u64 start, u32 duration, u32 smid), of
   * launches 0, traceEvery, 2 traceEvery, ... */
  trace: ArrayBuffer;
  /** Gaps the probe saw; may exceed the records kept. */
  gapsObserved: number;
  /** Interval records of the probe's gaps: start is the last clock reading before the gap. */
  gaps: ArrayBuffer;
  /** Model workloads with profileLayers: every (layer, phase) of the step in order, with one duration per timed
   * step (the first 1000 launches of the run); empty otherwise. Always set by the addon (optional for stand-in
   * bindings). */
  layers?: LayerTimes[];
  clock: ClockPair;
}

export interface NativeTimedLoop {
  prepare(): Promise<PrepareInfo>;
  run(startAtNs: bigint): Promise<LoopResult>;
  /** Ends a running loop early (its result has stopped: true); harmless otherwise. */
  stop(): void;
  /** Frees the device memory; the loop cannot be used afterwards. Throws ERR_STATE while prepare() or
   * run() is pending (stop() it and await it first). */
  release(): void;
}

/** How the device's SMs can be split into green contexts. */
export interface SmPartitioning {
  supported: boolean;
  /** Why not, when not supported (driver too old, no device). */
  reason?: string;
  smCount: number;
  /** Smallest group the device grants. */
  minPartition: number;
  /** Group sizes are multiples of this. */
  alignment: number;
  /** How many groups of the smallest size the driver grants (they may cover fewer SMs than smCount). */
  unitGroups: number;
}

export interface GreenGroup {
  /** Pass as LoopConfig.greenContext. */
  index: number;
  requestedSms: number;
  /** What the driver granted after its rounding. */
  grantedSms: number;
}

/** A tensor a workload read back, widened to float32; row-major. */
export interface HostTensor {
  name: string;
  dims: number[];
  values: Float32Array;
}

// ---- observe: NVML sampler, CUPTI kernel activity, CUPTI PM sampling ----

export interface EccCounts {
  corrected: number;
  uncorrected: number;
}

export interface NvmlProcess {
  pid: number;
  /** nvmlSystemGetProcessName (may be a path); absent when NVML cannot tell. */
  name?: string;
  usedMemoryBytes?: number;
  gpuInstanceId?: number;
  computeInstanceId?: number;
  /** Listed as a client of an MPS server. */
  mps: boolean;
}

/** One process's utilisation over one of NVML's sampling intervals (percent of the interval). */
export interface NvmlProcessUtilizationSample {
  pid: number;
  /** NVML's CPU time stamp of the sample, microseconds since the epoch. */
  timeStampUs: number;
  smPct: number;
  /** Frame-buffer (memory controller) utilisation. */
  memPct: number;
  encPct: number;
  decPct: number;
}

export interface NvmlProcessUtilizationOptions {
  /** NVML device index. */
  device: number;
  /** Only samples after this time stamp (NVML's clock, microseconds); 0: all NVML still holds. */
  sinceUs: number;
}

export interface NvmlProcessUtilization {
  /** False: NVML does not report per-process utilisation here (no NVML, an old driver, NOT_SUPPORTED); `reason` says why. */
  reported: boolean;
  reason?: string;
  /** The NVML function that answered (nvmlDeviceGetProcessesUtilizationInfo, or nvmlDeviceGetProcessUtilization on older drivers). */
  source?: string;
  /** Empty when no process was sampled since `sinceUs` (NVML_ERROR_NOT_FOUND). */
  samples: NvmlProcessUtilizationSample[];
}

export interface NvmlMigDevice {
  index: number;
  uuid: string;
  gpuInstanceId?: number;
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
}

export interface NvmlSamplerOptions {
  device: number;
  periodMs: number;
  /** Take GPM samples too (Hopper and later). */
  gpm: boolean;
  /** GPM sampling period (default and minimum 200 ms, rounded up to a multiple of periodMs). */
  gpmPeriodMs?: number;
  /** Keep the whole series (default true); false keeps only the latest reading, for live views. */
  retain?: boolean;
}

/** The per-sample fields; a column is absent when the device never reported it. NaN: one read failed. */
export type NvmlColumn =
  | 'utilizationGpuPct'
  | 'utilizationMemoryPct'
  | 'memoryUsedBytes'
  | 'powerW'
  | 'temperatureC'
  | 'smClockMHz'
  | 'memClockMHz'
  | 'graphicsClockMHz'
  | 'clocksEventReasons'
  | 'energyJ';

/** GPM metrics per interval between two GPM samples, in percent (0..100). */
export type GpmMetric =
  | 'smActivityPct'
  | 'smOccupancyPct'
  | 'tensorActivityPct'
  | 'hmmaTensorActivityPct'
  | 'dramBandwidthPct'
  | 'fp32ActivityPct'
  | 'fp16ActivityPct'
  | 'graphicsActivityPct';

export interface GpmSeriesRaw {
  available: boolean;
  /** Why GPM is unavailable (or, with MIG on, that it is read per GPU instance). */
  reason?: string;
  /** Each interval, relative to the series' startNs. */
  startNs: Float64Array;
  endNs: Float64Array;
  metrics: Partial<Record<GpmMetric, Float64Array>>;
}

export interface NvmlEventRaw {
  tNs: number;
  /** nvmlEventType bit: 0x8 Xid, 0x1 single-bit ECC, 0x2 double-bit ECC. */
  type: number;
  /** The Xid, for an Xid event. */
  data: number;
  gpuInstanceId?: number;
  computeInstanceId?: number;
}

export interface NvmlProcessSeen {
  pid: number;
  name?: string;
  mps: boolean;
  maxUsedMemoryBytes?: number;
  lastUsedMemoryBytes?: number;
  gpuInstanceId?: number;
  firstSeenNs: number;
  lastSeenNs: number;
}

export interface NvmlSeriesRaw {
  device: number;
  name: string;
  uuid: string;
  periodMs: number;
  /** Host CLOCK_MONOTONIC at start() and at stop(). */
  startNs: bigint;
  endNs: bigint;
  /** Sampler ticks skipped because a reading ran past the next tick. */
  lateSamples: number;
  /** Each sample's time, relative to startNs. */
  tNs: Float64Array;
  columns: Partial<Record<NvmlColumn, Float64Array>>;
  gpm: GpmSeriesRaw;
  /** Per GPU instance, where MIG is on. */
  migGpm: Array<GpmSeriesRaw & { gpuInstanceId: number }>;
  events: { available: boolean; reason?: string; list: NvmlEventRaw[] };
  ecc: { before?: EccCounts; after?: EccCounts; reason?: string };
  processes: { available: boolean; reason?: string; list: NvmlProcessSeen[] };
  /** The first few unexpected NVML failures while sampling. */
  errors: string[];
}

export interface NvmlLatest {
  tNs: number;
  fields: Partial<Record<NvmlColumn, number>>;
  gpm: Partial<Record<GpmMetric, number>>;
}

export interface NativeNvmlSampler {
  /** Starts the sampling threads; throws (code ERR_NVML, ERR_STATE) when it cannot. */
  start(): void;
  stop(): Promise<NvmlSeriesRaw>;
  /** The latest reading; null before the first. */
  latest(): NvmlLatest | null;
}

/** CLOCK_MONOTONIC, %globaltimer and cuptiGetTimestamp read together. */
export interface ClockTriple {
  hostNs: bigint;
  /** Absent when %globaltimer could not be read. */
  gpuNs?: bigint;
  /** Absent when CUPTI is not loaded. */
  cuptiNs?: bigint;
  uncertaintyNs: number;
}

export interface CuptiStatus {
  available: boolean;
  /** Why not available, in a sentence. */
  reason?: string;
  /** The CUptiResult name when CUPTI refused, e.g. CUPTI_ERROR_INSUFFICIENT_PRIVILEGES. */
  cuptiError?: string;
  /** The libcupti that was loaded. */
  library?: string;
}

export interface CuptiActivityOptions {
  device: number;
  maxRecords: number;
  /** Read %globaltimer at start and stop (default true). */
  globalTimer?: boolean;
}

export interface CuptiActivityStarted extends CuptiStatus {
  clockStart?: ClockTriple;
  clockReason?: string;
}

/** Kernel records, columnar; times relative to baseNs on CUPTI's clock. */
export interface CuptiKernelsRaw {
  count: number;
  startNs: Float64Array;
  endNs: Float64Array;
  deviceId: Uint32Array;
  contextId: Uint32Array;
  streamId: Uint32Array;
  correlationId: Uint32Array;
  /** Index into names. */
  nameIndex: Uint32Array;
  /** x, y, z per kernel. */
  grid: Int32Array;
  block: Int32Array;
  registersPerThread: Uint32Array;
  sharedMemoryBytes: Uint32Array;
}

export interface CuptiActivityRaw extends CuptiActivityStarted {
  clockEnd?: ClockTriple;
  /** CUPTI timestamp the record times are relative to (the start clock reading). */
  baseNs?: bigint;
  kernels?: CuptiKernelsRaw;
  names?: string[];
  droppedByCupti?: number;
  droppedOverLimit?: number;
  otherRecords?: number;
}

export interface PmSamplerOptions {
  device: number;
  intervalNs: number;
  hardwareBufferBytes: number;
  maxSamplesPerImage: number;
  /** Metric names; omitted: SM activity, warp occupancy, tensor pipe and DRAM where one pass allows. */
  metrics?: string[];
}

export interface PmSamplingStarted extends CuptiStatus {
  chip?: string;
  metrics: string[];
  /** Requested but refused by this GPU. */
  unsupportedMetrics: string[];
  /** Accepted, but not in one pass with the metrics before them (PM sampling takes one pass). */
  droppedMetrics: string[];
  intervalNs: number;
  clockStart?: ClockTriple;
  clockReason?: string;
}

export interface PmSamplingRaw extends PmSamplingStarted {
  clockEnd?: ClockTriple;
  /** The first sample's start timestamp; sample times are relative to it. */
  baseNs?: bigint;
  startNs?: Float64Array;
  endNs?: Float64Array;
  values?: Record<string, Float64Array>;
  overflows?: number;
  decodeErrors?: number;
  lastDecodeError?: string;
}

export interface NativePmSampler {
  start(): Promise<PmSamplingStarted>;
  stop(): Promise<PmSamplingRaw>;
}

export interface NativeBinding {
  addonInfo(): AddonInfo;
  cudaDevices(): Promise<CudaDevices>;
  nvmlSnapshot(): Promise<NvmlSnapshot>;
  /** The per-process utilisation samples NVML took of one device since a time stamp; never rejects for a missing GPU (reported: false). */
  nvmlProcessUtilization(options: NvmlProcessUtilizationOptions): Promise<NvmlProcessUtilization>;
  TimedLoop: new (config: LoopConfig) => NativeTimedLoop;
  /** Prepares the workload (fresh random inputs, output poisoned with NaN), launches it once, and returns its inputs then its output. */
  workloadCheck(spec: WorkloadSpec, device: number): Promise<HostTensor[]>;
  /** Whether this build has the workload (a library it needs is looked for only when it is prepared). */
  workloadAvailable(spec: WorkloadSpec): { available: boolean; reason?: string };
  smPartitioning(device: number): Promise<SmPartitioning>;
  /** Splits the device's SMs into disjoint groups of at least these sizes, in order, one green context each. */
  createGreenContexts(args: { device: number; smCounts: number[] }): Promise<GreenGroup[]>;
  /** Destroys this process's green contexts (loops using them must be released first). */
  releaseGreenContexts(): void;
  // ---- observe ----
  NvmlSampler: new (
    options: NvmlSamplerOptions,
  ) => NativeNvmlSampler;
  /** Starts collecting this process's kernel activity; one collection per process at a time. */
  cuptiActivityStart(options: CuptiActivityOptions): Promise<CuptiActivityStarted>;
  cuptiActivityStop(): Promise<CuptiActivityRaw>;
  PmSampler: new (options: PmSamplerOptions) => NativePmSampler;
}

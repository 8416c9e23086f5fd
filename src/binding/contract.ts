// The whole contract of the native module (build/Release/gpushare_micro.node): every function it
// exports, with its argument and result types. Only src/binding/ touches the raw module; everything
// else goes through these types. Times on the host are CLOCK_MONOTONIC nanoseconds (the clock of
// process.hrtime.bigint()); times on the GPU are %globaltimer nanoseconds, common to all processes.

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

/** An Error from the native side. */
export interface NativeError extends Error {
  /** ERR_NO_GPU, ERR_CUDA, ERR_STATE, ERR_NATIVE. */
  code: string;
  /** The CUDA error name, when CUDA failed (e.g. cudaErrorMemoryAllocation). */
  cudaError?: string;
  /** The failing call as written in the source. */
  call?: string;
}

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
  computeMode: 'default' | 'prohibited' | 'exclusive-process' | 'unknown';
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
}

export interface NvmlSnapshot {
  available: boolean;
  /** Why NVML is unavailable (library missing, init failed). */
  reason?: string;
  driverVersion?: string;
  cudaDriverVersion?: number;
  devices: NvmlDevice[];
}

/** What a timed loop launches. The native side checks types and that this build has the kernel. */
export interface WorkloadSpec {
  /** gemm, probe, ... */
  kernel: string;
  /** own (the project's kernel) or a library implementation (cublas, cudnn) where one exists. */
  impl: string;
  /** Element type of the inputs, e.g. bf16. */
  dtype: string;
  /** Kernel-specific dimensions: gemm [m, n, k]; probe []. */
  shape: number[];
  /** Seed of the random inputs (integer below 2^53). */
  seed: number;
  /** probe: running time of each CTA per launch, gaps excluded. */
  probeActiveNs?: number;
  /** probe: a %globaltimer step above this is recorded as a gap. */
  gapThresholdNs?: number;
  /** probe: gap records kept. */
  gapCapacity?: number;
}

/** Configuration of one client's timed loop. The native side checks types only: validate first. */
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
  warmupNs: number;
}

/** One simultaneous reading of the host clock and %globaltimer. */
export interface ClockPair {
  hostNs: bigint;
  gpuNs: bigint;
  uncertaintyNs: number;
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
  /** Host clock once the last launch had completed. */
  endNs: bigint;
  /** Ended early by stop(). */
  stopped: boolean;
  /** Per launch, relative to startNs. */
  enqueueNs: Float64Array;
  /** Per launch: enqueue to observed completion, on the host. */
  latencyNs: Float64Array;
  /** Per launch: CUDA events recorded around the launch. */
  gpuNs: Float64Array;
  tracedLaunches: number;
  /** tracedLaunches x ctasPerLaunch Interval records (16 bytes each: u64 start, u32 duration, u32 smid). */
  trace: ArrayBuffer;
  /** Gaps the probe saw; may exceed the records kept. */
  gapsObserved: number;
  /** Interval records of the probe's gaps: start is the last clock reading before the gap. */
  gaps: ArrayBuffer;
  clock: ClockPair;
}

export interface NativeTimedLoop {
  prepare(): Promise<PrepareInfo>;
  run(startAtNs: bigint): Promise<LoopResult>;
  /** Ends a running loop early (its result has stopped: true); harmless otherwise. */
  stop(): void;
  /** Frees the device memory; the loop cannot be used afterwards. */
  release(): void;
}

export interface GemmComputeArgs {
  device: number;
  m: number;
  n: number;
  k: number;
  /** m*k bf16 bit patterns, row-major. */
  a: Uint16Array;
  /** k*n bf16 bit patterns, row-major. */
  b: Uint16Array;
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

export interface NativeBinding {
  addonInfo(): AddonInfo;
  cudaDevices(): Promise<CudaDevices>;
  nvmlSnapshot(): Promise<NvmlSnapshot>;
  TimedLoop: new (config: LoopConfig) => NativeTimedLoop;
  /** One gemm launch on the given inputs; C (fp32, row-major) poisoned with NaN before it. */
  gemmCompute(args: GemmComputeArgs): Promise<Float32Array>;
  /** Prepares the workload (fresh random inputs, output poisoned with NaN), launches it once, and returns its inputs then its output. */
  workloadCheck(spec: WorkloadSpec, device: number): Promise<HostTensor[]>;
  smPartitioning(device: number): Promise<SmPartitioning>;
  /** Splits the device's SMs into disjoint groups of at least these sizes, in order, one green context each. */
  createGreenContexts(args: { device: number; smCounts: number[] }): Promise<GreenGroup[]>;
  /** Destroys this process's green contexts (loops using them must be released first). */
  releaseGreenContexts(): void;
}

// What the observers offer the rest of the tool (and the public API): start/stop around a phase in
// the orchestrator, kernel activity in a client, and the schema fragments for the result file.
export { startDeviceObservers } from './observers.js';
export type { DeviceObservation, DeviceObservers, DeviceObserversOptions, NvmlPart } from './observers.js';
export { startKernelActivity, kernelActivity, DEFAULT_MAX_KERNEL_RECORDS } from './cupti.js';
export type { KernelActivity, KernelActivityOptions, RunningKernelActivity } from './cupti.js';
export { startPmSampling, observePm, DEFAULT_PM_INTERVAL_NS } from './pm-sampling.js';
export type { PmObservation, PmSamplingOptions, RunningPmSampling } from './pm-sampling.js';
export { startNvmlSampler, observeNvml, hostWindow, fullWindow, DEFAULT_PERIOD_MS } from './nvml-sampler.js';
export type { NvmlObservation, NvmlTimeSeries, GpmTimeSeries, NvmlEventSeen } from './nvml-sampler.js';
export { decodeThrottleReasons, isClockLimited, THROTTLE_REASONS } from './throttle.js';
export type { ThrottleReason } from './throttle.js';
export { deviceObservationSchema, kernelActivitySchema, nvmlObservationSchema, pmObservationSchema } from './schema.js';
export type { DeviceObservationJson, KernelActivityJson } from './schema.js';

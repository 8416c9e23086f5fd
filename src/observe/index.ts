// What the observers offer the public API (src/index.ts): start/stop around a phase in the
// orchestrator, kernel activity in a client, and the schema fragments for the result file. The tool
// itself imports the modules beside this one and passes its binding in.
import type { NativeBinding } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { startDeviceObservers as startObservers, type DeviceObservers, type DeviceObserversOptions } from './observers.js';

export type { DeviceObservers, DeviceObserversOptions } from './observers.js';

/** startDeviceObservers() for the public API: the binding defaults to the addon, loaded here. */
export function startDeviceObservers(options: Omit<DeviceObserversOptions, 'binding'> & { binding?: NativeBinding }): Promise<DeviceObservers> {
  return startObservers({ ...options, binding: options.binding ?? loadBinding() });
}
export { startKernelActivity, kernelActivity, DEFAULT_MAX_KERNEL_RECORDS } from './cupti.js';
export type { KernelActivityOptions, RunningKernelActivity } from './cupti.js';
export { startPmSampling, observePm, DEFAULT_PM_INTERVAL_NS } from './pm-sampling.js';
export type { PmSamplingOptions, RunningPmSampling } from './pm-sampling.js';
export { startNvmlSampler, observeNvml, hostWindow, fullWindow, DEFAULT_PERIOD_MS } from './nvml-sampler.js';
export { decodeThrottleReasons, isClockLimited, THROTTLE_REASONS } from './throttle.js';
export type { ThrottleReason } from './throttle.js';
export { deviceObservationSchema, kernelActivitySchema, nvmlObservationSchema, pmObservationSchema } from './schema.js';
export type {
  DeviceObservation,
  DeviceObservationJson,
  GpmTimeSeries,
  KernelActivity,
  KernelActivityJson,
  NvmlEventSeen,
  NvmlObservation,
  NvmlPart,
  NvmlTimeSeries,
  PmObservation,
} from './schema.js';

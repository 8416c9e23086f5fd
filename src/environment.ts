// What the result records about the machine: GPU, driver, CUDA, clocks at start and end, versions.
// Its shape is the result file's (src/report/schema.ts): the types are inferred there.
import { hostname } from 'node:os';
import type { CudaDevice, NativeBinding, NvmlDevice } from './binding/contract.js';
import { NoGpuError, OptionError } from './errors.js';
import type { ClockState, Environment } from './report/schema.js';
import { packageVersion } from './version.js';

export type { ClockState, Environment };

const NO_GPU_HINTS: Record<string, string> = {
  cudaErrorInsufficientDriver: 'no NVIDIA driver is installed, or it is older than CUDA 13 needs',
  cudaErrorNoDevice: 'the driver sees no CUDA device (check CUDA_VISIBLE_DEVICES)',
  cudaErrorDevicesUnavailable: 'every device is busy or in a compute mode that admits no more processes',
};

/** One line saying why no GPU can be used. */
export function noGpuReason(error: { cudaError?: string; code: string; message: string } | undefined): string {
  if (!error) return 'no usable NVIDIA GPU: no CUDA device found';
  const name = error.cudaError ?? error.code;
  return `no usable NVIDIA GPU: ${NO_GPU_HINTS[name] ?? error.message} (${name})`;
}

/** Finds the CUDA device or throws NoGpuError / OptionError (device index out of range). */
export async function findDevice(binding: NativeBinding, device: number): Promise<{ device: CudaDevice; driverVersion: number; runtimeVersion: number }> {
  const cuda = await binding.cudaDevices();
  if (!cuda.available) {
    throw new NoGpuError(noGpuReason(cuda.error), cuda.error?.cudaError);
  }
  const found = cuda.devices[device];
  if (!found) throw new OptionError('--device', `a device index below ${cuda.devices.length}`, device);
  return { device: found, driverVersion: cuda.driverVersion, runtimeVersion: cuda.runtimeVersion };
}

async function nvmlDevice(binding: NativeBinding, uuid: string): Promise<{ device?: NvmlDevice; driverVersion?: string; available: boolean; reason?: string }> {
  const snap = await binding.nvmlSnapshot();
  const device = snap.devices.find((d) => d.uuid === uuid);
  const out: { device?: NvmlDevice; driverVersion?: string; available: boolean; reason?: string } = { available: snap.available };
  if (device) out.device = device;
  if (snap.driverVersion) out.driverVersion = snap.driverVersion;
  if (snap.reason) out.reason = snap.reason;
  return out;
}

function clockState(device: NvmlDevice | undefined): ClockState {
  const state: ClockState = { at: new Date().toISOString() };
  if (!device) return state;
  if (device.smClockMHz !== undefined) state.smClockMHz = device.smClockMHz;
  if (device.memClockMHz !== undefined) state.memClockMHz = device.memClockMHz;
  if (device.temperatureC !== undefined) state.temperatureC = device.temperatureC;
  if (device.powerW !== undefined) state.powerW = device.powerW;
  if (device.clocksEventReasons !== undefined) state.clocksEventReasons = device.clocksEventReasons;
  return state;
}

export async function captureEnvironment(binding: NativeBinding, deviceIndex: number): Promise<Environment> {
  const { device, driverVersion, runtimeVersion } = await findDevice(binding, deviceIndex);
  const nvml = await nvmlDevice(binding, device.uuid);
  const gpu: Environment['gpu'] = { ...device };
  if (nvml.device?.maxSmClockMHz !== undefined) gpu.maxSmClockMHz = nvml.device.maxSmClockMHz;
  if (nvml.device?.migEnabled !== undefined) gpu.migEnabled = nvml.device.migEnabled;
  if (nvml.device?.persistenceMode !== undefined) gpu.persistenceMode = nvml.device.persistenceMode;
  const env: Environment = {
    tool: { name: 'gpushare-micro', version: packageVersion() },
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    hostname: hostname(),
    addon: binding.addonInfo(),
    cudaDriverVersion: driverVersion,
    cudaRuntimeVersion: runtimeVersion,
    gpu,
    clocksStart: clockState(nvml.device),
    nvml: nvml.reason ? { available: nvml.available, reason: nvml.reason } : { available: nvml.available },
  };
  if (nvml.driverVersion) env.driverVersion = nvml.driverVersion;
  return env;
}

/** Reads the clocks again (at the end of a run). */
export async function readClocks(binding: NativeBinding, uuid: string): Promise<ClockState> {
  return clockState((await nvmlDevice(binding, uuid)).device);
}

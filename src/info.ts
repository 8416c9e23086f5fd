// info(): what this machine offers for GPU sharing: each GPU, the driver and CUDA versions, compute
// and MIG modes, whether an MPS daemon answers, and which sharing modes can run here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddonInfo, CudaDevice, NativeBinding } from './binding/contract.js';
import { loadBinding } from './binding/loader.js';
import { MODES, resolveRunConfig, type ModeName } from './config.js';
import { captureEnvironment, noGpuReason } from './environment.js';
import { sharingMode } from './modes/index.js';
import { findExecutable, MPS_CONTROL } from './mps/daemon.js';
import { packageVersion } from './version.js';

export interface GpuInfo extends CudaDevice {
  migEnabled?: boolean;
  persistenceMode?: boolean;
  smClockMHz?: number;
  maxSmClockMHz?: number;
  memoryUsedBytes?: number;
}

export interface ModeSupport {
  mode: ModeName;
  /** It can run here: the GPU, driver and machine allow it. */
  possible: boolean;
  reason: string;
}

export interface InfoResult {
  version: string;
  available: boolean;
  /** Why no GPU can be used, in one line. */
  reason?: string;
  addon?: AddonInfo;
  driverVersion?: string;
  cudaDriverVersion?: number;
  cudaRuntimeVersion?: number;
  gpus: GpuInfo[];
  mps: { controlBinary?: string; pipeDirectory: string; daemonReachable: boolean; detail: string };
  modes: ModeSupport[];
}

function mpsStatus(): InfoResult['mps'] {
  const pipeDirectory = process.env.CUDA_MPS_PIPE_DIRECTORY ?? '/tmp/nvidia-mps';
  const controlBinary = findExecutable(MPS_CONTROL);
  if (!controlBinary) {
    return { pipeDirectory, daemonReachable: false, detail: 'nvidia-cuda-mps-control is not installed' };
  }
  if (!existsSync(join(pipeDirectory, 'control'))) {
    return { controlBinary, pipeDirectory, daemonReachable: false, detail: `no MPS control daemon in ${pipeDirectory}` };
  }
  const probe = spawnSync(controlBinary, [], {
    input: 'get_server_list\n',
    env: { ...process.env, CUDA_MPS_PIPE_DIRECTORY: pipeDirectory },
    timeout: 3000,
    encoding: 'utf8',
  });
  const reachable = probe.status === 0 && !/cannot find|error/i.test(`${probe.stdout}${probe.stderr}`);
  return {
    controlBinary,
    pipeDirectory,
    daemonReachable: reachable,
    detail: reachable ? `MPS control daemon answers in ${pipeDirectory}` : `the MPS control daemon in ${pipeDirectory} does not answer`,
  };
}

function noModes(): ModeSupport[] {
  return MODES.map((mode) => ({ mode, possible: false, reason: 'no usable GPU' }));
}

async function modes(binding: NativeBinding): Promise<ModeSupport[]> {
  const environment = await captureEnvironment(binding, 0);
  const out: ModeSupport[] = [];
  for (const mode of MODES) {
    const availability = await sharingMode(mode).availability({ config: resolveRunConfig({ mode }), environment, binding });
    out.push({ mode, possible: availability.available, reason: availability.available ? sharingMode(mode).description : availability.reason });
  }
  return out;
}

export function fmtCuda(version: number): string {
  return `${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

/** What this machine offers. `binding` defaults to the addon, loaded here; an addon that cannot load is the result's reason. */
export async function info(binding?: NativeBinding): Promise<InfoResult> {
  const mps = mpsStatus();
  const base: InfoResult = { version: packageVersion(), available: false, gpus: [], mps, modes: [] };
  try {
    binding ??= loadBinding();
  } catch (error) {
    return { ...base, reason: (error as Error).message.split('\n')[0], modes: noModes() };
  }
  base.addon = binding.addonInfo();
  const [cuda, nvml] = await Promise.all([binding.cudaDevices(), binding.nvmlSnapshot()]);
  base.cudaRuntimeVersion = cuda.runtimeVersion;
  if (cuda.driverVersion) base.cudaDriverVersion = cuda.driverVersion;
  if (nvml.driverVersion) base.driverVersion = nvml.driverVersion;
  base.gpus = cuda.devices.map((d) => {
    const n = nvml.devices.find((x) => x.uuid === d.uuid);
    const gpu: GpuInfo = { ...d };
    if (n?.migEnabled !== undefined) gpu.migEnabled = n.migEnabled;
    if (n?.persistenceMode !== undefined) gpu.persistenceMode = n.persistenceMode;
    if (n?.smClockMHz !== undefined) gpu.smClockMHz = n.smClockMHz;
    if (n?.maxSmClockMHz !== undefined) gpu.maxSmClockMHz = n.maxSmClockMHz;
    if (n?.memoryUsedBytes !== undefined) gpu.memoryUsedBytes = n.memoryUsedBytes;
    return gpu;
  });
  base.available = cuda.available && base.gpus.length > 0;
  if (!base.available) {
    base.reason = noGpuReason(cuda.error);
  }
  base.modes = base.available ? await modes(binding) : noModes();
  return base;
}

// info(): what this machine offers for GPU sharing: each GPU, the driver and CUDA versions, compute
// and MIG modes, whether an MPS daemon answers, and which sharing modes can run here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AddonInfo, CudaDevice } from './binding/contract.js';
import { loadBinding } from './binding/loader.js';
import { noGpuReason } from './environment.js';
import { packageVersion } from './version.js';

export interface GpuInfo extends CudaDevice {
  migEnabled?: boolean;
  persistenceMode?: boolean;
  smClockMHz?: number;
  maxSmClockMHz?: number;
  memoryUsedBytes?: number;
}

export interface ModeSupport {
  mode: 'timeslice' | 'mps' | 'streams' | 'green' | 'mig';
  /** The GPU, driver and machine allow it. */
  possible: boolean;
  /** This version of gpushare-micro can measure it. */
  implemented: boolean;
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

const MPS_DIRS = ['/usr/local/nvidia/bin', '/usr/bin', '/usr/local/cuda/bin'];

export function findMpsControl(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...MPS_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nvidia-cuda-mps-control');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function mpsStatus(): InfoResult['mps'] {
  const pipeDirectory = process.env.CUDA_MPS_PIPE_DIRECTORY ?? '/tmp/nvidia-mps';
  const controlBinary = findMpsControl();
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

function modes(gpu: GpuInfo | undefined, driver: number, mps: InfoResult['mps']): ModeSupport[] {
  const noGpu = 'no usable GPU';
  const cm = gpu?.computeMode;
  const later = 'not measured by this version yet';
  return [
    {
      mode: 'timeslice',
      possible: !!gpu && cm === 'default',
      implemented: true,
      reason: !gpu ? noGpu : cm === 'default' ? 'several processes share the GPU in turns (compute mode Default)' : `compute mode is ${cm}: one process at a time`,
    },
    {
      mode: 'mps',
      possible: !!gpu && !!mps.controlBinary && cm !== 'prohibited' && gpu.migEnabled !== true,
      implemented: false,
      reason: !gpu ? noGpu : !mps.controlBinary ? 'nvidia-cuda-mps-control is not installed' : `${mps.detail}; ${later}`,
    },
    {
      mode: 'streams',
      possible: !!gpu && cm !== 'prohibited',
      implemented: false,
      reason: !gpu ? noGpu : `one context, one stream per client; ${later}`,
    },
    {
      mode: 'green',
      possible: !!gpu && driver >= 12040,
      implemented: false,
      reason: !gpu ? noGpu : driver >= 12040 ? `the driver (CUDA ${fmtCuda(driver)}) has the green-context API; ${later}` : `the driver supports CUDA ${fmtCuda(driver)}; green contexts need 12.4+`,
    },
    {
      mode: 'mig',
      possible: gpu?.migEnabled === true,
      implemented: false,
      reason: !gpu ? noGpu : gpu.migEnabled === true ? `MIG is enabled; ${later}` : gpu.migEnabled === false ? 'MIG is disabled on this GPU (enabling it changes the machine for everyone)' : 'this GPU does not support MIG',
    },
  ];
}

export function fmtCuda(version: number): string {
  return `${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

export async function info(): Promise<InfoResult> {
  const mps = mpsStatus();
  const base: InfoResult = { version: packageVersion(), available: false, gpus: [], mps, modes: [] };
  let binding;
  try {
    binding = loadBinding();
  } catch (error) {
    return { ...base, reason: (error as Error).message.split('\n')[0], modes: modes(undefined, 0, mps) };
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
  base.modes = modes(base.gpus[0], cuda.driverVersion, mps);
  return base;
}

// A snapshot shaped exactly like nvmlSnapshot()'s answer on an H200 with two processes, for tests
// of the monitor's pure parts (frame building, rendering, Prometheus text) on machines without one.
import type { NvmlLatest, NvmlSnapshot } from '../../src/binding/contract.js';

export const snapshot: NvmlSnapshot = {
  available: true,
  driverVersion: '580.159.04',
  cudaDriverVersion: 13000,
  devices: [
    {
      index: 0,
      name: 'NVIDIA H200',
      uuid: 'GPU-11111111-2222-3333-4444-555555555555',
      memoryTotalBytes: 150754820096,
      memoryUsedBytes: 8 * 2 ** 30,
      smClockMHz: 1980,
      memClockMHz: 3201,
      maxSmClockMHz: 1980,
      temperatureC: 41,
      powerW: 412.3,
      powerLimitW: 700,
      energyJ: 123456.789,
      utilizationGpuPct: 100,
      utilizationMemoryPct: 12,
      computeMode: 'default',
      migEnabled: false,
      clocksEventReasons: 0x4,
      eccEnabled: true,
      eccErrors: { corrected: 0, uncorrected: 0 },
      gpmSupported: true,
      processes: [
        { pid: 101, name: 'node', usedMemoryBytes: 2 * 2 ** 30, mps: false },
        { pid: 102, name: 'node', usedMemoryBytes: 3 * 2 ** 30, mps: false },
      ],
    },
    // A second GPU that reports little: no power, no GPM, no process list.
    {
      index: 1,
      name: 'Older GPU',
      uuid: 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      memoryTotalBytes: 16 * 2 ** 30,
      memoryUsedBytes: 0,
      gpmSupported: false,
      processesReason: 'nvmlDeviceGetComputeRunningProcesses_v3: NVML_ERROR_NOT_SUPPORTED (Not Supported)',
    },
  ],
};

export const latest: NvmlLatest = {
  tNs: 5e8,
  fields: { utilizationGpuPct: 100 },
  gpm: { smActivityPct: 97.5, smOccupancyPct: 12.25, tensorActivityPct: 60, dramBandwidthPct: 8 },
};

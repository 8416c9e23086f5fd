// One frame of the live monitor: every GPU's state (from an NVML snapshot), its latest GPM metrics
// (from a running sampler), its processes with their command lines and, where NVML reports it, their
// SM and memory utilisation, and the runs in progress (their status files). Plain data, built by a
// pure function, so the renderers and the Prometheus exporter can be tested without a GPU.
import type { GpmMetric, NvmlDevice, NvmlLatest, NvmlSnapshot } from '../binding/contract.js';
import { decodeThrottleReasons, isClockLimited } from '../observe/throttle.js';
import type { ProcessUtilizationView } from './process-utilization.js';
import type { RunStatus } from './run-status.js';

export interface ProcessFrame {
  pid: number;
  command: string;
  usedMemoryBytes?: number;
  mps: boolean;
  gpuInstanceId?: number;
  /** Mean SM and memory (frame buffer) utilisation over NVML's recent samples of this process; absent without a sample. */
  smUtilPct?: number;
  memUtilPct?: number;
}

export interface GpuFrame {
  index: number;
  name: string;
  uuid: string;
  utilizationGpuPct?: number;
  utilizationMemoryPct?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  powerW?: number;
  powerLimitW?: number;
  energyJ?: number;
  temperatureC?: number;
  smClockMHz?: number;
  maxSmClockMHz?: number;
  memClockMHz?: number;
  clocksEventReasons?: number;
  throttleReasons?: string[];
  clockLimited?: boolean;
  migEnabled?: boolean;
  eccErrors?: { corrected: number; uncorrected: number };
  /** Latest GPM interval, percentages; absent when GPM is not read. */
  gpm?: Partial<Record<GpmMetric, number>>;
  /** Why `gpm` is absent. */
  gpmReason?: string;
  processes: ProcessFrame[];
  processesReason?: string;
  /** Whether NVML reports per-process utilisation on this GPU (absent: not asked). */
  processUtilizationReported?: boolean;
  /** Why some or all processes have no utilisation figure (not reported, MIG, MPS). */
  processUtilizationReason?: string;
}

export interface MonitorFrame {
  /** Wall-clock time of the frame (ISO 8601). */
  at: string;
  driverVersion?: string;
  cudaDriverVersion?: number;
  gpus: GpuFrame[];
  /** The runs in progress (their status files); absent when not looked for. */
  runs?: RunStatus[];
}

export interface FrameInputs {
  snapshot: NvmlSnapshot;
  /** Latest sampler reading per device index (GPM); missing or null: no GPM. */
  latest: Map<number, NvmlLatest | null>;
  /** Why GPM is not read, per device index. */
  gpmReasons: Map<number, string>;
  /** The command line of a process, or undefined. */
  command: (pid: number, nvmlName: string | undefined) => string;
  devices?: readonly number[];
  now: Date;
  /** Per-process utilisation per device index; a device missing here was not asked. */
  utilization?: Map<number, ProcessUtilizationView>;
  runs?: RunStatus[];
}

/** Puts each process's utilisation into `g` and says why processes have none, where NVML tells nothing per process. */
function addUtilization(g: GpuFrame, d: NvmlDevice, u: ProcessUtilizationView): void {
  g.processUtilizationReported = u.reported;
  if (!u.reported) {
    const why = u.reason ?? 'NVML does not report per-process utilisation';
    g.processUtilizationReason = d.migEnabled ? `MIG is on: ${why}` : why;
    return;
  }
  for (const p of g.processes) {
    const use = u.byPid.get(p.pid);
    if (!use) continue;
    p.smUtilPct = use.smPct;
    p.memUtilPct = use.memPct;
  }
  const without = g.processes.filter((p) => p.smUtilPct === undefined);
  if (without.length === 0) return;
  if (d.migEnabled && u.byPid.size === 0) {
    g.processUtilizationReason = 'MIG is on: NVML gives no per-process samples for the whole GPU (its GPU instances are not broken down by process)';
  } else if (without.some((p) => p.mps)) {
    g.processUtilizationReason = "MPS: an MPS client's work runs in the MPS server's context, so NVML may sample the server rather than each client";
  }
}

export function buildFrame(inputs: FrameInputs): MonitorFrame {
  const { snapshot } = inputs;
  const frame: MonitorFrame = { at: inputs.now.toISOString(), gpus: [] };
  if (snapshot.driverVersion) frame.driverVersion = snapshot.driverVersion;
  if (snapshot.cudaDriverVersion !== undefined) frame.cudaDriverVersion = snapshot.cudaDriverVersion;
  for (const d of snapshot.devices) {
    if (inputs.devices && !inputs.devices.includes(d.index)) continue;
    const g: GpuFrame = { index: d.index, name: d.name, uuid: d.uuid, processes: [] };
    const copy = <K extends keyof GpuFrame & keyof typeof d>(key: K) => {
      if (d[key] !== undefined) (g as unknown as Record<string, unknown>)[key] = d[key];
    };
    for (const key of [
      'utilizationGpuPct',
      'utilizationMemoryPct',
      'memoryUsedBytes',
      'memoryTotalBytes',
      'powerW',
      'powerLimitW',
      'energyJ',
      'temperatureC',
      'smClockMHz',
      'maxSmClockMHz',
      'memClockMHz',
      'clocksEventReasons',
      'migEnabled',
      'eccErrors',
    ] as const) {
      copy(key);
    }
    if (d.clocksEventReasons !== undefined) {
      g.throttleReasons = decodeThrottleReasons(d.clocksEventReasons);
      g.clockLimited = isClockLimited(d.clocksEventReasons);
    }
    const latest = inputs.latest.get(d.index);
    if (latest && Object.keys(latest.gpm).length > 0) g.gpm = { ...latest.gpm };
    else g.gpmReason = inputs.gpmReasons.get(d.index) ?? (d.gpmSupported === false ? 'this GPU does not support GPM' : 'no GPM interval yet');
    if (d.processes) {
      g.processes = d.processes
        .map((p) => {
          const out: ProcessFrame = { pid: p.pid, command: inputs.command(p.pid, p.name), mps: p.mps };
          if (p.usedMemoryBytes !== undefined) out.usedMemoryBytes = p.usedMemoryBytes;
          if (p.gpuInstanceId !== undefined) out.gpuInstanceId = p.gpuInstanceId;
          return out;
        })
        .sort((a, b) => (b.usedMemoryBytes ?? 0) - (a.usedMemoryBytes ?? 0) || a.pid - b.pid);
    } else if (d.processesReason) {
      g.processesReason = d.processesReason;
    }
    const utilization = inputs.utilization?.get(d.index);
    if (utilization) addUtilization(g, d, utilization);
    frame.gpus.push(g);
  }
  if (inputs.runs) frame.runs = inputs.runs;
  return frame;
}

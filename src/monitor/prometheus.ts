// The monitor's frames as Prometheus metrics, named like NVIDIA's dcgm-exporter (DCGM_FI_DEV_* for
// device fields, DCGM_FI_PROF_* for profiling ratios 0..1) with its `gpu`, `UUID`, `modelName` and
// `Hostname` labels, so dashboards made for it work; per-process memory and utilisation, and the
// figures of the runs in progress, have names of their own (gpushare_micro_*).
// prom-client writes the text exposition; node:http serves it.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import type { GpuFrame, MonitorFrame } from './frame.js';
import type { RunStatus } from './run-status.js';

const LABELS = ['gpu', 'UUID', 'modelName', 'Hostname'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

interface DeviceMetric {
  name: string;
  help: string;
  value: (g: GpuFrame) => number | undefined;
}

const MiB = 2 ** 20;
const ratio = (pct: number | undefined) => (pct === undefined ? undefined : pct / 100);

/** Device metrics: dcgm-exporter's name, its unit in the help text, and where the value comes from. */
export const DEVICE_METRICS: readonly DeviceMetric[] = [
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', value: (g) => g.utilizationGpuPct },
  { name: 'DCGM_FI_DEV_MEM_COPY_UTIL', help: 'Memory utilization (in %).', value: (g) => g.utilizationMemoryPct },
  {
    name: 'DCGM_FI_DEV_FB_USED',
    help: 'Framebuffer memory used (in MiB).',
    value: (g) => (g.memoryUsedBytes === undefined ? undefined : g.memoryUsedBytes / MiB),
  },
  {
    name: 'DCGM_FI_DEV_FB_FREE',
    help: 'Framebuffer memory free (in MiB).',
    value: (g) => (g.memoryUsedBytes === undefined || g.memoryTotalBytes === undefined ? undefined : (g.memoryTotalBytes - g.memoryUsedBytes) / MiB),
  },
  {
    name: 'DCGM_FI_DEV_FB_TOTAL',
    help: 'Framebuffer memory total (in MiB).',
    value: (g) => (g.memoryTotalBytes === undefined ? undefined : g.memoryTotalBytes / MiB),
  },
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', value: (g) => g.powerW },
  { name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT', help: 'Power management limit (in W).', value: (g) => g.powerLimitW },
  {
    name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
    help: 'Total energy consumption since the driver loaded (in mJ).',
    value: (g) => (g.energyJ === undefined ? undefined : g.energyJ * 1000),
  },
  { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', value: (g) => g.temperatureC },
  { name: 'DCGM_FI_DEV_SM_CLOCK', help: 'SM clock frequency (in MHz).', value: (g) => g.smClockMHz },
  { name: 'DCGM_FI_DEV_MEM_CLOCK', help: 'Memory clock frequency (in MHz).', value: (g) => g.memClockMHz },
  {
    name: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
    help: 'Current clock throttle reasons (bit mask, nvmlClocksEventReason*).',
    value: (g) => g.clocksEventReasons,
  },
  { name: 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', help: 'Total number of single-bit volatile ECC errors.', value: (g) => g.eccErrors?.corrected },
  { name: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', help: 'Total number of double-bit volatile ECC errors.', value: (g) => g.eccErrors?.uncorrected },
  { name: 'DCGM_FI_PROF_SM_ACTIVE', help: 'The ratio of cycles an SM has at least 1 warp assigned (GPM, 0..1).', value: (g) => ratio(g.gpm?.smActivityPct) },
  {
    name: 'DCGM_FI_PROF_SM_OCCUPANCY',
    help: 'The ratio of number of warps resident on an SM to the maximum (GPM, 0..1).',
    value: (g) => ratio(g.gpm?.smOccupancyPct),
  },
  {
    name: 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
    help: 'Ratio of cycles the tensor (HMMA) pipe is active (GPM any tensor, 0..1).',
    value: (g) => ratio(g.gpm?.tensorActivityPct),
  },
  {
    name: 'DCGM_FI_PROF_PIPE_TENSOR_HMMA_ACTIVE',
    help: 'Ratio of cycles the HMMA tensor pipe is active (GPM, 0..1).',
    value: (g) => ratio(g.gpm?.hmmaTensorActivityPct),
  },
  {
    name: 'DCGM_FI_PROF_DRAM_ACTIVE',
    help: 'Ratio of cycles the device memory interface is active (GPM DRAM bandwidth, 0..1).',
    value: (g) => ratio(g.gpm?.dramBandwidthPct),
  },
  { name: 'DCGM_FI_PROF_PIPE_FP32_ACTIVE', help: 'Ratio of cycles the fp32 pipe is active (GPM, 0..1).', value: (g) => ratio(g.gpm?.fp32ActivityPct) },
  { name: 'DCGM_FI_PROF_PIPE_FP16_ACTIVE', help: 'Ratio of cycles the fp16 pipe is active (GPM, 0..1).', value: (g) => ratio(g.gpm?.fp16ActivityPct) },
];

const RUN_LABELS = ['run', 'mode', 'Hostname'] as const;

interface RunMetric {
  name: string;
  help: string;
  value: (r: RunStatus) => number | undefined;
}

/** A run in progress, labelled by its pid (`run`) and mode; a figure the run has not measured yet is absent. */
export const RUN_METRICS: readonly RunMetric[] = [
  { name: 'gpushare_micro_run_clients', help: 'Clients sharing the GPU in the run.', value: (r) => r.clients },
  { name: 'gpushare_micro_run_index', help: 'Which run of --runs N is in progress (1-based; 1 for a single run).', value: (r) => r.run ?? 1 },
  { name: 'gpushare_micro_run_runs', help: 'Runs asked for (--runs N; 1 for a single run).', value: (r) => r.runs ?? 1 },
  {
    name: 'gpushare_micro_run_switches_per_second',
    help: "Context switches per second between the clients in the run's last measured shared phase.",
    value: (r) => r.measured?.switchesPerSecond,
  },
  {
    name: 'gpushare_micro_run_worst_slowdown',
    help: 'The largest client slowdown against its solo baseline in the last measured run (1: none).',
    value: (r) => r.measured?.worstSlowdown,
  },
  {
    name: 'gpushare_micro_run_worst_p99_vs_solo',
    help: "The largest client's p99 latency over its solo p99 in the last measured run.",
    value: (r) => r.measured?.worstP99VsSolo,
  },
];

export class PrometheusExporter {
  readonly registry = new Registry();
  private readonly gauges: Array<[DeviceMetric, Gauge<string>]>;
  private readonly processMemory: Gauge<string>;
  private readonly processCount: Gauge<string>;
  private readonly processSm: Gauge<string>;
  private readonly processMemUtil: Gauge<string>;
  private readonly runInfo: Gauge<string>;
  private readonly runGauges: Array<[RunMetric, Gauge<string>]>;
  private readonly host: string;

  constructor(host = hostname()) {
    this.host = host;
    this.gauges = DEVICE_METRICS.map((m) => [m, new Gauge({ name: m.name, help: m.help, labelNames: LABELS, registers: [this.registry] })]);
    this.processMemory = new Gauge({
      name: 'gpushare_micro_process_memory_used_bytes',
      help: 'Device memory used by a compute process (NVML).',
      labelNames: [...LABELS, 'pid', 'command', 'mps'],
      registers: [this.registry],
    });
    this.processCount = new Gauge({
      name: 'gpushare_micro_compute_processes',
      help: 'Compute processes on the GPU (NVML).',
      labelNames: LABELS,
      registers: [this.registry],
    });
    const processLabels = [...LABELS, 'pid', 'command'];
    this.processSm = new Gauge({
      name: 'gpushare_micro_process_sm_utilization_ratio',
      help: "A process's SM utilisation, mean of NVML's per-process samples over the last second or two (0..1).",
      labelNames: processLabels,
      registers: [this.registry],
    });
    this.processMemUtil = new Gauge({
      name: 'gpushare_micro_process_memory_utilization_ratio',
      help: "A process's memory (frame buffer) utilisation, mean of NVML's per-process samples over the last second or two (0..1).",
      labelNames: processLabels,
      registers: [this.registry],
    });
    this.runInfo = new Gauge({
      name: 'gpushare_micro_run_info',
      help: 'A gpushare-micro run in progress (1), with its phase: starting, solo, shared or analysing (its clients done, their traces being read).',
      labelNames: [...RUN_LABELS, 'phase', 'device'],
      registers: [this.registry],
    });
    this.runGauges = RUN_METRICS.map((m) => [m, new Gauge({ name: m.name, help: m.help, labelNames: RUN_LABELS, registers: [this.registry] })]);
  }

  /** Replaces every value with the frame's; a field the GPU does not report is left out. */
  update(frame: MonitorFrame): void {
    this.registry.resetMetrics();
    for (const g of frame.gpus) {
      const labels: Labels = { gpu: String(g.index), UUID: g.uuid, modelName: g.name, Hostname: this.host };
      for (const [metric, gauge] of this.gauges) {
        const v = metric.value(g);
        if (v !== undefined && Number.isFinite(v)) gauge.set(labels, v);
      }
      this.processCount.set(labels, g.processes.length);
      for (const p of g.processes) {
        if (p.usedMemoryBytes !== undefined) {
          this.processMemory.set({ ...labels, pid: String(p.pid), command: p.command, mps: String(p.mps) }, p.usedMemoryBytes);
        }
        const processLabels = { ...labels, pid: String(p.pid), command: p.command };
        if (p.smUtilPct !== undefined) this.processSm.set(processLabels, p.smUtilPct / 100);
        if (p.memUtilPct !== undefined) this.processMemUtil.set(processLabels, p.memUtilPct / 100);
      }
    }
    for (const r of frame.runs ?? []) {
      const labels = { run: String(r.pid), mode: r.mode, Hostname: this.host };
      this.runInfo.set({ ...labels, phase: r.phase, device: String(r.device) }, 1);
      for (const [metric, gauge] of this.runGauges) {
        const v = metric.value(r);
        if (v !== undefined && Number.isFinite(v)) gauge.set(labels, v);
      }
    }
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Serves GET /metrics on host:port (0: any free port); resolves with the server once listening. */
export function servePrometheus(exporter: PrometheusExporter, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      exporter.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': exporter.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error)),
      );
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('gpushare-micro monitor: metrics at /metrics\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

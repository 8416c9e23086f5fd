// Where the monitor's frames come from: an NVML snapshot per refresh, plus one background NVML
// sampler per GPU that takes GPM samples at the refresh period (keeping only its latest reading),
// NVML's per-process utilisation samples since the last refresh, and the status files of the runs
// in progress.
import type { NativeBinding, NativeNvmlSampler, NvmlLatest } from '../binding/contract.js';
import { NoGpuError } from '../errors.js';
import { processCommand } from './commands.js';
import { buildFrame, type MonitorFrame } from './frame.js';
import { ProcessUtilizationWindow, type ProcessUtilizationView } from './process-utilization.js';
import { readRunStatuses, runStatusDir } from './run-status.js';

export interface SourceOptions {
  intervalMs: number;
  gpm: boolean;
  devices?: readonly number[];
  /** Where runs publish their status (default: runStatusDir()). */
  runStatusDir?: string;
  /** Told once per skipped status file. */
  onNote?: (note: string) => void;
}

export class MonitorSource {
  private constructor(
    private readonly binding: NativeBinding,
    private readonly options: SourceOptions,
    private readonly samplers: Map<number, NativeNvmlSampler>,
    private readonly gpmReasons: Map<number, string>,
  ) {}

  /** Per-process utilisation, per device index. */
  private readonly windows = new Map<number, ProcessUtilizationWindow>();
  private readonly notesSeen = new Set<string>();

  /** Opens NVML and starts the GPM samplers; throws NoGpuError when NVML or every GPU is missing. */
  static async open(binding: NativeBinding, options: SourceOptions): Promise<MonitorSource> {
    const snapshot = await binding.nvmlSnapshot();
    if (!snapshot.available) throw new NoGpuError(`no usable NVIDIA GPU: ${snapshot.reason ?? 'NVML is not available'}`);
    const devices = snapshot.devices.filter((d) => !options.devices || options.devices.includes(d.index));
    if (devices.length === 0) {
      throw new NoGpuError(
        snapshot.devices.length === 0
          ? 'no usable NVIDIA GPU: NVML sees no device'
          : `no usable NVIDIA GPU: no device with index ${options.devices?.join(', ')}`,
      );
    }
    const samplers = new Map<number, NativeNvmlSampler>();
    const reasons = new Map<number, string>();
    for (const d of devices) {
      if (!options.gpm) {
        reasons.set(d.index, 'GPM off (--no-gpm)');
      } else if (d.gpmSupported !== true) {
        reasons.set(d.index, d.gpmSupported === false ? 'this GPU does not support GPM (Hopper or newer)' : "this driver's NVML has no GPM");
      } else {
        try {
          const s = new binding.NvmlSampler({ device: d.index, periodMs: options.intervalMs, gpm: true, retain: false });
          s.start();
          samplers.set(d.index, s);
        } catch (error) {
          reasons.set(d.index, (error as Error).message);
        }
      }
    }
    return new MonitorSource(binding, options, samplers, reasons);
  }

  /** Waits until every GPM sampler has its first interval (at most `timeoutMs`); for a single frame. */
  async warmUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ready = [...this.samplers.values()].every((s) => {
        const l = s.latest();
        return l !== null && Object.keys(l.gpm).length > 0;
      });
      if (ready) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Each device's per-process utilisation: the samples NVML took since the last refresh, over a window of at least a second. */
  private async utilization(indices: readonly number[]): Promise<Map<number, ProcessUtilizationView>> {
    const out = new Map<number, ProcessUtilizationView>();
    for (const index of indices) {
      let window = this.windows.get(index);
      if (!window) {
        window = new ProcessUtilizationWindow(Math.max(1000, 2 * this.options.intervalMs) * 1000);
        this.windows.set(index, window);
      }
      window.add(await this.binding.nvmlProcessUtilization({ device: index, sinceUs: window.sinceUs }));
      out.set(index, window.view());
    }
    return out;
  }

  async frame(): Promise<MonitorFrame> {
    const snapshot = await this.binding.nvmlSnapshot();
    const latest = new Map<number, NvmlLatest | null>();
    for (const [index, s] of this.samplers) latest.set(index, s.latest());
    const indices = snapshot.devices.map((d) => d.index).filter((i) => !this.options.devices || this.options.devices.includes(i));
    const [utilization, runs] = await Promise.all([this.utilization(indices), readRunStatuses(this.options.runStatusDir ?? runStatusDir())]);
    for (const note of runs.notes) {
      if (this.notesSeen.has(note)) continue;
      this.notesSeen.add(note);
      this.options.onNote?.(note);
    }
    return buildFrame({
      snapshot,
      latest,
      gpmReasons: this.gpmReasons,
      command: processCommand,
      ...(this.options.devices ? { devices: this.options.devices } : {}),
      now: new Date(),
      utilization,
      runs: runs.runs,
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.samplers.values()].map((s) => s.stop()));
    this.samplers.clear();
  }
}

// Per-process SM and memory utilisation for the monitor, from NVML's per-process samples
// (nvmlProcessUtilization): NVML samples each process that did work every so often and keeps a short
// history; the monitor asks for the samples after the newest it has seen and averages each process's
// samples over a window that ends at NVML's newest sample (NVML's own clock: no comparison with ours).
// A process without a sample in the window has no figure (it is not shown as 0%); when NVML gives no
// new sample for a whole window (every process idle), the old ones are dropped by our clock.
import type { NvmlProcessUtilization, NvmlProcessUtilizationSample } from '../binding/contract.js';

/** One process's utilisation over the window, in percent. */
export interface ProcessUtilization {
  smPct: number;
  memPct: number;
  /** Samples averaged. */
  samples: number;
}

/** What the monitor knows of a device's per-process utilisation. */
export interface ProcessUtilizationView {
  /** False: NVML does not report it on this device (`reason` says why). */
  reported: boolean;
  reason?: string;
  byPid: Map<number, ProcessUtilization>;
}

/** The samples of one device over a sliding window; fed with each reading, asked after each. */
export class ProcessUtilizationWindow {
  private samples: NvmlProcessUtilizationSample[] = [];
  private newestUs = 0;
  /** Our clock (ms) when the newest sample arrived. */
  private arrivedMs = 0;
  private reported = false;
  private reason: string | undefined;

  constructor(private readonly windowUs: number) {}

  /** The time stamp to ask NVML for samples after (0 at first: everything NVML still holds). */
  get sinceUs(): number {
    return this.newestUs;
  }

  add(reading: NvmlProcessUtilization, nowMs = Date.now()): void {
    this.reported = reading.reported;
    this.reason = reading.reason;
    if (!reading.reported) {
      this.samples = [];
      return;
    }
    const seen = this.newestUs;
    for (const s of reading.samples) {
      if (s.timeStampUs <= seen) continue; // had already
      this.samples.push(s);
      this.newestUs = Math.max(this.newestUs, s.timeStampUs);
      this.arrivedMs = nowMs;
    }
    const from = this.newestUs - this.windowUs;
    this.samples = this.samples.filter((s) => s.timeStampUs > from);
  }

  view(nowMs = Date.now()): ProcessUtilizationView {
    const fresh = nowMs - this.arrivedMs <= this.windowUs / 1000;
    return { reported: this.reported, ...(this.reason ? { reason: this.reason } : {}), byPid: averageByPid(fresh ? this.samples : []) };
  }
}

/** Each process's mean SM and memory utilisation over `samples`. */
export function averageByPid(samples: readonly NvmlProcessUtilizationSample[]): Map<number, ProcessUtilization> {
  const sums = new Map<number, { sm: number; mem: number; n: number }>();
  for (const s of samples) {
    const sum = sums.get(s.pid) ?? { sm: 0, mem: 0, n: 0 };
    sum.sm += s.smPct;
    sum.mem += s.memPct;
    sum.n += 1;
    sums.set(s.pid, sum);
  }
  return new Map([...sums].map(([pid, { sm, mem, n }]) => [pid, { smPct: sm / n, memPct: mem / n, samples: n }]));
}

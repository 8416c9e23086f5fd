// The monitor loop: open the source, print a frame every interval (screen, plain lines or JSON),
// update the Prometheus endpoint, and stop on --once, --duration or the abort signal.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NativeBinding } from '../binding/contract.js';
import type { MonitorFrame } from './frame.js';
import type { MonitorConfig } from './options.js';
import { PrometheusExporter, servePrometheus } from './prometheus.js';
import { renderJson, renderPlain, renderScreen } from './render.js';
import { MonitorSource } from './source.js';

export interface MonitorIo {
  write(text: string): void;
  /** Whether the output is a terminal (screen redraws) or not (plain lines). */
  isTTY: boolean;
  columns?: number;
  color?: boolean;
  /** Told once the Prometheus endpoint listens. */
  onListening?: (url: string) => void;
  /** Every frame, as data (tests). */
  onFrame?: (frame: MonitorFrame) => void;
  /** A one-line note, once each (a run status file that was skipped). */
  onNote?: (note: string) => void;
}

const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs the monitor until it is done; throws NoGpuError when there is nothing to monitor. */
export async function runMonitor(binding: NativeBinding, config: MonitorConfig, io: MonitorIo, signal?: AbortSignal): Promise<void> {
  const source = await MonitorSource.open(binding, {
    intervalMs: config.intervalMs,
    gpm: config.gpm,
    ...(config.devices ? { devices: config.devices } : {}),
    ...(config.runStatusDir ? { runStatusDir: config.runStatusDir } : {}),
    ...(io.onNote ? { onNote: io.onNote } : {}),
  });
  let server: Server | undefined;
  const exporter = config.prometheus ? new PrometheusExporter() : undefined;
  // A terminal gets the screen (redrawn in place unless --once); anything else gets plain lines.
  const screen = io.isTTY && !config.json;
  const redraw = screen && !config.once;
  try {
    if (config.prometheus && exporter) {
      exporter.update(await source.frame());
      server = await servePrometheus(exporter, config.prometheus.port, config.prometheus.host);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      io.onListening?.(`http://${host}:${address.port}/metrics`);
    }
    // GPM needs two samples: give the samplers one interval before the first frame.
    await source.warmUp(config.intervalMs + 250);
    if (redraw) io.write(HIDE_CURSOR);
    const started = Date.now();
    const endAt = config.durationNs !== undefined ? started + config.durationNs / 1e6 : Infinity;
    for (let tick = 0; ; tick++) {
      const frame = await source.frame();
      exporter?.update(frame);
      io.onFrame?.(frame);
      if (!config.quiet) {
        if (config.json) io.write(`${renderJson(frame)}\n`);
        else if (screen) io.write(`${redraw ? CLEAR : ''}${renderScreen(frame, { width: io.columns ?? 100, color: io.color ?? true })}\n`);
        else io.write(`${renderPlain(frame)}\n`);
      }
      if (config.once || signal?.aborted) break;
      const next = started + (tick + 1) * config.intervalMs;
      if (next > endAt) {
        await sleep(Math.max(0, endAt - Date.now()), signal);
        break;
      }
      await sleep(Math.max(0, next - Date.now()), signal);
      if (signal?.aborted || Date.now() >= endAt) break;
    }
  } finally {
    if (redraw) io.write(SHOW_CURSOR);
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await source.close();
  }
}

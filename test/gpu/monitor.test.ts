// `monitor` beside a real 2-client run (the CLI, time slicing, 2 runs): the monitor's source sees the
// run's status file (its phase, its clients' pids, then run 1's figures), NVML's per-process SM use
// of both client processes (or the reason NVML gives for none), and its Prometheus endpoint exports
// both. What it saw is printed (and, with OBSERVE_OUT set, written there) for docs/results.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { MonitorFrame } from '../../src/monitor/frame.js';
import { PrometheusExporter, servePrometheus } from '../../src/monitor/prometheus.js';
import { renderPlain } from '../../src/monitor/render.js';
import { MonitorSource } from '../../src/monitor/source.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('monitor.test.ts');
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe.skipIf(!gpu.available)('monitor beside a real run', () => {
  it("shows both clients' SM use (or NVML's reason) and exports the run's phase and figures", { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpushare-gpu-status-'));
    const env = { ...process.env, GPUSHARE_RUN_STATUS_DIR: dir };
    const run = spawn(process.execPath, [cli, '--kernel', 'gemm', '--procs', '2', '--duration', '3s', '--runs', '2', '--quiet'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let runOutput = '';
    run.stdout!.on('data', (d: Buffer) => (runOutput += d.toString()));
    run.stderr!.on('data', (d: Buffer) => (runOutput += d.toString()));
    const source = await MonitorSource.open(gpu.binding!, { intervalMs: 500, gpm: false, runStatusDir: dir });
    const exporter = new PrometheusExporter();
    const server = await servePrometheus(exporter, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    let shared: MonitorFrame | undefined; // a frame with the run sharing and both its clients listed
    let sharedText = '';
    let measured: MonitorFrame | undefined; // a frame with run 1's figures
    let measuredText = '';
    try {
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline && run.exitCode === null && !(shared && measured)) {
        const frame = await source.frame();
        exporter.update(frame);
        const r = frame.runs?.find((x) => x.pid === run.pid);
        const g = frame.gpus[0]!;
        const pids = r?.clientPids ?? [];
        const listed = pids.length === 2 && pids.every((pid) => g.processes.some((p) => p.pid === pid));
        // Wait until NVML sampled both clients (or said why it cannot): a few frames into the shared phase.
        const sampled = pids.every((pid) => g.processes.find((p) => p.pid === pid)?.smUtilPct !== undefined) || g.processUtilizationReason !== undefined;
        if (!shared && r?.phase === 'shared' && listed && sampled) {
          shared = frame;
          sharedText = await (await fetch(url)).text();
        }
        if (!measured && r?.measured?.run === 1) {
          measured = frame;
          measuredText = await (await fetch(url)).text();
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(await exited(run)).toBe(0);
    } finally {
      if (run.exitCode === null) run.kill('SIGINT');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await source.close();
    }
    expect(shared, `no frame showed the run sharing with both clients listed; the run said: ${runOutput}`).toBeDefined();
    expect(measured, `no frame showed run 1's figures; the run said: ${runOutput}`).toBeDefined();
    const g = shared!.gpus[0]!;
    const r = shared!.runs!.find((x) => x.pid === run.pid)!;
    expect(r).toMatchObject({ mode: 'timeslice', clients: 2, phase: 'shared', runs: 2 });
    const clients = g.processes.filter((p) => r.clientPids!.includes(p.pid));
    console.log(
      `[monitor] shared phase: ${clients.map((p) => `pid ${p.pid} SM ${p.smUtilPct?.toFixed(0) ?? '-'}% mem ${p.memUtilPct?.toFixed(0) ?? '-'}%`).join(', ')}${g.processUtilizationReason ? ` (${g.processUtilizationReason})` : ''}`,
    );
    const families = parsePrometheus(sharedText);
    const fam = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
    expect(fam('gpushare_micro_run_info').find((m) => m.labels?.run === String(run.pid))?.labels).toMatchObject({ mode: 'timeslice', phase: 'shared' });
    if (g.processUtilizationReported && !g.processUtilizationReason) {
      // Two time-sliced gemm clients: each busy for its share of the samples.
      for (const p of clients) expect(p.smUtilPct).toBeGreaterThan(0);
      const sm = fam('gpushare_micro_process_sm_utilization_ratio').map((m) => m.labels?.pid);
      for (const p of clients) expect(sm).toContain(String(p.pid));
    } else {
      // NVML said why it reports nothing per process: shown, and no zeros exported.
      expect(g.processUtilizationReason).toMatch(/\S/);
      expect(fam('gpushare_micro_process_sm_utilization_ratio').filter((m) => clients.some((p) => String(p.pid) === m.labels?.pid))).toEqual([]);
    }
    const m = measured!.runs!.find((x) => x.pid === run.pid)!.measured!;
    const later = parsePrometheus(measuredText);
    const value = (name: string) => Number(later.find((f) => f.name === name)?.metrics.find((x) => x.labels?.run === String(run.pid))?.value);
    expect(m.worstSlowdown).toBeGreaterThan(1);
    expect(value('gpushare_micro_run_worst_slowdown')).toBe(m.worstSlowdown);
    expect(value('gpushare_micro_run_worst_p99_vs_solo')).toBe(m.worstP99VsSolo);
    // Time-sliced gemm clients take turns: switches are seen (the CTA traces).
    expect(m.switchesPerSecond).toBeGreaterThan(0);
    expect(value('gpushare_micro_run_switches_per_second')).toBe(m.switchesPerSecond);
    console.log(`[monitor] run 1 measured: ${JSON.stringify(m)}`);
    if (process.env.OBSERVE_OUT) {
      await writeFile(
        join(process.env.OBSERVE_OUT, 'monitor-beside-run.txt'),
        `${renderPlain(shared!)}\n\n${sharedText}\n\n${renderPlain(measured!)}\n\n${measuredText}`,
      );
    }
    await rm(dir, { recursive: true, force: true });
  });
});

// Per-process SM and memory utilisation in the monitor (src/monitor/process-utilization.ts): NVML's
// samples averaged per process over a window, "no sample" kept apart from 0%, the reasons shown where
// NVML reports nothing per process (not supported, MIG, MPS), the screen and plain lines, and the
// Prometheus gauges of processes and of runs in progress, read back by a parser; then the whole
// monitor loop on a stand-in NVML beside a published run, over its HTTP endpoint.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NativeBinding, NvmlProcessUtilization, NvmlProcessUtilizationOptions, NvmlSnapshot } from '../../src/binding/contract.js';
import { resolveRunConfig } from '../../src/config.js';
import { buildFrame, type MonitorFrame } from '../../src/monitor/frame.js';
import { runMonitor } from '../../src/monitor/monitor.js';
import { averageByPid, ProcessUtilizationWindow, type ProcessUtilizationView } from '../../src/monitor/process-utilization.js';
import { PrometheusExporter, RUN_METRICS } from '../../src/monitor/prometheus.js';
import { renderPlain, renderScreen } from '../../src/monitor/render.js';
import { RunStatusPublisher, type RunStatus } from '../../src/monitor/run-status.js';
import { snapshot } from './fixtures.js';

const sample = (pid: number, timeStampUs: number, smPct: number, memPct = 0) => ({ pid, timeStampUs, smPct, memPct, encPct: 0, decPct: 0 });
const reading = (samples: ReturnType<typeof sample>[]): NvmlProcessUtilization => ({
  reported: true,
  source: 'nvmlDeviceGetProcessesUtilizationInfo',
  samples,
});

describe('per-process samples', () => {
  it('averages each process over the window that ends at NVML’s newest sample', () => {
    const w = new ProcessUtilizationWindow(1_000_000);
    expect(w.sinceUs).toBe(0);
    w.add(reading([sample(101, 10_000_000, 40, 10), sample(102, 10_100_000, 60, 20), sample(101, 10_200_000, 60, 30)]), 0);
    expect(w.sinceUs).toBe(10_200_000);
    expect(w.view(0).byPid).toEqual(
      new Map([
        [101, { smPct: 50, memPct: 20, samples: 2 }],
        [102, { smPct: 60, memPct: 20, samples: 1 }],
      ]),
    );
    // Samples older than a second before the newest drop out; a sample seen already is not counted twice.
    w.add(reading([sample(101, 10_200_000, 60, 30), sample(101, 11_150_000, 90, 0)]), 500);
    expect(w.view(500).byPid).toEqual(new Map([[101, { smPct: 75, memPct: 15, samples: 2 }]]));
  });

  it('takes NVML_ERROR_NOT_FOUND (no sample since the time stamp) as no sample, not as an error or 0%', () => {
    const w = new ProcessUtilizationWindow(2_000_000);
    w.add(reading([]), 0);
    expect(w.view(0)).toEqual({ reported: true, byPid: new Map() });
    w.add(reading([sample(7, 5_000_000, 80)]), 100);
    w.add(reading([]), 600);
    expect(w.view(600).byPid.get(7)).toEqual({ smPct: 80, memPct: 0, samples: 1 });
    // No new sample for a whole window by our clock: every process went idle; nothing is shown.
    expect(w.view(2101).byPid.size).toBe(0);
  });

  it('keeps NVML’s reason when it reports nothing per process', () => {
    const w = new ProcessUtilizationWindow(1_000_000);
    w.add({ reported: false, reason: 'nvmlDeviceGetProcessUtilization: NVML_ERROR_NOT_SUPPORTED (Not Supported)', samples: [] });
    expect(w.view()).toEqual({ reported: false, reason: 'nvmlDeviceGetProcessUtilization: NVML_ERROR_NOT_SUPPORTED (Not Supported)', byPid: new Map() });
  });

  it('averages nothing to nothing', () => {
    expect(averageByPid([]).size).toBe(0);
  });
});

const view = (byPid: Array<[number, number, number]>): ProcessUtilizationView => ({
  reported: true,
  byPid: new Map(byPid.map(([pid, sm, mem]) => [pid, { smPct: sm, memPct: mem, samples: 3 }])),
});

function frameWith(utilization: Map<number, ProcessUtilizationView>, devices: NvmlSnapshot['devices'] = snapshot.devices, runs?: RunStatus[]): MonitorFrame {
  return buildFrame({
    snapshot: { ...snapshot, devices },
    latest: new Map(),
    gpmReasons: new Map(),
    command: (pid) => `node client-main.js --client ${pid}`,
    now: new Date('2026-12-02T08:00:00.000Z'),
    utilization,
    ...(runs ? { runs } : {}),
  });
}

const run: RunStatus = {
  schema: 'gpushare-micro/run-status',
  version: 1,
  pid: 4242,
  startedAt: '2026-12-02T07:59:00.000Z',
  updatedAt: '2026-12-02T08:00:00.000Z',
  mode: 'timeslice',
  clients: 2,
  device: 0,
  phase: 'shared',
  run: 2,
  runs: 3,
  clientPids: [101, 102],
  measured: { run: 1, switchesPerSecond: 487.6, worstSlowdown: 2.0417, worstP99VsSolo: 3.5 },
};

describe('per-process utilisation in the frame and on screen', () => {
  const frame = frameWith(new Map([[0, view([[102, 61.5, 12]])]]), snapshot.devices, [run]);

  it('gives a process its figures, and one without a sample none', () => {
    const g = frame.gpus[0]!;
    expect(g.processUtilizationReported).toBe(true);
    expect(g.processes.find((p) => p.pid === 102)).toMatchObject({ smUtilPct: 61.5, memUtilPct: 12 });
    expect(g.processes.find((p) => p.pid === 101)!.smUtilPct).toBeUndefined();
    expect(g.processUtilizationReason).toBeUndefined();
    // A device that was not asked has no per-process verdict.
    expect(frame.gpus[1]!.processUtilizationReported).toBeUndefined();
  });

  it('shows SM% and MEM% columns, "-" without a sample, and the runs in progress', () => {
    const text = renderScreen(frame, { width: 100, color: false });
    expect(text).toMatch(/PID\s+MEMORY\s+SM%\s+MEM%\s+TYPE\s+COMMAND/);
    expect(text).toMatch(/102\s+3\.0 GiB\s+62%\s+12%\s+C\s+node client-main\.js --client 102/);
    expect(text).toMatch(/101\s+2\.0 GiB\s+-\s+-\s+C\s+node client-main/);
    expect(text).toContain(
      'run 4242 timeslice · 2 clients · shared, run 2 of 3\n  measured (run 1): 488 switches/s · worst slowdown 2.04× · worst p99 3.50× solo',
    );
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const lines = renderPlain(frame).split('\n');
    expect(lines[0]).toBe(
      '2026-12-02T08:00:00.000Z run=4242 mode=timeslice clients=2 phase=shared run_index=2/3 switch_rate=487.6/s worst_slowdown=2.042 worst_p99_vs_solo=3.500',
    );
    expect(lines).toContain('2026-12-02T08:00:00.000Z gpu=0 pid=102 mem=3072MiB sm=62% mem_util=12% cmd="node client-main.js --client 102"');
    expect(lines).toContain('2026-12-02T08:00:00.000Z gpu=0 pid=101 mem=2048MiB cmd="node client-main.js --client 101"');
  });

  it('says why where NVML reports nothing per process, instead of zeros', () => {
    const notSupported: ProcessUtilizationView = {
      reported: false,
      reason: 'nvmlDeviceGetProcessUtilization: NVML_ERROR_NOT_SUPPORTED (Not Supported)',
      byPid: new Map(),
    };
    const plain = frameWith(new Map([[0, notSupported]]));
    expect(plain.gpus[0]!.processUtilizationReason).toBe(notSupported.reason);
    const screen = renderScreen(plain, { width: 100, color: false });
    expect(screen).not.toContain('SM%');
    expect(screen).toContain('per-process SM use: nvmlDeviceGetProcessUtilization: NVML_ERROR_NOT_SUPPORTED');
    const [gpu0] = snapshot.devices;
    const mig = frameWith(new Map([[0, view([])]]), [{ ...gpu0!, migEnabled: true }]);
    expect(mig.gpus[0]!.processUtilizationReason).toMatch(/^MIG is on: NVML gives no per-process samples/);
    const migRefused = frameWith(new Map([[0, notSupported]]), [{ ...gpu0!, migEnabled: true }]);
    expect(migRefused.gpus[0]!.processUtilizationReason).toBe(`MIG is on: ${notSupported.reason}`);
    const mpsDevice = { ...gpu0!, processes: gpu0!.processes!.map((p) => ({ ...p, mps: true })) };
    const mps = frameWith(new Map([[0, view([])]]), [mpsDevice]);
    expect(mps.gpus[0]!.processUtilizationReason).toMatch(/^MPS: /);
    expect(mps.gpus[0]!.processes.every((p) => p.smUtilPct === undefined)).toBe(true);
  });
});

describe('Prometheus gauges of processes and runs', () => {
  it('exports per-process SM and memory utilisation by pid, and a run’s figures by run, only those it has', async () => {
    const { measured: _figures, ...rest } = run;
    const measuring: RunStatus = { ...rest, pid: 4343, phase: 'solo', role: 'gemm', run: 1 };
    const exporter = new PrometheusExporter('host-a');
    exporter.update(frameWith(new Map([[0, view([[102, 61.5, 12]])]]), snapshot.devices, [run, measuring]));
    const families = parsePrometheus(await exporter.metrics());
    const family = (name: string) => families.find((f) => f.name === name);
    const sm = family('gpushare_micro_process_sm_utilization_ratio')!;
    expect(sm.type).toBe('GAUGE');
    expect(sm.metrics).toEqual([
      {
        labels: {
          gpu: '0',
          UUID: 'GPU-11111111-2222-3333-4444-555555555555',
          modelName: 'NVIDIA H200',
          Hostname: 'host-a',
          pid: '102',
          command: 'node client-main.js --client 102',
        },
        value: '0.615',
      },
    ]);
    expect(Number(family('gpushare_micro_process_memory_utilization_ratio')!.metrics[0]!.value)).toBeCloseTo(0.12, 12);
    const runValue = (name: string, pid: string) => {
      const m = family(name)?.metrics.find((x) => x.labels?.run === pid);
      return m === undefined ? undefined : Number(m.value);
    };
    expect(family('gpushare_micro_run_info')!.metrics.map((m) => m.labels)).toEqual([
      { run: '4242', mode: 'timeslice', Hostname: 'host-a', phase: 'shared', device: '0' },
      { run: '4343', mode: 'timeslice', Hostname: 'host-a', phase: 'solo', device: '0' },
    ]);
    expect(runValue('gpushare_micro_run_switches_per_second', '4242')).toBe(487.6);
    expect(runValue('gpushare_micro_run_worst_slowdown', '4242')).toBe(2.0417);
    expect(runValue('gpushare_micro_run_worst_p99_vs_solo', '4242')).toBe(3.5);
    expect(runValue('gpushare_micro_run_clients', '4343')).toBe(2);
    expect(runValue('gpushare_micro_run_index', '4242')).toBe(2);
    expect(runValue('gpushare_micro_run_runs', '4242')).toBe(3);
    // The run still measuring its baseline has no figures yet: absent, not 0.
    for (const name of ['gpushare_micro_run_switches_per_second', 'gpushare_micro_run_worst_slowdown', 'gpushare_micro_run_worst_p99_vs_solo']) {
      expect(runValue(name, '4343')).toBeUndefined();
    }
    for (const m of RUN_METRICS) expect(m.name).toMatch(/^gpushare_micro_run_[a-z0-9_]+$/);
    // The run ended: its series go with it.
    exporter.update(frameWith(new Map(), snapshot.devices, []));
    const after = parsePrometheus(await exporter.metrics());
    expect(after.find((f) => f.name === 'gpushare_micro_run_info')?.metrics ?? []).toEqual([]);
  });
});

describe('the monitor loop beside a published run (stand-in NVML)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpushare-monitor-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the processes' utilisation and the run's gauges on its endpoint, and drops the run once it is over", async () => {
    const asked: NvmlProcessUtilizationOptions[] = [];
    let nowUs = 1_000_000_000;
    const binding = {
      nvmlSnapshot: async () => ({ ...snapshot, devices: snapshot.devices.slice(0, 1) }),
      nvmlProcessUtilization: async (options: NvmlProcessUtilizationOptions) => {
        asked.push(options);
        nowUs += 100_000;
        return reading([sample(101, nowUs, 30, 5), sample(102, nowUs, 70, 9)]);
      },
    } as unknown as NativeBinding;
    const publisher = RunStatusPublisher.start(resolveRunConfig({ procs: 2 }), { dir })!;
    publisher.update({ type: 'phase', label: 'shared', procs: 2 });
    await publisher.flushed();
    const controller = new AbortController();
    let url = '';
    const texts: string[] = [];
    const frames: MonitorFrame[] = [];
    await runMonitor(
      binding,
      // At most a minute: a broken endpoint fails the test rather than hanging it.
      { intervalMs: 50, once: false, json: false, gpm: false, quiet: true, prometheus: { port: 0, host: '127.0.0.1' }, runStatusDir: dir, durationNs: 60e9 },
      {
        write: () => {},
        isTTY: false,
        onListening: (u) => (url = u),
        onFrame: (frame) => {
          frames.push(frame);
          if (frames.length === 2) {
            // The exporter has this frame once onFrame is called: read the endpoint, then end the run.
            void fetch(url)
              .then((r) => r.text())
              .then(async (text) => {
                texts.push(text);
                await publisher.close();
              });
          }
          if (frames.length > 2 && !frame.runs?.length) controller.abort();
        },
      },
      controller.signal,
    );
    const families = parsePrometheus(texts[0]!);
    const sm = families.find((f) => f.name === 'gpushare_micro_process_sm_utilization_ratio')!.metrics;
    expect(Object.fromEntries(sm.map((m) => [m.labels!.pid, Number(m.value)]))).toEqual({ '101': 0.3, '102': 0.7 });
    const info = families.find((f) => f.name === 'gpushare_micro_run_info')!.metrics;
    expect(info.map((m) => m.labels)).toEqual([{ run: String(process.pid), mode: 'timeslice', Hostname: expect.any(String), phase: 'shared', device: '0' }]);
    // It has measured nothing yet: no value (prom-client still declares the family).
    expect(families.find((f) => f.name === 'gpushare_micro_run_switches_per_second')?.metrics ?? []).toEqual([]);
    expect(frames.at(-1)!.runs).toEqual([]);
    // Each refresh asked NVML only for the samples after the newest it had.
    expect(asked[0]).toEqual({ device: 0, sinceUs: 0 });
    expect(asked[1]!.sinceUs).toBe(1_000_100_000);
  });
});

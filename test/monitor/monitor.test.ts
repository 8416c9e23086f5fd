// The monitor's pure parts: a frame from an NVML snapshot, its screen and plain renderings, and the
// Prometheus text exposition read back by a parser.
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { buildFrame } from '../../src/monitor/frame.js';
import { resolveMonitorOptions } from '../../src/monitor/options.js';
import { DEVICE_METRICS, PrometheusExporter } from '../../src/monitor/prometheus.js';
import { bar, renderJson, renderPlain, renderScreen } from '../../src/monitor/render.js';
import { latest, snapshot } from './fixtures.js';

const frame = buildFrame({
  snapshot,
  latest: new Map([[0, latest]]),
  gpmReasons: new Map([[1, 'this GPU does not support GPM (Hopper or newer)']]),
  command: (pid) => `node client-main.js --client ${pid}`,
  now: new Date('2026-11-29T12:00:00.000Z'),
});

describe('monitor frame', () => {
  it('carries what NVML reported, decoded, and nothing it did not', () => {
    const [g0, g1] = frame.gpus;
    expect(g0).toMatchObject({ index: 0, powerW: 412.3, smClockMHz: 1980, throttleReasons: ['sw_power_cap'], clockLimited: true });
    expect(g0!.gpm).toEqual(latest.gpm);
    // Sorted by memory, largest first.
    expect(g0!.processes.map((p) => p.pid)).toEqual([102, 101]);
    expect(g1!.powerW).toBeUndefined();
    expect(g1!.gpm).toBeUndefined();
    expect(g1!.gpmReason).toContain('does not support GPM');
    expect(g1!.processesReason).toContain('NOT_SUPPORTED');
  });

  it('keeps only the devices asked for', () => {
    const only = buildFrame({ snapshot, latest: new Map(), gpmReasons: new Map(), command: () => 'x', devices: [1], now: new Date(0) });
    expect(only.gpus.map((g) => g.index)).toEqual([1]);
  });
});

describe('monitor rendering', () => {
  it('draws bars of the given width', () => {
    expect(bar(50, 10)).toBe('█████░░░░░');
    expect(bar(120, 4)).toBe('████');
    expect(bar(-3, 4)).toBe('░░░░');
  });

  it('shows utilisation, memory, power, clocks, throttling, GPM and processes on screen', () => {
    const text = renderScreen(frame, { width: 100, color: false });
    expect(text).toContain('GPU 0 NVIDIA H200');
    expect(text).toContain('412 / 700 W');
    expect(text).toContain('SM 1980/1980 MHz');
    expect(text).toContain('8.0 GiB / 140.4 GiB');
    expect(text).toContain('SM active 97.5%');
    expect(text).toContain('occupancy 12.3%');
    expect(text).toContain('limited: sw_power_cap');
    expect(text).toMatch(/102\s+3\.0 GiB\s+C\s+node client-main\.js --client 102/);
    expect(text).toContain('GPU 1 Older GPU');
    expect(text).not.toContain('\u001b['); // no colour when told so
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('prints one plain line per GPU and per process', () => {
    const lines = renderPlain(frame).split('\n');
    expect(lines[0]).toBe(
      '2026-11-29T12:00:00.000Z gpu=0 util=100% mem_util=12% mem=8.0/140.4GiB power=412W temp=41C sm_clock=1980MHz mem_clock=3201MHz throttle=sw_power_cap sm_active=97.5% sm_occupancy=12.3% tensor=60.0% dram=8.0% procs=2',
    );
    expect(lines[1]).toBe('2026-11-29T12:00:00.000Z gpu=0 pid=102 mem=3072MiB cmd="node client-main.js --client 102"');
    expect(lines[3]).toBe('2026-11-29T12:00:00.000Z gpu=1 mem=0.0/16.0GiB procs=0');
    expect(JSON.parse(renderJson(frame))).toEqual(frame);
  });
});

describe('Prometheus exposition', () => {
  it('parses back with dcgm-exporter names, labels and units', async () => {
    const exporter = new PrometheusExporter('host-a');
    exporter.update(frame);
    const families = parsePrometheus(await exporter.metrics());
    const value = (name: string, gpu: string) => {
      const fam = families.find((f) => f.name === name);
      const sample = fam?.metrics.find((m) => m.labels?.gpu === gpu);
      return sample === undefined ? undefined : Number(sample.value);
    };
    expect(families.find((f) => f.name === 'DCGM_FI_DEV_GPU_UTIL')?.type).toBe('GAUGE');
    const util = families.find((f) => f.name === 'DCGM_FI_DEV_GPU_UTIL')!.metrics.find((m) => m.labels?.gpu === '0')!;
    expect(util.labels).toEqual({ gpu: '0', UUID: 'GPU-11111111-2222-3333-4444-555555555555', modelName: 'NVIDIA H200', Hostname: 'host-a' });
    expect(value('DCGM_FI_DEV_GPU_UTIL', '0')).toBe(100);
    expect(value('DCGM_FI_DEV_FB_USED', '0')).toBe(8192);
    expect(value('DCGM_FI_DEV_FB_FREE', '0')).toBeCloseTo(150754820096 / 2 ** 20 - 8192, 6);
    expect(value('DCGM_FI_DEV_POWER_USAGE', '0')).toBe(412.3);
    expect(value('DCGM_FI_DEV_SM_CLOCK', '0')).toBe(1980);
    expect(value('DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', '0')).toBe(4);
    expect(value('DCGM_FI_PROF_SM_ACTIVE', '0')).toBeCloseTo(0.975, 12);
    expect(value('DCGM_FI_PROF_SM_OCCUPANCY', '0')).toBeCloseTo(0.1225, 12);
    expect(value('DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', '0')).toBeCloseTo(0.6, 12);
    expect(value('DCGM_FI_PROF_DRAM_ACTIVE', '0')).toBeCloseTo(0.08, 12);
    // GPU 1 reports no power and no GPM: those series are absent for it, not zero.
    expect(value('DCGM_FI_DEV_POWER_USAGE', '1')).toBeUndefined();
    expect(value('DCGM_FI_PROF_SM_ACTIVE', '1')).toBeUndefined();
    expect(value('DCGM_FI_DEV_FB_TOTAL', '1')).toBe(16384);
    const procs = families.find((f) => f.name === 'gpushare_micro_process_memory_used_bytes')!.metrics;
    expect(procs.map((m) => m.labels?.pid).sort()).toEqual(['101', '102']);
    expect(procs.find((m) => m.labels?.pid === '101')!.labels?.command).toBe('node client-main.js --client 101');
    // Every declared metric name is in dcgm-exporter's style.
    for (const m of DEVICE_METRICS) expect(m.name).toMatch(/^DCGM_FI_(DEV|PROF)_[A-Z0-9_]+$/);
  });

  it('drops values of a GPU that disappeared on the next update', async () => {
    const exporter = new PrometheusExporter('h');
    exporter.update(frame);
    exporter.update({ ...frame, gpus: frame.gpus.slice(1) });
    const util = parsePrometheus(await exporter.metrics()).find((f) => f.name === 'DCGM_FI_DEV_FB_TOTAL')!;
    expect(util.metrics.map((m) => m.labels?.gpu)).toEqual(['1']);
  });
});

describe('monitor options', () => {
  it('applies the defaults', () => {
    expect(resolveMonitorOptions({})).toEqual({ intervalMs: 500, once: false, json: false, gpm: true, quiet: false });
    expect(resolveMonitorOptions({ prometheus: '9400' }).prometheus).toEqual({ port: 9400, host: '127.0.0.1' });
    expect(resolveMonitorOptions({ prometheus: '0', listen: '::1' }).prometheus).toEqual({ port: 0, host: '::1' });
    expect(resolveMonitorOptions({ duration: '10s', device: '0,1' })).toMatchObject({ durationNs: 10e9, devices: [0, 1] });
  });

  it.each([
    [{ interval: '10' }, '--interval'],
    [{ interval: 'fast' }, '--interval'],
    [{ duration: 'soon' }, '--duration'],
    [{ prometheus: '70000' }, '--prometheus'],
    [{ prometheus: '-1' }, '--prometheus'],
    [{ listen: '0.0.0.0' }, '--listen'],
    [{ prometheus: '9400', listen: 'example.com' }, '--listen'],
    [{ once: true, prometheus: '9400' }, '--once'],
    [{ once: true, duration: '2s' }, '--once'],
    [{ device: '0,x' }, '--device'],
    [{ quiet: true }, '--quiet'],
  ])('rejects %j naming %s', (flags, option) => {
    expect(() => resolveMonitorOptions(flags)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }));
  });
});

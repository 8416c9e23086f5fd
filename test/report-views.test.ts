// What a reader of the HTML report sees first and how heavy the page is: the SM timeline drawn as one
// image (a 4-client H200 run's report under 1 MB), device charts with human names and units, the
// verdict at the top, the compare view's B/A ratios and the sweep's 1.0× line. Results from run() with
// stand-in clients (no GPU) and results recorded on the H200 in docs/results/.
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMELINE_CODES, TIMELINE_IDLE } from '../src/metrics/occupancy.js';
import { buildReport } from '../src/report/html/build.js';
import { sweepGroupSpec } from '../src/report/html/sweep-charts.js';
import { loadReportInputs } from '../src/report/inputs.js';
import type { RunResult } from '../src/run.js';
import { standInRun, withObservation, writeResult } from './fixtures/report-inputs.js';

const recorded = (path: string) => fileURLToPath(new URL(`../docs/results/${path}`, import.meta.url));
/** A 4-client time-slicing gemm run on the H200 with its occupancy (132 SMs × 1000 bins of 100 µs). */
const occupancyRun = recorded('2026-11-29-h200-occupancy/gemm-p4-timeslice.json');
/** A 4-client time-slicing BERT inference run on the H200, solo and shared phases observed with NVML and GPM. */
const observedRun = recorded('2026-12-02-h200-models/runs/run-bert-base-infer-own-timeslice.json.gz');

let dir: string;
let two: RunResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-report-views-'));
  two = await standInRun(2);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const charts = (html: string) => [...html.matchAll(/<figure class="chart" data-chart="([^"]+)">/g)].map((m) => m[1]);
const chartHtml = (html: string, name: string) => {
  const at = html.indexOf(`<figure class="chart" data-chart="${name}">`);
  if (at < 0) throw new Error(`no chart ${name}`);
  return html.slice(at, html.indexOf('</figure>', at));
};

/** Decodes an 8-bit palette PNG as the report writes it (filter type 0 on every line): size, palette and the index of each pixel. */
function decodePalettePng(bytes: Buffer): { width: number; height: number; palette: string[]; pixels: Uint8Array } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  let palette: string[] = [];
  const idat: Buffer[] = [];
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 3, 0, 0, 0]);
    } else if (type === 'PLTE') {
      palette = Array.from({ length: length / 3 }, (_, i) => `#${data.subarray(3 * i, 3 * i + 3).toString('hex')}`);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (width + 1));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, palette, pixels };
}

describe('the SM timeline', () => {
  it('of a recorded 4-client H200 run is one image with a pixel per SM and bin, and the report stays under 1 MB', async () => {
    const input = await loadReportInputs([occupancyRun]);
    if (input.kind !== 'run') throw new Error('expected a run');
    const o = input.runs[0]!.result.shared.occupancy!;
    const html = await buildReport(input);
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000);
    const timeline = chartHtml(html, 'timeline');
    // One image and no rectangle per cell: the chart itself is a few tens of KiB.
    expect(timeline.match(/<image /g)).toHaveLength(1);
    expect(timeline.length).toBeLessThan(100_000);
    const url = /xlink:href="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(timeline)![1]!;
    const png = decodePalettePng(Buffer.from(url, 'base64'));
    expect([png.width, png.height]).toEqual([1000, 132]);
    // Clients 0..3 in their legend colours, then idle.
    const legend = [...timeline.matchAll(/role-legend-symbol[^>]*><path [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(png.palette).toEqual(legend);
    expect(png.palette).toHaveLength(5);
    for (let sm = 0; sm < 132; sm++) {
      const row = o.timeline.rows[sm]!;
      const drawn = Array.from(png.pixels.subarray(sm * 1000, (sm + 1) * 1000), (k) => (k === 4 ? TIMELINE_IDLE : TIMELINE_CODES[k]!)).join('');
      expect(drawn).toBe(row);
    }
  });

  it('of a recorded 4-client run observed with NVML and GPM, solo and shared: the whole report under 1 MB', async () => {
    const html = await buildReport(await loadReportInputs([observedRun]));
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000);
    expect(charts(html)).toContain('timeline');
  });
});

/** Panel titles of a faceted chart (Vega writes them as the headers' text). */
const panels = (chart: string) => [...chart.matchAll(/aria-label="Title text '([^']+)'"/g)].map((m) => m[1]);

describe('device charts', () => {
  it('name each metric in words with its unit, leave out what the GPU did not report, and say a constant in words', async () => {
    const result = withObservation(two);
    const nvml = result.shared.observation!.nvml;
    if (!nvml.available) throw new Error('expected an NVML observation');
    const n = nvml.series.tNs.length;
    // Not reported by this GPU: no sample has a number. Reported and zero throughout: a fact, not a flat line.
    nvml.series.columns.temperatureC = new Array<null>(n).fill(null);
    nvml.series.columns.memoryUsedBytes = nvml.series.tNs.map((_, i) => (2 + i / n) * 2 ** 30);
    nvml.series.gpm!.metrics.fp16ActivityPct = nvml.series.gpm!.metrics.smActivityPct!.map(() => 0);
    nvml.series.gpm!.metrics.fp32ActivityPct = nvml.series.gpm!.metrics.smActivityPct!.map(() => null);
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'absent.json', result)]));
    const sampled = chartHtml(html, 'series:shared.observation.nvml.series');
    expect(panels(sampled)).toEqual(['GPU utilisation (time a kernel ran) (%)', 'power (W)', 'device memory used (GiB)']);
    // Memory in GiB: 2 to 3 on the axis, not 2e9 bytes.
    expect(sampled).toMatch(/>2\.0<\/text>[\s\S]*>2\.5<\/text>[\s\S]*>3\.0<\/text>/);
    const gpm = chartHtml(html, 'series:shared.observation.nvml.series.gpm');
    expect(panels(gpm)).toEqual(['SM activity (time a warp was resident) (%)']);
    expect(gpm).toContain('constant throughout, not drawn: FP16 pipe activity 0%.');
    for (const absent of ['temperature', 'FP32']) expect(html).not.toContain(absent);
    // No field tags as names.
    for (const tag of ['utilizationGpuPct', 'powerW', 'smActivityPct', 'fp16ActivityPct']) expect(html).not.toContain(`>${tag}`);
    // Without a solo observation, no solo line and no legend for one.
    expect(gpm).not.toContain('dashed: the solo baseline');
  });

  it("draw the solo baseline (dashed) under the shared phase where both were observed, and list both phases' figures", async () => {
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'both.json', withObservation(two, { solo: true }))]));
    for (const name of ['series:shared.observation.nvml.series', 'series:shared.observation.nvml.series.gpm']) {
      const chart = chartHtml(html, name);
      expect(chart).toContain('dashed: the solo baseline, on its own time axis');
      expect(chart).toContain('>solo</text>');
      expect(chart).toContain('>shared</text>');
      expect(chart).toMatch(/stroke-dasharray="5,3"/);
    }
    // The device figures: a column for each phase (the solo phase drew more power: 100 + 11 W per sample against 10).
    expect(html).toMatch(/<thead><tr><th><\/th><th>shared<\/th><th>solo<\/th><\/tr><\/thead>/);
  });

  it('of a recorded H200 run: human names, the solo baseline beside the shared phase', async () => {
    const html = await buildReport(await loadReportInputs([observedRun]));
    const gpm = chartHtml(html, 'series:shared.observation.nvml.series.gpm');
    expect(panels(gpm)).toContain('SM activity (time a warp was resident) (%)');
    expect(panels(gpm)).toContain('DRAM bandwidth (of peak) (%)');
    expect(gpm).toContain('dashed: the solo baseline');
    // FP16 pipes idle throughout a BERT inference in bf16: said, not drawn.
    expect(gpm).toContain('FP16 pipe activity 0%');
    expect(panels(gpm)).not.toContain('FP16 pipe activity (%)');
  });
});

const verdictItems = (html: string) => {
  const at = html.indexOf('<section class="block" data-block="verdict">');
  if (at < 0) throw new Error('no verdict block');
  const block = html.slice(at, html.indexOf('</section>', at));
  return Object.fromEntries([...block.matchAll(/<li data-verdict="([^"]+)"[^>]*>(.*?)<\/li>/g)].map((m) => [m[1]!, m[2]!.replace(/<[^>]+>/g, '')]));
};

describe('the verdict', () => {
  it('opens the report of a run: aggregate vs solo, worst slowdown, worst p99 vs solo, switching overhead, before anything else', async () => {
    const html = await buildReport(await loadReportInputs([occupancyRun]));
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('data-block="verdict"')).toBeLessThan(body.indexOf('data-block="about"'));
    expect(body.indexOf('data-block="verdict"')).toBeGreaterThan(0);
    const v = verdictItems(html);
    expect(Object.keys(v)).toEqual(['aggregate', 'slowdown', 'p99', 'switching']);
    // The recorded run: 4 gemm clients under time slicing on the H200.
    expect(v.aggregate).toMatch(/^Aggregate throughput 0\.\d\d× of solo \(measured once: no interval\): 4 clients together against one alone\.$/);
    expect(v.slowdown).toMatch(/^Worst client slowdown [34]\.\d\d×: client \d ran [34]\.\d\d× slower than alone\.$/);
    expect(v.p99).toMatch(/^Worst p99 latency \d+\.\d\d× of solo: client \d \([\d.]+ ms against [\d.]+ (ms|µs) alone\)\.$/);
    expect(v.switching).toMatch(/^Switching overhead 1\d\.\d% of the traced time in switch gaps: \d+ switch\/s, median gap \d+ µs\.$/);
  });

  it("gives the interval of a repeated figure, each role's SLO outcome, and the result's warnings beneath", async () => {
    const result = structuredClone(two);
    const aggregate = result.comparison.find((s) => s.tag === 'aggregate.vsSolo')!;
    aggregate.ci = { low: 1.91, high: 2.04, level: 0.95 };
    result.roles[0]!.slo = [
      { percentile: 'p99', maxNs: 4e6, measuredNs: 5.2e6, met: false, attainment: 0.42, requests: 107 },
      { percentile: 'p50', maxNs: 10e6, measuredNs: 5.1e6, met: true, attainment: 1, requests: 107 },
    ];
    result.warnings = [{ tag: 'traces-vs-gpm', message: 'SMs busy from the CTA traces (80%) and GPM SM activity (55%) differ by more than 10%' }];
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'verdict.json', result)]));
    const at = html.indexOf('data-block="verdict"');
    const block = html.slice(at, html.indexOf('</section>', at));
    expect(block).toContain('[95% CI 1.91×–2.04×]');
    expect(block).not.toContain('measured once');
    expect(block).toContain(
      '<li data-verdict="slo" class="bad">gemm: SLO p99&lt;=4ms <strong class="missed">MISSED</strong>: 5.20 ms, 42.0% of 107 requests within.</li>',
    );
    expect(block).toContain('gemm: SLO p50&lt;=10ms <strong class="met">met</strong>: 5.10 ms, 100.0% of 107 requests within.');
    // The warnings come after the verdict's lines, in the same block.
    expect(block.indexOf('data-warning="traces-vs-gpm"')).toBeGreaterThan(block.indexOf('data-verdict="slo"'));
    expect(block).toContain('Before trusting these figures:');
    expect(block).toContain('differ by more than 10%');
  });

  it('says why there is no figure against solo, and that a run was incomplete', async () => {
    const result = structuredClone(two);
    result.baselines = [];
    result.comparison = [];
    for (const c of result.shared.clients) c.summaries = c.summaries.filter((s) => !s.tag.endsWith('vsSolo') && s.tag !== 'slowdown');
    result.complete = false;
    result.reason = 'client 1 (pid 42) crashed: SIGSEGV';
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'no-baseline.json', result)]));
    const v = verdictItems(html);
    expect(Object.keys(v)).toEqual(['incomplete', 'baseline', 'switching']);
    expect(v.incomplete).toContain('INCOMPLETE: client 1 (pid 42) crashed: SIGSEGV');
    expect(v.baseline).toContain('No solo baseline in this result (run without --no-baseline)');
  });
});

describe('the compare view', () => {
  const rowOf = (html: string, name: string) => {
    const at = html.indexOf(`<tr><td>${name}</td>`);
    if (at < 0) throw new Error(`no row ${name}`);
    return [...html.slice(at, html.indexOf('</tr>', at)).matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]!).slice(1);
  };

  it('of two recorded H200 runs: B/A of every shared figure, the better one marked, the better run said first', async () => {
    const timeslice = fileURLToPath(new URL('../examples/h200-gemm-p4/timeslice.json.gz', import.meta.url));
    const mps = fileURLToPath(new URL('../examples/h200-gemm-p4/mps.json.gz', import.meta.url));
    const html = await buildReport(await loadReportInputs([timeslice, mps]));
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('data-block="better"')).toBeLessThan(body.indexOf('data-block="headlines"'));
    expect(body).toMatch(/<li data-better="B">B is the better run on aggregate throughput vs solo: 1\.05× for B against 0\.93× for A, B\/A 1\.13×/);
    // Time slicing 0.93×, MPS 1.05× (the README's figures): B/A = 1.05 / 0.93.
    const aggregate = rowOf(body, 'aggregate throughput vs solo');
    expect(aggregate).toEqual(['0.93×', '<span class="better" title="the better of the two">1.05× ✓</span>', '1.13×', 'B']);
    // Lower is better for latency: MPS's worst p99 is the better one.
    const p99 = rowOf(body, 'worst client p99 latency vs solo');
    expect(p99[1]).toMatch(/^<span class="better"/);
    expect(p99[3]).toBe('B');
    // Equal as printed: the same, neither marked.
    expect(rowOf(body, 'fairness (Jain&#39;s index of throughputs)').slice(2)).toEqual(['1.00×', 'same']);
    // Only in A (no switches under MPS): no ratio, no mark.
    expect(rowOf(body, 'switching overhead').slice(1)).toEqual(['-', '-', '']);
    // Each run's own verdict, side by side.
    expect(body.match(/data-block="verdict"/g)).toHaveLength(2);
  });

  it('says neither run is better where their intervals overlap', async () => {
    const a = structuredClone(two);
    const b = structuredClone(two);
    a.comparison.find((s) => s.tag === 'aggregate.vsSolo')!.ci = { low: 1.9, high: 2.0, level: 0.95 };
    const sb = b.comparison.find((s) => s.tag === 'aggregate.vsSolo')!;
    sb.value *= 1.02;
    sb.ci = { low: 1.95, high: 2.1, level: 0.95 };
    const html = await buildReport(await loadReportInputs([await writeResult(dir, 'a.json', a), await writeResult(dir, 'b.json', b)]));
    expect(html).toContain('<li data-better="neither">Neither run is clearly better: their aggregate throughput vs solo');
    expect(rowOf(html, 'aggregate throughput vs solo')[3]).toBe('within the noise');
  });
});

describe('the sweep report', () => {
  it('draws the 1.0× line in every panel of ratios against solo, and opens with the best mode per group', async () => {
    const input = await loadReportInputs([fileURLToPath(new URL('../examples/h200-sweep', import.meta.url))]);
    if (input.kind !== 'sweep') throw new Error('expected a sweep');
    const spec = sweepGroupSpec(input.points, ['timeslice', 'mps', 'streams', 'green']) as {
      hconcat: Array<{ title: string; layer: Array<{ mark: unknown; data: { values: unknown[] } }> }>;
    };
    const rules = spec.hconcat.map((panel) => [
      panel.title,
      panel.layer.filter((l) => (l.mark as { type?: string }).type === 'rule').map((l) => l.data.values),
    ]);
    expect(rules).toEqual([
      ['aggregate throughput (launch/s)', []],
      ['aggregate throughput vs solo', [[{ value: 1 }]]],
      ['worst client p99 latency vs solo', [[{ value: 1 }]]],
    ]);
    const html = await buildReport(input);
    expect(chartHtml(html, 'sweep:gemm 4096 · saturating').match(/stroke-dasharray="5,3"/g)).toHaveLength(2);
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('data-block="verdict"')).toBeLessThan(body.indexOf('data-block="about"'));
    expect(verdictItems(html)['gemm 4096 · saturating']).toBe(
      'gemm 4096 · saturating: at 4 processes, most aggregate throughput vs solo: mps 1.05× (timeslice 0.93×, streams 1.04×, green 1.01×); lowest worst-client p99 vs solo: mps 3.81× (timeslice 10.24×, streams 4.17×, green 4.33×).',
    );
  });
});

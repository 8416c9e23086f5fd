// What a reader of the HTML report sees first and how heavy the page is: the SM timeline drawn as one
// image (a 4-client H200 run's report under 1 MB), device charts with human names and units, the
// verdict at the top, the compare view's B/A ratios and the sweep's 1.0× line. Results from run() with
// stand-in clients (no GPU) and results recorded on the H200 in docs/results/.
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TIMELINE_CODES, TIMELINE_IDLE } from '../src/metrics/occupancy.js';
import { buildReport } from '../src/report/html/build.js';
import { loadReportInputs } from '../src/report/inputs.js';

const recorded = (path: string) => fileURLToPath(new URL(`../docs/results/${path}`, import.meta.url));
/** A 4-client time-slicing gemm run on the H200 with its occupancy (132 SMs × 1000 bins of 100 µs). */
const occupancyRun = recorded('2026-11-29-h200-occupancy/gemm-p4-timeslice.json');
/** A 4-client time-slicing BERT inference run on the H200, solo and shared phases observed with NVML and GPM. */
const observedRun = recorded('2026-12-02-h200-models/runs/run-bert-base-infer-own-timeslice.json.gz');

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

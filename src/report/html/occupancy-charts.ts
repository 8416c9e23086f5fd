// The occupancy charts: the SM × time timeline coloured by the client that held each SM, and the
// clients' share of the GPU over the whole traced window.
import type { TopLevelSpec } from 'vega-lite';
import { TIMELINE_CODES, TIMELINE_IDLE, type Occupancy } from '../../metrics/occupancy.js';
import { formatDuration } from '../format.js';
import { palettePng, pngDataUrl } from './png.js';
import { clientColor, IDLE_COLOR, renderChart } from './render.js';

/**
 * Bounds on what one chart draws, however long the result's series: past them bins are merged (and the
 * chart says so), so a report is written in bounded time and memory. The timeline is one image with a
 * pixel per SM and bin: at most MAX_TIMELINE_CELLS pixels across and MAX_TIMELINE_ROWS rows. The share
 * chart: at most MAX_SHARE_BINS bins.
 */
const MAX_TIMELINE_CELLS = 4096;
const MAX_TIMELINE_ROWS = 512;
const MAX_SHARE_BINS = 1000;

export const clientName = (client: number) => `client ${client}`;

function colourScale(clients: number[], withIdle: boolean) {
  const domain = clients.map(clientName);
  const range = clients.map((_, k) => clientColor(k));
  return withIdle ? { domain: [...domain, 'idle'], range: [...range, IDLE_COLOR] } : { domain, range };
}

/** The first cell of `cells` that is not idle; idle when all are. */
function firstBusy(cells: string): string {
  for (const c of cells) if (c !== TIMELINE_IDLE) return c;
  return TIMELINE_IDLE;
}

/** A row with every `k` cells merged into their first non-idle cell (k = 2: halves its resolution). */
function mergeCells(row: string, k: number): string {
  let out = '';
  for (let i = 0; i < row.length; i += k) out += firstBusy(row.slice(i, i + k));
  return out;
}

/** Rows merged `k` at a time: each cell of a merged row is the first non-idle cell of the rows' at that bin. */
function mergeRows(rows: readonly string[], k: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < rows.length; r += k) {
    const group = rows.slice(r, r + k);
    const length = group.reduce((n, x) => Math.max(n, x.length), 0);
    let merged = '';
    for (let i = 0; i < length; i++) merged += firstBusy(group.map((x) => x[i] ?? TIMELINE_IDLE).join(''));
    out.push(merged);
  }
  return out;
}

/** The timeline as drawn: its rows with bins and SMs merged to fit the bounds above. */
interface DrawnTimeline {
  rows: string[];
  /** Bin width drawn (ns): the recorded one, or a multiple of it where bins were merged. */
  binNs: number;
  /** SMs per drawn row: 1, or more where rows were merged. */
  smsPerRow: number;
}

/** The timeline merged to at most MAX_TIMELINE_CELLS cells across and MAX_TIMELINE_ROWS rows. */
function drawnTimeline(o: Occupancy): DrawnTimeline {
  let rows = o.timeline.rows;
  let binNs = o.timeline.binNs;
  // Merging 2^j cells at once is the same as halving j times.
  const cells = rows.reduce((n, r) => Math.max(n, r.length), 0);
  const k = cells > MAX_TIMELINE_CELLS ? 2 ** Math.ceil(Math.log2(cells / MAX_TIMELINE_CELLS)) : 1;
  if (k > 1) {
    rows = rows.map((r) => mergeCells(r, k));
    binNs *= k;
  }
  const smsPerRow = Math.ceil(rows.length / MAX_TIMELINE_ROWS);
  if (smsPerRow > 1) rows = mergeRows(rows, smsPerRow);
  return { rows, binNs, smsPerRow };
}

/**
 * The drawn timeline as a PNG, a pixel per row and cell: palette index k for `clients[k]`, the last
 * index for idle (and for a code naming no client). Its columns cover whole bins: the image, and the
 * chart's time axis, end at the end of the last bin, which may lie past the timeline's end.
 */
export function timelineImage(o: Occupancy, drawn: DrawnTimeline): { png: Uint8Array; columns: number } {
  const columns = Math.max(
    1,
    drawn.rows.reduce((n, r) => Math.max(n, r.length), 0),
  );
  const height = Math.max(1, drawn.rows.length);
  const idle = o.clients.length;
  const index = new Uint8Array(128).fill(idle);
  o.clients.forEach((_, k) => {
    if (k < TIMELINE_CODES.length) index[TIMELINE_CODES.charCodeAt(k)] = k;
  });
  const pixels = new Uint8Array(columns * height).fill(idle);
  drawn.rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) pixels[y * columns + x] = index[row.charCodeAt(x)] ?? idle;
  });
  // A palette holds 256 colours: a 64th client and beyond cannot have a code anyway (TIMELINE_CODES).
  const palette = [...o.clients.slice(0, 255).map((_, k) => clientColor(k)), IDLE_COLOR];
  return { png: palettePng(columns, height, pixels, palette), columns };
}

/**
 * The SM × time timeline; `width` in px. One image (a pixel per SM and bin, scaled without smoothing)
 * on the chart's axes, and the clients' colours in the legend. Returns the SVG and how it was drawn:
 * the bin width, the SMs per row.
 */
export async function timelineChart(o: Occupancy, width: number): Promise<{ svg: string; binNs: number; smsPerRow: number }> {
  const drawn = drawnTimeline(o);
  const { png, columns } = timelineImage(o, drawn);
  const rows = o.timeline.rows.length;
  const ms = (ns: number) => (ns - o.windowStartNs) / 1e6;
  const x0 = ms(o.timeline.startNs);
  const x1 = ms(o.timeline.endNs);
  const imageEnd = ms(o.timeline.startNs + columns * drawn.binNs);
  const legend = { orient: 'top' as const, direction: 'horizontal' as const, symbolType: 'square', symbolOpacity: 1 };
  const colour = { field: 'who', type: 'nominal' as const, title: null, scale: colourScale(o.clients, true), legend };
  const spec: TopLevelSpec = {
    width,
    height: Math.min(440, Math.max(120, rows * 3)),
    layer: [
      {
        data: { values: [{ t0: x0, t1: imageEnd, sm0: 0, sm1: drawn.rows.length * drawn.smsPerRow, url: pngDataUrl(png) }] },
        // No ARIA label: it would repeat the whole image's data URL.
        mark: { type: 'image', aspect: false, smooth: false, aria: false },
        encoding: {
          x: {
            field: 't0',
            type: 'quantitative',
            title: 'time from the start of the traced window (ms)',
            scale: { domain: [x0, Math.max(x1, imageEnd)], nice: false, zero: false },
          },
          x2: { field: 't1' },
          y: { field: 'sm0', type: 'quantitative', title: 'SM', scale: { domain: [0, rows], nice: false, reverse: true }, axis: { tickMinStep: 1 } },
          y2: { field: 'sm1' },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        // The legend: the clients' colours and idle's (invisible marks; the image has no colour channel).
        data: { values: [...o.clients.map(clientName), 'idle'].map((who) => ({ who })) },
        mark: { type: 'square', opacity: 0, aria: false },
        encoding: { color: colour },
      },
    ],
  };
  return { svg: await renderChart(spec), binNs: drawn.binNs, smsPerRow: drawn.smsPerRow };
}

/** The share series with every `k` bins merged: each merged bin's shares are its bins' means, weighted by their length (the last is cut by the window). */
function mergedShareSeries(o: Occupancy, k: number): Occupancy['series'] {
  const { tNs, binNs } = o.series;
  const weight = (i: number) => Math.max(0, Math.min(binNs, o.windowEndNs - tNs[i]!)) || binNs;
  const merge = (values: readonly number[]) => {
    const out: number[] = [];
    for (let b = 0; b < tNs.length; b += k) {
      let sum = 0;
      let weights = 0;
      for (let i = b; i < Math.min(b + k, tNs.length); i++) {
        const v = values[i];
        if (v === undefined || !Number.isFinite(v)) continue;
        sum += v * weight(i);
        weights += weight(i);
      }
      out.push(weights > 0 ? sum / weights : 0);
    }
    return out;
  };
  return { binNs: binNs * k, tNs: tNs.filter((_, i) => i % k === 0), share: o.series.share.map(merge), idle: merge(o.series.idle) };
}

/** Stacked share of all SMs per client over the whole window, idle on top; at most MAX_SHARE_BINS bins (merged past it, as the axis says). */
export async function shareChart(o: Occupancy, width: number): Promise<string> {
  const k = Math.max(1, Math.ceil(o.series.tNs.length / MAX_SHARE_BINS));
  const series = k > 1 ? mergedShareSeries(o, k) : o.series;
  const values: Array<{ t: number; who: string; share: number; order: number }> = [];
  series.tNs.forEach((t, b) => {
    const tm = (t - o.windowStartNs) / 1e6;
    o.clients.forEach((client, c) => {
      values.push({ t: tm, who: clientName(client), share: series.share[c]?.[b] ?? 0, order: c });
    });
    values.push({ t: tm, who: 'idle', share: series.idle[b] ?? 0, order: o.clients.length });
  });
  const bins =
    k > 1
      ? `bins of ${formatDuration(series.binNs)} (${o.series.tNs.length.toLocaleString('en-US')} bins of ${formatDuration(o.series.binNs)} recorded, merged to keep the page small)`
      : `bins of ${formatDuration(o.series.binNs)}`;
  const spec: TopLevelSpec = {
    width,
    height: 180,
    data: { values },
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: `time from the start of the traced window (ms), ${bins}`, scale: { nice: false } },
      y: { field: 'share', type: 'quantitative', stack: 'zero', title: 'share of all SMs', axis: { format: '.0%' } },
      color: { field: 'who', type: 'nominal', title: null, scale: colourScale(o.clients, true), legend: { orient: 'top', direction: 'horizontal' } },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  return renderChart(spec);
}

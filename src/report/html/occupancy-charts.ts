// The occupancy charts: the SM × time timeline coloured by the client that held each SM, and the
// clients' share of the GPU over the whole traced window.
import type { TopLevelSpec } from 'vega-lite';
import { TIMELINE_CODES, TIMELINE_IDLE, type Occupancy } from '../../metrics/occupancy.js';
import { formatDuration } from '../format.js';
import { clientColor, IDLE_COLOR, renderChart } from './render.js';

/** Most rectangles drawn in one timeline: past it, bins are merged pairwise (keeps the page small). */
const MAX_TIMELINE_RECTS = 40_000;

export const clientName = (client: number) => `client ${client}`;

function colourScale(clients: number[], withIdle: boolean) {
  const domain = clients.map(clientName);
  const range = clients.map((_, k) => clientColor(k));
  return withIdle ? { domain: [...domain, 'idle'], range: [...range, IDLE_COLOR] } : { domain, range };
}

interface Segment {
  sm: number;
  sm1: number;
  t0: number;
  t1: number;
  who: string;
}

/** Halves a row's resolution: each pair of cells becomes its first non-idle cell. */
function halve(row: string): string {
  let out = '';
  for (let i = 0; i < row.length; i += 2) {
    const a = row[i]!;
    const b = row[i + 1] ?? a;
    out += a === TIMELINE_IDLE ? b : a;
  }
  return out;
}

/** Runs of equal cells in each row, as rectangles in ms from the start of the traced window. */
function segments(o: Occupancy): { segments: Segment[]; binNs: number } {
  let rows = o.timeline.rows;
  let binNs = o.timeline.binNs;
  const count = (rs: string[]) => rs.reduce((n, r) => n + r.split('').filter((c, i) => i === 0 || c !== r[i - 1]).length, 0);
  while (count(rows) > MAX_TIMELINE_RECTS && rows[0]!.length > 1) {
    rows = rows.map(halve);
    binNs *= 2;
  }
  const ms = (ns: number) => (ns - o.windowStartNs) / 1e6;
  const end = o.timeline.endNs;
  const out: Segment[] = [];
  rows.forEach((row, sm) => {
    let i = 0;
    while (i < row.length) {
      let j = i + 1;
      while (j < row.length && row[j] === row[i]) j++;
      const code = row[i]!;
      const k = TIMELINE_CODES.indexOf(code);
      const t0 = o.timeline.startNs + i * binNs;
      const t1 = Math.min(end, o.timeline.startNs + j * binNs);
      out.push({ sm, sm1: sm + 1, t0: ms(t0), t1: ms(t1), who: code === TIMELINE_IDLE || k < 0 ? 'idle' : clientName(o.clients[k]!) });
      i = j;
    }
  });
  return { segments: out, binNs };
}

/** The SM × time timeline; `width` in px. Returns the SVG and the bin width it was drawn at. */
export async function timelineChart(o: Occupancy, width: number): Promise<{ svg: string; binNs: number }> {
  const { segments: data, binNs } = segments(o);
  const rows = o.timeline.rows.length;
  const x0 = (o.timeline.startNs - o.windowStartNs) / 1e6;
  const x1 = (o.timeline.endNs - o.windowStartNs) / 1e6;
  const spec: TopLevelSpec = {
    width,
    height: Math.min(440, Math.max(120, rows * 3)),
    data: { values: data },
    // Thousands of rectangles: no per-mark ARIA label (it would be most of the page's size).
    mark: { type: 'rect', aria: false },
    encoding: {
      x: { field: 't0', type: 'quantitative', title: 'time from the start of the traced window (ms)', scale: { domain: [x0, x1], nice: false, zero: false } },
      x2: { field: 't1' },
      y: { field: 'sm', type: 'quantitative', title: 'SM', scale: { domain: [0, rows], nice: false, reverse: true }, axis: { tickMinStep: 1 } },
      y2: { field: 'sm1' },
      color: { field: 'who', type: 'nominal', title: null, scale: colourScale(o.clients, true), legend: { orient: 'top', direction: 'horizontal' } },
    },
  };
  return { svg: await renderChart(spec), binNs };
}

/** Stacked share of all SMs per client over the whole window, idle on top. */
export async function shareChart(o: Occupancy, width: number): Promise<string> {
  const values: Array<{ t: number; who: string; share: number; order: number }> = [];
  o.series.tNs.forEach((t, b) => {
    const tm = (t - o.windowStartNs) / 1e6;
    o.clients.forEach((client, k) => values.push({ t: tm, who: clientName(client), share: o.series.share[k]![b]!, order: k }));
    values.push({ t: tm, who: 'idle', share: o.series.idle[b]!, order: o.clients.length });
  });
  const spec: TopLevelSpec = {
    width,
    height: 180,
    data: { values },
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: `time from the start of the traced window (ms), bins of ${formatDuration(o.series.binNs)}`, scale: { nice: false } },
      y: { field: 'share', type: 'quantitative', stack: 'zero', title: 'share of all SMs', axis: { format: '.0%' } },
      color: { field: 'who', type: 'nominal', title: null, scale: colourScale(o.clients, true), legend: { orient: 'top', direction: 'horizontal' } },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  return renderChart(spec);
}

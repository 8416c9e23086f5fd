// Histograms of the switch analysis: the gaps between clients (GPU running nobody's work) and the
// lengths of the time slices, from every switch and slice kept in the result.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResultJson } from '../schema.js';
import { renderChart } from './render.js';

type Switches = RunResultJson['shared']['switches'];

/**
 * Most values binned per histogram; past it every k-th is taken (said in the caption). A result lists at
 * most 10,000 switches and slices (src/metrics/switches.ts MAX_LISTED); a file may hold more.
 */
const MAX_VALUES = 50_000;

export interface Histogram {
  svg: string;
  count: number;
  /** Values binned (smaller than count when thinned). */
  used: number;
}

function thin(values: number[]): number[] {
  if (values.length <= MAX_VALUES) return values;
  const step = Math.ceil(values.length / MAX_VALUES);
  return values.filter((_, i) => i % step === 0);
}

async function histogram(values: number[], title: string, counted: string, width: number, color: string): Promise<Histogram> {
  const used = thin(values);
  const spec: TopLevelSpec = {
    width,
    height: 160,
    data: { values: used.map((v) => ({ v })) },
    mark: { type: 'bar', color, binSpacing: 1 },
    encoding: {
      x: { field: 'v', type: 'quantitative', bin: { maxbins: 40 }, title },
      y: { aggregate: 'count', type: 'quantitative', title: counted },
    },
  };
  return { svg: await renderChart(spec), count: values.length, used: used.length };
}

/** Switch gaps in µs; undefined when there was no switch. */
export async function gapHistogram(s: Switches, width: number): Promise<Histogram | undefined> {
  if (s.switches.length === 0) return undefined;
  return histogram(
    s.switches.map((x) => x.gapNs / 1e3),
    'switch gap (µs)',
    'switches',
    width,
    '#b5533c',
  );
}

/** Lengths of the interior time slices in ms (the first and last are cut by the window); undefined when none. */
export async function sliceHistogram(s: Switches, width: number): Promise<Histogram | undefined> {
  const interior = s.slices.slice(1, -1).map((x) => (x.endNs - x.startNs) / 1e6);
  if (interior.length === 0) return undefined;
  return histogram(interior, 'time slice (ms)', 'slices', width, '#3c6db5');
}

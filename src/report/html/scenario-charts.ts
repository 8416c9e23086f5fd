// A scenario's charts, one pair per role: the role's latency CDF under each mode against the role
// alone (its solo baseline dashed), with a labelled vertical rule at each SLO bound, and the role's
// throughput against alone under each mode as bars, with the 1.0× line.
import type { TopLevelSpec } from 'vega-lite';
import { sloText, type Slo } from '../../clients/slo.js';
import type { LoadedRun } from '../inputs.js';
import type { RunResultJson } from '../schema.js';
import { cdfPoints } from './latency-charts.js';
import { renderChart, SOLO_COLOR } from './render.js';

/** Runs drawn per chart (one line or bar each); the table lists every run. */
export const MAX_RUNS_DRAWN = 12;
/** Past this ratio between the longest and the shortest latency drawn, the CDF's latency axis is logarithmic. */
const LOG_SCALE_RATIO = 30;
const SLO_COLOR = '#b00020';

type Phase = RunResultJson['shared'];

/** One curve: a run's (or the solo baseline's) latencies of the role, and its requests never started. */
export interface LatencySeries {
  label: string;
  color: string;
  latencyNs: number[];
  /** Requests scheduled but never started: they count as unbounded, so the curve stays below 100%. */
  notStarted: number;
  solo?: boolean;
}

/** The role's clients of a phase (every client without `role`), pooled: every latency sample (NaN dropped) and the requests not started. */
export function roleSamples(phase: Pick<Phase, 'clients'>, role?: string): { latencyNs: number[]; notStarted: number } {
  const latencyNs: number[] = [];
  let notStarted = 0;
  for (const c of phase.clients) {
    if (role !== undefined && c.role !== role) continue;
    for (const v of c.samples.latencyNs) if (!Number.isNaN(v)) latencyNs.push(v);
    notStarted += c.notStarted ?? 0;
  }
  return { latencyNs, notStarted };
}

/** The role's pooled samples in one run's shared phase; undefined when the role has none there. */
export function runSeries(run: LoadedRun, role: string, label: string, color: string): LatencySeries | undefined {
  const s = roleSamples(run.result.shared, role);
  return s.latencyNs.length === 0 ? undefined : { label, color, ...s };
}

function latencyAxis(
  values: Array<{ ms: number }>,
  bounds: number[],
  fromArrival: boolean,
): { title: string; scale: { type: 'log' | 'linear'; zero?: boolean } } {
  const all = [...values.map((v) => v.ms), ...bounds].filter((v) => v > 0);
  const log = all.length > 0 && Math.max(...all) / Math.min(...all) > LOG_SCALE_RATIO;
  const from = fromArrival ? 'latency from the scheduled arrival (ms)' : 'latency: enqueue to completion seen on the host (ms)';
  return log ? { title: `${from}, log scale`, scale: { type: 'log' } } : { title: from, scale: { type: 'linear', zero: false } };
}

/**
 * The CDF of each series, the solo ones dashed, and a rule at each SLO bound; undefined without any
 * sample. `fromArrival`: the role's latencies count from each request's scheduled arrival (an open loop).
 */
export async function roleLatencyChart(series: LatencySeries[], slos: Slo[], fromArrival: boolean, width: number): Promise<string | undefined> {
  const drawn = series.filter((s) => s.latencyNs.length > 0);
  if (drawn.length === 0) return undefined;
  const values = drawn.flatMap((s) => cdfPoints(s.latencyNs, s.notStarted).map((pt) => ({ ...pt, who: s.label, solo: s.solo === true })));
  const rules = slos.map((slo) => ({ ms: slo.maxNs / 1e6, label: `SLO ${sloText(slo)}` }));
  const axis = latencyAxis(
    values,
    rules.map((r) => r.ms),
    fromArrival,
  );
  // A log axis cannot place 0: such samples (none from a real clock) are left out of the drawing.
  const shown = axis.scale.type === 'log' ? values.filter((v) => v.ms > 0) : values;
  const x = { field: 'ms', type: 'quantitative' as const, title: axis.title, scale: axis.scale };
  const spec: TopLevelSpec = {
    width,
    height: 240,
    layer: [
      {
        data: { values: shown },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'p', type: 'quantitative', title: 'share of requests at or below', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
          color: {
            field: 'who',
            type: 'nominal',
            title: null,
            scale: { domain: drawn.map((s) => s.label), range: drawn.map((s) => s.color) },
            legend: { orient: 'top', direction: 'horizontal' },
          },
          strokeDash: { condition: { test: 'datum.solo', value: [5, 3] }, value: [1, 0] },
        },
      },
      ...(rules.length > 0 ? sloLayers(rules, shown, x) : []),
    ],
  };
  return renderChart(spec);
}

type Layers = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>;

/**
 * A vertical rule at each SLO bound and its label at the top of the chart: right of a rule in the left
 * half of the latencies drawn, left of one in the right half (so that no label runs past the chart).
 */
function sloLayers(rules: Array<{ ms: number; label: string }>, values: Array<{ ms: number }>, x: { scale: { type: string } }): Layers {
  const position = (v: number) => (x.scale.type === 'log' ? Math.log(v) : v);
  const xs = [...values.map((v) => v.ms), ...rules.map((r) => r.ms)].filter((v) => v > 0 || x.scale.type !== 'log').map(position);
  const middle = (Math.min(...xs) + Math.max(...xs)) / 2;
  const label = (side: 'left' | 'right') => {
    const these = rules.filter((r) => position(r.ms) <= middle === (side === 'left'));
    const mark = { type: 'text' as const, color: SLO_COLOR, align: side, baseline: 'top' as const, dx: side === 'left' ? 4 : -4, dy: 4, fontSize: 11 };
    return these.length > 0 ? [{ data: { values: these }, mark, encoding: { x, y: { value: 0 }, text: { field: 'label' } } }] : [];
  };
  return [
    { data: { values: rules }, mark: { type: 'rule', color: SLO_COLOR, strokeWidth: 1.2, strokeDash: [2, 2] }, encoding: { x } },
    ...label('left'),
    ...label('right'),
  ] as Layers;
}

/** One bar per run: the role's throughput against the role alone, and the 1.0× line. */
export async function roleThroughputChart(bars: Array<{ label: string; color: string; value: number }>, width: number): Promise<string> {
  const labels = bars.map((b) => b.label);
  const chartWidth = Math.min(width, 80 + 70 * bars.length);
  const y = { field: 'value', type: 'quantitative' as const, title: 'throughput vs alone', axis: { format: '.2f' } };
  const spec: TopLevelSpec = {
    width: chartWidth,
    height: 180,
    layer: [
      {
        data: { values: bars.map((b) => ({ label: b.label, value: b.value })) },
        mark: { type: 'bar', width: { band: 0.7 } },
        encoding: {
          x: { field: 'label', type: 'nominal', title: null, sort: labels, axis: { labelAngle: 0 } },
          y,
          color: { field: 'label', type: 'nominal', legend: null, scale: { domain: labels, range: bars.map((b) => b.color) } },
        },
      },
      {
        data: { values: [{ value: 1, text: 'alone: 1.0×' }] },
        mark: { type: 'rule', color: SOLO_COLOR, strokeDash: [5, 3] },
        encoding: { y },
      },
      {
        data: { values: [{ value: 1, text: 'alone: 1.0×' }] },
        mark: { type: 'text', color: SOLO_COLOR, align: 'right', baseline: 'bottom', dy: -3, fontSize: 11 },
        encoding: { y, x: { value: chartWidth }, text: { field: 'text' } },
      },
    ],
  };
  return renderChart(spec);
}

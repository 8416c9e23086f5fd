// Charts: Vega-Lite specs compiled to Vega and rendered to SVG here, in Node, when the report is built
// (headless view, no canvas, no DOM). The page carries only the SVG: nothing is loaded when it is read.
import * as vega from 'vega';
import { compile, version as vegaLiteVersion, type TopLevelSpec } from 'vega-lite';

export const CHART_LIBRARIES = `Vega ${vega.version}, Vega-Lite ${vegaLiteVersion}`;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

const CONFIG = {
  font: FONT,
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#ececec' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, fontWeight: 'normal' as const, anchor: 'start' as const },
  view: { stroke: '#d0d0d0' },
};

/** Colours of the clients, in client order (Tableau 20 without its light partners first), then repeating. */
const PALETTE: string[] = (() => {
  const t20 = vega.scheme('tableau20') as string[];
  return [...t20.filter((_, i) => i % 2 === 0), ...t20.filter((_, i) => i % 2 === 1)];
})();
export const IDLE_COLOR = '#e3e3e3';
export const SOLO_COLOR = '#222222';

export function clientColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** Path data with coordinates to 0.01 px (Vega writes 18.900000000000002): the same drawing, smaller. */
function roundPaths(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_, d: string) => ` d="${d.replace(/(\d+\.\d\d)\d+/g, '$1')}"`);
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  const { spec: compiled } = compile(spec, { config: CONFIG });
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return roundPaths(await view.toSVG());
  } finally {
    view.finalize();
  }
}

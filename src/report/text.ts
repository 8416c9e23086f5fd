// What `report --format table|markdown|json` prints of recorded results: the text the measuring command
// printed when it made them (a run's or probe's, a sweep's, a scenario's, a merge's), in a layout, or
// the results themselves as JSON (validated, and upgraded to this version's schema).
import type { RunResult } from '../run.js';
import type { ReportInput } from './inputs.js';
import { renderPreformatted, type TextLayout } from './layout.js';
import { formatMerged } from './merged-table.js';
import { formatScenario } from './scenario-table.js';
import type { PointSummary } from './sweep-schema.js';
import { formatRunResult } from './table.js';
import { formatVerdict, sweepVerdict } from './verdict.js';
import { formatWarnings } from './warnings.js';
import { markdownExporter, tableExporter } from '../sweep/exporters.js';
import { noiseLines } from '../sweep/noise.js';

/**
 * A sweep's points as `sweep` prints them: the verdict, the comparison table, then the points' warnings
 * and, where points were repeated (--runs), the ways of sharing within each other's noise.
 */
export function formatSweep(points: PointSummary[], layout: TextLayout): string {
  const table = layout.format === 'markdown' && layout.wide ? markdownExporter.render(points).trimEnd() : tableExporter.render(points, layout);
  const warnings = points.flatMap((p) => formatWarnings(p, p.id)).join('\n');
  const noise = noiseLines(points).join('\n');
  return [formatVerdict(sweepVerdict(points), layout), table, renderPreformatted(warnings, layout), renderPreformatted(noise, layout)]
    .filter(Boolean)
    .join('\n\n');
}

/** The results as their command printed them. Two runs: one after the other. */
export function formatReportInput(input: ReportInput, layout: TextLayout): string {
  switch (input.kind) {
    case 'run':
      // A result read from a file is the reader's type (names of another version read as any string); the
      // printer names them as they are.
      return input.runs.map((r) => formatRunResult(r.result as RunResult, layout)).join(layout.format === 'markdown' ? '\n\n---\n\n' : '\n\n\n');
    case 'sweep':
      return formatSweep(input.summary.points, layout);
    case 'scenario':
      return formatScenario(input.summary, layout);
    case 'merged':
      return formatMerged(input.merged, layout);
  }
}

/** The results as JSON: a run's result (two: both, in a list), a sweep's, scenario's or merge's summary. */
export function reportInputJson(input: ReportInput): unknown {
  switch (input.kind) {
    case 'run':
      return input.runs.length === 1 ? input.runs[0]!.result : input.runs.map((r) => r.result);
    case 'sweep':
      return input.summary;
    case 'scenario':
      return input.summary;
    case 'merged':
      return input.merged;
  }
}

// What a Node user reads results with, without string tags: readResult() (a run result, two, a sweep's or
// a scenario's directory, validated and upgraded as `report` reads them), buildReport() (the HTML report
// `report` writes) and headline() (a run's headline figures as typed fields, src/report/headline.ts).
import type { ReportInput } from '../report/inputs.js';

/** Reads one run result (FILE, or FILE.gz), two (to compare), a sweep directory or a scenario's results directory. */
export async function readResult(...paths: string[]): Promise<ReportInput> {
  const { loadReportInputs } = await import('../report/inputs.js');
  return loadReportInputs(paths);
}

/** The self-contained HTML report of what readResult() returned, or of the paths given (as `report` makes it). */
export async function buildReport(input: ReportInput | string | readonly string[]): Promise<string> {
  const loaded = typeof input === 'string' ? await readResult(input) : Array.isArray(input) ? await readResult(...input) : (input as ReportInput);
  const { buildReport: build } = await import('../report/html/build.js');
  return build(loaded);
}

export { type Headline, type HeadlineFigure, headline, type Interval } from '../report/headline.js';

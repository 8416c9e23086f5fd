// What `report` reads: one run result, two (to compare), a sweep's results directory, or a scenario's.
// Every file is validated with its zod schema; a bad input is one line naming the file and the first problem.
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { basename, join, resolve } from 'node:path';
import { SCENARIO_SCHEMA, SCENARIO_SUMMARY_FILE, scenarioSummarySchema, type ScenarioRun, type ScenarioSummary } from '../scenario/result-schema.js';
import { withoutUnbackedFigures } from '../metrics/warnings.js';
import { checkFile } from './check.js';
import { MERGED_FILE, mergedSchema, type MergedComparison } from './merged-schema.js';
import { readRunResult, runResultSchema, type RunResultJson } from './schema.js';
import { SWEEP_SCHEMA, SWEEP_SUMMARY_FILE, sweepSummarySchema, type PointSummary, type SweepSummary } from './sweep-schema.js';

const gunzipAsync = promisify(gunzip);

/** An input that cannot make a report; its message is one line. CLI exit code 2. */
export class ReportInputError extends Error {
  readonly code = 'ERR_REPORT_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

export interface LoadedRun {
  /** Short label: where it came from. */
  label: string;
  file: string;
  result: RunResultJson;
  /** The file as parsed, for fields this version's schema does not know (e.g. `observation`). */
  raw: Record<string, unknown>;
}

export interface LoadedPoint {
  point: PointSummary;
  run?: LoadedRun;
  /** Why a done point's result could not be read. */
  problem?: string;
}

/** One run of a scenario: its entry in scenario.json and, when done, its result file. */
export interface LoadedScenarioRun {
  entry: ScenarioRun;
  run?: LoadedRun;
  /** Why a done run's result could not be read. */
  problem?: string;
}

type BaselinePhase = RunResultJson['baselines'][number]['phase'];
const baselinePhaseSchema = runResultSchema.shape.baselines.element.shape.phase;

/** One role's solo baseline of a scenario (baselines/ROLE-N.json). */
export interface LoadedBaseline {
  role: string;
  file: string;
  phase?: BaselinePhase;
  /** Why it could not be read. */
  problem?: string;
}

export type ReportInput =
  | { kind: 'run'; runs: LoadedRun[] }
  | { kind: 'sweep'; dir: string; summary: SweepSummary; points: LoadedPoint[] }
  | { kind: 'scenario'; dir: string; summary: ScenarioSummary; runs: LoadedScenarioRun[]; baselines: LoadedBaseline[] }
  | { kind: 'merged'; dir: string; merged: MergedComparison };

/**
 * A result as text: FILE, or FILE.gz when FILE itself is missing (results kept compressed, as the
 * examples' sweep points are), or a .gz file named as such.
 */
async function readText(file: string): Promise<string> {
  const read = async (path: string) => (path.endsWith('.gz') ? (await gunzipAsync(await readFile(path))).toString('utf8') : readFile(path, 'utf8'));
  try {
    return await read(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || file.endsWith('.gz')) throw error;
    try {
      return await read(`${file}.gz`);
    } catch {
      throw error;
    }
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readText(file);
  } catch (error) {
    throw new ReportInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ReportInputError(`${file} is not JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

function label(result: RunResultJson, file: string): string {
  const o = result.options;
  const work = o.clients.map((s) => (s.role === s.kernel ? `${s.kernel}${s.kernel === 'gemm' ? ` ${s.size}` : ''}` : s.role)).join('+');
  return `${result.mode} · ${work} · ${o.procs} proc${o.procs === 1 ? '' : 's'} · ${basename(file)}`;
}

/** Reads and validates one run result file. */
export async function loadRun(file: string): Promise<LoadedRun> {
  const value = await readJson(file);
  if (typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === SWEEP_SCHEMA) {
    throw new ReportInputError(`${file} is a sweep summary: give its directory instead`);
  }
  if (typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === SCENARIO_SCHEMA) {
    throw new ReportInputError(`${file} is a scenario summary: give its directory instead`);
  }
  const parsed = readRunResult(value);
  if (!parsed.success) throw new ReportInputError(`${file} is not a gpushare-micro/run v${parsed.version} result: ${parsed.problem}`);
  // A file made before the trace sources were recorded loses the figures its traces cannot back (src/metrics/warnings.ts).
  return { label: label(parsed.data, file), file, result: withoutUnbackedFigures(parsed.data), raw: value as Record<string, unknown> };
}

/** Reads a sweep directory: its summary.json and the result file of every done point. */
export async function loadSweep(dir: string): Promise<ReportInput> {
  const summaryFile = join(dir, SWEEP_SUMMARY_FILE);
  const value = await readJson(summaryFile);
  const parsed = checkFile(sweepSummarySchema, value);
  if (!parsed.success) throw new ReportInputError(`${summaryFile} is not a gpushare-micro/sweep v1 summary: ${parsed.problem}`);
  const points: LoadedPoint[] = [];
  for (const point of parsed.data.points) {
    if (point.status !== 'done' || !point.file) {
      points.push({ point });
      continue;
    }
    try {
      points.push({ point, run: await loadRun(resolve(dir, point.file)) });
    } catch (error) {
      // One unreadable point does not spoil the others: the report lists it with the problem.
      if (!(error instanceof ReportInputError)) throw error;
      points.push({ point, problem: error.message });
    }
  }
  return { kind: 'sweep', dir, summary: parsed.data, points };
}

/** A baseline phase file of a scenario, or why it cannot be read. */
async function loadBaseline(dir: string, entry: { role: string; file: string }): Promise<LoadedBaseline> {
  const file = resolve(dir, entry.file);
  try {
    const parsed = checkFile(baselinePhaseSchema, await readJson(file));
    if (!parsed.success) throw new ReportInputError(`${file} is not a solo baseline phase: ${parsed.problem}`);
    return { ...entry, phase: parsed.data };
  } catch (error) {
    if (!(error instanceof ReportInputError)) throw error;
    return { ...entry, problem: error.message };
  }
}

/** Reads a scenario's results directory: its scenario.json, the result file of every done run, and the roles' baselines. */
export async function loadScenario(dir: string): Promise<ReportInput> {
  const summaryFile = join(dir, SCENARIO_SUMMARY_FILE);
  const parsed = checkFile(scenarioSummarySchema, await readJson(summaryFile));
  if (!parsed.success) throw new ReportInputError(`${summaryFile} is not a gpushare-micro/scenario v1 summary: ${parsed.problem}`);
  const runs: LoadedScenarioRun[] = [];
  for (const entry of parsed.data.runs) {
    if (entry.status !== 'done' || !entry.file) {
      runs.push({ entry });
      continue;
    }
    try {
      runs.push({ entry, run: await loadRun(resolve(dir, entry.file)) });
    } catch (error) {
      // As a sweep's points: one unreadable run does not spoil the others; the report lists it with the problem.
      if (!(error instanceof ReportInputError)) throw error;
      runs.push({ entry, problem: error.message });
    }
  }
  const baselines = await Promise.all(parsed.data.baselines.map((b) => loadBaseline(dir, b)));
  return { kind: 'scenario', dir, summary: parsed.data, runs, baselines };
}

/** Reads a merged comparison's directory (gpushare-micro merge -o DIR): its merged.json. */
export async function loadMerged(dir: string): Promise<ReportInput> {
  const file = join(dir, MERGED_FILE);
  const parsed = checkFile(mergedSchema, await readJson(file));
  if (!parsed.success) throw new ReportInputError(`${file} is not a gpushare-micro/merged v1 comparison: ${parsed.problem}`);
  return { kind: 'merged', dir, merged: parsed.data };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** One run result file, two (a comparison), one sweep directory, or one scenario's results directory. */
export async function loadReportInputs(paths: readonly string[]): Promise<ReportInput> {
  if (paths.length === 0) throw new ReportInputError("report: expected a run result file, two of them, a sweep directory or a scenario's results directory");
  const kinds = await Promise.all(
    paths.map(async (p) => {
      try {
        return (await stat(p)).isDirectory() ? 'dir' : 'file';
      } catch {
        throw new ReportInputError(`cannot read ${p}: no such file or directory`);
      }
    }),
  );
  if (kinds.includes('dir')) {
    if (paths.length > 1)
      throw new ReportInputError("report: a sweep directory is reported alone, as is a scenario's; give one directory, or one or two result files");
    // A merge's directory holds merged.json, a scenario's scenario.json (or .json.gz); anything else is read as a sweep's (summary.json).
    if (await exists(join(paths[0]!, MERGED_FILE))) return loadMerged(paths[0]!);
    const scenarioFile = join(paths[0]!, SCENARIO_SUMMARY_FILE);
    const scenario = (await exists(scenarioFile)) || (await exists(`${scenarioFile}.gz`));
    return scenario ? loadScenario(paths[0]!) : loadSweep(paths[0]!);
  }
  if (paths.length > 2) throw new ReportInputError(`report: expected one or two result files, got ${paths.length}`);
  const runs = await Promise.all(paths.map((p) => loadRun(p)));
  if (runs.length === 2 && runs[0]!.label === runs[1]!.label) {
    runs[0]!.label = `A: ${runs[0]!.label}`;
    runs[1]!.label = `B: ${runs[1]!.label}`;
  }
  return { kind: 'run', runs };
}

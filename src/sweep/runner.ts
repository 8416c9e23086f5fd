// Runs a sweep's points one after another into a results directory: one run-result JSON per point
// under points/, the solo baselines under baselines/ (shared by every point of the same kernel,
// size and loop), and summary.json rewritten atomically after every point, so an interrupted sweep
// resumes where it stopped. A point that cannot run here is skipped with its reason.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBinding } from '../binding/loader.js';
import { findDevice } from '../environment.js';
import { CancelledError, ModeUnavailableError, NoGpuError, OptionError } from '../errors.js';
import type { PhaseResult } from '../phase.js';
import { checkFile } from '../report/check.js';
import { writeJsonAtomic, writeTextAtomic } from '../report/json.js';
import { SWEEP_SCHEMA, SWEEP_SCHEMA_VERSION, SWEEP_SUMMARY_FILE, sweepSummarySchema, type PointSummary, type SweepSummary } from '../report/sweep-schema.js';
import { measure, measureBaseline, type RunControls } from '../run.js';
import { csvExporter, markdownExporter } from './exporters.js';
import { baselineKey, type SweepPlan, type SweepPoint } from './plan.js';
import { pendingPoint, summarisePoint } from './summary.js';

export type SweepProgress =
  | { type: 'start'; total: number; alreadyDone: number }
  | { type: 'point'; index: number; point: SweepPoint }
  | { type: 'pointDone'; index: number; summary: PointSummary };

/** `binding`: the native module, for the device check before anything is written and for the points
 * (the CLI passes the one it loaded); loaded here when neither it nor `environment` is given. */
export interface SweepControls extends Pick<RunControls, 'signal' | 'clientModule' | 'environment' | 'command' | 'binding'> {
  outDir: string;
  /** Continue a sweep in outDir: points already done or skipped are not run again. */
  resume?: boolean;
  onProgress?: (event: SweepProgress) => void;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

/** The summary to continue from: new, or the one in outDir when resuming the same sweep. */
async function startingSummary(plan: SweepPlan, controls: SweepControls): Promise<SweepSummary> {
  const path = join(controls.outDir, SWEEP_SUMMARY_FILE);
  const now = new Date().toISOString();
  const fresh: SweepSummary = {
    schema: SWEEP_SCHEMA,
    version: SWEEP_SCHEMA_VERSION,
    createdAt: now,
    updatedAt: now,
    axes: plan.axes,
    points: plan.points.map(pendingPoint),
  };
  if (controls.command) fresh.command = controls.command;
  if (!existsSync(path)) {
    if (controls.resume) throw new OptionError('--resume', `a results directory holding a sweep's summary.json`, controls.outDir);
    return fresh;
  }
  if (!controls.resume) throw new OptionError('--out', 'a new or empty directory (or --resume to continue the sweep in it)', controls.outDir);
  const parsed = checkFile(sweepSummarySchema, await readJson(path).catch(() => undefined));
  if (!parsed.success) throw new OptionError('--resume', `a results directory whose summary.json is a ${SWEEP_SCHEMA} summary`, path);
  const previous = parsed.data;
  const ids = previous.points.map((p) => p.id).join(',');
  if (ids !== plan.points.map((p) => p.id).join(',')) {
    throw new OptionError('--resume', `the same axes as the sweep in ${controls.outDir} (${previous.points.length} points)`, `${plan.points.length} points`);
  }
  // Points that were running when the sweep stopped start again.
  previous.points = previous.points.map((p) =>
    p.status === 'done' || p.status === 'skipped' ? p : { ...pendingPoint(plan.points.find((x) => x.id === p.id)!) },
  );
  return previous;
}

const SKIP = [ModeUnavailableError, OptionError, NoGpuError];

export async function runSweep(plan: SweepPlan, controls: SweepControls): Promise<SweepSummary> {
  const { outDir } = controls;
  // The results directory is an option: checked (new, or the same sweep to resume) before looking for a GPU.
  const summary = await startingSummary(plan, controls);
  // No GPU (or no addon) is the machine's problem, not each point's: say so once, before anything is written.
  if (!controls.environment && plan.points.length > 0) await findDevice(controls.binding ?? loadBinding(), plan.points[0]!.config.device);
  await mkdir(join(outDir, 'points'), { recursive: true });
  await mkdir(join(outDir, 'baselines'), { recursive: true });
  const summaryPath = join(outDir, SWEEP_SUMMARY_FILE);
  const save = async () => {
    summary.updatedAt = new Date().toISOString();
    await writeJsonAtomic(summaryPath, summary);
  };
  await save();
  const baselines = new Map<string, PhaseResult>();
  const alreadyDone = summary.points.filter((p) => p.status !== 'pending').length;
  controls.onProgress?.({ type: 'start', total: plan.points.length, alreadyDone });
  const base: RunControls = {};
  if (controls.signal) base.signal = controls.signal;
  if (controls.clientModule) base.clientModule = controls.clientModule;
  if (controls.environment) base.environment = controls.environment;
  if (controls.binding) base.binding = controls.binding;

  for (const [index, point] of plan.points.entries()) {
    if (summary.points[index]!.status !== 'pending') continue;
    if (controls.signal?.aborted) break;
    controls.onProgress?.({ type: 'point', index, point });
    let line: PointSummary;
    try {
      const key = baselineKey(point);
      let baseline = baselines.get(key);
      const baselineFile = join(outDir, 'baselines', `${key}.json`);
      if (!baseline && existsSync(baselineFile)) baseline = (await readJson(baselineFile)) as PhaseResult;
      if (!baseline) {
        baseline = await measureBaseline(point.config, base);
        if (controls.signal?.aborted) break;
        if (baseline.complete) await writeJsonAtomic(baselineFile, baseline);
      }
      if (baseline.complete) baselines.set(key, baseline);
      const role = point.config.clients[0]!.role;
      const result = await measure(point.config, {
        ...base,
        baselines: new Map([[role, baseline]]),
        command: [...(controls.command ?? []), `# point ${point.id}`],
      });
      if (controls.signal?.aborted) break;
      summary.environment ??= result.environment;
      const file = join('points', `${point.id}.json`);
      await writeJsonAtomic(join(outDir, file), result);
      line = summarisePoint(point, result, file);
    } catch (error) {
      if (error instanceof CancelledError || controls.signal?.aborted) break;
      const skipped = SKIP.some((type) => error instanceof type);
      line = { ...pendingPoint(point), status: skipped ? 'skipped' : 'failed', reason: (error as Error).message.split('\n')[0]! };
    }
    summary.points[index] = line;
    await save();
    controls.onProgress?.({ type: 'pointDone', index, summary: line });
  }
  await save();
  await writeTextAtomic(join(outDir, 'summary.csv'), csvExporter.render(summary.points));
  await writeTextAtomic(join(outDir, 'summary.md'), markdownExporter.render(summary.points));
  return summary;
}

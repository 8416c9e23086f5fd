// Runs a sweep's points one after another (or, with --devices, on several GPUs at once: src/fleet/device-pool.ts) into a results directory: one run-result JSON per point
// under points/, the solo baselines under baselines/ (shared by every point of the same kernel,
// size and loop), and summary.json rewritten atomically after every point, so an interrupted sweep
// resumes where it stopped. A point that cannot run here is skipped with its reason.
// With --runs N (2 or more) no baseline is shared: each point repeats its own pairs, the kernel alone
// then shared, N times interleaved (src/run.ts), so that a drift hits both sides of each of its ratios;
// its point file holds them all and its summary line the medians with their intervals.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBinding } from '../binding/loader.js';
import { findDevice, type Environment } from '../environment.js';
import { deviceEnvironments, resolveDevices, runOnDevices, serialised } from '../fleet/device-pool.js';
import { CancelledError, ModeUnavailableError, NoGpuError, OptionError } from '../errors.js';
import type { PhaseResult } from '../phase.js';
import { checkFile } from '../report/check.js';
import { writeJsonAtomic, writeTextAtomic } from '../report/json.js';
import { SWEEP_SCHEMA, SWEEP_SCHEMA_VERSION, SWEEP_SUMMARY_FILE, sweepSummarySchema, type PointSummary, type SweepSummary } from '../report/sweep-schema.js';
import { measure, measureBaseline, type RunControls } from '../run.js';
import { csvExporter, markdownExporter } from './exporters.js';
import { withNoiseVerdicts } from './noise.js';
import { baselineKey, type SweepPlan, type SweepPoint } from './plan.js';
import { pendingPoint, summarisePoint } from './summary.js';

export type SweepProgress =
  | { type: 'start'; total: number; alreadyDone: number; devices: number[] }
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

/** What every point of a sweep shares while it runs. */
interface SweepContext {
  controls: SweepControls;
  base: RunControls;
  /** The stand-in environment of each device, when one is given (tests); else each run captures its own. */
  environments: Map<number, Environment>;
  summary: SweepSummary;
  baselines: Map<string, PhaseResult>;
  /** One device: the baselines' file names of a one-GPU sweep; several: one baseline per device. */
  perDeviceBaselines: boolean;
  save: () => Promise<void>;
}

export async function runSweep(plan: SweepPlan, controls: SweepControls): Promise<SweepSummary> {
  const { outDir } = controls;
  // The results directory is an option: checked (new, or the same sweep to resume) before looking for a GPU.
  const summary = await startingSummary(plan, controls);
  const devices = await sweepDevices(plan, controls);
  await mkdir(join(outDir, 'points'), { recursive: true });
  await mkdir(join(outDir, 'baselines'), { recursive: true });
  const summaryPath = join(outDir, SWEEP_SUMMARY_FILE);
  // Points on several devices finish at any time: their summary writes go one after another.
  const save = serialised(async () => {
    summary.updatedAt = new Date().toISOString();
    await writeJsonAtomic(summaryPath, summary);
  });
  await save();
  const alreadyDone = summary.points.filter((p) => p.status !== 'pending').length;
  controls.onProgress?.({ type: 'start', total: plan.points.length, alreadyDone, devices });
  const base: RunControls = {};
  if (controls.signal) base.signal = controls.signal;
  if (controls.clientModule) base.clientModule = controls.clientModule;
  if (controls.binding) base.binding = controls.binding;
  const environments = controls.environment ? await deviceEnvironments(controls, devices) : new Map<number, Environment>();
  const ctx: SweepContext = { controls, base, environments, summary, baselines: new Map(), perDeviceBaselines: devices.length > 1, save };
  const pending = [...plan.points.entries()].filter(([index]) => summary.points[index]!.status === 'pending');
  await runOnDevices(pending, devices, ([index, point], device) => runPoint(index, point, device, ctx), controls.signal);
  // With --runs: which ways of sharing the same work are within each other's noise (src/sweep/noise.ts).
  summary.points = withNoiseVerdicts(summary.points);
  await save();
  await writeTextAtomic(join(outDir, 'summary.csv'), csvExporter.render(summary.points));
  await writeTextAtomic(join(outDir, 'summary.md'), markdownExporter.render(summary.points));
  return summary;
}

/** The devices the sweep runs on (its plan's --devices, else the points' one --device), checked before anything is written. */
async function sweepDevices(plan: SweepPlan, controls: SweepControls): Promise<number[]> {
  const one = plan.points[0]?.config.device ?? 0;
  if (plan.points.length === 0) return [one];
  // No GPU (or no addon) is the machine's problem, not each point's: say so once, before anything is written.
  if (!plan.devices) {
    if (!controls.environment) await findDevice(controls.binding ?? loadBinding(), one);
    return [one];
  }
  return resolveDevices(plan.devices, controls.binding ?? loadBinding());
}

/** One point on one device: its baseline (measured on that device when it has none yet), its run, its summary line; false when cancelled. */
async function runPoint(index: number, planned: SweepPoint, device: number, ctx: SweepContext): Promise<boolean> {
  const { controls, summary } = ctx;
  const point: SweepPoint = { ...planned, config: { ...planned.config, device } };
  const base: RunControls = { ...ctx.base };
  const environment = ctx.environments.get(device);
  if (environment) base.environment = environment;
  controls.onProgress?.({ type: 'point', index, point });
  let line: PointSummary;
  try {
    const repeated = (point.config.runs ?? 1) > 1;
    const baseline = repeated ? undefined : await pointBaseline(point, base, ctx);
    if (!repeated && !baseline) return false;
    const role = point.config.clients[0]!.role;
    const result = await measure(point.config, {
      ...base,
      ...(baseline ? { baselines: new Map([[role, baseline]]) } : {}),
      command: [...(controls.command ?? []), `# point ${point.id}`],
    });
    if (controls.signal?.aborted) return false;
    summary.environment ??= result.environment;
    const file = join('points', `${point.id}.json`);
    await writeJsonAtomic(join(controls.outDir, file), result);
    line = summarisePoint(point, result, file);
  } catch (error) {
    if (error instanceof CancelledError || controls.signal?.aborted) return false;
    const skipped = SKIP.some((type) => error instanceof type);
    line = { ...pendingPoint(point), status: skipped ? 'skipped' : 'failed', reason: (error as Error).message.split('\n')[0]!, device };
  }
  summary.points[index] = line;
  await ctx.save();
  controls.onProgress?.({ type: 'pointDone', index, summary: line });
  return true;
}

/**
 * The point's solo baseline: shared by every point of the same kernel, size and loop (baselineKey) on
 * the same device — with several devices, each device measures its own the first time one of its
 * points needs it (the safe choice: two GPUs of one model still differ in clocks and temperature, and
 * a point's slowdown is then against the GPU it ran on). Undefined when cancelled.
 */
async function pointBaseline(point: SweepPoint, base: RunControls, ctx: SweepContext): Promise<PhaseResult | undefined> {
  const key = ctx.perDeviceBaselines ? `${baselineKey(point)}-device${point.config.device}` : baselineKey(point);
  let baseline = ctx.baselines.get(key);
  const baselineFile = join(ctx.controls.outDir, 'baselines', `${key}.json`);
  if (!baseline && existsSync(baselineFile)) baseline = (await readJson(baselineFile)) as PhaseResult;
  if (!baseline) {
    baseline = await measureBaseline(point.config, base);
    if (ctx.controls.signal?.aborted) return undefined;
    if (baseline.complete) await writeJsonAtomic(baselineFile, baseline);
  }
  if (baseline.complete) ctx.baselines.set(key, baseline);
  return baseline;
}

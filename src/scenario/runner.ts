// Runs a scenario into a results directory: each role alone first (baselines/, one per distinct role
// workload and loop, shared by every mode that runs the role the same way), then the whole scenario
// under each step — a mode, maybe with a knob sweep's value, maybe repeated — into runs/, and
// scenario.json rewritten atomically after every step with each run's role figures and, at the end,
// the verdicts. A mode that cannot run here is recorded as skipped with its reason; the others go on.
// With runs: N (2 or more; --runs or the file's key) no baseline is shared: each step measures its
// roles alone then the whole scenario, N times interleaved (src/run.ts), and its run's figures are the
// medians over those runs with their confidence intervals; the run file holds every run's headline
// figures (repeats), and baselines/ stays empty. --repeat repeats whole steps, modes interleaved, on top.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { loadBinding } from '../binding/loader.js';
import type { RawClientOptions, ClientSpec } from '../clients/spec.js';
import { resolveRunConfig, type ModeName, type RunConfig } from '../config.js';
import { findDevice, type Environment } from '../environment.js';
import { deviceEnvironments, resolveDevices, runOnDevices, serialised, type DeviceSpec } from '../fleet/device-pool.js';
import { CancelledError, ModeUnavailableError, NoGpuError, OptionError } from '../errors.js';
import type { PhaseResult } from '../phase.js';
import { writeJsonAtomic } from '../report/json.js';
import { measure, measureBaseline, type RunControls, type RunResult } from '../run.js';
import { SCENARIO_SCHEMA, SCENARIO_SCHEMA_VERSION, SCENARIO_SUMMARY_FILE, type ScenarioRun, type ScenarioSummary } from './result-schema.js';
import { scenarioRunOptions, type Scenario } from './scenario.js';
import { scenarioRunConfig } from './file.js';
import { verdicts } from './verdict.js';

/** One run of the scenario: a mode, the role changes it makes (a knob's value), and which repeat it is. */
export interface ScenarioStep {
  mode: ModeName;
  /** Per role, options on top of the scenario's (e.g. { infer: { mpsThreads: 25 } }). */
  changes: Record<string, Partial<RawClientOptions>>;
  /** How the step names its changes, e.g. { "infer.mps-threads": 25 }. */
  knobs?: Record<string, unknown>;
  repeat: number;
}

export type ScenarioProgress =
  | { type: 'baseline'; role: string }
  | { type: 'step'; index: number; total: number; step: ScenarioStep }
  | { type: 'stepDone'; index: number; run: ScenarioRun };

export interface ScenarioControls extends Pick<RunControls, 'signal' | 'clientModule' | 'environment' | 'command' | 'binding'> {
  outDir: string;
  onProgress?: (event: ScenarioProgress) => void;
  /** Roles' baselines measured earlier (a peak search's previous steps), by baselineKey(); new ones are added. */
  baselines?: Map<string, PhaseResult>;
  /** Run independent steps on these devices at once (--devices; src/fleet/device-pool.ts); default: the scenario's one device. */
  devices?: DeviceSpec;
}

/** The steps of a scenario: every mode once per repeat, modes interleaved so that drift hits each alike. */
export function scenarioSteps(scenario: Scenario, repeat = 1, sweep: Array<Omit<ScenarioStep, 'repeat'>> = []): ScenarioStep[] {
  const swept = new Set(sweep.map((s) => s.mode));
  const once: Array<Omit<ScenarioStep, 'repeat'>> = [];
  for (const mode of scenario.modes) {
    if (swept.has(mode)) once.push(...sweep.filter((s) => s.mode === mode));
    else once.push({ mode, changes: {} });
  }
  return Array.from({ length: repeat }, (_, r) => once.map((s) => ({ ...s, repeat: r }))).flat();
}

/**
 * Every step's configuration, validated before any GPU work (a scenario read from a file names the
 * file's line in its errors; src/scenario/file.ts); one seed for all so that every mode sees the same
 * inputs and arrivals.
 */
export function scenarioConfigs(scenario: Scenario, steps: ScenarioStep[]): RunConfig[] {
  const seed = scenario.options.seed ?? randomInt(1, 2 ** 47);
  return steps.map((s) =>
    Object.keys(s.changes).length === 0 && scenario.text !== ''
      ? scenarioRunConfig(scenario, s.mode, { seed })
      : resolveRunConfig(scenarioRunOptions(scenario, s.mode, { seed }, s.changes)),
  );
}

/** What makes two roles' baselines the same: everything of the spec but its knobs, count and objectives. */
export function baselineKey(spec: ClientSpec, config: RunConfig): string {
  const { knobs: _k, count: _c, slo: _s, ...rest } = spec;
  return JSON.stringify([rest, config.durationNs, config.launches, config.seed, config.device]);
}

function stepName(step: ScenarioStep, repeats: number): string {
  const knobs = Object.entries(step.knobs ?? {}).map(([k, v]) => `${k}-${String(v)}`);
  return [step.mode, ...knobs, ...(repeats > 1 ? [`r${step.repeat + 1}`] : [])].join('-').replace(/[^A-Za-z0-9_.+-]/g, '_');
}

function summariseRun(step: ScenarioStep, result: RunResult, file: string): ScenarioRun {
  return {
    mode: step.mode,
    ...(step.knobs ? { knobs: step.knobs } : {}),
    ...(step.repeat > 0 ? { repeat: step.repeat } : {}),
    ...(result.repeats ? { runs: result.repeats.runs } : {}),
    status: 'done',
    file,
    complete: result.complete,
    ...(result.reason ? { reason: result.reason } : {}),
    roles: result.roles,
    comparison: result.comparison,
    aggregate: result.shared.aggregate,
    ...(result.warnings && result.warnings.length > 0 ? { warnings: result.warnings } : {}),
  };
}

const SKIP = [ModeUnavailableError, OptionError, NoGpuError];

/** The devices the steps run on: --devices, else the scenario's one device; checked before anything is written. */
async function scenarioDevices(configs: RunConfig[], controls: ScenarioControls, binding: ScenarioControls['binding']): Promise<number[]> {
  const one = configs[0]?.device ?? 0;
  if (controls.devices) return resolveDevices(controls.devices, binding!);
  // No GPU (or no addon) is the machine's problem, not each mode's: say so once, before anything is written.
  if (!controls.environment) await findDevice(binding!, one);
  return [one];
}

function newSummary(scenario: Scenario, configs: RunConfig[], controls: ScenarioControls): ScenarioSummary {
  return {
    schema: SCENARIO_SCHEMA,
    schemaVersion: SCENARIO_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    ...(controls.command ? { command: controls.command } : {}),
    scenario: {
      name: scenario.name,
      description: scenario.description,
      source: scenario.source,
      text: scenario.text,
      modes: scenario.modes,
      roles: configs[0]?.clients ?? [],
    },
    ...(controls.environment ? { environment: controls.environment } : {}),
    baselines: [],
    runs: [],
    verdicts: [],
    complete: false,
  };
}

/** Runs the scenario's steps (on several devices at once with `devices`); the summary is in outDir/scenario.json after every step. */
export async function runScenario(scenario: Scenario, steps: ScenarioStep[], controls: ScenarioControls): Promise<ScenarioSummary> {
  const configs = scenarioConfigs(scenario, steps);
  const binding = controls.binding ?? (controls.environment && !controls.devices ? undefined : loadBinding());
  const devices = await scenarioDevices(configs, controls, binding);
  // Each run captures its own environment (its clocks at its start), unless one is given (stand-in clients).
  const base: RunControls = { ...(controls.environment ? { environment: controls.environment } : {}), ...(binding ? { binding } : {}) };
  if (controls.signal) base.signal = controls.signal;
  if (controls.clientModule) base.clientModule = controls.clientModule;
  const environments: Map<number, Environment> = await deviceEnvironments({ ...controls, ...(binding ? { binding } : {}) }, devices);
  await mkdir(join(controls.outDir, 'runs'), { recursive: true });
  await mkdir(join(controls.outDir, 'baselines'), { recursive: true });
  const summary = newSummary(scenario, configs, controls);
  // Steps on several devices finish in any order: the runs keep the steps' order, and the writes go one after another.
  const slots: Array<ScenarioRun | undefined> = [];
  const save = serialised(async () => {
    summary.runs = slots.filter((r): r is ScenarioRun => r !== undefined);
    await writeJsonAtomic(join(controls.outDir, SCENARIO_SUMMARY_FILE), summary);
  });
  await save();
  const ctx: StepContext = {
    controls,
    base,
    baselines: controls.baselines ?? new Map(),
    summary,
    repeats: Math.max(...steps.map((s) => s.repeat)) + 1,
    files: { count: 0 },
  };
  const several = controls.devices !== undefined;
  await runOnDevices(
    [...steps.entries()],
    devices,
    async ([index, step], device) => {
      controls.onProgress?.({ type: 'step', index, total: steps.length, step });
      const environment = environments.get(device);
      const config = several ? { ...configs[index]!, device } : configs[index]!;
      const run = await runStep(step, config, environment ? { ...ctx, base: { ...base, environment } } : ctx);
      if (!run) return false;
      if (several) run.device = device;
      slots[index] = run;
      await save();
      controls.onProgress?.({ type: 'stepDone', index, run });
      return true;
    },
    controls.signal,
  );
  summary.runs = slots.filter((r): r is ScenarioRun => r !== undefined);
  summary.complete = !controls.signal?.aborted && summary.runs.length === steps.length && summary.runs.every((r) => r.status === 'done' && r.complete);
  summary.verdicts = verdicts(summary.scenario.roles, summary.runs);
  await save();
  return summary;
}

interface StepContext {
  controls: ScenarioControls;
  base: RunControls;
  baselines: Map<string, PhaseResult>;
  summary: ScenarioSummary;
  repeats: number;
  /** Baseline files named so far, shared by every step's context (steps on several devices name theirs at once). */
  files: { count: number };
}

/** The roles' baselines this configuration needs, measured where not yet measured (and written to baselines/). */
async function roleBaselines(config: RunConfig, ctx: StepContext): Promise<Map<string, PhaseResult>> {
  const out = new Map<string, PhaseResult>();
  for (const spec of config.clients) {
    const key = baselineKey(spec, config);
    let phase = ctx.baselines.get(key);
    if (!phase) {
      ctx.controls.onProgress?.({ type: 'baseline', role: spec.role });
      phase = await measureBaseline(config, ctx.base, spec.role);
      if (ctx.controls.signal?.aborted) throw new CancelledError('cancelled during a solo baseline');
      ctx.files.count += 1;
      const file = join('baselines', `${spec.role}-${ctx.files.count}.json`);
      await writeJsonAtomic(join(ctx.controls.outDir, file), phase);
      ctx.summary.baselines.push({ role: spec.role, file });
      ctx.baselines.set(key, phase);
    }
    out.set(spec.role, phase);
  }
  return out;
}

/** One step: its baselines, its run, its file; a mode that cannot run here is a skipped run; undefined when cancelled. */
async function runStep(step: ScenarioStep, config: RunConfig, ctx: StepContext): Promise<ScenarioRun | undefined> {
  try {
    // Repeated runs measure their own baselines, each beside its shared phase.
    const baselines = (config.runs ?? 1) > 1 ? undefined : await roleBaselines(config, ctx);
    const name = stepName(step, ctx.repeats);
    const result = await measure(config, { ...ctx.base, ...(baselines ? { baselines } : {}), command: [...(ctx.controls.command ?? []), `# ${name}`] });
    if (ctx.controls.signal?.aborted) return undefined;
    const file = join('runs', `${name}.json`);
    await writeJsonAtomic(join(ctx.controls.outDir, file), result);
    ctx.summary.environment ??= result.environment;
    return summariseRun(step, result, file);
  } catch (error) {
    if (error instanceof CancelledError || ctx.controls.signal?.aborted) return undefined;
    const skipped = SKIP.some((type) => error instanceof type);
    return {
      mode: step.mode,
      ...(step.knobs ? { knobs: step.knobs } : {}),
      status: skipped ? 'skipped' : 'failed',
      reason: (error as Error).message.split('\n')[0]!,
    };
  }
}

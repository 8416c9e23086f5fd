// run(): the measurement a user asks for in one call. The same kernel alone first (the baseline),
// then `procs` clients sharing the GPU under the chosen mode, in one invocation, so every ratio
// compares like with like. The mode is checked and validated before any GPU work, set up before the
// shared phase and torn down after it on every path.
import type { NativeBinding } from './binding/contract.js';
import { loadBinding } from './binding/loader.js';
import { clientMemoryBytes, resolveRunConfig, type ModeName, type RunConfig, type RunOptions } from './config.js';
import { captureEnvironment, readClocks, type Environment } from './environment.js';
import { CancelledError, ModeUnavailableError, OptionError } from './errors.js';
import { jainIndex } from './metrics/stats.js';
import { summary, type Summary } from './metrics/summary.js';
import { sharingMode, type ModeContext, type ModeSession } from './modes/index.js';
import type { OrchestratorEvent } from './orchestrator/orchestrator.js';
import { loopConfig, runPhase, type PhaseResult } from './phase.js';

export const RESULT_SCHEMA = 'gpushare-micro/run';
export const RESULT_SCHEMA_VERSION = 1;

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  createdAt: string;
  /** The command line that made it, when run from the CLI. */
  command?: string[];
  /** Sharing mode: how the clients share the GPU. */
  mode: ModeName;
  /** What the mode set up: the MPS pipe, the SM split asked for, the MIG devices, ... */
  modeFacts?: Record<string, unknown>;
  options: RunConfig;
  environment: Environment;
  /** The kernel alone, measured first (absent with baseline: false). */
  baseline?: PhaseResult;
  shared: PhaseResult;
  /** Shared against solo: aggregate throughput ratio and the clients' median slowdown. */
  comparison: Summary[];
  complete: boolean;
  reason?: string;
}

export type Progress =
  | { type: 'phase'; label: PhaseResult['label']; procs: number }
  | ({ phase: PhaseResult['label'] } & OrchestratorEvent);

export interface RunControls {
  signal?: AbortSignal;
  onProgress?: (event: Progress) => void;
  /** The client program; tests pass a stand-in together with `environment`. */
  clientModule?: string;
  /** An environment captured beforehand; skips the GPU query (for stand-in clients in tests). */
  environment?: Environment;
  command?: string[];
  /** A solo baseline measured earlier for the same kernel and options (a sweep shares them). */
  baseline?: PhaseResult;
}

function value(list: Summary[] | undefined, tag: string): number | undefined {
  return list?.find((s) => s.tag === tag)?.value;
}

/** Adds each shared client's slowdown and latency ratios against the solo client. */
function compare(baseline: PhaseResult | undefined, shared: PhaseResult): Summary[] {
  const solo = baseline?.clients[0]?.summaries;
  if (!solo || baseline?.clients[0]?.status !== 'ok') return [];
  const soloRate = value(solo, 'throughput');
  for (const client of shared.clients) {
    const rate = value(client.summaries, 'throughput');
    if (soloRate && rate) client.summaries.push(summary('slowdown', 'slowdown vs solo', 'ratio', soloRate / rate));
    for (const p of ['p50', 'p99'] as const) {
      const s = value(solo, `latency.${p}`);
      const c = value(client.summaries, `latency.${p}`);
      if (s && c) client.summaries.push(summary(`latency.${p}.vsSolo`, `${p} latency vs solo`, 'ratio', c / s));
    }
  }
  const out: Summary[] = [];
  const aggregate = value(shared.aggregate, 'aggregate.throughput');
  if (soloRate && aggregate) out.push(summary('aggregate.vsSolo', 'aggregate throughput vs solo', 'ratio', aggregate / soloRate));
  const slowdowns = shared.clients.map((c) => value(c.summaries, 'slowdown')).filter((v): v is number => v !== undefined);
  if (slowdowns.length > 0) {
    out.push(summary('slowdown.max', 'worst client slowdown', 'ratio', Math.max(...slowdowns)));
  }
  const rates = shared.clients.map((c) => value(c.summaries, 'throughput') ?? 0);
  if (shared.clients.length > 1 && rates.some((r) => r > 0)) {
    out.push(summary('fairness', "fairness (Jain's index of throughputs)", 'fraction', jainIndex(rates)));
  }
  return out;
}

/** Checks that the mode can run here and that its options fit the device: before any GPU work. */
export async function checkMode(config: RunConfig, environment: Environment, binding?: NativeBinding): Promise<ModeContext> {
  const ctx: ModeContext = { config, environment, ...(binding ? { binding } : {}) };
  const mode = sharingMode(config.mode);
  const availability = await mode.availability(ctx);
  if (!availability.available) throw new ModeUnavailableError(config.mode, availability.reason);
  await mode.validate(ctx);
  return ctx;
}

/** Runs the measurement. Options are validated first (OptionError) and no GPU work happens before. */
export async function run(options: RunOptions = {}, controls: RunControls = {}): Promise<RunResult> {
  const config = resolveRunConfig(options);
  return measure(config, controls);
}

interface Prepared {
  binding?: NativeBinding;
  environment: Environment;
  ctx: ModeContext;
  loop: (client: number) => ReturnType<typeof loopConfig>;
  phase: (label: PhaseResult['label'], workers: Parameters<typeof runPhase>[0]['workers']) => Promise<PhaseResult>;
}

/** Everything before GPU work: the environment, the memory check, the mode's checks. */
async function prepare(config: RunConfig, controls: RunControls): Promise<Prepared> {
  const binding = controls.environment ? undefined : loadBinding();
  const environment = controls.environment ?? (await captureEnvironment(binding!, config.device));
  const needed = clientMemoryBytes(config, environment.gpu.smCount) * config.procs;
  if (needed > environment.gpu.memoryBytes * 0.9) {
    throw new OptionError(
      config.kernel === 'gemm' ? '--size' : '--trace-records',
      `buffers that fit in ${(environment.gpu.memoryBytes / 2 ** 30).toFixed(0)} GiB for ${config.procs} clients`,
      `${(needed / 2 ** 30).toFixed(1)} GiB`,
    );
  }
  const ctx = await checkMode(config, environment, binding);
  const smCount = environment.gpu.smCount;
  const loop = (client: number) => loopConfig(config, client, smCount);
  const phase = async (label: PhaseResult['label'], workers: Parameters<typeof runPhase>[0]['workers']) => {
    controls.onProgress?.({ type: 'phase', label, procs: workers.reduce((n, w) => n + w.clients.length, 0) });
    // The device is observed in both phases, so what it did alone and shared can be compared.
    const observed = binding !== undefined;
    return runPhase({
      config,
      label,
      workers,
      ...(observed ? { observe: { binding, device: config.device, sampleMs: config.observe.sampleMs, pmSampling: config.observe.pmSampling } } : {}),
      ...(config.observe.cupti ? { kernelActivity: true } : {}),
      ...(controls.clientModule ? { clientModule: controls.clientModule } : {}),
      ...(controls.signal ? { signal: controls.signal } : {}),
      onEvent: (event) => controls.onProgress?.({ phase: label, ...event }),
    });
  };
  return { ...(binding ? { binding } : {}), environment, ctx, loop, phase };
}

/** The kernel alone, as the mode's baseline runs it (a sweep measures it once for many points). */
export async function measureBaseline(config: RunConfig, controls: RunControls = {}): Promise<PhaseResult> {
  const { ctx, loop, phase } = await prepare(config, controls);
  return phase('baseline', [await sharingMode(config.mode).solo(ctx, loop(0))]);
}

/** Runs an already validated configuration. */
export async function measure(config: RunConfig, controls: RunControls = {}): Promise<RunResult> {
  const { binding, environment, ctx, loop, phase } = await prepare(config, controls);
  const mode = sharingMode(config.mode);
  let session: ModeSession | undefined;
  let baseline: PhaseResult | undefined;
  let shared: PhaseResult;
  // The baseline runs before the mode is set up, so nothing of the mode (an idle MPS server, say) is
  // on the GPU while the kernel runs alone.
  if (config.baseline) {
    baseline = controls.baseline ?? (await phase('baseline', [await mode.solo(ctx, loop(0))]));
    if (controls.signal?.aborted) throw new CancelledError('cancelled during the solo baseline');
  }
  try {
    session = await mode.setup(ctx);
    shared = await phase('shared', session.workers(config.procs, loop));
    if (!shared.complete && !controls.signal?.aborted) {
      const hint = await session.diagnose?.();
      if (hint) shared.reason = `${shared.reason ?? 'incomplete'} (${hint})`;
    }
  } finally {
    await session?.teardown();
  }
  if (binding) environment.clocksEnd = await readClocks(binding, environment.gpu.uuid);

  const complete = shared.complete && (baseline?.complete ?? true);
  const result: RunResult = {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: config.mode,
    options: config,
    environment,
    shared,
    comparison: compare(baseline, shared),
    complete,
  };
  if (session && Object.keys(session.facts).length > 0) result.modeFacts = session.facts;
  if (controls.command) result.command = controls.command;
  if (baseline) result.baseline = baseline;
  if (!complete) result.reason = shared.reason ?? baseline?.reason ?? 'incomplete';
  return result;
}

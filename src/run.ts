// run(): the measurement a user asks for in one call. The same kernel alone first (the baseline),
// then `procs` clients sharing the GPU under the chosen mode, in one invocation, so every ratio
// compares like with like. The mode is checked and validated before any GPU work, set up before the
// shared phase and torn down after it on every path.
import type { NativeBinding } from './binding/contract.js';
import { loadBinding } from './binding/loader.js';
import { clientMemoryBytes, resolveRunConfig, type RunConfig, type RunOptions } from './config.js';
import { captureEnvironment, readClocks, type Environment } from './environment.js';
import { CancelledError, ModeUnavailableError, OptionError } from './errors.js';
import { jainIndex } from './metrics/stats.js';
import { summary, type Summary } from './metrics/summary.js';
import { sharingMode, type ModeContext, type ModeFacts, type ModeSession } from './modes/index.js';
import type { OrchestratorEvent, WorkerSpec } from './orchestrator/orchestrator.js';
import { loopConfig, runPhase, type ClientReport, type PhaseResult } from './phase.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, type RunResult } from './report/schema.js';

// The result's shape is the result file's (src/report/schema.ts): the type is inferred there.
export { RESULT_SCHEMA, RESULT_SCHEMA_VERSION } from './report/schema.js';
export type { RunResult };

export type Progress = { type: 'phase'; label: PhaseResult['label']; procs: number } | ({ phase: PhaseResult['label'] } & OrchestratorEvent);

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
  /** The native module; loaded when absent. Tests pass a stand-in with `clientModule` and `environment`. */
  binding?: NativeBinding;
}

function value(list: Summary[] | undefined, tag: string): number | undefined {
  return list?.find((s) => s.tag === tag)?.value;
}

/** A shared client's slowdown and latency ratios against the solo client's summaries. */
function ratios(solo: Summary[], client: Summary[]): Summary[] {
  const out: Summary[] = [];
  const soloRate = value(solo, 'throughput');
  const rate = value(client, 'throughput');
  if (soloRate && rate) out.push(summary('slowdown', 'slowdown vs solo', 'ratio', soloRate / rate));
  for (const p of ['p50', 'p99'] as const) {
    const s = value(solo, `latency.${p}`);
    const c = value(client, `latency.${p}`);
    if (s && c) out.push(summary(`latency.${p}.vsSolo`, `${p} latency vs solo`, 'ratio', c / s));
  }
  return out;
}

/**
 * Shared against solo: new reports of the shared clients, each with its ratios against the solo client
 * added, and the run's comparison (aggregate throughput ratio, worst slowdown, fairness). Changes
 * neither phase.
 */
export function compare(baseline: PhaseResult | undefined, shared: PhaseResult): { clients: ClientReport[]; comparison: Summary[] } {
  const solo = baseline?.clients[0];
  if (solo?.status !== 'ok') return { clients: shared.clients, comparison: [] };
  const clients = shared.clients.map((c) => ({ ...c, summaries: [...c.summaries, ...ratios(solo.summaries, c.summaries)] }));
  const comparison: Summary[] = [];
  const soloRate = value(solo.summaries, 'throughput');
  const aggregate = value(shared.aggregate, 'aggregate.throughput');
  if (soloRate && aggregate) comparison.push(summary('aggregate.vsSolo', 'aggregate throughput vs solo', 'ratio', aggregate / soloRate));
  const slowdowns = clients.map((c) => value(c.summaries, 'slowdown')).filter((v): v is number => v !== undefined);
  if (slowdowns.length > 0) {
    comparison.push(summary('slowdown.max', 'worst client slowdown', 'ratio', Math.max(...slowdowns)));
  }
  const rates = clients.map((c) => value(c.summaries, 'throughput') ?? 0);
  if (clients.length > 1 && rates.some((r) => r > 0)) {
    comparison.push(summary('fairness', "fairness (Jain's index of throughputs)", 'fraction', jainIndex(rates)));
  }
  return { clients, comparison };
}

/** Checks that the mode can run here and that its options fit the device: before any GPU work. */
export async function checkMode(config: RunConfig, environment: Environment, binding: NativeBinding): Promise<ModeContext> {
  const ctx: ModeContext = { config, environment, binding };
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
  environment: Environment;
  ctx: ModeContext;
  loop: (client: number) => ReturnType<typeof loopConfig>;
  phase: (label: PhaseResult['label'], workers: WorkerSpec[]) => Promise<PhaseResult>;
}

/** The clients' buffers must fit the device (with room to spare) before anything runs. */
function checkMemory(config: RunConfig, environment: Environment): void {
  const needed = clientMemoryBytes(config, environment.gpu.smCount) * config.procs;
  if (needed > environment.gpu.memoryBytes * 0.9) {
    throw new OptionError(
      config.kernel === 'gemm' ? '--size' : '--trace-records',
      `buffers that fit in ${(environment.gpu.memoryBytes / 2 ** 30).toFixed(0)} GiB for ${config.procs} clients`,
      `${(needed / 2 ** 30).toFixed(1)} GiB`,
    );
  }
}

/** Everything before GPU work: the environment, the memory check, the mode's checks. */
async function prepare(config: RunConfig, controls: RunControls, binding: NativeBinding): Promise<Prepared> {
  const environment = controls.environment ?? (await captureEnvironment(binding, config.device));
  checkMemory(config, environment);
  const ctx = await checkMode(config, environment, binding);
  const traits = sharingMode(config.mode).traits;
  const smCount = environment.gpu.smCount;
  const loop = (client: number) => loopConfig(config, client, smCount);
  const phase = async (label: PhaseResult['label'], workers: WorkerSpec[]) => {
    controls.onProgress?.({ type: 'phase', label, procs: workers.reduce((n, w) => n + w.clients.length, 0) });
    return runPhase({
      traits,
      label,
      workers,
      // The device is observed in both phases, so what it did alone and shared can be compared.
      observe: { binding, device: config.device, sampleMs: config.observe.sampleMs, pmSampling: config.observe.pmSampling },
      ...(config.observe.cupti ? { kernelActivity: true } : {}),
      ...(controls.clientModule ? { clientModule: controls.clientModule } : {}),
      ...(controls.signal ? { signal: controls.signal } : {}),
      onEvent: (event) => controls.onProgress?.({ phase: label, ...event }),
    });
  };
  return { environment, ctx, loop, phase };
}

/** The kernel alone, as the mode's baseline runs it (a sweep measures it once for many points). */
export async function measureBaseline(config: RunConfig, controls: RunControls = {}): Promise<PhaseResult> {
  const { ctx, loop, phase } = await prepare(config, controls, controls.binding ?? loadBinding());
  return phase('baseline', [await sharingMode(config.mode).solo(ctx, loop(0))]);
}

/** Runs `body` in a set-up mode and tears the mode down on every path; resolves to the body's value and what the teardown reported. */
async function inSession<T>(session: ModeSession, body: () => Promise<T>): Promise<{ value: T; closing: ModeFacts }> {
  const settled = await Promise.resolve()
    .then(body)
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  const closing = await session.teardown();
  if (!settled.ok) throw settled.error;
  return { value: settled.value, closing };
}

/** An incomplete phase's reason with the mode's hint of where to look (e.g. the MPS control log) added. */
async function withHint(phase: PhaseResult, session: ModeSession, signal: AbortSignal | undefined): Promise<PhaseResult> {
  if (phase.complete || signal?.aborted) return phase;
  const hint = await session.diagnose?.();
  return hint ? { ...phase, reason: `${phase.reason ?? 'incomplete'} (${hint})` } : phase;
}

/** Runs an already validated configuration. */
export async function measure(config: RunConfig, controls: RunControls = {}): Promise<RunResult> {
  const binding = controls.binding ?? loadBinding();
  const { environment, ctx, loop, phase } = await prepare(config, controls, binding);
  const mode = sharingMode(config.mode);
  // The baseline runs before the mode is set up, so nothing of the mode (an idle MPS server, say) is
  // on the GPU while the kernel runs alone.
  const baseline = config.baseline ? (controls.baseline ?? (await phase('baseline', [await mode.solo(ctx, loop(0))]))) : undefined;
  if (baseline && controls.signal?.aborted) throw new CancelledError('cancelled during the solo baseline');
  const session = await mode.setup(ctx);
  const { value, closing } = await inSession(session, async () => {
    const layout = session.layout(config.procs, loop);
    return { shared: await withHint(await phase('shared', layout.workers), session, controls.signal), facts: layout.facts };
  });
  const clocksEnd = await readClocks(binding, environment.gpu.uuid);

  const { clients, comparison } = compare(baseline, value.shared);
  const complete = value.shared.complete && (baseline?.complete ?? true);
  const modeFacts = { ...session.facts, ...value.facts, ...closing };
  return {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: config.mode,
    options: config,
    environment: { ...environment, clocksEnd },
    shared: { ...value.shared, clients },
    comparison,
    complete,
    ...(Object.keys(modeFacts).length > 0 ? { modeFacts } : {}),
    ...(controls.command ? { command: controls.command } : {}),
    ...(baseline ? { baseline } : {}),
    ...(complete ? {} : { reason: value.shared.reason ?? baseline?.reason ?? 'incomplete' }),
  };
}

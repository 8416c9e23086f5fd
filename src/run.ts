// run(): the measurement a user asks for in one call. The same kernel alone first (the baseline),
// then `procs` clients sharing the GPU under the chosen mode, in one invocation, so every ratio
// compares like with like. The mode is checked and validated before any GPU work, set up before the
// shared phase and torn down after it on every path.
import type { NativeBinding } from './binding/contract.js';
import { loadBinding } from './binding/loader.js';
import { clientMemoryBytes, resolveRunConfig, type RunConfig, type RunOptions } from './config.js';
import { captureEnvironment, readClocks, type Environment } from './environment.js';
import { CancelledError, ModeUnavailableError, OptionError } from './errors.js';
import { clientSpecs, firstClients } from './clients/spec.js';
import { formatWorkloadMemory } from './registry/describe.js';
import { layerGrowth } from './metrics/layers.js';
import { roleReports } from './metrics/roles.js';
import { evidenceWarnings } from './metrics/warnings.js';
import { combineRuns, type MeasuredRun, outlierWarnings } from './metrics/repeats.js';
import { jainIndex } from './metrics/stats.js';
import { summary, type Summary } from './metrics/summary.js';
import { sharingMode, type ModeContext, type ModeFacts, type ModeSession } from './modes/index.js';
import type { OrchestratorEvent, WorkerSpec } from './orchestrator/orchestrator.js';
import { loopConfig, runPhase, type ClientReport, type PhaseResult, type PhaseTraces } from './phase.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, type RunResult } from './report/schema.js';

// The result's shape is the result file's (src/report/schema.ts): the type is inferred there.
export { RESULT_SCHEMA, RESULT_SCHEMA_VERSION } from './report/schema.js';
export type { RunResult };

/** Which of several runs a phase belongs to (--runs): 1-based, and how many; empty for a single run. */
export type RunIndex = { run?: number; runs?: number };

export type Progress =
  | ({ type: 'phase'; label: PhaseResult['label']; procs: number; role?: string } & RunIndex)
  | ({ phase: PhaseResult['label'] } & OrchestratorEvent)
  /** A run's shared phase compared with its baselines (with --runs N, each run's own figures). */
  | ({ type: 'measured'; shared: PhaseResult; comparison: Summary[] } & RunIndex);

export interface RunControls {
  signal?: AbortSignal;
  onProgress?: (event: Progress) => void;
  /** The client program; tests pass a stand-in together with `environment`. */
  clientModule?: string;
  /** An environment captured beforehand; skips the GPU query (for stand-in clients in tests). */
  environment?: Environment;
  command?: string[];
  /** Solo baselines measured earlier for the same roles and options, by role (a sweep or a scenario shares them);
   * only for a single run: repeated runs (config.runs) measure their own, interleaved with the shared phases. */
  baselines?: ReadonlyMap<string, PhaseResult>;
  /** The native module; loaded when absent. Tests pass a stand-in with `clientModule` and `environment`. */
  binding?: NativeBinding;
  /** Given the shared phase's CTA traces before their files are removed (run --keep-traces). */
  onTraces?: (traces: PhaseTraces) => void;
}

function value(list: Summary[] | undefined, tag: string): number | undefined {
  return list?.find((s) => s.tag === tag)?.value;
}

/** A shared client's slowdown and latency ratios against its role's solo client's summaries. */
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
 * Shared against solo: new reports of the shared clients, each with its ratios against its own role's
 * solo client added, and the run's comparison: the aggregate throughput against solo (the sum of each
 * client's throughput over its role's solo throughput: with one role, the aggregate over solo), the
 * worst slowdown, and fairness (Jain's index of those shares). Changes neither phase.
 */
export function compare(baselines: ReadonlyMap<string, PhaseResult>, shared: PhaseResult): { clients: ClientReport[]; comparison: Summary[] } {
  const soloOf = (role: string) => {
    const solo = baselines.get(role)?.clients[0];
    return solo?.status === 'ok' ? solo : undefined;
  };
  if (![...new Set(shared.clients.map((c) => c.role))].some((role) => soloOf(role))) return { clients: shared.clients, comparison: [] };
  const clients = shared.clients.map((c) => {
    const solo = soloOf(c.role);
    return solo ? { ...c, summaries: [...c.summaries, ...ratios(solo.summaries, c.summaries)] } : c;
  });
  // A client that measured no throughput (it did not finish) has no share: the aggregate and fairness are then left out.
  const shares = clients.map((c) => {
    const soloRate = value(soloOf(c.role)?.summaries, 'throughput');
    const rate = value(c.summaries, 'throughput');
    return soloRate && rate !== undefined ? rate / soloRate : undefined;
  });
  const comparison: Summary[] = [];
  const roles = new Set(clients.map((c) => c.role)).size;
  if (shares.every((s) => s !== undefined) && clients.some((c) => c.elapsedNs > 0)) {
    const name = roles > 1 ? "aggregate throughput vs solo (sum of each client's share of its role alone)" : 'aggregate throughput vs solo';
    comparison.push(
      summary(
        'aggregate.vsSolo',
        name,
        'ratio',
        (shares as number[]).reduce((a, b) => a + b, 0),
      ),
    );
  }
  const slowdowns = clients.map((c) => value(c.summaries, 'slowdown')).filter((v): v is number => v !== undefined);
  if (slowdowns.length > 0) comparison.push(summary('slowdown.max', 'worst client slowdown', 'ratio', Math.max(...slowdowns)));
  if (clients.length > 1 && shares.every((s) => s !== undefined) && shares.some((s) => s! > 0)) {
    const name = roles > 1 ? "fairness (Jain's index of each client's share of its role alone)" : "fairness (Jain's index of throughputs)";
    comparison.push(summary('fairness', name, 'fraction', jainIndex(shares as number[])));
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
  phase: (label: PhaseResult['label'], workers: WorkerSpec[], roles: readonly string[], run?: RunIndex) => Promise<PhaseResult>;
}

/** Every client's buffers must fit the device (with room to spare) before anything runs. */
function checkMemory(config: RunConfig, environment: Environment): void {
  const perSpec = config.clients.map((s) => clientMemoryBytes(s, config, environment.gpu.smCount) * s.count);
  const needed = perSpec.reduce((a, b) => a + b, 0);
  const room = environment.gpu.memoryBytes * 0.9;
  if (needed <= room) return;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  // A model workload says what its memory is made of: "resnet50-train batch 128 needs ~X GiB (weights ..., ...)".
  const models = config.clients.map((s) => formatWorkloadMemory(s)).filter((m): m is string => m !== undefined);
  const why = models.length > 0 ? `${models.join('; ')}; ` : '';
  if (config.clients.length === 1) {
    const only = config.clients[0]!;
    throw new OptionError(
      only.kernel === 'gemm' ? '--size' : models.length > 0 ? '--batch' : '--trace-records',
      `${why}${config.procs} client${config.procs === 1 ? '' : 's'} need${config.procs === 1 ? 's' : ''} ${gib(needed)}, free is ${gib(room)} (90% of ${gib(environment.gpu.memoryBytes)}): buffers that fit`,
      gib(needed),
    );
  }
  const largest = config.clients[perSpec.indexOf(Math.max(...perSpec))]!;
  const each = config.clients.map((s, i) => `${s.role} ${gib(perSpec[i]!)}`).join(', ');
  throw new OptionError(
    `--client ${largest.role}`,
    `${why}roles whose buffers fit in 90% of ${gib(environment.gpu.memoryBytes)} (${gib(needed - room)} too many: ${each})`,
    gib(needed),
  );
}

/** Everything before GPU work: the environment, the memory check, the mode's checks. */
async function prepare(config: RunConfig, controls: RunControls, binding: NativeBinding): Promise<Prepared> {
  const environment = controls.environment ?? (await captureEnvironment(binding, config.device));
  checkMemory(config, environment);
  const ctx = await checkMode(config, environment, binding);
  const traits = sharingMode(config.mode).traits;
  const smCount = environment.gpu.smCount;
  const loop = (client: number) => loopConfig(config, client, smCount);
  const phase = async (label: PhaseResult['label'], workers: WorkerSpec[], roles: readonly string[], run: RunIndex = {}) => {
    controls.onProgress?.({
      type: 'phase',
      label,
      procs: workers.reduce((n, w) => n + w.clients.length, 0),
      ...(label === 'baseline' ? { role: roles[0] } : {}),
      ...run,
    });
    return runPhase({
      traits,
      label,
      workers,
      roles,
      // The device is observed in both phases, so what it did alone and shared can be compared.
      observe: { binding, device: config.device, sampleMs: config.observe.sampleMs, pmSampling: config.observe.pmSampling },
      ...(config.observe.cupti ? { kernelActivity: true } : {}),
      ...(label === 'shared' && controls.onTraces ? { onTraces: controls.onTraces } : {}),
      ...(controls.clientModule ? { clientModule: controls.clientModule } : {}),
      ...(controls.signal ? { signal: controls.signal } : {}),
      onEvent: (event) => controls.onProgress?.({ phase: label, ...event }),
    });
  };
  return { environment, ctx, loop, phase };
}

/** One role alone, as the mode's baseline runs it: the role's first client, with its inputs and arrivals. */
async function soloPhase(config: RunConfig, { ctx, loop, phase }: Prepared, role: string, run: RunIndex = {}): Promise<PhaseResult> {
  const index = config.clients.findIndex((s) => s.role === role);
  if (index < 0) throw new OptionError('role', `one of ${config.clients.map((s) => s.role).join(', ')}`, role);
  const first = firstClients(config.clients)[index]!;
  return phase('baseline', [await sharingMode(config.mode).solo(ctx, loop(first))], [role], run);
}

/** A role alone (by default the first), as the mode's baseline runs it (a sweep or a scenario measures it once for many runs). */
export async function measureBaseline(config: RunConfig, controls: RunControls = {}, role = config.clients[0]!.role): Promise<PhaseResult> {
  const prepared = await prepare(config, controls, controls.binding ?? loadBinding());
  return soloPhase(config, prepared, role);
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

/** Each role alone, in spec order: those given in controls.baselines reused, the others measured now. */
async function baselinesOf(config: RunConfig, controls: RunControls, prepared: Prepared, run: RunIndex): Promise<Map<string, PhaseResult>> {
  const out = new Map<string, PhaseResult>();
  if (!config.baseline) return out;
  for (const spec of config.clients) {
    out.set(spec.role, controls.baselines?.get(spec.role) ?? (await soloPhase(config, prepared, spec.role, run)));
    if (controls.signal?.aborted) throw new CancelledError('cancelled during the solo baseline');
  }
  return out;
}

/** Each role's layers alone against shared, where its clients timed their layers (--profile-layers). */
function withLayerGrowth(roles: RunResult['roles'], clients: readonly ClientReport[], baselines: ReadonlyMap<string, PhaseResult>): RunResult['roles'] {
  return roles.map((role) => {
    const solo = baselines.get(role.role)?.clients[0]?.layers;
    const shared = clients.filter((c) => c.role === role.role && c.layers).map((c) => c.layers!);
    if (!solo || shared.length === 0) return role;
    return { ...role, layers: layerGrowth(solo, shared) };
  });
}

/** One run and what the mode reported of it. */
interface OneRun extends MeasuredRun<ClientReport, RunResult['roles'][number]> {
  baselines: Map<string, PhaseResult>;
  shared: PhaseResult;
  modeFacts: ModeFacts;
}

/**
 * One run: each role alone, then the mode set up, the shared phase, the mode torn down, and the
 * shared phase compared with the roles alone. The baselines run before the mode is set up, so nothing
 * of the mode (an idle MPS server, say) is on the GPU while a role runs alone.
 */
async function oneRun(config: RunConfig, controls: RunControls, prepared: Prepared, run: RunIndex): Promise<OneRun> {
  const { ctx, loop, phase } = prepared;
  const baselines = await baselinesOf(config, controls, prepared, run);
  const roles = clientSpecs(config.clients).map((s) => s.role);
  const session = await sharingMode(config.mode).setup(ctx);
  const { value, closing } = await inSession(session, async () => {
    const layout = session.layout(config.procs, loop);
    return { shared: await withHint(await phase('shared', layout.workers, roles, run), session, controls.signal), facts: layout.facts };
  });
  const { clients, comparison } = compare(baselines, value.shared);
  controls.onProgress?.({ type: 'measured', shared: { ...value.shared, clients }, comparison, ...run });
  const incompleteBaseline = [...baselines.values()].find((b) => !b.complete);
  const complete = value.shared.complete && !incompleteBaseline;
  return {
    baselines,
    shared: { ...value.shared, clients },
    comparison,
    roles: withLayerGrowth(roleReports(config.clients, clients, baselines), clients, baselines),
    complete,
    ...(complete ? {} : { reason: value.shared.reason ?? incompleteBaseline?.reason ?? 'incomplete' }),
    modeFacts: { ...session.facts, ...value.facts, ...closing },
  };
}

/** The runs asked for, one after another; with several, an interruption keeps the runs already made. */
async function allRuns(config: RunConfig, controls: RunControls, prepared: Prepared): Promise<OneRun[]> {
  const count = config.runs ?? 1;
  const runs: OneRun[] = [];
  for (let i = 0; i < count; i++) {
    try {
      runs.push(await oneRun(config, controls, prepared, count > 1 ? { run: i + 1, runs: count } : {}));
    } catch (error) {
      if (!(error instanceof CancelledError) || runs.length === 0) throw error;
      break;
    }
    if (controls.signal?.aborted) break;
  }
  return runs;
}

/** The result's figures: one run's as they are; several runs' as medians with intervals (src/metrics/repeats.ts). */
function figuresOf(config: RunConfig, runs: readonly OneRun[]) {
  const asked = config.runs ?? 1;
  if (asked === 1) {
    const only = runs[0]!;
    return { recorded: only, comparison: only.comparison, clients: only.shared.clients, roles: only.roles };
  }
  const combined = combineRuns(runs, asked);
  const warnings = outlierWarnings(combined.repeats);
  return { ...combined, recorded: runs[combined.recorded]!, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** Runs an already validated configuration: `runs` times (config.runs), each role alone then shared. */
export async function measure(config: RunConfig, controls: RunControls = {}): Promise<RunResult> {
  if ((config.runs ?? 1) > 1 && controls.baselines) throw new Error('measure(): repeated runs measure their own baselines, interleaved; give no baselines');
  const binding = controls.binding ?? loadBinding();
  const prepared = await prepare(config, controls, binding);
  const runs = await allRuns(config, controls, prepared);
  const clocksEnd = await readClocks(binding, prepared.environment.gpu.uuid);
  const { recorded, comparison, clients, roles, ...more } = figuresOf(config, runs);
  const short = runs.length < (config.runs ?? 1) ? `interrupted after ${runs.length} of ${config.runs} runs` : undefined;
  const incomplete = runs.find((r) => !r.complete);
  const complete = !incomplete && !short;
  const result: RunResult = {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: config.mode,
    options: config,
    environment: { ...prepared.environment, clocksEnd },
    baselines: [...recorded.baselines].map(([role, phase]) => ({ role, phase })),
    shared: { ...recorded.shared, clients },
    roles,
    comparison,
    complete,
    ...(Object.keys(recorded.modeFacts).length > 0 ? { modeFacts: recorded.modeFacts } : {}),
    ...(controls.command ? { command: controls.command } : {}),
    ...(complete ? {} : { reason: incomplete?.reason ?? short }),
    ...('repeats' in more ? { repeats: more.repeats } : {}),
  };
  // What a reader must know before trusting the figures (src/metrics/warnings.ts), then the runs that stand out.
  const warnings = [...evidenceWarnings(result), ...('warnings' in more ? (more.warnings ?? []) : [])];
  return warnings.length > 0 ? { ...result, warnings } : result;
}

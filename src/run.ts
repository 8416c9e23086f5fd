// run(): the measurement a user asks for in one call. The same kernel alone first (the baseline),
// then `procs` clients sharing the GPU, in one invocation, so every ratio compares like with like.
import { loadBinding } from './binding/loader.js';
import { clientMemoryBytes, resolveRunConfig, type RunConfig, type RunOptions } from './config.js';
import { captureEnvironment, readClocks, type Environment } from './environment.js';
import { CancelledError, OptionError } from './errors.js';
import { summary, type Summary } from './metrics/summary.js';
import type { OrchestratorEvent } from './orchestrator/orchestrator.js';
import { runPhase, type PhaseResult } from './phase.js';

export const RESULT_SCHEMA = 'gpushare-micro/run';
export const RESULT_SCHEMA_VERSION = 1;

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  createdAt: string;
  /** The command line that made it, when run from the CLI. */
  command?: string[];
  /** Sharing mode: how the clients share the GPU. */
  mode: 'timeslice';
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
  return out;
}

/** Runs the measurement. Options are validated first (OptionError) and no GPU work happens before. */
export async function run(options: RunOptions = {}, controls: RunControls = {}): Promise<RunResult> {
  const config = resolveRunConfig(options);
  return measure(config, controls);
}

/** Runs an already validated configuration. */
export async function measure(config: RunConfig, controls: RunControls = {}): Promise<RunResult> {
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
  const phase = async (label: PhaseResult['label'], procs: number) => {
    controls.onProgress?.({ type: 'phase', label, procs });
    const result = await runPhase({
      config,
      procs,
      label,
      smCount: environment.gpu.smCount,
      ...(controls.clientModule ? { clientModule: controls.clientModule } : {}),
      ...(controls.signal ? { signal: controls.signal } : {}),
      onEvent: (event) => controls.onProgress?.({ phase: label, ...event }),
    });
    return result;
  };

  let baseline: PhaseResult | undefined;
  if (config.baseline) {
    baseline = await phase('baseline', 1);
    if (controls.signal?.aborted) throw new CancelledError('cancelled during the solo baseline');
  }
  const shared = await phase('shared', config.procs);
  if (binding) environment.clocksEnd = await readClocks(binding, environment.gpu.uuid);

  const complete = shared.complete && (baseline?.complete ?? true);
  const result: RunResult = {
    schema: RESULT_SCHEMA,
    schemaVersion: RESULT_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: 'timeslice',
    options: config,
    environment,
    shared,
    comparison: compare(baseline, shared),
    complete,
  };
  if (controls.command) result.command = controls.command;
  if (baseline) result.baseline = baseline;
  if (!complete) result.reason = shared.reason ?? baseline?.reason ?? 'incomplete';
  return result;
}

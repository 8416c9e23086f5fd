// One measured phase: N clients started together on the same kernel, their raw samples turned into
// per-client and aggregate summaries, and their traces merged into the context-switch analysis.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoopConfig, NativeBinding, WorkloadSpec } from './binding/contract.js';
import { timedLoopConfig } from './binding/loop-config.js';
import { nativeDeviceBytes, withLayerProfile } from './metrics/layers.js';
import { probeGapCapacity } from './registry/memory.js';
import { traceCoverage } from './registry/traced.js';
import { isWorkload } from './registry/workloads.js';
import type { TraceSource } from './metrics/evidence.js';
import { phaseOccupancy, type Occupancy } from './metrics/occupancy.js';
import { distribution, durationSummaries, maxOf } from './metrics/stats.js';
import { summary, type Summary } from './metrics/summary.js';
import { detectSwitches, switchSummaries, type ClientTrace } from './metrics/switches.js';
import { readIntervals, type Intervals } from './metrics/traces.js';
import type { ClientFigure, ModeTraits } from './modes/mode.js';
import { startDeviceObservers, type DeviceObservers } from './observe/observers.js';
import type { DeviceObservation, KernelActivity } from './observe/schema.js';
import { burstPhaseNs, schedule } from './clients/arrival.js';
import { clientSpecs } from './clients/spec.js';
import type { RunConfig } from './options.js';
import type { ClientRaw } from './orchestrator/messages.js';
import type { ClientOutcome, OrchestratorEvent, Outcome, WorkerSpec } from './orchestrator/orchestrator.js';
import { runClients } from './orchestrator/orchestrator.js';
import type { ClientReport, PhaseResult } from './report/schema.js';

// A phase's result and its clients' reports have the result file's shape (src/report/schema.ts).
export type { ClientReport, PhaseResult };

export interface PhaseOptions {
  /** What the sharing mode is: whether its clients take turns, share SM ids, which figures it sets per client. */
  traits: Pick<ModeTraits, 'concurrent' | 'sharedSmIds' | 'clientFigures'>;
  label: PhaseResult['label'];
  /** The worker processes and the clients each hosts (from the sharing mode). */
  workers: WorkerSpec[];
  /** Each client's role, by client index (default "client"). */
  roles?: readonly string[];
  clientModule?: string;
  signal?: AbortSignal;
  onEvent?: (event: OrchestratorEvent) => void;
  /** Device observers around the measurement (real runs only: they need the addon). */
  observe?: { binding: NativeBinding; device: number; sampleMs: number; pmSampling: boolean };
  /** Ask the clients to record their kernels with CUPTI. */
  kernelActivity?: boolean;
  /** Given the clients' CTA traces before their files are removed (run --keep-traces keeps them for export). */
  onTraces?: (traces: PhaseTraces) => void;
}

/** The CTA traces of a phase's clients (those that traced CTAs), times in ns after `epochGpuNs` (%globaltimer). */
export interface PhaseTraces {
  epochGpuNs: bigint;
  clients: ClientTrace[];
}

/** Floating-point operations of one launch, as the workload counts them (none for the probe or a copy). */
function flopsOf(o: ClientOutcome): number | undefined {
  const flops = o.prepared?.flopsPerLaunch;
  return flops !== undefined && flops > 0 ? flops : undefined;
}

/** A client's seed: each client draws its own inputs and its own arrivals. */
function clientSeed(config: RunConfig, client: number): number {
  return (config.seed + client * 7919) % Number.MAX_SAFE_INTEGER;
}

export function workloadSpec(config: RunConfig, client: number, smCount: number): WorkloadSpec {
  const spec = clientSpecs(config.clients)[client]!;
  const seed = clientSeed(config, client);
  if (spec.kernel !== 'probe') {
    const workload: WorkloadSpec = { kernel: spec.kernel, impl: spec.impl, dtype: spec.dtype, shape: [...spec.shape], seed };
    return config.profileLayers && isWorkload(spec.kernel) ? withLayerProfile(workload) : workload;
  }
  return {
    kernel: 'probe',
    impl: 'own',
    dtype: 'none',
    shape: [...spec.shape],
    seed,
    probeActiveNs: spec.spinNs,
    gapThresholdNs: spec.gapThresholdNs,
    gapCapacity: probeGapCapacity(spec, config, smCount),
  };
}

/** How a client issues its launches: its depth, and an open loop's schedule or a bursty client's ON/OFF cycle. */
function issuing(config: RunConfig, client: number): Pick<LoopConfig, 'depth' | 'arrivalsNs' | 'bursts'> {
  const spec = clientSpecs(config.clients)[client]!;
  const arrival = spec.arrival;
  if (!arrival) return { depth: spec.depth };
  // The arrivals' seed differs from the inputs' so that the two draws are independent.
  const seed = (clientSeed(config, client) * 31 + 17) % Number.MAX_SAFE_INTEGER;
  if (arrival.kind === 'bursty') return { depth: spec.depth, bursts: { onNs: arrival.onNs, offNs: arrival.offNs, phaseNs: burstPhaseNs(arrival, seed) } };
  return { depth: spec.depth, arrivalsNs: schedule(arrival, { durationNs: config.durationNs, count: config.launches }, seed) };
}

export function loopConfig(config: RunConfig, client: number, smCount: number): LoopConfig {
  return timedLoopConfig(workloadSpec(config, client, smCount), {
    device: config.device,
    durationNs: config.durationNs,
    launches: config.launches,
    traceCapacity: config.traceRecords,
    warmupNs: config.warmupNs,
    ...issuing(config, client),
  });
}

function clientSummaries(flops: number | undefined, launches: number, elapsedNs: number, latencyNs: number[], gpuNs: number[]): Summary[] {
  const out: Summary[] = [summary('launches', 'launches', 'count', launches)];
  if (elapsedNs > 0) {
    out.push(summary('throughput', 'throughput', 'rate', launches / (elapsedNs / 1e9), 'launch/s'));
    if (flops !== undefined) out.push(summary('tflops', 'compute', 'rate', (flops * launches) / elapsedNs / 1e3, 'TFLOP/s'));
  }
  const latency = distribution(latencyNs);
  if (latency) out.push(...durationSummaries('latency', 'latency', latency, ['p50', 'p95', 'p99', 'max']));
  const gpu = distribution(gpuNs);
  if (gpu) out.push(...durationSummaries('gpuTime', 'GPU time', gpu, ['p50']));
  return out;
}

/**
 * An open-loop client's own figures: what was offered, how far behind schedule it fell and how many
 * requests it never started, its latency split into queueing (scheduled arrival to the kernel's start)
 * and service (the kernel's GPU time), and the arrival loop's own lateness.
 */
export function openLoopSummaries(r: ClientRaw, durationNs: number): Summary[] {
  if (!r.scheduledNs) return [];
  const out: Summary[] = [];
  if (r.scheduledNs.length === 0 && !r.scheduledRequests) {
    // Bursty: no schedule; how many ON windows it worked in, and how late the loop woke for each.
    out.push(summary('bursts', 'bursts', 'count', r.bursts ?? 0));
    const late = r.wakeLateNs ? distribution(r.wakeLateNs) : undefined;
    if (late) out.push(...durationSummaries('jitter', 'burst start lateness', late, ['p50', 'max']));
    return out;
  }
  const scheduled = r.scheduledRequests ?? r.scheduledNs.length;
  if (durationNs > 0) out.push(summary('offered', 'offered rate', 'rate', scheduled / (durationNs / 1e9), 'req/s'));
  out.push(summary('notStarted', 'requests not started', 'count', r.notStarted ?? 0));
  const queueing = r.latencyNs.map((l, i) => l - (r.gpuNs[i] ?? 0));
  const q = distribution(queueing);
  if (q) out.push(...durationSummaries('queueing', 'queueing', q, ['p50', 'p99']));
  const lag = r.enqueueNs.map((e, i) => e - (r.scheduledNs![i] ?? e));
  if (lag.length > 0) out.push(summary('lag.max', 'behind schedule, max', 'duration', maxOf(lag)));
  const jitter = r.wakeLateNs ? distribution(r.wakeLateNs) : undefined;
  if (jitter) out.push(...durationSummaries('jitter', 'arrival loop lateness', jitter, ['p50', 'p99', 'max']));
  return out;
}

/** The figures a mode sets per client (src/modes/: its traits), as the client's first summaries. */
function modeFigures(figures: readonly ClientFigure[], prepared: ClientOutcome['prepared']): Summary[] {
  if (!prepared) return [];
  return figures.map((f) =>
    f === 'sms' ? summary('sms', 'SMs', 'count', prepared.smsAvailable) : summary('priority', 'priority', 'count', prepared.streamPriority),
  );
}

/** One client's report: the mode's figures, its own summaries, then `more` (its SM share); `trace`: what its switch and SM figures rest on. */
function report(
  figures: readonly ClientFigure[],
  o: ClientOutcome,
  role: string,
  earliestStart: bigint | undefined,
  more: Summary[],
  trace: TraceSource | undefined,
): ClientReport {
  const r = o.result;
  const launches = r?.latencyNs.length ?? 0;
  const elapsedNs = r ? Number(BigInt(r.endNs) - BigInt(r.startNs)) : 0;
  const own = r ? [...clientSummaries(flopsOf(o), launches, elapsedNs, r.latencyNs, r.gpuNs), ...openLoopSummaries(r, elapsedNs)] : [];
  const failed = o.status !== 'ok';
  return {
    client: o.client,
    role,
    status: o.status,
    launches,
    elapsedNs,
    summaries: [...modeFigures(figures, o.prepared), ...own, ...more],
    tracedLaunches: r?.tracedLaunches ?? 0,
    gapsObserved: r?.gapsObserved ?? 0,
    ...(trace ? { trace } : {}),
    samples: { enqueueNs: r?.enqueueNs ?? [], latencyNs: r?.latencyNs ?? [], gpuNs: r?.gpuNs ?? [], ...(r?.scheduledNs ? { scheduledNs: r.scheduledNs } : {}) },
    ...(r?.notStarted !== undefined ? { notStarted: r.notStarted } : {}),
    ...(o.pid !== undefined ? { pid: o.pid } : {}),
    ...(o.prepared ? { smsAvailable: o.prepared.smsAvailable, streamPriority: o.prepared.streamPriority } : {}),
    ...(failed ? { exitCode: o.exitCode ?? null, signal: o.signal ?? null } : {}),
    ...(failed && o.stderr ? { stderr: o.stderr } : {}),
    ...(failed && o.error ? { error: o.error } : {}),
    ...(r?.kernelActivity ? { kernelActivity: r.kernelActivity } : {}),
    ...(r?.layers ? { layers: r.layers } : {}),
    ...(o.prepared && nativeDeviceBytes(o.prepared) !== undefined ? { deviceBytes: nativeDeviceBytes(o.prepared) } : {}),
    ...(o.prepared?.resident ? { resident: o.prepared.resident } : {}),
    ...(r && earliestStart !== undefined ? { startOffsetNs: Number(BigInt(r.startNs) - earliestStart) } : {}),
  };
}

/**
 * A client's kernels, from CUPTI's activity records, as a trace of whole kernels on %globaltimer
 * (relative to `epoch`): each kernel's start and end are instants at which the client ran, as a
 * CTA's are. Coarser than CTA records — a kernel preempted mid-way spans the others' slices — but
 * the only record of a library's kernels.
 */
export function kernelTrace(client: number, k: KernelActivity, epoch: bigint): ClientTrace | undefined {
  const kernels = k.kernels;
  if (!k.available || !kernels || kernels.startNs.length === 0 || k.gpuEpochNs === undefined || k.gpuPerHostNs === undefined) return undefined;
  const offset = Number(BigInt(k.gpuEpochNs) - epoch);
  const rate = k.gpuPerHostNs;
  const n = kernels.startNs.length;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < n; i++) {
    start[i] = offset + kernels.startNs[i]! * rate;
    end[i] = offset + kernels.endNs[i]! * rate;
    from = Math.min(from, start[i]!);
    to = Math.max(to, end[i]!);
  }
  const none = new Float64Array(0);
  return {
    client,
    ctaStart: start,
    ctaEnd: end,
    ctaSm: new Uint32Array(n),
    gapStart: none,
    gapEnd: none,
    gapSm: new Uint32Array(0),
    coveredFrom: from,
    coveredTo: to,
  };
}

/**
 * The SMs' busy share from the CTA traces beside GPM's SM activity over the same phase. Both say how
 * much of the SMs' time some CTA held them; they differ where the windows differ (the traces cover
 * the launches that fit in the trace buffer, GPM the whole measured window in 200 ms intervals) and
 * in what counts (a resident CTA against cycles with a warp resident).
 */
export function occupancyCrossCheck(occupancy: Occupancy | undefined, observation: DeviceObservation): Summary[] {
  if (!occupancy || !observation.nvml.available) return [];
  const gpm = observation.nvml.gpm.summaries.find((s) => s.tag === 'gpm.sm_active.mean')?.value;
  if (gpm === undefined || gpm <= 0) return [];
  return [
    summary('occupancy.busy', 'SMs busy (CTA traces)', 'fraction', occupancy.busy),
    summary('occupancy.vsGpm', 'SMs busy (traces) over SM activity (GPM)', 'ratio', occupancy.busy / gpm),
  ];
}

/** A finished client's trace on the common clock, where it has one, and what it rests on. */
interface LoadedTrace {
  trace?: ClientTrace;
  source: TraceSource;
}

/** How much of a client's launch its CTA records cover (src/registry/traced.ts); a kernel this version does not know: all. */
function coverageOf(workers: readonly WorkerSpec[], client: number): 'all' | 'part' | 'none' {
  const workload = workers.flatMap((w) => w.clients).find((c) => c.client === client)?.config.workload;
  return (workload && traceCoverage(workload.kernel, workload.impl)?.coverage) ?? 'all';
}

/**
 * Reads every finished client's trace and gap files and puts them on one clock. A client whose
 * kernels are all traced is read from its CTA records; one traced in part (a model step with library
 * ops) from CUPTI's kernel records where it has them (every kernel, kernel by kernel), else from the
 * CTA records it has; a library's kernels, which write none, from CUPTI's kernel records or not at all.
 */
async function loadTraces(outcome: Outcome, workers: readonly WorkerSpec[]): Promise<Map<number, LoadedTrace>> {
  const out = new Map<number, LoadedTrace>();
  const finished = outcome.clients.filter((c) => c.result && c.prepared);
  const epoch = traceEpoch(outcome);
  if (epoch === undefined) return out;
  for (const c of finished) {
    const r = c.result!;
    const ctas = await readIntervals(r.traceFile, epoch);
    const coverage = coverageOf(workers, c.client);
    const kernels = r.kernelActivity ? kernelTrace(c.client, r.kernelActivity, epoch) : undefined;
    if (ctas.start.length > 0 && (coverage !== 'part' || !kernels)) {
      const gaps = await readIntervals(r.gapsFile, epoch);
      out.set(c.client, { trace: ctaTrace(c.client, ctas, gaps), source: coverage === 'part' ? 'cta-part' : 'cta' });
    } else {
      out.set(c.client, kernels ? { trace: kernels, source: 'kernels' } : { source: 'none' });
    }
  }
  return out;
}

/** The phase's common clock origin: the earliest finished client's %globaltimer reading at prepare. */
function traceEpoch(outcome: Outcome): bigint | undefined {
  const finished = outcome.clients.filter((c) => c.result && c.prepared);
  if (finished.length === 0) return undefined;
  return finished.map((c) => BigInt(c.prepared!.clock.gpuNs)).reduce((a, b) => (a < b ? a : b));
}

/** A client's CTA records and probe gaps as a trace, covered from its first CTA start to its last CTA end. */
function ctaTrace(client: number, ctas: Intervals, gaps: Intervals): ClientTrace {
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < ctas.start.length; i++) {
    from = Math.min(from, ctas.start[i]!);
    to = Math.max(to, ctas.end[i]!);
  }
  return {
    client,
    ctaStart: ctas.start,
    ctaEnd: ctas.end,
    ctaSm: ctas.sm,
    gapStart: gaps.start,
    gapEnd: gaps.end,
    gapSm: gaps.sm,
    coveredFrom: from,
    coveredTo: to,
  };
}

function aggregateSummaries(clients: ClientReport[], traces: ClientTrace[]): Summary[] {
  const out: Summary[] = [];
  const measured = clients.filter((c) => c.elapsedNs > 0);
  const sum = (tag: string) => measured.reduce((acc, c) => acc + (c.summaries.find((s) => s.tag === tag)?.value ?? 0), 0);
  // Launches of different roles' workloads do not add up; their floating-point operations do.
  if (measured.length > 0 && new Set(measured.map((c) => c.role)).size === 1) {
    out.push(summary('aggregate.throughput', 'aggregate throughput', 'rate', sum('throughput'), 'launch/s'));
  }
  if (measured.some((c) => c.summaries.some((s) => s.tag === 'tflops')))
    out.push(summary('aggregate.tflops', 'aggregate compute', 'rate', sum('tflops'), 'TFLOP/s'));
  const offsets = measured.map((c) => c.startOffsetNs ?? 0);
  if (offsets.length > 1) out.push(summary('startSkew', 'start skew (host)', 'duration', Math.max(...offsets) - Math.min(...offsets)));
  if (traces.length > 1) {
    const firsts = traces.map((t) => t.coveredFrom);
    out.push(summary('gpuStartSkew', 'start skew (GPU)', 'duration', Math.max(...firsts) - Math.min(...firsts)));
  }
  return out;
}

/** The earliest and latest of the clients' host clocks (their first launch, their end). */
function hostSpan(outcome: Outcome): { earliest?: bigint; latest?: bigint } {
  const starts = outcome.clients.flatMap((c) => (c.result ? [BigInt(c.result.startNs)] : []));
  const ends = outcome.clients.flatMap((c) => (c.result ? [BigInt(c.result.endNs)] : []));
  return {
    ...(starts.length > 0 ? { earliest: starts.reduce((a, b) => (a < b ? a : b)) } : {}),
    ...(ends.length > 0 ? { latest: ends.reduce((a, b) => (a > b ? a : b)) } : {}),
  };
}

/** Runs the clients; the device observers, when asked for, start once every client is prepared and stop after. */
async function observedRun(options: PhaseOptions, workDir: string): Promise<{ outcome: Outcome; observation?: DeviceObservation }> {
  const observe = options.observe && (options.observe.sampleMs > 0 || options.observe.pmSampling) ? options.observe : undefined;
  let observers: DeviceObservers | undefined;
  const start = async ({ binding, device, sampleMs, pmSampling }: NonNullable<PhaseOptions['observe']>) => {
    observers = await startDeviceObservers({ binding, device, periodMs: Math.max(sampleMs, 1), pmSampling });
  };
  const outcome = await runClients({
    workers: options.workers,
    workDir,
    ...(observe ? { beforeGo: () => start(observe) } : {}),
    ...(options.kernelActivity ? { kernelActivity: true } : {}),
    ...(options.clientModule ? { clientModule: options.clientModule } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const { earliest, latest } = hostSpan(outcome);
  const observation = await observers?.stop(earliest !== undefined && latest !== undefined ? { fromHostNs: earliest, toHostNs: latest } : undefined);
  return { outcome, ...(observation ? { observation } : {}) };
}

/**
 * The traces the switch analysis and the SM occupancy may use. Switches need every client that ran: a
 * client without a trace would have its turns counted as switch gaps, so then there are none. The SM
 * figures need CTA records of every kernel: the occupancy is measured from the clients traced so; each
 * of them gets its SM share, and the phase its busy and idle shares and SM timeline only when that is
 * every client (a client of library kernels holds SMs no CTA record shows).
 */
function evidenceOf(loaded: Map<number, LoadedTrace>): { traces: ClientTrace[]; cta: ClientTrace[]; everyCta: boolean; kernelLevel: boolean } {
  const all = [...loaded.values()];
  const traces = all.every((l) => l.trace) ? all.map((l) => l.trace!) : [];
  const cta = traces.filter((t) => loaded.get(t.client)!.source === 'cta');
  return { traces, cta, everyCta: cta.length > 0 && cta.length === traces.length, kernelLevel: all.some((l) => l.source === 'kernels') };
}

/** The clients' raw results turned into the phase's figures: per client, aggregate, switches, occupancy. */
async function analyse(options: PhaseOptions, outcome: Outcome, observation: DeviceObservation | undefined): Promise<PhaseResult> {
  const { traits } = options;
  const loaded = await loadTraces(outcome, options.workers);
  const { traces, cta, everyCta, kernelLevel } = evidenceOf(loaded);
  const epoch = traceEpoch(outcome);
  if (options.onTraces && epoch !== undefined) {
    const ctaTraced = [...loaded.values()].filter((l) => l.trace && (l.source === 'cta' || l.source === 'cta-part')).map((l) => l.trace!);
    options.onTraces({ epochGpuNs: epoch, clients: ctaTraced });
  }
  // Clients that take turns (time slicing) switch between contexts; the other modes run them at once.
  const switches = detectSwitches(traces, traits.concurrent ? 'concurrent' : 'turns');
  const prepared = outcome.clients.find((c) => c.prepared)?.prepared;
  // SM occupancy (src/metrics/occupancy.ts): per-client SM share, idle share, SM × time timeline; none
  // where the clients' SM ids are not one set (MIG).
  const occupancy =
    prepared && traits.sharedSmIds && cta.length > 0 ? phaseOccupancy(cta, switches, prepared.smCount, { turns: !traits.concurrent }) : undefined;
  const { earliest } = hostSpan(outcome);
  const clients = outcome.clients.map((c) =>
    report(traits.clientFigures, c, options.roles?.[c.client] ?? 'client', earliest, occupancy?.clients.get(c.client) ?? [], loaded.get(c.client)?.source),
  );
  const sm = everyCta ? occupancy : undefined;
  return {
    label: options.label,
    procs: options.workers.reduce((n, w) => n + w.clients.length, 0),
    complete: outcome.complete,
    clients,
    aggregate: [
      ...aggregateSummaries(clients, traces),
      ...switchSummaries(switches, { kernelLevel }),
      ...(sm?.aggregate ?? []),
      ...(observation ? occupancyCrossCheck(sm?.occupancy, observation) : []),
    ],
    switches,
    ...(epoch !== undefined ? { traceEpochGpuNs: epoch.toString() } : {}),
    ...(prepared ? { device: { name: prepared.deviceName, smCount: prepared.smCount, ctasPerLaunch: prepared.ctasPerLaunch } } : {}),
    ...(sm ? { occupancy: sm.occupancy } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(observation ? { observation } : {}),
  };
}

/** Runs one phase and returns its result; it changes nothing it was given. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const workDir = await mkdtemp(join(tmpdir(), 'gpushare-micro-'));
  try {
    const { outcome, observation } = await observedRun(options, workDir);
    return await analyse(options, outcome, observation);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

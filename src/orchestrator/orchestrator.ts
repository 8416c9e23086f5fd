// Starts the worker processes, brings every client to a common start, collects their results, and
// makes sure no worker outlives the measurement. Time slicing, MPS and MIG act between CUDA
// contexts, so between processes: each client gets its own worker. Streams and green contexts act
// inside one context (or one process): one worker hosts all the clients.
//
// Each worker is an object with a small state machine (starting → ready → prepared → running → done);
// its clients' statuses are decided once, when it exits, from what it sent and why it was stopped.
//
// Failure handling: a worker that crashes (non-zero exit, signal) or reports an error is recorded
// with its stderr against each of its clients; the others are told to stop, and what they measured
// is kept, marked incomplete. Cancellation (AbortSignal, e.g. Ctrl-C) stops every worker; any that
// has not exited after a grace period is killed. A timeout stops them the same way.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../binding/loader.js';
import type { LoopConfig } from '../binding/contract.js';
import { isFromClient, wireLoopConfig, type ClientRaw, type FromClient, type PreparedInfo, type ToClient, type WireError } from './messages.js';

export interface WorkerSpec {
  /** Extra environment for this worker (a sharing mode's settings). */
  env?: Record<string, string>;
  /** The clients it hosts: one for process modes, all of them for in-process modes. */
  clients: Array<{ client: number; config: LoopConfig }>;
  /** Green contexts: the SMs split into groups of these sizes, one per hosted client, in order. */
  greenSmCounts?: number[];
}

/** How a client ended; the result file records it (src/report/schema.ts reads this list). */
export const CLIENT_STATUSES = ['ok', 'stopped', 'crashed', 'failed', 'timeout', 'cancelled'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export interface ClientOutcome {
  client: number;
  pid?: number;
  status: ClientStatus;
  exitCode?: number | null;
  signal?: string | null;
  /** The last few KB the client wrote to stderr. */
  stderr: string;
  error?: WireError;
  prepared?: PreparedInfo;
  result?: ClientRaw;
}

export interface Outcome {
  clients: ClientOutcome[];
  /** Every client finished its measurement. */
  complete: boolean;
  cancelled: boolean;
  /** Host clock (ns) chosen as the common start. */
  startAtNs?: string;
  /** Why the run is incomplete, in one line. */
  reason?: string;
}

export type OrchestratorEvent =
  | { type: 'ready'; client: number; pid: number }
  | { type: 'prepared'; client: number }
  | { type: 'started'; startAtNs: string }
  | { type: 'finished'; client: number; status: ClientStatus };

export interface OrchestratorOptions {
  workers: WorkerSpec[];
  /** Directory the clients write their trace files into. */
  workDir: string;
  /** The client program (default: the real one). Tests pass a stand-in. */
  clientModule?: string;
  /** Longest wait for every client to be ready and prepared (default 120 s). */
  prepareTimeoutMs?: number;
  /** Longest wait for results after the start (default: the duration plus 120 s). */
  runTimeoutMs?: number;
  /** Lead time between the go message and the common start (default 50 ms + 5 ms per client). */
  startLeadMs?: number;
  /** How long stopped clients get to exit before they are killed (default 3 s). */
  graceMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: OrchestratorEvent) => void;
  /** Runs once every client is prepared, before the common start is chosen (e.g. start samplers). */
  beforeGo?: () => Promise<void>;
  /** Ask each single-client worker to record its kernels with CUPTI. */
  kernelActivity?: boolean;
}

const STDERR_TAIL = 8192;
/** The compiled client entry (also when this module runs from src/ under a test runner). */
export const defaultClientModule = join(packageRoot, 'dist', 'orchestrator', 'client-main.js');

/**
 * A worker's states; each message from it, or the orchestrator's go, or its exit moves it along one
 * edge, and a message that does not fit its state moves nothing.
 *
 *   starting --ready--> ready --prepared--> prepared --go--> running
 *       └─────────────────┴──────────────────────┴──────────────┴──exit──> done
 */
type WorkerState = 'starting' | 'ready' | 'prepared' | 'running' | 'done';

const NEXT: Record<WorkerState, readonly WorkerState[]> = {
  starting: ['ready', 'done'],
  ready: ['prepared', 'done'],
  prepared: ['running', 'done'],
  running: ['done'],
  done: [],
};

/** Why the orchestrator told a worker to stop: another client failed, the run was cancelled, or it took too long. */
type StopReason = 'failure' | 'cancelled' | 'timeout';

/** How a hosted client ended, decided once, when its worker exits. */
export function endStatus(end: {
  reported?: WireError;
  result?: ClientRaw;
  stopReason?: StopReason;
  code: number | null;
  signal: string | null;
}): ClientStatus {
  if (end.reported) return 'failed';
  if (end.result) return !end.result.stopped ? 'ok' : end.stopReason === 'cancelled' ? 'cancelled' : 'stopped';
  if (end.stopReason === 'cancelled') return 'cancelled';
  // Killed after a timeout: the timeout is the cause, not a crash of the client's own.
  if (end.signal || end.code !== 0) return end.stopReason === 'timeout' ? 'timeout' : 'crashed';
  return end.stopReason ? 'stopped' : 'failed';
}

/** What a worker needs from the orchestrator that runs it. */
interface WorkerHost {
  module: string;
  workDir: string;
  kernelActivity: boolean;
  onEvent: (event: OrchestratorEvent) => void;
  /** Called after every message and at exit. */
  changed: (worker: Worker) => void;
}

/** One worker process and the clients it hosts, through its states. */
class Worker {
  state: WorkerState = 'starting';
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private pid: number | undefined;
  private stderr = '';
  private infos: PreparedInfo[] = [];
  private results: ClientRaw[] = [];
  /** The error the worker reported (an `error` message). */
  private reported: WireError | undefined;
  /** The error of the process itself (it could not be started or messaged). */
  private processError: WireError | undefined;
  private stopReason: StopReason | undefined;
  private ended: { code: number | null; signal: string | null; statuses: ClientStatus[] } | undefined;

  constructor(
    readonly spec: WorkerSpec,
    private readonly host: WorkerHost,
  ) {
    this.child = fork(host.module, [], {
      env: { ...process.env, ...threadPoolEnv(spec), ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.pid = this.child.pid;
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.child.stdout?.resume();
    this.child.on('message', (message: unknown) => {
      if (isFromClient(message)) this.receive(message);
    });
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit(code, signal);
        resolve();
      });
      this.child.once('error', (error) => {
        this.processError = { message: error.message };
        // A process that never started emits no exit.
        if (this.child.pid === undefined) {
          this.exit(null, null);
          resolve();
        }
      });
    });
  }

  private moveTo(next: WorkerState): boolean {
    if (!NEXT[this.state].includes(next)) return false;
    this.state = next;
    return true;
  }

  private send(message: ToClient): void {
    if (this.state !== 'done' && this.child.connected) this.child.send(message, (error) => void error);
  }

  private eachClient(event: (client: number) => OrchestratorEvent): void {
    for (const { client } of this.spec.clients) this.host.onEvent(event(client));
  }

  private receive(message: FromClient): void {
    switch (message.type) {
      case 'ready':
        if (!this.moveTo('ready')) break;
        this.pid = message.pid;
        this.eachClient((client) => ({ type: 'ready', client, pid: message.pid }));
        // Told to stop before it was ready (another worker failed first): nothing to prepare.
        if (this.stopReason) break;
        this.send({
          type: 'prepare',
          clients: this.spec.clients.map((c) => c.client),
          configs: this.spec.clients.map((c) => wireLoopConfig(c.config)),
          workDir: this.host.workDir,
          ...(this.spec.greenSmCounts ? { greenSmCounts: this.spec.greenSmCounts } : {}),
          ...(this.host.kernelActivity ? { kernelActivity: true } : {}),
        });
        break;
      case 'prepared':
        if (!this.moveTo('prepared')) break;
        this.infos = message.infos;
        this.eachClient((client) => ({ type: 'prepared', client }));
        break;
      case 'result':
        this.results = message.results;
        break;
      case 'error':
        this.reported = message.error;
        break;
    }
    this.host.changed(this);
  }

  private exit(code: number | null, signal: string | null): void {
    if (!this.moveTo('done')) return;
    const statuses = this.spec.clients.map((_, i) => {
      const result = this.results[i];
      return endStatus({
        code,
        signal,
        ...(this.reported ? { reported: this.reported } : {}),
        ...(result ? { result } : {}),
        ...(this.stopReason ? { stopReason: this.stopReason } : {}),
      });
    });
    this.ended = { code, signal, statuses };
    for (const [i, { client }] of this.spec.clients.entries()) this.host.onEvent({ type: 'finished', client, status: statuses[i]! });
    this.host.changed(this);
  }

  go(startAtNs: string): void {
    if (this.moveTo('running')) this.send({ type: 'go', startAtNs });
  }

  /** Asks the worker to stop (its clients send what they measured); the first reason given is the one its statuses say. */
  stop(reason: StopReason): void {
    if (this.state === 'done') return;
    this.stopReason ??= reason;
    this.send({ type: 'stop' });
  }

  kill(): void {
    if (this.state !== 'done') this.child.kill('SIGKILL');
  }

  /** It reported an error, or ended crashed or without a result. */
  get failed(): boolean {
    return this.reported !== undefined || (this.ended?.statuses.some((s) => s === 'crashed' || s === 'failed') ?? false);
  }

  /** What became of each hosted client. */
  outcomes(): ClientOutcome[] {
    return this.spec.clients.map(({ client }, i): ClientOutcome => {
      // A worker still running here was never waited for: it ran out of time.
      const status = this.ended?.statuses[i] ?? 'timeout';
      const error = this.reported ?? this.processError ?? (status === 'failed' ? { message: 'the client exited without a result' } : undefined);
      const prepared = this.infos[i];
      const result = this.results[i];
      return {
        client,
        status,
        stderr: this.stderr,
        ...(this.pid !== undefined ? { pid: this.pid } : {}),
        ...(this.ended ? { exitCode: this.ended.code, signal: this.ended.signal } : {}),
        ...(error ? { error } : {}),
        ...(prepared ? { prepared } : {}),
        ...(result ? { result } : {}),
      };
    });
  }
}

/** Each hosted client needs a thread of libuv's pool for its timed loop, plus a few to spare. */
function threadPoolEnv(spec: WorkerSpec): Record<string, string> {
  return spec.clients.length > 2 ? { UV_THREADPOOL_SIZE: String(spec.clients.length + 4) } : {};
}

/** Runs the workers of one measurement: every client prepared, one common start, every worker gone after. */
class Orchestrator {
  private readonly workers: Worker[];
  /** The first worker to fail, in time: the cause, where later failures may be consequences. */
  private firstFailure: Worker | undefined;
  private timeoutReason: string | undefined;
  /** Re-checks what the orchestrator waits for; set while it waits. */
  private wake: () => void = () => {};

  constructor(private readonly options: OrchestratorOptions) {
    const host: WorkerHost = {
      module: options.clientModule ?? defaultClientModule,
      workDir: options.workDir,
      kernelActivity: options.kernelActivity ?? false,
      onEvent: (event) => options.onEvent?.(event),
      changed: (worker) => {
        if (worker.failed) this.firstFailure ??= worker;
        this.wake();
      },
    };
    this.workers = options.workers.map((spec) => new Worker(spec, host));
  }

  async run(): Promise<Outcome> {
    const { options, workers } = this;
    const prepared = await this.until(() => workers.every((w) => w.state === 'prepared'), options.prepareTimeoutMs ?? 120_000, 'prepare');
    if (prepared !== 'ok') return this.outcome(await this.stopAll(prepared));
    try {
      await options.beforeGo?.();
    } catch (error) {
      await this.stopAll('failure');
      throw error;
    }
    const clientCount = options.workers.reduce((n, w) => n + w.clients.length, 0);
    const startAtNs = (process.hrtime.bigint() + BigInt(Math.round((options.startLeadMs ?? 50 + 5 * clientCount) * 1e6))).toString();
    for (const w of workers) w.go(startAtNs);
    options.onEvent?.({ type: 'started', startAtNs });
    const longest = Math.max(...options.workers.flatMap((w) => w.clients.map((c) => c.config.durationNs / 1e6)));
    const finished = await this.until(() => workers.every((w) => w.state === 'done'), options.runTimeoutMs ?? longest + 120_000, 'finish');
    return this.outcome(finished === 'ok' ? undefined : await this.stopAll(finished), startAtNs);
  }

  /** Waits until `ready()` holds; sooner when a worker fails, the signal aborts, or `timeoutMs` passes. */
  private until(ready: () => boolean, timeoutMs: number, what: string): Promise<'ok' | StopReason> {
    const { signal } = this.options;
    return new Promise((resolve) => {
      const finish = (result: 'ok' | StopReason) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', check);
        this.wake = () => {};
        resolve(result);
      };
      const check = () => {
        if (signal?.aborted) finish('cancelled');
        else if (this.firstFailure) finish('failure');
        else if (ready()) finish('ok');
      };
      const timer = setTimeout(() => {
        this.timeoutReason ??= `clients did not ${what} within ${Math.round(timeoutMs / 1000)} s`;
        finish('timeout');
      }, timeoutMs);
      signal?.addEventListener('abort', check);
      this.wake = check;
      check();
    });
  }

  /** Stops every worker still running, then kills whatever has not exited after the grace period. */
  private async stopAll(reason: StopReason): Promise<StopReason> {
    for (const w of this.workers) w.stop(reason);
    const timer = setTimeout(() => {
      for (const w of this.workers) w.kill();
    }, this.options.graceMs ?? 3_000);
    await Promise.all(this.workers.map((w) => w.exited));
    clearTimeout(timer);
    return reason;
  }

  private outcome(stopped: StopReason | undefined, startAtNs?: string): Outcome {
    const clients = this.workers.flatMap((w) => w.outcomes()).sort((a, b) => a.client - b.client);
    const complete = clients.every((o) => o.status === 'ok');
    const cancelled = stopped === 'cancelled';
    const failure = this.firstFailure?.outcomes()[0];
    const reason = cancelled ? 'cancelled' : failure ? describeFailure(failure) : this.timeoutReason;
    return {
      clients,
      complete,
      cancelled,
      ...(startAtNs !== undefined ? { startAtNs } : {}),
      ...(!complete ? { reason: reason ?? 'a client did not finish' } : {}),
    };
  }
}

/** Runs the workers to the end; see the top of this file. */
export function runClients(options: OrchestratorOptions): Promise<Outcome> {
  return new Orchestrator(options).run();
}

export function describeFailure(o: ClientOutcome): string {
  const how =
    o.status === 'crashed'
      ? o.signal
        ? `was killed by ${o.signal}`
        : `exited with code ${o.exitCode}`
      : o.status === 'failed'
        ? `failed: ${o.error?.message ?? 'no message'}`
        : o.status;
  const lastLine = o.stderr.trim().split('\n').filter(Boolean).pop();
  return `client ${o.client}${o.pid ? ` (pid ${o.pid})` : ''} ${how}${o.status === 'crashed' && lastLine ? ` — stderr: ${lastLine}` : ''}`;
}

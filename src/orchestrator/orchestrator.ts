// Starts the worker processes, brings every client to a common start, collects their results, and
// makes sure no worker outlives the measurement. Time slicing, MPS and MIG act between CUDA
// contexts, so between processes: each client gets its own worker. Streams and green contexts act
// inside one context (or one process): one worker hosts all the clients.
//
// Failure handling: a worker that crashes (non-zero exit, signal) or reports an error is recorded
// with its stderr against each of its clients; the others are told to stop, and what they measured
// is kept, marked incomplete. Cancellation (AbortSignal, e.g. Ctrl-C) stops every worker; any that
// has not exited after a grace period is killed.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../binding/loader.js';
import type { LoopConfig } from '../binding/contract.js';
import { isFromClient, type ClientRaw, type FromClient, type PreparedInfo, type ToClient, type WireError } from './messages.js';

export interface WorkerSpec {
  /** Extra environment for this worker (a sharing mode's settings). */
  env?: Record<string, string>;
  /** The clients it hosts: one for process modes, all of them for in-process modes. */
  clients: Array<{ client: number; config: LoopConfig }>;
  /** Green contexts: the SMs split into groups of these sizes, one per hosted client, in order. */
  greenSmCounts?: number[];
}

export type ClientStatus = 'ok' | 'stopped' | 'crashed' | 'failed' | 'timeout' | 'cancelled';

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

interface Slot {
  spec: WorkerSpec;
  /** One outcome per hosted client. */
  outcomes: ClientOutcome[];
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
  /** The orchestrator asked this worker to stop. */
  stopSent: boolean;
  stderr: string;
}

/** Each hosted client needs a thread of libuv's pool for its timed loop, plus a few to spare. */
function threadPoolEnv(spec: WorkerSpec): Record<string, string> {
  return spec.clients.length > 2 ? { UV_THREADPOOL_SIZE: String(spec.clients.length + 4) } : {};
}

export async function runClients(options: OrchestratorOptions): Promise<Outcome> {
  const { workers, workDir, signal } = options;
  const clientCount = workers.reduce((n, w) => n + w.clients.length, 0);
  const prepareTimeoutMs = options.prepareTimeoutMs ?? 120_000;
  const longest = Math.max(...workers.flatMap((w) => w.clients.map((c) => c.config.durationNs / 1e6)));
  const runTimeoutMs = options.runTimeoutMs ?? longest + 120_000;
  const graceMs = options.graceMs ?? 3_000;
  const leadMs = options.startLeadMs ?? 50 + 5 * clientCount;
  const module = options.clientModule ?? defaultClientModule;

  let cancelled = false;
  let reason: string | undefined;
  const listeners: Array<(m: FromClient, slot: Slot) => void> = [];
  let notifyChange: () => void = () => {};

  const slots: Slot[] = workers.map((spec) => {
    const child = fork(module, [], {
      env: { ...process.env, ...threadPoolEnv(spec), ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const outcomes: ClientOutcome[] = spec.clients.map(({ client }) => ({ client, status: 'ok', stderr: '' }));
    if (child.pid !== undefined) for (const o of outcomes) o.pid = child.pid;
    const slot: Slot = { spec, outcomes, child, done: false, stopSent: false, exited: Promise.resolve(), stderr: '' };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-STDERR_TAIL);
      for (const o of outcomes) o.stderr = slot.stderr;
    });
    child.stdout?.resume();
    child.on('message', (message: unknown) => {
      if (!isFromClient(message)) return;
      if (message.type === 'ready') for (const o of outcomes) options.onEvent?.({ type: 'ready', client: o.client, pid: message.pid });
      if (message.type === 'prepared') {
        outcomes.forEach((o, i) => {
          const info = message.infos[i];
          if (info) o.prepared = info;
          options.onEvent?.({ type: 'prepared', client: o.client });
        });
      }
      if (message.type === 'result') {
        outcomes.forEach((o, i) => {
          const result = message.results[i];
          if (!result) return;
          o.result = result;
          o.status = result.stopped ? 'stopped' : 'ok';
        });
      }
      if (message.type === 'error') {
        for (const o of outcomes) {
          o.error = message.error;
          o.status = 'failed';
        }
      }
      for (const listener of listeners) listener(message, slot);
      notifyChange();
    });
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        slot.done = true;
        for (const outcome of outcomes) {
          outcome.exitCode = code;
          outcome.signal = sig;
          if (!outcome.result && outcome.status === 'ok') {
            outcome.status = cancelled
              ? 'cancelled'
              : sig || code !== 0
                ? 'crashed'
                : slot.stopSent
                  ? 'stopped'
                  : 'failed';
            if (outcome.status === 'failed' && !outcome.error) {
              outcome.error = { message: 'the client exited without a result' };
            }
          }
          options.onEvent?.({ type: 'finished', client: outcome.client, status: outcome.status });
        }
        notifyChange();
        resolve();
      });
      child.once('error', (error) => {
        for (const o of outcomes) o.error = { message: error.message };
      });
    });
    return slot;
  });
  const allOutcomes = () => slots.flatMap((s) => s.outcomes);

  const send = (slot: Slot, message: ToClient) => {
    if (!slot.done && slot.child.connected) slot.child.send(message, (error) => void error);
  };
  // The first client to fail, in time: the cause, where later failures may be consequences.
  let firstFailure: ClientOutcome | undefined;
  const failed = () => {
    firstFailure ??= allOutcomes().find((o) => o.status === 'crashed' || o.status === 'failed');
    return firstFailure;
  };

  // Waits until `ready()` is true, a client fails, the signal aborts, or the timeout passes.
  const waitFor = (ready: () => boolean, timeoutMs: number, what: string) =>
    new Promise<'ok' | 'failed' | 'cancelled' | 'timeout'>((resolve) => {
      const check = () => {
        if (signal?.aborted) return finish('cancelled');
        if (failed()) return finish('failed');
        if (ready()) return finish('ok');
      };
      const timer = setTimeout(() => {
        reason ??= `clients did not ${what} within ${Math.round(timeoutMs / 1000)} s`;
        finish('timeout');
      }, timeoutMs);
      const onAbort = () => check();
      signal?.addEventListener('abort', onAbort);
      function finish(result: 'ok' | 'failed' | 'cancelled' | 'timeout') {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        notifyChange = () => {};
        resolve(result);
      }
      notifyChange = check;
      check();
    });

  // Stops every client still running, then kills whatever has not exited after the grace period.
  const stopAll = async () => {
    for (const slot of slots) {
      slot.stopSent = true;
      send(slot, { type: 'stop' });
    }
    const timer = setTimeout(() => {
      for (const slot of slots) if (!slot.done) slot.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(slots.map((s) => s.exited));
    clearTimeout(timer);
  };

  listeners.push((message, slot) => {
    if (message.type === 'ready') {
      for (const o of slot.outcomes) o.pid = message.pid;
      const prepare: ToClient = {
        type: 'prepare',
        clients: slot.spec.clients.map((c) => c.client),
        configs: slot.spec.clients.map((c) => c.config),
        workDir,
      };
      if (slot.spec.greenSmCounts) prepare.greenSmCounts = slot.spec.greenSmCounts;
      if (options.kernelActivity) prepare.kernelActivity = true;
      send(slot, prepare);
    }
  });

  let startAtNs: string | undefined;
  const prepared = await waitFor(() => allOutcomes().every((o) => o.prepared !== undefined), prepareTimeoutMs, 'prepare');
  if (prepared === 'ok') {
    await options.beforeGo?.();
    startAtNs = (process.hrtime.bigint() + BigInt(Math.round(leadMs * 1e6))).toString();
    for (const slot of slots) send(slot, { type: 'go', startAtNs });
    options.onEvent?.({ type: 'started', startAtNs });
    const finished = await waitFor(() => slots.every((s) => s.done), runTimeoutMs, 'finish');
    if (finished !== 'ok') {
      cancelled = finished === 'cancelled';
      await stopAll();
    }
  } else {
    cancelled = prepared === 'cancelled';
    await stopAll();
  }

  for (const o of allOutcomes()) {
    if (cancelled && o.status === 'stopped') o.status = 'cancelled';
    if (!cancelled && o.result === undefined && o.status === 'ok') o.status = 'timeout';
    if (reason && o.status === 'crashed') o.status = 'timeout';
  }
  const bad = failed();
  if (cancelled) reason = 'cancelled';
  else if (bad) reason = describeFailure(bad);
  const clients = allOutcomes().sort((a, b) => a.client - b.client);
  const complete = clients.every((o) => o.status === 'ok');
  const outcome: Outcome = { clients, complete, cancelled };
  if (startAtNs !== undefined) outcome.startAtNs = startAtNs;
  if (!complete) outcome.reason = reason ?? 'a client did not finish';
  return outcome;
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

// Starts one OS process per client, brings them to a common start, collects their results, and
// makes sure none outlives the measurement. Time slicing and MPS act between CUDA contexts, so
// between processes: each client gets its own process and context.
//
// Failure handling: a client that crashes (non-zero exit, signal) or reports an error is recorded
// with its stderr; the others are told to stop, and what they measured is kept, marked incomplete.
// Cancellation (AbortSignal, e.g. Ctrl-C) stops every client; any that has not exited after a grace
// period is killed.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../binding/loader.js';
import type { LoopConfig } from '../binding/contract.js';
import { isFromClient, type ClientRaw, type FromClient, type PreparedInfo, type ToClient, type WireError } from './messages.js';

export interface ClientSpec {
  /** Extra environment for this client (a sharing mode's settings). */
  env?: Record<string, string>;
  config: LoopConfig;
}

/** COMPILE SHIM on branch mig (the lead's orchestrator defines this; drop this copy on merge). */
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
  clients: ClientSpec[];
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
}

const STDERR_TAIL = 8192;
/** The compiled client entry (also when this module runs from src/ under a test runner). */
export const defaultClientModule = join(packageRoot, 'dist', 'orchestrator', 'client-main.js');

interface Slot {
  outcome: ClientOutcome;
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
  /** The orchestrator asked this client to stop. */
  stopSent: boolean;
}

export async function runClients(options: OrchestratorOptions): Promise<Outcome> {
  const { clients, workDir, signal } = options;
  const prepareTimeoutMs = options.prepareTimeoutMs ?? 120_000;
  const longest = Math.max(...clients.map((c) => c.config.durationNs / 1e6));
  const runTimeoutMs = options.runTimeoutMs ?? longest + 120_000;
  const graceMs = options.graceMs ?? 3_000;
  const leadMs = options.startLeadMs ?? 50 + 5 * clients.length;
  const module = options.clientModule ?? defaultClientModule;

  let cancelled = false;
  let reason: string | undefined;
  const listeners: Array<(m: FromClient, slot: Slot) => void> = [];
  let notifyChange: () => void = () => {};

  const slots: Slot[] = clients.map((spec, client) => {
    const child = fork(module, [], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const outcome: ClientOutcome = { client, status: 'ok', stderr: '' };
    if (child.pid !== undefined) outcome.pid = child.pid;
    const slot: Slot = { outcome, child, done: false, stopSent: false, exited: Promise.resolve() };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      outcome.stderr = (outcome.stderr + chunk).slice(-STDERR_TAIL);
    });
    child.stdout?.resume();
    child.on('message', (message: unknown) => {
      if (!isFromClient(message)) return;
      if (message.type === 'ready') options.onEvent?.({ type: 'ready', client, pid: message.pid });
      if (message.type === 'prepared') {
        outcome.prepared = message.info;
        options.onEvent?.({ type: 'prepared', client });
      }
      if (message.type === 'result') {
        outcome.result = message.result;
        outcome.status = message.result.stopped ? 'stopped' : 'ok';
      }
      if (message.type === 'error') {
        outcome.error = message.error;
        outcome.status = 'failed';
      }
      for (const listener of listeners) listener(message, slot);
      notifyChange();
    });
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        outcome.exitCode = code;
        outcome.signal = sig;
        slot.done = true;
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
        options.onEvent?.({ type: 'finished', client, status: outcome.status });
        notifyChange();
        resolve();
      });
      child.once('error', (error) => {
        outcome.error = { message: error.message };
      });
    });
    return slot;
  });

  const send = (slot: Slot, message: ToClient) => {
    if (!slot.done && slot.child.connected) slot.child.send(message, (error) => void error);
  };
  // The first client to fail, in time: the cause, where later failures may be consequences.
  let firstFailure: Slot | undefined;
  const failed = () => {
    firstFailure ??= slots.find((s) => s.outcome.status === 'crashed' || s.outcome.status === 'failed');
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
      slot.outcome.pid = message.pid;
      send(slot, { type: 'prepare', client: slot.outcome.client, config: clients[slot.outcome.client]!.config, workDir });
    }
  });

  let startAtNs: string | undefined;
  const prepared = await waitFor(() => slots.every((s) => s.outcome.prepared !== undefined), prepareTimeoutMs, 'prepare');
  if (prepared === 'ok') {
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

  for (const slot of slots) {
    const o = slot.outcome;
    if (cancelled && o.status === 'stopped') o.status = 'cancelled';
    if (!cancelled && o.result === undefined && o.status === 'ok') o.status = 'timeout';
    if (reason && o.status === 'crashed') o.status = 'timeout';
  }
  const bad = failed();
  if (cancelled) reason = 'cancelled';
  else if (bad) reason = describeFailure(bad.outcome);
  const complete = slots.every((s) => s.outcome.status === 'ok');
  const outcome: Outcome = { clients: slots.map((s) => s.outcome), complete, cancelled };
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

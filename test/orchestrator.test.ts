// The orchestrator against a stand-in client (no GPU): start barrier, crash, failure, cancel, kill.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoopConfig } from '../src/binding/contract.js';
import { endStatus, runClients, type OrchestratorEvent, type OrchestratorOptions } from '../src/orchestrator/orchestrator.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';

const standIn = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
let workDir = '';

const loop = (durationNs: number): LoopConfig => loopConfig(gemmWorkload(64), { durationNs, depth: 3, traceCapacity: 1000 });

function options(procs: number, durationNs: number, extra: Partial<OrchestratorOptions> = {}): OrchestratorOptions {
  return {
    workers: Array.from({ length: procs }, (_, client) => ({ clients: [{ client, config: loop(durationNs) }] })),
    workDir,
    clientModule: standIn,
    ...extra,
  };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function withBehaviour(behaviour: string, target: number, procs: number) {
  process.env.STAND_IN_BEHAVIOUR = behaviour;
  process.env.STAND_IN_TARGET = String(target);
  process.env.STAND_IN_PROCS = String(procs);
}

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'gsm-orch-'));
  withBehaviour('ok', 0, 1);
});
afterEach(async () => {
  delete process.env.STAND_IN_BEHAVIOUR;
  delete process.env.STAND_IN_TARGET;
  delete process.env.STAND_IN_PROCS;
  await rm(workDir, { recursive: true, force: true });
});

describe('start barrier', () => {
  it('starts every client at the common start time, after all are prepared', async () => {
    withBehaviour('ok', 0, 4);
    const events: string[] = [];
    let sentAt = 0n;
    const onEvent = (e: { type: string }) => {
      events.push(e.type);
      if (e.type === 'started') sentAt = process.hrtime.bigint();
    };
    const outcome = await runClients(options(4, 200e6, { onEvent }));
    expect(outcome.complete).toBe(true);
    expect(outcome.clients.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // 'started' comes after all four 'prepared' events.
    expect(events.indexOf('started')).toBeGreaterThan(events.lastIndexOf('prepared'));
    // What the barrier guarantees, whatever the machine's load: one start time, still ahead when it was
    // sent, received by every client, and no client starting before it. (How closely the clients then
    // start is the machine's scheduling, not the code's: a loaded CPU runner spreads them.)
    const startAt = BigInt(outcome.startAtNs!);
    expect(startAt > sentAt).toBe(true);
    for (const c of outcome.clients) {
      expect(BigInt(c.result!.requestedStartNs)).toBe(startAt);
      expect(BigInt(c.result!.startNs) >= startAt).toBe(true);
    }
    for (const c of outcome.clients) expect(alive(c.pid)).toBe(false);
  });
});

describe('a client that crashes', () => {
  it('is reported with its stderr; the others stop and keep partial results', async () => {
    withBehaviour('crash-in-run', 1, 3);
    const outcome = await runClients(options(3, 3e9));
    expect(outcome.complete).toBe(false);
    const crashed = outcome.clients[1]!;
    expect(crashed.status).toBe('crashed');
    expect(crashed.signal).toBe('SIGSEGV');
    expect(crashed.stderr).toContain('simulated segfault');
    expect(outcome.reason).toMatch(/client 1 .*SIGSEGV/);
    for (const i of [0, 2]) {
      const other = outcome.clients[i]!;
      expect(other.status).toBe('stopped');
      expect(other.result?.stopped).toBe(true);
      expect(other.result!.latencyNs.length).toBeGreaterThan(0);
      // stopped: the stop came before the 3 s duration was over (a client that finishes reports stopped: false).
    }
    for (const c of outcome.clients) expect(alive(c.pid)).toBe(false);
  });

  it('while preparing stops the others before the start', async () => {
    withBehaviour('crash-in-prepare', 0, 2);
    const outcome = await runClients(options(2, 1e9));
    expect(outcome.complete).toBe(false);
    expect(outcome.startAtNs).toBeUndefined();
    expect(outcome.clients[0]!.status).toBe('crashed');
    expect(outcome.clients[0]!.exitCode).toBe(7);
    expect(outcome.clients[0]!.stderr).toContain('simulated crash while preparing');
    expect(outcome.clients[1]!.status).toBe('stopped');
    for (const c of outcome.clients) expect(alive(c.pid)).toBe(false);
  });

  it('reporting an error passes the CUDA error on', async () => {
    withBehaviour('error-in-prepare', 1, 2);
    const outcome = await runClients(options(2, 1e9));
    expect(outcome.clients[1]!.status).toBe('failed');
    expect(outcome.clients[1]!.error).toMatchObject({ code: 'ERR_CUDA', cudaError: 'cudaErrorMemoryAllocation' });
    expect(outcome.reason).toContain('cudaErrorMemoryAllocation');
  });
});

describe('cancellation', () => {
  it('stops every client and leaves no process behind', async () => {
    withBehaviour('ok', 0, 3);
    const controller = new AbortController();
    const run = runClients(options(3, 30e9, { signal: controller.signal, onEvent: (e) => e.type === 'started' && setTimeout(() => controller.abort(), 300) }));
    const outcome = await run;
    // Each client's result says stopped: it ended on the stop, not after its 30 s.
    expect(outcome.cancelled).toBe(true);
    expect(outcome.complete).toBe(false);
    expect(outcome.reason).toBe('cancelled');
    for (const c of outcome.clients) {
      expect(c.status).toBe('cancelled');
      expect(c.result?.stopped).toBe(true);
      expect(alive(c.pid)).toBe(false);
    }
  });

  it('says each client was cancelled when it finishes, not afterwards', async () => {
    withBehaviour('ok', 0, 2);
    const controller = new AbortController();
    const finished: OrchestratorEvent[] = [];
    const onEvent = (e: OrchestratorEvent) => {
      if (e.type === 'started') setTimeout(() => controller.abort(), 200);
      if (e.type === 'finished') finished.push(e);
    };
    const outcome = await runClients(options(2, 30e9, { signal: controller.signal, onEvent }));
    expect(outcome.clients.map((c) => c.status)).toEqual(['cancelled', 'cancelled']);
    expect(finished.map((e) => e.type === 'finished' && e.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('kills a client that ignores stop after the grace period', async () => {
    withBehaviour('ignore-stop', 0, 2);
    const controller = new AbortController();
    const outcome = await runClients(
      options(2, 30e9, { graceMs: 500, signal: controller.signal, onEvent: (e) => e.type === 'started' && setTimeout(() => controller.abort(), 200) }),
    );
    expect(outcome.cancelled).toBe(true);
    expect(outcome.clients[0]!.signal).toBe('SIGKILL');
    for (const c of outcome.clients) expect(alive(c.pid)).toBe(false);
  });
});

describe('a run that takes too long', () => {
  it('stops every client; one that ignores stop is killed and counted as timed out, not crashed', async () => {
    withBehaviour('ignore-stop', 0, 2);
    const finished: Array<[number, string]> = [];
    const onEvent = (e: OrchestratorEvent) => e.type === 'finished' && finished.push([e.client, e.status]);
    const outcome = await runClients(options(2, 30e9, { runTimeoutMs: 1000, graceMs: 2000, onEvent }));
    expect(outcome.complete).toBe(false);
    expect(outcome.cancelled).toBe(false);
    expect(outcome.reason).toBe('clients did not finish within 1 s');
    expect(outcome.clients[0]!.signal).toBe('SIGKILL');
    expect(outcome.clients.map((c) => c.status)).toEqual(['timeout', 'stopped']);
    expect(outcome.clients[1]!.result?.stopped).toBe(true);
    expect(finished.sort()).toEqual([
      [0, 'timeout'],
      [1, 'stopped'],
    ]);
    for (const c of outcome.clients) expect(alive(c.pid)).toBe(false);
  });
});

describe("endStatus: a client's status, decided when its worker exits", () => {
  const result = (stopped: boolean) => ({ stopped }) as Parameters<typeof endStatus>[0]['result'];
  it.each([
    ['finished its measurement', { result: result(false), code: 0, signal: null }, 'ok'],
    ['stopped early after another failed', { result: result(true), stopReason: 'failure' as const, code: 0, signal: null }, 'stopped'],
    ['stopped early by cancellation', { result: result(true), stopReason: 'cancelled' as const, code: 0, signal: null }, 'cancelled'],
    ['reported an error', { reported: { message: 'x' }, code: 1, signal: null }, 'failed'],
    ['crashed on its own', { code: null, signal: 'SIGSEGV' }, 'crashed'],
    ['was killed after a timeout', { stopReason: 'timeout' as const, code: null, signal: 'SIGKILL' }, 'timeout'],
    ['was killed after cancellation', { stopReason: 'cancelled' as const, code: null, signal: 'SIGKILL' }, 'cancelled'],
    ['exited when told to stop before measuring', { stopReason: 'failure' as const, code: 0, signal: null }, 'stopped'],
    ['exited cleanly without a result, untold', { code: 0, signal: null }, 'failed'],
  ])('%s', (_what, end, status) => {
    expect(endStatus(end)).toBe(status);
  });
});

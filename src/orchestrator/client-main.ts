// The entry point of one client process: one CUDA context, one timed loop, driven over IPC by the
// orchestrator (see messages.ts). The sharing mode's environment is already in place when this
// process starts, so the first CUDA call (in prepare) sees it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockPair, NativeTimedLoop } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { isToClient, type ClientRaw, type ClockReading, type FromClient, type ToClient, type WireError } from './messages.js';

function send(message: FromClient): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function reading(clock: ClockPair): ClockReading {
  return { hostNs: clock.hostNs.toString(), gpuNs: clock.gpuNs.toString(), uncertaintyNs: clock.uncertaintyNs };
}

function wireError(error: unknown): WireError {
  const e = error as { message?: string; code?: string; cudaError?: string };
  const out: WireError = { message: e?.message ?? String(error) };
  if (e?.code) out.code = e.code;
  if (e?.cudaError) out.cudaError = e.cudaError;
  return out;
}

let loop: NativeTimedLoop | undefined;
let client = 0;
let workDir = '';
let stopRequested = false;
let preparing = false;
let running = false;
let exiting = false;

async function finish(code: number): Promise<never> {
  exiting = true;
  try {
    loop?.release();
  } catch {
    // released already or still busy: the process exits either way
  }
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function fail(error: unknown): Promise<never> {
  await send({ type: 'error', error: wireError(error) });
  return finish(1);
}

async function onMessage(message: ToClient): Promise<void> {
  switch (message.type) {
    case 'prepare': {
      client = message.client;
      workDir = message.workDir;
      const binding = loadBinding();
      loop = new binding.TimedLoop(message.config);
      preparing = true;
      const info = await loop.prepare();
      preparing = false;
      if (stopRequested) return finish(0);
      await send({ type: 'prepared', info: { ...info, clock: reading(info.clock) } });
      return;
    }
    case 'go': {
      if (!loop) throw new Error('go before prepare');
      if (stopRequested) return finish(0);
      running = true;
      const r = await loop.run(BigInt(message.startAtNs));
      const traceFile = join(workDir, `client-${client}.trace.bin`);
      const gapsFile = join(workDir, `client-${client}.gaps.bin`);
      await writeFile(traceFile, new Uint8Array(r.trace));
      await writeFile(gapsFile, new Uint8Array(r.gaps));
      const result: ClientRaw = {
        requestedStartNs: r.requestedStartNs.toString(),
        startNs: r.startNs.toString(),
        endNs: r.endNs.toString(),
        stopped: r.stopped,
        enqueueNs: Array.from(r.enqueueNs),
        latencyNs: Array.from(r.latencyNs),
        gpuNs: Array.from(r.gpuNs),
        tracedLaunches: r.tracedLaunches,
        gapsObserved: r.gapsObserved,
        traceFile,
        gapsFile,
        clock: reading(r.clock),
      };
      await send({ type: 'result', result });
      return finish(0);
    }
    case 'stop': {
      // Running: end the loop early, the result follows. Preparing: exit once prepare returns.
      // Otherwise there is nothing to stop: exit now.
      stopRequested = true;
      if (running) loop?.stop();
      else if (!preparing) await finish(0);
      return;
    }
  }
}

// Ctrl-C in a terminal reaches the whole process group; the orchestrator decides what happens, so
// the client ignores it and waits for `stop`. If the orchestrator goes away, so does the client.
process.on('SIGINT', () => {});
process.on('disconnect', () => {
  if (exiting) return;
  loop?.stop();
  process.exit(2);
});
process.on('message', (message: unknown) => {
  if (!isToClient(message)) return;
  onMessage(message).catch(fail);
});
void send({ type: 'ready', pid: process.pid });

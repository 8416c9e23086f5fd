// The entry point of one worker process, driven over IPC by the orchestrator (see messages.ts). It
// hosts one client (process modes) or several (streams, green contexts), each a native timed loop
// on its own stream; all loops run at once on libuv's thread pool. The sharing mode's environment is
// already in place when this process starts, so the first CUDA call (in prepare) sees it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockPair, NativeTimedLoop } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { startKernelActivity } from '../observe/cupti.js';
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

let loops: NativeTimedLoop[] = [];
let clients: number[] = [];
let recordKernels = false;
let deviceOf = 0;
let workDir = '';
let stopRequested = false;
let preparing = false;
let running = false;
let exiting = false;

async function finish(code: number): Promise<never> {
  exiting = true;
  for (const loop of loops) {
    try {
      loop.release();
    } catch {
      // released already or still busy: the process exits either way
    }
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
      clients = message.clients;
      workDir = message.workDir;
      // CUPTI's activity records are per process: they belong to a client only when it is alone in it.
      recordKernels = (message.kernelActivity ?? false) && message.clients.length === 1;
      const binding = loadBinding();
      preparing = true;
      const configs = message.configs.map((c) => ({ ...c }));
      if (message.greenSmCounts) {
        const groups = await binding.createGreenContexts({ device: configs[0]!.device, smCounts: message.greenSmCounts });
        groups.forEach((g, i) => (configs[i]!.greenContext = g.index));
      }
      loops = configs.map((c) => new binding.TimedLoop(c));
      deviceOf = configs[0]!.device;
      // One after another: each warms up alone, as a solo client would.
      const infos = [];
      for (const loop of loops) infos.push(await loop.prepare());
      preparing = false;
      if (stopRequested) return finish(0);
      await send({ type: 'prepared', infos: infos.map((info) => ({ ...info, clock: reading(info.clock) })) });
      return;
    }
    case 'go': {
      if (loops.length === 0) throw new Error('go before prepare');
      if (stopRequested) return finish(0);
      running = true;
      const startAt = BigInt(message.startAtNs);
      const activity = recordKernels ? await startKernelActivity(loadBinding(), { device: deviceOf }) : undefined;
      const raws = await Promise.all(loops.map((loop) => loop.run(startAt)));
      const kernels = await activity?.stop();
      const results: ClientRaw[] = [];
      for (const [i, r] of raws.entries()) {
        const client = clients[i]!;
        const traceFile = join(workDir, `client-${client}.trace.bin`);
        const gapsFile = join(workDir, `client-${client}.gaps.bin`);
        await writeFile(traceFile, new Uint8Array(r.trace));
        await writeFile(gapsFile, new Uint8Array(r.gaps));
        results.push({
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
          ...(kernels ? { kernelActivity: kernels } : {}),
        });
      }
      await send({ type: 'result', results });
      return finish(0);
    }
    case 'stop': {
      // Running: end the loop early, the result follows. Preparing: exit once prepare returns.
      // Otherwise there is nothing to stop: exit now.
      stopRequested = true;
      if (running) for (const loop of loops) loop.stop();
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
  for (const loop of loops) loop.stop();
  process.exit(2);
});
process.on('message', (message: unknown) => {
  if (!isToClient(message)) return;
  onMessage(message).catch(fail);
});
void send({ type: 'ready', pid: process.pid });

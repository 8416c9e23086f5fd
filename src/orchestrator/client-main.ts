// The entry point of one worker process, driven over IPC by the orchestrator (see messages.ts). It
// hosts one client (process modes) or several (streams, green contexts), each a native timed loop
// on its own stream; all loops run at once on libuv's thread pool. The sharing mode's environment is
// already in place when this process starts, so the first CUDA call (in prepare) sees it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockPair, LoopResult, NativeBinding, NativeTimedLoop } from '../binding/contract.js';
import { loadBinding } from '../binding/loader.js';
import { nativeLayers } from '../metrics/layers.js';
import { startKernelActivity } from '../observe/cupti.js';
import type { KernelActivity } from '../observe/schema.js';
import { isToClient, type ClientRaw, type ClockReading, type FromClient, type PrepareMessage, type ToClient, type WireError } from './messages.js';

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

/** What an open or bursty loop measured besides a saturating loop's fields. */
/** A model workload's per-layer timings, when it was asked to time its layers. */
function layersOf(r: LoopResult): Pick<ClientRaw, 'layers'> {
  const layers = nativeLayers(r);
  return layers ? { layers } : {};
}

function arrivalFields(r: LoopResult): Pick<ClientRaw, 'scheduledNs' | 'wakeLateNs' | 'notStarted' | 'scheduledRequests' | 'bursts'> {
  return {
    scheduledNs: Array.from(r.scheduledNs),
    wakeLateNs: Array.from(r.wakeLateNs),
    notStarted: r.notStarted,
    scheduledRequests: r.scheduledRequests,
    bursts: r.bursts,
  };
}

/** Where the host is: waiting for prepare, preparing, prepared, running, or on its way out. */
type HostState = 'waiting' | 'preparing' | 'prepared' | 'running' | 'exiting';

/** The clients this process hosts, their loops, and where they are: all of this process's state. */
class ClientHost {
  private state: HostState = 'waiting';
  private stopRequested = false;
  private loops: NativeTimedLoop[] = [];
  /** Per loop: open or bursty, whose results carry the arrival fields. */
  private arrivals: boolean[] = [];
  private clients: number[] = [];
  private workDir = '';
  private device = 0;
  /** CUPTI's activity records are per process: they belong to a client only when it is alone in it. */
  private recordKernels = false;

  constructor(private readonly binding: NativeBinding) {}

  async handle(message: ToClient): Promise<void> {
    switch (message.type) {
      case 'prepare':
        return this.prepare(message);
      case 'go':
        return this.run(message.startAtNs);
      case 'stop':
        return this.stop();
    }
  }

  private async prepare(message: PrepareMessage): Promise<void> {
    if (this.state !== 'waiting') throw new Error(`prepare while ${this.state}`);
    this.state = 'preparing';
    this.clients = message.clients;
    this.workDir = message.workDir;
    this.recordKernels = (message.kernelActivity ?? false) && message.clients.length === 1;
    const configs = message.configs.map((c) => ({ ...c }));
    if (message.greenSmCounts) {
      const groups = await this.binding.createGreenContexts({ device: configs[0]!.device, smCounts: message.greenSmCounts });
      groups.forEach((g, i) => {
        configs[i]!.greenContext = g.index;
      });
    }
    this.loops = configs.map((c) => new this.binding.TimedLoop(c));
    this.arrivals = configs.map((c) => c.arrivalsNs !== undefined || c.bursts !== undefined);
    this.device = configs[0]!.device;
    // One after another: each warms up alone, as a solo client would.
    const infos = [];
    for (const loop of this.loops) infos.push(await loop.prepare());
    this.state = 'prepared';
    if (this.stopRequested) return this.finish(0);
    await send({ type: 'prepared', infos: infos.map((info) => ({ ...info, clock: reading(info.clock) })) });
  }

  private async run(startAtNs: string): Promise<void> {
    if (this.state !== 'prepared') throw new Error(`go while ${this.state}`);
    if (this.stopRequested) return this.finish(0);
    this.state = 'running';
    const activity = this.recordKernels ? await startKernelActivity(this.binding, { device: this.device }) : undefined;
    const raws = await Promise.all(this.loops.map((loop) => loop.run(BigInt(startAtNs))));
    const kernels = await activity?.stop();
    const results: ClientRaw[] = [];
    for (const [i, r] of raws.entries()) results.push(await this.save(this.clients[i]!, r, kernels, this.arrivals[i]!));
    await send({ type: 'result', results });
    return this.finish(0);
  }

  /** Writes a client's trace and gap records next to the others' and describes its run for the wire. */
  private async save(client: number, r: LoopResult, kernels: KernelActivity | undefined, arrivals: boolean): Promise<ClientRaw> {
    const traceFile = join(this.workDir, `client-${client}.trace.bin`);
    const gapsFile = join(this.workDir, `client-${client}.gaps.bin`);
    await writeFile(traceFile, new Uint8Array(r.trace));
    await writeFile(gapsFile, new Uint8Array(r.gaps));
    return {
      requestedStartNs: r.requestedStartNs.toString(),
      startNs: r.startNs.toString(),
      endNs: r.endNs.toString(),
      stopped: r.stopped,
      enqueueNs: Array.from(r.enqueueNs),
      latencyNs: Array.from(r.latencyNs),
      gpuNs: Array.from(r.gpuNs),
      ...(arrivals ? arrivalFields(r) : {}),
      tracedLaunches: r.tracedLaunches,
      gapsObserved: r.gapsObserved,
      traceFile,
      gapsFile,
      clock: reading(r.clock),
      ...(kernels ? { kernelActivity: kernels } : {}),
      ...layersOf(r),
    };
  }

  /** Running: end the loops early, the result follows. Preparing: exit once prepare returns. Exiting: nothing to do. Otherwise there is nothing to stop: exit now. */
  private async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.state === 'running') for (const loop of this.loops) loop.stop();
    else if (this.state !== 'preparing' && this.state !== 'exiting') await this.finish(0);
  }

  async finish(code: number): Promise<never> {
    this.state = 'exiting';
    for (const loop of this.loops) {
      try {
        loop.release();
      } catch {
        // released already or still busy: the process exits either way
      }
    }
    if (process.connected) process.disconnect();
    process.exit(code);
  }

  async fail(error: unknown): Promise<never> {
    await send({ type: 'error', error: wireError(error) });
    return this.finish(1);
  }

  /** The orchestrator went away: so does this process. */
  orphaned(): void {
    if (this.state === 'exiting') return;
    for (const loop of this.loops) loop.stop();
    process.exit(2);
  }
}

/** The process's entry: the addon is loaded once, here; one that cannot load is this worker's reported error. */
async function main(): Promise<void> {
  let binding: NativeBinding;
  try {
    binding = loadBinding();
  } catch (error) {
    await send({ type: 'error', error: wireError(error) });
    if (process.connected) process.disconnect();
    process.exit(1);
  }
  const host = new ClientHost(binding);
  // Ctrl-C in a terminal reaches the whole process group; the orchestrator decides what happens, so
  // the client ignores it and waits for `stop`. If the orchestrator goes away, so does the client.
  process.on('SIGINT', () => {});
  process.on('disconnect', () => host.orphaned());
  process.on('message', (message: unknown) => {
    if (!isToClient(message)) return;
    host.handle(message).catch((error: unknown) => host.fail(error));
  });
  await send({ type: 'ready', pid: process.pid });
}

void main();

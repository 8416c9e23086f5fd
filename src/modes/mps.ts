// MPS: one process per client, all of them clients of one MPS server, which runs their kernels in
// one shared context, concurrently. The tool starts its own control daemon with private pipe and
// log directories (or attaches to one named with --mps-pipe) and stops only the one it started.
// Per-client limits: CUDA_MPS_ACTIVE_THREAD_PERCENTAGE and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT.
import { OptionError } from '../errors.js';
import { clientMemoryBytes } from '../registry/memory.js';
import { attachMpsDaemon, findExecutable, MPS_CONTROL, mpsLogTail, startMpsDaemon, stopMpsDaemon, type MpsDaemon } from '../mps/daemon.js';
import { clientSpecs } from '../clients/spec.js';
import { decimalValue, list, parseSize, perClient, type RunConfig, type RawRunOptions } from '../options.js';
import { type ModeConfig, type ModeFacts, type ModeSession, type SharingMode, plainSolo, processPerClient } from './mode.js';

function formatMiB(bytes: number): string {
  return `${Math.floor(bytes / 2 ** 20)}M`;
}

/** --mps-pipe, --mps-threads and --mps-mem, checked; the memory limit against the kernel's need is validate()'s. */
function resolveOptions(options: RawRunOptions, procs: number): ModeConfig {
  const mps: NonNullable<RunConfig['mps']> = {};
  if (options.mpsPipe !== undefined) {
    if (typeof options.mpsPipe !== 'string' || options.mpsPipe.trim() === '') throw new OptionError('--mps-pipe', 'a directory', options.mpsPipe);
    mps.pipe = options.mpsPipe;
  }
  if (options.mpsThreads !== undefined) {
    const what = 'active thread percentages in 1..100, e.g. 50 or 25,75';
    const values = list('--mps-threads', options.mpsThreads, what).map((v) => {
      const n = decimalValue(v);
      if (n === undefined || n < 1 || n > 100) throw new OptionError('--mps-threads', what, options.mpsThreads);
      return n;
    });
    mps.threads = perClient('--mps-threads', values, procs, options.mpsThreads);
  }
  if (options.mpsMem !== undefined) {
    const bytes = parseSize('--mps-mem', options.mpsMem);
    mps.memBytes = Array.from({ length: procs }, () => bytes);
  }
  return { mps };
}

export const mps: SharingMode = {
  name: 'mps',
  description: 'one process per client, all served by one MPS server that runs their kernels concurrently',
  traits: { label: 'MPS', oneProcess: false, concurrent: true, sharedSmIds: true, clientFigures: [], pmSampling: false, soloOn: 'device' },
  options: [
    { key: 'mpsPipe', flag: '--mps-pipe' },
    { key: 'mpsThreads', flag: '--mps-threads' },
    { key: 'mpsMem', flag: '--mps-mem' },
  ],
  resolveOptions,
  async availability({ environment }) {
    if (!findExecutable(MPS_CONTROL)) return { available: false, reason: `${MPS_CONTROL} was not found (it ships with the NVIDIA driver)` };
    if (environment.gpu.computeMode === 'prohibited') return { available: false, reason: 'the GPU is in prohibited compute mode' };
    if (environment.gpu.migEnabled)
      return { available: false, reason: 'MIG is enabled on this GPU: run MPS inside a MIG instance with CUDA_VISIBLE_DEVICES=MIG-<uuid>' };
    return { available: true };
  },
  async validate({ config, environment }) {
    const limits = config.mps?.memBytes;
    if (!limits) return;
    const clients = clientSpecs(config.clients);
    limits.forEach((limit, client) => {
      const spec = clients[client]!;
      const needed = clientMemoryBytes(spec, config, environment.gpu.smCount);
      if (limit > 0 && limit < needed + 256 * 2 ** 20) {
        throw new OptionError(
          config.clients.length > 1 ? `--client ${spec.role}: mps-mem` : '--mps-mem',
          `at least ${formatMiB(needed + 256 * 2 ** 20)} (each client allocates ${formatMiB(needed)} plus its context)`,
          formatMiB(limit),
        );
      }
    });
  },
  // The baseline is the kernel alone without MPS, so the ratios include what MPS itself costs.
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup({ config }): Promise<ModeSession> {
    const daemon: MpsDaemon = config.mps?.pipe ? attachMpsDaemon(config.mps.pipe) : await startMpsDaemon({ stopOnExit: true });
    let down = false;
    const env = (client: number): Record<string, string> => {
      const out: Record<string, string> = { CUDA_MPS_PIPE_DIRECTORY: daemon.pipeDir };
      const threads = config.mps?.threads?.[client];
      if (threads !== undefined) out.CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = String(threads);
      const memBytes = config.mps?.memBytes?.[client];
      if (memBytes) out.CUDA_MPS_PINNED_DEVICE_MEM_LIMIT = `${config.device}=${formatMiB(memBytes)}`;
      return out;
    };
    const facts: ModeFacts = {
      daemon: daemon.owned ? 'started by this run, stopped after it' : 'attached (left running)',
      pipeDir: daemon.pipeDir,
      ...(config.mps?.threads ? { activeThreadPercentage: config.mps.threads } : {}),
      ...(config.mps?.memBytes !== undefined ? { pinnedMemoryLimitBytes: config.mps.memBytes } : {}),
    };
    return {
      facts,
      layout: (procs, loop) => ({ workers: processPerClient(procs, loop, env), facts: {} }),
      async teardown() {
        if (down) return {};
        down = true;
        const r = await stopMpsDaemon(daemon);
        return r.forced ? { daemonStop: 'did not quit when asked: killed' } : {};
      },
      async diagnose() {
        const tail = await mpsLogTail(daemon.logDir);
        return tail ? `MPS control.log: ${tail}` : undefined;
      },
    };
  },
};

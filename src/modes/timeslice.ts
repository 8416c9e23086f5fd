// Time slicing: the default. One process, one CUDA context per client; the GPU runs one context
// at a time and switches between them every time slice.
import { type ModeSession, type SharingMode, plainSolo, processPerClient } from './mode.js';

export const timeslice: SharingMode = {
  name: 'timeslice',
  description: 'one process per client; the GPU time-slices between their contexts (the default)',
  async availability({ environment }) {
    if (environment.gpu.computeMode === 'exclusive-process') {
      return { available: false, reason: 'the GPU is in exclusive-process compute mode: only one process may hold a context (MPS, streams and green contexts can still share it)' };
    }
    if (environment.gpu.computeMode === 'prohibited') return { available: false, reason: 'the GPU is in prohibited compute mode: no process may create a context' };
    return { available: true };
  },
  async validate() {},
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup(): Promise<ModeSession> {
    return {
      workers: (procs, loop) => processPerClient(procs, loop),
      facts: {},
      async teardown() {},
    };
  },
};

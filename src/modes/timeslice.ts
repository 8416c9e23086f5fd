// Time slicing: the default. One process, one CUDA context per client; the GPU runs one context
// at a time and switches between them every time slice.
import { NO_OPTIONS, type SharingMode, plainSolo, processPerClient } from './mode.js';

export const timeslice: SharingMode = {
  name: 'timeslice',
  description: 'one process per client; the GPU time-slices between their contexts (the default)',
  traits: {
    label: 'time slicing',
    oneProcess: false,
    concurrent: false,
    sharedSmIds: true,
    clientFigures: [],
    // PM sampling needs a CUDA context in the measuring process: only time slicing has room for it beside the clients'.
    pmSampling: true,
    soloOn: 'device',
  },
  ...NO_OPTIONS,
  async availability({ environment }) {
    if (environment.gpu.computeMode === 'exclusive-process') {
      return {
        available: false,
        reason: 'the GPU is in exclusive-process compute mode: only one process may hold a context (MPS, streams and green contexts can still share it)',
      };
    }
    if (environment.gpu.computeMode === 'prohibited')
      return { available: false, reason: 'the GPU is in prohibited compute mode: no process may create a context' };
    return { available: true };
  },
  async validate() {},
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup() {
    return {
      facts: {},
      layout: (procs, loop) => ({ workers: processPerClient(procs, loop), facts: {} }),
      teardown: async () => ({}),
    };
  },
};

// Streams: one process, one context, one CUDA stream per client. Kernels from different streams
// run concurrently when resources allow; stream priorities decide which CTAs are scheduled first.
import { OptionError } from '../errors.js';
import { decimalValue, list, perClient, type Priority, type RawRunOptions } from '../options.js';
import { type ModeContext, type ModeOption, type SharingMode, plainSolo } from './mode.js';

/** --priority, which green contexts take too. */
export const PRIORITY_OPTION: ModeOption = { key: 'priority', flag: '--priority' };

/** Parses --priority: high, low or integers, one for all clients or one per client. The device's range is checkPriorities()'. */
export function parsePriorities(raw: RawRunOptions['priority'], procs: number): Priority[] {
  const what = 'stream priorities: high, low or integers, e.g. high,low';
  const values = list('--priority', raw, what).map((v): Priority => {
    if (v === 'high' || v === 'low') return v;
    const n = decimalValue(v, 'integer');
    if (n === undefined) throw new OptionError('--priority', what, raw);
    return n;
  });
  return perClient('--priority', values, procs, raw);
}

/** Turns high/low/numbers into the device's stream priorities; OptionError outside its range. */
export function resolvePriorities(ctx: ModeContext, procs: number): number[] {
  const wanted: Priority[] = ctx.config.priorities ?? Array.from({ length: procs }, () => 'low' as const);
  const range = ctx.environment.gpu.streamPriorities;
  return wanted.map((p) => {
    if (!range) return p === 'high' || p === 'low' || p === 0 ? 0 : Number.NaN;
    if (p === 'high') return range.greatest;
    if (p === 'low') return range.least;
    return p;
  });
}

export function checkPriorities(ctx: ModeContext): void {
  if (!ctx.config.priorities) return;
  const range = ctx.environment.gpu.streamPriorities;
  const lo = range ? Math.min(range.greatest, range.least) : 0;
  const hi = range ? Math.max(range.greatest, range.least) : 0;
  for (const p of ctx.config.priorities) {
    if (typeof p === 'number' && (p < lo || p > hi)) {
      throw new OptionError(
        '--priority',
        `high, low or an integer in ${lo}..${hi} (this device's range; ${lo} is the most urgent)`,
        ctx.config.priorities.join(','),
      );
    }
  }
}

export const streams: SharingMode = {
  name: 'streams',
  description: 'one process, one context, one CUDA stream per client (with --priority high|low|n)',
  traits: { label: 'CUDA streams', oneProcess: true, concurrent: true, sharedSmIds: true, clientFigures: ['priority'], pmSampling: false, soloOn: 'device' },
  options: [PRIORITY_OPTION],
  resolveOptions: (options, procs) => (options.priority !== undefined ? { priorities: parsePriorities(options.priority, procs) } : {}),
  async availability() {
    return { available: true };
  },
  async validate(ctx) {
    checkPriorities(ctx);
  },
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup(ctx) {
    const priorityRange = ctx.environment.gpu.streamPriorities;
    return {
      facts: priorityRange ? { priorityRange } : {},
      layout(procs, loop) {
        const priorities = resolvePriorities(ctx, procs);
        const clients = Array.from({ length: procs }, (_, client) => ({ client, config: { ...loop(client), streamPriority: priorities[client]! } }));
        return { workers: [{ clients }], facts: { priorities } };
      },
      teardown: async () => ({}),
    };
  },
};

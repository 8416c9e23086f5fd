// Streams: one process, one context, one CUDA stream per client. Kernels from different streams
// run concurrently when resources allow; stream priorities decide which CTAs are scheduled first.
import type { Priority } from '../config.js';
import { OptionError } from '../errors.js';
import { type ModeContext, type ModeSession, type SharingMode, plainSolo } from './mode.js';

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
      throw new OptionError('--priority', `high, low or an integer in ${lo}..${hi} (this device's range; ${lo} is the most urgent)`, ctx.config.priorities.join(','));
    }
  }
}

export const streams: SharingMode = {
  name: 'streams',
  description: 'one process, one context, one CUDA stream per client (with --priority high|low|n)',
  async availability() {
    return { available: true };
  },
  async validate(ctx) {
    checkPriorities(ctx);
  },
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup(ctx): Promise<ModeSession> {
    const facts: Record<string, unknown> = {};
    if (ctx.environment.gpu.streamPriorities) facts.priorityRange = ctx.environment.gpu.streamPriorities;
    return {
      workers(procs, loop) {
        const priorities = resolvePriorities(ctx, procs);
        facts.priorities = priorities;
        return [{ clients: Array.from({ length: procs }, (_, client) => ({ client, config: { ...loop(client), streamPriority: priorities[client]! } })) }];
      },
      facts,
      async teardown() {},
    };
  },
};

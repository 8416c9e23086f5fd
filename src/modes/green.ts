// Green contexts: one process, the device's SMs split into disjoint groups with the driver's
// green-context API, one group (and one context and stream) per client. Hardware partitioning of
// the SMs without MIG: memory bandwidth and L2 stay shared. The split actually granted, after the
// device's rounding, is reported per client.
import type { SmPartitioning } from '../binding/contract.js';
import { OptionError } from '../errors.js';
import { decimalValue, list, type RawRunOptions } from '../options.js';
import { type ModeConfig, type ModeContext, type SharingMode, plainSolo } from './mode.js';
import { checkPriorities, parsePriorities, PRIORITY_OPTION, resolvePriorities } from './streams.js';

/** The SMs the device grants for a request: at least its minimum, a multiple of its alignment. */
export function grantedSms(requested: number, p: Pick<SmPartitioning, 'minPartition' | 'alignment'>): number {
  const align = Math.max(p.alignment, 1);
  return Math.max(p.minPartition, Math.ceil(requested / align) * align);
}

/** The equal split: the largest granted size that fits procs times. */
export function equalSplit(procs: number, p: Pick<SmPartitioning, 'smCount' | 'minPartition' | 'alignment'>): number[] | undefined {
  const align = Math.max(p.alignment, 1);
  const each = Math.floor(p.smCount / procs / align) * align;
  if (each < Math.max(p.minPartition, 1)) return undefined;
  return Array.from({ length: procs }, () => each);
}

function partitioning(ctx: ModeContext): Promise<SmPartitioning> {
  return ctx.binding.smPartitioning(ctx.config.device);
}

/** Parses --sm-split: one SM count per client. Whether they fit the device is checkSplit()'s. */
export function parseSmSplit(raw: RawRunOptions['smSplit'], procs: number): number[] {
  const what = `${procs} SM counts (one per client), e.g. ${Array.from({ length: procs }, () => 32).join(',')}`;
  const values = list('--sm-split', raw, what).map((v) => {
    const n = decimalValue(v, 'integer');
    if (n === undefined || n < 1) throw new OptionError('--sm-split', what, raw);
    return n;
  });
  if (values.length !== procs) throw new OptionError('--sm-split', what, raw);
  return values;
}

function resolveOptions(options: RawRunOptions, procs: number): ModeConfig {
  const out: ModeConfig = {};
  if (options.priority !== undefined) out.priorities = parsePriorities(options.priority, procs);
  if (options.smSplit !== undefined) out.smSplit = parseSmSplit(options.smSplit, procs);
  return out;
}

export function checkSplit(split: number[], p: SmPartitioning, raw: string): void {
  const granted = split.map((s) => grantedSms(s, p));
  const total = granted.reduce((a, b) => a + b, 0);
  const unit = Math.max(p.minPartition, p.alignment, 1);
  const equal = split.every((s) => s === split[0]);
  // Unequal groups are built from the driver's smallest groups, of which it grants unitGroups.
  if (!equal && p.unitGroups > 0 && total / unit > p.unitGroups && total <= p.smCount) {
    throw new OptionError(
      '--sm-split',
      `SM counts that the driver's ${p.unitGroups} groups of ${unit} SMs (${p.unitGroups * unit} SMs) can cover: ${raw} becomes ${granted.join(',')} = ${total}`,
      raw,
    );
  }
  if (total > p.smCount) {
    const fit = equalSplit(split.length, p);
    throw new OptionError(
      '--sm-split',
      `SM counts whose sum fits the device's ${p.smCount} SMs after each is rounded up to a multiple of ${p.alignment} (at least ${p.minPartition}): ${raw} becomes ${granted.join(',')} = ${total}${fit ? `; e.g. ${fit.join(',')}` : ''}`,
      raw,
    );
  }
}

export const green: SharingMode = {
  name: 'green',
  description: 'one process; the SMs split into disjoint green contexts, one per client (--sm-split)',
  traits: {
    label: 'green contexts',
    oneProcess: true,
    concurrent: true,
    sharedSmIds: true,
    clientFigures: ['priority', 'sms'],
    pmSampling: false,
    soloOn: 'device',
  },
  options: [PRIORITY_OPTION, { key: 'smSplit', flag: '--sm-split' }],
  resolveOptions,
  async availability(ctx) {
    const cc = Number(ctx.environment.gpu.computeCapability);
    if (cc < 8)
      return { available: false, reason: `green contexts need compute capability 8.0 or later; this GPU has ${ctx.environment.gpu.computeCapability}` };
    const p = await partitioning(ctx);
    if (!p.supported) return { available: false, reason: p.reason ?? 'the driver does not support green contexts' };
    return { available: true };
  },
  async validate(ctx) {
    checkPriorities(ctx);
    const p = await partitioning(ctx);
    if (!p.supported) return;
    if (ctx.config.smSplit) checkSplit(ctx.config.smSplit, p, ctx.config.smSplit.join(','));
    else if (!equalSplit(ctx.config.procs, p)) {
      throw new OptionError(
        '--procs',
        `at most ${Math.floor(p.smCount / Math.max(p.minPartition, 1))} clients with --mode green (each needs at least ${p.minPartition} of the ${p.smCount} SMs)`,
        ctx.config.procs,
      );
    }
  },
  solo: async (_ctx, loop) => plainSolo(loop),
  async setup(ctx) {
    const p = await partitioning(ctx);
    return {
      facts: { smCount: p.smCount, granularity: { minPartition: p.minPartition, alignment: p.alignment } },
      layout(procs, loop) {
        const requested = ctx.config.smSplit && ctx.config.smSplit.length === procs ? ctx.config.smSplit : equalSplit(procs, p)!;
        const priorities = resolvePriorities(ctx, procs);
        const clients = Array.from({ length: procs }, (_, client) => ({ client, config: { ...loop(client), streamPriority: priorities[client]! } }));
        return { workers: [{ greenSmCounts: requested, clients }], facts: { requestedSms: requested } };
      },
      teardown: async () => ({}),
    };
  },
};

// What each probe CTA holds on its SM while it is switched out: the shared memory it fills, its
// threads, and the registers each thread keeps live (kernels/probe.cu compiles one variant per
// register count). A context switch saves and restores this state, so `probe --smem/--threads/--regs`
// measures the switch gap against it. The probe's shape is [] (the plain probe) or
// [sharedBytes, threads, registers].
import { OptionError } from '../errors.js';
import type { Raw, SharedBytesText } from '../option-text.js';
import { integer, list } from '../options.js';
import { PROBE_REGISTER_CHOICES, type ProbeRegisters } from './kernels.js';

/** Register counts per thread the probe has a variant for (kernels.ts holds the list beside the probe kernel). */
export { PROBE_REGISTER_CHOICES, type ProbeRegisters } from './kernels.js';
export type { SharedBytesText } from '../option-text.js';
/** Shared memory one CTA may opt in to on Hopper (227 KiB); the device checks its own limit at prepare. */
export const PROBE_MAX_SHARED_BYTES = 227 * 1024;

export interface ProbeState {
  sharedBytes: number;
  threads: number;
  /** Registers per thread asked for: one of PROBE_REGISTER_CHOICES. */
  registers: number;
}

/** The default of each axis that is not given. */
export const PROBE_STATE_DEFAULTS: ProbeState = { sharedBytes: 0, threads: 1, registers: 0 };

/** The most threads per CTA of the variant for `registers` (its __launch_bounds__ in kernels/probe.cu). */
export function probeMaxThreads(registers: number): number {
  return registers <= 64 ? 1024 : registers <= 128 ? 512 : 256;
}

const BYTES = /^(\d+)\s*([kK](?:i?[bB])?)?$/;

/** Shared bytes: an integer, or with K (KiB), e.g. "64K", "200K". */
export function parseSharedBytes(option: string, raw: unknown): number {
  const what = `bytes of shared memory per SM in 0..${PROBE_MAX_SHARED_BYTES / 1024}K, e.g. 0, 64K, 200K`;
  const match = typeof raw === 'number' ? [String(raw), String(raw)] : typeof raw === 'string' ? BYTES.exec(raw.trim()) : null;
  const bytes = match ? Number(match[1]) * (match[2] ? 1024 : 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > PROBE_MAX_SHARED_BYTES) throw new OptionError(option, what, raw);
  return bytes;
}

function parseRegisters(option: string, raw: unknown): number {
  const value = integer(option, raw, 0, 255);
  if (!(PROBE_REGISTER_CHOICES as readonly number[]).includes(value)) throw new OptionError(option, `one of ${PROBE_REGISTER_CHOICES.join(', ')}`, raw);
  return value;
}

/** One state, checked: threads within what the register variant allows. */
function checkedState(state: ProbeState, raw: unknown): ProbeState {
  const most = probeMaxThreads(state.registers);
  if (state.threads > most) throw new OptionError('--threads', `at most ${most} threads per CTA with --regs ${state.registers} (65536 registers per SM)`, raw);
  return state;
}

export interface ProbeStateOptions {
  /** Shared memory each probe CTA fills: bytes, or "64K"; a list for a curve. */
  smem?: number | SharedBytesText | ReadonlyArray<number | SharedBytesText>;
  /** Threads per probe CTA, 1..1024; a list for a curve. */
  threads?: number | readonly number[];
  /** Registers each probe thread keeps live: 0, 32, 64, 128 or 255; a list for a curve. */
  regs?: ProbeRegisters | readonly ProbeRegisters[];
}

/** Whether any state axis is given. */
export function hasProbeState(options: Raw<ProbeStateOptions>): boolean {
  return options.smem !== undefined || options.threads !== undefined || options.regs !== undefined;
}

/** Every state of the axes' product, in order (smem outermost); one state for single values. */
export function probeStates(options: Raw<ProbeStateOptions>): ProbeState[] {
  const axis = <T>(option: string, raw: unknown, fallback: T, parse: (v: unknown) => T): T[] =>
    raw === undefined ? [fallback] : list(option, raw, 'a comma-separated list').map(parse);
  const shared = axis('--smem', options.smem, PROBE_STATE_DEFAULTS.sharedBytes, (v) => parseSharedBytes('--smem', v));
  const threads = axis('--threads', options.threads, PROBE_STATE_DEFAULTS.threads, (v) => integer('--threads', v, 1, 1024));
  const registers = axis('--regs', options.regs, PROBE_STATE_DEFAULTS.registers, (v) => parseRegisters('--regs', v));
  return shared.flatMap((sharedBytes) =>
    threads.flatMap((t) => registers.map((r) => checkedState({ sharedBytes, threads: t, registers: r }, options.threads ?? t))),
  );
}

/** The probe's shape for one state: [] when no axis is given. Lists are the probe command's (a curve), not a run's. */
export function probeShape(options: Raw<ProbeStateOptions>): number[] {
  if (!hasProbeState(options)) return [];
  for (const [flag, raw] of [
    ['--smem', options.smem],
    ['--threads', options.threads],
    ['--regs', options.regs],
  ] as const) {
    if (typeof raw === 'string' && raw.includes(',')) throw new OptionError(flag, 'one value per run (the probe command measures each value of a list)', raw);
  }
  const s = probeStates(options)[0]!;
  return [s.sharedBytes, s.threads, s.registers];
}

/** A probe shape back as its state; undefined for the plain probe. */
export function stateOfShape(shape: readonly number[]): ProbeState | undefined {
  return shape.length === 3 ? { sharedBytes: shape[0]!, threads: shape[1]!, registers: shape[2]! } : undefined;
}

const kib = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** What one CTA (one per SM) holds, in words: "64 KiB shared, 256 threads x 122 registers (122 KiB)". */
export function describeResident(r: { sharedBytesPerCta: number; threadsPerCta: number; registersPerThread: number }): string {
  return `${kib(r.sharedBytesPerCta)} shared, ${r.threadsPerCta} threads x ${r.registersPerThread} registers (${kib(r.threadsPerCta * r.registersPerThread * 4)})`;
}

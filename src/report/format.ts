// How one tagged summary value is printed, by its hint.
import type { Summary } from '../metrics/summary.js';

export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toFixed(abs >= 1e10 ? 1 : 2)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toFixed(abs >= 1e8 ? 0 : abs >= 1e7 ? 1 : 2)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toFixed(abs >= 1e5 ? 0 : abs >= 1e4 ? 1 : 2)} µs`;
  return `${Math.round(ns)} ns`;
}

function significant(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The value alone, by its hint: "1.95×", "3.12 ms", "45.0%", "1,234 launch/s". */
function formatValue(hint: Summary['hint'], value: number, unit: string | undefined): string {
  switch (hint) {
    case 'duration':
      return formatDuration(value);
    case 'rate':
      return `${significant(value)}${unit ? ` ${unit}` : '/s'}`;
    case 'ratio':
      return `${value.toFixed(2)}×`;
    case 'fraction':
      return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

/** An interval's bounds, by the hint, without repeating a ratio's × or a rate's unit: "[1.02–1.08]", "[3.01 ms–3.30 ms]", "[44.1–46.2%]". */
export function formatInterval(hint: Summary['hint'], ci: { low: number; high: number }): string {
  switch (hint) {
    case 'duration':
      return `[${formatDuration(ci.low)}–${formatDuration(ci.high)}]`;
    case 'rate':
      return `[${significant(ci.low)}–${significant(ci.high)}]`;
    case 'ratio':
      return `[${ci.low.toFixed(2)}–${ci.high.toFixed(2)}]`;
    case 'fraction': {
      const digits = Math.min(ci.low, ci.high) < 0.01 ? 2 : 1;
      return `[${(ci.low * 100).toFixed(digits)}–${(ci.high * 100).toFixed(digits)}%]`;
    }
    case 'count':
      return `[${Math.round(ci.low).toLocaleString('en-US')}–${Math.round(ci.high).toLocaleString('en-US')}]`;
  }
}

/** A summary as printed: its value by its hint, and when it is the median of repeated runs, its interval: "1.05× [1.02–1.08]". */
export function formatSummaryValue(s: Pick<Summary, 'hint' | 'value' | 'unit' | 'ci'>): string {
  const value = formatValue(s.hint, s.value, s.unit);
  return s.ci ? `${value} ${formatInterval(s.hint, s.ci)}` : value;
}

/**
 * The heading of a phase's switch figures: the window they cover, or why there are none; `kernelLevel`:
 * the clients whose instants are CUPTI's kernel records (library kernels write no CTA record), whose
 * figures are then kernel-level.
 */
export function switchesTitle(switches: { kind?: string; windowStartNs: number; windowEndNs: number }, kernelLevel: readonly number[] = []): string {
  const w = switches.windowEndNs - switches.windowStartNs;
  const level =
    kernelLevel.length > 0
      ? `, kernel-level: from CUPTI's kernel records of client${kernelLevel.length === 1 ? '' : 's'} ${kernelLevel.join(', ')}, not CTA traces`
      : '';
  if (switches.kind === 'concurrent') {
    return `Concurrency${level} (over the ${formatDuration(w)} in which every client was traced): the clients ran at the same time, so there are no time slices or switches to measure`;
  }
  return w > 0
    ? `Context switches${level} (over the ${formatDuration(w)} in which every client was traced)`
    : 'Context switches (no window in which every client was traced)';
}

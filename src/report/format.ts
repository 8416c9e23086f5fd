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

export function formatSummaryValue(s: Pick<Summary, 'hint' | 'value' | 'unit'>): string {
  switch (s.hint) {
    case 'duration':
      return formatDuration(s.value);
    case 'rate':
      return `${significant(s.value)}${s.unit ? ` ${s.unit}` : '/s'}`;
    case 'ratio':
      return `${s.value.toFixed(2)}×`;
    case 'fraction':
      return `${(s.value * 100).toFixed(s.value < 0.01 ? 2 : 1)}%`;
    case 'count':
      return Math.round(s.value).toLocaleString('en-US');
  }
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

// The sharing modes by name, and what the rest of the code asks about them.
import { MODES, type ModeName, type RawRunOptions } from '../options.js';
import { green } from './green.js';
import type { ModeOption, SharingMode } from './mode.js';
import { mig } from './mig.js';
import { mps } from './mps.js';
import { streams } from './streams.js';
import { timeslice } from './timeslice.js';

export const SHARING_MODES: Record<ModeName, SharingMode> = { timeslice, mps, streams, green, mig };

export function sharingMode(name: ModeName): SharingMode {
  return SHARING_MODES[name];
}

/** The mode of a name read from a file: undefined for one this version does not know. */
export function findMode(name: string): SharingMode | undefined {
  return (MODES as readonly string[]).includes(name) ? SHARING_MODES[name as ModeName] : undefined;
}

/** The modes whose traits satisfy `test`, in MODES order. */
export function modesWhere(test: (mode: SharingMode) => boolean): ModeName[] {
  return MODES.filter((name) => test(SHARING_MODES[name]));
}

/** The modes that take an option, in MODES order. */
export function modesTaking(key: keyof RawRunOptions): ModeName[] {
  return modesWhere((mode) => mode.options.some((o) => o.key === key));
}

/** Every option some mode takes, once each, in MODES order. */
export function modeOptions(): ModeOption[] {
  const seen = new Map<string, ModeOption>();
  for (const name of MODES) for (const o of SHARING_MODES[name].options) if (!seen.has(o.key)) seen.set(o.key, o);
  return [...seen.values()];
}

export { modeTitle } from './mode.js';
export type { Availability, ClientFigure, ModeConfig, ModeContext, ModeFacts, ModeLayout, ModeOption, ModeSession, ModeTraits, SharingMode } from './mode.js';

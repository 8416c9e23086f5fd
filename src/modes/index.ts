// The sharing modes by name.
import type { ModeName } from '../config.js';
import { green } from './green.js';
import type { SharingMode } from './mode.js';
import { mig } from './mig.js';
import { mps } from './mps.js';
import { streams } from './streams.js';
import { timeslice } from './timeslice.js';

export const SHARING_MODES: Record<ModeName, SharingMode> = { timeslice, mps, streams, green, mig };

export function sharingMode(name: ModeName): SharingMode {
  return SHARING_MODES[name];
}

export type { Availability, ModeContext, ModeSession, SharingMode } from './mode.js';

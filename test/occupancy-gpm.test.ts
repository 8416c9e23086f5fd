// The cross-check of SM occupancy from the CTA traces against GPM's SM activity.
import { describe, expect, it } from 'vitest';
import type { Occupancy } from '../src/metrics/occupancy.js';
import { summary } from '../src/metrics/summary.js';
import type { DeviceObservation } from '../src/observe/schema.js';
import { occupancyCrossCheck } from '../src/phase.js';

const occupancy = { busy: 0.826 } as Occupancy;
function observed(gpmMean?: number): DeviceObservation {
  const gpm = gpmMean === undefined ? [] : [summary('gpm.sm_active.mean', 'SM activity (GPM), mean', 'fraction', gpmMean)];
  return {
    device: 0,
    window: { startNs: '0', endNs: '1' },
    nvml: { available: true, gpm: { available: gpmMean !== undefined, summaries: gpm, mig: [] } },
  } as unknown as DeviceObservation;
}

describe('occupancyCrossCheck', () => {
  it('puts the traces’ busy share beside GPM’s SM activity', () => {
    const out = occupancyCrossCheck(occupancy, observed(0.869));
    expect(out.map((s) => s.tag)).toEqual(['occupancy.busy', 'occupancy.vsGpm']);
    expect(out[1]!.value).toBeCloseTo(0.826 / 0.869, 12);
    expect(out[1]!.hint).toBe('ratio');
  });

  it('says nothing without both sides', () => {
    expect(occupancyCrossCheck(undefined, observed(0.9))).toEqual([]);
    expect(occupancyCrossCheck(occupancy, observed())).toEqual([]);
    expect(occupancyCrossCheck(occupancy, { device: 0, window: { startNs: '0', endNs: '1' }, nvml: { available: false, reason: 'no NVML' } })).toEqual([]);
  });
});

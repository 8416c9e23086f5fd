// Decoding NVML's clocks-event reason bit mask to names.
import { describe, expect, it } from 'vitest';
import { decodeThrottleReasons, isClockLimited, THROTTLE_REASONS } from '../../src/observe/throttle.js';

describe('throttle reasons', () => {
  it('decodes each defined bit to its name', () => {
    for (const r of THROTTLE_REASONS) expect(decodeThrottleReasons(r.bit)).toEqual([r.name]);
  });
  it('decodes combinations in bit order and keeps unknown bits visible', () => {
    expect(decodeThrottleReasons(0x1 | 0x4 | 0x40)).toEqual(['gpu_idle', 'sw_power_cap', 'hw_thermal_slowdown']);
    expect(decodeThrottleReasons(0)).toEqual([]);
    expect(decodeThrottleReasons(0x4 | 0x1000)).toEqual(['sw_power_cap', 'unknown_0x1000']);
    expect(decodeThrottleReasons(Number.NaN)).toEqual([]);
  });
  it('counts only reasons that lower the clock under load as limiting', () => {
    expect(isClockLimited(0x1)).toBe(false); // idle
    expect(isClockLimited(0x2)).toBe(false); // application clocks setting
    expect(isClockLimited(0x4)).toBe(true);
    expect(isClockLimited(0x80)).toBe(true);
    expect(isClockLimited(0x1 | 0x20)).toBe(true);
  });
});

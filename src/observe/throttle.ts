// NVML's clocks-event (throttle) reasons: the bit mask of nvmlDeviceGetCurrentClocksEventReasons
// decoded to names. Bit values from NVIDIA's nvml.h (nvmlClocksEventReason* / nvmlClocksThrottleReason*).

export interface ThrottleReason {
  bit: number;
  /** Stable snake_case name, used in tags and metric labels. */
  name: string;
  /** What it means, in a few words. */
  label: string;
  /** True for reasons that lower the clock below what the load asks for (not idle, not a setting). */
  limiting: boolean;
}

export const THROTTLE_REASONS: readonly ThrottleReason[] = [
  { bit: 0x1, name: 'gpu_idle', label: 'GPU idle', limiting: false },
  { bit: 0x2, name: 'applications_clocks_setting', label: 'application clocks setting', limiting: false },
  { bit: 0x4, name: 'sw_power_cap', label: 'software power cap', limiting: true },
  { bit: 0x8, name: 'hw_slowdown', label: 'hardware slowdown', limiting: true },
  { bit: 0x10, name: 'sync_boost', label: 'sync boost', limiting: true },
  { bit: 0x20, name: 'sw_thermal_slowdown', label: 'software thermal slowdown', limiting: true },
  { bit: 0x40, name: 'hw_thermal_slowdown', label: 'hardware thermal slowdown', limiting: true },
  { bit: 0x80, name: 'hw_power_brake_slowdown', label: 'hardware power brake', limiting: true },
  { bit: 0x100, name: 'display_clock_setting', label: 'display clock setting', limiting: false },
];

const KNOWN_BITS = THROTTLE_REASONS.reduce((mask, r) => mask | r.bit, 0);

/** The reasons set in a mask, in bit order; unknown bits come back as `unknown_0x...`. */
export function decodeThrottleReasons(mask: number): string[] {
  if (!Number.isFinite(mask) || mask < 0) return [];
  const names = THROTTLE_REASONS.filter((r) => (mask & r.bit) !== 0).map((r) => r.name);
  // Masks are 64-bit in NVML but every defined bit is below 2^9; look at the low 32 bits for others.
  const unknown = (mask >>> 0) & ~KNOWN_BITS;
  for (let bit = 1; bit !== 0 && bit <= unknown; bit <<= 1) {
    if ((unknown & bit) !== 0) names.push(`unknown_0x${bit.toString(16)}`);
  }
  return names;
}

/** True when a reason that limits the clock under load is set. */
export function isClockLimited(mask: number): boolean {
  return THROTTLE_REASONS.some((r) => r.limiting && (mask & r.bit) !== 0);
}

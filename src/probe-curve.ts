// probeCurve(): the switch gap against what each context holds when it is switched out. One probe
// run per state of the --smem x --threads x --regs product (src/registry/probe-state.ts), in order,
// each a whole probe() with its own result; the curve keeps each state's switch figures beside it.
import type { Distribution } from './metrics/stats.js';
import { probeRunOptions, type ProbeOptions, type RawProbeOptions } from './probe.js';
import { type RunConfig, resolveRunConfig } from './config.js';
import type { Raw } from './options.js';
import { type ProbeRegisters, probeStates, type ProbeState, type ProbeStateOptions } from './registry/probe-state.js';
import { measure, type RunControls, type RunResult } from './run.js';

export const PROBE_CURVE_SCHEMA = 'gpushare-micro/probe-curve';
export const PROBE_CURVE_SCHEMA_VERSION = 1;

/** probe()'s options, with --smem, --threads and --regs as lists. */
export type ProbeCurveOptions = Omit<ProbeOptions, keyof ProbeStateOptions> & ProbeStateOptions;
/** ProbeCurveOptions as the command line gives them (src/option-text.ts Raw). */
export type RawProbeCurveOptions = Omit<RawProbeOptions, keyof ProbeStateOptions> & Raw<ProbeStateOptions>;

export interface ProbeCurvePoint {
  /** The state asked for. */
  state: ProbeState;
  /** What the CTAs held, as the device reported it (registers as the compiler allocated them). */
  resident?: RunResult['shared']['clients'][number]['resident'];
  /** Register and shared bytes one CTA (one per SM) held. */
  heldBytesPerSm?: number;
  complete: boolean;
  reason?: string;
  switches: number;
  gap?: Distribution;
  slice?: Distribution;
  overheadFraction: number;
  result: RunResult;
}

export interface ProbeCurve {
  schema: typeof PROBE_CURVE_SCHEMA;
  schemaVersion: typeof PROBE_CURVE_SCHEMA_VERSION;
  points: ProbeCurvePoint[];
}

/** Each state's run configuration, every one validated before the first run (an OptionError names the option). */
export function probeCurveRuns(options: RawProbeCurveOptions): Array<{ state: ProbeState; config: RunConfig }> {
  const { smem, threads, regs, ...rest } = options;
  return probeStates({ smem, threads, regs }).map((state) => ({
    state,
    // A state's registers are one of PROBE_REGISTER_CHOICES: probeStates() checked them.
    config: resolveRunConfig(probeRunOptions({ ...rest, smem: state.sharedBytes, threads: state.threads, regs: state.registers as ProbeRegisters })),
  }));
}

function point(state: ProbeState, result: RunResult): ProbeCurvePoint {
  const resident = result.shared.clients.find((c) => c.resident)?.resident;
  const sw = result.shared.switches;
  return {
    state,
    ...(resident ? { resident, heldBytesPerSm: resident.sharedBytesPerCta + resident.threadsPerCta * resident.registersPerThread * 4 } : {}),
    complete: result.complete,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    switches: sw.count,
    ...(sw.gap ? { gap: sw.gap } : {}),
    ...(sw.slice ? { slice: sw.slice } : {}),
    overheadFraction: sw.overheadFraction,
    result,
  };
}

/** Runs the probe once per state; stops early (with the points so far) when the signal aborts. The options may be
 * typed (ProbeCurveOptions, as src/index.ts's probeCurve() takes them) or as the command line wrote them. */
export async function probeCurve(
  options: RawProbeCurveOptions,
  controls: RunControls = {},
  onPoint?: (p: ProbeCurvePoint, index: number, of: number) => void,
): Promise<ProbeCurve> {
  const runs = probeCurveRuns(options);
  const points: ProbeCurvePoint[] = [];
  for (const [i, run] of runs.entries()) {
    if (controls.signal?.aborted) break;
    const p = point(run.state, await measure(run.config, controls));
    points.push(p);
    onPoint?.(p, i, runs.length);
  }
  return { schema: PROBE_CURVE_SCHEMA, schemaVersion: PROBE_CURVE_SCHEMA_VERSION, points };
}

// probe(): characterises the GPU's time slicing on its own. Every client runs the probe kernel (one
// CTA per SM that spins and records each gap in %globaltimer), and the merged gaps give the switch
// count, time-slice length, switch gap and overhead. No baseline unless asked for.
import { PROBE_DEFAULTS, type RawRunOptions, type RunOptions } from './config.js';
import { run, type RunControls, type RunResult } from './run.js';

/** What a caller may pass to probe(): a run's options less the kernel (the probe's) and gemm's size. */
export type ProbeOptions = Omit<RunOptions, 'kernel' | 'size'>;
/** ProbeOptions as the command line gives them (src/option-text.ts Raw). */
export type RawProbeOptions = Omit<RawRunOptions, 'kernel' | 'size'>;

export { PROBE_DEFAULTS };

/** A probe's run options: the probe's defaults (two clients, no baseline), the caller's options, the probe kernel. */
export function probeRunOptions(options: ProbeOptions): RunOptions;
export function probeRunOptions(options: RawProbeOptions): RawRunOptions;
export function probeRunOptions(options: RawProbeOptions): RawRunOptions {
  const defaults = options.launches === undefined ? PROBE_DEFAULTS : { procs: PROBE_DEFAULTS.procs, baseline: false };
  return { ...defaults, ...options, kernel: 'probe' };
}

export function probe(options: ProbeOptions = {}, controls: RunControls = {}): Promise<RunResult> {
  return run(probeRunOptions(options), controls);
}

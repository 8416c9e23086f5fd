// The validators as a Node user calls them, with typed options: a kernel, mode or loop that does not
// exist fails to compile. The validators themselves (config.ts, sweep/plan.ts, bench/options.ts,
// probe-curve.ts) also take the strings the command line hands them (src/option-text.ts Raw) and check
// every field at run time, so an untyped caller gets the same one-line OptionError.
import { type BenchConfig, type BenchOptions, resolveBenchConfig as resolveBench } from '../bench/options.js';
import { type RunConfig, type RunOptions, resolveRunConfig as resolveRun } from '../config.js';
import { type ProbeCurve, type ProbeCurveOptions, type ProbeCurvePoint, probeCurve as runProbeCurve } from '../probe-curve.js';
import type { RunControls } from '../run.js';
import { type SweepOptions, type SweepPlan, planSweep as plan } from '../sweep/plan.js';

/** Validates options for run() (and, with kernel "probe", probe()) into the one configuration a run measures. Throws OptionError. */
export function resolveRunConfig(options: RunOptions): RunConfig {
  return resolveRun(options);
}

/** The sweep's points (the product of its axes), every one validated before any GPU work. Throws OptionError. */
export function planSweep(options: SweepOptions): SweepPlan {
  return plan(options);
}

/** Validates `bench` options into what bench() measures. Throws OptionError. */
export function resolveBenchConfig(options: BenchOptions): BenchConfig {
  return resolveBench(options);
}

/** Runs the probe once per state of the smem × threads × regs product (every state validated first); stops early, with the points so far, when the signal aborts. */
export function probeCurve(
  options: ProbeCurveOptions,
  controls: RunControls = {},
  onPoint?: (p: ProbeCurvePoint, index: number, of: number) => void,
): Promise<ProbeCurve> {
  return runProbeCurve(options, controls, onPoint);
}

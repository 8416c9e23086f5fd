// The peak search run for real: per mode, findPeakRate() (src/scenario/peak.ts) with each step a run of
// the whole scenario, the searched role at the step's rate, long enough for its percentile to be
// meaningful. Each step is a scenario results directory under OUT/MODE/rate-R; the roles' baselines are
// measured once and shared by every step that runs a role the same way; peak.json holds every mode's
// search, rewritten atomically after each mode.
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { NativeBinding } from '../binding/contract.js';
import { sloText, type Slo } from '../clients/slo.js';
import type { ModeName } from '../config.js';
import type { PhaseResult } from '../phase.js';
import { writeJsonAtomic } from '../report/json.js';
import { findPeakRate, formatPeak, peakStep, requestsNeeded, stepDurationNs, type PeakResult, type PeakStep } from './peak.js';
import { runScenario } from './runner.js';
import type { Scenario } from './scenario.js';

export interface PeakRunOptions {
  role: string;
  kind: 'poisson' | 'constant';
  slo: Slo;
  low: number;
  high: number;
  maxSteps: number;
  /** Each step's shortest and longest measurement. */
  minNs: number;
  maxNs: number;
  outDir: string;
  signal?: AbortSignal;
  binding?: NativeBinding;
  /** Stand-in clients in tests. */
  clientModule?: string;
  environment?: import('../environment.js').Environment;
  quiet?: boolean;
}

/** How much closer than this the rate that met and the one that missed must come. */
const TOLERANCE = 0.1;

/** One step: the scenario under `mode` with the role at `rate`, into its own directory. */
async function measureStep(scenario: Scenario, mode: ModeName, rate: number, o: PeakRunOptions, baselines: Map<string, PhaseResult>): Promise<PeakStep> {
  const ns = Math.min(stepDurationNs(rate, o.slo.percentile, o.minNs), o.maxNs);
  const step = { ...scenario, options: { ...scenario.options, duration: ns / 1e9 } };
  delete step.options.launches;
  const changes = { [o.role]: { arrival: `${o.kind}:${rate}/s`, slo: sloText(o.slo) } };
  if (!o.quiet) process.stderr.write(`  ${mode}: ${o.role} at ${Number(rate.toPrecision(4))}/s for ${(ns / 1e9).toFixed(1)} s…\n`);
  const summary = await runScenario(step, [{ mode, changes, repeat: 0 }], {
    outDir: join(o.outDir, mode, `rate-${Math.round(rate)}`),
    baselines,
    ...(o.binding ? { binding: o.binding } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.clientModule ? { clientModule: o.clientModule } : {}),
    ...(o.environment ? { environment: o.environment } : {}),
  });
  const run = summary.runs[0];
  if (run?.status !== 'done') throw new PeakModeError(run?.reason ?? 'the step did not run');
  return peakStep(run.roles ?? [], o.role, o.slo);
}

/** A mode whose steps cannot run here: its search stops with the reason. */
class PeakModeError extends Error {}

/** Searches every mode of the scenario; the lines to print (each mode's search, then a table of the peaks). */
export async function searchPeaks(scenario: Scenario, o: PeakRunOptions): Promise<string[]> {
  // One seed for every step: every rate of every mode sees the same inputs, and the baselines are shared.
  const fixed = { ...scenario, options: { ...scenario.options, seed: scenario.options.seed ?? randomInt(1, 2 ** 47) } };
  const baselines = new Map<string, PhaseResult>();
  const results: Array<{ mode: ModeName; result?: PeakResult; reason?: string }> = [];
  const lines = [
    `Peak rate of ${o.role} meeting ${sloText(o.slo)} in scenario ${scenario.name}, ${o.low}/s to ${o.high}/s, at most ${o.maxSteps} steps per mode`,
    `Each step measures at least ${requestsNeeded(o.slo.percentile).toLocaleString('en-US')} requests of ${o.role} (10 beyond the ${o.slo.percentile}) and at least ${o.minNs / 1e9} s, at most ${o.maxNs / 1e9} s.`,
  ];
  for (const mode of scenario.modes) {
    if (o.signal?.aborted) break;
    try {
      const result = await findPeakRate({
        lowRate: o.low,
        highRate: o.high,
        maxSteps: o.maxSteps,
        relativeTolerance: TOLERANCE,
        measure: (rate) => measureStep(fixed, mode, rate, o, baselines),
      });
      results.push({ mode, result });
      lines.push('', ...formatPeak(result, o.role, o.slo, mode));
    } catch (error) {
      if (!(error instanceof PeakModeError)) throw error;
      results.push({ mode, reason: error.message });
      lines.push('', `${o.role} under ${mode}: not searched (${error.message})`);
    }
    await writeJsonAtomic(join(o.outDir, 'peak.json'), { scenario: scenario.name, role: o.role, slo: o.slo, low: o.low, high: o.high, modes: results });
  }
  return lines;
}

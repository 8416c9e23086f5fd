// The scenario summary's schema (schema "gpushare-micro/scenario", version 1): the file `scenario.json`
// in a scenario's results directory. Each mode's whole run (schema "gpushare-micro/run", version 2) is
// the file named by its `file`, relative to the directory; the roles' solo baselines, shared by every
// mode, are under baselines/. The summary repeats each mode's role figures and comparison so that
// `advise` and the report need only this file, and holds the verdicts.
import { z } from 'zod';
import { clientSpecSchema } from '../clients/spec.js';
import { summarySchema } from '../metrics/summary.js';
import { runResultSchema } from '../report/schema.js';

export const SCENARIO_SCHEMA = 'gpushare-micro/scenario';
export const SCENARIO_SCHEMA_VERSION = 1;
export const SCENARIO_SUMMARY_FILE = 'scenario.json';

/** What an objective asks for: meet every SLO and keep the most of the other roles' throughput, the most aggregate throughput, or the fairest shares. */
export const OBJECTIVES = ['slo', 'throughput', 'fairness'] as const;
export type Objective = (typeof OBJECTIVES)[number];

const roleReportSchema = runResultSchema.shape.roles.element;

export const scenarioRunSchema = z.object({
  mode: z.string(),
  /** The knob values this run used, when it is one step of a knob sweep (role.knob as --knob-sweep names it: {"infer.mps-threads": 25}; src/scenario/knobs.ts). */
  knobs: z.record(z.string(), z.unknown()).optional(),
  /** Which repeat of this mode and knobs it is (0, 1, ...) when the runs were repeated: runs of the same
   * mode and knobs are the repeats whose spread is the noise (src/scenario/candidates.ts). */
  repeat: z.number().int().nonnegative().optional(),
  /** With runs: N (2 or more): the runs made; its roles' figures and comparison are then medians over them, with intervals (Summary.ci). */
  runs: z.number().int().min(1).optional(),
  status: z.enum(['done', 'skipped', 'failed']),
  /** The CUDA device it ran on, when the scenario ran on several (--devices); absent otherwise. */
  device: z.number().int().nonnegative().optional(),
  /** Why it was skipped or failed, in one line. */
  reason: z.string().optional(),
  /** The run's result file, relative to the directory. */
  file: z.string().optional(),
  complete: z.boolean().optional(),
  roles: z.array(roleReportSchema).optional(),
  comparison: z.array(summarySchema).optional(),
  /** The shared phase's aggregate figures (switches, SMs idle, ...). */
  aggregate: z.array(summarySchema).optional(),
  /** The run result's warnings: what a reader must know before trusting its figures. */
  warnings: z.array(z.object({ tag: z.string(), message: z.string() })).optional(),
});
export type ScenarioRun = z.infer<typeof scenarioRunSchema>;

export const verdictSchema = z.object({
  objective: z.enum(OBJECTIVES),
  /** The mode (and knobs) it picks; absent when no run meets the objective. */
  mode: z.string().optional(),
  knobs: z.record(z.string(), z.unknown()).optional(),
  /** One line: what it picks and why, with the figures. */
  text: z.string(),
  /** Other candidates within the run-to-run noise of the pick ([]: none); absent when the noise is unknown
   * (a candidate ran once) or nothing was picked. */
  withinNoise: z.array(z.string()).optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;

export const scenarioSummarySchema = z.object({
  schema: z.literal(SCENARIO_SCHEMA),
  schemaVersion: z.literal(SCENARIO_SCHEMA_VERSION),
  createdAt: z.string(),
  command: z.array(z.string()).optional(),
  scenario: z.object({
    name: z.string(),
    description: z.string(),
    source: z.string(),
    /** The YAML as written. */
    text: z.string(),
    modes: z.array(z.string()),
    /** The roles as resolved (under the first mode). */
    roles: z.array(clientSpecSchema.extend({ kernel: z.string() })),
  }),
  environment: runResultSchema.shape.environment.optional(),
  /** Each role's solo baseline file, relative to the directory. */
  baselines: z.array(z.object({ role: z.string(), file: z.string() })),
  runs: z.array(scenarioRunSchema),
  verdicts: z.array(verdictSchema),
  complete: z.boolean(),
});
export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>;

// A scenario: a named mix of roles (an inference service beside a training job, four tenants, a
// notebook beside a fine-tune) and the sharing modes to compare it under. It is plain data, read from a
// YAML file or a built-in (src/scenario/file.ts); scenarioRunOptions() turns it into the run options of
// one mode, which config.ts validates like any other run's.
import type { RawClientOptions } from '../clients/spec.js';
import type { ModeName, RawRunOptions } from '../options.js';

/** A role's own settings of each sharing mode: knobs.mps.mpsThreads, knobs.streams.priority, knobs.green.sms. */
export type RoleKnobs = Partial<Record<ModeName, Pick<RawClientOptions, 'mpsThreads' | 'mpsMem' | 'priority' | 'sms'>>>;

export interface ScenarioRole {
  /** The workload, loop, arrivals and SLOs of the role, as a `--client` or a file gives them (role is the role's name):
   * raw values, checked with the run's options (config.ts) as a `--client`'s are. */
  client: RawClientOptions & { role: string };
  knobs: RoleKnobs;
}

export interface Scenario {
  name: string;
  description: string;
  /** Where it came from: "built-in" or the file's path. */
  source: string;
  /** Its YAML text as written (what `scenario show` prints and results record). */
  text: string;
  /** The modes to run it under, in order. */
  modes: ModeName[];
  roles: ScenarioRole[];
  /** Run-wide options of every mode's run: duration, warm-up, seed, sampling, runs, ... */
  options: Pick<RawRunOptions, 'duration' | 'launches' | 'warmup' | 'seed' | 'sampleMs' | 'cupti' | 'traceRecords' | 'device' | 'runs'>;
  /** Per-mode changes to a role's client options (e.g. a lower rate under timeslice). */
  overrides: Partial<Record<ModeName, Record<string, Partial<RawClientOptions>>>>;
}

/**
 * The run options of the scenario under one mode: every role a client spec, with that mode's knobs
 * and overrides, then `roleChanges` (a knob sweep's value, a peak search's rate) on top.
 */
export function scenarioRunOptions(
  scenario: Scenario,
  mode: ModeName,
  extra: Partial<RawRunOptions> = {},
  roleChanges: Record<string, Partial<RawClientOptions>> = {},
): RawRunOptions {
  const clients = scenario.roles.map((r) => ({ ...r.client, ...r.knobs[mode], ...scenario.overrides[mode]?.[r.client.role], ...roleChanges[r.client.role] }));
  return { ...scenario.options, ...extra, mode, clients };
}

// --knob-sweep: one knob of one role tried at a short list of values, e.g. "infer.mps-threads=25,50,100",
// "infer.priority=high,low" or "train.sms=33,66,99". A knob applies only to the modes that take it (the
// modes say which: mps-threads and mps-mem → mps; priority → streams and green; sms → green), so each
// chosen mode that takes it runs once per value and each other chosen mode runs once as the scenario
// has it. A swept value replaces the role's own knob of that mode in the scenario. Each step's run
// records its value as the run's knobs ({"infer.mps-threads": 25}); tradeOff() tabulates them.
import type { RawClientOptions } from '../clients/spec.js';
import { OptionError } from '../errors.js';
import { modesTaking } from '../modes/index.js';
import { decimal, decimalValue, integer, list, type ModeName, parseSize, type RawRunOptions } from '../options.js';
import { summaryTable } from '../report/summary-table.js';
import { summary, type Summary } from '../metrics/summary.js';
import { type Candidate, candidates, figure, roleValue, sloNote } from './candidates.js';
import type { ScenarioRun } from './result-schema.js';
import type { ScenarioRole } from './scenario.js';

/** The knobs a sweep may vary, by the name it gives them, with the run option that says which modes take each. */
export const SWEEP_KNOBS = {
  'mps-threads': { field: 'mpsThreads', option: 'mpsThreads' },
  'mps-mem': { field: 'mpsMem', option: 'mpsMem' },
  priority: { field: 'priority', option: 'priority' },
  sms: { field: 'sms', option: 'smSplit' },
} as const satisfies Record<string, { field: keyof RawClientOptions; option: keyof RawRunOptions }>;
export type SweepKnob = keyof typeof SWEEP_KNOBS;
export type KnobValue = number | string;

/** Most values one sweep tries: each is a whole run of the scenario per mode that takes the knob. */
export const MAX_SWEEP_VALUES = 8;

export interface KnobStep {
  /** The run's knobs record: {"infer.mps-threads": 25}; {} for a mode's run as the scenario has it. */
  knobs: Record<string, KnobValue>;
  /** The role's client options to change under this mode ({} for none): the scenario's overrides[mode][role]. */
  options: Partial<RawClientOptions>;
}

export interface KnobSweep {
  role: string;
  knob: SweepKnob;
  values: KnobValue[];
  /** The chosen modes that take the knob. */
  modes: ModeName[];
  /** Every chosen mode in order, with its steps: one per value where the mode takes the knob, else one as the scenario has it. */
  plan: Array<{ mode: ModeName; steps: KnobStep[] }>;
}

const OPTION = '--knob-sweep';
const FORM = /^\s*([^.=\s]+)\.([^=\s]+)\s*=(.*)$/;

/** One value of the knob, checked as the run would check it. */
function knobValue(knob: SweepKnob, raw: unknown, whole: string): KnobValue {
  try {
    if (knob === 'mps-threads') return decimal(OPTION, raw, 1, 100);
    if (knob === 'sms') return integer(OPTION, raw, 1, 100_000);
    if (knob === 'mps-mem') {
      parseSize(OPTION, raw);
      return String(raw).trim();
    }
  } catch (error) {
    if (error instanceof OptionError) throw new OptionError(OPTION, `${knob} values: ${error.expected}`, whole);
    throw error;
  }
  if (raw === 'high' || raw === 'low') return raw;
  const n = decimalValue(raw, 'integer');
  if (n === undefined) throw new OptionError(OPTION, 'priority values: high, low or integers (the device range), e.g. infer.priority=high,low', whole);
  return n;
}

/** Parses --knob-sweep against the scenario's roles and the modes chosen; OptionError names what is wrong. */
export function parseKnobSweep(raw: unknown, roles: readonly ScenarioRole[], modes: readonly ModeName[]): KnobSweep {
  const m = typeof raw === 'string' ? FORM.exec(raw) : null;
  if (!m) throw new OptionError(OPTION, 'ROLE.KNOB=V1,V2,... such as infer.mps-threads=25,50,100', raw);
  const [, role, name, rest] = m as unknown as [string, string, string, string];
  const names = roles.map((r) => r.client.role);
  if (!names.includes(role)) throw new OptionError(OPTION, `a role of the scenario (${names.join(', ')}) before the dot`, raw);
  if (!(name in SWEEP_KNOBS)) throw new OptionError(OPTION, `a knob among ${Object.keys(SWEEP_KNOBS).join(', ')} after the dot`, raw);
  const knob = name as SweepKnob;
  const takers = modesTaking(SWEEP_KNOBS[knob].option);
  const chosen = modes.filter((mode) => takers.includes(mode));
  if (chosen.length === 0)
    throw new OptionError(OPTION, `a knob of a mode chosen (${knob} is taken by ${takers.join(' and ')}; the modes are ${modes.join(', ')})`, raw);
  const values = list(OPTION, rest, `2 to ${MAX_SWEEP_VALUES} values after =, separated by commas`).map((v) => knobValue(knob, v, raw as string));
  if (values.length < 2 || values.length > MAX_SWEEP_VALUES) throw new OptionError(OPTION, `2 to ${MAX_SWEEP_VALUES} values after =`, raw);
  if (new Set(values.map(String)).size < values.length) throw new OptionError(OPTION, 'each value once', raw);
  if (knob === 'sms') checkSmsEverywhere(role, roles, raw);
  const key = `${role}.${knob}`;
  const steps = values.map((value) => ({ knobs: { [key]: value }, options: { [SWEEP_KNOBS[knob].field]: value } as Partial<RawClientOptions> }));
  const plan = modes.map((mode) => ({ mode, steps: chosen.includes(mode) ? steps : [{ knobs: {}, options: {} }] }));
  return { role, knob, values, modes: chosen, plan };
}

/** Green contexts split every SM at once: sweeping one role's SMs needs the others' under green in the scenario. */
function checkSmsEverywhere(role: string, roles: readonly ScenarioRole[], raw: unknown): void {
  const missing = roles.filter((r) => r.client.role !== role && r.knobs.green?.sms === undefined && r.client.sms === undefined);
  if (missing.length > 0) {
    const who = missing.map((r) => r.client.role).join(', ');
    throw new OptionError(OPTION, `sms of every other role under green in the scenario (${who} has none: give it knobs: green: sms:)`, raw);
  }
}

/** The figures of one candidate as a trade-off row: each role's throughput vs alone and p99, median over its repeats. */
function tradeOffSummaries(c: Candidate, roles: readonly string[]): Summary[] {
  const out: Summary[] = [];
  for (const role of roles) {
    const ratio = figure(c, (run) => roleValue(run, role, 'role.vsSolo'));
    const p99 = figure(c, (run) => roleValue(run, role, 'role.latency.p99'));
    if (ratio) out.push(summary(`${role}.vsSolo`, `${role} vs alone`, 'ratio', ratio.median));
    if (p99) out.push(summary(`${role}.p99`, `${role} p99`, 'duration', p99.median));
  }
  return out;
}

/** The trade-off of a knob sweep: per mode swept, a table of the knob values against each role's vs-alone ratio and p99. */
export function tradeOff(runs: readonly ScenarioRun[]): string[] {
  const all = candidates(runs);
  const roles = [...new Set(runs.flatMap((r) => (r.roles ?? []).map((x) => x.role)))];
  const lines: string[] = [];
  for (const mode of [...new Set(all.filter((c) => Object.keys(c.knobs).length > 0).map((c) => c.mode))]) {
    const rows = all.filter((c) => c.mode === mode);
    const keys = [...new Set(rows.flatMap((c) => Object.keys(c.knobs)))].sort();
    const table = summaryTable(
      keys,
      rows.map((c) => ({
        labels: keys.map((k) => (k in c.knobs ? String(c.knobs[k]) : 'as in the scenario')),
        summaries: tradeOffSummaries(c, roles),
        note: [sloNote(c), c.runs.length > 1 ? `median of ${c.runs.length} runs` : ''].filter(Boolean).join('; '),
      })),
    );
    lines.push(`Trade-off under ${mode} (${keys.join(', ')}):`, ...table.split('\n'));
  }
  return lines;
}

// The schema of a scenario file (docs/scenarios.md): what each key holds, checked for its type and
// shape only. Whether a value makes sense (a kernel that exists, a rate above 0, an SLO that parses,
// a knob value in range) is config.ts's to say, as for any run's options: src/scenario/file.ts
// resolves every mode's run options and traces an error back to the line that set the value.
// Every mapping is strict: an unknown key is an error that says what the mapping takes.
import { z } from 'zod';
import { ROLE_NAME } from '../clients/spec.js';
import { modesTaking } from '../modes/index.js';
import { KERNELS, LOOPS, MODES, type ModeName, type RawRunOptions } from '../options.js';

/** A scenario's name: what `scenario list` shows and `scenario run NAME` takes. */
export const SCENARIO_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]{0,63}$/;
export const ROLE_NAME_EXPECTED = 'a role name of letters, digits, - and _ (up to 32, a letter first)';

/** How a mapping reports a problem: what it must be, and what it takes instead of an unknown key. */
function mapping(what: string, unknownKey: (key: string) => string): { error: z.core.$ZodErrorMap } {
  return { error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKey(String(issue.keys[0])) : what) };
}

/** A role's workload, loop and objectives: the `--client` keys, less role (the role's name is its key under roles). */
const workloadFields = {
  count: z.number({ error: 'an integer: how many clients play the role' }).optional(),
  kernel: z.string({ error: `a kernel or model workload: ${KERNELS.join(', ')}` }).optional(),
  workload: z.string({ error: 'a model workload such as resnet50-train (the same as kernel)' }).optional(),
  preset: z.string({ error: 'a preset name such as bert-base or resnet50-l1-3x3' }).optional(),
  size: z.number({ error: 'an integer: the n of gemm n×n×n' }).optional(),
  batch: z.number({ error: "an integer: a model workload's samples per step" }).optional(),
  input: z.number({ error: 'an integer: resnet50-* image side, 32 or 224' }).optional(),
  seq: z.number({ error: 'an integer: bert-base-* tokens per sequence' }).optional(),
  layers: z.number({ error: 'an integer: llm-decode decoder layers' }).optional(),
  kv: z.number({ error: 'an integer: llm-decode KV-cache capacity' }).optional(),
  shape: z.union([z.string(), z.array(z.number())], { error: 'a shape: a list of integers, or a string such as "4096x4096x1024"' }).optional(),
  impl: z.string({ error: 'an implementation: own, or a library (cublas, cudnn, cudart)' }).optional(),
  dtype: z.string({ error: 'an element type such as bf16' }).optional(),
  loop: z.string({ error: `a loop: ${LOOPS.join(', ')}` }).optional(),
  depth: z.number({ error: 'an integer: launches kept in flight' }).optional(),
  arrival: z.string({ error: 'poisson:RATE, constant:RATE or bursty:ON/OFF' }).optional(),
  slo: z
    .union([z.string(), z.array(z.string()).min(1, { error: 'at least one latency objective' })], {
      error: 'a latency objective such as p99<=5ms, or a list of them',
    })
    .optional(),
};
const WORKLOAD_KEYS = Object.keys(workloadFields);

/** The knobs a role may set under knobs.MODE. */
const knobFields = {
  'mps-threads': z.number({ error: "a number in 1..100: the active thread percentage of each of the role's clients" }).optional(),
  'mps-mem': z.string({ error: 'a size such as 512M or 4G' }).optional(),
  priority: z.union([z.string(), z.number()], { error: "high, low or one of the device's priority numbers" }).optional(),
  sms: z.number({ error: "an integer: the SMs of each of the role's clients" }).optional(),
};
export type KnobKey = keyof typeof knobFields;
const KNOB_KEYS = Object.keys(knobFields) as KnobKey[];

/** The run option behind each knob: the modes that take the option (src/modes/) take the knob. */
const KNOB_OPTION: Record<KnobKey, keyof RawRunOptions> = { 'mps-threads': 'mpsThreads', 'mps-mem': 'mpsMem', priority: 'priority', sms: 'smSplit' };

export function isKnob(key: string): key is KnobKey {
  return (KNOB_KEYS as string[]).includes(key);
}

/** The knobs one mode takes, in the order above. */
export function knobsOf(mode: ModeName): KnobKey[] {
  return KNOB_KEYS.filter((k) => modesTaking(KNOB_OPTION[k]).includes(mode));
}

/** The modes that take a knob. */
export function knobModes(key: KnobKey): ModeName[] {
  return modesTaking(KNOB_OPTION[key]);
}

const allKnobs = z.strictObject(knobFields);
export type FileKnobs = z.infer<typeof allKnobs>;

/** The knobs of one mode: a knob of another mode under it is an unknown key. */
function modeKnobs(mode: ModeName): z.ZodType<FileKnobs> {
  const keys = knobsOf(mode);
  const takes = keys.length > 0 ? `${mode} takes ${keys.join(', ')}` : `${mode} takes none`;
  const fields = Object.fromEntries(keys.map((k) => [k, knobFields[k]]));
  const unknown = (key: string) =>
    isKnob(key) ? `not a knob of ${mode}: ${key} is a knob of ${knobModes(key).join(' and ')}; ${takes}` : `not a knob: ${takes}`;
  return z.strictObject(fields, mapping(`a mapping of ${mode}'s knobs (${keys.join(', ') || 'none'})`, unknown)) as unknown as z.ZodType<FileKnobs>;
}

/** A mapping of sharing modes to `value(mode)`; any other key is not a mode. */
function perMode<T>(value: (mode: ModeName) => z.ZodType<T>, what: string): z.ZodType<Partial<Record<ModeName, T>>> {
  const fields = Object.fromEntries(MODES.map((m) => [m, value(m).optional()]));
  return z.strictObject(
    fields,
    mapping(what, () => `not a mode: expected one of ${MODES.join(', ')}`),
  ) as unknown as z.ZodType<Partial<Record<ModeName, T>>>;
}

const roleSchema = z.strictObject(
  { ...workloadFields, knobs: perMode(modeKnobs, "a mapping of modes to the role's knobs, e.g. mps: { mps-threads: 50 }").optional() },
  mapping('a mapping of role keys (kernel, preset, arrival, slo, knobs, ...)', (key) =>
    isKnob(key)
      ? `${key} is a knob: give it per mode under knobs (knobs.${knobModes(key)[0]}.${key})`
      : `unknown key: a role takes ${[...WORKLOAD_KEYS, 'knobs'].join(', ')}`,
  ),
);
export type FileRole = z.infer<typeof roleSchema>;

const overrideSchema = z.strictObject(
  workloadFields,
  mapping("a mapping of the role's keys that change under this mode", (key) =>
    key === 'knobs' || isKnob(key) ? 'knobs go under roles.ROLE.knobs.MODE, not in overrides' : `unknown key: an override takes ${WORKLOAD_KEYS.join(', ')}`,
  ),
);
export type FileOverride = z.infer<typeof overrideSchema>;

const durationValue = (what: string) => z.union([z.string(), z.number()], { error: what });

const topFields = {
  name: z.string({ error: 'a name' }).regex(SCENARIO_NAME, { error: 'a name of letters, digits, +, ., - and _ (up to 64, no spaces)' }).optional(),
  description: z
    .string({ error: 'one line of text' })
    .refine((s) => !/[\r\n]/.test(s.trim()), { error: 'one line of text' })
    .optional(),
  duration: durationValue('a duration such as 5s or 500ms (each phase)').optional(),
  launches: z.number({ error: 'an integer: launches per client in each phase (instead of duration)' }).optional(),
  warmup: durationValue('a duration such as 300ms (warm-up before each phase)').optional(),
  seed: z.number({ error: 'an integer: the seed of inputs and arrivals' }).optional(),
  'sample-ms': z.number({ error: 'an integer: the NVML sampling period in ms (0: none)' }).optional(),
  cupti: z.boolean({ error: 'true or false' }).optional(),
  'trace-records': z.number({ error: 'an integer: CTA trace records kept per client' }).optional(),
  device: z.number({ error: 'an integer: the CUDA device index' }).optional(),
  runs: z
    .number({ error: 'an integer: how many times each mode is measured, the roles alone then shared, interleaved (the median and its interval)' })
    .optional(),
  modes: z
    .array(z.enum(MODES, { error: `a mode: ${MODES.join(', ')}` }), { error: 'a list of modes such as [timeslice, mps, streams, green]' })
    .min(1, { error: 'at least one mode' })
    .superRefine((modes, ctx) => {
      const i = modes.findIndex((m, j) => modes.indexOf(m) !== j);
      if (i >= 0) ctx.addIssue({ code: 'custom', path: [i], message: `each mode once (${modes[i]} twice)` });
    })
    .optional(),
  roles: z
    .record(z.string().regex(ROLE_NAME, { error: ROLE_NAME_EXPECTED }), roleSchema.nullable(), { error: 'a mapping of role names to roles' })
    .refine((roles) => Object.keys(roles).length > 0, { error: 'at least one role' }),
  overrides: perMode(
    () => z.record(z.string(), overrideSchema, { error: 'a mapping of role names to the keys that change' }),
    'a mapping of modes to per-role changes, e.g. timeslice: { infer: { arrival: poisson:200/s } }',
  ).optional(),
};
const TOP_KEYS = Object.keys(topFields);

/** A scenario file as written, checked for types and shape. */
export const scenarioFileSchema = z.strictObject(
  topFields,
  mapping(
    'a scenario: a mapping with roles (and name, description, duration, modes, overrides, ...)',
    () => `unknown key: a scenario takes ${TOP_KEYS.join(', ')}`,
  ),
);
export type ScenarioFile = z.infer<typeof scenarioFileSchema>;

/** The run-wide keys of a file, the RunOptions field each sets, and the option config.ts names in its errors. */
export const RUN_KEYS = [
  { key: 'duration', option: 'duration', flag: '--duration' },
  { key: 'launches', option: 'launches', flag: '--launches' },
  { key: 'warmup', option: 'warmup', flag: '--warmup' },
  { key: 'seed', option: 'seed', flag: '--seed' },
  { key: 'sample-ms', option: 'sampleMs', flag: '--sample-ms' },
  { key: 'cupti', option: 'cupti', flag: '--cupti' },
  { key: 'trace-records', option: 'traceRecords', flag: '--trace-records' },
  { key: 'device', option: 'device', flag: '--device' },
  { key: 'runs', option: 'runs', flag: '--runs' },
] as const satisfies ReadonlyArray<{ key: keyof ScenarioFile; option: keyof RawRunOptions; flag: string }>;

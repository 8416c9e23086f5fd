// A run is a list of client specs: each names a role, how many clients play it, the workload they
// run, how they issue it (loop and arrivals), what they must meet (SLOs) and their own knobs of the
// sharing modes. `--kernel gemm --procs 4` is one spec of four clients; `--client "role=infer,..."`
// and scenario files give several. This file holds the vocabulary (ClientOptions, what a caller
// writes), the resolved spec (ClientSpec, what the rest of the code reads) and the `--client` parser.
// Resolving options into specs is config.ts's.
import { z } from 'zod';
import { OptionError } from '../errors.js';
import { KERNEL_NAMES } from '../registry/kernels.js';
import type { Raw, SizeText } from '../option-text.js';
import type { PresetName } from '../registry/presets.js';
import { type Dtype, type Impl, WORKLOAD_NAMES, type WorkloadName } from '../registry/workloads.js';
import { type ArrivalText, arrivalSchema } from './arrival.js';
import { type SloText, sloSchema } from './slo.js';

/** What a client can run: the kernels and the model workloads of the registry (src/registry/). */
export const KERNELS = [...KERNEL_NAMES, ...WORKLOAD_NAMES] as const;
export type Kernel = (typeof KERNELS)[number];
/** The most clients one run may have. */
export const MAX_PROCS = 64;
/** A stream priority: a keyword or the device's own number (lower is more urgent). */
export const prioritySchema = z.union([z.literal('high'), z.literal('low'), z.number().int()]);
export type Priority = z.infer<typeof prioritySchema>;

export const CLIENT_LOOPS = ['saturate', 'closed', 'open'] as const;
export type ClientLoop = (typeof CLIENT_LOOPS)[number];

/** A role's name: what the tables and the verdicts call it. */
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,31}$/i;

/** A role's own settings of the sharing modes; each mode reads only its own (others are an error). */
export const knobsSchema = z.object({
  /** mps: CUDA_MPS_ACTIVE_THREAD_PERCENTAGE of each of the role's clients. */
  mpsThreads: z.number().min(1).max(100).optional(),
  /** mps: CUDA_MPS_PINNED_DEVICE_MEM_LIMIT of each of the role's clients, in bytes. */
  mpsMemBytes: z.number().int().positive().optional(),
  /** streams, green: the stream priority of the role's clients. */
  priority: prioritySchema.optional(),
  /** green: SMs of each of the role's clients. */
  sms: z.number().int().positive().optional(),
});
export type Knobs = z.infer<typeof knobsSchema>;
/** The knobs and the options of the same meaning for a single-role run. */
export const KNOB_KEYS = { mpsThreads: 'mps-threads', mpsMemBytes: 'mps-mem', priority: 'priority', sms: 'sms' } as const;

export const clientSpecSchema = z.object({
  role: z.string().regex(ROLE_NAME),
  count: z.number().int().min(1).max(MAX_PROCS),
  kernel: z.enum(KERNELS),
  /** A named shape (src/registry/presets.ts) the shape came from. */
  preset: z.string().optional(),
  /** gemm: the n of an n×n×n product when no shape was given. */
  size: z.number().int().positive(),
  /** The kernel's dimensions (gemm [m, n, k]; empty for the probe); a workload's fields (resnet50-*
   * [batch, input], bert-base-* [batch, seq], llm-decode [batch, layers, kv]). */
  shape: z.array(z.number().int().nonnegative()),
  impl: z.string(),
  dtype: z.string(),
  loop: z.enum(CLIENT_LOOPS),
  /** Launches in flight: saturating and bursty clients keep this many, a closed loop 1, an open loop at most this many. */
  depth: z.number().int().positive(),
  /** Open loops: how requests arrive. */
  arrival: arrivalSchema.optional(),
  slo: z.array(sloSchema).optional(),
  knobs: knobsSchema,
  /** probe: running time of each probe CTA per launch, and the %globaltimer step that counts as a gap. */
  spinNs: z.number().positive(),
  gapThresholdNs: z.number().positive(),
});
export type ClientSpec = z.infer<typeof clientSpecSchema>;

/** One spec as a caller writes it: names are the unions of what exists, counts numbers (RunOptions says more of each). */
export interface ClientOptions {
  /** The role's name (default: its kernel's). */
  role?: string;
  count?: number;
  kernel?: Kernel;
  /** A model workload (the same as kernel=). */
  workload?: WorkloadName;
  preset?: PresetName;
  size?: number;
  /** A model workload's shape fields (src/registry/workloads.ts). */
  batch?: number;
  input?: number;
  seq?: number;
  layers?: number;
  kv?: number;
  /** The kernel's dimensions, e.g. [4096, 4096, 4096]. */
  shape?: readonly number[];
  impl?: Impl;
  dtype?: Dtype;
  loop?: ClientLoop;
  depth?: number;
  /** poisson:RATE, constant:RATE or bursty:ON/OFF (src/clients/arrival.ts). */
  arrival?: ArrivalText;
  /** p99<=5ms, several joined with & (src/clients/slo.ts). */
  slo?: SloText;
  mpsThreads?: number;
  /** A size such as "4G". */
  mpsMem?: SizeText;
  priority?: Priority;
  sms?: number;
}

/** ClientOptions as a `--client` value or a scenario file gives them: any field may be a string (src/option-text.ts Raw). */
export type RawClientOptions = Raw<ClientOptions>;

/** The `--client` keys and the ClientOptions fields they set. */
export const CLIENT_KEYS: Record<string, keyof ClientOptions> = {
  role: 'role',
  count: 'count',
  kernel: 'kernel',
  workload: 'workload',
  preset: 'preset',
  size: 'size',
  batch: 'batch',
  input: 'input',
  seq: 'seq',
  layers: 'layers',
  kv: 'kv',
  shape: 'shape',
  impl: 'impl',
  dtype: 'dtype',
  loop: 'loop',
  depth: 'depth',
  arrival: 'arrival',
  slo: 'slo',
  'mps-threads': 'mpsThreads',
  'mps-mem': 'mpsMem',
  priority: 'priority',
  sms: 'sms',
};

/**
 * Parses one `--client` value: comma-separated key=value pairs, e.g.
 * "role=infer,kernel=attention,preset=bert-base,arrival=poisson:2000/s,slo=p99<=2ms". A shape is
 * written with x between dimensions ("shape=1024x1024x1024"), as commas separate the pairs.
 */
export function parseClientFlag(raw: unknown): RawClientOptions {
  const expected = `key=value pairs separated by commas, keys among ${Object.keys(CLIENT_KEYS).join(', ')}`;
  if (typeof raw !== 'string' || raw.trim() === '') throw new OptionError('--client', expected, raw);
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const field = CLIENT_KEYS[key];
    if (eq < 0 || !field) throw new OptionError('--client', expected, pair.trim() === '' ? raw : pair.trim());
    if (field in out) throw new OptionError('--client', `each key once (${key} twice)`, raw);
    out[field] = pair.slice(eq + 1).trim();
  }
  return out as RawClientOptions;
}

/** The clients the specs make, in order: client index → its spec. */
export function clientSpecs(specs: readonly ClientSpec[]): ClientSpec[] {
  return specs.flatMap((s) => Array.from({ length: s.count }, () => s));
}

/** The first client index of each spec (client indices run through the specs in order). */
export function firstClients(specs: readonly ClientSpec[]): number[] {
  let next = 0;
  return specs.map((s) => {
    const first = next;
    next += s.count;
    return first;
  });
}

// The interface every sharing mode implements, one file per mode beside this one. A mode says what
// it is (its traits: whether its clients run at once, whether they share SM ids, its label), which
// options it takes and how they are checked, where the clients run (one process each, or all in one
// process), what each client's environment or in-process resource is, and what must be set up
// before and torn down after — always. The rest of the code asks the mode; none of it tests a
// mode's name.
import type { LoopConfig, NativeBinding } from '../binding/contract.js';
import type { Environment } from '../environment.js';
import type { ModeName, RunConfig, RawRunOptions } from '../options.js';
import type { WorkerSpec } from '../orchestrator/orchestrator.js';

export interface ModeContext {
  config: RunConfig;
  environment: Environment;
  /** The native module (a stand-in in tests): the checks that need the device ask it. */
  binding: NativeBinding;
}

/** A figure the mode sets for each client, shown first in the client's row. */
export type ClientFigure = 'priority' | 'sms';

/** What a mode is, for the code that measures and reports under it. */
export interface ModeTraits {
  /** Its name in prose: "time slicing", "MPS", "CUDA streams". */
  label: string;
  /** Every client in one process (one worker hosts them all) rather than a process each. */
  oneProcess: boolean;
  /**
   * The clients' kernels run at the same time. When false they take turns on the GPU (time slicing):
   * the switch analysis looks for turns, and occupancy counts a client's CTAs only within its slices.
   */
  concurrent: boolean;
  /** The clients' %smid values number one set of SMs (false under MIG: each instance numbers its own), so occupancy can lay them on one SM timeline. */
  sharedSmIds: boolean;
  /** The figures it sets per client (their stream priority, their SMs), in the order shown. */
  clientFigures: readonly ClientFigure[];
  /** CUPTI PM sampling from the measuring process works beside its clients (it needs a CUDA context of its own there). */
  pmSampling: boolean;
  /** Where its solo baseline runs: on the device, or on a MIG device (so it cannot share another mode's). */
  soloOn: 'device' | 'mig';
}

/** An option only some modes take: its RunOptions key and its command-line flag. */
export interface ModeOption {
  key: keyof RawRunOptions;
  flag: string;
}

/** The configuration fields that belong to the modes' options. */
export type ModeConfig = Pick<RunConfig, 'mps' | 'priorities' | 'smSplit'>;

export type Availability = { available: true } | { available: false; reason: string };

/** Facts the result records about the mode (the MPS pipe, the SM split asked for, ...). */
export type ModeFacts = Record<string, unknown>;

/** The clients laid out over worker processes, and what the mode decided for them. */
export interface ModeLayout {
  workers: WorkerSpec[];
  /** E.g. the priorities or SM split given to the clients. */
  facts: ModeFacts;
}

/** A mode set up for one measurement. */
export interface ModeSession {
  /** What setup() did. */
  facts: Readonly<ModeFacts>;
  /** The workers for `procs` clients sharing the GPU, `loop` giving each client's loop; no side effects. */
  layout(procs: number, loop: (client: number) => LoopConfig): ModeLayout;
  /** Undoes setup(); safe to call more than once, never throws. Resolves to what it found worth recording (e.g. a daemon had to be killed). */
  teardown(): Promise<ModeFacts>;
  /** Where to look when a client failed under this mode (e.g. the MPS control log), in one line. */
  diagnose?(): Promise<string | undefined>;
}

export interface SharingMode {
  name: ModeName;
  /** One line for `info` and help. */
  description: string;
  traits: ModeTraits;
  /** The options only this mode takes: given with another mode, each is an OptionError. */
  options: readonly ModeOption[];
  /** This mode's options (only its own are given), checked, as configuration fields (OptionError). Device limits are validate()'s. */
  resolveOptions(options: RawRunOptions, procs: number): ModeConfig;
  /** Whether it can run on this machine and GPU, and why not; no side effects. */
  availability(ctx: ModeContext): Promise<Availability>;
  /** Checks the mode's options against the device (OptionError); runs before any GPU work. */
  validate(ctx: ModeContext): Promise<void>;
  /**
   * The worker for the solo baseline: the same kernel alone, as it would run without sharing. It runs
   * before setup(), so nothing of the mode is on the GPU meanwhile.
   */
  solo(ctx: ModeContext, loop: LoopConfig): Promise<WorkerSpec>;
  /** Sets the mode up (e.g. starts an MPS daemon). Throws ModeUnavailableError when it cannot. */
  setup(ctx: ModeContext): Promise<ModeSession>;
}

/** One process per client, each with its own environment. */
export function processPerClient(
  procs: number,
  loop: (client: number) => LoopConfig,
  env: (client: number) => Record<string, string> = () => ({}),
): WorkerSpec[] {
  return Array.from({ length: procs }, (_, client) => ({ env: env(client), clients: [{ client, config: loop(client) }] }));
}

/** The solo baseline as one plain process on the device. */
export function plainSolo(loop: LoopConfig, env: Record<string, string> = {}): WorkerSpec {
  return { env, clients: [{ client: 0, config: loop }] };
}

/** The mode's name in a header: its label, and where its clients run when that is one process. */
export function modeTitle(traits: Pick<ModeTraits, 'label' | 'oneProcess'>): string {
  return traits.oneProcess ? `${traits.label} in one process` : traits.label;
}

/** For modes that take no options of their own. */
export const NO_OPTIONS = { options: [] as readonly ModeOption[], resolveOptions: (): ModeConfig => ({}) };

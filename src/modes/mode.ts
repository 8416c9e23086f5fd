// The interface every sharing mode implements, one file per mode beside this one. A mode decides
// where the clients run (one process each, or all in one process), what each client's environment
// or in-process resource is, and what must be set up before and torn down after — always.
import type { LoopConfig, NativeBinding } from '../binding/contract.js';
import type { ModeName, RunConfig } from '../config.js';
import type { Environment } from '../environment.js';
import type { WorkerSpec } from '../orchestrator/orchestrator.js';

export interface ModeContext {
  config: RunConfig;
  environment: Environment;
  /** Absent when the clients are stand-ins (tests): checks that need the device are skipped. */
  binding?: NativeBinding;
}

export type Availability = { available: true } | { available: false; reason: string };

/** A mode set up for one measurement. */
export interface ModeSession {
  /** The workers for `procs` clients sharing the GPU; `loop` gives each client's loop. */
  workers(procs: number, loop: (client: number) => LoopConfig): WorkerSpec[];
  /** What the result records about the mode (the MPS pipe, the SM split asked for, ...). */
  facts: Record<string, unknown>;
  /** Undoes setup(); safe to call more than once, never throws. */
  teardown(): Promise<void>;
  /** Where to look when a client failed under this mode (e.g. the MPS control log), in one line. */
  diagnose?(): Promise<string | undefined>;
}

export interface SharingMode {
  name: ModeName;
  /** One line for `info` and help. */
  description: string;
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
export function processPerClient(procs: number, loop: (client: number) => LoopConfig, env: (client: number) => Record<string, string> = () => ({})): WorkerSpec[] {
  return Array.from({ length: procs }, (_, client) => ({ env: env(client), clients: [{ client, config: loop(client) }] }));
}

/** The solo baseline as one plain process on the device. */
export function plainSolo(loop: LoopConfig, env: Record<string, string> = {}): WorkerSpec {
  return { env, clients: [{ client: 0, config: loop }] };
}

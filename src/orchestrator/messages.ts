// The typed messages between the orchestrator and its worker processes (over Node's IPC channel,
// JSON-serialised, so 64-bit times travel as decimal strings). A worker hosts one client (process
// modes: time slicing, MPS, MIG) or several (in-process modes: streams, green contexts).
//
//   worker                        orchestrator
//   ready ------------------------>
//         <------------------------ prepare {clients, configs}
//   prepared (allocated, warm) --->            (waits for every worker)
//         <------------------------ go {startAtNs}   (one common start time for all)
//   result | error --------------->
//         <------------------------ stop  (at any time: end early, send what was measured)
import type { LoopConfig, PrepareInfo } from '../binding/contract.js';
import type { LayerTiming } from '../metrics/layers.js';
import type { KernelActivity } from '../observe/schema.js';

export interface ClockReading {
  hostNs: string;
  gpuNs: string;
  uncertaintyNs: number;
}

/** The native PrepareInfo with its clock reading made serialisable. */
export type PreparedInfo = Omit<PrepareInfo, 'clock'> & { clock: ClockReading };

/** What one client measured, as it crosses the process boundary. */
export interface ClientRaw {
  requestedStartNs: string;
  startNs: string;
  endNs: string;
  stopped: boolean;
  enqueueNs: number[];
  /** From the enqueue, or (open loop) from the scheduled arrival: see LoopResult.latencyNs. */
  latencyNs: number[];
  gpuNs: number[];
  // Open and bursty loops only (absent for saturating and closed ones, whose results keep their size);
  // the meanings are LoopResult's (src/binding/contract.ts).
  /** Open loop: each issued request's scheduled arrival, relative to startNs ([] for a bursty loop). */
  scheduledNs?: number[];
  /** The loop's own lateness: per request (open) or per burst (bursty). */
  wakeLateNs?: number[];
  /** Open loop: requests due before the deadline that were never issued. */
  notStarted?: number;
  /** Open loop: requests of the schedule due before the deadline. */
  scheduledRequests?: number;
  /** Bursty: ON windows with at least one launch. */
  bursts?: number;
  tracedLaunches: number;
  gapsObserved: number;
  /** Binary files of 16-byte Interval records, in the run's work directory. */
  traceFile: string;
  gapsFile: string;
  clock: ClockReading;
  /** CUPTI's record of the run's kernels, when asked for. */
  kernelActivity?: KernelActivity;
  /** Model workloads with profileLayers: per (layer, phase), its duration in each timed step. */
  layers?: LayerTiming[];
}

/** A LoopConfig as it crosses the process boundary: JSON has no Float64Array, so the schedule travels as numbers. */
export type WireLoopConfig = Omit<LoopConfig, 'arrivalsNs'> & { arrivalsNs?: number[] };

export function wireLoopConfig(config: LoopConfig): WireLoopConfig {
  const { arrivalsNs, ...rest } = config;
  return arrivalsNs === undefined ? rest : { ...rest, arrivalsNs: Array.from(arrivalsNs) };
}

export interface WireError {
  message: string;
  code?: string;
  cudaError?: string;
}

export interface PrepareMessage {
  type: 'prepare';
  /** The clients this worker hosts, and their loops (same order). */
  clients: number[];
  configs: WireLoopConfig[];
  workDir: string;
  /** Green contexts: split the SMs into groups of these sizes, one per client, in order. */
  greenSmCounts?: number[];
  /** Record the kernels of the measured run with CUPTI (a worker hosting one client only). */
  kernelActivity?: boolean;
}

export type ToClient = PrepareMessage | { type: 'go'; startAtNs: string } | { type: 'stop' };

export type FromClient =
  | { type: 'ready'; pid: number }
  | { type: 'prepared'; infos: PreparedInfo[] }
  | { type: 'result'; results: ClientRaw[] }
  | { type: 'error'; error: WireError };

export function isFromClient(value: unknown): value is FromClient {
  if (value === null || typeof value !== 'object') return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'prepared' || type === 'result' || type === 'error';
}

export function isToClient(value: unknown): value is ToClient {
  if (value === null || typeof value !== 'object') return false;
  const type = (value as { type?: unknown }).type;
  return type === 'prepare' || type === 'go' || type === 'stop';
}

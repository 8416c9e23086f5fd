// The typed messages between the orchestrator and its client processes (over Node's IPC channel,
// JSON-serialised, so 64-bit times travel as decimal strings).
//
//   client                        orchestrator
//   ready ------------------------>
//         <------------------------ prepare {config}
//   prepared (allocated, warm) --->            (waits for every client)
//         <------------------------ go {startAtNs}   (one common start time for all)
//   result | error --------------->
//         <------------------------ stop  (at any time: end early, send what was measured)
import type { LoopConfig, PrepareInfo } from '../binding/contract.js';

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
  latencyNs: number[];
  gpuNs: number[];
  tracedLaunches: number;
  gapsObserved: number;
  /** Binary files of 16-byte Interval records, in the run's work directory. */
  traceFile: string;
  gapsFile: string;
  clock: ClockReading;
}

export interface WireError {
  message: string;
  code?: string;
  cudaError?: string;
}

export type ToClient =
  | { type: 'prepare'; client: number; config: LoopConfig; workDir: string }
  | { type: 'go'; startAtNs: string }
  | { type: 'stop' };

export type FromClient =
  | { type: 'ready'; pid: number }
  | { type: 'prepared'; info: PreparedInfo }
  | { type: 'result'; result: ClientRaw }
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

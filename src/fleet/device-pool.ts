// Several GPUs of one machine: `--devices 0,1,…|all` parsed and checked, and a small scheduler that
// runs independent jobs (a sweep's points, a scenario's steps) on them at once — a queue of jobs and
// one worker per device, so that each device runs at most one job at a time and a job's processes all
// stay on its one device. Used by src/sweep/runner.ts and src/scenario/runner.ts.
import type { NativeBinding } from '../binding/contract.js';
import { decimalValue } from '../options.js';
import { NoGpuError, OptionError } from '../errors.js';
import { noGpuReason, type Environment } from '../environment.js';

/** `--devices` as given: 'all', or distinct device indices. */
export type DeviceSpec = 'all' | number[];

const EXPECTED = "'all' or distinct device indices, comma-separated (e.g. 0,1)";

/** Parses `--devices` without asking the GPU (the syntax; the count is checked by resolveDevices). */
export function parseDevices(raw: unknown): DeviceSpec {
  if (Array.isArray(raw)) return checkList(raw, raw);
  if (typeof raw === 'number') return checkList([raw], raw);
  if (typeof raw !== 'string') throw new OptionError('--devices', EXPECTED, raw);
  if (raw.trim() === 'all') return 'all';
  return checkList(
    raw.split(',').map((x) => x.trim()),
    raw,
  );
}

function checkList(values: unknown[], raw: unknown): number[] {
  const out = values.map((v) => {
    const n = decimalValue(v, 'integer');
    if (n === undefined || n < 0) throw new OptionError('--devices', EXPECTED, raw);
    return n;
  });
  if (out.length === 0) throw new OptionError('--devices', EXPECTED, raw);
  if (new Set(out).size !== out.length) throw new OptionError('--devices', `${EXPECTED}; no index twice`, raw);
  return out;
}

/** The device indices to use: every device the binding reports for 'all', else the list, each checked against the count. */
export async function resolveDevices(spec: DeviceSpec, binding: NativeBinding): Promise<number[]> {
  const cuda = await binding.cudaDevices();
  if (!cuda.available) throw new NoGpuError(noGpuReason(cuda.error), cuda.error?.cudaError);
  const count = cuda.devices.length;
  if (spec === 'all') return cuda.devices.map((_, i) => i);
  const bad = spec.find((d) => d >= count);
  if (bad !== undefined) throw new OptionError('--devices', `device indices below ${count} (this machine's CUDA devices)`, spec.join(','));
  return spec;
}

/**
 * Runs `work(job, device)` for every job, at most one job per device at a time, each device taking
 * the next job as soon as it is free. `work` handles its own failures (a failed point is a result);
 * should it throw, that device stops taking jobs, the others finish theirs, and the first error is
 * thrown at the end. A job whose `work` returns false stops every worker (it was cancelled); an
 * aborted signal stops them too, before their next job.
 */
export async function runOnDevices<T>(
  jobs: readonly T[],
  devices: readonly number[],
  work: (job: T, device: number) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<void> {
  if (devices.length === 0) throw new OptionError('--devices', 'at least one device', '');
  let next = 0;
  let stopped = false;
  const worker = async (device: number) => {
    while (!stopped && !signal?.aborted && next < jobs.length) {
      const job = jobs[next++]!;
      if ((await work(job, device)) === false) stopped = true;
    }
  };
  const settled = await Promise.allSettled(devices.map(worker));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Serialises async writes of one file: each call waits for the previous one (atomic renames never race). */
export function serialised(write: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    last = last.then(write, write);
    return last;
  };
}

/**
 * A given environment (stand-in clients: no GPU query) made into one per device: the device as the
 * binding reports it in place of the environment's GPU, so that a run on device 1 records device 1.
 */
export async function deviceEnvironments(
  controls: { environment?: Environment; binding?: NativeBinding },
  devices: readonly number[],
): Promise<Map<number, Environment>> {
  const out = new Map<number, Environment>();
  const environment = controls.environment;
  if (!environment) return out;
  const cuda = controls.binding ? await controls.binding.cudaDevices() : undefined;
  for (const d of devices) {
    const gpu = cuda?.available ? cuda.devices[d] : undefined;
    out.set(d, gpu ? { ...environment, gpu: { ...environment.gpu, ...gpu, index: d } } : environment);
  }
  return out;
}

// nvidia-smi: finding it, running it with a timeout, and reading what it prints about MIG.
//
// The parsers are pure functions over nvidia-smi's text; test/fixtures/nvidia-smi/ holds recorded
// outputs (an H200 with driver 580 recorded by this project, the rest quoted from NVIDIA's MIG user
// guide and public issues; the folder's README says where each came from). nvidia-smi's text is
// not a stable interface (its column widths change between drivers), so every parser reads rows by
// their shape, not by column positions, and ignores borders, headers and blank lines.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where the driver installs nvidia-smi when it is not on PATH (containers often use the second). */
export const NVIDIA_SMI_DIRS = ['/usr/bin', '/usr/local/nvidia/bin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nvidia-smi to run: the first on PATH, then the usual driver locations; undefined if none. */
export function findNvidiaSmi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...NVIDIA_SMI_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nvidia-smi');
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export interface SmiOutput {
  /** The nvidia-smi that ran, or undefined where none was found (then nothing ran). */
  path?: string;
  args: string[];
  /** Exit code; null when it did not exit by itself (timeout, signal) or did not start. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run or did not finish: not found, timed out, could not start. */
  failure?: string;
}

/** Runs one nvidia-smi command. Never throws; the caller reads `code` and `failure`. */
export type SmiRunner = (args: string[]) => Promise<SmiOutput>;

export const SMI_TIMEOUT_MS = 20_000;

/** The real runner: nvidia-smi found on PATH (or the driver's directories), with a timeout. */
export function nvidiaSmi(options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SmiRunner {
  const timeoutMs = options.timeoutMs ?? SMI_TIMEOUT_MS;
  return (args) =>
    new Promise((resolve) => {
      const path = findNvidiaSmi(options.env);
      if (!path) {
        resolve({ args, code: null, stdout: '', stderr: '', failure: `nvidia-smi was not found (searched PATH, ${NVIDIA_SMI_DIRS.join(', ')})` });
        return;
      }
      execFile(path, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 2 ** 20, env: options.env ?? process.env }, (error, stdout, stderr) => {
        const out: SmiOutput = { path, args, code: 0, stdout, stderr };
        if (error) {
          const e = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
          out.code = typeof e.code === 'number' ? e.code : null;
          if (e.killed || e.signal) out.failure = `nvidia-smi ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`;
          else if (typeof e.code === 'string') out.failure = `nvidia-smi could not be started (${e.code})`;
        }
        resolve(out);
      });
    });
}

/** One line saying what went wrong with an nvidia-smi command, for error messages. */
export function smiFailure(out: SmiOutput): string {
  if (out.failure) return out.failure;
  const said = (out.stderr.trim() || out.stdout.trim()).split('\n')[0] ?? '';
  return `nvidia-smi ${out.args.join(' ')} exited with code ${out.code}${said ? `: ${said}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi -L

export interface SmiMigDevice {
  /** Index of the parent GPU. */
  gpu: number;
  /** "Device N" under the GPU: the order in which CUDA enumerates the MIG devices. */
  device: number;
  /** The GPU instance profile, e.g. "3g.71gb". */
  profile: string;
  /** "MIG-<uuid>" (older drivers: "MIG-GPU-<uuid>/<gi>/<ci>"); what CUDA_VISIBLE_DEVICES takes. */
  uuid: string;
}

export interface SmiGpu {
  index: number;
  name: string;
  uuid: string;
  migDevices: SmiMigDevice[];
}

const GPU_LINE = /^GPU (\d+): (.+?) \(UUID: ([^)\s]+)\)\s*$/;
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)\s]+)\)\s*$/;

/** Parses `nvidia-smi -L`: every GPU and the MIG devices listed under it. */
export function parseGpuList(text: string): SmiGpu[] {
  const gpus: SmiGpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), name: gpu[2]!, uuid: gpu[3]!, migDevices: [] });
      continue;
    }
    const mig = MIG_LINE.exec(line);
    const parent = gpus[gpus.length - 1];
    if (mig && parent) parent.migDevices.push({ gpu: parent.index, device: Number(mig[2]), profile: mig[1]!, uuid: mig[3]! });
  }
  return gpus;
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi mig -lgip

export interface SmiGiProfile {
  gpu: number;
  /** e.g. "3g.71gb", "1g.18gb+me", "2g.48gb-me". */
  name: string;
  id: number;
  free: number;
  total: number;
  memoryGiB: number;
  p2p: boolean;
  sms: number;
  dec: number;
  enc: number;
  ce: number;
  jpeg: number;
  ofa: number;
}

// "|   0  MIG 3g.71gb          9     2/2        69.75      No     60     3     0   |" then the
// continuation line "|                  3     3     0   |" with CE, JPEG, OFA.
const PROFILE_ROW = /^\|\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\/(\d+)\s+([\d.]+)\s+(Yes|No)\s+(\d+)\s+(\d+)\s+(\d+)\s+\|\s*$/;
const PROFILE_MORE = /^\|\s+(\d+)\s+(\d+)\s+(\d+)\s+\|\s*$/;

/** Parses `nvidia-smi mig -lgip`: the GPU instance profiles of every GPU. */
export function parseGiProfiles(text: string): SmiGiProfile[] {
  const out: SmiGiProfile[] = [];
  let last: SmiGiProfile | undefined;
  for (const line of text.split(/\r?\n/)) {
    const row = PROFILE_ROW.exec(line);
    if (row) {
      last = {
        gpu: Number(row[1]),
        name: row[2]!,
        id: Number(row[3]),
        free: Number(row[4]),
        total: Number(row[5]),
        memoryGiB: Number(row[6]),
        p2p: row[7] === 'Yes',
        sms: Number(row[8]),
        dec: Number(row[9]),
        enc: Number(row[10]),
        ce: 0,
        jpeg: 0,
        ofa: 0,
      };
      out.push(last);
      continue;
    }
    const more = PROFILE_MORE.exec(line);
    if (more && last) {
      last.ce = Number(more[1]);
      last.jpeg = Number(more[2]);
      last.ofa = Number(more[3]);
      last = undefined;
    } else if (!line.startsWith('|  ')) {
      last = undefined;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi mig -lgipp

export interface SmiPlacements {
  gpu: number;
  profileId: number;
  /** Memory slices where an instance of this profile may start. */
  starts: number[];
  /** Memory slices it takes. */
  size: number;
}

// "GPU  0 Profile ID 19 Placements: {0,1,2,3,4,5,6}:1" and "GPU  0 Profile ID  0 Placement : {0}:8"
const PLACEMENT_LINE = /^GPU\s+(\d+)\s+Profile ID\s+(\d+)\s+Placements?\s*:\s*\{([\d,\s]*)\}:(\d+)\s*$/;

/** Parses `nvidia-smi mig -lgipp`: where each profile may be placed. */
export function parsePlacements(text: string): SmiPlacements[] {
  const out: SmiPlacements[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = PLACEMENT_LINE.exec(line.trim());
    if (!m) continue;
    const starts = m[3]!
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number);
    out.push({ gpu: Number(m[1]), profileId: Number(m[2]), starts, size: Number(m[4]) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi mig -lgi

export interface SmiGpuInstance {
  gpu: number;
  profile: string;
  profileId: number;
  instanceId: number;
  /** First memory slice, and how many it takes. */
  start: number;
  size: number;
}

// "|   0  MIG 1g.10gb         19        7          0:1     |"
const INSTANCE_ROW = /^\|\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+):(\d+)\s+\|\s*$/;

/** Parses `nvidia-smi mig -lgi`: the GPU instances that exist ("No MIG-enabled devices found." → none). */
export function parseGpuInstances(text: string): SmiGpuInstance[] {
  const out: SmiGpuInstance[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = INSTANCE_ROW.exec(line);
    if (!m) continue;
    out.push({ gpu: Number(m[1]), profile: m[2]!, profileId: Number(m[3]), instanceId: Number(m[4]), start: Number(m[5]), size: Number(m[6]) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi --query-gpu=index,name,uuid,mig.mode.current,mig.mode.pending --format=csv,noheader

export const QUERY_GPU_ARGS = ['--query-gpu=index,name,uuid,mig.mode.current,mig.mode.pending', '--format=csv,noheader'];

/** enabled/disabled, or unsupported where nvidia-smi prints [N/A] (a GPU without MIG). */
export type MigModeState = 'enabled' | 'disabled' | 'unsupported';

export interface SmiGpuMigMode {
  index: number;
  name: string;
  uuid: string;
  current: MigModeState;
  /** What it becomes after the next GPU reset; differs from current while a change is pending. */
  pending: MigModeState;
}

function modeState(raw: string): MigModeState | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'enabled') return 'enabled';
  if (v === 'disabled') return 'disabled';
  if (v === '[n/a]' || v === 'n/a' || v === '[not supported]') return 'unsupported';
  return undefined;
}

/** Parses the --query-gpu CSV of QUERY_GPU_ARGS. GPU names contain no commas; the split is by ", ". */
export function parseMigModes(text: string): SmiGpuMigMode[] {
  const out: SmiGpuMigMode[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== 5 || !/^\d+$/.test(fields[0]!)) continue;
    const current = modeState(fields[3]!);
    const pending = modeState(fields[4]!);
    if (!current || !pending) continue;
    out.push({ index: Number(fields[0]), name: fields[1]!, uuid: fields[2]!, current, pending });
  }
  return out;
}

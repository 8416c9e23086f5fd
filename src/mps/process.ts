// Is a PID really the MPS control daemon of a pipe directory? A pid file is only a claim: the daemon
// may have died and its PID gone to another process, or someone may have written the file. Before
// a PID from a pid file is named as the daemon or signalled, /proc must show its executable, and its
// environment or its open sockets must tie it to the pipe directory. Linux only, as MPS is.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { clip } from '../errors.js';

export const MPS_CONTROL = 'nvidia-cuda-mps-control';
export const MPS_SERVER = 'nvidia-cuda-mps-server';

/** The executable a process runs, from /proc/PID/exe; undefined when it cannot be read (gone, or another user's). */
export function processExecutable(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** A process's environment, from /proc/PID/environ; undefined when it cannot be read. */
function processEnvironment(pid: number): Map<string, string> | undefined {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return new Map(entries.map((e) => [e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)]));
  } catch {
    return undefined;
  }
}

/** Paths of the Unix sockets a process holds open (/proc/PID/fd against /proc/net/unix). */
function unixSocketPaths(pid: number): string[] {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    const paths: string[] = [];
    // Num RefCount Protocol Flags Type St Inode Path
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 8 && inodes.has(fields[6]!)) paths.push(fields.slice(7).join(' '));
    }
    return paths;
  } catch {
    return [];
  }
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Why `pid` is not the MPS control daemon listening in `pipeDir` (one line), or undefined when it is:
 * its executable is nvidia-cuda-mps-control, and its CUDA_MPS_PIPE_DIRECTORY is `pipeDir` or it holds
 * a socket in `pipeDir` open.
 */
export function controlDaemonProblem(pid: number, pipeDir: string): string | undefined {
  const exe = processExecutable(pid);
  if (exe === undefined) return `process ${pid} cannot be inspected (no readable /proc/${pid}/exe)`;
  if (basename(exe) !== MPS_CONTROL) return `process ${pid} runs ${clip(exe)}, not ${MPS_CONTROL}`;
  const dir = canonical(pipeDir);
  const envDir = processEnvironment(pid)?.get('CUDA_MPS_PIPE_DIRECTORY');
  if (envDir !== undefined && canonical(envDir) === dir) return undefined;
  if (unixSocketPaths(pid).some((p) => canonical(dirname(p)) === dir)) return undefined;
  return `process ${pid} is an ${MPS_CONTROL} of another pipe directory${envDir !== undefined ? ` (${clip(envDir)})` : ''}`;
}

/** Whether `pid` runs nvidia-cuda-mps-server (a PID the control daemon listed as its server). */
export function isMpsServer(pid: number): boolean {
  const exe = processExecutable(pid);
  return exe !== undefined && basename(exe) === MPS_SERVER;
}

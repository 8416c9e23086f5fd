// The MPS control daemon: start one with private pipe and log directories, attach to one a user
// names, ask it questions, and stop it — only if this process started it. A daemon this process owns
// is also stopped when the process exits on an error path (the 'exit' hook below), so a crashed run
// leaves no nvidia-cuda-mps-control or nvidia-cuda-mps-server behind. A PID is signalled only after
// /proc shows it is that daemon or its server (./process.ts): a stale or forged pid file names any process.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { clip, ModeUnavailableError } from '../errors.js';
import { controlDaemonProblem, isMpsServer, MPS_CONTROL, processExecutable } from './process.js';

export { MPS_CONTROL };
/** Where the driver's utilities live when they are not on PATH (e.g. in containers). */
const EXTRA_BIN_DIRS = ['/usr/local/nvidia/bin', '/usr/bin', '/usr/local/bin'];
const PID_FILE = 'nvidia-cuda-mps-control.pid';

export interface MpsDaemon {
  pipeDir: string;
  logDir: string;
  /** PID of the control daemon, from its pid file. */
  controlPid?: number;
  /** This process started it, so this process stops it. */
  owned: boolean;
  /** A temporary directory holding pipe/ and log/, removed on stop. */
  tempDir?: string;
}

export interface MpsStatus {
  pipeDir: string;
  running: boolean;
  /** The control daemon's PID: only a live process that /proc shows to be the daemon of pipeDir. */
  controlPid?: number;
  /** A live PID in the pid file that is not the daemon of pipeDir (a stale or forged pid file); never signalled. */
  unverifiedPid?: number;
  servers: Array<{ pid: number; clients: number[] }>;
  /** Why it is not running or could not be asked. */
  reason?: string;
}

export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function controlBinary(): string {
  const exe = findExecutable(MPS_CONTROL);
  if (!exe) {
    throw new ModeUnavailableError(
      'mps',
      `${MPS_CONTROL} was not found on PATH or in ${EXTRA_BIN_DIRS.join(', ')}; it ships with the NVIDIA driver (Debian/Ubuntu: nvidia-compute-utils)`,
    );
  }
  return exe;
}

function daemonEnv(pipeDir: string, logDir: string): NodeJS.ProcessEnv {
  return { ...process.env, CUDA_MPS_PIPE_DIRECTORY: pipeDir, CUDA_MPS_LOG_DIRECTORY: logDir };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(pipeDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(pipeDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid file's PID when it is a live control daemon of `pipeDir`; else undefined, and the PID that is not (or cannot be shown to be). */
function daemonPid(pipeDir: string): { pid?: number; unverified?: { pid: number; problem: string } } {
  const pid = readPid(pipeDir);
  if (pid === undefined || !alive(pid)) return {};
  const problem = controlDaemonProblem(pid, pipeDir);
  if (problem === undefined) return { pid };
  // Another user's process cannot be inspected (and could not be signalled either, unless as root).
  const verdict = processExecutable(pid) === undefined ? 'cannot be shown to be' : 'is not';
  return { unverified: { pid, problem: `${verdict} its control daemon: ${problem}` } };
}

/** Sends SIGKILL to `pid` if it still is what `check` says it must be; a PID that is not is left alone. */
function killIf(pid: number, check: (pid: number) => boolean): void {
  if (!alive(pid) || !check(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The PIDs a daemon's stop may signal, each with what it must still be at that moment. */
function stoppable(daemon: MpsDaemon, servers: number[]): Array<[number, (pid: number) => boolean]> {
  const out: Array<[number, (pid: number) => boolean]> = [];
  if (daemon.controlPid !== undefined) out.push([daemon.controlPid, (pid) => controlDaemonProblem(pid, daemon.pipeDir) === undefined]);
  for (const server of servers) if (isMpsServer(server)) out.push([server, isMpsServer]);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(stepMs);
  }
  return check();
}

/** Sends one command to the control daemon and returns its answer. */
export function mpsCommand(pipeDir: string, command: string, timeoutMs = 5000, logDir = pipeDir): Promise<string> {
  const exe = controlBinary();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(exe, [], { env: daemonEnv(pipeDir, logDir), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${MPS_CONTROL} did not answer '${command}' within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out.trim());
      else reject(new Error(`${MPS_CONTROL} '${command}' exited with ${code}: ${(err || out).trim()}`));
    });
    child.stdin.end(`${command}\n`);
  });
}

async function logTail(logDir: string, lines = 3): Promise<string> {
  try {
    const text = await readFile(join(logDir, 'control.log'), 'utf8');
    return text.trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

function hints(): string {
  const out: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    out.push("you are not root: a system MPS daemon or another user's server may hold the GPU");
  }
  out.push('an MPS server needs the GPU in Default or Exclusive-process compute mode with no other process holding it exclusively');
  return out.join('; ');
}

const owned = new Set<MpsDaemon>();
let exitHookInstalled = false;

/** Last resort on process exit: synchronous quit, then SIGKILL what is left. */
function stopOwnedSync(): void {
  for (const daemon of owned) {
    const exe = findExecutable(MPS_CONTROL);
    const targets = stoppable(daemon, serverPidsSync(daemon));
    if (exe) spawnSync(exe, [], { env: daemonEnv(daemon.pipeDir, daemon.logDir), input: 'quit\n', timeout: 3000 });
    for (const [pid, check] of targets) killIf(pid, check);
  }
  owned.clear();
}

function serverPidsSync(daemon: MpsDaemon): number[] {
  const exe = findExecutable(MPS_CONTROL);
  if (!exe) return [];
  const r = spawnSync(exe, [], { env: daemonEnv(daemon.pipeDir, daemon.logDir), input: 'get_server_list\n', timeout: 2000, encoding: 'utf8' });
  return parsePids(r.stdout ?? '');
}

export function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .map((x) => Number(x))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export interface StartOptions {
  /** Pipe directory (default: a new private temporary directory). */
  pipeDir?: string;
  logDir?: string;
  /** Stop the daemon when this process exits (true for a run's own daemon, false for `mps start`). */
  stopOnExit: boolean;
}

/**
 * Starts a control daemon with its own pipe and log directories and brings up its server, so a
 * failure shows here, with the daemon's own words, rather than later in every client.
 */
export async function startMpsDaemon(options: StartOptions): Promise<MpsDaemon> {
  const exe = controlBinary();
  let tempDir: string | undefined;
  let pipeDir = options.pipeDir;
  let logDir = options.logDir;
  if (!pipeDir) {
    tempDir = await mkdtemp(join(tmpdir(), 'gpushare-micro-mps-'));
    pipeDir = join(tempDir, 'pipe');
  }
  logDir ??= tempDir ? join(tempDir, 'log') : join(pipeDir, 'log');
  pipeDir = resolve(pipeDir);
  logDir = resolve(logDir);
  await mkdir(pipeDir, { recursive: true, mode: 0o700 });
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  // A pid file naming a process that is not this directory's daemon is stale: the new daemon replaces it.
  const existing = daemonPid(pipeDir).pid;
  if (existing !== undefined) {
    throw new ModeUnavailableError(
      'mps',
      `an MPS control daemon (pid ${existing}) already listens in ${pipeDir}; attach to it with --mps-pipe ${pipeDir} or stop it with \`gpushare-micro mps stop --pipe ${pipeDir}\``,
    );
  }
  const started = spawnSync(exe, ['-d'], { env: daemonEnv(pipeDir, logDir), timeout: 10_000, encoding: 'utf8' });
  if (started.error || started.status !== 0) {
    const why = started.error?.message ?? `exit code ${started.status}: ${(started.stderr || started.stdout || '').trim()}`;
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw new ModeUnavailableError('mps', `${MPS_CONTROL} -d failed (${why}); ${hints()}`);
  }
  const daemon: MpsDaemon = { pipeDir, logDir, owned: true };
  if (tempDir) daemon.tempDir = tempDir;
  await waitUntil(() => daemonPid(pipeDir).pid !== undefined, 5000);
  const pid = daemonPid(pipeDir).pid;
  if (pid !== undefined) daemon.controlPid = pid;
  if (options.stopOnExit) {
    owned.add(daemon);
    if (!exitHookInstalled) {
      process.once('exit', stopOwnedSync);
      exitHookInstalled = true;
    }
  }
  // Bring the server up now: this is where a GPU that MPS cannot use says so.
  try {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    await mpsCommand(pipeDir, `start_server -uid ${uid}`, 15_000, logDir);
    const up = await waitUntil(() => serverPidsSync(daemon).length > 0, 10_000, 100);
    if (!up) throw new Error('no server appeared');
  } catch (error) {
    const tail = await logTail(logDir);
    await stopMpsDaemon(daemon);
    throw new ModeUnavailableError('mps', `the MPS server did not start (${(error as Error).message}${tail ? `; control.log: ${tail}` : ''}); ${hints()}`);
  }
  return daemon;
}

/** A daemon someone else started, listening in `pipeDir`; never stopped by this process. */
export function attachMpsDaemon(pipeDir: string): MpsDaemon {
  const dir = resolve(pipeDir);
  const { pid, unverified } = existsSync(dir) ? daemonPid(dir) : {};
  // A daemon in another PID namespace (the device plugin's, in another container of a pod) cannot be
  // seen, only its control socket in the shared pipe directory: clients need no more. An attached
  // daemon is never signalled, so nothing depends on its PID.
  if (pid === undefined && hasControlSocket(dir)) return { pipeDir: dir, logDir: dir, owned: false };
  if (pid === undefined) {
    const why = unverified ? ` (its pid file names process ${unverified.pid}, which ${unverified.problem})` : '';
    throw new ModeUnavailableError(
      'mps',
      `no MPS control daemon is running with pipe directory ${clip(dir)}${why}; start one with \`gpushare-micro mps start --pipe DIR\``,
    );
  }
  return { pipeDir: dir, logDir: dir, owned: false, controlPid: pid };
}

/** Whether the pipe directory holds the control daemon's socket (`control`). */
function hasControlSocket(pipeDir: string): boolean {
  try {
    return statSync(join(pipeDir, 'control')).isSocket();
  } catch {
    return false;
  }
}

/** Stops a daemon this process started (and its servers); leaves any other alone. */
export async function stopMpsDaemon(daemon: MpsDaemon, timeoutMs = 10_000): Promise<{ stopped: boolean; forced: boolean }> {
  if (!daemon.owned) return { stopped: false, forced: false };
  const servers = serverPidsSync(daemon);
  let forced = false;
  try {
    await mpsCommand(daemon.pipeDir, 'quit', 5000, daemon.logDir);
  } catch {
    // not answering: killed below
  }
  const targets = stoppable(daemon, servers);
  // Gone means the PID no longer exists: a daemon that has quit stays a zombie (no longer shown to be
  // the daemon by /proc) until its parent reaps it, and a PID is reused only after that, so waiting on
  // a verified PID never waits on another process for long and never signals one (killIf checks again).
  const gone = () => targets.every(([pid]) => !alive(pid));
  if (!(await waitUntil(gone, timeoutMs, 100))) {
    forced = true;
    for (const [pid, check] of targets) killIf(pid, check);
    await waitUntil(gone, 3000, 50);
  }
  owned.delete(daemon);
  if (daemon.tempDir) await rm(daemon.tempDir, { recursive: true, force: true });
  return { stopped: true, forced };
}

/** Whether a daemon listens in `pipeDir`, and its servers with their clients. */
export async function mpsStatus(pipeDir: string): Promise<MpsStatus> {
  const dir = resolve(pipeDir);
  const { pid, unverified } = daemonPid(dir);
  const status: MpsStatus = { pipeDir: dir, running: pid !== undefined, servers: [] };
  if (unverified) {
    status.unverifiedPid = unverified.pid;
    status.reason = `its pid file names process ${unverified.pid}, which ${unverified.problem}`;
    return status;
  }
  if (pid === undefined) {
    status.reason = existsSync(dir) ? `no live control daemon (pid file: ${readPid(dir) ?? 'none'})` : 'the directory does not exist';
    return status;
  }
  status.controlPid = pid;
  try {
    for (const server of parsePids(await mpsCommand(dir, 'get_server_list'))) {
      status.servers.push({ pid: server, clients: parsePids(await mpsCommand(dir, `get_client_list ${server}`)) });
    }
  } catch (error) {
    status.reason = (error as Error).message;
  }
  return status;
}

/** The pipe directory `gpushare-micro mps start|stop|status` use when none is given. */
export function defaultPipeDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return join(tmpdir(), `gpushare-micro-mps-${uid}`, 'pipe');
}

export { logTail as mpsLogTail };

// A pid file in an MPS pipe directory is only a claim: `mps stop` and `mps status` must not signal or
// name a process that /proc does not show to be that directory's control daemon. The stand-in daemons
// here are copies of sleep(1) named nvidia-cuda-mps-control (no GPU, no MPS needed). Needs
// `npm run build:ts` (npm test does it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeUnavailableError } from '../src/errors.js';
import { attachMpsDaemon, findExecutable } from '../src/mps/daemon.js';
import { controlDaemonProblem, isMpsServer } from '../src/mps/process.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const found = findExecutable('sleep');
/** sleep(1) as /proc/PID/exe shows it (symbolic links resolved). */
const sleepBinary = found && realpathSync(found);
const PID_FILE = 'nvidia-cuda-mps-control.pid';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanups.splice(0).reverse()) undo();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gsm-mps-pid-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process that lives for a minute (killed after the test), once it runs its program. */
async function start(file: string, env: NodeJS.ProcessEnv = {}, stdio: Array<'ignore' | number> = ['ignore', 'ignore', 'ignore']): Promise<ChildProcess> {
  const child = spawn(file, ['60'], { env, stdio });
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

/** A copy of sleep(1) named like the MPS control daemon, in its own directory. */
function fakeControl(): string {
  const file = join(tempDir(), 'nvidia-cuda-mps-control');
  copyFileSync(sleepBinary!, file);
  return file;
}

function cliRun(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe.skipIf(process.platform !== 'linux' || !sleepBinary)('MPS pid files', () => {
  it('mps stop refuses a forged pid file in one line and leaves its process alone; mps status does not name it', async () => {
    const pipe = tempDir();
    const bystander = await start(sleepBinary!);
    writeFileSync(join(pipe, PID_FILE), `${bystander.pid}\n`);

    const stop = cliRun('mps', 'stop', '--pipe', pipe);
    expect(stop.status).toBe(2);
    expect(stop.stdout).toBe('');
    const lines = stop.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gpushare-micro: invalid --pipe: /);
    expect(lines[0]).toContain(`its pid file names process ${bystander.pid}`);
    expect(lines[0]).toContain('nothing was signalled');

    const status = cliRun('mps', 'status', '--pipe', pipe);
    expect(status.status).toBe(0);
    expect(status.stderr).toBe('');
    expect(status.stdout.trim().split('\n')).toEqual([
      `MPS: not running in ${pipe} (its pid file names process ${bystander.pid}, which is not its control daemon: process ${bystander.pid} runs ${sleepBinary}, not nvidia-cuda-mps-control)`,
    ]);
    const json = JSON.parse(cliRun('mps', 'status', '--pipe', pipe, '--json').stdout) as { running: boolean; controlPid?: number; unverifiedPid?: number };
    expect(json).toMatchObject({ running: false, unverifiedPid: bystander.pid });
    expect(json.controlPid).toBeUndefined();

    // Still there, not even asked to quit.
    expect(alive(bystander.pid!)).toBe(true);
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
  });

  it('a process named nvidia-cuda-mps-control is the daemon only of the pipe directory in its environment', async () => {
    const pipe = tempDir();
    const other = tempDir();
    const daemon = await start(fakeControl(), { CUDA_MPS_PIPE_DIRECTORY: pipe });
    expect(controlDaemonProblem(daemon.pid!, pipe)).toBeUndefined();
    // The same directory through a symbolic link.
    const link = join(tempDir(), 'link');
    symlinkSync(pipe, link);
    expect(controlDaemonProblem(daemon.pid!, link)).toBeUndefined();
    expect(controlDaemonProblem(daemon.pid!, other)).toBe(`process ${daemon.pid} is an nvidia-cuda-mps-control of another pipe directory (${pipe})`);
    // Told about another directory, mps stop signals nothing.
    writeFileSync(join(other, PID_FILE), `${daemon.pid}`);
    const stop = cliRun('mps', 'stop', '--pipe', other);
    expect(stop.status).toBe(2);
    expect(stop.stderr).toContain('of another pipe directory');
    expect(alive(daemon.pid!)).toBe(true);
    expect(isMpsServer(daemon.pid!)).toBe(false);
  });

  it('a daemon started without the variable (the default directory) is known by the socket it holds in the pipe directory', async () => {
    const pipe = tempDir();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(pipe, 'control'), resolve));
    cleanups.push(() => server.close());
    // The child inherits the listening socket as its stdin, as the real daemon holds its own.
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const daemon = await start(fakeControl(), {}, [fd, 'ignore', 'ignore']);
    expect(controlDaemonProblem(daemon.pid!, pipe)).toBeUndefined();
    expect(controlDaemonProblem(daemon.pid!, tempDir())).toMatch(/of another pipe directory$/);
  });

  it('names a process that is gone or not an MPS daemon', async () => {
    const bystander = await start(sleepBinary!);
    expect(controlDaemonProblem(bystander.pid!, tempDir())).toBe(`process ${bystander.pid} runs ${sleepBinary}, not nvidia-cuda-mps-control`);
    expect(controlDaemonProblem(2 ** 22 + 1, tempDir())).toMatch(/cannot be inspected/);
  });

  it('attaches to a daemon it cannot see (another container) by its control socket, and to nothing without one', async () => {
    const dir = tempDir();
    expect(() => attachMpsDaemon(dir)).toThrow(ModeUnavailableError);
    // A pid file naming a process of another PID namespace: here, one that does not exist.
    writeFileSync(join(dir, PID_FILE), `${2 ** 22 + 3}\n`);
    expect(() => attachMpsDaemon(dir)).toThrow(/no MPS control daemon is running/);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'control'), resolve));
    cleanups.push(() => server.close());
    const daemon = attachMpsDaemon(dir);
    expect(daemon).toEqual({ pipeDir: realpathSync(dir), logDir: realpathSync(dir), owned: false });
  });
});

// A run's live status, for `monitor` (another process): while `run` measures, it keeps a small JSON
// file in a per-user directory up to date at each phase and each measured run (mode, clients, phase,
// run i of N, and once measured the switch rate, worst slowdown and worst p99 against solo), and
// removes it when it ends, however it ends. The monitor reads the directory every frame, skips
// files whose process is gone (removing them) and files that do not parse, and shows and exports
// the rest. A figure the run does not have yet is absent from the file, never 0.
//
// Where: $GPUSHARE_RUN_STATUS_DIR if set, else $XDG_RUNTIME_DIR/gpushare-micro/runs, else
// <tmpdir>/gpushare-micro-<uid>/runs; created 0700, and used only if it is this user's and not
// writable by others. GPUSHARE_PUBLISH=0 turns publishing off.
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { RunConfig } from '../config.js';
import { systemReason } from '../errors.js';
import { headline } from '../report/headline.js';
import { writeJsonAtomic } from '../report/json.js';
import type { RunResultJson } from '../report/schema.js';
import type { Progress } from '../run.js';

export const RUN_STATUS_SCHEMA = 'gpushare-micro/run-status';

const positive = z.number().int().positive();
const ratio = z.number().nonnegative();

export const runStatusSchema = z.object({
  schema: z.literal(RUN_STATUS_SCHEMA),
  version: z.literal(1),
  /** The process that measures (the file is <pid>.json). */
  pid: positive,
  /** Its user (the monitor removes a stale file only if it is its own user's). */
  uid: z.number().int().nonnegative().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  command: z.array(z.string()).optional(),
  mode: z.string().min(1),
  /** Clients in the shared phase. */
  clients: positive,
  device: z.number().int().nonnegative(),
  /** starting: before the first phase; solo: a role alone (the baseline); shared: the clients together;
   * analysing: every client of the phase has finished and the run reads their traces (the GPU idles). */
  phase: z.enum(['starting', 'solo', 'shared', 'analysing']),
  /** The role measured alone, in the solo phase. */
  role: z.string().optional(),
  /** With --runs N: which run (1-based) and how many. */
  run: positive.optional(),
  runs: positive.optional(),
  /** The client processes of the current phase, as they became ready. */
  clientPids: z.array(positive).optional(),
  /** The last measured run's figures; each absent until the run has it (e.g. no switches under MPS). */
  measured: z
    .object({
      run: positive.optional(),
      switchesPerSecond: ratio.optional(),
      worstSlowdown: ratio.optional(),
      worstP99VsSolo: ratio.optional(),
    })
    .optional(),
});
export type RunStatus = z.infer<typeof runStatusSchema>;

/** The directory of this user's run status files. */
export function runStatusDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GPUSHARE_RUN_STATUS_DIR) return env.GPUSHARE_RUN_STATUS_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'gpushare-micro', 'runs');
  return join(tmpdir(), `gpushare-micro-${process.getuid?.() ?? 'user'}`, 'runs');
}

/** Whether a run publishes its status (GPUSHARE_PUBLISH=0 or false: no). */
export function publishingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !['0', 'false', 'no', 'off'].includes((env.GPUSHARE_PUBLISH ?? '').toLowerCase());
}

/** Creates `dir` (0700) and checks that it is a directory of this user that no one else may write; throws a one-line reason. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = lstatSync(dir);
  if (!s.isDirectory()) throw new Error(`${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && s.uid !== uid) throw new Error(`${dir} belongs to another user (uid ${s.uid})`);
  if ((s.mode & 0o022) !== 0) throw new Error(`${dir} is writable by others (mode ${(s.mode & 0o777).toString(8)})`);
}

export interface PublisherOptions {
  dir?: string;
  command?: string[];
  /** Told once when publishing fails (default: a line on stderr); the run goes on. */
  warn?: (message: string) => void;
  pid?: number;
}

/** The three figures `monitor` shows of a measured run, as headline() reads them from a result. */
function figures(event: Extract<Progress, { type: 'measured' }>): NonNullable<RunStatus['measured']> {
  const h = headline({ comparison: event.comparison, shared: event.shared } as Pick<RunResultJson, 'comparison' | 'shared'> as RunResultJson);
  const out: NonNullable<RunStatus['measured']> = {};
  if (event.run !== undefined) out.run = event.run;
  if (h.switchesPerSecond !== undefined) out.switchesPerSecond = h.switchesPerSecond;
  if (h.worstSlowdown !== undefined) out.worstSlowdown = h.worstSlowdown;
  if (h.worstP99VsSolo !== undefined) out.worstP99VsSolo = h.worstP99VsSolo;
  return out;
}

/** Keeps one run's status file: written at each phase and measured run, removed by close() or at exit. */
export class RunStatusPublisher {
  private pending: Promise<void> = Promise.resolve();
  private closed = false;
  private failed = false;
  private readonly removeAtExit = () => this.removeNow();
  /** The current phase's clients, and how many of them have finished. */
  private phaseProcs = 0;
  private finished = 0;

  private constructor(
    readonly file: string,
    private status: RunStatus,
    private readonly warn: (message: string) => void,
  ) {
    process.once('exit', this.removeAtExit);
  }

  /** Starts publishing `config`'s run; undefined when publishing is off or the directory cannot be used (said once through `warn`). */
  static start(config: RunConfig, options: PublisherOptions = {}): RunStatusPublisher | undefined {
    if (!publishingEnabled()) return undefined;
    const warn = options.warn ?? ((message: string) => process.stderr.write(`gpushare-micro: ${message}\n`));
    const dir = options.dir ?? runStatusDir();
    try {
      ensurePrivateDir(dir);
    } catch (error) {
      warn(`not publishing the run's status for monitor: ${error instanceof Error && !('code' in error) ? error.message : systemReason(error)}`);
      return undefined;
    }
    const pid = options.pid ?? process.pid;
    const now = new Date().toISOString();
    const uid = process.getuid?.();
    const status: RunStatus = {
      schema: RUN_STATUS_SCHEMA,
      version: 1,
      pid,
      ...(uid !== undefined ? { uid } : {}),
      startedAt: now,
      updatedAt: now,
      ...(options.command ? { command: options.command } : {}),
      mode: config.mode,
      clients: config.procs,
      device: config.device,
      phase: 'starting',
      ...((config.runs ?? 1) > 1 ? { run: 1, runs: config.runs } : {}),
    };
    const publisher = new RunStatusPublisher(join(dir, `${pid}.json`), status, warn);
    publisher.write();
    return publisher;
  }

  /** A progress listener that updates the file, then tells `next` (the terminal's progress printer, say). */
  listener(next?: (event: Progress) => void): (event: Progress) => void {
    return (event) => {
      this.update(event);
      next?.(event);
    };
  }

  update(event: Progress): void {
    if (this.closed) return;
    const s = this.status;
    if ('label' in event && event.type === 'phase') {
      // A new phase: its role and client processes replace the last phase's; the measured figures stay.
      const next: RunStatus = { ...s, phase: event.label === 'baseline' ? 'solo' : 'shared', clientPids: [] };
      this.phaseProcs = event.procs;
      this.finished = 0;
      delete next.role;
      if (event.label === 'baseline' && event.role !== undefined) next.role = event.role;
      if (event.run !== undefined) Object.assign(next, { run: event.run, runs: event.runs });
      this.status = next;
    } else if ('phase' in event && event.type === 'ready') {
      this.status = { ...s, clientPids: [...(s.clientPids ?? []), event.pid] };
    } else if ('phase' in event && event.type === 'finished') {
      this.finished += 1;
      if (this.finished < this.phaseProcs || s.phase === 'starting') return;
      this.status = { ...s, phase: 'analysing' };
    } else if (event.type === 'measured') {
      this.status = { ...s, measured: figures(event) };
    } else {
      return;
    }
    this.write();
  }

  private write(): void {
    const snapshot = { ...this.status, updatedAt: new Date().toISOString() };
    this.status = snapshot;
    // One write at a time, in order: the file always holds the latest complete status.
    this.pending = this.pending.then(async () => {
      if (this.closed || this.failed) return;
      try {
        await writeJsonAtomic(this.file, snapshot);
      } catch (error) {
        this.failed = true;
        this.warn(`not publishing the run's status for monitor: ${(error as Error).message}`);
      }
    });
  }

  /** Resolves once every update so far is written (or given up). */
  flushed(): Promise<void> {
    return this.pending;
  }

  /** Stops publishing and removes the file (also done at process exit, e.g. after a second Ctrl-C). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending;
    process.off('exit', this.removeAtExit);
    await rm(this.file, { force: true }).catch(() => {});
  }

  private removeNow(): void {
    this.closed = true;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunStatusReading {
  runs: RunStatus[];
  /** One line per file skipped because it does not parse (a corrupt or foreign file). */
  notes: string[];
}

/**
 * The runs in progress: every <pid>.json in `dir` whose process is alive and that parses, by pid. A file
 * whose process is gone is skipped, and removed if it is this user's; a missing directory is no run.
 */
export async function readRunStatuses(dir = runStatusDir(), alive: (pid: number) => boolean = processAlive): Promise<RunStatusReading> {
  const out: RunStatusReading = { runs: [], notes: [] };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  const pids = names.filter((n) => /^[1-9]\d*\.json$/.test(n)).map((n) => Number.parseInt(n, 10));
  for (const pid of pids.sort((a, b) => a - b)) {
    const file = join(dir, `${pid}.json`);
    if (!alive(pid)) {
      await removeIfMine(file);
      continue;
    }
    try {
      const result = runStatusSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!result.success) {
        const issue = result.error.issues[0];
        out.notes.push(`skipped ${file}: not a run status (${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'})`);
      } else if (result.data.pid !== pid) {
        out.notes.push(`skipped ${file}: it names pid ${result.data.pid}`);
      } else {
        out.runs.push(result.data);
      }
    } catch (error) {
      // Gone between the listing and the read: the run ended.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        out.notes.push(`skipped ${file}: ${error instanceof SyntaxError ? 'not JSON' : systemReason(error)}`);
    }
  }
  return out;
}

/** Removes a stale status file, only if it belongs to this user. */
async function removeIfMine(file: string): Promise<void> {
  const owner = await lstat(file).then(
    (s) => s.uid,
    () => undefined,
  );
  if (owner !== undefined && owner === process.getuid?.()) await rm(file, { force: true }).catch(() => {});
}

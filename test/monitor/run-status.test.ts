// A run's live status for `monitor` (src/monitor/run-status.ts), with stand-in clients (no GPU): the run
// publishes its phases and figures, the monitor's reader sees them while it runs and nothing after;
// stale, corrupt and foreign files are skipped; publishing can be turned off. Also a run's status
// file removed when its process exits without closing (needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src/config.js';
import { pick } from '../../src/metrics/summary.js';
import { measure } from '../../src/run.js';
import { publishingEnabled, readRunStatuses, RunStatusPublisher, runStatusDir, runStatusSchema, type RunStatus } from '../../src/monitor/run-status.js';
import { standInDevice } from '../fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('../fixtures/stand-in-client.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-status-'));
});
afterEach(async () => {
  delete process.env.STAND_IN_PROCS;
  await rm(dir, { recursive: true, force: true });
});

/** A pid that surely belongs to no process now: a child's, after it exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  expect(r.status).toBe(0);
  return r.pid!;
}

function status(pid: number): RunStatus {
  const at = '2026-12-02T08:00:00.000Z';
  return { schema: 'gpushare-micro/run-status', version: 1, pid, startedAt: at, updatedAt: at, mode: 'timeslice', clients: 2, device: 0, phase: 'shared' };
}

describe('run status, published by a run with stand-in clients', () => {
  it('says each phase, the clients, and each measured run, while the run lasts and not after', async () => {
    process.env.STAND_IN_PROCS = '2';
    const config = resolveRunConfig({ procs: 2, duration: '300ms', warmup: '0ms', size: 256, seed: 1, runs: 2 });
    const publisher = RunStatusPublisher.start(config, { dir, command: ['gpushare-micro', 'run', '-p', '2', '--runs', '2'] })!;
    expect(publisher).toBeDefined();
    const seen: RunStatus[] = [];
    const looks: Promise<void>[] = [];
    const look = () => looks.push(publisher.flushed().then(async () => void seen.push(...(await readRunStatuses(dir)).runs)));
    const result = await measure(config, {
      clientModule,
      ...standInDevice(),
      onProgress: publisher.listener((e) => {
        if (e.type === 'phase' || e.type === 'measured' || ('phase' in e && e.type === 'started')) look();
      }),
    });
    await Promise.all(looks);
    expect(result.complete).toBe(true);
    for (const s of seen) expect(s).toMatchObject({ pid: process.pid, mode: 'timeslice', clients: 2, device: 0, runs: 2 });
    const phases = seen.map((s) => `${s.phase}${s.role ? ` ${s.role}` : ''} ${s.run}/${s.runs}`);
    for (const p of ['solo gemm 1/2', 'shared 1/2', 'solo gemm 2/2', 'shared 2/2']) expect(phases).toContain(p);
    // The shared phase's two client processes, once started.
    expect(seen.some((s) => s.phase === 'shared' && s.clientPids?.length === 2)).toBe(true);
    // No figure before the first shared phase is measured; then the run's own, absent where it has none.
    expect(seen.find((s) => s.phase === 'solo' && s.run === 1)!.measured).toBeUndefined();
    // The first run's own figures, as the result records them (its headline figures are the medians).
    const measured = seen.filter((s) => s.measured?.run === 1).map((s) => s.measured!)[0]!;
    const first = result.repeats!.perRun[0]!;
    expect(measured.worstSlowdown).toBe(pick(first.comparison, 'slowdown.max')!.value);
    expect(measured.worstP99VsSolo).toBe(Math.max(...first.clients.map((c) => pick(c.summaries, 'latency.p99.vsSolo')!.value)));
    expect(measured.switchesPerSecond).toBeGreaterThan(0);
    // The file still holds the last run's figures until the run is over.
    const last = (await readRunStatuses(dir)).runs;
    expect(last.map((s) => s.measured?.run)).toEqual([2]);
    expect(last[0]!.command).toEqual(['gpushare-micro', 'run', '-p', '2', '--runs', '2']);
    await publisher.close();
    expect(await readdir(dir)).toEqual([]);
    expect((await readRunStatuses(dir)).runs).toEqual([]);
    // Closed: later progress writes nothing.
    publisher.update({ type: 'phase', label: 'shared', procs: 2 });
    await publisher.flushed();
    expect(await readdir(dir)).toEqual([]);
  });

  it('says analysing once every client of the phase has finished, and the next phase after it', async () => {
    const publisher = RunStatusPublisher.start(resolveRunConfig({ procs: 2 }), { dir })!;
    const phase = async () => {
      await publisher.flushed();
      return (await readRunStatuses(dir)).runs[0]!.phase;
    };
    const finished = (client: number) => ({ phase: 'shared' as const, type: 'finished' as const, client, status: { ok: true } as never });
    publisher.update({ type: 'phase', label: 'shared', procs: 2 });
    publisher.update(finished(0));
    expect(await phase()).toBe('shared');
    publisher.update(finished(1));
    expect(await phase()).toBe('analysing');
    publisher.update({ type: 'phase', label: 'baseline', procs: 1, role: 'gemm' });
    expect(await phase()).toBe('solo');
    await publisher.close();
  });

  it('is removed when the process exits without closing it (e.g. a second Ctrl-C)', async () => {
    const script = `
      const { RunStatusPublisher } = await import(${JSON.stringify(join(dist, 'monitor/run-status.js'))});
      const { resolveRunConfig } = await import(${JSON.stringify(join(dist, 'config.js'))});
      const { existsSync } = await import('node:fs');
      const p = RunStatusPublisher.start(resolveRunConfig({ procs: 3 }), { dir: ${JSON.stringify(dir)} });
      await p.flushed();
      console.log(existsSync(p.file) ? 'present' : 'absent');
      process.exit(130);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('present');
    expect(r.status).toBe(130);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('run status, kept by the run command', () => {
  it('is gone when `run` ends on an error (here: no GPU), and says nothing on the way', async () => {
    const r = spawnSync(process.execPath, [join(dist, 'cli/main.js'), '-p', '2', '--duration', '1s'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, GPUSHARE_RUN_STATUS_DIR: dir },
    });
    // With a GPU the run measures (exit 0) and the file is gone just the same.
    expect([0, 3]).toContain(r.status);
    expect(r.stderr).not.toContain('not publishing');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('run status, read by the monitor', () => {
  it('skips and removes the file of a process that is gone', async () => {
    const pid = deadPid();
    await writeFile(join(dir, `${pid}.json`), JSON.stringify(status(pid)));
    await writeFile(join(dir, `${process.pid}.json`), JSON.stringify(status(process.pid)));
    const r = await readRunStatuses(dir);
    expect(r.runs.map((s) => s.pid)).toEqual([process.pid]);
    expect(r.notes).toEqual([]);
    expect(await readdir(dir)).toEqual([`${process.pid}.json`]);
  });

  it('skips a corrupt, foreign or misnamed file with a one-line note, and other files without one', async () => {
    const file = join(dir, `${process.pid}.json`);
    await writeFile(file, '{"schema": "gpushare-micro/run-status", "pid":');
    await writeFile(join(dir, 'notes.txt'), 'not a status');
    let r = await readRunStatuses(dir);
    expect(r.runs).toEqual([]);
    expect(r.notes).toEqual([`skipped ${file}: not JSON`]);
    await writeFile(file, JSON.stringify({ ...status(process.pid), clients: 0 }));
    r = await readRunStatuses(dir);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/^skipped .*: not a run status \(clients: /);
    await writeFile(file, JSON.stringify(status(1)));
    expect((await readRunStatuses(dir, () => true)).notes).toEqual([`skipped ${file}: it names pid 1`]);
    // A live process's file stays, whatever it holds.
    expect(await readdir(dir)).toContain(`${process.pid}.json`);
  });

  it('sees no run where the directory does not exist', async () => {
    expect(await readRunStatuses(join(dir, 'none'))).toEqual({ runs: [], notes: [] });
  });

  it('accepts exactly what a publisher writes', () => {
    expect(runStatusSchema.parse(status(7))).toEqual(status(7));
    expect(runStatusSchema.safeParse({ ...status(7), measured: { worstSlowdown: -1 } }).success).toBe(false);
  });
});

describe('run status, where and whether', () => {
  it('lives in the runtime directory, or a per-user one under tmp, unless told', () => {
    expect(runStatusDir({ GPUSHARE_RUN_STATUS_DIR: '/x/y' })).toBe('/x/y');
    expect(runStatusDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/gpushare-micro/runs');
    expect(runStatusDir({})).toBe(join(tmpdir(), `gpushare-micro-${process.getuid!()}`, 'runs'));
  });

  it('is off with GPUSHARE_PUBLISH=0', () => {
    expect(publishingEnabled({})).toBe(true);
    expect(publishingEnabled({ GPUSHARE_PUBLISH: '1' })).toBe(true);
    for (const off of ['0', 'false', 'OFF', 'no']) expect(publishingEnabled({ GPUSHARE_PUBLISH: off })).toBe(false);
    const saved = process.env.GPUSHARE_PUBLISH;
    process.env.GPUSHARE_PUBLISH = '0';
    try {
      expect(RunStatusPublisher.start(resolveRunConfig({ procs: 2 }))).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.GPUSHARE_PUBLISH;
      else process.env.GPUSHARE_PUBLISH = saved;
    }
  });

  it('creates its directory private, and refuses one that others may write, saying so once', async () => {
    const mine = join(dir, 'a', 'runs');
    const publisher = RunStatusPublisher.start(resolveRunConfig({ procs: 2 }), { dir: mine, pid: 4_000_000 })!;
    await publisher.flushed();
    expect(await readdir(mine)).toEqual(['4000000.json']);
    await publisher.close();
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const warnings: string[] = [];
    expect(RunStatusPublisher.start(resolveRunConfig({ procs: 2 }), { dir: open, warn: (m) => warnings.push(m) })).toBeUndefined();
    expect(warnings).toEqual([`not publishing the run's status for monitor: ${open} is writable by others (mode 777)`]);
  });
});

// Every sharing mode on the GPU: streams and green contexts in one process, MPS with the tool's own
// daemon (and none left behind, also when a client is killed mid-run), and an interrupted sweep
// that resumes.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PrepareInfo } from '../../src/binding/contract.js';
import { decodeIntervals } from '../../src/metrics/traces.js';
import { pick } from '../../src/metrics/summary.js';
import { findExecutable, MPS_CONTROL } from '../../src/mps/daemon.js';
import { validateRunResult } from '../../src/report/schema.js';
import { run } from '../../src/run.js';
import { planSweep } from '../../src/sweep/plan.js';
import { runSweep } from '../../src/sweep/runner.js';
import { gemmWorkload, loopConfig } from '../fixtures/loops.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('modes.test.ts');
const hasMps = findExecutable(MPS_CONTROL) !== undefined;
if (gpu.available && !hasMps) console.warn('[skip] modes.test.ts MPS tests: nvidia-cuda-mps-control not found');

/** PIDs of MPS daemons and servers on this machine (pgrep -f: their command lines). */
function mpsProcesses(): string[] {
  const r = spawnSync('pgrep', ['-a', '-f', 'nvidia-cuda-mps'], { encoding: 'utf8' });
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l && !l.includes('pgrep'));
}

describe.skipIf(!gpu.available)('sharing modes on the GPU', () => {
  it('green contexts: each loop runs only on its own SMs, disjoint from the other', async () => {
    const binding = gpu.binding!;
    const p = await binding.smPartitioning(0);
    expect(p.supported).toBe(true);
    expect(p.smCount).toBe(gpu.smCount);
    const groups = await binding.createGreenContexts({ device: 0, smCounts: [64, 32] });
    expect(groups.map((g) => g.grantedSms)).toEqual([64, 32]);
    const loops = groups.map(
      (g) => new binding.TimedLoop(loopConfig(gemmWorkload(2048, 7), { greenContext: g.index, durationNs: 0, launches: 20, traceCapacity: 256 * 20 })),
    );
    const infos: PrepareInfo[] = [];
    for (const l of loops) infos.push(await l.prepare());
    expect(infos.map((i) => i.smsAvailable)).toEqual([64, 32]);
    // The persistent wgmma gemm sizes its grid to the context's SMs (one wave), not to the device's.
    expect(infos.map((i) => i.detail)).toEqual(['wgmma, no clusters, 128x256 tiles, 64 CTAs', 'wgmma, no clusters, 128x256 tiles, 32 CTAs']);
    const results = await Promise.all(loops.map((l) => l.run(0n)));
    for (const l of loops) l.release();
    binding.releaseGreenContexts();
    const sms = results.map((r, i) => new Set(Array.from(decodeIntervals(new Uint8Array(r.trace), infos[i]!.clock.gpuNs).sm)));
    expect(sms[0]!.size).toBe(64);
    expect(sms[1]!.size).toBe(32);
    for (const sm of sms[0]!) expect(sms[1]!.has(sm)).toBe(false);
  });

  it('green mode: two clients with the granted split reported', async () => {
    const r = await run({ procs: 2, size: 2048, duration: '1s', mode: 'green', smSplit: [64, 64] });
    expect(r.complete).toBe(true);
    expect(r.shared.clients.map((c) => c.smsAvailable)).toEqual([64, 64]);
    expect(new Set(r.shared.clients.map((c) => c.pid)).size).toBe(1);
    // Half the SMs each: each client is slower than solo, but the two together are not far off.
    for (const c of r.shared.clients) expect(pick(c.summaries, 'slowdown')!.value).toBeGreaterThan(1.3);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it('streams mode: a high-priority stream beats low-priority ones', async () => {
    const r = await run({ procs: 4, size: 2048, duration: '1s', mode: 'streams', priority: ['high', 'low', 'low', 'low'], loop: 'closed' });
    expect(r.complete).toBe(true);
    const [high, low] = r.shared.clients;
    expect(high!.streamPriority).toBeLessThan(low!.streamPriority!);
    expect(r.shared.switches.kind).toBe('concurrent');
    // Its CTAs are scheduled first whenever SMs free up: more launches, lower latency.
    expect(pick(high!.summaries, 'throughput')!.value).toBeGreaterThan(1.5 * pick(low!.summaries, 'throughput')!.value);
    expect(pick(high!.summaries, 'latency.p50')!.value).toBeLessThan(pick(low!.summaries, 'latency.p50')!.value);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it.skipIf(!hasMps)('MPS mode: its own daemon serves the clients, with their limits, and is gone afterwards', async () => {
    expect(mpsProcesses()).toEqual([]);
    const r = await run({ procs: 2, size: 2048, duration: '1s', mode: 'mps', mpsThreads: 50, mpsMem: '2G' });
    expect(r.complete).toBe(true);
    expect(r.modeFacts?.daemon).toBe('started by this run, stopped after it');
    expect(r.modeFacts?.activeThreadPercentage).toEqual([50, 50]);
    expect(r.modeFacts?.pinnedMemoryLimitBytes).toEqual([2 * 2 ** 30, 2 * 2 ** 30]);
    expect(mpsProcesses()).toEqual([]);
    validateRunResult(JSON.parse(JSON.stringify(r)));
  });

  it.skipIf(!hasMps)('MPS mode: a client killed mid-run leaves no MPS process behind', async () => {
    let killed = false;
    const r = await run(
      { procs: 3, size: 4096, duration: '4s', mode: 'mps', baseline: false },
      {
        onProgress: (e) => {
          if ('phase' in e && e.type === 'ready' && e.client === 1 && !killed) {
            killed = true;
            const pid = e.pid;
            // Kill it once the measurement is under way.
            setTimeout(() => process.kill(pid, 'SIGKILL'), 1500);
          }
        },
      },
    );
    expect(killed).toBe(true);
    expect(r.complete).toBe(false);
    expect(r.shared.clients[1]!.status).toMatch(/crashed|timeout/);
    expect(mpsProcesses()).toEqual([]);
  });

  it.skipIf(!hasMps)('mps start|status|stop: a daemon that outlives runs, which attach to it and leave it running', async () => {
    const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const base = await mkdtemp(join(tmpdir(), 'gsm-mps-cli-'));
    const pipe = join(base, 'pipe');
    const sh = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
    try {
      const started = sh('mps', 'start', '--pipe', pipe);
      expect(started.status).toBe(0);
      expect(started.stdout).toContain(`export CUDA_MPS_PIPE_DIRECTORY=${pipe}`);
      const r = await run({ procs: 2, size: 1024, duration: '500ms', mode: 'mps', mpsPipe: pipe });
      expect(r.complete).toBe(true);
      expect(r.modeFacts?.daemon).toBe('attached (left running)');
      // The run left the daemon alone: it still answers, with the server the clients used.
      const status = sh('mps', 'status', '--pipe', pipe, '--json');
      expect(status.status).toBe(0);
      const parsed = JSON.parse(status.stdout) as { running: boolean; servers: unknown[] };
      expect(parsed.running).toBe(true);
      expect(parsed.servers.length).toBeGreaterThan(0);
      // Starting a second daemon on the same pipe is refused with the way out.
      const again = sh('mps', 'start', '--pipe', pipe);
      expect(again.status).toBe(3);
      expect(again.stderr).toContain('already listens');
    } finally {
      const stopped = sh('mps', 'stop', '--pipe', pipe);
      expect(stopped.status).toBe(0);
      await rm(base, { recursive: true, force: true });
    }
    expect(mpsProcesses()).toEqual([]);
  });

  it('options checked against this device fail with one line and exit 2, before any GPU work', async () => {
    const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const sh = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
    const device = (await gpu.binding!.cudaDevices()).devices[0]!;
    const [lo, hi] = [device.streamPriorities!.greatest, device.streamPriorities!.least];
    const cases: [string[], RegExp][] = [
      [['--mode', 'streams', '--procs', '2', '--priority', `${lo - 1},0`], new RegExp(`^gpushare-micro: invalid --priority: .* ${lo}\\.\\.${hi} `)],
      [
        ['--mode', 'green', '--procs', '2', '--sm-split', `${gpu.smCount},${gpu.smCount}`],
        new RegExp(`^gpushare-micro: invalid --sm-split: .*device's ${gpu.smCount} SMs`),
      ],
      [['--mode', 'timeslice', '--mps-threads', '50'], /^gpushare-micro: invalid --mps-threads: expected --mps-threads only with --mode mps/],
    ];
    for (const [args, message] of cases) {
      const r = sh('--kernel', 'gemm', '--size', '1024', '--duration', '200ms', ...args);
      console.log(`[modes] ${args.join(' ')} -> exit ${r.status}: ${r.stderr.trim()}`);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('an interrupted sweep resumes where it stopped', async () => {
    const outDir = join(await mkdtemp(join(tmpdir(), 'gsm-gpu-sweep-')), 'r');
    try {
      const plan = () => planSweep({ sizes: '1024', procs: '1,2', modes: 'timeslice,streams', duration: '300ms', warmup: '50ms', seed: 11 });
      const controller = new AbortController();
      const first = await runSweep(plan(), {
        outDir,
        signal: controller.signal,
        onProgress: (e) => e.type === 'pointDone' && e.index === 0 && controller.abort(),
      });
      expect(first.points.filter((p) => p.status === 'done')).toHaveLength(1);
      const kept = await readFile(join(outDir, first.points[0]!.file!), 'utf8');
      const resumed = await runSweep(plan(), { outDir, resume: true });
      expect(resumed.points.map((p) => p.status)).toEqual(['done', 'done', 'done', 'done']);
      expect(await readFile(join(outDir, resumed.points[0]!.file!), 'utf8')).toBe(kept);
    } finally {
      await rm(join(outDir, '..'), { recursive: true, force: true });
    }
  });
});

// A real run's report and Perfetto trace, through the built CLI: 4 gemm clients under time slicing with
// --cupti and --keep-traces. Skips without a GPU. On an H200 (132 SMs) expected: the report under 1 MB;
// the sidecar beside the result; the trace with a process per client, at most 132 SM threads per client
// (plus a thread per extra co-resident CTA), at most 1,000,000 CTA spans (the default --max-ctas: the
// 4 clients trace ~2,000,000 each), CUPTI kernels per client, and the CTAs of each client inside its own
// kernels as CUPTI timed them (the trace epoch puts both on one clock).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/report/perfetto.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('export.test.ts');
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!gpu.available)('a 4-client run kept, reported and exported', () => {
  it('keeps its CTA traces, reports under 1 MB, and exports CTAs inside their own CUPTI kernels', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpushare-gpu-export-'));
    const result = join(dir, 'run.json');
    const r = cliRun('--kernel', 'gemm', '--procs', '4', '--size', '4096', '--duration', '1s', '--cupti', '--keep-traces', '--json', result, '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'run.traces.gz'))).toBe(true);
    const html = join(dir, 'run.html');
    expect(cliRun('report', result, '-o', html, '-q').status).toBe(0);
    expect((await stat(html)).size).toBeLessThan(1_000_000);
    const out = join(dir, 'run.perfetto.json');
    const e = cliRun('export', '--perfetto', out, result);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/CTA spans/);
    const events = (JSON.parse(await readFile(out, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    const ctas = events.filter((x) => x.cat === 'cta');
    expect(ctas.length).toBeGreaterThan(1000);
    expect(ctas.length).toBeLessThanOrEqual(1_000_000);
    for (let client = 0; client < 4; client++) {
      const pid = 2 + client;
      const threads = events.filter((x) => x.ph === 'M' && x.name === 'thread_name' && x.pid === pid && (x.args as { name: string }).name.startsWith('SM '));
      const sms = new Set(threads.map((x) => (x.args as { name: string }).name.split(' ')[1]));
      expect(sms.size).toBeGreaterThan(100);
      expect(sms.size).toBeLessThanOrEqual(gpu.smCount);
      const kernels = events.filter((x) => x.cat === 'kernel' && x.pid === pid).sort((a, b) => a.ts! - b.ts!);
      expect(kernels.length).toBeGreaterThan(100);
      // Of the client's first 2,000 CTAs, nearly all lie within one of its kernels (5 µs of slack for the clocks).
      const mine = ctas.filter((x) => x.pid === pid).slice(0, 2000);
      const inside = mine.filter((c) => kernels.some((k) => c.ts! >= k.ts! - 5 && c.ts! + c.dur! <= k.ts! + k.dur! + 5)).length;
      expect(inside / mine.length).toBeGreaterThan(0.9);
    }
    expect(events.filter((x) => x.cat === 'switch').length).toBeGreaterThan(100);
  }, 600_000);
});

// run() end to end against stand-in clients (no GPU): phases, ratios against solo, switch analysis
// from the clients' traces, the result schema and the printed table.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pick } from '../src/metrics/summary.js';
import { validateRunResult, writtenRunResultSchema } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import { run } from '../src/run.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
afterEach(() => {
  delete process.env.STAND_IN_PROCS;
  delete process.env.STAND_IN_BEHAVIOUR;
  delete process.env.STAND_IN_TARGET;
});

describe('run() with stand-in clients', () => {
  it('measures solo then shared, compares them, and finds the switches in the traces', async () => {
    process.env.STAND_IN_PROCS = '2';
    const result = await run({ procs: 2, duration: '300ms', size: 256, seed: 1 }, { clientModule, ...standInDevice() });
    expect(result.complete).toBe(true);
    expect(result.baselines.map((b) => [b.role, b.phase.procs])).toEqual([['gemm', 1]]);
    expect(result.shared.clients).toHaveLength(2);
    for (const c of result.shared.clients) {
      expect(c.status).toBe('ok');
      expect(pick(c.summaries, 'slowdown')?.value).toBeGreaterThan(0);
      expect(pick(c.summaries, 'latency.p99')?.value).toBeGreaterThan(5e6);
    }
    // The stand-ins take turns in 2 ms slices with 50 us between them.
    const s = result.shared.switches;
    expect(s.count).toBeGreaterThan(20);
    expect(s.slice!.p50).toBeGreaterThan(1.9e6);
    expect(s.slice!.p50).toBeLessThanOrEqual(2e6);
    expect(s.gap!.p50).toBeGreaterThanOrEqual(50e3);
    expect(s.gap!.p50).toBeLessThan(80e3);
    expect(pick(result.comparison, 'aggregate.vsSolo')).toBeDefined();
    const json: unknown = JSON.parse(JSON.stringify(result));
    validateRunResult(json);
    // The schema RunResult is inferred from holds of what run() wrote, field for field: nothing it
    // does not know is dropped.
    expect(writtenRunResultSchema.parse(json)).toEqual(json);
    const table = formatRunResult(result);
    for (const text of ['solo', 'p99 latency', 'slowdown vs solo', 'aggregate throughput vs solo', 'time slice p50', 'switching overhead']) {
      expect(table).toContain(text);
    }
  });

  it('keeps partial results, marked incomplete, when a client crashes', async () => {
    process.env.STAND_IN_PROCS = '3';
    process.env.STAND_IN_BEHAVIOUR = 'crash-in-run';
    process.env.STAND_IN_TARGET = '2';
    const result = await run({ procs: 3, duration: '2s', size: 256, baseline: false }, { clientModule, ...standInDevice() });
    expect(result.complete).toBe(false);
    expect(result.reason).toMatch(/client 2 .*SIGSEGV/);
    expect(result.shared.clients[2]!.status).toBe('crashed');
    expect(result.shared.clients[2]!.stderr).toContain('simulated segfault');
    expect(result.shared.clients[0]!.status).toBe('stopped');
    expect(result.shared.clients[0]!.launches).toBeGreaterThan(0);
    const json: unknown = JSON.parse(JSON.stringify(result));
    validateRunResult(json);
    expect(writtenRunResultSchema.parse(json)).toEqual(json);
    expect(formatRunResult(result)).toContain('INCOMPLETE');
  });
});

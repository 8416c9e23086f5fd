// The result recorded on the H200 (docs/results, schema version 1) still parses, is upgraded to the
// current version and prints the same figures, and the committed JSON Schema is the one the zod schema
// generates. Every run result and sweep summary recorded there and in examples/ parses under its schema.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../src/report/check.js';
import { loadReportInputs } from '../src/report/inputs.js';
import { readRunResult, runResultJsonSchema, validateRunResult } from '../src/report/schema.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { formatRunResult } from '../src/report/table.js';
import type { RunResult } from '../src/run.js';

const recorded = JSON.parse(readFileSync(new URL('../docs/results/2026-11-29-h200-timeslice/gemm-p4.json', import.meta.url), 'utf8')) as RunResult;

describe('the recorded H200 result', () => {
  it('validates against schema v1, reads as version 2 (one role named after its kernel) and prints the same figures', () => {
    const upgraded = validateRunResult(recorded);
    expect(upgraded.schemaVersion).toBe(2);
    expect(upgraded.options.clients.map((s) => [s.role, s.count, s.kernel, s.loop])).toEqual([['gemm', 4, 'gemm', 'saturate']]);
    expect(upgraded.baselines.map((b) => b.role)).toEqual(['gemm']);
    expect(upgraded.shared.clients.every((c) => c.role === 'gemm')).toBe(true);
    const table = formatRunResult(upgraded as RunResult);
    expect(table).toContain('NVIDIA H200');
    expect(table).toContain('time slice p50       1.95 ms');
    expect(table).toContain('aggregate throughput vs solo  0.90×');
  });

  it('keeps every raw sample', () => {
    for (const c of recorded.shared.clients) {
      expect(c.samples.latencyNs).toHaveLength(c.launches);
      expect(c.samples.gpuNs).toHaveLength(c.launches);
    }
  });

  it('rejects a result of another schema version', () => {
    expect(() => validateRunResult({ ...recorded, schemaVersion: 3 })).toThrow(/schemaVersion/);
    // A version 1 file is not read as version 2, nor the other way round.
    expect(() => validateRunResult({ ...recorded, schemaVersion: 2 })).toThrow(/run v2 result/);
  });
});

describe('docs/result.schema.json', () => {
  it('is generated from the current schema (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../docs/result.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const { $id: _id, title: _title, ...rest } = committed;
    expect(rest).toEqual(runResultJsonSchema());
  });
});

describe('every recorded file', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files = ['docs/results', 'examples']
    .flatMap((d) => readdirSync(join(root, d), { recursive: true, encoding: 'utf8' }).map((f) => join(d, f)))
    .filter((f) => /\.json(\.gz)?$/.test(f))
    .sort();
  const read = (f: string) =>
    JSON.parse((f.endsWith('.gz') ? gunzipSync(readFileSync(join(root, f))) : readFileSync(join(root, f))).toString('utf8')) as { schema?: string };
  const recorded = files.map((f) => ({ file: f, value: read(f) }));
  const runs = recorded.filter((r) => r.value.schema === 'gpushare-micro/run');
  const sweeps = recorded.filter((r) => r.value.schema === 'gpushare-micro/sweep');

  it('of a run result parses under the run schema', () => {
    expect(runs.length).toBeGreaterThanOrEqual(16);
    for (const { file, value } of runs) expect(readRunResult(value), file).toMatchObject({ success: true });
  });

  it('of a sweep summary parses under the sweep schema, and the example sweep loads with every point', async () => {
    expect(sweeps.map((s) => s.file)).toEqual(['docs/results/2026-11-29-h200-modes/summary.json', 'examples/h200-sweep/summary.json']);
    for (const { file, value } of sweeps) expect(checkFile(sweepSummarySchema, value), file).toMatchObject({ success: true });
    const input = await loadReportInputs([join(root, 'examples/h200-sweep')]);
    if (input.kind !== 'sweep') throw new Error('expected a sweep');
    expect(input.points.filter((p) => p.run).length).toBe(12);
    expect(input.points.filter((p) => p.problem)).toEqual([]);
  });
});

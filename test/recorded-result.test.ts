// The result recorded on the H200 (docs/results) still parses under the current schema, prints, and
// the committed JSON Schema is the one the zod schema generates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runResultJsonSchema, validateRunResult } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import type { RunResult } from '../src/run.js';

const recorded = JSON.parse(readFileSync(new URL('../docs/results/2026-11-29-h200-timeslice/gemm-p4.json', import.meta.url), 'utf8')) as RunResult;

describe('the recorded H200 result', () => {
  it('validates against schema v1 and prints the same figures', () => {
    validateRunResult(recorded);
    const table = formatRunResult(recorded);
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
    expect(() => validateRunResult({ ...recorded, schemaVersion: 2 })).toThrow(/schemaVersion/);
  });
});

describe('docs/result.schema.json', () => {
  it('is generated from the current schema (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../docs/result.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const { $id: _id, title: _title, ...rest } = committed;
    expect(rest).toEqual(runResultJsonSchema());
  });
});

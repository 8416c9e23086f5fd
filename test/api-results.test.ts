// The results API a Node user reaches from the package: readResult() reads a recorded run (gzipped, as
// docs/results keeps them), headline() gives its figures as typed fields, buildReport() the HTML report.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, headline, readResult } from '../src/index.js';

const runs = join(import.meta.dirname, '..', 'docs', 'results', '2026-12-02-h200-models', 'runs');

describe('readResult and headline', () => {
  it('a time-sliced run: aggregate, slowdown, fairness, worst p99 and its switches', async () => {
    const input = await readResult(join(runs, 'run-bert-base-infer-own-timeslice.json.gz'));
    expect(input.kind).toBe('run');
    if (input.kind !== 'run') return;
    const result = input.runs[0]!.result;
    const h = headline(result);
    // The figures recorded on the H200 (docs/results/2026-12-02-h200-models/README.md).
    expect(h.aggregateVsSolo).toBeCloseTo(0.91, 2);
    expect(h.worstSlowdown).toBeCloseTo(4.43, 2);
    expect(h.switchingOverhead).toBeCloseTo(0.09, 2);
    expect(h.switchesPerSecond).toBeGreaterThan(100);
    expect(h.worstP99VsSolo).toBeGreaterThan(1);
    expect(h.fairness).toBeGreaterThan(0.9);
  });
  it('an MPS run has no switches, so no switch figures', async () => {
    const input = await readResult(join(runs, 'run-bert-base-infer-own-mps.json.gz'));
    if (input.kind !== 'run') throw new Error(`expected a run, got ${input.kind}`);
    const h = headline(input.runs[0]!.result);
    expect(h.aggregateVsSolo).toBeCloseTo(2.69, 2);
    expect(h.switchesPerSecond).toBeUndefined();
    expect(h.switchingOverhead).toBeUndefined();
  });
  it('a missing file is a one-line error', async () => {
    await expect(readResult(join(runs, 'nope.json'))).rejects.toThrow(/cannot read .*nope\.json/);
  });
});

describe('buildReport', () => {
  it('writes the HTML report of a recorded run from its path', async () => {
    const html = await buildReport(join(runs, 'run-llm-decode-own-mps.json.gz'));
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('llm-decode');
    expect(html).toContain('<svg');
  }, 60_000);
});

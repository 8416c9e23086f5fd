// `advise` on scenario results recorded on the H200 (docs/results/2026-12-01-h200-scenarios): the
// summaries parse, and the advice they give is the one recorded, with its noise. No GPU.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { advise } from '../src/scenario/advise.js';
import { scenarioSummarySchema } from '../src/scenario/result-schema.js';

const recorded = (name: string) =>
  scenarioSummarySchema.parse(JSON.parse(readFileSync(new URL(`../docs/results/2026-12-01-h200-scenarios/${name}/scenario.json`, import.meta.url), 'utf8')));

describe('advice from the recorded H200 scenarios', () => {
  it('train+infer, three repeats: streams, as good as mps within the noise; time slicing misses the inference SLO every time', () => {
    const { pick, lines } = advise({ summary: recorded('train+infer-r3'), objective: 'slo', gpuCost: 3.5 });
    expect(pick.mode).toBe('streams');
    expect(pick.withinNoise).toEqual(['mps']);
    const text = lines.join('\n');
    expect(text).toMatch(/timeslice .* SLOs met in 0 of 3 runs/);
    expect(text).toMatch(/green .* SLOs met in 3 of 3 runs/);
    expect(text).toContain('per hour: 3.50 shared (1 GPU), 7.00 dedicated (2 GPUs)');
  });

  it('a stricter SLO given on the command line leaves no mode that meets it', () => {
    const { pick } = advise({ summary: recorded('train+infer-r3'), objective: 'slo', slos: { infer: [{ percentile: 'p99', maxNs: 500e3 }] } });
    expect(pick.mode).toBeUndefined();
    expect(pick.text).toContain('no run meets every SLO');
  });

  it('every recorded scenario parses and has a verdict for each objective it can judge', () => {
    for (const name of ['train+infer', 'four-tenants', 'notebook+train', 'mix4']) {
      const s = recorded(name);
      expect(s.runs.map((r) => r.mode)).toEqual(['timeslice', 'mps', 'streams', 'green']);
      expect(s.verdicts.length).toBeGreaterThanOrEqual(2);
    }
  });
});

// The verdict every measuring command prints before any table: its lines for recorded H200 results (runs,
// scenarios, a sweep, bench), for stand-in runs, with and without the figures, with intervals and
// warnings; and the layouts of the tables after it (compact fitted to 80 and 120 columns, wide, Markdown).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '../src/api/results.js';
import type { BenchResult } from '../src/bench/bench.js';
import { formatBenchResult } from '../src/report/bench-table.js';
import { loadReportInputs, type ReportInput } from '../src/report/inputs.js';
import { markdownTable, renderGrid, type TextLayout, terminalColumns, textWidth, WIDE } from '../src/report/layout.js';
import { formatScenario } from '../src/report/scenario-table.js';
import { type RunResultJson, runResultSchema } from '../src/report/schema.js';
import { sweepSummarySchema } from '../src/report/sweep-schema.js';
import { formatRunResult } from '../src/report/table.js';
import { formatSweep } from '../src/report/text.js';
import {
  benchVerdict,
  formatVerdict,
  runVerdict,
  scenarioVerdict,
  sloVerdictText,
  sweepVerdict,
  valueWithInterval,
  type VerdictBlock,
  wrapText,
} from '../src/report/verdict.js';
import { run, type RunResult } from '../src/run.js';
import { P99_5MS, scenarioRole, scenarioRun, scenarioSummary } from './fixtures/scenario-runs.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';
import { writeSweep } from './fixtures/report-inputs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const models = join(root, 'docs', 'results', '2026-12-02-h200-models', 'runs');
const scenarios = join(root, 'docs', 'results', '2026-12-01-h200-scenarios');
const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));

async function recordedRun(path: string): Promise<RunResultJson> {
  const input = await readResult(path);
  if (input.kind !== 'run') throw new Error(`expected a run result, got ${input.kind}`);
  return input.runs[0]!.result;
}

async function recorded<K extends ReportInput['kind']>(kind: K, ...paths: string[]): Promise<Extract<ReportInput, { kind: K }>> {
  const input = await loadReportInputs(paths);
  if (input.kind !== kind) throw new Error(`expected ${kind}, got ${input.kind}`);
  return input as Extract<ReportInput, { kind: K }>;
}

const labels = (v: VerdictBlock) => v.lines.map((l) => l.label);
const text = (v: VerdictBlock, label: string) => v.lines.find((l) => l.label === label)?.text;

/** The lines of the tables (their borders and rows) in printed text. */
const tableLines = (printed: string) => printed.split('\n').filter((l) => /^[┌│├└]/.test(l));

function compact(columns: number): TextLayout {
  return { format: 'table', wide: false, columns };
}

describe('the verdict of a run, on recorded H200 runs', () => {
  it('a time-sliced run: aggregate vs solo, worst slowdown and p99 with their clients, switching overhead', async () => {
    const r = await recordedRun(join(models, 'run-bert-base-infer-own-timeslice.json.gz'));
    const v = runVerdict(r);
    expect(labels(v)).toEqual(['aggregate vs solo', 'worst slowdown', 'worst p99 vs solo', 'switching overhead']);
    // The figures of docs/results/2026-12-02-h200-models/README.md.
    expect(text(v, 'aggregate vs solo')).toBe('0.91×: the 4 clients together against one alone');
    expect(text(v, 'worst slowdown')).toMatch(/^4\.43× \(client \d: 23% of its throughput alone\)$/);
    expect(text(v, 'worst p99 vs solo')).toMatch(/^\d+\.\d\d× \(client \d: p99 [\d.]+ ms against [\d.]+ ms alone\)$/);
    expect(text(v, 'switching overhead')).toMatch(/^9\.0% of the traced time in switch gaps \([\d,]+ switch\/s, median gap [\d.]+ µs\)$/);
    const printed = formatVerdict(v);
    expect(printed.split('\n')[0]).toBe('Verdict:');
    // The title, four lines, and the result's warnings (the evidence rules' own, as this version reads the recording) one line each.
    expect(printed.split('\n')).toHaveLength(5 + v.warnings.length);
    expect(printed).not.toMatch(/n\/a|undefined|NaN/);
  });

  it('an MPS run has no switches: no switching line, and nothing printed in its place', async () => {
    const v = runVerdict(await recordedRun(join(models, 'run-bert-base-infer-own-mps.json.gz')));
    expect(labels(v)).toEqual(['aggregate vs solo', 'worst slowdown', 'worst p99 vs solo']);
    expect(text(v, 'aggregate vs solo')).toMatch(/^2\.69×/);
    // The verdict's lines (its warnings may speak of the switch figures' evidence).
    expect(formatVerdict({ ...v, warnings: [] })).not.toMatch(/switch|n\/a|-$/m);
  });

  it('a version 1 result (recorded 2026-11-29) reads the same way', async () => {
    const v = runVerdict(await recordedRun(join(root, 'docs', 'results', '2026-11-29-h200-timeslice', 'gemm-p4.json')));
    expect(text(v, 'aggregate vs solo')).toMatch(/^0\.90×/);
    expect(text(v, 'worst slowdown')).toMatch(/^4\.46×/);
    expect(text(v, 'worst p99 vs solo')).toMatch(/^7\.17× \(client \d: p99 16\.4 ms against 2\.29 ms alone\)$/);
    expect(text(v, 'switching overhead')).toMatch(/^14\.2% .*439 switch\/s, median gap 318 µs/);
  });

  it('figures that are medians of repeated runs print with their confidence interval', async () => {
    const r = await recordedRun(join(models, 'run-bert-base-infer-own-timeslice.json.gz'));
    // The result as --runs writes it: the figures are medians, each with its interval (Summary.ci).
    const ci = (low: number, high: number) => ({ low, high, level: 0.95 });
    const repeated = runResultSchema.parse({
      ...r,
      comparison: r.comparison.map((s) => (s.tag === 'aggregate.vsSolo' ? { ...s, value: 1.05, ci: ci(1.02, 1.08) } : s)),
      shared: {
        ...r.shared,
        aggregate: r.shared.aggregate.map((s) => (s.tag === 'switch.overhead' ? { ...s, value: 0.137, ci: ci(0.129, 0.145) } : s)),
      },
    });
    const v = runVerdict(repeated);
    expect(text(v, 'aggregate vs solo')).toMatch(/^1\.05× \[1\.02–1\.08\]: /);
    expect(text(v, 'switching overhead')).toMatch(/^13\.7% \[12\.9–14\.5%\] of the traced time/);
    // A figure without an interval is printed as before.
    expect(text(v, 'worst slowdown')).toMatch(/^4\.43× \(/);
    expect(valueWithInterval('rate', 434, ci(420, 450), 'switch/s')).toBe('434 switch/s [420–450]');
  });

  it("the result's warnings follow the verdict, each as 'warning: ...', before the table", async () => {
    const r = await recordedRun(join(models, 'run-llm-decode-own-timeslice.json.gz'));
    const warned = runResultSchema.parse({ ...r, warnings: [{ tag: 'occupancy.vsGpm', message: 'SMs busy by the CTA traces and by GPM differ by 30%' }] });
    const printed = formatRunResult(warned as RunResult, compact(120));
    const lines = printed.split('\n');
    const warning = lines.indexOf('warning: SMs busy by the CTA traces and by GPM differ by 30%');
    expect(warning).toBeGreaterThan(lines.indexOf('Verdict:'));
    expect(warning).toBeLessThan(lines.findIndex((l) => l.startsWith('┌')));
    expect(formatVerdict(runVerdict(warned), { format: 'markdown' })).toContain('> **warning:** SMs busy by the CTA traces and by GPM differ by 30%');
  });

  it('an incomplete run says so in its verdict', async () => {
    const r = await recordedRun(join(models, 'run-llm-decode-own-mps.json.gz'));
    const v = runVerdict({ ...r, complete: false, reason: 'client 2 crashed (SIGSEGV)' });
    expect(v.lines.at(-1)).toEqual({ label: 'INCOMPLETE', text: 'client 2 crashed (SIGSEGV)' });
  });
});

describe('the verdict of a run, with stand-in clients', () => {
  it('without a baseline (as probe runs) only the switching overhead is known', async () => {
    process.env.STAND_IN_PROCS = '2';
    try {
      const r = await run({ procs: 2, duration: '300ms', size: 256, seed: 1, sampleMs: 0, baseline: false }, { clientModule, ...standInDevice() });
      const v = runVerdict(r);
      expect(labels(v)).toEqual(['switching overhead']);
      expect(text(v, 'switching overhead')).toMatch(/^\d+\.\d% of the traced time in switch gaps \(\d+ switch\/s, median gap \d+\.?\d* µs\)$/);
    } finally {
      delete process.env.STAND_IN_PROCS;
    }
  }, 60_000);

  it("a role's SLO: met or missed, by how much", async () => {
    process.env.STAND_IN_PROCS = '2';
    try {
      // The stand-ins take turns in 2 ms slices: a p99 under 1 ms cannot be met, one under 10 s is.
      const r = await run({ procs: 2, duration: '300ms', size: 256, seed: 1, sampleMs: 0, slo: 'p50<=10s&p99<=1ms' }, { clientModule, ...standInDevice() });
      const v = runVerdict(r);
      const slo = v.lines.filter((l) => l.label === 'SLO gemm').map((l) => l.text);
      expect(slo).toHaveLength(2);
      expect(slo[0]).toMatch(/^p50 [\d.]+ ms ≤ 10\.0 s: met \(100\.0% of requests within\)$/);
      expect(slo[1]).toMatch(/^p99 [\d.]+ ms > 1\.00 ms: MISSED by [\d.]+ ms \([\d.]+× the bound\) \([\d.]+% of requests within\)$/);
    } finally {
      delete process.env.STAND_IN_PROCS;
    }
  }, 60_000);

  it('sloVerdictText: requests that never started', () => {
    expect(sloVerdictText({ percentile: 'p99', maxNs: 5e6, measuredNs: null, met: false, attainment: 0.5 })).toBe(
      'p99 ≤ 5.00 ms: MISSED, requests never started (50.0% of requests within)',
    );
  });
});

describe('the verdict of a scenario', () => {
  it('recorded train+infer: the picks, then the SLO of inference under every mode', async () => {
    const { summary } = await recorded('scenario', join(scenarios, 'train+infer'));
    const v = scenarioVerdict(summary);
    expect(labels(v)).toEqual(['SLOs', 'throughput', 'fairness', 'SLO infer']);
    expect(text(v, 'SLOs')).toBe(summary.verdicts[0]!.text);
    expect(text(v, 'SLO infer')).toBe('p99<=1ms: met under mps 820 µs, streams 841 µs, green 956 µs; MISSED under timeslice 2.58 ms, 2.58× the bound');
  });

  it('recorded with three repeats: medians, and in how many runs', async () => {
    const { summary } = await recorded('scenario', join(scenarios, 'train+infer-r3'));
    expect(text(scenarioVerdict(summary), 'SLO infer')).toMatch(
      /^p99<=1ms: met under mps [\d.]+ µs in 3 of 3 runs, streams [\d.]+ µs in 3 of 3 runs, green [\d.]+ µs in 3 of 3 runs; MISSED under timeslice 2\.59 ms, 2\.59× the bound in 3 of 3 runs$/,
    );
  });

  it('a scenario without SLOs has no SLO lines', async () => {
    const { summary } = await recorded('scenario', join(scenarios, 'notebook+train'));
    expect(labels(scenarioVerdict(summary))).toEqual(['SLOs', 'throughput', 'fairness']);
  });

  it('a mode that met the SLO in some repeats only, and one whose requests never started', () => {
    const slo = (ms: number | null, attainment: number) => ({ infer: { vsSolo: 1, slo: [{ slo: P99_5MS, ms, attainment }] }, train: { vsSolo: 0.9 } });
    const summary = scenarioSummary(
      [scenarioRole('train'), scenarioRole('infer', { slo: [P99_5MS] })],
      [
        scenarioRun({ mode: 'mps', roles: slo(4, 0.995), repeat: 0 }),
        scenarioRun({ mode: 'mps', roles: slo(6, 0.98), repeat: 1 }),
        scenarioRun({ mode: 'mps', roles: slo(4.5, 0.992), repeat: 2 }),
        scenarioRun({ mode: 'timeslice', roles: slo(null, 0.2) }),
      ],
    );
    expect(text(scenarioVerdict(summary), 'SLO infer')).toBe(
      'p99<=5ms: MISSED under mps 4.50 ms, 0.90× the bound in 1 of 3 runs; timeslice requests never started',
    );
  });
});

describe('the verdict of a sweep and of bench', () => {
  it('the recorded H200 sweep: aggregate vs solo per mode, the worst points', () => {
    const summary = sweepSummarySchema.parse(JSON.parse(readFileSync(join(root, 'examples', 'h200-sweep', 'summary.json'), 'utf8')));
    const v = sweepVerdict(summary.points);
    expect(labels(v)).toEqual(['aggregate vs solo', 'worst slowdown', 'worst p99 vs solo', 'switching overhead']);
    expect(text(v, 'aggregate vs solo')).toMatch(
      /^mps 1\.04× \(2 points\), streams 1\.04× \(2 points\), green 1\.01× \(2 points\), timeslice 0\.93× \(2 points\); /,
    );
    expect(text(v, 'worst slowdown')).toBe('4.31× (gemm-4096-saturate-timeslice-p4)');
    expect(text(v, 'switching overhead')).toBe('up to 13.6% (gemm-4096-saturate-timeslice-p4)');
  });

  describe('a stand-in sweep with a skipped point', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await writeSweep(await mkdtemp(join(tmpdir(), 'gsm-verdict-sweep-')));
    }, 120_000);
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('says how many points were measured', async () => {
      const { summary } = await recorded('sweep', dir);
      const v = sweepVerdict(summary.points);
      expect(text(v, 'points')).toBe(`5 of 6 measured; 1 skipped`);
      expect(labels(v)[0]).toBe('aggregate vs solo');
    });
  });

  it('recorded bench: the own kernels against their libraries and floors', () => {
    const bench = JSON.parse(readFileSync(join(root, 'docs', 'results', '2026-11-30-h200-kernels', 'bench.json'), 'utf8')) as BenchResult;
    const v = benchVerdict(bench);
    expect(labels(v)).toEqual(['own vs library', 'own vs floor', 'not measured']);
    // cuDNN made no plan for the causal attention on that machine (the row's note says so).
    expect(text(v, 'not measured')).toBe('1 not available here (of 23 implementations; see the note column)');
    expect(text(v, 'own vs library')).toMatch(/^median 0\.\d\d× over 10 workloads; best 0\.98× \(gemm-bf16-8192\), worst 0\.51× \(conv-resnet50-56x56x64\): /);
    expect(text(v, 'own vs floor')).toMatch(/^median [\d.]+× over \d+ workloads; best [\d.]+× \([\w-]+\), worst 3\.05× \(conv-resnet50-56x56x64\): /);
    expect(formatBenchResult(bench).indexOf('Verdict:')).toBeLessThan(formatBenchResult(bench).indexOf('Ceilings'));
  });
});

describe('the tables after the verdict', () => {
  const widths = [80, 120];

  it.each(widths)('a recorded 4-client run: the compact table fits %i columns, the verdict lines too', async (columns) => {
    const r = await recordedRun(join(root, 'examples', 'h200-gemm-p4', 'timeslice.json.gz'));
    const printed = formatRunResult(r as RunResult, compact(columns));
    expect(tableLines(printed).length).toBeGreaterThan(0);
    for (const line of tableLines(printed)) expect([...line].length).toBeLessThanOrEqual(columns);
    const verdict = formatVerdict(runVerdict(r), compact(columns));
    for (const line of verdict.split('\n')) expect(line.length).toBeLessThanOrEqual(columns);
    // The verdict comes before any table.
    expect(printed.indexOf('Verdict:')).toBeLessThan(printed.indexOf('┌'));
    // What matters stays; the rest is for --wide.
    const head = tableLines(printed)[1]!;
    for (const title of ['client', 'throughput', 'slowdown', 'p99 vs solo']) expect(head).toContain(title);
    expect(head).not.toContain('p95 latency');
  });

  it('the wide table has every column and a rule between rows, as before', async () => {
    const r = await recordedRun(join(root, 'examples', 'h200-gemm-p4', 'timeslice.json.gz'));
    const printed = formatRunResult(r as RunResult, WIDE);
    expect(printed).toBe(formatRunResult(r as RunResult));
    const lines = tableLines(printed);
    for (const title of ['launches', 'compute', 'p95 latency', 'max latency', 'p50 GPU time', 'SM share', 'p50 latency vs solo'])
      expect(lines[1]).toContain(title);
    expect(lines.filter((l) => l.startsWith('├'))).toHaveLength(5);
    expect(textWidth(lines.join('\n'))).toBeGreaterThan(120);
  });

  it('Markdown: GitHub tables for the clients and the lists, the verdict as a list', async () => {
    const r = await recordedRun(join(root, 'examples', 'h200-gemm-p4', 'timeslice.json.gz'));
    const printed = formatRunResult(r as RunResult, { format: 'markdown', wide: false, columns: 80 });
    expect(printed).toContain('**Verdict**\n\n- **aggregate vs solo**: 0.93×');
    expect(printed).toMatch(/^\| client \| throughput \| p50 \| p99 \| SM share \| slowdown \| p99 vs solo \|\n\| --- \|( ---: \|){6}$/m);
    expect(printed).toMatch(/^\| solo \| 4,497 launch\/s \|/m);
    expect(printed).toContain('**Aggregate**\n\n| figure | value |\n| --- | ---: |\n| aggregate throughput | 4,165 launch/s |');
    expect(printed).not.toMatch(/[┌│└]/);
    const wide = formatRunResult(r as RunResult, { format: 'markdown', wide: true, columns: 80 });
    expect(wide).toMatch(/^\| client \| launches \| throughput \| compute \| p50 latency \| p95 latency \|/m);
  });

  it.each(widths)('recorded scenarios, the sweep and bench: compact tables fit %i columns', async (columns) => {
    const texts: string[] = [];
    for (const name of ['train+infer', 'four-tenants', 'mix4', 'train+infer-r3'])
      texts.push(formatScenario((await recorded('scenario', join(scenarios, name))).summary, compact(columns)));
    texts.push(formatSweep((await recorded('sweep', join(root, 'examples', 'h200-sweep'))).summary.points, compact(columns)));
    const bench = JSON.parse(readFileSync(join(root, 'docs', 'results', '2026-11-30-h200-kernels', 'bench.json'), 'utf8')) as BenchResult;
    texts.push(formatBenchResult(bench, compact(columns)));
    for (const printed of texts) {
      expect(tableLines(printed).length).toBeGreaterThan(0);
      for (const line of tableLines(printed)) expect([...line].length, line).toBeLessThanOrEqual(columns);
    }
  });

  it('a grid drops its highest ranks first, keeps the labels, and wraps a note to the width left', () => {
    const grid = {
      columns: [
        { title: 'name', rank: 0 },
        { title: 'a', rank: 1, align: 'right' as const },
        { title: 'b', rank: 2 },
        { title: 'only wide' },
        { title: 'note', rank: 0, wrap: true },
      ],
      rows: [['x'.repeat(10), '1', '2', '3', 'a note of some length that needs more room than a narrow terminal gives it']],
    };
    // With b, even a note wrapped to its narrowest (16) makes the table 39 wide.
    const narrow = renderGrid(grid, compact(36));
    expect(textWidth(narrow)).toBe(36);
    expect(narrow).toContain('name');
    expect(narrow).not.toContain('only wide');
    expect(narrow).toContain('│ a │');
    expect(narrow).not.toContain('│ b');
    expect(renderGrid(grid, WIDE)).toContain('only wide');
    expect(markdownTable(grid.columns.slice(0, 2), [['x|y', '1']])).toBe('| name | a |\n| --- | ---: |\n| x\\|y | 1 |');
  });

  it("the width is the terminal's, else COLUMNS, else 120", () => {
    expect(terminalColumns({ isTTY: true, columns: 93 }, {})).toBe(93);
    expect(terminalColumns({ isTTY: false }, { COLUMNS: '80' })).toBe(80);
    expect(terminalColumns({ isTTY: false }, { COLUMNS: 'wide' })).toBe(120);
    expect(terminalColumns({ isTTY: false }, {})).toBe(120);
  });

  it('wrapText breaks at spaces and indents the continuations under the text', () => {
    expect(wrapText('  label  ', 'one two three four five six seven eight nine ten eleven', 40)).toBe(
      '  label  one two three four five six\n         seven eight nine ten eleven',
    );
    expect(wrapText('x ', 'short', Number.POSITIVE_INFINITY)).toBe('x short');
  });
});

// No figure without its evidence, one test per source combination, run() end to end with stand-in clients
// (no GPU): own kernels write CTA records; a library's (--impl cublas) write none and, with --cupti, send
// CUPTI's kernel records; a model step traces its own kernels only; the stand-in NVML sampler reports GPM.
// Each asserts which figures the result and the printed table have, and which warnings say why.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunOptions } from '../src/config.js';
import { samplesForPercentile, TRACES_VS_GPM_TOLERANCE, tracesAgreeWithGpm } from '../src/metrics/evidence.js';
import type { Summary } from '../src/metrics/summary.js';
import { buildReport } from '../src/report/html/build.js';
import { loadReportInputs } from '../src/report/inputs.js';
import { writeJsonAtomic } from '../src/report/json.js';
import { traceCoverage } from '../src/registry/traced.js';
import { writtenRunResultSchema } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import { formatScenario } from '../src/report/scenario-table.js';
import { formatWarnings } from '../src/report/warnings.js';
import { parseScenario } from '../src/scenario/file.js';
import { runScenario, scenarioSteps } from '../src/scenario/runner.js';
import { run, type RunResult } from '../src/run.js';
import { planSweep } from '../src/sweep/plan.js';
import { summarisePoint } from '../src/sweep/summary.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const models = fileURLToPath(new URL('../docs/results/2026-12-02-h200-models/runs/', import.meta.url));
afterEach(() => {
  delete process.env.STAND_IN_PROCS;
  delete process.env.STAND_IN_BEHAVIOUR;
  delete process.env.STAND_IN_TARGET;
  delete process.env.STAND_IN_TRACE_NS;
});

/** run() with `procs` stand-in clients taking turns in 2 ms slices; with `gpm`, an NVML sampler reporting that SM activity (%). */
async function standIn(options: RunOptions, gpm?: number, procs = 2): Promise<RunResult> {
  process.env.STAND_IN_PROCS = String(procs);
  const device = standInDevice({}, gpm === undefined ? {} : { gpmSmActivityPct: gpm });
  // --client specs say their own counts and sizes; a model workload has no --size.
  const shape = options.clients ? {} : options.kernel && options.kernel !== 'gemm' ? { procs } : { procs, size: 256 };
  const result = await run({ ...shape, duration: '300ms', seed: 1, sampleMs: gpm === undefined ? 0 : 50, ...options }, { clientModule, ...device });
  expect(result.complete).toBe(true);
  // What run() returns is what the result file holds, field for field.
  const json: unknown = JSON.parse(JSON.stringify(result));
  expect(writtenRunResultSchema.parse(json)).toEqual(json);
  return result;
}

const tags = (list: readonly Summary[]) => list.map((s) => s.tag);
const warningTags = (r: RunResult) => (r.warnings ?? []).map((w) => w.tag);
const warning = (r: RunResult, tag: string) => r.warnings?.find((w) => w.tag === tag)?.message;
const phases = (r: RunResult) => [...r.baselines.map((b) => b.phase), r.shared];
/** The printed tables without the warning lines (which name the figures they leave out). */
const tables = (r: RunResult) =>
  formatRunResult(r)
    .split('\n')
    .filter((line) => !line.startsWith('warning'))
    .join('\n');

const SM_PHASE_TAGS = ['occupancy.idle', 'occupancy.busy', 'occupancy.vsGpm'];
const SWITCH_TAGS = ['switch.count', 'switch.perSecond', 'switch.overhead', 'slice.p50', 'switchGap.p50', 'coRunning'];

/** No per-SM figure anywhere: no client's SM share, no busy or idle share, no SM timeline, none printed. */
function expectNoSmFigures(r: RunResult): void {
  for (const p of phases(r)) {
    expect(p.occupancy, p.label).toBeUndefined();
    expect(
      tags(p.aggregate).filter((t) => SM_PHASE_TAGS.includes(t)),
      p.label,
    ).toEqual([]);
    for (const c of p.clients) expect(tags(c.summaries), `${p.label} client ${c.client}`).not.toContain('smShare');
  }
  for (const role of r.roles) expect(tags(role.summaries)).not.toContain('role.smShare');
  const table = tables(r);
  for (const text of ['SM share', 'SMs idle', 'SMs busy', 'over SM activity']) expect(table).not.toContain(text);
}

describe('own kernels: CTA traces', () => {
  it('have every per-SM figure and CTA-level switches, and no evidence warning', async () => {
    const r = await standIn({});
    for (const p of phases(r)) {
      expect(p.occupancy, p.label).toBeDefined();
      expect(tags(p.aggregate)).toContain('occupancy.idle');
      // No device observation (no NVML here): nothing to hold the traces against.
      expect(tags(p.aggregate)).not.toContain('occupancy.vsGpm');
      for (const c of p.clients) {
        expect(c.trace).toBe('cta');
        expect(tags(c.summaries)).toContain('smShare');
      }
    }
    expect(tags(r.shared.aggregate)).toEqual(expect.arrayContaining([...SWITCH_TAGS, 'gpuStartSkew']));
    for (const s of r.shared.aggregate.filter((x) => SWITCH_TAGS.includes(x.tag))) expect(s.name).not.toContain('kernel');
    const table = tables(r);
    for (const text of ['SM share', 'SMs idle (traced window)', 'Context switches (over the']) expect(table).toContain(text);
    expect(warningTags(r).filter((t) => t.startsWith('evidence.') || t.startsWith('switches.') || t === 'occupancy.vsGpm')).toEqual([]);
  });

  it('with GPM: the busy share beside GPM, a warning only for the phase beyond the tolerance', async () => {
    // The stand-ins' CTAs hold every SM for 2 ms of each 2.05 ms (97.6%) when two take turns; one alone
    // runs every other slice (49%). GPM says 97%: the shared phase agrees, the solo phase does not.
    const r = await standIn({}, 97);
    const busy = (p: RunResult['shared']) => p.aggregate.find((s) => s.tag === 'occupancy.busy')?.value;
    const ratio = (p: RunResult['shared']) => p.aggregate.find((s) => s.tag === 'occupancy.vsGpm')?.value;
    expect(busy(r.shared)).toBeCloseTo(2 / 2.05, 2);
    expect(ratio(r.shared)).toBeCloseTo(2 / 2.05 / 0.97, 2);
    expect(ratio(r.baselines[0]!.phase)).toBeLessThan(0.6);
    expect(r.warnings?.filter((w) => w.tag === 'occupancy.vsGpm')).toHaveLength(1);
    const message = warning(r, 'occupancy.vsGpm')!;
    expect(message).toMatch(
      /^solo: SMs busy from the CTA traces \(4\d\.\d%\) and GPM's SM activity \(97\.0%\) disagree, 0\.\d\d×, beyond the tolerance of 15% and 3 points$/,
    );
    const printed = formatRunResult(r);
    expect(printed).toContain('SMs busy (traces) over SM activity (GPM)');
    expect(printed).toContain(`warning: ${message}`);
    // The warning stands under the verdict, before the tables (as the report puts it under its verdict).
    expect(printed.indexOf('warning:')).toBeGreaterThan(printed.indexOf('Verdict:'));
    expect(printed.indexOf('warning:')).toBeLessThan(printed.indexOf('SM activity (GPM), mean'));
    expect(printed.match(/^warning: /gm)).toHaveLength(r.warnings!.length);
  });
});

describe('library kernels (--impl cublas)', () => {
  it('without CUPTI: no per-SM and no switch figures, and a warning that says --cupti would record them', async () => {
    const r = await standIn({ impl: 'cublas' });
    expectNoSmFigures(r);
    for (const p of phases(r)) for (const c of p.clients) expect([c.client, c.trace, c.tracedLaunches]).toEqual([c.client, 'none', 0]);
    expect(r.shared.switches.kind).toBe('single');
    expect(tags(r.shared.aggregate).filter((t) => [...SWITCH_TAGS, 'gpuStartSkew'].includes(t))).toEqual([]);
    expect(tables(r)).not.toContain('Context switches');
    // The throughput figures have their evidence (the launches' own timing) and stay.
    expect(tags(r.comparison)).toEqual(['aggregate.vsSolo', 'slowdown.max', 'fairness']);
    expect(warning(r, 'evidence.noCtaTrace')).toBe(
      'no SM or switch figures for role gemm (gemm, --impl cublas): its cuBLASLt kernels write no CTA records and --cupti would record them kernel by kernel, so no switch can be told from its turns',
    );
  });

  it('with CUPTI: kernel-level switches from its kernel records, labelled so, and still no per-SM figure', async () => {
    const r = await standIn({ impl: 'cublas', cupti: true });
    expectNoSmFigures(r);
    for (const c of r.shared.clients) {
      expect(c.trace).toBe('kernels');
      expect(c.kernelActivity?.available).toBe(true);
    }
    // The stand-ins take turns in 2 ms slices: their kernels show it.
    const s = r.shared.switches;
    expect(s.kind).toBe('timeslicing');
    expect(s.count).toBeGreaterThan(50);
    expect(s.slice!.p50).toBeCloseTo(2e6, -4);
    for (const x of r.shared.aggregate.filter((x) => x.tag.startsWith('switch') || x.tag.startsWith('slice'))) expect(x.name).toMatch(/\(kernel-level\)$/);
    expect(r.shared.aggregate.find((x) => x.tag === 'coRunning')!.name).toContain('kernel starts/ends (CUPTI)');
    expect(tables(r)).toContain("Context switches, kernel-level: from CUPTI's kernel records of clients 0, 1, not CTA traces (over the");
    expect(warning(r, 'evidence.noCtaTrace')).toBe(
      "no SM figures (SM share, SMs busy and idle, SM timeline) for role gemm (gemm, --impl cublas): its cuBLASLt kernels write no CTA records; CUPTI's kernel records stand in, kernel by kernel: kernel-level switches and kernel time, no per-SM figures",
    );
  });

  it('with CUPTI and GPM: GPM is reported, the traces are not held against it, CUPTI gives kernel time', async () => {
    const r = await standIn({ impl: 'cublas', cupti: true }, 60);
    expectNoSmFigures(r);
    for (const p of phases(r)) {
      const nvml = p.observation?.nvml;
      expect(nvml?.available && nvml.gpm.summaries.find((s) => s.tag === 'gpm.sm_active.mean')?.value).toBeCloseTo(0.6, 6);
    }
    expect(warningTags(r)).not.toContain('occupancy.vsGpm');
    const table = tables(r);
    expect(table).toContain('SM activity (GPM), mean');
    expect(table).toMatch(/kernel time \(CUPTI, kernel-level\), all clients +\d/);
    expect(warningTags(r)).toContain('evidence.noCtaTrace');
  });
});

describe('an own-kernel role beside a library role', () => {
  const clients = ['role=train,kernel=gemm,size=256', 'role=infer,kernel=gemm,size=256,impl=cublas'];

  it('with CUPTI: the own role keeps its SM share, the phase has no busy or idle share, switches are kernel-level for the library client', async () => {
    const r = await standIn({ clients, cupti: true });
    const [train, infer] = r.shared.clients;
    expect([train!.trace, infer!.trace]).toEqual(['cta', 'kernels']);
    expect(tags(train!.summaries)).toContain('smShare');
    expect(tags(infer!.summaries)).not.toContain('smShare');
    expect(r.roles.map((role) => [role.role, tags(role.summaries).includes('role.smShare')])).toEqual([
      ['train', true],
      ['infer', false],
    ]);
    expect(r.shared.occupancy).toBeUndefined();
    expect(tags(r.shared.aggregate).filter((t) => SM_PHASE_TAGS.includes(t))).toEqual([]);
    expect(r.shared.switches.count).toBeGreaterThan(50);
    expect(tables(r)).toContain("Context switches, kernel-level: from CUPTI's kernel records of client 1, not CTA traces");
    // Each role alone: the own one has its whole SM picture, the library one none.
    const solo = new Map(r.baselines.map((b) => [b.role, b.phase]));
    expect(solo.get('train')!.occupancy).toBeDefined();
    expect(solo.get('infer')!.occupancy).toBeUndefined();
    expect(r.warnings?.filter((w) => w.tag.startsWith('evidence.')).map((w) => w.message.split(':')[0])).toEqual([
      'no SM figures (SM share, SMs busy and idle, SM timeline) for role infer (gemm, --impl cublas)',
    ]);
  });

  it('without CUPTI: no switch figures, since the library client’s turns cannot be told from switch gaps', async () => {
    const r = await standIn({ clients });
    expect(r.shared.clients.map((c) => c.trace)).toEqual(['cta', 'none']);
    expect(r.shared.switches.kind).toBe('single');
    expect(tags(r.shared.aggregate).filter((t) => SWITCH_TAGS.includes(t) || SM_PHASE_TAGS.includes(t))).toEqual([]);
    expect(r.shared.occupancy).toBeUndefined();
    expect(tags(r.shared.clients[0]!.summaries)).not.toContain('smShare');
    expect(warning(r, 'evidence.noCtaTrace')).toMatch(
      /^no SM or switch figures for role infer \(gemm, --impl cublas\), nor for the roles beside it \(their figures need every client traced\): its cuBLASLt kernels/,
    );
  });
});

describe('model workloads: --impl own and library', () => {
  it('a step of own kernels only (bert-base-infer, own) has its per-SM figures', async () => {
    const r = await standIn({ kernel: 'bert-base-infer', impl: 'own' });
    expect(r.shared.clients.map((c) => c.trace)).toEqual(['cta', 'cta']);
    expect(r.shared.occupancy).toBeDefined();
    expect(warningTags(r).filter((t) => t.startsWith('evidence.'))).toEqual([]);
  });

  it('a step with library ops (--impl library) is traced in part: no per-SM figures, switch gaps flagged as upper bounds', async () => {
    const r = await standIn({ kernel: 'bert-base-infer', impl: 'library' });
    expectNoSmFigures(r);
    expect(r.shared.clients.map((c) => c.trace)).toEqual(['cta-part', 'cta-part']);
    // The own kernels' CTA records still show the turns.
    expect(r.shared.switches.count).toBeGreaterThan(50);
    expect(warning(r, 'evidence.partialCtaTrace')).toBe(
      'no SM figures (SM share, SMs busy and idle, SM timeline) for role bert-base-infer (bert-base-infer, --impl library): its cuBLASLt and cuDNN kernels write no CTA records, so its traces cover only part of each launch; its switch gaps and the switching overhead count those kernels as switching: upper bounds (--cupti records every kernel)',
    );
  });

  it('a CNN training step (resnet50-train, own) is traced in part too: cuDNN runs its convolution backward', async () => {
    const r = await standIn({ kernel: 'resnet50-train', impl: 'own' });
    expectNoSmFigures(r);
    expect(warning(r, 'evidence.partialCtaTrace')).toContain('its cuDNN convolution backward write no CTA records');
  });

  it('with CUPTI, a step traced in part is read from its kernel records, every kernel', async () => {
    const r = await standIn({ kernel: 'bert-base-infer', impl: 'library', cupti: true });
    expectNoSmFigures(r);
    expect(r.shared.clients.map((c) => c.trace)).toEqual(['kernels', 'kernels']);
    expect(r.shared.aggregate.find((s) => s.tag === 'switch.count')!.name).toBe('context switches (kernel-level)');
  });
});

describe('figures on too little evidence', () => {
  it('latency percentiles on fewer launches than they need are marked with a warning', async () => {
    const r = await standIn({ launches: 30, duration: undefined });
    for (const c of r.shared.clients) expect(c.launches).toBe(30);
    expect(warning(r, 'latency.fewSamples')).toBe(
      'latency percentiles on too few samples, each near the slowest of them: p99 of solo, client 0, client 1 on 30 samples (a p99 needs 100)',
    );
    // Marked, not left out: the figure is there, with its samples in the file.
    expect(tags(r.shared.clients[0]!.summaries)).toContain('latency.p99');
  });

  it('switch percentiles from too few switches are left out, and a warning says which', async () => {
    process.env.STAND_IN_TRACE_NS = String(20e6); // 20 ms of trace: about 9 switches of 2 ms slices
    const r = await standIn({});
    const s = r.shared.switches;
    expect(s.count).toBeGreaterThan(2);
    expect(s.count).toBeLessThan(10);
    const printed = tags(r.shared.aggregate);
    expect(printed).toEqual(expect.arrayContaining(['switch.count', 'switch.perSecond', 'slice.p50', 'switchGap.p50', 'switchGap.max', 'switch.overhead']));
    for (const t of ['slice.p10', 'slice.p90', 'switchGap.p99']) expect(printed).not.toContain(t);
    expect(warning(r, 'switches.few')).toBe(
      `only ${s.count} context switches in the traced window: time slice p10, p90 and switch gap p99 left out (a p10 or p90 needs 10, a p99 needs 100 samples)`,
    );
  });

  it('no aggregate against solo and no fairness when a client measured nothing, and a warning naming it', async () => {
    process.env.STAND_IN_BEHAVIOUR = 'crash-in-run';
    process.env.STAND_IN_TARGET = '1';
    process.env.STAND_IN_PROCS = '2';
    const r = await run({ procs: 2, duration: '1s', size: 256, seed: 1, sampleMs: 0 }, { clientModule, ...standInDevice() });
    expect(r.complete).toBe(false);
    expect(r.shared.clients[1]!.status).toBe('crashed');
    expect(tags(r.comparison)).toEqual(['slowdown.max']);
    expect(warning(r, 'comparison.unfinished')).toBe('no aggregate against solo and no fairness: client 1 (crashed) measured no throughput');
  });
});

describe('sweep summary lines', () => {
  const [one, two] = planSweep({ sizes: '256', procs: '1,2', modes: 'timeslice', duration: '300ms' }).points;

  it('leave out fairness for one client, switches where a client was not traced, and keep the run’s warnings', async () => {
    const alone = summarisePoint(one!, await standIn({ procs: 1 }, undefined, 1), 'points/one.json');
    expect(alone.fairness).toBeUndefined();
    expect(alone.switches).toBeUndefined();
    const library = await standIn({ impl: 'cublas' });
    const line = summarisePoint(two!, library, 'points/two.json');
    expect([line.switches, line.switchesPerSecond, line.overheadPct, line.coRunningPct]).toEqual([undefined, undefined, undefined, undefined]);
    expect(line.fairness).toBeGreaterThan(0.9);
    expect(line.warnings).toEqual(library.warnings);
    expect(formatWarnings(line, line.id)[0]).toMatch(/^warning \(gemm-256-saturate-timeslice-p2\): no SM or switch figures for role gemm/);
    const own = summarisePoint(two!, await standIn({}), 'points/two.json');
    expect(own.switchesPerSecond).toBeGreaterThan(100);
  });
});

describe('scenario output', () => {
  it('keeps each run’s warnings in scenario.json and prints them after the tables; no SM share beside an untraced role', async () => {
    process.env.STAND_IN_PROCS = '2';
    const yaml = [
      'name: mixed',
      'description: an own-kernel role beside a library one',
      'duration: 300ms',
      'warmup: 0ms',
      'seed: 4',
      'modes: [timeslice]',
      'roles:',
      '  train: { kernel: gemm, size: 256 }',
      '  infer: { kernel: gemm, size: 256, impl: cublas }',
    ].join('\n');
    const scenario = parseScenario(yaml, 'mixed.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'gpushare-evidence-'));
    try {
      const summary = await runScenario(scenario, scenarioSteps(scenario), { outDir: dir, clientModule, ...standInDevice() });
      const [only] = summary.runs;
      expect(only!.warnings?.map((w) => w.tag)).toContain('evidence.noCtaTrace');
      const roleShare = (role: string) => only!.roles!.find((x) => x.role === role)!.summaries.some((x) => x.tag === 'role.smShare');
      // The untraced library client leaves no window in which every client was traced: no role has an SM share beside it.
      expect([roleShare('train'), roleShare('infer')]).toEqual([false, false]);
      expect(tags(only!.aggregate!)).not.toContain('occupancy.idle');
      const text = formatScenario(summary);
      expect(text).toContain('warning (timeslice): no SM or switch figures for role infer (gemm, --impl cublas), nor for the roles beside it');
      expect(text.indexOf('warning (timeslice)')).toBeGreaterThan(text.indexOf('aggregate vs solo'));
      expect(text).not.toContain('SMs idle');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the report', () => {
  it('says why a library run has no SM timeline', async () => {
    const r = await standIn({ impl: 'cublas', cupti: true });
    const dir = await mkdtemp(join(tmpdir(), 'gpushare-evidence-'));
    try {
      const file = join(dir, 'cublas.json');
      await writeJsonAtomic(file, r);
      const input = await loadReportInputs([file]);
      if (input.kind !== 'run') throw new Error('expected a run');
      expect(input.runs[0]!.result).toEqual(JSON.parse(JSON.stringify(r))); // a file this version wrote is read as written
      const html = await buildReport(input);
      expect(html).toContain('No SM timeline: client 0, client 1 ran kernels that write no CTA records');
      expect(html).toContain('Context switches, kernel-level: from CUPTI&#39;s kernel records of clients 0, 1');
      expect(html).not.toContain('>SM share<');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the H200 model runs recorded before the trace sources were without the figures their traces cannot back', async () => {
    const read = async (name: string) => {
      const input = await loadReportInputs([join(models, `${name}.json.gz`)]);
      if (input.kind !== 'run') throw new Error('expected a run');
      return input.runs[0]!.result as RunResult;
    };
    // Library ops in every step: their per-SM figures (SM share 2–30% of GPM's) are gone, the warnings say why.
    const library = await read('run-bert-base-infer-library-timeslice');
    expectNoSmFigures(library);
    expect(warning(library, 'evidence.partialCtaTrace')).toMatch(
      /^no SM figures .* for role bert-base-infer \(bert-base-infer, --impl library\): its cuBLASLt and cuDNN kernels/,
    );
    const train = await read('run-resnet50-train-own-timeslice');
    expectNoSmFigures(train);
    expect(warning(train, 'evidence.partialCtaTrace')).toContain('upper bounds');
    // A step of own kernels keeps them; where the traces and GPM disagree, the warning says so.
    const infer = await read('run-resnet50-infer-own-timeslice');
    expect(infer.shared.occupancy).toBeDefined();
    expect(tags(infer.shared.clients[0]!.summaries)).toContain('smShare');
    expect(warningTags(infer).filter((t) => t.startsWith('evidence.') || t === 'occupancy.vsGpm')).toEqual([]);
    // The trace buffer filled early: the SM and switch figures cover part of the phase, and the result says how much.
    expect(warning(await read('run-bert-base-infer-own-mps'), 'evidence.traceBufferFull')).toBe(
      'solo: the CTA traces hold 208 of 756 launches (--trace-records 2,000,000 filled), so its SM and switch figures cover 277 ms of the 1.00 s measured',
    );
    const bert = await read('run-bert-base-train-own-mps');
    expect(warning(bert, 'occupancy.vsGpm')).toMatch(/^shared: SMs busy from the CTA traces \(72\.8%\) and GPM's SM activity \(93\.8%\) disagree, 0\.78×/);
  });
});

describe('the rules', () => {
  it('which kernels write CTA records', () => {
    expect(traceCoverage('gemm', 'own')).toEqual({ coverage: 'all' });
    expect(traceCoverage('probe', 'own')).toEqual({ coverage: 'all' });
    expect(traceCoverage('gemm', 'cublas')).toEqual({ coverage: 'none', untraced: 'its cuBLASLt kernels' });
    expect(traceCoverage('attention', 'cudnn')?.coverage).toBe('none');
    expect(traceCoverage('copy', 'cudart')?.coverage).toBe('none');
    expect(traceCoverage('llm-decode', 'own')).toEqual({ coverage: 'all' });
    expect(traceCoverage('resnet50-infer', 'own')).toEqual({ coverage: 'all' });
    expect(traceCoverage('resnet50-train', 'own')?.coverage).toBe('part');
    expect(traceCoverage('bert-base-train', 'library')?.coverage).toBe('part');
    expect(traceCoverage('gemm', 'someday')).toBeUndefined();
  });

  it('traces against GPM: 15% of GPM and 3 points', () => {
    expect(TRACES_VS_GPM_TOLERANCE).toEqual({ relative: 0.15, points: 0.03 });
    expect(tracesAgreeWithGpm(0.798, 0.842)).toBe(true); // time slicing, examples/h200-gemm-p4: 0.95×
    expect(tracesAgreeWithGpm(0.735, 0.566)).toBe(false); // green beside an open-loop role: 1.30×
    expect(tracesAgreeWithGpm(0.728, 0.938)).toBe(false); // bert-base-train under MPS: 0.78×
    expect(tracesAgreeWithGpm(0.192, 0.167)).toBe(true); // four nearly idle tenants: 1.15×, 2.5 points
    expect(tracesAgreeWithGpm(0.1, 0.2)).toBe(false);
  });

  it('samples a percentile needs', () => {
    expect([0.5, 0.9, 0.1, 0.95, 0.99, 0.999, 1, 0].map(samplesForPercentile)).toEqual([2, 10, 10, 20, 100, 1000, 1, 1]);
  });

  it('formatWarnings: one line each, labelled where a label is given', () => {
    const w = {
      warnings: [
        { tag: 'a', message: 'one' },
        { tag: 'b', message: 'two' },
      ],
    };
    expect(formatWarnings(w)).toEqual(['warning: one', 'warning: two']);
    expect(formatWarnings(w, 'mps')).toEqual(['warning (mps): one', 'warning (mps): two']);
    expect(formatWarnings({})).toEqual([]);
  });
});

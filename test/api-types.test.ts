// The public API as a TypeScript user meets it. The type checks run in `npm run typecheck` (tsc over
// test/, part of `npm test`): each `@ts-expect-error` line must fail to compile (a misspelt mode,
// kernel, loop, implementation, element type, preset or headline field), so the typecheck fails
// if the types grow loose again; the valid calls must compile. The same options from an untyped
// caller (JavaScript, JSON) still fail at run time, with the OptionError the command line gets.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveRunConfig as resolveRawRunConfig } from '../src/config.js';
import {
  type BenchOptions,
  type ClientOptions,
  type Headline,
  type HeadlineFigure,
  headline,
  OptionError,
  planSweep,
  type ProbeCurveOptions,
  type ProbeOptions,
  probeCurve,
  probeStates,
  resolveBenchConfig,
  resolveRunConfig,
  type RunOptions,
  type RunResult,
  type SweepOptions,
  sweep,
} from '../src/index.js';
// @ts-expect-error the command line's raw options are internal, not part of the package's API
import type { RawRunOptions } from '../src/index.js';

describe('typed options (checked by the typecheck)', () => {
  it('valid options compile, and the validators take them', () => {
    const options: RunOptions[] = [
      { kernel: 'gemm', mode: 'timeslice', loop: 'saturate', impl: 'cublas', dtype: 'fp16', procs: 4, duration: '5s', size: 4096 },
      { kernel: 'attention', impl: 'cudnn', preset: 'llm-4k', mode: 'streams', procs: 2, priority: ['high', 'low'] },
      { workload: 'bert-base-infer', batch: 8, seq: 128, impl: 'library', loop: 'open', arrival: 'poisson:2000/s', slo: 'p99<=5ms' },
      { kernel: 'copy', shape: [67108864], impl: 'cudart', duration: 2, warmup: '300ms', runs: 5 },
      { mode: 'mps', procs: 2, mpsThreads: [25, 75], mpsMem: '4G', mpsPipe: '/tmp/mps' },
      { mode: 'green', procs: 2, smSplit: [64, 64], loop: 'closed' },
      { kernel: 'probe', smem: '64K', threads: 256, regs: 128, spinUs: 2000 },
      {
        mode: 'streams',
        clients: ['role=infer,kernel=attention,arrival=bursty:2s/8s', { role: 'train', kernel: 'resnet50-train', count: 2, priority: 'low' }],
      },
    ];
    for (const o of options) expect(() => resolveRunConfig(o), JSON.stringify(o)).not.toThrow();
    const client: ClientOptions = { kernel: 'gemm', preset: 'gemm-bf16-8192', loop: 'closed', mpsMem: '512M', slo: 'p50<=1ms&p99<=5ms' };
    expect(resolveRunConfig({ mode: 'mps', clients: [client] }).clients[0]).toMatchObject({ preset: 'gemm-bf16-8192', shape: [8192, 8192, 8192] });
    const curve: ProbeCurveOptions = { smem: [0, '64K', '200K'], threads: [1, 256], regs: [0, 255] };
    expect(probeStates(curve)).toHaveLength(12);
    const sweepOptions: SweepOptions = { kernels: ['gemm', 'llm-decode'], sizes: [2048, 8192], procs: [1, 2], modes: ['timeslice', 'mps'], loops: 'closed' };
    expect(planSweep(sweepOptions).points).toHaveLength((2 + 1) * 2 * 2);
    const bench: BenchOptions = { preset: ['gemm-bf16-4096', 'resnet50-l1-3x3'], variants: true, workload: 'llm-decode', warmup: '300ms' };
    expect(resolveBenchConfig(bench).entries.map((e) => e.name)).toEqual(['llm-decode-1x32x1024', 'gemm-bf16-4096', 'resnet50-l1-3x3']);
  });

  it('a misspelt name fails to compile', () => {
    const typos: RunOptions[] = [
      // @ts-expect-error 'timeslise' is not a mode
      { mode: 'timeslise' },
      // @ts-expect-error 'gemn' is not a kernel
      { kernel: 'gemn' },
      // @ts-expect-error 'open-loop' is not a loop (saturate, closed, open)
      { loop: 'open-loop' },
      // @ts-expect-error 'cublass' is not an implementation
      { impl: 'cublass' },
      // @ts-expect-error 'bf61' is not an element type
      { dtype: 'bf61' },
      // @ts-expect-error 'resnet50-tran' is not a model workload
      { workload: 'resnet50-tran' },
      // @ts-expect-error 'gemm-bf16-4097' is not a preset
      { preset: 'gemm-bf16-4097' },
      // @ts-expect-error 'five seconds' is not a duration
      { duration: 'five seconds' },
      // @ts-expect-error a count is a number, not a string
      { procs: '4' },
      // @ts-expect-error 'uniform' is not an arrival process
      { arrival: 'uniform:100/s' },
      // @ts-expect-error 'p98' is not a percentile an SLO takes
      { slo: 'p98<=5ms' },
      // @ts-expect-error 'medium' is not a stream priority
      { priority: 'medium' },
      // @ts-expect-error 48 registers has no probe variant (0, 32, 64, 128, 255)
      { regs: 48 },
      // @ts-expect-error a client's kernel is checked too
      { clients: [{ kernel: 'gemn' }] },
    ];
    // @ts-expect-error 'gemn' is not a kernel a sweep takes
    const sweepTypo: SweepOptions = { kernels: ['gemm', 'gemn'] };
    // @ts-expect-error 'mps2' is not a mode
    const sweepMode: SweepOptions = { modes: 'mps2' };
    // @ts-expect-error 'bf61' is not an element type
    const benchTypo: BenchOptions = { kernel: 'gemm', dtype: 'bf61' };
    // @ts-expect-error the probe is a run of the probe kernel: no kernel option
    const probeKernel: ProbeOptions = { kernel: 'gemm' };
    expect([typos.length, sweepTypo, sweepMode, benchTypo, probeKernel]).toHaveLength(5);
  });

  it('the public validators take the typed options, not the raw ones', () => {
    expectTypeOf(resolveRunConfig).parameter(0).toEqualTypeOf<RunOptions>();
    expectTypeOf(planSweep).parameter(0).toEqualTypeOf<SweepOptions>();
    expectTypeOf(sweep).parameter(0).toEqualTypeOf<SweepOptions>();
    expectTypeOf(resolveBenchConfig).parameter(0).toEqualTypeOf<BenchOptions>();
    expectTypeOf(probeCurve).parameter(0).toEqualTypeOf<ProbeCurveOptions>();
    expectTypeOf<RunOptions['mode']>().toEqualTypeOf<'timeslice' | 'mps' | 'streams' | 'green' | 'mig' | undefined>();
    expectTypeOf<RunOptions['loop']>().toEqualTypeOf<'saturate' | 'closed' | 'open' | undefined>();
    expectTypeOf<RunOptions['dtype']>().toEqualTypeOf<'bf16' | 'fp16' | 'tf32' | 'fp32' | undefined>();
    expectTypeOf<RunOptions['impl']>().toEqualTypeOf<'own' | 'cublas' | 'cudnn' | 'cudart' | 'library' | undefined>();
    expectTypeOf<'bert-base' | 'llm-4k' | 'resnet50-train-imagenet' | 'gemm-tf32-4096'>().toMatchTypeOf<NonNullable<RunOptions['preset']>>();
    expectTypeOf<string>().not.toMatchTypeOf<NonNullable<RunOptions['preset']>>();
    expectTypeOf<string>().not.toMatchTypeOf<NonNullable<RunOptions['kernel']>>();
    expectTypeOf<RawRunOptions>().toBeAny(); // the import above fails, so the name is `any` here
  });
});

describe('headline() gives typed fields', () => {
  it('every headline figure a caller wants, as a number or absent, with intervals under --runs', () => {
    expectTypeOf(headline).toBeCallableWith({} as RunResult);
    expectTypeOf(headline).returns.toEqualTypeOf<Headline>();
    expectTypeOf<Headline['aggregateVsSolo']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['worstSlowdown']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['worstP99VsSolo']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['fairness']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['switchesPerSecond']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['switchingOverhead']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['runs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<NonNullable<NonNullable<Headline['intervals']>['aggregateVsSolo']>>().toEqualTypeOf<{ low: number; high: number; level: number }>();
    expectTypeOf<keyof NonNullable<Headline['intervals']>>().toEqualTypeOf<HeadlineFigure>();
    expectTypeOf<HeadlineFigure>().toEqualTypeOf<
      'aggregateVsSolo' | 'worstSlowdown' | 'fairness' | 'worstP99VsSolo' | 'switchesPerSecond' | 'switchingOverhead'
    >();
    expectTypeOf<Headline['switchGapP50']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Headline['worstP99Client']>().toEqualTypeOf<number | undefined>();
    const h: Headline = {};
    // @ts-expect-error no such headline field: the names are typed, not string tags
    expect(h.aggregateVsSoloo).toBeUndefined();
  });
});

describe('an untyped caller gets the same OptionError as the command line', () => {
  // What a JavaScript caller or a JSON file may pass: no types stop these.
  const untyped = (json: string): RunOptions => JSON.parse(json);
  const cases: Array<[string, string]> = [
    ['{"mode": "timeslise"}', '--mode'],
    ['{"kernel": "gemn"}', '--kernel'],
    ['{"loop": "open-loop"}', '--loop'],
    ['{"impl": "cublass"}', '--impl'],
    ['{"dtype": "bf61"}', '--dtype'],
    ['{"preset": "gemm-bf16-4097"}', '--preset'],
    ['{"duration": "five seconds"}', '--duration'],
    ['{"procs": "lots"}', '--procs'],
    ['{"arrival": "uniform:100/s"}', '--arrival'],
    ['{"clients": [{"kernel": "gemn"}]}', '--client gemn: kernel'],
  ];
  it.each(cases)('%s: OptionError naming %s, as the raw validator says it', (json, option) => {
    const thrown = (f: () => unknown): OptionError => {
      try {
        f();
      } catch (error) {
        if (error instanceof OptionError) return error;
        throw error;
      }
      throw new Error(`no OptionError for ${json}`);
    };
    const typedError = thrown(() => resolveRunConfig(untyped(json)));
    expect(typedError.option).toBe(option);
    expect(typedError.code).toBe('ERR_INVALID_OPTION');
    expect(typedError.message).not.toContain('\n');
    // The same message as the validator the command line calls gives for the same value.
    expect(typedError.message).toBe(thrown(() => resolveRawRunConfig(JSON.parse(json))).message);
  });
  it('a sweep, a bench and a probe curve too', async () => {
    expect(() => planSweep(JSON.parse('{"modes": ["mps2"]}'))).toThrow(/^invalid --modes: expected a list of timeslice, mps, streams, green, mig, got/);
    expect(() => resolveBenchConfig(JSON.parse('{"kernel": "gemm", "shape": [64, 64, 64], "dtype": "bf61"}'))).toThrow(/^invalid --dtype: expected one of/);
    await expect(probeCurve(JSON.parse('{"regs": [0, 48]}'))).rejects.toThrow(/^invalid --regs: expected one of 0, 32, 64, 128, 255/);
  });
});

// `run --keep-traces` and `export --perfetto`: a run with stand-in clients (synthetic time-sliced CTA
// traces on 8 SMs, no GPU) keeps its shared phase's CTA traces beside its result as the CLI does, and
// the export writes them, with the switch gaps, time slices and CUPTI kernel records, as a Trace Event
// Format file: valid JSON, a process per client, a thread per SM, µs timestamps in order on every track,
// no two spans of one track overlapping; bad arguments are one line and exit code 2.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhaseTraces } from '../src/phase.js';
import { assignLanes, perfettoEvents, type TraceEvent } from '../src/report/perfetto.js';
import { readTracesFile, tracesFileFor, tracesOfResult, writeTracesFile } from '../src/report/traces-file.js';
import { run, type RunResult } from '../src/run.js';
import { writeResult } from './fixtures/report-inputs.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

let dir: string;
let result: RunResult;
let traces: PhaseTraces;
let resultFile: string;

/** A 2-client stand-in run whose shared phase's traces are kept, written as `run --keep-traces --json` writes them. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpushare-export-'));
  process.env.STAND_IN_PROCS = '2';
  try {
    let kept: PhaseTraces | undefined;
    result = await run({ procs: 2, duration: '300ms', size: 256, seed: 1, sampleMs: 0 }, { clientModule, ...standInDevice(), onTraces: (t) => (kept = t) });
    traces = kept!;
  } finally {
    delete process.env.STAND_IN_PROCS;
  }
  resultFile = await writeResult(dir, 'run.json', result);
  await writeTracesFile(tracesFileFor(resultFile), traces, {
    createdAt: result.createdAt,
    roles: new Map(result.shared.clients.map((c) => [c.client, c.role])),
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Trace {
  traceEvents: TraceEvent[];
  displayTimeUnit: string;
  otherData: Record<string, string>;
}

/** Events of each (pid, tid) track, in file order. */
function tracks(events: TraceEvent[]): Map<string, TraceEvent[]> {
  const out = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const key = `${e.pid}/${e.tid}`;
    const list = out.get(key);
    if (list) list.push(e);
    else out.set(key, [e]);
  }
  return out;
}

const names = (events: TraceEvent[], kind: string) =>
  new Map(events.filter((e) => e.ph === 'M' && e.name === kind).map((e) => [`${e.pid}/${e.tid}`, (e.args as { name: string }).name]));

describe('kept traces', () => {
  it('hold the shared phase CTA records of every client, on the epoch the result records', async () => {
    expect(traces.clients.map((t) => t.client)).toEqual([0, 1]);
    expect(result.shared.traceEpochGpuNs).toBe(traces.epochGpuNs.toString());
    const file = tracesFileFor(resultFile);
    expect(file).toBe(join(dir, 'run.traces.gz'));
    const read = await readTracesFile(file);
    expect(read.header.resultCreatedAt).toBe(result.createdAt);
    expect(read.header.clients.map((c) => [c.client, c.role])).toEqual([
      [0, 'gemm'],
      [1, 'gemm'],
    ]);
    for (const [k, t] of traces.clients.entries()) {
      const back = read.clients[k]!;
      expect(back.ctas.start.length).toBe(t.ctaStart.length);
      expect(back.ctas.start.length).toBeGreaterThan(100);
      expect(Array.from(back.ctas.start)).toEqual(Array.from(t.ctaStart));
      expect(Array.from(back.ctas.end)).toEqual(Array.from(t.ctaEnd));
      expect(Array.from(back.ctas.sm)).toEqual(Array.from(t.ctaSm));
    }
  });

  it('are named after the result: run.json and run.json.gz → run.traces.gz, anything else gets .traces.gz added', () => {
    expect(tracesFileFor('/r/a.json')).toBe('/r/a.traces.gz');
    expect(tracesFileFor('/r/a.json.gz')).toBe('/r/a.traces.gz');
    expect(tracesFileFor('/r/result')).toBe('/r/result.traces.gz');
  });
});

describe('gpushare-micro export --perfetto', () => {
  it('writes valid Trace Event JSON: a process per client, a thread per SM, µs in order on every track, a span per switch gap', async () => {
    const out = join(dir, 'run.perfetto.json');
    const r = cliRun('export', '--perfetto', out, resultFile);
    expect(r.stderr).toMatch(
      /^gpushare-micro: wrote .*run\.perfetto\.json: [\d,]+ CTA spans, no kernel records \(run with --cupti\), \d+ switch gaps, \d+ time slices; open it in https:\/\/ui\.perfetto\.dev\n$/,
    );
    expect(r.status).toBe(0);
    const trace = JSON.parse(await readFile(out, 'utf8')) as Trace;
    expect(trace.displayTimeUnit).toBe('ns');
    const events = trace.traceEvents;
    const processes = names(events, 'process_name');
    expect([...processes.values()]).toEqual(['GPU: Stand-in GPU', 'client 0 (gemm)', 'client 1 (gemm)']);
    const threads = names(events, 'thread_name');
    const byTrack = tracks(events);
    // Every track's events: in time order, none overlapping the next (the viewer would nest them).
    const disorder: string[] = [];
    for (const [key, list] of byTrack) {
      for (let i = 1; i < list.length; i++) {
        const [prev, next] = [list[i - 1]!, list[i]!];
        if (next.ts! < prev.ts! + prev.dur! - 1e-3) disorder.push(`${key}: ${next.ts} after ${prev.ts} + ${prev.dur}`);
      }
    }
    expect(disorder).toEqual([]);
    expect([...byTrack.keys()].filter((key) => !threads.has(key))).toEqual([]);
    // Each client's CTAs: one thread per SM (8 SMs; the stand-in's CTAs never share an SM), every kept record written, in µs.
    for (const t of traces.clients) {
      const pid = 2 + t.client;
      const ctas = events.filter((e) => e.ph === 'X' && e.pid === pid && e.cat === 'cta');
      expect(ctas).toHaveLength(t.ctaStart.length);
      const smThreads = [...threads].filter(([key, name]) => key.startsWith(`${pid}/`) && name.startsWith('SM '));
      expect(smThreads.map(([, name]) => name)).toEqual(['SM 0', 'SM 1', 'SM 2', 'SM 3', 'SM 4', 'SM 5', 'SM 6', 'SM 7']);
      const onSm3 = ctas.filter((e) => e.tid === 1003).map((e) => [e.ts, e.dur]);
      const recorded = Array.from(t.ctaStart.keys())
        .filter((i) => t.ctaSm[i] === 3)
        .map((i) => [t.ctaStart[i]! / 1e3, (t.ctaEnd[i]! - t.ctaStart[i]!) / 1e3])
        .sort((a, b) => a[0]! - b[0]!);
      expect(onSm3).toEqual(recorded);
    }
    // A span per switch gap of the analysis, at its time, on the GPU's track.
    const gaps = events.filter((e) => e.cat === 'switch');
    const s = result.shared.switches;
    expect(s.switches.length).toBeGreaterThan(20);
    expect(gaps.map((e) => [e.pid, e.ts, e.dur, e.name])).toEqual(
      s.switches.map((x) => [
        1,
        Math.round(x.atNs) / 1e3,
        (Math.round(x.atNs + x.gapNs) - Math.round(x.atNs)) / 1e3,
        `switch client ${x.from} → client ${x.to}`,
      ]),
    );
    expect(threads.get('1/1')).toBe('context switch gaps');
    // The time slices, per client.
    expect(events.filter((e) => e.cat === 'slice')).toHaveLength(s.slices.length);
  });

  it('writes at most --max-ctas CTA spans, the earliest, and says so', async () => {
    const out = join(dir, 'few.perfetto.json');
    const r = cliRun('export', '--perfetto', out, resultFile, '--max-ctas', '100');
    expect(r.status).toBe(0);
    const trace = JSON.parse(await readFile(out, 'utf8')) as Trace;
    const ctas = trace.traceEvents.filter((e) => e.cat === 'cta');
    // Every CTA that starts before the 101st earliest start: 96 here, as the stand-in's 8 SMs start their CTAs at once.
    const all = traces.clients.flatMap((t) => Array.from(t.ctaStart)).sort((a, b) => a - b);
    const before = all.filter((t) => t < all[100]!).length;
    expect(before).toBeGreaterThan(50);
    expect(before).toBeLessThanOrEqual(100);
    expect(ctas).toHaveLength(before);
    expect(Math.max(...ctas.map((e) => e.ts!))).toBeLessThan(all[100]! / 1e3);
    expect(r.stderr).toContain(
      ` ${before} CTA spans (of ${all.length.toLocaleString('en-US')}: the earliest, up to ${(all[100]! / 1e6).toFixed(1)} ms; --max-ctas for more)`,
    );
    expect(trace.otherData.ctasCut).toContain('left out (--max-ctas)');
  });

  it('without kept traces, writes the switch gaps and slices and says how to keep the CTAs', async () => {
    const bare = await writeResult(dir, 'bare.json', result);
    const out = join(dir, 'bare.perfetto.json');
    const r = cliRun('export', '--perfetto', out, bare);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('no CTA spans (run with --keep-traces --json FILE to keep them)');
    const trace = JSON.parse(await readFile(out, 'utf8')) as Trace;
    expect(trace.traceEvents.filter((e) => e.cat === 'cta')).toHaveLength(0);
    expect(trace.traceEvents.filter((e) => e.cat === 'switch')).toHaveLength(result.shared.switches.switches.length);
  });

  it.each([
    [['export', 'RESULT'], "required option '--perfetto <file>' not specified"],
    [['export', '--perfetto', 'OUT'], "missing required argument 'result'"],
    [['export', '--perfetto', 'OUT', '/nonexistent/run.json'], 'cannot read /nonexistent/run.json'],
    [['export', '--perfetto', '/proc/gsm.json', 'RESULT'], 'invalid --perfetto: expected a path in a writable directory'],
    [['export', '--perfetto', 'OUT', 'RESULT', '--max-ctas', '0x10'], 'invalid --max-ctas'],
    [['export', '--perfetto', 'OUT', 'RESULT', '--traces', '/nonexistent/t.gz'], 'invalid --traces: expected a traces file kept by run --keep-traces'],
    [['export', '--perfetto', 'OUT', 'RESULT', '--traces', 'NOT_GZIP'], 'not gzip data'],
    [['export', '--perfetto', 'OUT', 'RESULT', '--traces', 'CUT'], 'is cut short or damaged: its header lists'],
    [['export', '--perfetto', 'OUT', 'RESULT', '--traces', 'OTHER'], 'belongs to the result made at 2020-01-01T00:00:00.000Z'],
    [['--keep-traces'], 'invalid --keep-traces: expected --json FILE too'],
    // The traces are kept beside a result file: --json - writes none.
    [['--keep-traces', '--json', '-'], 'invalid --keep-traces: expected --json FILE too'],
    [['--keep-traces', '--json'], 'invalid --keep-traces: expected --json FILE too'],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    await writeFile(join(dir, 'not-gzip.gz'), 'plain text');
    const read = await readTracesFile(tracesFileFor(resultFile));
    const header = JSON.stringify(read.header);
    await writeFile(join(dir, 'cut.gz'), gzipSync(Buffer.concat([Buffer.from(`${header}\n`), Buffer.alloc(32)])));
    await writeFile(
      join(dir, 'other.gz'),
      gzipSync(Buffer.from(`${JSON.stringify({ ...read.header, resultCreatedAt: '2020-01-01T00:00:00.000Z', clients: [] })}\n`)),
    );
    const files: Record<string, string> = {
      RESULT: resultFile,
      OUT: join(dir, 'never.json'),
      NOT_GZIP: join(dir, 'not-gzip.gz'),
      CUT: join(dir, 'cut.gz'),
      OTHER: join(dir, 'other.gz'),
    };
    const r = cliRun(...args.map((a) => files[a] ?? a));
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(r.stdout).toBe('');
  });
});

describe('the trace events', () => {
  it('put CTAs resident on one SM at once on threads of their own, and CUPTI kernels on the trace clock', () => {
    const copy = structuredClone(result);
    const epoch = traces.epochGpuNs;
    // Client 0's kernels as CUPTI records them: host ns after its epoch, the GPU clock 2 µs after the trace epoch.
    copy.shared.clients[0]!.kernelActivity = {
      available: true,
      pid: 1,
      hostEpochNs: '5000',
      gpuEpochNs: (epoch + 2000n).toString(),
      gpuPerHostNs: 1,
      names: ['gemm_bf16_kernel'],
      kernels: {
        startNs: [1000, 5000, 5500],
        endNs: [4000, 9000, 6000],
        nameIndex: [0, 0, 0],
        streamId: [7, 7, 8],
        correlationId: [1, 2, 3],
        deviceId: [0, 0, 0],
        contextId: [1, 1, 1],
        grid: [8, 1, 1, 8, 1, 1, 8, 1, 1],
        block: [256, 1, 1, 256, 1, 1, 256, 1, 1],
      },
      summaries: [],
    };
    const f64 = (v: number[]) => Float64Array.from(v);
    // Three CTAs on SM 5: the second starts before the first ends (co-resident), the third after both.
    const kept = {
      epochGpuNs: epoch,
      clients: [
        {
          client: 0,
          role: 'gemm',
          ctas: { start: f64([1000, 1500, 4000]), end: f64([3000, 3500, 5000]), sm: Uint32Array.from([5, 5, 5]) },
          gaps: { start: f64([]), end: f64([]), sm: new Uint32Array(0) },
        },
      ],
    };
    const { events, counts } = perfettoEvents({ result: copy, traces: kept });
    const threads = names(events, 'thread_name');
    const ctas = events.filter((e) => e.cat === 'cta').map((e) => [threads.get(`${e.pid}/${e.tid}`), e.ts, e.dur]);
    expect(ctas).toEqual([
      ['SM 5', 1, 2],
      ['SM 5 · 2', 1.5, 2],
      ['SM 5', 4, 1],
    ]);
    const kernels = events
      .filter((e) => e.cat === 'kernel')
      .map((e) => [threads.get(`${e.pid}/${e.tid}`), e.name, e.ts, e.dur, (e.args as { stream: number }).stream]);
    expect(kernels).toEqual([
      ['kernels (CUPTI)', 'gemm_bf16_kernel', 3, 3, 7],
      ['kernels (CUPTI)', 'gemm_bf16_kernel', 7, 4, 7],
      ['kernels (CUPTI) · 2', 'gemm_bf16_kernel', 7.5, 0.5, 8],
    ]);
    expect(counts).toMatchObject({ ctas: 3, ctasWritten: 3, kernels: 3, kernelsUnaligned: false });
  });

  it('take a run of half a million CUPTI kernels and CTAs (an H200 4-client run has that many) without overflowing the stack', () => {
    const n = 500_000;
    const copy = structuredClone(result);
    const epoch = traces.epochGpuNs;
    const times = (from: number) => Array.from({ length: n }, (_, i) => from + i * 1000);
    copy.shared.clients[0]!.kernelActivity = {
      available: true,
      pid: 1,
      hostEpochNs: '0',
      gpuEpochNs: epoch.toString(),
      gpuPerHostNs: 1,
      names: ['k'],
      kernels: {
        startNs: times(0),
        endNs: times(900),
        nameIndex: new Array<number>(n).fill(0),
        streamId: new Array<number>(n).fill(7),
        correlationId: times(1),
        deviceId: new Array<number>(n).fill(0),
        contextId: new Array<number>(n).fill(1),
        grid: new Array<number>(3 * n).fill(1),
        block: new Array<number>(3 * n).fill(1),
      },
      summaries: [],
    };
    const none = { start: new Float64Array(0), end: new Float64Array(0), sm: new Uint32Array(0) };
    const ctas = { start: Float64Array.from(times(0)), end: Float64Array.from(times(900)), sm: new Uint32Array(n) };
    const { events, counts } = perfettoEvents({ result: copy, traces: { epochGpuNs: epoch, clients: [{ client: 0, role: 'gemm', ctas, gaps: none }] } });
    expect(counts).toMatchObject({ ctas: n, kernels: n });
    expect(counts.ctasWritten).toBeGreaterThan(0);
    expect(events.filter((e) => e.cat === 'kernel')).toHaveLength(n);
  });

  it('assign each span the first lane free at its start', () => {
    const start = [0, 1, 2, 5, 5];
    const end = [3, 2, 6, 7, 6];
    const { order, lane } = assignLanes(start, end, [0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 4, 3]);
    expect(order.map((i) => lane.get(i))).toEqual([0, 1, 1, 0, 2]);
  });
});

describe('run --keep-traces with --runs', () => {
  it("keeps the traces of the run whose phases the result holds (the median run's)", async () => {
    process.env.STAND_IN_PROCS = '2';
    const handed: PhaseTraces[] = [];
    let repeated: RunResult;
    try {
      repeated = await run(
        { procs: 2, duration: '200ms', size: 256, seed: 1, sampleMs: 0, runs: 3 },
        { clientModule, ...standInDevice(), onTraces: (t) => handed.push(t) },
      );
    } finally {
      delete process.env.STAND_IN_PROCS;
    }
    expect(handed).toHaveLength(3);
    const picked = tracesOfResult(repeated, handed);
    expect(picked).toBe(handed[repeated.repeats!.recorded]);
    expect(picked!.epochGpuNs.toString()).toBe(repeated.shared.traceEpochGpuNs);
    // A run that handed fewer traces than it made runs: none rather than another run's.
    expect(tracesOfResult({ ...repeated, shared: { ...repeated.shared, traceEpochGpuNs: undefined } }, handed.slice(1))).toBeUndefined();
    // One run: its traces.
    expect(tracesOfResult({ shared: {} }, [handed[0]!])).toBe(handed[0]);
  });
});

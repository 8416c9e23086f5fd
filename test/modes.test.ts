// Sharing modes without a GPU: what each mode says it is (its traits), option combinations, device
// limits checked before any client starts, and how each mode lays the clients out over processes
// (stand-in clients).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { ModeUnavailableError, OptionError } from '../src/errors.js';
import { info } from '../src/info.js';
import { pick } from '../src/metrics/summary.js';
import { checkSplit, equalSplit, grantedSms } from '../src/modes/green.js';
import { findMode, modeOptions, modesTaking, modeTitle, SHARING_MODES, sharingMode } from '../src/modes/index.js';
import type { ModeContext } from '../src/modes/mode.js';
import { MODES, type RawRunOptions, type RunOptions } from '../src/options.js';
import { findExecutable, MPS_CONTROL } from '../src/mps/daemon.js';
import { validateRunResult } from '../src/report/schema.js';
import { formatRunResult } from '../src/report/table.js';
import { run, type Progress } from '../src/run.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));
const hopper = () => standInDevice({ smCount: 132 });

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('expected an OptionError');
}

afterEach(() => {
  delete process.env.STAND_IN_PROCS;
});

describe('what each mode is', () => {
  it('declares its traits, which the rest of the code asks instead of testing its name', () => {
    const traits = Object.fromEntries(MODES.map((m) => [m, { ...sharingMode(m).traits, title: modeTitle(sharingMode(m).traits) }]));
    expect(traits).toEqual({
      timeslice: {
        label: 'time slicing',
        title: 'time slicing',
        oneProcess: false,
        concurrent: false,
        sharedSmIds: true,
        clientFigures: [],
        pmSampling: true,
        soloOn: 'device',
      },
      mps: { label: 'MPS', title: 'MPS', oneProcess: false, concurrent: true, sharedSmIds: true, clientFigures: [], pmSampling: false, soloOn: 'device' },
      streams: {
        label: 'CUDA streams',
        title: 'CUDA streams in one process',
        oneProcess: true,
        concurrent: true,
        sharedSmIds: true,
        clientFigures: ['priority'],
        pmSampling: false,
        soloOn: 'device',
      },
      green: {
        label: 'green contexts',
        title: 'green contexts in one process',
        oneProcess: true,
        concurrent: true,
        sharedSmIds: true,
        clientFigures: ['priority', 'sms'],
        pmSampling: false,
        soloOn: 'device',
      },
      mig: { label: 'MIG', title: 'MIG', oneProcess: false, concurrent: true, sharedSmIds: false, clientFigures: [], pmSampling: false, soloOn: 'mig' },
    });
    for (const m of MODES) expect(SHARING_MODES[m].name).toBe(m);
    expect(findMode('streams')).toBe(sharingMode('streams'));
    expect(findMode('vgpu')).toBeUndefined();
  });

  it('lists the options it takes; the run configuration asks it, and rejects the others naming the modes that take them', () => {
    expect(modeOptions().map((o) => o.flag)).toEqual(['--mps-pipe', '--mps-threads', '--mps-mem', '--priority', '--sm-split']);
    expect(modesTaking('priority')).toEqual(['streams', 'green']);
    const values: Partial<Record<keyof RunOptions, string>> = { mpsPipe: '/tmp/pipe', mpsThreads: '50', mpsMem: '4G', priority: 'high', smSplit: '64,64' };
    for (const mode of MODES) {
      for (const { key, flag } of modeOptions()) {
        const options: RawRunOptions = { procs: 2, mode, [key]: values[key] };
        if (sharingMode(mode).options.some((o) => o.key === key)) {
          expect(() => resolveRunConfig(options)).not.toThrow();
        } else {
          const e = optionError(() => resolveRunConfig(options));
          expect(e.option).toBe(flag);
          expect(e.message).toContain(`only with --mode ${modesTaking(key).join(' or --mode ')} (the mode is ${mode})`);
        }
      }
    }
  });

  it('says whether --pm-sampling can run beside its clients', () => {
    for (const mode of MODES) {
      if (sharingMode(mode).traits.pmSampling) expect(resolveRunConfig({ mode, pmSampling: true }).observe.pmSampling).toBe(true);
      else expect(optionError(() => resolveRunConfig({ mode, pmSampling: true })).message).toContain('--pm-sampling only with --mode timeslice');
    }
  });

  it('lays the clients out without side effects: what it decided comes back beside the workers', async () => {
    const { environment, binding } = hopper();
    const ctx = (mode: 'streams' | 'green', extra: RawRunOptions): ModeContext => ({
      config: resolveRunConfig({ procs: 2, mode, ...extra }),
      environment,
      binding,
    });
    const loop = (client: number) => loopConfig(gemmWorkload(256, client + 1));
    const streamsSession = await sharingMode('streams').setup(ctx('streams', { priority: 'high,low' }));
    const facts = structuredClone(streamsSession.facts);
    const layout = streamsSession.layout(2, loop);
    expect(layout.facts).toEqual({ priorities: [-5, 0] });
    expect(layout.workers.map((w) => w.clients.map((c) => c.config.streamPriority))).toEqual([[-5, 0]]);
    expect(streamsSession.facts).toEqual(facts);
    expect(streamsSession.facts).toEqual({ priorityRange: { least: 0, greatest: -5 } });
    const greenSession = await sharingMode('green').setup(ctx('green', { smSplit: '96,32' }));
    expect(greenSession.layout(2, loop).facts).toEqual({ requestedSms: [96, 32] });
    expect(greenSession.layout(2, loop).workers[0]!.greenSmCounts).toEqual([96, 32]);
    expect(greenSession.facts).toEqual({ smCount: 132, granularity: { minPartition: 8, alignment: 8 } });
    expect(await greenSession.teardown()).toEqual({});
  });
});

describe('info()', () => {
  it('asks every mode whether it can run, on the device of the binding it is given', async () => {
    const r = await info(standInDevice({ smCount: 132 }).binding);
    expect(r.available).toBe(true);
    expect(r.gpus.map((g) => g.name)).toEqual(['Stand-in GPU']);
    expect(r.modes.map((m) => m.mode)).toEqual([...MODES]);
    const byName = Object.fromEntries(r.modes.map((m) => [m.mode, m]));
    for (const m of ['timeslice', 'streams', 'green'] as const) expect(byName[m]).toEqual({ mode: m, possible: true, reason: sharingMode(m).description });
    expect(byName.mig!.possible).toBe(false);
  });
});

describe('mode options', () => {
  it('defaults to time slicing with no mode options', () => {
    const c = resolveRunConfig({});
    expect(c.mode).toBe('timeslice');
    expect(c.mps).toBeUndefined();
    expect(c.priorities).toBeUndefined();
    expect(c.smSplit).toBeUndefined();
  });

  it.each([
    [{ mpsThreads: '50' }, '--mps-threads', '--mode mps'],
    [{ mpsMem: '4G', mode: 'streams' }, '--mps-mem', '--mode mps'],
    [{ mpsPipe: '/tmp/x' }, '--mps-pipe', '--mode mps'],
    [{ priority: 'high' }, '--priority', '--mode streams or --mode green'],
    [{ priority: 'high', mode: 'mps' }, '--priority', '--mode streams or --mode green'],
    [{ smSplit: '64,64', mode: 'streams' }, '--sm-split', '--mode green'],
    [{ mode: 'vgpu' }, '--mode', 'timeslice, mps, streams, green, mig'],
  ])('rejects %j naming %s', (options, option, expected) => {
    const e = optionError(() => resolveRunConfig({ procs: 2, ...options }));
    expect(e.option).toBe(option);
    expect(e.message).toContain(expected);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('takes one value for all clients or one per client', () => {
    expect(resolveRunConfig({ procs: 3, mode: 'mps', mpsThreads: '40' }).mps?.threads).toEqual([40, 40, 40]);
    expect(resolveRunConfig({ procs: 2, mode: 'mps', mpsThreads: '25,75' }).mps?.threads).toEqual([25, 75]);
    expect(optionError(() => resolveRunConfig({ procs: 3, mode: 'mps', mpsThreads: '25,75' })).message).toContain('3 values');
    expect(optionError(() => resolveRunConfig({ procs: 2, mode: 'mps', mpsThreads: '0' })).option).toBe('--mps-threads');
    expect(resolveRunConfig({ procs: 2, mode: 'streams', priority: 'high,low' }).priorities).toEqual(['high', 'low']);
    expect(resolveRunConfig({ procs: 2, mode: 'streams', priority: '-3' }).priorities).toEqual([-3, -3]);
    expect(optionError(() => resolveRunConfig({ procs: 2, mode: 'streams', priority: 'urgent' })).option).toBe('--priority');
    expect(optionError(() => resolveRunConfig({ procs: 2, mode: 'green', smSplit: '64' })).message).toContain('2 SM counts');
  });

  it('parses --mps-mem sizes', () => {
    expect(resolveRunConfig({ procs: 2, mode: 'mps', mpsMem: '4G' }).mps?.memBytes).toEqual([4 * 2 ** 30, 4 * 2 ** 30]);
    expect(resolveRunConfig({ procs: 1, mode: 'mps', mpsMem: '512M' }).mps?.memBytes).toEqual([512 * 2 ** 20]);
    expect(resolveRunConfig({ procs: 1, mode: 'mps', mpsMem: '1.5GiB' }).mps?.memBytes).toEqual([1.5 * 2 ** 30]);
    expect(optionError(() => resolveRunConfig({ procs: 1, mode: 'mps', mpsMem: 'lots' })).option).toBe('--mps-mem');
  });
});

describe('green-context SM split', () => {
  // As the H200 reports it: 132 SMs, but only 15 groups of 8 from the driver.
  const h200 = { supported: true, smCount: 132, minPartition: 8, alignment: 8, unitGroups: 15 };
  it('rounds requests up to the granularity', () => {
    expect(grantedSms(66, h200)).toBe(72);
    expect(grantedSms(64, h200)).toBe(64);
    expect(grantedSms(3, h200)).toBe(8);
  });
  it('splits equally in whole groups', () => {
    expect(equalSplit(2, h200)).toEqual([64, 64]);
    expect(equalSplit(3, h200)).toEqual([40, 40, 40]);
    expect(equalSplit(4, h200)).toEqual([32, 32, 32, 32]);
    expect(equalSplit(17, h200)).toBeUndefined();
  });
  it('rejects a split that does not fit after rounding, with a suggestion', () => {
    const e = optionError(() => checkSplit([66, 66], h200, '66,66'));
    expect(e.option).toBe('--sm-split');
    expect(e.message).toContain('72,72 = 144');
    expect(e.message).toContain('e.g. 64,64');
    expect(() => checkSplit([64, 56], h200, '64,56')).not.toThrow();
    expect(() => checkSplit([64, 64], h200, '64,64')).not.toThrow(); // equal: one split into two groups
    expect(optionError(() => checkSplit([96, 32], h200, '96,32')).message).toContain("driver's 15 groups of 8 SMs (120 SMs)");
    expect(() => checkSplit([200, 8], h200, '200,8')).toThrow(OptionError);
  });
});

describe('modes with stand-in clients', () => {
  it('streams: one process hosts every client, each with its stream priority', async () => {
    process.env.STAND_IN_PROCS = '3';
    const r = await run({ procs: 3, duration: '200ms', size: 256, mode: 'streams', priority: ['high', 'low', -2] }, { clientModule, ...hopper() });
    expect(r.complete).toBe(true);
    expect(r.mode).toBe('streams');
    const pids = new Set(r.shared.clients.map((c) => c.pid));
    expect(pids.size).toBe(1);
    expect(r.shared.clients.map((c) => c.streamPriority)).toEqual([-5, 0, -2]);
    expect(r.modeFacts?.priorities).toEqual([-5, 0, -2]);
    expect(pick(r.comparison, 'fairness')?.value).toBeGreaterThan(0.3);
    validateRunResult(JSON.parse(JSON.stringify(r)));
    expect(formatRunResult(r)).toContain('CUDA streams in one process');
  });

  it('streams: a priority outside the device range fails before any client starts', async () => {
    const events: Progress[] = [];
    await expect(run({ procs: 2, mode: 'streams', priority: 3 }, { clientModule, ...hopper(), onProgress: (e) => events.push(e) })).rejects.toThrow(
      /invalid --priority: expected high, low or an integer in -5\.\.0/,
    );
    expect(events).toHaveLength(0);
  });

  it('green: one process, the requested split per client', async () => {
    process.env.STAND_IN_PROCS = '2';
    const r = await run({ procs: 2, duration: '200ms', size: 256, mode: 'green', smSplit: [96, 32] }, { clientModule, ...hopper() });
    expect(r.complete).toBe(true);
    expect(new Set(r.shared.clients.map((c) => c.pid)).size).toBe(1);
    expect(r.shared.clients.map((c) => c.smsAvailable)).toEqual([96, 32]);
    expect(r.modeFacts?.requestedSms).toEqual([96, 32]);
    expect(r.shared.clients.map((c) => pick(c.summaries, 'sms')?.value)).toEqual([96, 32]);
  });

  it('green: a split larger than the SM count fails before any GPU work', async () => {
    const events: Progress[] = [];
    await expect(
      run({ procs: 2, mode: 'green', smSplit: [100, 100] }, { clientModule, ...hopper(), onProgress: (e) => events.push(e) }),
    ).rejects.toBeInstanceOf(OptionError);
    expect(events).toHaveLength(0);
  });

  it('timeslice: one process per client', async () => {
    process.env.STAND_IN_PROCS = '2';
    const r = await run({ procs: 2, duration: '200ms', size: 256 }, { clientModule, ...hopper() });
    expect(new Set(r.shared.clients.map((c) => c.pid)).size).toBe(2);
  });

  it('timeslice cannot run on an exclusive-process GPU, and says why', async () => {
    await expect(run({ procs: 2 }, { clientModule, ...standInDevice({ computeMode: 'exclusive-process' }) })).rejects.toThrow(/exclusive-process/);
  });

  it.skipIf(findExecutable(MPS_CONTROL) !== undefined)('mps without the MPS binaries says exactly that', async () => {
    const events: Progress[] = [];
    const error = await run({ procs: 2, mode: 'mps' }, { clientModule, ...hopper(), onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModeUnavailableError);
    expect((error as Error).message).toMatch(/^--mode mps cannot run here: nvidia-cuda-mps-control was not found/);
    expect(events).toHaveLength(0);
  });

  it('mps: --mps-mem smaller than a client needs is an option error', async () => {
    const error = await run({ procs: 2, mode: 'mps', mpsMem: '64M', size: 4096 }, { clientModule, ...hopper() }).catch((e: unknown) => e);
    // Without the MPS binaries the mode is unavailable first; with them, the limit is checked.
    if (findExecutable(MPS_CONTROL)) expect((error as OptionError).option).toBe('--mps-mem');
    else expect(error).toBeInstanceOf(ModeUnavailableError);
  });
});

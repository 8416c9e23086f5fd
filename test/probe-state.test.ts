// The probe's resident state (probe --smem/--threads/--regs): options parsed and checked before any
// GPU work, the state carried to the native workload as the probe's shape, reported back per client,
// printed under the switches, and measured once per state as a probe curve (with stand-in clients).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { OptionError } from '../src/errors.js';
import { workloadSpec } from '../src/phase.js';
import { probeCurve, probeCurveRuns } from '../src/probe-curve.js';
import { describeResident, probeMaxThreads, probeShape, probeStates } from '../src/registry/probe-state.js';
import { formatProbeCurve } from '../src/report/probe-curve-table.js';
import { formatRunResult } from '../src/report/table.js';
import { standInDevice } from './fixtures/stand-in-run-binding.js';

const clientModule = fileURLToPath(new URL('./fixtures/stand-in-client.mjs', import.meta.url));

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).not.toContain('\n');
    return error as OptionError;
  }
  throw new Error('expected an OptionError');
}

afterEach(() => {
  delete process.env.STAND_IN_PROCS;
});

describe('probe state options', () => {
  it('reads bytes with K, and measures the product of the axes in order (smem outermost)', () => {
    expect(probeStates({ smem: '0,64K', threads: '1,256', regs: 128 })).toEqual([
      { sharedBytes: 0, threads: 1, registers: 128 },
      { sharedBytes: 0, threads: 256, registers: 128 },
      { sharedBytes: 65536, threads: 1, registers: 128 },
      { sharedBytes: 65536, threads: 256, registers: 128 },
    ]);
    expect(probeStates({ smem: '200K' })).toEqual([{ sharedBytes: 204800, threads: 1, registers: 0 }]);
    expect(probeStates({ smem: 4096 })).toEqual([{ sharedBytes: 4096, threads: 1, registers: 0 }]);
  });

  it.each([
    [{ smem: '228K' }, '--smem'],
    [{ smem: '-1' }, '--smem'],
    [{ smem: '1M' }, '--smem'],
    [{ threads: '0' }, '--threads'],
    [{ threads: '1025' }, '--threads'],
    [{ regs: '100' }, '--regs'],
    [{ threads: '1024', regs: '255' }, '--threads'],
    [{ threads: '513', regs: '128' }, '--threads'],
    [{ smem: '0,,64K' }, '--smem'],
  ])('refuses %j in one line naming %s', (options, flag) => {
    expect(optionError(() => probeStates(options)).option).toBe(flag);
  });

  it('allows as many threads as the register file holds for each variant', () => {
    expect(probeMaxThreads(0)).toBe(1024);
    expect(probeMaxThreads(64)).toBe(1024);
    expect(probeMaxThreads(128)).toBe(512);
    expect(probeMaxThreads(255)).toBe(256);
    expect(probeStates({ threads: '256', regs: '255' })).toHaveLength(1);
  });

  it('is the probe shape [sharedBytes, threads, registers] of a run, and the plain probe has none', () => {
    const config = resolveRunConfig({ kernel: 'probe', procs: 2, smem: '64K', threads: 256, regs: 128 });
    expect(config.clients[0]!.shape).toEqual([65536, 256, 128]);
    expect(workloadSpec(config, 0, 132).shape).toEqual([65536, 256, 128]);
    expect(resolveRunConfig({ kernel: 'probe', procs: 2 }).clients[0]!.shape).toEqual([]);
    expect(probeShape({})).toEqual([]);
  });

  it('takes one value per run, only with the probe kernel, and not beside --client', () => {
    expect(optionError(() => resolveRunConfig({ kernel: 'probe', smem: '0,64K' })).option).toBe('--smem');
    expect(optionError(() => resolveRunConfig({ kernel: 'gemm', threads: 256 })).option).toBe('--threads');
    expect(optionError(() => resolveRunConfig({ clients: ['role=a,kernel=probe'], regs: 32 })).option).toBe('--regs');
  });

  it('validates every state of a curve before the first run', () => {
    expect(probeCurveRuns({ smem: '0,64K', duration: '1s' })).toHaveLength(2);
    expect(optionError(() => probeCurveRuns({ smem: '0,64K', duration: 'forever' })).option).toBe('--duration');
  });

  it('describes what one CTA holds', () => {
    expect(describeResident({ sharedBytesPerCta: 65536, threadsPerCta: 256, registersPerThread: 122 })).toBe(
      '64 KiB shared, 256 threads x 122 registers (122 KiB)',
    );
  });
});

describe('a probe curve with stand-in clients', () => {
  it('runs one probe per state, each reporting the state it held, and prints the curve', async () => {
    process.env.STAND_IN_PROCS = '2';
    const seen: number[] = [];
    const curve = await probeCurve(
      { smem: '0,64K', threads: 256, regs: 64, duration: '200ms', warmup: '0ms', sampleMs: 0 },
      { clientModule, ...standInDevice({ smCount: 132 }) },
      (_, i) => seen.push(i),
    );
    expect(seen).toEqual([0, 1]);
    expect(curve.schema).toBe('gpushare-micro/probe-curve');
    expect(curve.points.map((p) => p.state.sharedBytes)).toEqual([0, 65536]);
    for (const p of curve.points) {
      expect(p.complete).toBe(true);
      expect(p.resident).toEqual({ sharedBytesPerCta: p.state.sharedBytes, threadsPerCta: 256, registersPerThread: 64 });
      expect(p.heldBytesPerSm).toBe(p.state.sharedBytes + 256 * 64 * 4);
      expect(p.switches).toBeGreaterThan(0);
      expect(p.gap).toBeDefined();
      expect(p.result.options.clients[0]!.shape).toEqual([p.state.sharedBytes, 256, 64]);
      // Each run's switch section names the state its gap belongs to.
      expect(formatRunResult(p.result)).toContain(`held per SM while switched out: ${describeResident(p.resident!)}`);
    }
    const table = formatProbeCurve(curve);
    expect(table).toMatch(/shared\/SM.*threads.*regs asked/);
    expect(table).toMatch(/64K\s*│\s*256\s*│\s*64/);
    expect(table).toContain('gap p50');
  });
});

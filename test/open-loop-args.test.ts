// The addon reads an open loop's schedule (LoopConfig.arrivalsNs) and a bursty loop's windows
// (LoopConfig.bursts) or refuses them with a TypeError, code ERR_ARGS, naming what was expected. Needs
// the addon, not a GPU (a loop is only constructed here).
import { describe, expect, it } from 'vitest';
import type { LoopConfig, NativeBinding } from '../src/binding/contract.js';
import { loadBinding } from '../src/binding/loader.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';

let binding: NativeBinding | undefined;
try {
  binding = loadBinding();
} catch {
  binding = undefined;
}

const base = () => loopConfig(gemmWorkload(4), { durationNs: 1e8 });
const bursts = { onNs: 5e7, offNs: 1e8, phaseNs: 0 };

function argsError(config: unknown): Error & { code?: string } {
  try {
    new binding!.TimedLoop(config as LoopConfig);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the constructor to throw');
}

function expectRefused(config: unknown, message: RegExp): void {
  const e = argsError(config);
  expect(e).toBeInstanceOf(TypeError);
  expect(e.code).toBe('ERR_ARGS');
  expect(e.message).toMatch(message);
}

describe.skipIf(!binding)('open loop: arrivalsNs', () => {
  it('takes a Float64Array or an array of numbers, fractions and an empty schedule included', () => {
    for (const arrivalsNs of [new Float64Array([0, 0, 1.5, 2e6]), [0, 1e6, 86400e9], [], new Float64Array(0)]) {
      expect(() => new binding!.TimedLoop({ ...base(), arrivalsNs })).not.toThrow();
    }
    expect(() => new binding!.TimedLoop({ ...base(), durationNs: 0, launches: 3, arrivalsNs: [0, 1, 2] })).not.toThrow();
  });

  it('refuses another type, a bad element, a hole or a throwing element', () => {
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    const holey = [0, , 2];
    const expected = /expected arrivalsNs to be a Float64Array or an array of at most 50000000 numbers, each in \[0, 86400000000000\]/;
    for (const arrivalsNs of [
      null,
      '0,1',
      1e6,
      { length: 1, 0: 0 },
      new Float32Array([0, 1]),
      [0, '1'],
      [0, Number.NaN],
      [0, Infinity],
      [-1, 0],
      [0, 86400e9 + 1],
      new Float64Array([0, Number.NaN]),
      holey,
    ]) {
      expectRefused({ ...base(), arrivalsNs }, expected);
    }
    const throwing = [0, 1];
    Object.defineProperty(throwing, 1, {
      get: () => {
        throw new Error('no element today');
      },
    });
    expectRefused({ ...base(), arrivalsNs: throwing }, /could not read arrivalsNs\[1\]: no element today/);
  });

  it('refuses a schedule out of order, too long, or not as long as `launches`', () => {
    expectRefused({ ...base(), arrivalsNs: [0, 2e6, 1e6] }, /arrivalsNs to be ascending/);
    expectRefused({ ...base(), arrivalsNs: new Float64Array([5, 4]) }, /arrivalsNs to be ascending/);
    expectRefused({ ...base(), arrivalsNs: Array(50_000_001) }, /at most 50000000 numbers/);
    expectRefused({ ...base(), durationNs: 0, launches: 3, arrivalsNs: [0, 1] }, /exactly `launches` \(3\) entries, got 2/);
  });

  it('is not given together with bursts', () => {
    expectRefused({ ...base(), arrivalsNs: [0], bursts }, /at most one of arrivalsNs and bursts/);
  });
});

describe.skipIf(!binding)('bursty loop: bursts', () => {
  it('takes whole-nanosecond windows with a phase below their period', () => {
    expect(() => new binding!.TimedLoop({ ...base(), bursts })).not.toThrow();
    expect(() => new binding!.TimedLoop({ ...base(), bursts: { onNs: 1, offNs: 1, phaseNs: 1 } })).not.toThrow();
  });

  it('refuses what is not an object, a field missing, zero, a fraction, or a phase past the period', () => {
    expectRefused({ ...base(), bursts: 5 }, /expected an object for bursts/);
    expectRefused({ ...base(), bursts: { onNs: 5e7, offNs: 1e8 } }, /expected a number for phaseNs/);
    expectRefused({ ...base(), bursts: { ...bursts, onNs: 0 } }, /expected onNs in \[1, 86400000000000\]/);
    expectRefused({ ...base(), bursts: { ...bursts, offNs: 1.5 } }, /expected an integer for offNs/);
    expectRefused({ ...base(), bursts: { ...bursts, phaseNs: 1.5e8 } }, /bursts.phaseNs below bursts.onNs \+ bursts.offNs/);
  });
});

// The pieces behind "every bad input a one-line error": the strict number parser, echoed values cut to
// size, output paths checked before any work, the atomic writer naming its target, shape bounds.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputDir, checkOutputFile, oneLine } from '../src/cli/common.js';
import { decimal, decimalValue, integer, parseSize, resolveRunConfig } from '../src/config.js';
import { clip, OptionError, OutputError } from '../src/errors.js';
import { kernelWorkload, shapeProblem } from '../src/registry/kernels.js';
import { writeTextAtomic } from '../src/report/json.js';

const work = mkdtempSync(join(tmpdir(), 'gsm-hardening-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('decimalValue: numbers in options are plain decimals', () => {
  it('reads every safe integer and every decimal fraction as written, with surrounding spaces', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), fc.boolean(), (n, spaced) => decimalValue(spaced ? ` ${n} ` : String(n), 'integer') === (n === 0 ? 0 : n)));
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 999 }), (a, b) => decimalValue(`${a}.${b}`) === Number(`${a}.${b}`)));
    expect(decimalValue('+7', 'integer')).toBe(7);
    expect(decimalValue('.5')).toBe(0.5);
    expect(decimalValue('-0', 'integer')).toBe(0);
    expect(Object.is(decimalValue('-0', 'integer'), -0)).toBe(false);
  });

  it('refuses what Number() would take but nobody means: hex, binary, octal, exponents, Infinity, empty', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (n) =>
        [`0x${n.toString(16)}`, `0b${n.toString(2)}`, `0o${n.toString(8)}`, `${n}e0`, `${n}E2`, `${n}_0`, `${n},0`].every((s) => decimalValue(s) === undefined),
      ),
    );
    for (const s of ['', ' ', 'Infinity', '-Infinity', 'NaN', '１２', '1..2', '--1', '+-1', '.', '1 2'])
      expect(decimalValue(s), JSON.stringify(s)).toBeUndefined();
    for (const v of [Infinity, NaN, '9'.repeat(400), null, undefined, true, [], {}]) expect(decimalValue(v), String(v)).toBeUndefined();
  });

  it('takes no fraction and no inexact number where an integer is asked for', () => {
    expect(decimalValue('1.5', 'integer')).toBeUndefined();
    expect(decimalValue('4.0', 'integer')).toBeUndefined();
    expect(decimalValue(1.5, 'integer')).toBeUndefined();
    expect(decimalValue('9007199254740993', 'integer')).toBeUndefined();
    expect(() => integer('--seed', '1.5', 0, Number.MAX_SAFE_INTEGER)).toThrow('invalid --seed: expected an integer in 0..9007199254740991, got "1.5"');
    expect(() => integer('--procs', '0x4', 1, 64)).toThrow('invalid --procs: expected an integer in 1..64, got "0x4"');
    expect(() => decimal('--spin-us', '1e3', 10, 1e7)).toThrow('--spin-us');
    expect(() => resolveRunConfig({ seed: 1.5 })).toThrow('--seed');
    expect(() => resolveRunConfig({ mode: 'green', procs: 2, smSplit: '0x20,0x20' })).toThrow('--sm-split');
    expect(() => resolveRunConfig({ mode: 'mps', mpsThreads: '1e2' })).toThrow('--mps-threads');
  });

  it('bounds sizes', () => {
    expect(parseSize('--mps-mem', '4G')).toBe(4 * 2 ** 30);
    expect(() => parseSize('--mps-mem', '99999999T')).toThrow('a size from 1M to 1024T');
  });
});

describe('echoed values', () => {
  it('are cut to 60 characters, keeping both ends and the length', () => {
    const value = `${'a'.repeat(50_000)}THE-END`;
    const e = new OptionError('--mode', 'one of timeslice, mps', value);
    expect(e.message.length).toBeLessThan(150);
    expect(e.message).toMatch(/^invalid --mode: expected one of timeslice, mps, got "a+…a+THE-END" \(50007 characters\)$/);
    expect(clip('short')).toBe('short');
    // Never half of a surrogate pair.
    expect(clip('😀'.repeat(100))).toMatch(/^(😀)+…(😀)+ \(100 characters\)$/);
  });

  it('oneLine: joins lines, replaces control characters, cuts long words and the whole line', () => {
    expect(oneLine('first\n  second\r\nthird')).toBe('first second third');
    expect(oneLine('bell\u0007 escape\u001b[1m')).toBe('bell\ufffd escape\ufffd[1m');
    const long = oneLine(`cannot read ${'/x'.repeat(50_000)}: ENOENT`);
    expect(long.length).toBeLessThan(250);
    expect(long).toMatch(/^cannot read (\/x)+…(\/x)+: \(100001 characters\) ENOENT$/);
    expect(oneLine('word '.repeat(10_000)).length).toBeLessThanOrEqual(1100);
  });
});

describe('output paths are checked before any work', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');

  it('a file to write: its directory exists and takes a new file; an existing target is a regular file', () => {
    expect(checkOutputFile('--json', join(work, 'r.json'))).toBe(join(work, 'r.json'));
    expect(checkOutputFile('--json', file)).toBe(file);
    const cases: Array<[string, string]> = [
      ['/proc/gsm.json', 'no file can be created in /proc'],
      ['/sys/gsm.json', 'no file can be created in /sys'],
      [join(file, 'x.json'), 'is not one'],
      [join(work, 'missing', 'x.json'), 'a file in an existing directory'],
      [work, 'not a directory'],
      ['/dev/null', 'a regular file'],
      ['', 'a file path'],
      ['n'.repeat(5000), 'ENAMETOOLONG'],
    ];
    for (const [path, expected] of cases) {
      const e = (() => {
        try {
          checkOutputFile('--json', path);
        } catch (error) {
          return error as OptionError;
        }
        throw new Error(`accepted ${path}`);
      })();
      expect(e, path).toBeInstanceOf(OptionError);
      expect(e.option).toBe('--json');
      expect(e.message).toContain(expected);
    }
    // The probe file is gone again.
    expect(readdirSync(work).filter((f) => f.startsWith('.gpushare-micro-probe'))).toEqual([]);
  });

  it('a directory to create or fill: it or its nearest existing parent is a directory that takes a new file', () => {
    expect(checkOutputDir('--out', join(work, 'new', 'deeper'))).toBe(join(work, 'new', 'deeper'));
    expect(() => checkOutputDir('--out', join(file, 'sub'))).toThrow(`a directory (${join(work, 'a-file')} is not one)`);
    expect(() => checkOutputDir('--out', file)).toThrow('is not one');
    expect(() => checkOutputDir('--out', '/proc/gsm/results')).toThrow('no file can be created in /proc');
    expect(() => checkOutputDir('--pipe', ' ')).toThrow('invalid --pipe: expected a directory path');
  });
});

describe('the atomic writer', () => {
  it('names the target, not its temporary file, when the write fails', async () => {
    const target = join(work, 'nowhere', 'result.json');
    const error = await writeTextAtomic(target, '{}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).code).toBe('ERR_OUTPUT');
    expect((error as Error).message).toBe(`cannot write ${target}: ENOENT (no such file or directory)`);
    expect((error as Error).message).not.toContain('.tmp');
    // A directory in the target's place: the rename fails, and the temporary file is removed.
    const dir = join(work, 'is-a-dir');
    mkdirSync(join(dir, 'inside'), { recursive: true });
    const renamed = await writeTextAtomic(dir, '{}').catch((e: unknown) => e);
    expect((renamed as Error).message).toMatch(new RegExp(`^cannot write ${dir}: E`));
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await writeTextAtomic(join(work, 'ok.json'), '{"ok":true}');
    expect(readFileSync(join(work, 'ok.json'), 'utf8')).toBe('{"ok":true}');
  });
});

describe('shape bounds', () => {
  it('keeps every conv and attention tensor within 32-bit element counts', () => {
    expect(shapeProblem('conv', [100_000, 100_000, 224, 224, 64, 3, 3, 1, 1])).toMatch(/conv input x \(n·h·w·c\) must have at most 2147483647 elements/);
    expect(shapeProblem('conv', [1, 65536, 1, 1, 65536, 1, 1, 1, 0])).toMatch(/conv filter \(k·r·s·c\) must have at most/);
    expect(shapeProblem('conv', [2 ** 31 - 1, 1, 1, 1, 2, 1, 1, 1, 0])).toMatch(/conv output y \(n·p·q·k\)/);
    expect(shapeProblem('attention', [65536, 65536, 1, 64, 0])).toMatch(/Q, K, V and O .* at most 2147483647 elements/);
    expect(shapeProblem('attention', [1, 1, 2 ** 21, 64, 0], 'cublas')).toMatch(/cublas attention keeps batch·heads·seq·seq fp32 scores/);
    expect(shapeProblem('attention', [1, 1, 2 ** 21, 64, 0], 'own')).toBeUndefined();
    expect(shapeProblem('copy', [2 ** 31])).toMatch(/elements must be at most 2147483647/);
    // The largest tensors that still fit.
    expect(shapeProblem('conv', [2 ** 15, 1, 256, 256, 1, 1, 1, 1, 0])).toMatch(/input x/);
    expect(shapeProblem('conv', [2 ** 15 - 1, 1, 256, 256, 1, 1, 1, 1, 0])).toBeUndefined();
  });

  it('a run and the bench refuse such shapes before any GPU work, naming --shape', async () => {
    expect(() => resolveRunConfig({ kernel: 'conv', shape: '100000,100000,224,224,64,3,3,1,1' })).toThrow(/^invalid --shape: /);
    const { resolveBenchConfig } = await import('../src/bench/options.js');
    expect(() => resolveBenchConfig({ kernel: 'conv', shape: '100000,100000,224,224,64,3,3,1,1' })).toThrow(/^invalid --shape: expected conv input x/);
    expect(() => resolveBenchConfig({ kernel: 'gemm', shape: '131073,64,64' })).toThrow(/^invalid --shape: expected m, n and k at most 131072/);
  });

  it('a workload takes only an integer seed (the native side would truncate 1.5)', () => {
    expect(() => kernelWorkload('triad', 'own', [10], 1.5)).toThrow('for the seed, got 1.5');
    expect(() => kernelWorkload('triad', 'own', [10], -1)).toThrow('for the seed');
    expect(kernelWorkload('triad', 'own', [10], 2 ** 53 - 1).seed).toBe(2 ** 53 - 1);
  });
});

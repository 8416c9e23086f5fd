import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeIntervals, encodeIntervals } from '../src/metrics/traces.js';
import { formatJson, writeJsonAtomic } from '../src/report/json.js';

describe('trace records', () => {
  it('round-trip through the 16-byte binary format relative to an epoch', () => {
    const epoch = 1_764_000_000_123_456_789n; // a realistic %globaltimer value, above 2^53
    const bytes = encodeIntervals([
      { startNs: epoch + 5n, durationNs: 1000, sm: 3 },
      { startNs: epoch + 4_294_967_296n + 7n, durationNs: 0xffffffff, sm: 131 },
    ]);
    const t = decodeIntervals(bytes, epoch);
    expect(Array.from(t.start)).toEqual([5, 4_294_967_303]);
    expect(Array.from(t.end)).toEqual([1005, 4_294_967_303 + 0xffffffff]);
    expect(Array.from(t.sm)).toEqual([3, 131]);
  });

  it('decodes from an unaligned view', () => {
    const bytes = encodeIntervals([{ startNs: 100n, durationNs: 5, sm: 1 }]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeIntervals(shifted.subarray(1), 0n).start)).toEqual([100]);
  });
});

describe('writeJsonAtomic', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gsm-json-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temporary file', async () => {
    const file = join(dir, 'result.json');
    await writeFile(file, 'old');
    await writeJsonAtomic(file, { a: 1, list: [1, 2, 3] });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ a: 1, list: [1, 2, 3] });
    expect(await readdir(dir)).toEqual(['result.json']);
  });

  it('keeps the old file when the value cannot be serialised', async () => {
    const file = join(dir, 'result.json');
    await writeFile(file, '{"kept":true}');
    await expect(writeJsonAtomic(file, { n: 1n })).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('{"kept":true}');
    expect(await readdir(dir)).toEqual(['result.json']);
  });
});

describe('formatJson', () => {
  it('indents objects, keeps lists of numbers on one line, and reads back as JSON.stringify wrote it', () => {
    const value = { a: 1, gaps: [3, 1.5, -2], clients: [{ id: 0, tags: ['x', null], gone: undefined }], when: new Date(0), none: [], empty: {} };
    const text = formatJson(value);
    expect(text).toBe(
      '{\n  "a": 1,\n  "gaps": [3,1.5,-2],\n  "clients": [\n    {\n      "id": 0,\n      "tags": ["x",null]\n    }\n  ],\n' +
        '  "when": "1970-01-01T00:00:00.000Z",\n  "none": [],\n  "empty": {}\n}\n',
    );
    expect(JSON.stringify(JSON.parse(text))).toBe(JSON.stringify(value));
  });
});

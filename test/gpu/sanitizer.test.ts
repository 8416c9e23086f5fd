// compute-sanitizer's memcheck and racecheck over every path of the project's conv, attention, copy
// and triad kernels (test/gpu/kernel-launches.mjs): no out-of-bounds or misaligned access, no shared-
// memory race. Skips, saying why, where compute-sanitizer or the compiled dist/ is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/binding/loader.js';
import { checkGpu } from './gpu.js';

const gpu = await checkGpu('sanitizer.test.ts');
const sanitizer = [process.env.COMPUTE_SANITIZER, '/usr/local/cuda/bin/compute-sanitizer'].find((p) => p && existsSync(p));
const script = join(packageRoot, 'test', 'gpu', 'kernel-launches.mjs');
const compiled = existsSync(join(packageRoot, 'dist', 'binding', 'loader.js'));
const reason = !gpu.available ? gpu.reason : !sanitizer ? 'compute-sanitizer not found' : !compiled ? 'dist/ not built (npm run build:ts)' : '';
if (reason && gpu.available) console.warn(`[skip] sanitizer.test.ts: ${reason}`);

describe.skipIf(reason !== '')('compute-sanitizer on the own kernels', () => {
  for (const tool of ['memcheck', 'racecheck']) {
    it(`${tool} reports nothing`, () => {
      const r = spawnSync(sanitizer!, ['--tool', tool, '--error-exitcode', '3', '--print-limit', '20', process.execPath, script], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      const output = `${r.stdout}\n${r.stderr}`;
      if (r.status !== 0) console.log(output);
      expect(output).toMatch(/ERROR SUMMARY: 0 errors|RACECHECK SUMMARY: 0 hazards/);
      expect(r.status).toBe(0);
    }, 320_000);
  }
});

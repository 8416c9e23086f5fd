// The package as a Node user reaches it: `import` and, on Node >= 20.19 (require of ES modules), plain
// `require('gpushare-micro')` through the "default" export condition, from the compiled dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/binding/loader.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
const compiled = existsSync(join(packageRoot, 'dist', 'index.js'));
const reason = !compiled ? 'dist/ not built (npm run build:ts)' : '';
if (reason) console.warn(`[skip] package-exports.test.ts: ${reason}`);

function node(code: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', code], { cwd: packageRoot, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(reason !== '')('package exports', () => {
  it.skipIf(!requireEsm)('require() loads the library (Node >= 20.19)', () => {
    const r = node(
      "const m = require('gpushare-micro'); console.log(typeof m.run, typeof m.readResult, typeof m.buildReport, typeof m.headline, Array.isArray(m.MODES))",
    );
    expect(r.out.trim()).toBe('function function function function true');
    expect(r.status).toBe(0);
  });
  it('import() loads the same exports', () => {
    const r = node("import('gpushare-micro').then((m) => console.log(typeof m.run, typeof m.sweep))");
    expect(r.out.trim()).toBe('function function');
  });
});

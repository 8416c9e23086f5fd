// The package as a Node user reaches it: `import` and, on Node >= 20.19 (require of ES modules), plain
// `require('gpushare-micro')` through the "default" export condition, from the compiled dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  it.skipIf(!requireEsm)('a CommonJS file of another package require()s it from node_modules and reads a result with it', () => {
    // A user's project: its own package.json (CommonJS), the package under node_modules (a link to this checkout).
    const project = mkdtempSync(join(tmpdir(), 'gpushare-cjs-'));
    try {
      mkdirSync(join(project, 'node_modules'));
      symlinkSync(packageRoot, join(project, 'node_modules', 'gpushare-micro'), 'dir');
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'commonjs' }));
      const recorded = join(packageRoot, 'docs', 'results', '2026-12-02-h200-models', 'runs', 'run-bert-base-infer-own-timeslice.json.gz');
      writeFileSync(
        join(project, 'main.js'),
        [
          "const gpushare = require('gpushare-micro');",
          "console.log(['run', 'probe', 'sweep', 'headline', 'readResult', 'buildReport', 'resolveRunConfig'].map((k) => k + ':' + typeof gpushare[k]).join(' '));",
          `gpushare.readResult(${JSON.stringify(recorded)}).then((input) => {`,
          '  const h = gpushare.headline(input.runs[0].result);',
          '  console.log(h.aggregateVsSolo.toFixed(2), h.worstSlowdown.toFixed(2));',
          '});',
        ].join('\n'),
      );
      const r = spawnSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout.trim().split('\n')).toEqual([
        'run:function probe:function sweep:function headline:function readResult:function buildReport:function resolveRunConfig:function',
        // The figures recorded on the H200 (test/api-results.test.ts reads the same file through import).
        '0.91 4.43',
      ]);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
  it('import() loads the same exports', () => {
    const r = node("import('gpushare-micro').then((m) => console.log(typeof m.run, typeof m.sweep))");
    expect(r.out.trim()).toBe('function function');
  });
});

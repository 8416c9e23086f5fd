// README.md says what the tool does today: every command's option table is the one its definition makes
// (scripts/readme-options.mjs rewrites them), and the printed examples are what the tool prints, from
// the recorded H200 results they name (a run, a scenario) and, for errors, from the built CLI.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { documentedCommands, optionTable, readmeTables } from '../src/cli/reference.js';
import { loadReportInputs } from '../src/report/inputs.js';
import { formatReportInput } from '../src/report/text.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const cli = join(root, 'dist', 'cli', 'main.js');

/** The text block of the README that follows `intro` (a line ending in ":"). */
function blockAfter(intro: string): string {
  const at = readme.indexOf(intro);
  expect(at, intro).toBeGreaterThan(0);
  const start = readme.indexOf('```text\n', at) + '```text\n'.length;
  return readme.slice(start, readme.indexOf('\n```\n', start));
}

describe('README.md', () => {
  it("has each command's option table as the command defines it", () => {
    const tables = readmeTables(readme);
    for (const { path, cmd } of documentedCommands(buildProgram())) {
      expect(tables.has(path), `README.md has no option table for ${path} (node scripts/readme-options.mjs)`).toBe(true);
      expect(tables.get(path), `README.md's table of ${path} differs from its options: run node scripts/readme-options.mjs`).toBe(optionTable(cmd));
    }
  });

  it.each([
    ['examples/h200-gemm-p4/timeslice.json.gz --format table`:', 'examples/h200-gemm-p4/timeslice.json.gz'],
    ['docs/results/2026-12-01-h200-scenarios/train+infer --format table`:', 'docs/results/2026-12-01-h200-scenarios/train+infer'],
  ])('prints what the tool prints today: the block after "%s"', async (intro, input) => {
    const printed = formatReportInput(await loadReportInputs([join(root, input)]), { format: 'table', wide: false, columns: 120 });
    expect(blockAfter(intro)).toBe(printed);
  });

  it('shows the error lines the CLI prints', () => {
    for (const args of [['--kernel', 'conv9'], ['swep']]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      expect(readme).toContain(`$ npx gpushare-micro ${args.join(' ')}\n${r.stderr}`);
    }
  });
});

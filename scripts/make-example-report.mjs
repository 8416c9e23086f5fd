#!/usr/bin/env node
// Regenerates the example report (examples/report.html) and its screenshot (docs/report-screenshot.png)
// from what is in examples/: the first sweep directory there (one holding summary.json), else the run
// result files directly in examples/ (one, or two to compare), else the H200 result recorded in
// docs/results/2026-11-29-h200-timeslice/gemm-p4.json. Run after `npm run build:ts`:
//
//   npm run example:report              # report and screenshot
//   node scripts/make-example-report.mjs --no-screenshot
//   node scripts/make-example-report.mjs path/to/result.json ...   # other inputs, same outputs
//
// The screenshot needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium), driven by
// playwright-core; the page is opened offline from file://.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const examples = join(root, 'examples');
const output = join(examples, 'report.html');
const screenshot = join(root, 'docs', 'report-screenshot.png');
const recorded = join(root, 'docs', 'results', '2026-11-29-h200-timeslice', 'gemm-p4.json');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function schemaOf(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).schema;
  } catch {
    return undefined;
  }
}

/** What examples/ holds, in the order of preference above. */
function defaultInputs() {
  const entries = existsSync(examples) ? readdirSync(examples).sort() : [];
  const sweep = entries.map((e) => join(examples, e)).find((p) => statSync(p).isDirectory() && existsSync(join(p, 'summary.json')));
  if (sweep) return [sweep];
  const runs = entries.filter((e) => e.endsWith('.json')).map((e) => join(examples, e)).filter((p) => schemaOf(p) === 'gpushare-micro/run');
  if (runs.length > 2) throw new Error(`examples/ has ${runs.length} run results: give the one or two to report as arguments`);
  if (runs.length > 0) return runs;
  return [recorded];
}

const args = process.argv.slice(2);
const noScreenshot = args.includes('--no-screenshot');
const given = args.filter((a) => a !== '--no-screenshot');
const inputs = given.length > 0 ? given : defaultInputs();

const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) {
  console.error('make-example-report: dist/ is missing: run `npm run build:ts` first');
  process.exit(1);
}
// Paths relative to the repository, so the report names its inputs the same on every machine.
const made = spawnSync(process.execPath, [cli, 'report', ...inputs.map((p) => relative(root, p)), '-o', relative(root, output)], { cwd: root, stdio: 'inherit' });
if (made.status !== 0) process.exit(made.status ?? 1);
console.error(`make-example-report: ${inputs.map((p) => relative(root, p)).join(', ')} → ${relative(root, output)}`);

if (noScreenshot) process.exit(0);
if (!existsSync(CHROMIUM)) {
  console.error(`make-example-report: no screenshot: ${CHROMIUM} is absent (apt-get install -y chromium, or pass --no-screenshot)`);
  process.exit(1);
}
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(output).href, { waitUntil: 'load' });
  await page.screenshot({ path: screenshot, fullPage: true });
  if (errors.length > 0) {
    console.error(`make-example-report: the page logged errors:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  }
  console.error(`make-example-report: screenshot → ${relative(root, screenshot)}`);
} finally {
  await browser.close();
}

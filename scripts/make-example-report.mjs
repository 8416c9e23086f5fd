#!/usr/bin/env node
// Regenerates the example reports in examples/ from the H200 results there, and their screenshots in
// docs/ (the single run's whole page; the top of the comparison and of the sweep). Run after
// `npm run build:ts`:
//
//   npm run example:report              # reports and screenshot
//   node scripts/make-example-report.mjs --no-screenshot
//
// The screenshot needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium), driven by
// playwright-core; the page is opened offline from file://.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const examples = join(root, 'examples');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Each example report, the results it is made from, and its screenshot in docs/: the whole page, or its top `height` px. */
const REPORTS = [
  { output: 'report.html', inputs: ['h200-gemm-p4/timeslice.json.gz'], screenshot: 'report-screenshot.png' },
  { output: 'report-sweep.html', inputs: ['h200-sweep'], screenshot: 'report-sweep-screenshot.png', height: 1500 },
  {
    output: 'report-timeslice-vs-mps.html',
    inputs: ['h200-gemm-p4/timeslice.json.gz', 'h200-gemm-p4/mps.json.gz'],
    screenshot: 'report-compare-screenshot.png',
    height: 2200,
  },
];

const noScreenshot = process.argv.includes('--no-screenshot');
const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) {
  console.error('make-example-report: dist/ is missing: run `npm run build:ts` first');
  process.exit(1);
}
// Paths relative to the repository, so the reports name their inputs the same on every machine.
for (const report of REPORTS) {
  const inputs = report.inputs.map((i) => relative(root, join(examples, i)));
  const out = relative(root, join(examples, report.output));
  const made = spawnSync(process.execPath, [cli, 'report', ...inputs, '-o', out], { cwd: root, stdio: 'inherit' });
  if (made.status !== 0) process.exit(made.status ?? 1);
  console.error(`make-example-report: ${inputs.join(', ')} → ${out}`);
}

if (noScreenshot) process.exit(0);
if (!existsSync(CHROMIUM)) {
  console.error(`make-example-report: no screenshot: ${CHROMIUM} is absent (apt-get install -y chromium, or pass --no-screenshot)`);
  process.exit(1);
}
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  for (const report of REPORTS) {
    const context = await browser.newContext({ viewport: { width: 1280, height: report.height ?? 900 }, offline: true });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(examples, report.output)).href, { waitUntil: 'load' });
    const screenshot = join(root, 'docs', report.screenshot);
    await page.screenshot({ path: screenshot, fullPage: report.height === undefined });
    await context.close();
    if (errors.length > 0) {
      console.error(`make-example-report: ${report.output} logged errors:\n  ${errors.join('\n  ')}`);
      process.exitCode = 1;
    }
    console.error(`make-example-report: ${report.output}: screenshot → ${relative(root, screenshot)}`);
  }
} finally {
  await browser.close();
}

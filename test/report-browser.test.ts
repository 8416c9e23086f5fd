// The HTML report as a reader sees it: opened in headless Chromium (Debian's `chromium` package, driven
// by playwright-core), every chart must have rendered (an SVG with data marks), the console must stay
// free of errors, and the page must make no request but for itself. A screenshot of each report is saved
// under a temporary directory (its path is printed).
//
// Skipped, with the reason printed, where /usr/bin/chromium is absent: CI runs `npm install && npm test`
// on a clean clone with nothing else installed, so there this file skips. Install it with
// `apt-get install -y chromium` to run it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/html/build.js';
import { loadReportInputs } from '../src/report/inputs.js';
import { standInRun, withObservation, writeResult, writeSweep } from './fixtures/report-inputs.js';

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

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[skip] report-browser.test.ts: ${CHROMIUM} is absent (apt-get install -y chromium to run this test)`);

interface PageCheck {
  charts: Array<{ name: string; marks: number; width: number; height: number }>;
  consoleErrors: string[];
  requests: string[];
}

/** Opens `file` in the browser, collects what the test checks, and saves a full-page screenshot. */
async function openReport(browser: Browser, file: string, screenshot: string): Promise<PageCheck> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const charts = await page.$$eval('figure.chart', (figures) =>
    figures.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return {
        name: f.getAttribute('data-chart') ?? '',
        // Vega draws data marks in groups of role "mark"; axes, legends and titles have other roles.
        marks: svg ? svg.querySelectorAll('.role-mark > path, .role-mark > line, .role-mark > rect, .role-mark > text').length : 0,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
      };
    }),
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return { charts, consoleErrors, requests };
}

describe.skipIf(!hasChromium)('the report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  const reports: Record<string, string> = {};

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    dir = await mkdtemp(join(tmpdir(), 'gpushare-report-browser-'));
    const p2 = await writeResult(dir, 'p2.json', withObservation(await standInRun(2)));
    const p3 = await writeResult(dir, 'p3.json', await standInRun(3));
    const sweep = await writeSweep(join(dir, 'sweep'));
    const inputs: Record<string, string[]> = { single: [p2], comparison: [p2, p3], sweep: [sweep] };
    for (const [name, paths] of Object.entries(inputs)) {
      reports[name] = join(dir, `${name}.html`);
      await writeFile(reports[name], await buildReport(await loadReportInputs(paths)));
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['single', ['timeline', 'share', 'gaps', 'slices', 'latency', 'series:shared.observation.nvml.series', 'series:shared.observation.nvml.series.gpm']],
    [
      'comparison',
      [
        'timeline',
        'timeline',
        'share',
        'share',
        'gaps',
        'gaps',
        'slices',
        'slices',
        'latency',
        'latency',
        'series:shared.observation.nvml.series',
        'series:shared.observation.nvml.series.gpm',
      ],
    ],
    ['sweep', ['sweep:gemm 256 · saturating', 'timeline', 'share', 'timeline', 'share', 'timeline', 'share']],
  ])('%s: every chart rendered, no console error, no request but the page itself', async (name, expected) => {
    const file = reports[name]!;
    const shot = join(dir, `${name}.png`);
    const check = await openReport(browser, file, shot);
    console.log(`screenshot: ${shot}`);
    expect(check.charts.map((c) => c.name).sort()).toEqual([...expected].sort());
    for (const c of check.charts) {
      expect(c.marks, `chart ${c.name} has data marks`).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(50);
    }
    expect(check.consoleErrors).toEqual([]);
    expect(check.requests).toEqual([pathToFileURL(file).href]);
  });
});

// The HTML report as a reader sees it: opened in headless Chromium (Debian's `chromium` package, driven
// by playwright-core), the verdict must come first, every chart must have rendered (an SVG with data
// marks; the SM timeline an image the browser decodes to a pixel per SM and bin), the console must stay
// free of errors, and the page must make no request but for itself. A screenshot of each report is saved
// under a temporary directory (its path is printed), with how long the page took to load.
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
  /** The first block of the page and its verdict lines (text). */
  firstBlock: string;
  verdict: string[];
  /** The size each timeline image decodes to. */
  timelineImages: Array<[number, number]>;
  /** The compare view's better run (data-better) and the headline table's head. */
  better: string[];
  headlineHead: string[];
  /** Dashed rules (the 1.0× line) per sweep chart. */
  soloLines: number[];
  loadMs: number;
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
  const started = performance.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const loadMs = performance.now() - started;
  const charts = await page.$$eval('figure.chart', (figures) =>
    figures.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return {
        name: f.getAttribute('data-chart') ?? '',
        // Vega draws data marks in groups of role "mark"; axes, legends and titles have other roles.
        marks: svg ? svg.querySelectorAll('.role-mark > path, .role-mark > line, .role-mark > rect, .role-mark > text, .role-mark > image').length : 0,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
      };
    }),
  );
  const firstBlock = await page.$eval('section.block', (b) => b.getAttribute('data-block') ?? '');
  const verdict = await page.$$eval('section[data-block="verdict"] ul.verdict > li', (items) => items.map((li) => li.textContent ?? ''));
  const timelineImages = await page.$$eval('figure[data-chart="timeline"] image', (images) =>
    Promise.all(
      images.map(async (image) => {
        // Runs in the page: the DOM's Image, which this project's Node typings do not declare.
        type Decodable = { src: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number };
        const decoded = new (globalThis as unknown as { Image: new () => Decodable }).Image();
        decoded.src = image.getAttribute('xlink:href') ?? image.getAttribute('href') ?? '';
        await decoded.decode();
        return [decoded.naturalWidth, decoded.naturalHeight] as [number, number];
      }),
    ),
  );
  const better = await page.$$eval('[data-better]', (items) => items.map((li) => li.getAttribute('data-better') ?? ''));
  const headlineHead = await page.$$eval('section[data-block="headlines"] thead th', (cells) => cells.map((c) => c.textContent ?? ''));
  const soloLines = await page.$$eval('figure[data-chart^="sweep:"] svg', (svgs) =>
    svgs.map((svg) => svg.querySelectorAll('.mark-rule.role-mark > line[stroke-dasharray]').length),
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return { charts, firstBlock, verdict, timelineImages, better, headlineHead, soloLines, loadMs, consoleErrors, requests };
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
    console.log(`screenshot: ${shot} (loaded in ${Math.round(check.loadMs)} ms)`);
    expect(check.charts.map((c) => c.name).sort()).toEqual([...expected].sort());
    for (const c of check.charts) {
      expect(c.marks, `chart ${c.name} has data marks`).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(50);
    }
    expect(check.consoleErrors).toEqual([]);
    expect(check.requests).toEqual([pathToFileURL(file).href]);
  });

  it('single: the verdict first, then the charts; the timeline decodes to a pixel per SM and bin', async () => {
    const check = await openReport(browser, reports.single!, join(dir, 'single-verdict.png'));
    expect(check.firstBlock).toBe('verdict');
    expect(check.verdict[0]).toMatch(/^Aggregate throughput \d\.\d\d× of solo/);
    expect(check.verdict.some((l) => l.startsWith('Worst p99 latency'))).toBe(true);
    expect(check.verdict.some((l) => l.startsWith('Switching overhead'))).toBe(true);
    // The stand-in GPU: 8 SMs, 1000 bins of 100 µs.
    expect(check.timelineImages).toEqual([[1000, 8]]);
  });

  it('comparison: the better run first, then the headline figures with B/A', async () => {
    const check = await openReport(browser, reports.comparison!, join(dir, 'comparison-verdict.png'));
    expect(check.firstBlock).toBe('better');
    expect(check.better).toHaveLength(1);
    expect(check.headlineHead.slice(-2)).toEqual(['B/A', 'better']);
    // Each run's own verdict, side by side under the comparison's.
    expect(check.verdict.filter((l) => l.startsWith('Aggregate throughput'))).toHaveLength(2);
    expect(check.timelineImages).toHaveLength(2);
  });

  it('sweep: the verdict first, the 1.0× line in both ratio panels', async () => {
    const check = await openReport(browser, reports.sweep!, join(dir, 'sweep-verdict.png'));
    expect(check.firstBlock).toBe('verdict');
    expect(check.verdict).toEqual([expect.stringMatching(/^gemm 256 · saturating: at 2 processes, most aggregate throughput vs solo: /)]);
    expect(check.soloLines).toEqual([2]);
  });
});

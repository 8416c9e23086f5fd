// `gpushare-micro sweep`: every combination of kernels, sizes, procs, modes and loops, each against
// its solo baseline, into a results directory; the comparison table at the end.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { loadBinding } from '../binding/loader.js';
import { planSweep, SWEEP_DEFAULTS, SWEEP_KERNELS, type RawSweepOptions } from '../sweep/plan.js';
import type { SweepProgress } from '../sweep/runner.js';
import { OptionError } from '../errors.js';
import { checkOutputDir, fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';

interface Flags extends RawSweepOptions {
  out?: string;
  resume?: boolean;
  format: 'table' | 'markdown' | 'csv';
  quiet?: boolean;
}

function describe(p: { id: string }): string {
  return p.id;
}

/** A progress bar on a terminal, plain lines otherwise (logs, CI). */
function progressPrinter(quiet: boolean): { onProgress: (e: SweepProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'sweep [{bar}] {value}/{total} points · {point}', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    return {
      onProgress(e) {
        if (e.type === 'start') bar.start(e.total, e.alreadyDone, { point: 'starting' });
        if (e.type === 'point') bar.update({ point: describe(e.point) });
        if (e.type === 'pointDone') bar.increment(1, { point: `${e.summary.id}: ${e.summary.status}` });
      },
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  let done = 0;
  let several = false;
  return {
    onProgress(e) {
      if (e.type === 'start') {
        total = e.total;
        done = e.alreadyDone;
        several = e.devices.length > 1;
        const on = several ? ` on GPUs ${e.devices.join(',')}` : '';
        process.stderr.write(`sweep: ${total} points${done ? `, ${done} already done` : ''}${on}\n`);
      }
      if (e.type === 'pointDone') {
        done += 1;
        const s = e.summary;
        const ci = (c: { low: number; high: number } | undefined) => (c ? ` [${c.low.toFixed(2)}–${c.high.toFixed(2)}]` : '');
        const figures =
          s.status === 'done'
            ? `aggregate ${s.aggregateVsSolo?.toFixed(2) ?? '-'}×${ci(s.ci?.aggregateVsSolo)} solo, slowdown ${s.slowdownMedian?.toFixed(2) ?? '-'}×${ci(s.ci?.slowdownMedian)}`
            : (s.reason ?? '');
        const on = several && s.device !== undefined ? ` (GPU ${s.device})` : '';
        process.stderr.write(`[${done}/${total}] ${s.id}${on}: ${s.status}${figures ? ` — ${figures}` : ''}\n`);
      }
    },
    stop: () => {},
  };
}

function defaultOutDir(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return resolve('results', `sweep-${stamp}`);
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description('compare sharing modes: every combination of kernels × sizes × procs × modes × loops, each against the kernel alone')
    .option('--kernels <list>', `kernels or model workloads: ${SWEEP_KERNELS.join(', ')} (default ${SWEEP_DEFAULTS.kernels.join(',')})`)
    .option('--sizes <list>', `gemm sizes (default ${SWEEP_DEFAULTS.sizes.join(',')})`)
    .option('--batches <list>', "model workloads: batches, one point each (default: each workload's own)")
    .option('--procs <list>', `clients sharing the GPU (default ${SWEEP_DEFAULTS.procs.join(',')})`)
    .option('--modes <list>', `sharing modes (default ${SWEEP_DEFAULTS.modes.join(',')})`)
    .option('--loops <list>', `saturate, closed (default ${SWEEP_DEFAULTS.loops.join(',')})`)
    .option('--mps-threads <list>', 'one MPS point per active thread percentage, for all clients (e.g. 50,100)')
    .option('-d, --duration <time>', `each phase (default ${SWEEP_DEFAULTS.duration})`)
    .option('--warmup <time>', `warm-up before each phase (default ${SWEEP_DEFAULTS.warmup})`)
    .option('--depth <n>', 'launches a saturating client keeps in flight')
    .option('--trace-records <n>', `CTA trace records per client (default ${SWEEP_DEFAULTS.traceRecords})`)
    .option('--device <index>', 'CUDA device index')
    .option('--devices <list>', 'run independent points on these GPUs at once, one point per GPU at a time: 0,1,… or all (replaces --device)')
    .option('--seed <n>', 'seed of the random inputs (default: random, the same for every point)')
    .option(
      '--runs <n>',
      "measure each point this many times, its kernel alone then shared, interleaved (no baseline shared between points); ratios print as the median with its confidence interval, and modes within each other's noise are named, 1..100 (default 1)",
    )
    .option('-o, --out <dir>', 'results directory (default results/sweep-<time>)')
    .option('--resume', 'continue the sweep in --out, skipping the points already done')
    .addOption(new Option('--format <format>', 'how to print the comparison').choices(['table', 'markdown', 'csv']).default('table'))
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (flags: Flags) => {
      const { out, resume, format, quiet, ...axes } = flags;
      let interrupt: ReturnType<typeof interruptSignal> | undefined;
      const progress = progressPrinter(quiet ?? false);
      try {
        const plan = planSweep(axes);
        if (resume && !out) throw new OptionError('--resume', 'together with --out DIR (the results directory of the sweep to continue)', true);
        const outDir = checkOutputDir('--out', out ?? defaultOutDir());
        // Loaded only now: a usage error or --help needs none of the measuring code.
        const [{ runSweep }, { csvExporter, markdownExporter, tableExporter }, { formatWarnings }, { noiseLines }] = await Promise.all([
          import('../sweep/runner.js'),
          import('../sweep/exporters.js'),
          import('../report/warnings.js'),
          import('../sweep/noise.js'),
        ]);
        interrupt = interruptSignal();
        const summary = await runSweep(plan, {
          binding: loadBinding(),
          outDir,
          resume: resume ?? false,
          signal: interrupt.signal,
          command: ['gpushare-micro', 'sweep', ...process.argv.slice(3)],
          onProgress: progress.onProgress,
        });
        progress.stop();
        const exporter = format === 'markdown' ? markdownExporter : format === 'csv' ? csvExporter : tableExporter;
        console.log(exporter.render(summary.points));
        const warnings = summary.points.flatMap((p) => formatWarnings(p, p.id));
        // After the table; CSV on stdout stays CSV, so its warnings go to stderr.
        if (warnings.length > 0) (format === 'csv' ? console.error : console.log)(`\n${warnings.join('\n')}`);
        const noise = format === 'csv' ? [] : noiseLines(summary.points);
        if (noise.length > 0) console.log(['', ...noise].join('\n'));
        console.error(`gpushare-micro: results in ${outDir} (summary.json, summary.csv, summary.md, points/)`);
        if (interrupt.signal.aborted) {
          console.error(`gpushare-micro: interrupted; continue with: gpushare-micro sweep ... --out ${outDir} --resume`);
          process.exitCode = EXIT.interrupted;
          return;
        }
        process.exitCode = summary.points.some((p) => p.status === 'failed') ? EXIT.incomplete : EXIT.ok;
      } catch (error) {
        progress.stop();
        process.exitCode = fail(error);
      } finally {
        interrupt?.dispose();
      }
    });
}

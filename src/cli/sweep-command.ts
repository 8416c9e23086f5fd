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
import { emit, examples, formatOption, givenOptions, shownDefault, jsonOption, outputPlan, wideOption } from './output.js';

interface Flags extends RawSweepOptions {
  out?: string;
  resume?: boolean;
  format?: string;
  wide?: boolean;
  json?: string | boolean;
  quiet?: boolean;
}

/** The sweep's own options, as `k8s render --sweep` checks them too (without running it). */
export const SWEEP_OUTPUT_OPTIONS = ['out', 'resume', 'format', 'wide', 'json', 'quiet'] as const;

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

/** Measures the sweep the options ask for into its directory and prints it; the exit code. */
async function execute(self: Command): Promise<number> {
  const { out, resume, format: _format, wide, json, quiet, ...axes } = givenOptions<Flags>(self);
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  const progress = progressPrinter(quiet ?? false);
  try {
    const plan = planSweep(axes);
    if (resume && !out) throw new OptionError('--resume', 'together with --out DIR (the results directory of the sweep to continue)', true);
    const output = outputPlan({ json, format: self.opts().format, wide }, self);
    const outDir = checkOutputDir('--out', out ?? defaultOutDir());
    // Loaded only now: a usage error or --help needs none of the measuring code.
    const [{ runSweep }, { csvExporter }, { formatSweep }, { formatWarnings }] = await Promise.all([
      import('../sweep/runner.js'),
      import('../sweep/exporters.js'),
      import('../report/text.js'),
      import('../report/warnings.js'),
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
    await emit(
      output,
      summary,
      (layout) => formatSweep(summary.points, layout),
      quiet,
      () => csvExporter.render(summary.points),
    );
    // CSV on stdout stays CSV: the points' warnings, which the text prints after its table, go to stderr.
    const warnings = output.print.as === 'csv' ? summary.points.flatMap((p) => formatWarnings(p, p.id)) : [];
    if (warnings.length > 0) console.error(warnings.join('\n'));
    console.error(`gpushare-micro: results in ${outDir} (summary.json, summary.csv, summary.md, points/)`);
    if (interrupt.signal.aborted) {
      console.error(`gpushare-micro: interrupted; continue with: gpushare-micro sweep ... --out ${outDir} --resume`);
      return EXIT.interrupted;
    }
    return summary.points.some((p) => p.status === 'failed') ? EXIT.incomplete : EXIT.ok;
  } catch (error) {
    progress.stop();
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description('compare sharing modes: every combination of kernels × sizes × procs × modes × loops, each against the kernel alone')
    .addOption(shownDefault(new Option('--kernels <list>', `kernels or model workloads: ${SWEEP_KERNELS.join(', ')}`), SWEEP_DEFAULTS.kernels))
    .addOption(shownDefault(new Option('--sizes <list>', 'gemm sizes'), SWEEP_DEFAULTS.sizes))
    .addOption(shownDefault(new Option('--batches <list>', 'model workloads: batches, one point each'), "each workload's own"))
    .addOption(shownDefault(new Option('--procs <list>', 'clients sharing the GPU'), SWEEP_DEFAULTS.procs))
    .addOption(shownDefault(new Option('--modes <list>', 'sharing modes'), SWEEP_DEFAULTS.modes))
    .addOption(shownDefault(new Option('--loops <list>', 'saturate, closed'), SWEEP_DEFAULTS.loops))
    .option('--mps-threads <list>', 'one MPS point per active thread percentage, for all clients (e.g. 50,100)')
    .addOption(shownDefault(new Option('-d, --duration <time>', 'each phase'), SWEEP_DEFAULTS.duration))
    .addOption(shownDefault(new Option('--warmup <time>', 'warm-up before each phase'), SWEEP_DEFAULTS.warmup))
    .option('--depth <n>', 'launches a saturating client keeps in flight')
    .addOption(shownDefault(new Option('--trace-records <n>', 'CTA trace records per client'), SWEEP_DEFAULTS.traceRecords))
    .option('--device <index>', 'CUDA device index')
    .option('--devices <list>', 'run independent points on these GPUs at once, one point per GPU at a time: 0,1,… or all (replaces --device)')
    .addOption(shownDefault(new Option('--seed <n>', 'seed of the random inputs, the same for every point'), 'random'))
    .addOption(
      shownDefault(
        new Option(
          '--runs <n>',
          "measure each point this many times, its kernel alone then shared, interleaved (no baseline shared between points); ratios print as the median with its confidence interval, and modes within each other's noise are named, 1..100",
        ),
        1,
      ),
    )
    .addOption(shownDefault(new Option('-o, --out <dir>', 'results directory'), 'results/sweep-<time>'))
    .option('--resume', 'continue the sweep in --out, skipping the points already done')
    .addOption(formatOption(['csv'], '; csv: the comparison as CSV'))
    .addOption(wideOption())
    .addOption(jsonOption('the sweep summary (summary.json)'))
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro sweep', 'gemm 4096 at 1, 2 and 4 clients under time slicing, MPS, streams and green contexts'],
        ['gpushare-micro sweep --sizes 2048,8192 --procs 2,4 --modes timeslice,mps --loops saturate,closed', 'a grid of your own'],
        ['gpushare-micro sweep --devices all --out results/h200', 'points spread over every GPU of the machine'],
        ['gpushare-micro sweep --out results/h200 --resume', 'continue an interrupted sweep'],
        ['gpushare-micro sweep --format markdown > sweep.md', 'the comparison as a GitHub Markdown table'],
      ),
    )
    .action(async (_flags: Flags, self: Command) => {
      process.exitCode = await execute(self);
    });
}

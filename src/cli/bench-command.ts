// `gpushare-micro bench`: the own kernels beside their libraries, with the floors set by the measured
// matrix rate and memory bandwidth. Prints the table, writes --json; without a GPU one line, exit 3.
import { Command, Option } from 'commander';
import type { BenchProgress } from '../bench/bench.js';
import { BENCH_DEFAULTS, resolveBenchConfig, type RawBenchOptions } from '../bench/options.js';
import { BENCH_KERNELS, BENCH_PRESETS, KERNEL_VARIANTS } from '../bench/presets.js';
import { registryListing, WORKLOAD_NAMES } from '../registry/index.js';
import { fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';
import { emit, examples, formatOption, givenOptions, jsonOption, outputPlan, wideOption } from './output.js';

interface Flags extends Omit<RawBenchOptions, 'preset'> {
  preset?: string[];
  json?: string | boolean;
  format?: string;
  wide?: boolean;
  quiet?: boolean;
  list?: boolean;
}

function progressPrinter(quiet: boolean): ((event: BenchProgress) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return (event) => {
    if (event.type === 'ceiling') process.stderr.write(`ceiling: ${event.what}\n`);
    else if (event.type === 'measure') process.stderr.write(`${event.entry} ${event.label}… `);
    else process.stderr.write(`${event.measurement.status}\n`);
  };
}

const PRESETS_HELP = `
Presets measured without --preset (any preset of --list is taken; a workload this build lacks is listed as "not in this build"):
${BENCH_PRESETS.map((p) => `  ${p.name.padEnd(28)} ${p.about}`).join('\n')}

Kernels for --kernel (with --shape and --dtype):
${BENCH_KERNELS.map((k) => `  ${k.name.padEnd(10)} --shape ${k.dims.join(',')}  --dtype ${k.dtypes.join('|')}`).join('\n')}

Variants of the own kernels for --variants (each timed beside the default; Hopper ones need sm_90a code):
${Object.entries(KERNEL_VARIANTS)
  .flatMap(([kernel, v]) => v.list.map((x) => `  ${`${kernel}${v.dtypes ? ` ${v.dtypes.join('/')}` : ''}`.padEnd(20)} ${x.name.padEnd(6)} ${x.about}`))
  .join('\n')}`;

export function benchCommand(): Command {
  const cmd = new Command('bench')
    .description(
      "each kernel's TFLOP/s or GB/s beside its library (cuBLASLt, cuDNN, cudaMemcpy) in the same run, with the floors set by the measured matrix rate and memory bandwidth",
    )
    .option('--preset <names...>', 'workloads by name (comma-separated or repeated; see below)')
    .addOption(new Option('-k, --kernel <name>', 'instead of presets: one kernel').choices(BENCH_KERNELS.map((k) => k.name)))
    .option('--shape <sizes>', 'with --kernel: comma-separated sizes, e.g. 4096,4096,4096 for gemm m,n,k')
    .option('--dtype <type>', 'with --kernel: element type, e.g. bf16, fp16, tf32, fp32 for gemm')
    .addOption(new Option('--launches <n>', 'timed launches per implementation').default(BENCH_DEFAULTS.launches, String(BENCH_DEFAULTS.launches)))
    .addOption(new Option('--warmup <time>', 'warm-up before each implementation').default(BENCH_DEFAULTS.warmup, BENCH_DEFAULTS.warmup))
    .addOption(new Option('--device <index>', 'CUDA device index').default(BENCH_DEFAULTS.device, String(BENCH_DEFAULTS.device)))
    .addOption(new Option('--seed <n>', 'seed of the random inputs').default('random', 'random'))
    .option('--variants [names]', "also time the own kernel's variants beside its default: all, or those listed (e.g. 5,6 for conv)")
    .option('--workload <names>', `model workloads, own beside library: samples/s, step time, model TFLOP/s (${WORKLOAD_NAMES.join(', ')})`)
    .option('--batch <n>', 'with --workload: samples per step')
    .option('--input <side>', 'with --workload resnet50-*: 32 or 224')
    .option('--seq <n>', 'with --workload bert-base-*: tokens per sequence')
    .option('--layers <n>', 'with --workload llm-decode: decoder layers')
    .option('--kv <n>', 'with --workload llm-decode: KV-cache capacity')
    .option('--pytorch <file>', "with --workload: PyTorch's figures (JSON from scripts/pytorch/models.py), compared with each workload's samples/s")
    .option('--list', 'print the kernels, model workloads and presets, and exit')
    .addOption(jsonOption('the whole result, every sample included,'))
    .addOption(formatOption())
    .addOption(wideOption())
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', PRESETS_HELP)
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro bench', 'every preset: own kernel beside its library, with the floors'],
        ['gpushare-micro bench --preset gemm-bf16-4096,llm-4k --wide', 'two presets, every column'],
        ['gpushare-micro bench --kernel gemm --shape 8192,8192,8192 --dtype fp16', 'one kernel of your own shape'],
        ['gpushare-micro bench --workload resnet50-train --batch 128 --json bench.json.gz', 'a model workload; every sample, gzipped'],
      ),
    );
  cmd.action(async (_flags: Flags, self: Command) => {
    const { json, quiet, list, format: _format, wide, ...rest } = givenOptions<Flags>(self);
    if (list) {
      console.log(registryListing());
      process.exitCode = EXIT.ok;
      return;
    }
    const options: RawBenchOptions = {};
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) (options as Record<string, unknown>)[key] = value;
    let interrupt: ReturnType<typeof interruptSignal> | undefined;
    try {
      const config = resolveBenchConfig(options);
      const plan = outputPlan({ json, format: self.opts().format, wide }, self);
      // Loaded only now: a usage error or --help needs none of the measuring code.
      const [{ bench }, { formatBenchResult }, { loadBinding }] = await Promise.all([
        import('../bench/bench.js'),
        import('../report/bench-table.js'),
        import('../binding/loader.js'),
      ]);
      interrupt = interruptSignal();
      const onProgress = progressPrinter(quiet ?? false);
      const result = await bench(
        config,
        {
          command: ['gpushare-micro', ...process.argv.slice(2)],
          signal: interrupt.signal,
          ...(onProgress ? { onProgress } : {}),
        },
        loadBinding(),
      );
      await emit(plan, result, (layout) => formatBenchResult(result, layout), quiet);
      if (interrupt.signal.aborted) process.exitCode = EXIT.interrupted;
      else process.exitCode = result.rows.some((r) => r.measurement.status === 'failed') ? EXIT.incomplete : EXIT.ok;
    } catch (error) {
      process.exitCode = fail(error);
    } finally {
      interrupt?.dispose();
    }
  });
  return cmd;
}

// `gpushare-micro [run]`: measure, print the verdict and the tables, write --json (probe-command.ts shares its options and execution).
import { Command, Option } from 'commander';
import { DEFAULTS, KERNELS, LOOPS, MODES, OPEN_LOOP_DEPTH, resolveRunConfig, type RawRunOptions } from '../config.js';
import { OptionError } from '../errors.js';
import type { PhaseTraces } from '../phase.js';
import type { RunStatusPublisher } from '../monitor/run-status.js';
import { registryListing, WORKLOAD_NAMES } from '../registry/index.js';
import { tracesFileFor, tracesOfResult, writeTracesFile } from '../report/traces-file.js';
import type { Progress } from '../run.js';
import { checkOutputFile, fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';
import { emit, examples, formatOption, givenOptions, type JsonTarget, jsonOption, outputPlan, shownDefault, wideOption } from './output.js';

export interface Flags extends Omit<RawRunOptions, 'baseline'> {
  baseline?: boolean;
  json?: string | boolean;
  format?: string;
  wide?: boolean;
  keepTraces?: boolean;
  quiet?: boolean;
  list?: boolean;
}

function progressPrinter(quiet: boolean): ((event: Progress) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return (event) => {
    if ('label' in event && event.type === 'phase') {
      const solo = event.role ? `solo baseline (${event.role})` : 'solo baseline';
      const run = event.run !== undefined ? `run ${event.run}/${event.runs}, ` : '';
      process.stderr.write(`${run}${event.label === 'baseline' ? solo : `${event.procs} clients sharing`}: starting… `);
    } else if ('phase' in event && event.type === 'started') {
      process.stderr.write('measuring… ');
    } else if ('phase' in event && event.type === 'finished' && event.client === 0) {
      process.stderr.write('done\n');
    }
  };
}

export function commonOptions(cmd: Command, defaults: { procs: number; duration: string }): Command {
  return cmd
    .addOption(shownDefault(new Option('-p, --procs <n>', 'client processes sharing the GPU, 1..64'), defaults.procs))
    .addOption(shownDefault(new Option('-d, --duration <time>', 'how long each phase measures, e.g. 500ms, 5s, 1m'), defaults.duration))
    .option('--launches <n>', 'measure this many launches per client instead of a duration')
    .addOption(
      shownDefault(
        new Option(
          '--loop <kind>',
          'saturate (launches queued back to back), closed (launch, wait, repeat) or open (requests on a schedule, --arrival)',
        ).choices([...LOOPS]),
        DEFAULTS.loop,
      ),
    )
    .addOption(
      new Option('--depth <n>', "launches a saturating client keeps in flight; an open loop's most in flight").default(
        DEFAULTS.depth,
        `${DEFAULTS.depth}; open loop ${OPEN_LOOP_DEPTH}`,
      ),
    )
    .addOption(shownDefault(new Option('--device <index>', 'CUDA device index'), DEFAULTS.device))
    .addOption(shownDefault(new Option('--warmup <time>', 'warm-up before each phase'), DEFAULTS.warmup))
    .addOption(shownDefault(new Option('--trace-records <n>', 'CTA trace records kept per client'), DEFAULTS.traceRecords))
    .addOption(shownDefault(new Option('--seed <n>', 'seed of the random inputs'), 'random'))
    .addOption(shownDefault(new Option('--spin-us <us>', 'probe: running time of each probe CTA per launch'), DEFAULTS.spinUs))
    .addOption(shownDefault(new Option('--gap-threshold-us <us>', 'probe: a clock step longer than this is a gap'), DEFAULTS.gapThresholdUs))
    .addOption(shownDefault(new Option('-m, --mode <mode>', 'how the clients share the GPU').choices([...MODES]), DEFAULTS.mode))
    .option('--mps-pipe <dir>', 'mps: attach to the MPS control daemon with this pipe directory (it is neither started nor stopped)')
    .option('--mps-threads <pct>', 'mps: active thread percentage per client, one for all or one per client (e.g. 50 or 25,75)')
    .option('--mps-mem <size>', 'mps: pinned device memory limit per client (e.g. 4G)')
    .option('--priority <list>', 'streams, green: stream priority per client: high, low or numbers in the device range (e.g. high,low)')
    .addOption(shownDefault(new Option('--sm-split <list>', 'green: SMs per client (e.g. 64,64); the device rounds each up to its granularity'), 'equal split'))
    .addOption(shownDefault(new Option('--sample-ms <ms>', 'NVML/GPM sampling period during each phase (0: none)'), 50))
    .option('--cupti', "record every client's kernels with CUPTI (one client per process)")
    .option('--pm-sampling', 'CUPTI PM sampling of SM activity, device-wide (time slicing only)')
    .addOption(jsonOption('the whole result'))
    .addOption(formatOption())
    .addOption(wideOption())
    .option('--keep-traces', "with --json FILE: keep the shared phase's CTA traces beside it (FILE without .json plus .traces.gz) for export --perfetto")
    .option('-q, --quiet', 'no progress on stderr');
}

/** --keep-traces writes beside --json FILE: it needs one (not stdout), checked with it before any GPU work. */
function checkTracesTarget(json: JsonTarget | undefined): { result: string; traces: string } {
  if (json?.to !== 'file') throw new OptionError('--keep-traces', '--json FILE too (the traces are kept beside the result)', true);
  return { result: json.path, traces: checkOutputFile('--keep-traces', tracesFileFor(json.path)) };
}

export async function execute(cmd: Command, kernelDefault: Partial<RawRunOptions>): Promise<number> {
  const { json, quiet, list, format, wide, keepTraces, client, ...rest } = givenOptions<Flags & { client?: string[] }>(cmd);
  if (list) {
    console.log(registryListing());
    return EXIT.ok;
  }
  const options: RawRunOptions = { ...kernelDefault };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  if (client) options.clients = client;
  if (options.launches !== undefined && rest.duration === undefined) delete options.duration;
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  let publisher: RunStatusPublisher | undefined; // the run's live status for `monitor` (GPUSHARE_PUBLISH=0: none)
  try {
    const config = resolveRunConfig(options);
    const plan = outputPlan({ json, format: cmd.opts().format, wide }, cmd);
    const kept = keepTraces ? checkTracesTarget(plan.json) : undefined;
    // Loaded only now: a usage error or --help needs none of the measuring code.
    const [{ measure }, { formatRunResult }] = await Promise.all([import('../run.js'), import('../report/table.js')]);
    interrupt = interruptSignal();
    publisher = (await import('../monitor/run-status.js')).RunStatusPublisher.start(config, { command: ['gpushare-micro', ...process.argv.slice(2)] });
    const printer = progressPrinter(quiet ?? false);
    const onProgress = publisher ? publisher.listener(printer) : printer;
    const sharedTraces: PhaseTraces[] = [];
    const result = await measure(config, {
      signal: interrupt.signal,
      command: ['gpushare-micro', ...process.argv.slice(2)],
      ...(onProgress ? { onProgress } : {}),
      ...(kept ? { onTraces: (t: PhaseTraces) => sharedTraces.push(t) } : {}),
    });
    await emit(plan, result, (layout) => formatRunResult(result, layout), quiet);
    const traces = tracesOfResult(result, sharedTraces);
    if (kept && traces) {
      await writeTracesFile(kept.traces, traces, { createdAt: result.createdAt, roles: new Map(result.shared.clients.map((c) => [c.client, c.role])) });
      if (!quiet) console.error(`gpushare-micro: wrote ${kept.traces} (CTA traces; gpushare-micro export --perfetto FILE ${kept.result} draws them)`);
    }
    if (interrupt.signal.aborted) return EXIT.interrupted;
    return result.complete ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    return fail(error);
  } finally {
    await publisher?.close();
    interrupt?.dispose();
  }
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('measure N clients sharing the GPU (time slicing, MPS, streams, green contexts, MIG) against the same kernel alone')
    .addOption(shownDefault(new Option('-k, --kernel <name>', 'kernel or model workload each client runs').choices([...KERNELS]), DEFAULTS.kernel))
    .addOption(new Option('--workload <name>', 'a model workload (the same as --kernel NAME)').choices([...WORKLOAD_NAMES]))
    .option('--batch <n>', 'model workloads: samples per step (resnet50-train 128, resnet50-infer 1, bert-base-train 32, bert-base-infer 1, llm-decode 1)')
    .option('--input <side>', 'resnet50-*: image side 32 (CIFAR-10, 10 classes) or 224 (ImageNet, 1000 classes)')
    .addOption(shownDefault(new Option('--seq <n>', 'bert-base-*: tokens per sequence, 1..512'), 128))
    .addOption(shownDefault(new Option('--layers <n>', 'llm-decode: decoder layers, 1..32'), 32))
    .addOption(shownDefault(new Option('--kv <n>', 'llm-decode: KV-cache capacity per sequence (starts half full)'), 1024))
    .option('--profile-layers', 'model workloads: time every layer of each step; the report lists the layers that grew most under sharing')
    .option('--list', 'print the kernels, model workloads and presets, and exit')
    .addOption(shownDefault(new Option('-s, --size <n>', 'gemm: n of an n×n×n product'), DEFAULTS.size))
    .option(
      '--shape <dims>',
      "the kernel's dimensions: gemm m,n,k; conv n,c,h,w,k,r,s,stride,pad; attention batch,heads,seq,headDim,causal; copy/triad elements; or a preset's name",
    )
    .option(
      '--preset <name>',
      'a named shape (sets the kernel or workload): gemm-bf16-4096, resnet50-l1-3x3, llm-4k, resnet50-train-imagenet, ... (see --list)',
    )
    .option(
      '--impl <impl>',
      "own (the project's kernels) or the library: gemm cublas; conv cudnn; attention cudnn|cublas; copy cudart; model workloads library (cuBLASLt, cuDNN)",
    )
    .addOption(shownDefault(new Option('--dtype <type>', 'gemm: bf16, fp16, tf32, fp32'), 'bf16'))
    .option('--arrival <process>', 'open loop: poisson:RATE, constant:RATE (requests/s, e.g. poisson:2000/s) or bursty:ON/OFF (e.g. bursty:2s/8s)')
    .option('--slo <objectives>', 'latency objectives of the clients, e.g. p99<=5ms or p50<=1ms&p99<=5ms')
    .option(
      '--client <spec>',
      'a role of its own, repeatable: "role=infer,kernel=attention,preset=bert-base,arrival=poisson:2000/s,slo=p99<=2ms" or "role=train,workload=resnet50-train,batch=128,input=32,impl=own" (keys: role, count, kernel, workload, preset, size, shape AxBxC, batch, input, seq, layers, kv, impl, dtype, loop, depth, arrival, slo, mps-threads, mps-mem, priority, sms)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--no-baseline', 'skip the solo baselines (no slowdown or aggregate ratios)')
    .addOption(
      shownDefault(
        new Option(
          '--runs <n>',
          'measure this many times, each role alone then shared, interleaved; ratios print as the median with its confidence interval, 1..100',
        ),
        1,
      ),
    );
  commonOptions(cmd, DEFAULTS);
  cmd.addHelpText(
    'after',
    examples(
      ['gpushare-micro --kernel gemm --procs 4', 'four gemm clients time-sliced, against one alone: the verdict, then the table'],
      ['gpushare-micro --mode mps --procs 2 --duration 2s --json mps.json', 'two clients under MPS; the whole result in mps.json'],
      ['gpushare-micro --preset llm-4k --loop closed --wide', 'attention one request at a time; every column of the table'],
      [
        'gpushare-micro --client "role=train,kernel=gemm" --client "role=infer,preset=bert-base,arrival=poisson:800/s,slo=p99<=1ms"',
        'a training role beside an inference role with its SLO',
      ],
      ['gpushare-micro --format markdown > run.md', 'the same text as GitHub Markdown tables'],
      ['gpushare-micro --procs 4 --runs 5', 'five runs interleaved: each ratio the median with its confidence interval'],
      ['gpushare-micro --json - | jq .comparison', 'the result as JSON on stdout'],
    ),
  );
  cmd.action(async (_flags: Flags, self: Command) => {
    process.exitCode = await execute(self, {});
  });
  return cmd;
}

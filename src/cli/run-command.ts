// `gpushare-micro [run]`: measure, print the table, write --json (probe-command.ts shares its options and execution).
import { Command, Option } from 'commander';
import { DEFAULTS, KERNELS, LOOPS, MODES, OPEN_LOOP_DEPTH, resolveRunConfig, type RawRunOptions } from '../config.js';
import { registryListing, WORKLOAD_NAMES } from '../registry/index.js';
import { OptionError } from '../errors.js';
import type { PhaseTraces } from '../phase.js';
import { writeJsonAtomic } from '../report/json.js';
import { tracesFileFor } from '../report/traces-file.js';
import type { Progress } from '../run.js';
import { checkJsonTarget, checkOutputFile, fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';

export interface Flags extends Omit<RawRunOptions, 'baseline'> {
  baseline?: boolean;
  json?: string;
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

export function commonOptions(cmd: Command): Command {
  return cmd
    .option('-p, --procs <n>', 'client processes sharing the GPU, 1..64')
    .option('-d, --duration <time>', 'how long each phase measures, e.g. 500ms, 5s, 1m')
    .option('--launches <n>', 'measure this many launches per client instead of a duration')
    .addOption(
      new Option('--loop <kind>', 'saturate (launches queued back to back), closed (launch, wait, repeat) or open (requests on a schedule, --arrival)').choices(
        [...LOOPS],
      ),
    )
    .option(
      '--depth <n>',
      `launches a saturating client keeps in flight (default ${DEFAULTS.depth}); an open loop's most in flight (default ${OPEN_LOOP_DEPTH})`,
    )
    .option('--device <index>', 'CUDA device index (default 0)')
    .option('--warmup <time>', `warm-up before each phase (default ${DEFAULTS.warmup})`)
    .option('--trace-records <n>', `CTA trace records kept per client (default ${DEFAULTS.traceRecords})`)
    .option('--seed <n>', 'seed of the random inputs (default: random)')
    .option('--spin-us <us>', `probe: running time of each probe CTA per launch (default ${DEFAULTS.spinUs})`)
    .option('--gap-threshold-us <us>', `probe: a clock step longer than this is a gap (default ${DEFAULTS.gapThresholdUs})`)
    .option('-m, --mode <mode>', `how the clients share the GPU: ${MODES.join(', ')} (default ${DEFAULTS.mode})`)
    .option('--mps-pipe <dir>', 'mps: attach to the MPS control daemon with this pipe directory (it is neither started nor stopped)')
    .option('--mps-threads <pct>', 'mps: active thread percentage per client, one for all or one per client (e.g. 50 or 25,75)')
    .option('--mps-mem <size>', 'mps: pinned device memory limit per client (e.g. 4G)')
    .option('--priority <list>', 'streams, green: stream priority per client: high, low or numbers in the device range (e.g. high,low)')
    .option('--sm-split <list>', 'green: SMs per client (e.g. 64,64; default: equal split); the device rounds each up to its granularity')
    .option('--sample-ms <ms>', 'NVML/GPM sampling period during each phase (default 50; 0: none)')
    .option('--cupti', "record every client's kernels with CUPTI (one client per process)")
    .option('--pm-sampling', 'CUPTI PM sampling of SM activity, device-wide (time slicing only)')
    .option('--json <file>', 'also write the whole result as JSON (atomically)')
    .option('--keep-traces', "with --json FILE: keep the shared phase's CTA traces beside it (FILE without .json plus .traces.gz) for export --perfetto")
    .option('-q, --quiet', 'no progress on stderr');
}

/** --keep-traces writes beside --json FILE: it needs one, checked with it before any GPU work. */
function checkTracesTarget(json: string | undefined): string {
  if (json === undefined) throw new OptionError('--keep-traces', '--json FILE too (the traces are kept beside the result)', true);
  return checkOutputFile('--keep-traces', tracesFileFor(json));
}

export async function execute(flags: Flags, kernelDefault: Partial<RawRunOptions>): Promise<number> {
  const { json, quiet, list, keepTraces, ...rest } = flags;
  if (list) {
    console.log(registryListing());
    return EXIT.ok;
  }
  const options: RawRunOptions = { ...kernelDefault };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  if (options.launches !== undefined && flags.duration === undefined) delete options.duration;
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  try {
    const config = resolveRunConfig(options);
    const target = checkJsonTarget(json);
    const tracesTarget = keepTraces ? checkTracesTarget(target) : undefined;
    // Loaded only now: a usage error or --help needs none of the measuring code.
    const [{ measure }, { formatRunResult }] = await Promise.all([import('../run.js'), import('../report/table.js')]);
    interrupt = interruptSignal();
    const onProgress = progressPrinter(quiet ?? false);
    let traces: PhaseTraces | undefined;
    const result = await measure(config, {
      signal: interrupt.signal,
      command: ['gpushare-micro', ...process.argv.slice(2)],
      ...(onProgress ? { onProgress } : {}),
      ...(tracesTarget ? { onTraces: (t: PhaseTraces) => (traces = t) } : {}),
    });
    console.log(formatRunResult(result));
    if (target) {
      await writeJsonAtomic(target, result);
      if (!quiet) console.error(`gpushare-micro: wrote ${target}`);
    }
    if (tracesTarget && traces) {
      const { writeTracesFile } = await import('../report/traces-file.js');
      await writeTracesFile(tracesTarget, traces, { createdAt: result.createdAt, roles: new Map(result.shared.clients.map((c) => [c.client, c.role])) });
      if (!quiet) console.error(`gpushare-micro: wrote ${tracesTarget} (CTA traces; gpushare-micro export --perfetto FILE ${json} draws them)`);
    }
    if (interrupt.signal.aborted) return EXIT.interrupted;
    return result.complete ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('measure N clients sharing the GPU (time slicing, MPS, streams, green contexts, MIG) against the same kernel alone')
    .addOption(new Option('-k, --kernel <name>', `kernel or model workload each client runs: ${KERNELS.join(', ')} (default ${DEFAULTS.kernel})`))
    .option('--workload <name>', `a model workload (the same as --kernel NAME): ${WORKLOAD_NAMES.join(', ')}`)
    .option('--batch <n>', 'model workloads: samples per step (resnet50-train 128, resnet50-infer 1, bert-base-train 32, bert-base-infer 1, llm-decode 1)')
    .option('--input <side>', 'resnet50-*: image side 32 (CIFAR-10, 10 classes) or 224 (ImageNet, 1000 classes)')
    .option('--seq <n>', 'bert-base-*: tokens per sequence, 1..512 (default 128)')
    .option('--layers <n>', 'llm-decode: decoder layers, 1..32 (default 32)')
    .option('--kv <n>', 'llm-decode: KV-cache capacity per sequence (default 1024; starts half full)')
    .option('--profile-layers', 'model workloads: time every layer of each step; the report lists the layers that grew most under sharing')
    .option('--list', 'print the kernels, model workloads and presets, and exit')
    .option('-s, --size <n>', `gemm: n of an n×n×n product (default ${DEFAULTS.size})`)
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
    .option('--dtype <type>', 'gemm: bf16, fp16, tf32, fp32 (default bf16)')
    .option('--arrival <process>', 'open loop: poisson:RATE, constant:RATE (requests/s, e.g. poisson:2000/s) or bursty:ON/OFF (e.g. bursty:2s/8s)')
    .option('--slo <objectives>', 'latency objectives of the clients, e.g. p99<=5ms or p50<=1ms&p99<=5ms')
    .option(
      '--client <spec>',
      'a role of its own, repeatable: "role=infer,kernel=attention,preset=bert-base,arrival=poisson:2000/s,slo=p99<=2ms" or "role=train,workload=resnet50-train,batch=128,input=32,impl=own" (keys: role, count, kernel, workload, preset, size, shape AxBxC, batch, input, seq, layers, kv, impl, dtype, loop, depth, arrival, slo, mps-threads, mps-mem, priority, sms)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--no-baseline', 'skip the solo baselines (no slowdown or aggregate ratios)')
    .option(
      '--runs <n>',
      'measure this many times, each role alone then shared, interleaved; ratios print as the median with its confidence interval, 1..100 (default 1)',
    );
  commonOptions(cmd);
  cmd.action(async ({ client, ...flags }: Flags & { client?: string[] }) => {
    process.exitCode = await execute(client ? { ...flags, clients: client } : flags, {});
  });
  return cmd;
}

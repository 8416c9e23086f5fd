// `gpushare-micro k8s render`: the NVIDIA device plugin's config for a sharing setup (as the ConfigMap
// the GPU operator reads), pod specs for the roles, and the fleet sweep (docs/deploy.md). Every option
// is checked before anything is written; the files are written atomically, one per object kind.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { OptionError } from '../errors.js';
import { DEFAULT_IMAGE } from '../k8s/container.js';
import { DEFAULT_PVC, DEFAULT_PVC_SIZE, MAX_NODES, type RenderFlags, parseRenderFlags } from '../k8s/options.js';
import { DEFAULT_NAMESPACE, DEFAULT_OPERATOR_NAMESPACE, filesByKind, render, toMultiDocument } from '../k8s/render.js';
import { MAX_MPS_REPLICAS, MAX_TIMESLICE_REPLICAS, MIG_STRATEGIES, SHARINGS } from '../k8s/setup.js';
import { planSweep } from '../sweep/plan.js';
import { writeTextAtomic } from '../report/json.js';
import { checkOutputDir, fail } from './common.js';
import { EXIT } from './exit-codes.js';
import { examples, givenOptions, shownDefault } from './output.js';
import { SWEEP_OUTPUT_OPTIONS, sweepCommand } from './sweep-command.js';

const MODES_HELP = `
Which device-plugin setting measures like which --mode (docs/deploy.md):
  --sharing timeslice   sharing.timeSlicing, N replicas per GPU    ↔ --mode timeslice
  --sharing mps         sharing.mps, N replicas per GPU; the plugin runs the MPS daemon,
                        the pods attach to it                       ↔ --mode mps --mps-pipe "$CUDA_MPS_PIPE_DIRECTORY"
  --sharing mig         flags.migStrategy single|mixed             ↔ --mode mig
  --sharing none        whole GPUs; streams and green contexts share one GPU inside a pod
                        and need no device-plugin sharing          ↔ --mode streams, --mode green
The fleet sweep always runs on whole GPUs (nodes labelled nvidia.com/device-plugin.config=none).
${examples(
  ['gpushare-micro k8s render --sharing timeslice --replicas 4 -o k8s/', 'four pods per GPU, time-sliced: the ConfigMap and the pod specs in k8s/'],
  ['gpushare-micro k8s render --sharing mig --mig-strategy mixed --mig-profile 3g.71gb --roles train,infer', 'MIG devices requested by profile'],
  ['gpushare-micro k8s render --fleet --nodes 8 --scenario train+infer --pvc gpushare-results -o fleet/', 'the scenario on eight GPU nodes'],
)}`;

/** The words of --sweep, checked as `sweep` checks its own options (without running it); --out is the fleet's. */
export function sweepArgs(raw: string): string[] {
  const words = raw.split(/\s+/).filter((w) => w !== '');
  const cmd = sweepCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = cmd.parseOptions(words);
  } catch (error) {
    const message = error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error);
    throw new OptionError('--sweep', `the options of gpushare-micro sweep (${message})`, raw);
  }
  const stray = [...parsed.unknown, ...parsed.operands];
  if (stray.length > 0) throw new OptionError('--sweep', `the options of gpushare-micro sweep (not ${stray[0]})`, raw);
  const axes: Record<string, unknown> = givenOptions(cmd);
  if (axes.out !== undefined || axes.resume !== undefined || axes.json !== undefined)
    throw new OptionError('--sweep', "no --out, --resume or --json: each fleet pod writes to its node's directory", raw);
  // What is left are the sweep's axes and settings, checked as `sweep` checks them.
  for (const key of SWEEP_OUTPUT_OPTIONS) delete axes[key];
  planSweep(axes);
  return words;
}

async function writeFiles(dir: string, files: Map<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of files) await writeTextAtomic(join(dir, name), text);
}

function renderCommand(): Command {
  return new Command('render')
    .description("write the device plugin's config (a ConfigMap for the GPU operator), pod specs for the roles and the fleet sweep, as YAML")
    .addOption(shownDefault(new Option('--sharing <sharing>', 'how the device plugin shares a GPU among pods').choices(SHARINGS), 'none'))
    .option('--replicas <n>', `timeslice, mps: pods per GPU (2..${MAX_TIMESLICE_REPLICAS}; mps 2..${MAX_MPS_REPLICAS})`)
    .option('--rename-shared', 'timeslice, mps: advertise the shares as nvidia.com/gpu.shared (renameByDefault)')
    .addOption(
      shownDefault(
        new Option('--mig-strategy <strategy>', 'mig: single (MIG devices as nvidia.com/gpu) or mixed (nvidia.com/mig-<profile>)').choices(MIG_STRATEGIES),
        'single',
      ),
    )
    .addOption(shownDefault(new Option('--mig-profile <profile>', 'mig mixed: the MIG profile the pods request, e.g. 1g.18gb, 3g.71gb'), '1g.18gb'))
    .addOption(
      shownDefault(new Option('--roles <list>', 'pod specs: train (Job), infer (Deployment + Service), notebook (Pod)'), 'all three; none with --fleet'),
    )
    .option('--fleet', 'also the fleet sweep: an Indexed Job, one pod per GPU node, results on a shared volume')
    .option('--nodes <n>', `fleet: GPU nodes to run on (1..${MAX_NODES})`)
    .option('--scenario <name>', 'fleet: run this built-in scenario on every node')
    .option('--sweep <args>', 'fleet: run `gpushare-micro sweep ARGS` on every node (default: the sweep\'s defaults), e.g. "--procs 2,4 --duration 2s"')
    .option('--gpu-product <product>', 'fleet: only nodes with this nvidia.com/gpu.product label, e.g. NVIDIA-H200')
    .addOption(shownDefault(new Option('--pvc <name>', 'fleet: the ReadWriteMany claim of the results'), DEFAULT_PVC))
    .addOption(shownDefault(new Option('--pvc-size <size>', 'fleet: its size'), DEFAULT_PVC_SIZE))
    .addOption(shownDefault(new Option('--image <image>', 'the gpushare-micro image'), DEFAULT_IMAGE))
    .addOption(shownDefault(new Option('--namespace <ns>', 'the namespace of the pods'), DEFAULT_NAMESPACE))
    .addOption(shownDefault(new Option('--operator-namespace <ns>', "the GPU operator's namespace, where the ConfigMap goes"), DEFAULT_OPERATOR_NAMESPACE))
    .addOption(shownDefault(new Option('-o, --out <dir>', 'write one YAML file per object kind there'), 'all of it to stdout'))
    .addHelpText('after', MODES_HELP)
    .action(async (_flags: unknown, self: Command) => {
      try {
        const { out, sweep, ...rest } = givenOptions<Omit<RenderFlags, 'sweep'> & { sweep?: string; out?: string }>(self);
        const plan = parseRenderFlags({ ...rest, ...(sweep === undefined ? {} : { sweep: sweepArgs(sweep) }) });
        const dir = out === undefined ? undefined : checkOutputDir('--out', out);
        const rendered = render(plan);
        if (dir === undefined) process.stdout.write(toMultiDocument(rendered.objects));
        else {
          const files = filesByKind(rendered);
          await writeFiles(dir, files);
          console.error(`gpushare-micro: wrote ${[...files.keys()].join(', ')} in ${dir}`);
        }
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

export function k8sCommand(): Command {
  const k8s = new Command('k8s')
    .description('Kubernetes: the device plugin config, pod specs and the fleet sweep for a sharing setup (render)')
    .addHelpText(
      'after',
      examples(['gpushare-micro k8s render --sharing mps --replicas 4 -o k8s/', "the device plugin's MPS config and the pod specs, as YAML files"]),
    );
  k8s.addCommand(renderCommand());
  return k8s;
}

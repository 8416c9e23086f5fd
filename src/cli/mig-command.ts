// `gpushare-micro mig list | plan | apply`: the GPUs' MIG state, a checked layout with the
// nvidia-smi commands that create it, and (only with --yes) running those commands.
import { Command, Option } from 'commander';
import { decimalValue } from '../config.js';
import { clip, NoGpuError, OptionError } from '../errors.js';
import { applyPlan } from '../mig/apply.js';
import { readInventory, readProfiles, type MigGpu } from '../mig/inventory.js';
import { nvidiaSmi, type SmiRunner } from '../mig/nvidia-smi.js';
import { planLayout, splitProfiles, type MigPlan } from '../mig/plan.js';
import { MODEL_KEYS, recordedTableForModel, type MigProfileTable } from '../mig/profiles.js';
import { fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';
import { checkJsonTarget, examples, jsonOption, writeJsonTarget } from './output.js';

const EVERYONE = [
  'Enabling MIG and creating GPU instances changes the GPU for every user of this machine: enabling MIG',
  'needs a GPU reset (no process may be using the GPU), and from then on the GPU runs work only on its MIG',
  'devices, until the instances are destroyed and MIG is disabled again. It needs root. gpushare-micro',
  'never does this during a run, and its tests never run `mig apply`.',
].join('\n');

function gpuIndex(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = decimalValue(raw, 'integer');
  if (n === undefined || n < 0 || n > 63) throw new OptionError('--gpu', 'a GPU index (nvidia-smi -L) in 0..63', raw);
  return n;
}

function modeText(g: MigGpu): string {
  if (g.mode === 'unsupported') return 'MIG not supported';
  const pending = g.pendingMode !== g.mode && g.pendingMode !== 'unsupported' ? ` (${g.pendingMode} after the next GPU reset)` : '';
  return `MIG ${g.mode}${pending}`;
}

export function formatInventory(gpus: MigGpu[]): string {
  const lines: string[] = [];
  for (const g of gpus) {
    lines.push(`GPU ${g.index}: ${g.name} · ${g.uuid} · ${modeText(g)}`);
    for (const i of [...(g.instances ?? [])].sort((a, b) => a.start - b.start)) {
      const last = i.start + i.size - 1;
      lines.push(`  GPU instance ${i.instanceId}: ${i.profile} (profile ${i.profileId}) on memory slice${i.size > 1 ? `s ${i.start}-${last}` : ` ${i.start}`}`);
    }
    for (const d of g.migDevices) lines.push(`  MIG device ${d.device}: ${d.profile} · ${d.uuid}`);
    if (g.mode === 'enabled' && g.migDevices.length === 0)
      lines.push('  no MIG devices (create GPU instances with their compute instances: see `gpushare-micro mig plan --help`)');
  }
  return lines.join('\n');
}

function slices(start: number, size: number): string {
  return size > 1 ? `memory slices ${start}-${start + size - 1}` : `memory slice ${start}`;
}

export function formatPlan(plan: MigPlan, profilesFrom: string, gpuLabel: string, applyCommand: string): string {
  const { table } = plan;
  const nameWidth = Math.max(...plan.instances.map((x) => x.profile.name.length));
  const lines = [`MIG layout for ${gpuLabel}, checked against ${profilesFrom}:`];
  for (const e of plan.existing) lines.push(`  ${e.profile.padEnd(nameWidth)}  existing GPU instance      ${slices(e.start, e.size)}`);
  for (const x of plan.instances) {
    const p = x.profile;
    lines.push(
      `  ${p.name.padEnd(nameWidth)}  profile ${String(p.id).padStart(2)}  ${slices(x.start, p.memorySlices).padEnd(18)}  ${p.computeSlices} compute slice${p.computeSlices > 1 ? 's' : ''}${p.sms ? ` (${p.sms} SMs)` : ''}`,
    );
  }
  lines.push(`  uses ${plan.computeUsed} of ${table.computeSlices} compute slices and ${plan.memoryUsed} of ${table.memorySlices} memory slices`);
  lines.push('');
  lines.push(`Commands (run as root; they change GPU ${plan.gpu} for every user of this machine; \`${applyCommand}\` runs them):`);
  for (const c of plan.commands) lines.push(`  ${c.join(' ')}`);
  if (plan.enablesMig) {
    lines.push('');
    lines.push(
      `The first enables MIG (skip it if MIG is already on). It may stay pending until GPU ${plan.gpu} is reset (nvidia-smi -i ${plan.gpu} -r, with no process on the GPU) or the machine reboots.`,
    );
  }
  return lines.join('\n');
}

interface PlanFlags {
  gpu?: string;
  model?: string;
}

type Resolved = { plan: MigPlan; profilesFrom: string; gpuLabel: string };

/** Plans against the GPU's own profiles (or the recorded table for its name), or for --model offline. */
async function resolvePlan(smi: SmiRunner, list: string, flags: PlanFlags): Promise<Resolved> {
  const index = gpuIndex(flags.gpu);
  const names = splitProfiles(list);
  let table: MigProfileTable;
  let profilesFrom: string;
  let gpuLabel: string;
  let migEnabled: boolean | undefined;
  let existing: MigPlan['existing'] = [];
  if (flags.model !== undefined) {
    const recorded = recordedTableForModel(flags.model);
    if (!recorded) throw new OptionError('--model', `one of ${MODEL_KEYS.join(', ')}`, flags.model);
    table = recorded;
    profilesFrom = `the recorded profiles of the ${recorded.model} (${recorded.source})`;
    gpuLabel = `GPU ${index} (an ${recorded.model}, planned offline)`;
  } else {
    const inventory = await readInventory(smi, { instances: true });
    if (!inventory.ok) throw new NoGpuError(`mig plan: cannot read the GPUs (${inventory.reason}); to plan offline, pass --model ${MODEL_KEYS.join('|')}`);
    const gpu = inventory.gpus.find((g) => g.index === index);
    if (!gpu) throw new OptionError('--gpu', `a GPU index that nvidia-smi lists (${inventory.gpus.map((g) => g.index).join(', ')})`, flags.gpu);
    if (gpu.mode === 'unsupported') throw new NoGpuError(`mig plan: GPU ${gpu.index} (${gpu.name}) does not support MIG`);
    const profiles = await readProfiles(smi, gpu);
    if (!profiles.ok) throw new NoGpuError(`mig plan: ${profiles.reason}`);
    table = profiles.table;
    profilesFrom = profiles.live
      ? `the profiles GPU ${gpu.index} reports (nvidia-smi mig -lgip, -lgipp)`
      : `the recorded profiles of the ${table.model} (${table.source})`;
    gpuLabel = `GPU ${gpu.index} (${gpu.name}, MIG ${gpu.mode})`;
    migEnabled = gpu.mode === 'enabled';
    existing = (gpu.instances ?? []).map((i) => ({ profile: i.profile, start: i.start, size: i.size }));
  }
  const outcome = planLayout(table, names, { gpu: index, migEnabled, existing });
  if (!outcome.ok) throw new PlanRejected(outcome.error);
  return { plan: outcome.plan, profilesFrom, gpuLabel };
}

/** A layout that does not fit: exit code 2, like an invalid option. */
class PlanRejected extends Error {}

function failMig(error: unknown, command: string): number {
  if (error instanceof PlanRejected) {
    printError(`${command}: ${error.message}`);
    return EXIT.usage;
  }
  return fail(error);
}

function profilesArgument(cmd: Command): Command {
  return cmd.argument('<profiles>', 'GPU instance profiles, comma-separated, e.g. 3g.71gb,2g.35gb,1g.18gb (an H200)');
}

/** `mig list`: each GPU's MIG state, read-only. */
function listSubcommand(smi: SmiRunner): Command {
  return new Command('list')
    .description("show each GPU's MIG mode, GPU instances and MIG devices (read-only)")
    .addOption(jsonOption('the GPUs'))
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro mig list', "each GPU's MIG mode, instances and devices"],
        ['gpushare-micro mig list --json mig.json', 'the same as JSON in mig.json'],
      ),
    )
    .action(async (flags: { json?: string | boolean }) => {
      try {
        const target = checkJsonTarget(flags.json);
        const inventory = await readInventory(smi, { instances: true });
        if (!inventory.ok) throw new NoGpuError(`mig list: ${inventory.reason}`);
        if (target?.to !== 'stdout') console.log(formatInventory(inventory.gpus));
        await writeJsonTarget(target, inventory.gpus);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = failMig(error, 'mig list');
      }
    });
}

export function migCommand(smi: SmiRunner = nvidiaSmi()): Command {
  const mig = new Command('mig')
    .description("MIG: show the GPUs' MIG state, plan a layout, apply it (changes the machine for everyone)")
    .addHelpText('after', `\n${EVERYONE}`)
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro mig list', "the GPUs' MIG state (read-only)"],
        ['gpushare-micro mig plan 3g.71gb,3g.71gb --model H200-141GB', 'check a layout offline and print its commands'],
      ),
    );

  const list = listSubcommand(smi);

  const plan = profilesArgument(new Command('plan'))
    .description("check a MIG layout against the GPU's profiles and print the nvidia-smi commands that create it (runs nothing that changes the GPU)")
    .addOption(new Option('--gpu <index>', 'the GPU, as nvidia-smi numbers it').default('0', '0'))
    .option('--model <model>', `plan offline for a GPU model instead of reading the GPU: ${MODEL_KEYS.join(', ')} (any case)`)
    .addHelpText(
      'after',
      `\nThe profiles are read from the GPU (nvidia-smi mig -lgip, -lgipp) where it lists them, else taken from the recorded table for its name.\nExisting GPU instances are kept: the plan places the new ones around them.\n\n${EVERYONE}`,
    )
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro mig plan 3g.71gb,2g.35gb,1g.18gb', 'check a layout on GPU 0 and print the nvidia-smi commands'],
        ['gpushare-micro mig plan 4g.71gb,3g.71gb --model H200-141GB', 'plan offline, without a GPU'],
      ),
    )
    .action(async (profiles: string, flags: PlanFlags) => {
      try {
        const r = await resolvePlan(smi, profiles, flags);
        console.log(formatPlan(r.plan, r.profilesFrom, r.gpuLabel, `gpushare-micro mig apply ${profiles} --gpu ${r.plan.gpu} --yes`));
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = failMig(error, 'mig plan');
      }
    });

  const apply = profilesArgument(new Command('apply'))
    .description('CHANGES THE MACHINE FOR EVERYONE: run the commands `mig plan` prints (enable MIG, create GPU and compute instances); needs --yes')
    .requiredOption('--gpu <index>', 'the GPU, as nvidia-smi numbers it')
    .option('--yes', 'really change the GPU')
    .addHelpText('after', `\n${EVERYONE}\nWithout --yes nothing is run, not even nvidia-smi to read the GPU.`)
    .addHelpText('after', examples(['gpushare-micro mig apply 3g.71gb,3g.71gb --gpu 0 --yes', 'create the layout mig plan checked (as root)']))
    .action(async (profiles: string, flags: { gpu: string; yes?: boolean }) => {
      try {
        const index = gpuIndex(flags.gpu);
        if (!flags.yes) {
          printError(
            `mig apply changes GPU ${index} for every user of this machine (MIG mode, GPU instances; enabling MIG needs a GPU reset); ` +
              `nothing was run: add --yes to apply (\`gpushare-micro mig plan ${clip(profiles)} --gpu ${index}\` shows the commands)`,
          );
          process.exitCode = EXIT.usage;
          return;
        }
        const r = await resolvePlan(smi, profiles, { gpu: flags.gpu });
        console.log(formatPlan(r.plan, r.profilesFrom, r.gpuLabel, 'this command'));
        console.log('');
        const done = await applyPlan(r.plan, smi, (line) => console.log(line));
        if (!done.ok) {
          printError(`mig apply: ${done.error}`);
          process.exitCode = EXIT.error;
          return;
        }
        const after = await readInventory(smi, { instances: true });
        if (after.ok) console.log(`\n${formatInventory(after.gpus.filter((g) => g.index === r.plan.gpu))}`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = failMig(error, 'mig apply');
      }
    });

  for (const sub of [list, plan, apply]) mig.addCommand(sub);
  return mig;
}

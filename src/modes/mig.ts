// MIG: one process per client, each on its own MIG device (a GPU instance with its compute
// instance): CUDA_VISIBLE_DEVICES=MIG-<uuid> makes that device the process's device 0. MIG devices
// are hardware partitions (their own SMs, L2 slices and memory), so the clients do not time-slice.
//
// This mode only uses MIG devices that exist. Making them (enabling MIG, creating instances)
// changes the GPU for every user of the machine, so a run never does it: `gpushare-micro mig plan`
// prints the commands and `mig apply --yes` runs them, on the user's explicit request.
import type { LoopConfig } from '../binding/contract.js';
import { ModeUnavailableError, OptionError } from '../errors.js';
import { findGpu, readInventory, type MigGpu } from '../mig/inventory.js';
import { nvidiaSmi, type SmiMigDevice, type SmiRunner } from '../mig/nvidia-smi.js';
import { recordedTableForGpu } from '../mig/profiles.js';
import { NO_OPTIONS, type ModeContext, type ModeFacts, type ModeSession, type SharingMode, plainSolo, processPerClient } from './mode.js';

type Resolved = { ok: true; gpu: MigGpu; devices: SmiMigDevice[] } | { ok: false; reason: string };

function examplePlan(name: string): string {
  const table = recordedTableForGpu(name);
  const half = table?.profiles.find((p) => p.computeSlices === 3)?.name;
  return half ? `${half},${half}` : '<profiles>';
}

/** The GPU of this run and its MIG devices, or why the mode cannot run. Read-only. */
async function resolve(smi: SmiRunner, { environment }: ModeContext): Promise<Resolved> {
  const cuda = environment.gpu;
  const inventory = await readInventory(smi);
  if (!inventory.ok) {
    const nvml = cuda.migEnabled;
    const which = `GPU ${cuda.index} (${cuda.name})`;
    if (nvml === true) return { ok: false, reason: `MIG is enabled on ${which} but its MIG devices cannot be listed: ${inventory.reason}` };
    if (nvml === false) return { ok: false, reason: `MIG is disabled on ${which} (and ${inventory.reason})` };
    if (!recordedTableForGpu(cuda.name)) return { ok: false, reason: `${which} does not support MIG` };
    return { ok: false, reason: `cannot tell whether MIG is enabled on ${which}: ${inventory.reason}` };
  }
  const gpu = findGpu(inventory.gpus, cuda);
  if (!gpu) return { ok: false, reason: `nvidia-smi does not list the GPU of CUDA device ${cuda.index} (${cuda.name}, ${cuda.uuid})` };
  const which = `GPU ${gpu.index} (${gpu.name})`;
  if (gpu.mode === 'unsupported') return { ok: false, reason: `${which} does not support MIG` };
  if (gpu.mode === 'disabled') {
    const pending = gpu.pendingMode === 'enabled' ? ' (enabling is pending: it takes effect after a GPU reset)' : '';
    return {
      ok: false,
      reason:
        `MIG is disabled on ${which}${pending}; enabling it and creating MIG devices changes the GPU for every user of this machine ` +
        `(it needs a GPU reset with no process on the GPU), so a run never does it: ` +
        `\`gpushare-micro mig plan ${examplePlan(gpu.name)} --gpu ${gpu.index}\` prints the commands`,
    };
  }
  if (gpu.migDevices.length === 0) {
    return {
      ok: false,
      reason:
        `MIG is enabled on ${which} but it has no MIG devices: create GPU instances with their compute instances first ` +
        `(\`gpushare-micro mig plan ${examplePlan(gpu.name)} --gpu ${gpu.index}\` prints the commands)`,
    };
  }
  return { ok: true, gpu, devices: [...gpu.migDevices].sort((a, b) => a.device - b.device) };
}

function onMigDevice(loop: LoopConfig): LoopConfig {
  // Inside a process that sees only one MIG device, that device is CUDA device 0.
  return { ...loop, device: 0 };
}

/** The MIG mode, reading the machine with `smi` (the real nvidia-smi by default). */
export function migMode(smi: SmiRunner = nvidiaSmi()): SharingMode {
  return {
    name: 'mig',
    description: 'one process per client, each on its own MIG device (CUDA_VISIBLE_DEVICES=MIG-<uuid>): hardware partitions, no time slicing',
    // Each client's %smid numbers its own instance's SMs: no common SM timeline, so no occupancy.
    traits: { label: 'MIG', oneProcess: false, concurrent: true, sharedSmIds: false, clientFigures: [], pmSampling: false, soloOn: 'mig' },
    ...NO_OPTIONS,
    async availability(ctx) {
      const r = await resolve(smi, ctx);
      return r.ok ? { available: true } : { available: false, reason: r.reason };
    },
    async validate(ctx) {
      const r = await resolve(smi, ctx);
      // Whether the mode can run at all is availability's and setup's to say; this checks options.
      if (!r.ok) return;
      if (ctx.config.procs > r.devices.length) {
        const list = r.devices.map((d) => d.profile).join(', ');
        throw new OptionError(
          '--procs',
          `at most ${r.devices.length} with --mode mig: one client per MIG device, and GPU ${r.gpu.index} (${r.gpu.name}) has ${r.devices.length} (${list})`,
          ctx.config.procs,
        );
      }
    },
    async solo(ctx, loop) {
      const r = await resolve(smi, ctx);
      if (!r.ok) throw new ModeUnavailableError('mig', r.reason);
      return plainSolo(onMigDevice(loop), { CUDA_VISIBLE_DEVICES: r.devices[0]!.uuid });
    },
    async setup(ctx): Promise<ModeSession> {
      const r = await resolve(smi, ctx);
      if (!r.ok) throw new ModeUnavailableError('mig', r.reason);
      const { gpu, devices } = r;
      const used = devices.slice(0, Math.min(ctx.config.procs, devices.length));
      const sizes = new Set(used.map((d) => d.profile));
      const facts: ModeFacts = {
        gpu: { index: gpu.index, name: gpu.name, uuid: gpu.uuid },
        migDevices: used.map((d, client) => ({ client, device: d.device, profile: d.profile, uuid: d.uuid })),
        solo: { device: devices[0]!.device, profile: devices[0]!.profile, uuid: devices[0]!.uuid },
        ...(sizes.size > 1
          ? {
              note: `the MIG devices differ in size (${[...sizes].join(', ')}); every client is compared with the solo run on MIG device ${devices[0]!.device} (${devices[0]!.profile})`,
            }
          : {}),
      };
      return {
        facts,
        layout(procs, loop) {
          if (procs > devices.length) throw new OptionError('--procs', `at most ${devices.length} with --mode mig (one client per MIG device)`, procs);
          const workers = processPerClient(
            procs,
            (client) => onMigDevice(loop(client)),
            (client) => ({ CUDA_VISIBLE_DEVICES: devices[client]!.uuid }),
          );
          return { workers, facts: {} };
        },
        // Nothing was changed: the MIG devices were there before and stay.
        teardown: async () => ({}),
      };
    },
  };
}

export const mig: SharingMode = migMode();

// What the machine has in MIG terms, read with nvidia-smi (read-only commands only): each GPU's MIG
// mode, its GPU instances and its MIG devices (the compute instances CUDA can run on), and the GPU
// instance profiles a GPU offers. NVML is not used here on purpose: nvidia-smi is what users run to
// check the same facts, and its recorded outputs make this testable without a GPU.
import {
  parseGpuInstances,
  parseGpuList,
  parseMigModes,
  QUERY_GPU_ARGS,
  smiFailure,
  type MigModeState,
  type SmiGpuInstance,
  type SmiMigDevice,
  type SmiRunner,
} from './nvidia-smi.js';
import { recordedTableForGpu, tableFromSmiText, type MigProfileTable } from './profiles.js';

export interface MigGpu {
  /** nvidia-smi's index (PCI order; CUDA's order may differ unless CUDA_DEVICE_ORDER=PCI_BUS_ID). */
  index: number;
  name: string;
  uuid: string;
  mode: MigModeState;
  /** The mode after the next GPU reset. */
  pendingMode: MigModeState;
  migDevices: SmiMigDevice[];
  /** GPU instances (nvidia-smi mig -lgi); read only when asked for and MIG is enabled. */
  instances?: SmiGpuInstance[];
}

export type Inventory = { ok: true; gpus: MigGpu[] } | { ok: false; reason: string };

/** Reads every GPU's MIG mode and MIG devices; with `instances`, also the GPU instances. */
export async function readInventory(smi: SmiRunner, options: { instances?: boolean } = {}): Promise<Inventory> {
  const query = await smi(QUERY_GPU_ARGS);
  if (query.code !== 0) return { ok: false, reason: smiFailure(query) };
  const modes = parseMigModes(query.stdout);
  if (modes.length === 0)
    return { ok: false, reason: `nvidia-smi listed no GPU (${QUERY_GPU_ARGS.join(' ')} printed ${JSON.stringify(query.stdout.trim().slice(0, 80))})` };
  const list = await smi(['-L']);
  if (list.code !== 0) return { ok: false, reason: smiFailure(list) };
  const listed = parseGpuList(list.stdout);
  const gpus: MigGpu[] = modes.map((m) => ({
    index: m.index,
    name: m.name,
    uuid: m.uuid,
    mode: m.current,
    pendingMode: m.pending,
    migDevices: (listed.find((g) => g.uuid === m.uuid) ?? listed.find((g) => g.index === m.index))?.migDevices ?? [],
  }));
  if (options.instances && gpus.some((g) => g.mode === 'enabled')) {
    const lgi = await smi(['mig', '-lgi']);
    // "No GPU instances found" and similar exit non-zero on some drivers: no instances, not an error.
    const instances = lgi.code === 0 ? parseGpuInstances(lgi.stdout) : [];
    for (const g of gpus) if (g.mode === 'enabled') g.instances = instances.filter((i) => i.gpu === g.index);
  }
  return { ok: true, gpus };
}

function bareUuid(uuid: string): string {
  return uuid.replace(/^(GPU|MIG)-/i, '').toLowerCase();
}

/**
 * The GPU that a CUDA device is, or lives on: by UUID (a GPU's or one of its MIG devices'), else by
 * index. CUDA's own UUIDs are printed with a GPU- prefix by the addon, MIG devices included.
 */
export function findGpu(gpus: MigGpu[], cuda: { index: number; uuid: string }): MigGpu | undefined {
  const want = bareUuid(cuda.uuid);
  return (
    gpus.find((g) => bareUuid(g.uuid) === want) ??
    gpus.find((g) => g.migDevices.some((d) => bareUuid(d.uuid) === want)) ??
    gpus.find((g) => g.index === cuda.index)
  );
}

export type ProfileSource = { ok: true; table: MigProfileTable; live: boolean } | { ok: false; reason: string };

/**
 * The GPU instance profiles of one GPU: read from the GPU (nvidia-smi mig -lgip/-lgipp -i N; driver
 * 580 lists them even while MIG is off), else the recorded table for its name.
 */
export async function readProfiles(smi: SmiRunner, gpu: { index: number; name: string }): Promise<ProfileSource> {
  const lgip = await smi(['mig', '-lgip', '-i', String(gpu.index)]);
  const lgipp = lgip.code === 0 ? await smi(['mig', '-lgipp', '-i', String(gpu.index)]) : undefined;
  const live = lgipp?.code === 0 ? tableFromSmiText(gpu.index, gpu.name, lgip.stdout, lgipp.stdout) : undefined;
  if (live) return { ok: true, table: live, live: true };
  const recorded = recordedTableForGpu(gpu.name);
  if (recorded) return { ok: true, table: recorded, live: false };
  const why = lgipp && lgipp.code !== 0 ? smiFailure(lgipp) : lgip.code !== 0 ? smiFailure(lgip) : 'it listed no profile';
  return { ok: false, reason: `GPU ${gpu.index} (${gpu.name}) reports no MIG profiles (${why}) and none are recorded for it` };
}

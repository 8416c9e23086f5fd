// A sharing setup for Kubernetes: how the NVIDIA device plugin hands the GPUs of a node to pods (time
// slicing or MPS with replicas, MIG with a strategy, or whole GPUs), the resource name a pod then
// requests, and which `--mode` of gpushare-micro measures that kind of sharing. Checked once here; the
// device-plugin config, the pod specs and the fleet sweep all read the result.
//
// Facts from the device plugin's documentation (github.com/NVIDIA/k8s-device-plugin, README "Shared
// Access to GPUs" and its config API, v0.17): time slicing and MPS are mutually exclusive and apply to
// every GPU of a node; a replicated resource needs at least 2 replicas; with renameByDefault the
// resource is advertised as `<name>.shared`; MPS shares full GPUs only (not MIG devices). The MIG
// strategies: `single` advertises every MIG device as `nvidia.com/gpu`, `mixed` as
// `nvidia.com/mig-<profile>` (e.g. `nvidia.com/mig-1g.18gb` on an H200).
import { OptionError } from '../errors.js';
import { integer } from '../options.js';
import { MODEL_KEYS, recordedTableForModel } from '../mig/profiles.js';

export const SHARINGS = ['timeslice', 'mps', 'mig', 'none'] as const;
export type Sharing = (typeof SHARINGS)[number];
export const MIG_STRATEGIES = ['single', 'mixed'] as const;
export type MigStrategy = (typeof MIG_STRATEGIES)[number];

/** The full GPU's resource name, as the device plugin advertises it without sharing or renaming. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The most replicas of one GPU: MPS serves at most 48 clients per GPU (NVIDIA's MPS guide, Volta and later). */
export const MAX_MPS_REPLICAS = 48;
export const MAX_TIMESLICE_REPLICAS = 256;

export type SharingSetup =
  | { sharing: 'timeslice' | 'mps'; replicas: number; renameByDefault: boolean }
  | { sharing: 'mig'; strategy: MigStrategy; profile: string }
  | { sharing: 'none' };

export interface SetupFlags {
  sharing?: string;
  replicas?: string;
  migStrategy?: string;
  migProfile?: string;
  renameShared?: boolean;
}

/** The MIG profiles of every recorded GPU model (the `+me` variants left out: no resource name is documented for them). */
export function knownMigProfiles(): string[] {
  const names = MODEL_KEYS.flatMap((key) => recordedTableForModel(key)?.profiles.map((p) => p.name) ?? []);
  return [...new Set(names.filter((n) => !n.includes('+')))];
}

function oneOf<T extends string>(option: string, raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) throw new OptionError(option, `one of ${values.join(', ')}`, raw);
  return raw as T;
}

/** Checks the sharing options together: an option that the chosen sharing does not take is an error. */
export function parseSetup(flags: SetupFlags): SharingSetup {
  const sharing = oneOf('--sharing', flags.sharing ?? 'none', SHARINGS);
  const misplaced = (option: string, raw: unknown, takes: string) => {
    if (raw !== undefined) throw new OptionError(option, `no ${option} with --sharing ${sharing} (${takes} take it)`, raw);
  };
  if (sharing !== 'mig') {
    misplaced('--mig-strategy', flags.migStrategy, '--sharing mig');
    misplaced('--mig-profile', flags.migProfile, '--sharing mig --mig-strategy mixed');
  }
  if (sharing === 'timeslice' || sharing === 'mps') {
    const max = sharing === 'mps' ? MAX_MPS_REPLICAS : MAX_TIMESLICE_REPLICAS;
    if (flags.replicas === undefined) throw new OptionError('--replicas', `the replicas per GPU (2..${max}) with --sharing ${sharing}`, flags.replicas);
    return { sharing, replicas: integer('--replicas', flags.replicas, 2, max), renameByDefault: flags.renameShared === true };
  }
  misplaced('--replicas', flags.replicas, '--sharing timeslice and mps');
  if (flags.renameShared) misplaced('--rename-shared', true, '--sharing timeslice and mps');
  if (sharing === 'none') return { sharing };
  const strategy = oneOf('--mig-strategy', flags.migStrategy ?? 'single', MIG_STRATEGIES);
  if (strategy === 'single') {
    misplaced('--mig-profile', flags.migProfile, '--mig-strategy mixed');
    return { sharing, strategy, profile: '' };
  }
  const profiles = knownMigProfiles();
  const profile = oneOf('--mig-profile', flags.migProfile ?? '1g.18gb', profiles);
  return { sharing, strategy, profile };
}

/** The extended resource a pod requests for one share of a GPU under this setup. */
export function resourceName(setup: SharingSetup): string {
  switch (setup.sharing) {
    case 'timeslice':
    case 'mps':
      return setup.renameByDefault ? `${GPU_RESOURCE}.shared` : GPU_RESOURCE;
    case 'mig':
      return setup.strategy === 'mixed' ? `nvidia.com/mig-${setup.profile}` : GPU_RESOURCE;
    case 'none':
      return GPU_RESOURCE;
  }
}

/** The `--mode` of gpushare-micro that measures the sharing this setup gives the pods of one GPU. */
export function modeOf(setup: SharingSetup): 'timeslice' | 'mps' | 'mig' {
  return setup.sharing === 'none' ? 'timeslice' : setup.sharing;
}

/** A short name for the setup: the ConfigMap key and a label value (e.g. timeslice-4, mig-mixed). */
export function setupKey(setup: SharingSetup): string {
  switch (setup.sharing) {
    case 'timeslice':
    case 'mps':
      return `${setup.sharing}-${setup.replicas}`;
    case 'mig':
      return `mig-${setup.strategy}`;
    case 'none':
      return 'none';
  }
}

// The NVIDIA device plugin's config file (`version: v1`) for a sharing setup, and the ConfigMap that
// carries it to the GPU operator (`devicePlugin.config.name`, one key per config; a node picks a key
// with the label `nvidia.com/device-plugin.config`, the others use `devicePlugin.config.default`).
//
// The schema below holds the fields the plugin documents (README "Shared Access to GPUs", "Catalog of
// Labels"; its config API api/config/v1: Config, Flags, Sharing, ReplicatedResources) that a config
// written here may use; it is strict, so a misspelt or undocumented field is an error. It was written
// from that documentation, not generated from the plugin: `flags` lists only the documented flags.
import { stringify } from 'yaml';
import { z } from 'zod';
import { type SharingSetup, GPU_RESOURCE, setupKey } from './setup.js';

/** A resource the plugin may replicate: `nvidia.com/gpu` or a MIG resource of the mixed strategy. */
const resourceNameSchema = z.string().regex(/^nvidia\.com\/(gpu|mig-\d+g\.\d+gb)$/);

const replicatedResourceSchema = z.strictObject({
  name: resourceNameSchema,
  rename: z
    .string()
    .regex(/^nvidia\.com\/[a-z0-9.-]+$/)
    .optional(),
  /** "all" (the default), a count, or a list of GPU indices, MIG indices (gpu:mig) or UUIDs. */
  devices: z.union([z.literal('all'), z.number().int().positive(), z.array(z.union([z.number().int().nonnegative(), z.string()]))]).optional(),
  replicas: z.number().int().min(2),
});

const replicatedResourcesSchema = z.strictObject({
  renameByDefault: z.boolean().optional(),
  failRequestsGreaterThanOne: z.boolean().optional(),
  resources: z.array(replicatedResourceSchema).min(1),
});

const flagsSchema = z.strictObject({
  migStrategy: z.enum(['none', 'single', 'mixed']).optional(),
  failOnInitError: z.boolean().optional(),
  nvidiaDriverRoot: z.string().optional(),
  plugin: z
    .strictObject({
      passDeviceSpecs: z.boolean().optional(),
      deviceListStrategy: z.array(z.enum(['envvar', 'volume-mounts', 'cdi-annotations', 'cdi-cri'])).optional(),
      deviceIDStrategy: z.enum(['uuid', 'index']).optional(),
    })
    .optional(),
});

/** The documented fields of the device plugin's config file, version v1. */
export const devicePluginConfigSchema = z
  .strictObject({
    version: z.literal('v1'),
    flags: flagsSchema.optional(),
    sharing: z.strictObject({ timeSlicing: replicatedResourcesSchema.optional(), mps: replicatedResourcesSchema.optional() }).optional(),
  })
  .refine((c) => !(c.sharing?.timeSlicing && c.sharing.mps), { message: 'time slicing and MPS are mutually exclusive' })
  .refine((c) => !(c.sharing?.mps && c.flags?.migStrategy && c.flags.migStrategy !== 'none'), { message: 'MPS shares full GPUs only, not MIG devices' })
  .refine((c) => !(c.sharing?.mps?.resources.some((r) => r.name !== GPU_RESOURCE) ?? false), { message: 'MPS replicates nvidia.com/gpu only' });

export type DevicePluginConfig = z.infer<typeof devicePluginConfigSchema>;

/** The device plugin's config for a setup. One replica per container: a request of 2 fails instead of silently sharing. */
export function devicePluginConfig(setup: SharingSetup): DevicePluginConfig {
  switch (setup.sharing) {
    case 'timeslice':
    case 'mps': {
      const replicated = {
        renameByDefault: setup.renameByDefault,
        failRequestsGreaterThanOne: true,
        resources: [{ name: GPU_RESOURCE, replicas: setup.replicas }],
      };
      const sharing = setup.sharing === 'mps' ? { mps: replicated } : { timeSlicing: replicated };
      return { version: 'v1', flags: { migStrategy: 'none' }, sharing };
    }
    case 'mig':
      return { version: 'v1', flags: { migStrategy: setup.strategy } };
    case 'none':
      return { version: 'v1', flags: { migStrategy: 'none' } };
  }
}

/** The ConfigMap key of the whole-GPU config, always present: the fleet sweep's nodes are labelled with it. */
export const WHOLE_GPU_KEY = 'none';

export interface DevicePluginConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  data: Record<string, string>;
}

/**
 * The ConfigMap the GPU operator reads (helm `--set devicePlugin.config.name=NAME`): the setup's config
 * under its key (e.g. `timeslice-4`) and the whole-GPU config under `none`.
 */
export function devicePluginConfigMap(setup: SharingSetup, name: string, namespace: string): DevicePluginConfigMap {
  const data: Record<string, string> = { [setupKey(setup)]: stringify(devicePluginConfig(setup)) };
  data[WHOLE_GPU_KEY] = stringify(devicePluginConfig({ sharing: 'none' }));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'gpushare-micro', 'app.kubernetes.io/component': 'device-plugin-config' } },
    data,
  };
}

// `k8s render` as data: the checked options in, the Kubernetes objects out (the device plugin's
// ConfigMap, the role pods, the fleet sweep), then as one multi-document YAML text or one YAML text per
// object kind. Nothing here writes a file.
import { stringify } from 'yaml';
import { type DevicePluginConfig, devicePluginConfig, devicePluginConfigMap } from './device-plugin.js';
import { DEFAULT_IMAGE, type RenderContext } from './container.js';
import { type FleetOptions, fleetJob, resultsClaim } from './fleet.js';
import { type Role, inferenceDeployment, inferenceService, notebookPod, trainingJob } from './roles.js';
import { GPU_RESOURCE, type SharingSetup, modeOf, resourceName, setupKey } from './setup.js';

export interface RenderPlan {
  setup: SharingSetup;
  roles: Role[];
  fleet?: FleetOptions;
  image: string;
  namespace: string;
  /** The namespace of the GPU operator, where its device-plugin ConfigMap lives. */
  operatorNamespace: string;
  /** The results volume's size, when the fleet's claim is rendered. */
  pvcSize: string;
}

export const DEFAULT_NAMESPACE = 'gpushare';
export const DEFAULT_OPERATOR_NAMESPACE = 'gpu-operator';
export const CONFIG_MAP_NAME = 'gpushare-device-plugin-config';
export { DEFAULT_IMAGE };

/** A Kubernetes object as rendered: plain data with its kind. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
}

export interface Rendered {
  /** The device plugin's config itself (for the standalone plugin's helm chart: `config.map`). */
  devicePluginConfig: DevicePluginConfig;
  objects: Manifest[];
}

export function render(plan: RenderPlan): Rendered {
  const ctx: RenderContext = { image: plan.image, namespace: plan.namespace, resource: resourceName(plan.setup), setup: setupKey(plan.setup) };
  const mode = modeOf(plan.setup);
  const objects: Manifest[] = [devicePluginConfigMap(plan.setup, CONFIG_MAP_NAME, plan.operatorNamespace)];
  if (plan.roles.includes('train')) objects.push(trainingJob(ctx, mode));
  if (plan.roles.includes('infer')) objects.push(inferenceDeployment(ctx, mode), inferenceService(ctx));
  if (plan.roles.includes('notebook')) objects.push(notebookPod(ctx, mode));
  // The fleet sweep measures whole GPUs, whatever the roles share (see fleet.ts).
  if (plan.fleet) objects.push(resultsClaim(ctx, plan.fleet.pvc, plan.pvcSize), fleetJob({ ...ctx, resource: GPU_RESOURCE, setup: 'none' }, plan.fleet));
  return { devicePluginConfig: devicePluginConfig(plan.setup), objects };
}

/** Every object, one YAML document each. */
export function toMultiDocument(objects: readonly Manifest[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

/** One file per object kind: `configmap.yaml`, `job.yaml`, ... each with that kind's objects, in order. */
export function filesByKind(rendered: Rendered): Map<string, string> {
  const files = new Map<string, string>();
  const kinds = [...new Set(rendered.objects.map((o) => o.kind))];
  for (const kind of kinds) files.set(`${kind.toLowerCase()}.yaml`, toMultiDocument(rendered.objects.filter((o) => o.kind === kind)));
  files.set('device-plugin-config.yaml', stringify(rendered.devicePluginConfig));
  return files;
}

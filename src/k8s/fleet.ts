// The fleet sweep: the same measurement on every GPU node at once, as one Indexed Job with one pod per
// node. Pods are kept apart by a required anti-affinity on the node's hostname (never two on one node)
// and spread evenly by a topology spread constraint; the GPU feature discovery labels pick the nodes
// (`nvidia.com/gpu.present=true`, and `nvidia.com/gpu.product` when given). A sweep compares the sharing
// modes on a whole GPU, so each pod requests one `nvidia.com/gpu` on a node whose device plugin shares
// nothing (its label `nvidia.com/gpu.sharing-strategy=none`: the ConfigMap's `none` key); gpushare-micro
// then does the sharing inside the pod. Each pod writes its results
// directory, named by its node (the downward API's spec.nodeName) and GPU model (nvidia-smi), to a
// shared ReadWriteMany volume; `gpushare-micro merge` combines the directories afterwards.
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { APP, type RenderContext, gpuContainer, labels, podSecurity, shellQuote } from './container.js';

/** Where the shared volume is mounted in a fleet pod. */
export const RESULTS_MOUNT = '/results';
export const FLEET_JOB = 'gpushare-fleet';

export type FleetWork = { kind: 'sweep'; args: string[] } | { kind: 'scenario'; name: string };

export interface FleetOptions {
  nodes: number;
  work: FleetWork;
  pvc: string;
  /** Only nodes whose GFD label nvidia.com/gpu.product has this value. */
  gpuProduct?: string;
}

/**
 * The pod's script: the results directory `/results/node-<node>-<gpu model>` (the model as nvidia-smi
 * names it, every character outside [A-Za-z0-9._-] made a '-'), then the sweep or scenario writing there.
 */
export function fleetScript(work: FleetWork): string {
  const command = work.kind === 'sweep' ? ['gpushare-micro', 'sweep', ...work.args, '--quiet'] : ['gpushare-micro', 'scenario', 'run', work.name, '--quiet'];
  return [
    'set -eu',
    `gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader -i 0 2>/dev/null | head -n 1 | tr -c 'A-Za-z0-9._\\n-' '-' | tr -d '\\n')`,
    `out="${RESULTS_MOUNT}/node-$NODE_NAME-\${gpu:-unknown-gpu}"`,
    `echo "gpushare-micro fleet pod $JOB_COMPLETION_INDEX on $NODE_NAME: results in $out"`,
    `exec ${command.map(shellQuote).join(' ')} --out "$out"`,
  ].join('\n');
}

export function fleetJob(ctx: RenderContext, options: FleetOptions): IJob {
  const podLabels = { ...labels('fleet-sweep', ctx.setup), 'gpushare-micro/fleet': FLEET_JOB };
  const nodeSelector: Record<string, string> = { 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.sharing-strategy': 'none' };
  if (options.gpuProduct !== undefined) nodeSelector['nvidia.com/gpu.product'] = options.gpuProduct;
  const container = {
    ...gpuContainer(
      ctx,
      'sweep',
      ['/bin/sh', '-c', fleetScript(options.work)],
      [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    ),
    volumeMounts: [{ name: 'results', mountPath: RESULTS_MOUNT }],
  };
  const sameFleet = { matchLabels: { 'gpushare-micro/fleet': FLEET_JOB } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: FLEET_JOB, namespace: ctx.namespace, labels: podLabels },
    spec: {
      completionMode: 'Indexed',
      completions: options.nodes,
      parallelism: options.nodes,
      backoffLimit: options.nodes,
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurity(),
          nodeSelector,
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: sameFleet }] },
          },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: sameFleet }],
          containers: [container],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: options.pvc } }],
        },
      },
    },
  };
}

/** The shared volume of the fleet's results: ReadWriteMany, so that every node's pod can write to it. */
export function resultsClaim(ctx: RenderContext, name: string, size: string): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ctx.namespace, labels: { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': 'results' } },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: size } } },
  };
}

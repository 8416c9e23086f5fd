// Pod specs for the roles of the built-in scenarios (scenarios/train+infer.yaml, notebook+train.yaml),
// each a pod of its own that gets one share of a GPU from the device plugin: a training Job, an
// inference Deployment with its Service, a notebook Pod. Between pods, the device plugin does the
// sharing (time slicing, MPS, MIG); inside a pod, gpushare-micro runs the role's one client.
//
// Each pod runs `gpushare-micro run --client ROLE-SPEC` for 20 minutes (ROLE_DURATION), without solo
// baselines: the Job completes, the Deployment starts the next run, the notebook pod ends.
// Under MPS the device plugin runs the MPS daemon and gives the container its pipe directory in
// CUDA_MPS_PIPE_DIRECTORY, so the run attaches to it (`--mode mps --mps-pipe`) instead of starting one.
// (Attaching checks the daemon's pid, which a pod cannot see in the plugin's container: until the attach
// in src/mps/daemon.ts accepts such a daemon, these MPS pods stop with exit code 3; docs/deploy.md.)
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { type RenderContext, gpuContainer, labels, podSecurity, shellQuote } from './container.js';

export const ROLES = ['train', 'infer', 'notebook'] as const;
export type Role = (typeof ROLES)[number];

/** Each role's client spec, as in the built-in scenarios. */
export const ROLE_CLIENTS: Record<Role, string> = {
  train: 'role=train,kernel=gemm,size=4096,dtype=bf16',
  infer: 'role=infer,preset=bert-base,arrival=poisson:800/s,slo=p99<=1ms',
  notebook: 'role=notebook,kernel=gemm,size=4096,arrival=bursty:200ms/800ms',
};

/**
 * How long a role pod's run lasts: long, but within what one run allows (--duration up to 3600 s, at most
 * 2,000,000 requests per client: the inference role's 800 requests/s fit 2,500 s).
 */
export const ROLE_DURATION = '1200s';

/** The port the inference Service exposes, for `serve` once it exists. */
export const INFER_PORT = 8080;

/** The arguments of the role's run; under MPS they name the plugin's pipe directory, which only the shell knows. */
export function roleArgs(role: Role, mode: 'timeslice' | 'mps' | 'mig'): string[] {
  const args = ['gpushare-micro', 'run', '--client', ROLE_CLIENTS[role], '--duration', ROLE_DURATION, '--no-baseline', '--quiet'];
  return mode === 'mps' ? [...args, '--mode', 'mps'] : args;
}

/** The container's command: the run itself, or a shell that adds `--mps-pipe "$CUDA_MPS_PIPE_DIRECTORY"`. */
function roleCommand(role: Role, mode: 'timeslice' | 'mps' | 'mig'): string[] {
  const args = roleArgs(role, mode);
  if (mode !== 'mps') return args;
  return ['/bin/sh', '-c', `exec ${args.map(shellQuote).join(' ')} --mps-pipe "$CUDA_MPS_PIPE_DIRECTORY"`];
}

function meta(ctx: RenderContext, name: string, component: string) {
  return { name, namespace: ctx.namespace, labels: labels(component, ctx.setup) };
}

export function trainingJob(ctx: RenderContext, mode: 'timeslice' | 'mps' | 'mig'): IJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(ctx, 'gpushare-train', 'train'),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: labels('train', ctx.setup) },
        spec: { restartPolicy: 'Never', securityContext: podSecurity(), containers: [gpuContainer(ctx, 'train', roleCommand('train', mode))] },
      },
    },
  };
}

/**
 * The inference service. Until `serve` exists, the Deployment runs the inference role's open loop for
 * ROLE_DURATION at a time (`gpushare-micro run --client role=infer,...`); it will run `gpushare-micro serve` and
 * answer on INFER_PORT when that command exists. The Service already points at that port.
 */
export function inferenceDeployment(ctx: RenderContext, mode: 'timeslice' | 'mps' | 'mig'): IDeployment {
  const container = { ...gpuContainer(ctx, 'infer', roleCommand('infer', mode)), ports: [{ name: 'http', containerPort: INFER_PORT }] };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(ctx, 'gpushare-infer', 'infer'),
    spec: {
      replicas: 1,
      selector: { matchLabels: labels('infer', ctx.setup) },
      template: {
        metadata: { labels: labels('infer', ctx.setup) },
        spec: { securityContext: podSecurity(), containers: [container] },
      },
    },
  };
}

export function inferenceService(ctx: RenderContext): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ctx, 'gpushare-infer', 'infer'),
    spec: { selector: labels('infer', ctx.setup), ports: [{ name: 'http', port: INFER_PORT, targetPort: 'http', protocol: 'TCP' }] },
  };
}

export function notebookPod(ctx: RenderContext, mode: 'timeslice' | 'mps' | 'mig'): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(ctx, 'gpushare-notebook', 'notebook'),
    spec: { restartPolicy: 'Never', securityContext: podSecurity(), containers: [gpuContainer(ctx, 'notebook', roleCommand('notebook', mode))] },
  };
}

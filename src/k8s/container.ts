// What every gpushare-micro pod shares: its labels, a non-root security context, and a container that
// runs the image's `gpushare-micro` with one share of a GPU (the setup's resource name, 1).
// The objects are plain data typed with kubernetes-models' interfaces (type-only imports: nothing of
// it is loaded at run time); the tests validate them against Kubernetes' schemas with it.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';

/** The image's user and group (the Dockerfile's non-root user). */
export const RUN_AS_USER = 10001;
export const DEFAULT_IMAGE = 'gpushare-micro:latest';
export const APP = 'gpushare-micro';

export interface RenderContext {
  image: string;
  namespace: string;
  /** The resource a pod requests for its GPU share (nvidia.com/gpu, nvidia.com/gpu.shared, nvidia.com/mig-1g.18gb). */
  resource: string;
  /** The setup's short name (a label value: timeslice-4, mig-mixed, none). */
  setup: string;
}

/** The labels of an object of `component` (train, infer, notebook, fleet-sweep). */
export function labels(component: string, setup: string): Record<string, string> {
  return { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': component, 'gpushare-micro/setup': setup };
}

/** The pod runs as the image's non-root user; files it writes on a volume belong to its group. */
export function podSecurity(): IPodSecurityContext {
  return { runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_USER, fsGroup: RUN_AS_USER, seccompProfile: { type: 'RuntimeDefault' } };
}

/** `word` quoted for /bin/sh: as it is when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The container: `command` run by the image, one GPU share, no privilege escalation, no capabilities. */
export function gpuContainer(ctx: RenderContext, name: string, command: string[], env: IEnvVar[] = []): IContainer {
  const container: IContainer = {
    name,
    image: ctx.image,
    imagePullPolicy: 'IfNotPresent',
    command,
    resources: { limits: { [ctx.resource]: '1' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
  };
  if (env.length > 0) container.env = env;
  return container;
}

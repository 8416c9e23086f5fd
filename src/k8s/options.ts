// The options of `k8s render`, checked all together before anything is written: names that
// Kubernetes accepts (namespace, claim, image, label value), the roles, the fleet's size and work.
import { OptionError } from '../errors.js';
import { integer } from '../options.js';
import { builtinScenarioNames } from '../scenario/file.js';
import { DEFAULT_IMAGE } from './container.js';
import type { FleetWork } from './fleet.js';
import { DEFAULT_NAMESPACE, DEFAULT_OPERATOR_NAMESPACE, type RenderPlan } from './render.js';
import { ROLES, type Role } from './roles.js';
import { type SetupFlags, parseSetup } from './setup.js';

export interface RenderFlags extends SetupFlags {
  roles?: string;
  fleet?: boolean;
  nodes?: string;
  scenario?: string;
  /** The sweep's arguments, already checked by the caller (they are `sweep`'s options). */
  sweep?: string[];
  gpuProduct?: string;
  pvc?: string;
  pvcSize?: string;
  image?: string;
  namespace?: string;
  operatorNamespace?: string;
}

export const DEFAULT_PVC = 'gpushare-results';
export const DEFAULT_PVC_SIZE = '10Gi';
export const MAX_NODES = 1000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
// registry/name:tag or @digest, no spaces (what an image reference may hold, loosely).
const IMAGE = /^(?=.{1,255}$)[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;
const QUANTITY = /^[1-9]\d{0,5}(Ki|Mi|Gi|Ti)$/;

function matching(option: string, raw: string | undefined, fallback: string, pattern: RegExp, what: string): string {
  const value = raw ?? fallback;
  if (!pattern.test(value)) throw new OptionError(option, what, raw);
  return value;
}

function parseRoles(raw: string | undefined, fleet: boolean): Role[] {
  if (raw === undefined) return fleet ? [] : [...ROLES];
  if (raw.trim() === '') throw new OptionError('--roles', `a comma-separated list of ${ROLES.join(', ')}`, raw);
  const roles = raw.split(',').map((r) => r.trim());
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new OptionError('--roles', `a comma-separated list of ${ROLES.join(', ')}`, raw);
  return [...new Set(roles as Role[])];
}

function fleetWork(flags: RenderFlags): FleetWork {
  if (flags.scenario !== undefined && flags.sweep !== undefined) throw new OptionError('--scenario', 'either --scenario or --sweep, not both', flags.scenario);
  if (flags.scenario !== undefined) {
    const names = builtinScenarioNames();
    if (!names.includes(flags.scenario))
      throw new OptionError('--scenario', `a built-in scenario (the image holds those): ${names.join(', ')}`, flags.scenario);
    return { kind: 'scenario', name: flags.scenario };
  }
  return { kind: 'sweep', args: flags.sweep ?? [] };
}

/** The fleet options only go with --fleet: each is an error without it. */
function checkFleetOnly(flags: RenderFlags): void {
  const only: Array<[string, unknown]> = [
    ['--nodes', flags.nodes],
    ['--scenario', flags.scenario],
    ['--sweep', flags.sweep?.join(' ')],
    ['--gpu-product', flags.gpuProduct],
    ['--pvc', flags.pvc],
    ['--pvc-size', flags.pvcSize],
  ];
  for (const [option, raw] of only) if (raw !== undefined) throw new OptionError(option, `no ${option} without --fleet`, raw);
}

export function parseRenderFlags(flags: RenderFlags): RenderPlan {
  const setup = parseSetup(flags);
  const fleet = flags.fleet === true;
  const plan: RenderPlan = {
    setup,
    roles: parseRoles(flags.roles, fleet),
    image: matching('--image', flags.image, DEFAULT_IMAGE, IMAGE, 'an image reference such as registry.example.com/gpushare-micro:0.1.0'),
    namespace: matching('--namespace', flags.namespace, DEFAULT_NAMESPACE, DNS_LABEL, 'a namespace name (lower-case letters, digits, -; up to 63)'),
    operatorNamespace: matching(
      '--operator-namespace',
      flags.operatorNamespace,
      DEFAULT_OPERATOR_NAMESPACE,
      DNS_LABEL,
      'a namespace name (lower-case letters, digits, -; up to 63)',
    ),
    pvcSize: DEFAULT_PVC_SIZE,
  };
  if (!fleet) {
    checkFleetOnly(flags);
    return plan;
  }
  if (flags.nodes === undefined) throw new OptionError('--nodes', `the number of GPU nodes to sweep (1..${MAX_NODES}) with --fleet`, flags.nodes);
  const gpuProduct =
    flags.gpuProduct === undefined
      ? undefined
      : matching('--gpu-product', flags.gpuProduct, '', LABEL_VALUE, 'a value of the label nvidia.com/gpu.product, e.g. NVIDIA-H200');
  plan.fleet = {
    nodes: integer('--nodes', flags.nodes, 1, MAX_NODES),
    work: fleetWork(flags),
    pvc: matching('--pvc', flags.pvc, DEFAULT_PVC, DNS_SUBDOMAIN, 'a PersistentVolumeClaim name (lower-case letters, digits, -, .)'),
    ...(gpuProduct === undefined ? {} : { gpuProduct }),
  };
  plan.pvcSize = matching('--pvc-size', flags.pvcSize, DEFAULT_PVC_SIZE, QUANTITY, 'a storage size such as 10Gi or 500Mi');
  return plan;
}

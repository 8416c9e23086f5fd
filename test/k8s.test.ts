// `k8s render` without a cluster: every rendered object is validated against Kubernetes' published
// schemas (kubernetes-models), the device plugin's config against the fields its documentation gives,
// the fleet sweep's Job for what makes it a fleet sweep, its pod script run with stand-in commands, and
// the CLI end to end (a directory, stdout, one-line errors with exit code 2 and nothing written).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { resolveRunConfig, type RunOptions } from '../src/config.js';
import { runCommand } from '../src/cli/run-command.js';
import { givenOptions } from '../src/cli/output.js';
import { devicePluginConfig, devicePluginConfigSchema } from '../src/k8s/device-plugin.js';
import { fleetScript } from '../src/k8s/fleet.js';
import { parseRenderFlags, type RenderFlags } from '../src/k8s/options.js';
import { type Manifest, render } from '../src/k8s/render.js';
import { ROLES, roleArgs } from '../src/k8s/roles.js';
import { parseSetup, resourceName, type SharingSetup } from '../src/k8s/setup.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const cliRun = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
const scratch = mkdtempSync(join(tmpdir(), 'gsm-k8s-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Each kind rendered, with the kubernetes-models class that validates it.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  Job,
  Deployment,
  Service,
  Pod,
  PersistentVolumeClaim,
};

function validate(object: Manifest): void {
  const Model = MODELS[object.kind];
  if (!Model) throw new Error(`no model for kind ${object.kind}`);
  new Model(object as never).validate();
}

type Container = { resources: { limits: Record<string, string> }; command: string[]; env?: unknown[]; volumeMounts?: unknown[] };
type PodSpec = { containers: Container[]; securityContext: { runAsNonRoot: boolean }; [key: string]: unknown };

function podSpecOf(o: Manifest): PodSpec {
  const any = o as unknown as { spec: PodSpec & { template?: { spec: PodSpec } } };
  return any.spec.template ? any.spec.template.spec : any.spec;
}

const SETUPS: Array<[string, RenderFlags, string]> = [
  ['time slicing', { sharing: 'timeslice', replicas: '4' }, 'nvidia.com/gpu'],
  ['time slicing, renamed', { sharing: 'timeslice', replicas: '8', renameShared: true }, 'nvidia.com/gpu.shared'],
  ['MPS', { sharing: 'mps', replicas: '4' }, 'nvidia.com/gpu'],
  ['MPS, renamed', { sharing: 'mps', replicas: '2', renameShared: true }, 'nvidia.com/gpu.shared'],
  ['MIG single', { sharing: 'mig', migStrategy: 'single' }, 'nvidia.com/gpu'],
  ['MIG mixed', { sharing: 'mig', migStrategy: 'mixed', migProfile: '3g.71gb' }, 'nvidia.com/mig-3g.71gb'],
  ['none', { sharing: 'none' }, 'nvidia.com/gpu'],
];

const fleetFlags: RenderFlags = { fleet: true, nodes: '3', scenario: 'train+infer', roles: 'train,infer,notebook', gpuProduct: 'NVIDIA-H200' };

describe('k8s render: every manifest of every sharing setup', () => {
  it.each(SETUPS)('%s: each object passes Kubernetes schema, the pods request %s, run as non-root', (_, flags, resource) => {
    const { objects } = render(parseRenderFlags({ ...flags, ...fleetFlags }));
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'Job', 'PersistentVolumeClaim', 'Pod', 'Service']);
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata?.name}`).not.toThrow();
    const pods = objects.filter((o) => ['Job', 'Deployment', 'Pod'].includes(o.kind));
    for (const o of pods) {
      const spec = podSpecOf(o);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      const limits = spec.containers[0]!.resources.limits;
      // The fleet sweep measures whole GPUs; the role pods get the setup's share.
      expect(limits).toEqual(o.metadata?.name === 'gpushare-fleet' ? { 'nvidia.com/gpu': '1' } : { [resource]: '1' });
    }
  });

  it('rejects broken objects, so the validation is real', () => {
    const { objects } = render(parseRenderFlags({ sharing: 'none', ...fleetFlags }));
    const fleet = structuredClone(objects.find((o) => o.metadata?.name === 'gpushare-fleet')) as unknown as { spec: Record<string, unknown> };
    fleet.spec.completions = 'three';
    expect(() => validate(fleet as unknown as Manifest)).toThrow();
    const pod = structuredClone(objects.find((o) => o.kind === 'Pod')) as unknown as { spec: { containers: Array<Record<string, unknown>> } };
    delete pod.spec.containers[0]!.name;
    expect(() => validate(pod as unknown as Manifest)).toThrow();
    const service = structuredClone(objects.find((o) => o.kind === 'Service')) as unknown as { spec: { ports: Array<Record<string, unknown>> } };
    service.spec.ports[0]!.port = 'http';
    expect(() => validate(service as unknown as Manifest)).toThrow();
  });

  it("each role's command is a run that the run's own option checks accept", () => {
    for (const role of ROLES) {
      for (const mode of ['timeslice', 'mps', 'mig'] as const) {
        const cmd = runCommand();
        const args = roleArgs(role, mode).slice(2);
        const parsed = cmd.parseOptions(mode === 'mps' ? [...args, '--mps-pipe', '/mps/nvidia.com/gpu/pipe'] : args);
        expect(parsed.unknown).toEqual([]);
        const { client, quiet, ...rest } = givenOptions<RunOptions & { client?: string[]; quiet?: boolean }>(cmd);
        expect(quiet).toBe(true);
        const config = resolveRunConfig({ ...(rest as RunOptions), clients: client as string[] });
        expect(config.mode).toBe(mode === 'mps' ? 'mps' : 'timeslice');
      }
    }
  });
});

describe('the device plugin config', () => {
  const setups: SharingSetup[] = SETUPS.map(([, flags]) => parseSetup(flags));

  it.each(setups.map((s) => [JSON.stringify(s), s]))('%s matches the documented fields, and the ConfigMap carries it', (_, setup) => {
    const config = devicePluginConfig(setup as SharingSetup);
    expect(devicePluginConfigSchema.safeParse(config).success).toBe(true);
    const map = render(parseRenderFlags(SETUPS.find(([, f]) => JSON.stringify(parseSetup(f)) === _)![1])).objects[0] as unknown as {
      data: Record<string, string>;
    };
    const keys = Object.keys(map.data);
    expect(keys).toContain('none');
    for (const key of keys) expect(devicePluginConfigSchema.safeParse(parse(map.data[key]!)).success, key).toBe(true);
  });

  it('writes what the documentation says for each setup', () => {
    expect(devicePluginConfig(parseSetup({ sharing: 'timeslice', replicas: '4' }))).toEqual({
      version: 'v1',
      flags: { migStrategy: 'none' },
      sharing: { timeSlicing: { renameByDefault: false, failRequestsGreaterThanOne: true, resources: [{ name: 'nvidia.com/gpu', replicas: 4 }] } },
    });
    expect(devicePluginConfig(parseSetup({ sharing: 'mps', replicas: '3', renameShared: true })).sharing?.mps?.renameByDefault).toBe(true);
    expect(devicePluginConfig(parseSetup({ sharing: 'mig', migStrategy: 'mixed' }))).toEqual({ version: 'v1', flags: { migStrategy: 'mixed' } });
    expect(resourceName(parseSetup({ sharing: 'mig', migStrategy: 'mixed' }))).toBe('nvidia.com/mig-1g.18gb');
  });

  it('rejects configs the plugin would not take', () => {
    const ok = devicePluginConfig(parseSetup({ sharing: 'timeslice', replicas: '4' }));
    const bad: unknown[] = [
      { ...ok, version: 'v2' },
      { ...ok, sharing: { timeSlicing: { resources: [{ name: 'nvidia.com/gpu', replicas: 1 }] } } },
      { ...ok, sharing: { timeSlicing: { resources: [] } } },
      { ...ok, sharing: { timeSlicing: { resources: [{ name: 'nvidia.com/gpu', replica: 4 }] } } },
      { ...ok, sharing: { ...ok.sharing, mps: ok.sharing?.timeSlicing } },
      { version: 'v1', flags: { migStrategy: 'mixed' }, sharing: { mps: { resources: [{ name: 'nvidia.com/mig-1g.18gb', replicas: 2 }] } } },
      { ...ok, flags: { migStrategy: 'some' } },
      { ...ok, extra: true },
    ];
    for (const config of bad) expect(devicePluginConfigSchema.safeParse(config).success, JSON.stringify(config)).toBe(false);
  });
});

describe('the fleet sweep', () => {
  const { objects } = render(parseRenderFlags({ sharing: 'timeslice', replicas: '4', ...fleetFlags, roles: undefined, pvc: 'shared-results' }));

  it('is an Indexed Job, one pod per GPU node, on the GFD-labelled nodes, writing to the shared volume', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'PersistentVolumeClaim', 'Job']);
    const job = objects[2] as unknown as { spec: Record<string, unknown> & { template: { spec: unknown } } };
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const spec = job.spec.template.spec as Record<string, unknown> & { containers: Container[] };
    const fleetLabel = { matchLabels: { 'gpushare-micro/fleet': 'gpushare-fleet' } };
    expect(spec.affinity).toEqual({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: fleetLabel }] },
    });
    expect(spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: fleetLabel },
    ]);
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.sharing-strategy': 'none', 'nvidia.com/gpu.product': 'NVIDIA-H200' });
    const container = spec.containers[0]!;
    expect(container.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(container.volumeMounts).toEqual([{ name: 'results', mountPath: '/results' }]);
    expect(spec.volumes).toEqual([{ name: 'results', persistentVolumeClaim: { claimName: 'shared-results' } }]);
    expect((objects[1] as unknown as { spec: { accessModes: string[] }; metadata: { name: string } }).spec.accessModes).toEqual(['ReadWriteMany']);
    expect((objects[1] as unknown as { metadata: { name: string } }).metadata.name).toBe('shared-results');
  });

  it('its pod script names the results directory by node and GPU model and runs the work there (stand-in commands)', () => {
    const bin = join(scratch, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA H200 NVL"\n');
    writeFileSync(join(bin, 'gpushare-micro'), '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo\n');
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    chmodSync(join(bin, 'gpushare-micro'), 0o755);
    const env = { PATH: `${bin}:/usr/bin:/bin`, NODE_NAME: 'gpu-node-7', JOB_COMPLETION_INDEX: '2' };
    const sweep = spawnSync('/bin/sh', ['-c', fleetScript({ kind: 'sweep', args: ['--procs', '2,4', '--modes', 'timeslice,mps'] })], { env, encoding: 'utf8' });
    expect(sweep.status).toBe(0);
    expect(sweep.stdout).toContain('fleet pod 2 on gpu-node-7: results in /results/node-gpu-node-7-NVIDIA-H200-NVL');
    expect(sweep.stdout).toContain('[sweep][--procs][2,4][--modes][timeslice,mps][--quiet][--out][/results/node-gpu-node-7-NVIDIA-H200-NVL]');
    const scenario = spawnSync('/bin/sh', ['-c', fleetScript({ kind: 'scenario', name: 'train+infer' })], { env, encoding: 'utf8' });
    expect(scenario.stdout).toContain('[scenario][run][train+infer][--quiet][--out][/results/node-gpu-node-7-NVIDIA-H200-NVL]');
    // Without nvidia-smi the directory still names the node.
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\nexit 9\n');
    const blind = spawnSync('/bin/sh', ['-c', fleetScript({ kind: 'scenario', name: 'mix4' })], { env, encoding: 'utf8' });
    expect(blind.stdout).toContain('/results/node-gpu-node-7-unknown-gpu]');
  });
});

describe('gpushare-micro k8s render (CLI)', () => {
  it('writes one YAML file per object kind, each valid', () => {
    const out = join(scratch, 'manifests');
    const r = cliRun(
      'k8s',
      'render',
      '--sharing',
      'mps',
      '--replicas',
      '4',
      '--roles',
      'train,infer,notebook',
      '--fleet',
      '--nodes',
      '2',
      '--sweep',
      '--procs 2 --duration 2s',
      '-o',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'configmap.yaml',
      'deployment.yaml',
      'device-plugin-config.yaml',
      'job.yaml',
      'persistentvolumeclaim.yaml',
      'pod.yaml',
      'service.yaml',
    ]);
    for (const file of files.filter((f) => f !== 'device-plugin-config.yaml')) {
      const docs = parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((d) => d.toJS() as Manifest);
      for (const o of docs) {
        expect(`${o.kind.toLowerCase()}.yaml`).toBe(file);
        expect(() => validate(o)).not.toThrow();
      }
    }
    expect(devicePluginConfigSchema.parse(parse(readFileSync(join(out, 'device-plugin-config.yaml'), 'utf8'))).sharing?.mps?.resources[0]?.replicas).toBe(4);
  });

  it('prints a multi-document YAML on stdout', () => {
    const r = cliRun('k8s', 'render', '--sharing', 'timeslice', '--replicas', '4', '--roles', 'infer', '--image', 'registry.example.com/gsm:0.1.0');
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest & { spec?: { template?: { spec: PodSpec } } });
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Deployment', 'Service']);
    for (const d of docs) expect(() => validate(d)).not.toThrow();
    expect((docs[1]!.spec!.template!.spec.containers[0] as unknown as { image: string }).image).toBe('registry.example.com/gsm:0.1.0');
  });

  it.each([
    [['--sharing', 'vgpu'], '--sharing'],
    [['--sharing', 'timeslice'], '--replicas'],
    [['--sharing', 'timeslice', '--replicas', '1'], '--replicas'],
    [['--sharing', 'mps', '--replicas', '64'], '--replicas'],
    [['--sharing', 'none', '--replicas', '2'], '--replicas'],
    [['--sharing', 'mig', '--mig-strategy', 'single', '--mig-profile', '1g.18gb'], '--mig-profile'],
    [['--sharing', 'mig', '--mig-strategy', 'mixed', '--mig-profile', '9g.1tb'], '--mig-profile'],
    [['--mig-strategy', 'mixed'], '--mig-strategy'],
    [['--roles', 'train,serve'], '--roles'],
    [['--nodes', '3'], '--nodes'],
    [['--fleet'], '--nodes'],
    [['--fleet', '--nodes', '0'], '--nodes'],
    [['--fleet', '--nodes', '2', '--scenario', 'no-such'], '--scenario'],
    [['--fleet', '--nodes', '2', '--sweep', '--out elsewhere'], '--sweep'],
    [['--fleet', '--nodes', '2', '--sweep', '--procs 0'], '--procs'],
    [['--fleet', '--nodes', '2', '--sweep', '--frobnicate'], '--sweep'],
    [['--fleet', '--nodes', '2', '--pvc', 'Results_PVC'], '--pvc'],
    [['--fleet', '--nodes', '2', '--gpu-product', 'NVIDIA H200'], '--gpu-product'],
    [['--namespace', 'GPU_share'], '--namespace'],
    [['--image', 'gpushare micro'], '--image'],
  ])('%j: exit code 2, one line naming %s, nothing written', (args, names) => {
    const out = join(scratch, `never-${names.replace(/-/g, '')}-${args.length}`);
    const r = cliRun('k8s', 'render', ...args, '-o', out);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^gpushare-micro: /);
    expect(r.stderr).toContain(names);
    expect(existsSync(out)).toBe(false);
  });
});

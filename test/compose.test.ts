// The Compose files under deploy/compose/: valid against the Compose specification's JSON schema
// (test/fixtures/compose-spec.json, vendored unchanged: test/fixtures/compose-spec.md), and right where it
// matters for GPU sharing: the GPU reserved, MPS daemon and clients sharing the pipe directory and IPC, a
// non-root user, and commands the CLI accepts. Needs `npm run build:ts` (npm test does it).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const composeDir = `${root}deploy/compose/`;
const cli = `${root}dist/cli/main.js`;

interface Device {
  driver?: string;
  capabilities?: string[];
  device_ids?: string[];
  count?: number | string;
}
interface Service {
  image?: string;
  user?: string;
  entrypoint?: string[];
  command?: string[];
  ipc?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  deploy?: { replicas?: number | string; resources?: { reservations?: { devices?: Device[] } } };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function load(name: string): ComposeFile {
  return parse(readFileSync(`${composeDir}${name}`, 'utf8')) as ComposeFile;
}

function service(file: ComposeFile, name: string): Service {
  const found = file.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

/** The NVIDIA GPU reservation of a service, if it has one. */
function nvidiaGpu(s: Service): Device | undefined {
  return s.deploy?.resources?.reservations?.devices?.find((d) => d.driver === 'nvidia' && d.capabilities?.includes('gpu'));
}

/** The volume (named, or a host path) mounted at `target` in a short-syntax volume list. */
function volumeAt(s: Service, target: string): string | undefined {
  return s.volumes?.map((v) => v.split(':')).find((parts) => parts[1] === target)?.[0];
}

function nonRoot(user: string | undefined): boolean {
  return user !== undefined && !/^(root|0)(:|$)/.test(user);
}

// draft-07, as the schema declares. It names its meta-schema https://json-schema.org/draft-07/schema, not the
// http://…# id that Ajv registers, so the schema itself is not checked against a meta-schema (validateSchema);
// strict mode is off because the schema uses keywords Ajv does not know (deprecated).
const schema = JSON.parse(readFileSync(new URL('fixtures/compose-spec.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ strict: false, validateSchema: false, allErrors: true }).compile(schema);
const files = readdirSync(composeDir).filter((f) => f.endsWith('.yaml'));

describe('Compose files', () => {
  it('are the three documented ones', () => {
    expect(files.sort()).toEqual(['mps.yaml', 'timeslice.yaml', 'train-infer.yaml']);
  });

  it.each(files)('%s is valid against the Compose specification', (name) => {
    const ok = validate(load(name));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check rejects what the specification rejects', () => {
    const broken = load('timeslice.yaml');
    (service(broken, 'client') as Record<string, unknown>).ipc = 7;
    expect(validate(broken)).toBe(false);
    const misspelt = load('mps.yaml');
    (service(misspelt, 'client') as Record<string, unknown>).depend_on = ['mps-daemon'];
    expect(validate(misspelt)).toBe(false);
  });

  it.each(files)('%s: every service reserves an NVIDIA GPU and runs the image as a non-root user (the MPS daemon aside)', (name) => {
    for (const [serviceName, s] of Object.entries(load(name).services)) {
      expect(nvidiaGpu(s), serviceName).toBeDefined();
      expect(s.image, serviceName).toMatch(/gpushare-micro/);
      if (serviceName !== 'mps-daemon') expect(nonRoot(s.user), `${serviceName} user ${s.user}`).toBe(true);
    }
  });

  it('timeslice.yaml runs N replicas of one client on the same GPU', () => {
    const client = service(load('timeslice.yaml'), 'client');
    // N comes from the environment (Compose interpolation), 4 by default.
    expect(client.deploy?.replicas).toMatch(/^\$\{CLIENTS:-[1-9][0-9]*\}$/);
    expect(nvidiaGpu(client)?.device_ids).toEqual(['0']);
    expect(client.command?.[0]).toBe('run');
  });

  it('mps.yaml: a control daemon and clients sharing the pipe directory, the host IPC namespace and the GPU', () => {
    const file = load('mps.yaml');
    const daemon = service(file, 'mps-daemon');
    const client = service(file, 'client');
    expect(daemon.entrypoint).toEqual(['nvidia-cuda-mps-control', '-f']);
    const pipe = daemon.environment?.CUDA_MPS_PIPE_DIRECTORY;
    expect(pipe).toBe('/tmp/nvidia-mps');
    expect(daemon.environment?.CUDA_MPS_LOG_DIRECTORY).toBeDefined();
    expect(volumeAt(daemon, daemon.environment?.CUDA_MPS_LOG_DIRECTORY ?? '')).toBeDefined();
    for (const s of [daemon, client]) {
      expect(s.ipc).toBe('host');
      expect(s.environment?.CUDA_MPS_PIPE_DIRECTORY).toBe(pipe);
      expect(nvidiaGpu(s)?.device_ids).toEqual(['0']);
    }
    const volume = volumeAt(daemon, pipe!);
    expect(volume).toBe('mps-pipe');
    expect(volumeAt(client, pipe!)).toBe(volume);
    expect(Object.keys(file.volumes ?? {})).toContain(volume);
    // The clients attach to this daemon (--mps-pipe) instead of starting their own, once it answers.
    const command = client.command ?? [];
    expect(command.slice(0, 3)).toEqual(['run', '--mode', 'mps']);
    expect(command[command.indexOf('--mps-pipe') + 1]).toBe(pipe);
    expect(client.depends_on?.['mps-daemon']?.condition).toBe('service_healthy');
    expect(daemon.healthcheck?.test?.join(' ')).toContain('nvidia-cuda-mps-control');
  });

  it('train-infer.yaml runs the train+infer scenario and keeps its results in a volume', () => {
    const file = load('train-infer.yaml');
    const s = service(file, 'scenario');
    expect(s.command?.slice(0, 3)).toEqual(['scenario', 'run', 'train+infer']);
    expect(readdirSync(`${root}scenarios`)).toContain('train+infer.yaml');
    const out = s.command?.[s.command.indexOf('--out') + 1] ?? '';
    expect(out.startsWith('/data/')).toBe(true);
    expect(volumeAt(s, '/data')).toBe('results');
  });

  // The options of every command are ones its subcommand lists in --help.
  it.each(files)('%s: the CLI knows every option its services pass', (name) => {
    for (const s of Object.values(load(name).services)) {
      if (s.entrypoint) continue; // the MPS daemon runs NVIDIA's binary, not the CLI
      const command = s.command ?? [];
      const sub = command[0] === 'scenario' ? ['scenario', 'run'] : [command[0] ?? ''];
      const help = spawnSync(process.execPath, [cli, ...sub, '--help'], { encoding: 'utf8' });
      expect(help.status).toBe(0);
      for (const option of command.filter((a) => a.startsWith('--'))) expect(help.stdout, `${name}: ${option}`).toContain(`${option} `);
    }
  });
});

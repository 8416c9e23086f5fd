// The MIG sharing mode against recorded nvidia-smi outputs, through the real nvidia-smi runner with
// the recording stand-in on PATH: why it cannot run (MIG disabled on the H200, no MIG devices, a
// GPU without MIG), and, with MIG devices, one client per device with CUDA_VISIBLE_DEVICES=MIG-<uuid>.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import type { Environment } from '../src/environment.js';
import { ModeUnavailableError, OptionError } from '../src/errors.js';
import { applyPlan } from '../src/mig/apply.js';
import { NVIDIA_SMI_DIRS, nvidiaSmi, type SmiOutput } from '../src/mig/nvidia-smi.js';
import { planLayout } from '../src/mig/plan.js';
import { recordedTableForModel } from '../src/mig/profiles.js';
import { migMode } from '../src/modes/mig.js';
import type { ModeContext } from '../src/modes/mode.js';
import { gemmWorkload, loopConfig } from './fixtures/loops.js';
import { emptyDir, removeSmiDirs, standIn } from './fixtures/smi.js';
import { standInRunBinding } from './fixtures/stand-in-run-binding.js';

afterAll(removeSmiDirs);

const H200_UUID = 'GPU-286895ec-7af6-a9c9-3fd8-63a4fd804f74';
const A100_UUID = 'GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16';

function environment(gpu: { name: string; uuid: string; migEnabled?: boolean }): Environment {
  return {
    tool: { name: 'gpushare-micro', version: '0.0.0-test' },
    node: process.version,
    platform: 'linux-x64',
    hostname: 'test',
    addon: { version: '0.0.0', napiVersion: 8, cudaRuntimeVersion: 13000, cudaArchitectures: '90-real', intervalBytes: 16 },
    cudaDriverVersion: 13000,
    cudaRuntimeVersion: 13000,
    gpu: {
      index: 0,
      pciBusId: '00000000:00:06.0',
      computeCapability: '9.0',
      smCount: 132,
      memoryBytes: 141 * 2 ** 30,
      l2Bytes: 60 * 2 ** 20,
      sharedMemoryPerSmBytes: 228 * 1024,
      computeMode: 'default',
      ...gpu,
    },
    clocksStart: { at: new Date().toISOString() },
    nvml: { available: false, reason: 'test' },
  };
}

function context(gpu: { name: string; uuid: string; migEnabled?: boolean }, procs = 2): ModeContext {
  const env = environment(gpu);
  return { config: resolveRunConfig({ procs, size: 256, duration: '200ms' }), environment: env, binding: standInRunBinding(env) };
}

function modeOn(folders: string[]) {
  const s = standIn();
  return migMode(nvidiaSmi({ env: s.env(folders) }));
}

const h200 = { name: 'NVIDIA H200', uuid: H200_UUID };
const a100 = { name: 'NVIDIA A100-SXM4-80GB', uuid: A100_UUID };
const smiInstalled = NVIDIA_SMI_DIRS.some((d) => existsSync(join(d, 'nvidia-smi')));

describe('--mode mig: when it cannot run', () => {
  it('on the recorded H200 with MIG disabled: says so, that enabling changes the machine for everyone, and where the plan is', async () => {
    const mode = modeOn(['h200-580']);
    const a = await mode.availability(context(h200));
    expect(a.available).toBe(false);
    if (a.available) return;
    expect(a.reason).toContain('MIG is disabled on GPU 0 (NVIDIA H200)');
    expect(a.reason).toContain('every user of this machine');
    expect(a.reason).toContain('`gpushare-micro mig plan 3g.71gb,3g.71gb --gpu 0`');
    expect(a.reason).not.toContain('\n');
    await expect(mode.setup(context(h200))).rejects.toThrow(ModeUnavailableError);
    await expect(mode.setup(context(h200))).rejects.toThrow(/^--mode mig cannot run here: MIG is disabled on GPU 0 \(NVIDIA H200\)/);
    // Whether the mode can run is not an option error: validate leaves it to availability and setup.
    await expect(mode.validate(context(h200, 4))).resolves.toBeUndefined();
  });

  it('says when enabling is pending a GPU reset', async () => {
    const a = await modeOn(['composed/h200-pending', 'h200-580']).availability(context(h200));
    expect(a).toMatchObject({ available: false, reason: expect.stringContaining('enabling is pending: it takes effect after a GPU reset') });
  });

  it('with MIG enabled but no MIG devices: says to create instances', async () => {
    const a = await modeOn(['composed/h200-enabled', 'h200-580']).availability(context(h200));
    expect(a).toEqual({
      available: false,
      reason:
        'MIG is enabled on GPU 0 (NVIDIA H200) but it has no MIG devices: create GPU instances with their compute instances first ' +
        '(`gpushare-micro mig plan 3g.71gb,3g.71gb --gpu 0` prints the commands)',
    });
  });

  it('on a GPU without MIG', async () => {
    const a = await modeOn(['composed/no-mig']).availability(context({ name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-0f9b6c2e-1a3d-4c5e-8f70-9a1b2c3d4e5f' }));
    expect(a).toEqual({ available: false, reason: 'GPU 0 (NVIDIA GeForce RTX 4090) does not support MIG' });
  });

  it.skipIf(smiInstalled)("without nvidia-smi: from NVML's MIG mode, else from the GPU's name", async () => {
    const mode = migMode(nvidiaSmi({ env: { PATH: emptyDir() } }));
    const disabled = await mode.availability(context({ ...h200, migEnabled: false }));
    expect(disabled).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^MIG is disabled on GPU 0 \(NVIDIA H200\) \(and nvidia-smi was not found/),
    });
    const enabled = await mode.availability(context({ ...h200, migEnabled: true }));
    expect(enabled).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^MIG is enabled on GPU 0 \(NVIDIA H200\) but its MIG devices cannot be listed: nvidia-smi was not found/),
    });
    expect(await mode.availability(context({ name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-1' }))).toEqual({
      available: false,
      reason: 'GPU 0 (NVIDIA GeForce RTX 4090) does not support MIG',
    });
  });
});

describe('--mode mig: with MIG devices (a recorded A100 80GB with 7 × 1g.10gb)', () => {
  const folders = ['composed/a100-80gb-enabled', 'a100-80gb-7x1g'];

  it('is available, and --procs may not exceed the MIG devices', async () => {
    const mode = modeOn(folders);
    expect(await mode.availability(context(a100))).toEqual({ available: true });
    await expect(mode.validate(context(a100, 7))).resolves.toBeUndefined();
    const tooMany = mode.validate(context(a100, 8));
    await expect(tooMany).rejects.toThrow(OptionError);
    await expect(tooMany).rejects.toThrow(
      'invalid --procs: expected at most 7 with --mode mig: one client per MIG device, and GPU 0 (NVIDIA A100-SXM4-80GB) has 7 (1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb), got 8',
    );
  });

  it('gives client i MIG device i as its only CUDA device, and runs solo on the first', async () => {
    const mode = modeOn(folders);
    const session = await mode.setup(context(a100, 3));
    const loop = (client: number) => loopConfig(gemmWorkload(256, client + 1), { device: 5 });
    const { workers, facts } = session.layout(3, loop);
    expect(facts).toEqual({});
    expect(workers.map((w) => w.env)).toEqual([
      { CUDA_VISIBLE_DEVICES: 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e' },
      { CUDA_VISIBLE_DEVICES: 'MIG-a25704ba-3a06-5299-a795-fd7cf4d13973' },
      { CUDA_VISIBLE_DEVICES: 'MIG-50f1c4c9-1508-5e8d-bb06-d08145b22e01' },
    ]);
    expect(workers.map((w) => w.clients.map((c) => [c.client, c.config.device, c.config.workload.seed]))).toEqual([[[0, 0, 1]], [[1, 0, 2]], [[2, 0, 3]]]);
    const solo = await mode.solo(context(a100, 3), loop(0));
    expect(solo.env).toEqual({ CUDA_VISIBLE_DEVICES: 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e' });
    expect(solo.clients[0]!.config.device).toBe(0);
    expect(() => session.layout(8, loop)).toThrow(OptionError);
    expect(session.facts).toEqual({
      gpu: { index: 0, name: 'NVIDIA A100-SXM4-80GB', uuid: A100_UUID },
      migDevices: [
        { client: 0, device: 0, profile: '1g.10gb', uuid: 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e' },
        { client: 1, device: 1, profile: '1g.10gb', uuid: 'MIG-a25704ba-3a06-5299-a795-fd7cf4d13973' },
        { client: 2, device: 2, profile: '1g.10gb', uuid: 'MIG-50f1c4c9-1508-5e8d-bb06-d08145b22e01' },
      ],
      solo: { device: 0, profile: '1g.10gb', uuid: 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e' },
    });
    expect(await session.teardown()).toEqual({});
    expect(await session.teardown()).toEqual({});
  });

  it('finds the GPU when CUDA reports one of its MIG devices (CUDA_VISIBLE_DEVICES=MIG-... in the parent)', async () => {
    const onMig = { name: 'NVIDIA A100-SXM4-80GB MIG 1g.10gb', uuid: 'GPU-a25704ba-3a06-5299-a795-fd7cf4d13973' };
    expect(await modeOn(folders).availability(context(onMig))).toEqual({ available: true });
  });
});

describe('applyPlan (never run against a real nvidia-smi in tests)', () => {
  const plan = planLayout(recordedTableForModel('H200-141GB')!, ['3g.71gb', '3g.71gb'], { gpu: 0 });
  if (!plan.ok) throw new Error(plan.error);

  /** A runner that runs nothing: it records argv and answers from a script of outputs. */
  function recorder(answer: (args: string[]) => Partial<SmiOutput>) {
    const calls: string[][] = [];
    const run = async (args: string[]): Promise<SmiOutput> => {
      calls.push(args);
      return { args, code: 0, stdout: '', stderr: '', ...answer(args) };
    };
    return { calls, run };
  }

  it("runs the plan's commands in order, checking that MIG came on before creating instances", async () => {
    const r = recorder((args) => (args[0]?.startsWith('--query-gpu') ? { stdout: `0, NVIDIA H200, ${H200_UUID}, Enabled, Enabled\n` } : {}));
    const log: string[] = [];
    expect(await applyPlan(plan.plan, r.run, (l) => log.push(l))).toEqual({ ok: true });
    expect(r.calls.map((c) => c.join(' '))).toEqual([
      '-i 0 -mig 1',
      '--query-gpu=index,name,uuid,mig.mode.current,mig.mode.pending --format=csv,noheader',
      'mig -i 0 -cgi 9:0,9:4 -C',
    ]);
    expect(log.filter((l) => l.startsWith('$ '))).toEqual(['$ nvidia-smi -i 0 -mig 1', '$ nvidia-smi mig -i 0 -cgi 9:0,9:4 -C']);
  });

  it('stops when enabling MIG stays pending (GPU not reset), before creating instances', async () => {
    const r = recorder((args) => (args[0]?.startsWith('--query-gpu') ? { stdout: `0, NVIDIA H200, ${H200_UUID}, Disabled, Enabled\n` } : {}));
    const out = await applyPlan(plan.plan, r.run, () => {});
    expect(out).toEqual({
      ok: false,
      error: expect.stringMatching(/^MIG is not enabled on GPU 0 yet \(now disabled, pending enabled\): it takes effect after a GPU reset/),
    });
    expect(r.calls.some((c) => c.includes('-cgi'))).toBe(false);
  });

  it('stops at the first command that fails', async () => {
    const r = recorder((args) =>
      args.includes('-mig') ? { code: 6, stderr: 'Unable to enable MIG Mode for GPU 00000000:00:06.0: Insufficient Permissions\n' } : {},
    );
    const out = await applyPlan(plan.plan, r.run, () => {});
    expect(out).toEqual({
      ok: false,
      error:
        'nvidia-smi -i 0 -mig 1 exited with code 6: Unable to enable MIG Mode for GPU 00000000:00:06.0: Insufficient Permissions; the commands after it were not run',
    });
    expect(r.calls).toHaveLength(1);
  });
});

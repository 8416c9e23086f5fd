// A library user's process survives its JavaScript environment going away while addon calls it made
// are still pending: a worker thread terminated, or calling process.exit(), and the main thread
// calling process.exit(). Before core/async.h guarded the completions, the first aborted the whole
// process (terminate called after throwing an instance of 'Napi::Error', exit code 134). Each
// scenario runs in a child process, a few times over (the timing differs from run to run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addonCandidates } from '../src/binding/loader.js';

const addon = addonCandidates().find((file) => existsSync(file));

// Starts a burst of calls of every asynchronous kind; none is awaited.
const pendingCalls = `
const b = require(${JSON.stringify(addon)});
const spec = { kernel: 'gemm', impl: 'own', dtype: 'bf16', shape: [4, 4, 4], seed: 1 };
const loopConfig = { workload: spec, device: 0, streamPriority: 0, greenContext: -1, durationNs: 0, launches: 3, depth: 1, traceCapacity: 0, warmupNs: 0 };
const ignore = () => {};
for (let i = 0; i < 20; i++) {
  b.cudaDevices().catch(ignore);
  b.nvmlSnapshot().catch(ignore);
  b.smPartitioning(0).catch(ignore);
  b.workloadCheck(spec, 0).catch(ignore);
  b.cuptiActivityStart({ device: 0, maxRecords: 10 }).catch(ignore);
  new b.TimedLoop(loopConfig).prepare().catch(ignore);
  new b.PmSampler({ device: 0, intervalNs: 1e5, hardwareBufferBytes: 2 ** 24, maxSamplesPerImage: 100 }).start().catch(ignore);
}
`;

function inWorker(ending: string): string {
  return `
const { Worker } = require('node:worker_threads');
const worker = new Worker(${JSON.stringify(`${pendingCalls}\n${ending}`)}, { eval: true });
worker.on('message', () => worker.terminate());
worker.on('error', (e) => console.log('worker error', e.message));
worker.on('exit', (code) => setTimeout(() => console.log('alive after the worker exited with', code), 20));
`;
}

function run(script: string) {
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { status: out.status, signal: out.signal, stdout: out.stdout, stderr: out.stderr };
}

describe.skipIf(!addon)('the process outlives an environment torn down with addon calls pending', () => {
  for (let attempt = 1; attempt <= 3; attempt++) {
    it(`a worker terminated by its parent (run ${attempt})`, () => {
      const r = run(inWorker("require('node:worker_threads').parentPort.postMessage('go');"));
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(r.stdout).toMatch(/alive after the worker exited with 1/);
    });

    it(`a worker calling process.exit(5) (run ${attempt})`, () => {
      const r = run(inWorker('process.exit(5);'));
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(r.stdout).toMatch(/alive after the worker exited with 5/);
    });

    it(`the main thread calling process.exit(42) (run ${attempt})`, () => {
      const r = run(`${pendingCalls}\nsetImmediate(() => process.exit(42));`);
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 42, signal: null, stderr: '' });
    });
  }
});

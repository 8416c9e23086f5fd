#!/usr/bin/env node
// Times the project's conv, attention, copy and triad kernels beside their library counterparts
// (cuDNN, cuBLAS, cudaMemcpy) on the presets, in one process, through the native timed loop: each
// (preset, impl) is prepared (fresh random inputs, warm-up), then launched back to back (2 in
// flight) for --duration-ms; the time of a launch is the median of its CUDA-event times. With
// --variants it also times every tile variant of the own conv and attention kernels on
// VARIANT_PRESETS (how the defaults were chosen). The trace's cost is measured by `gpushare-micro
// bench` (traced and plain launches interleaved).
//   node scripts/kernel-bench.mjs [--presets a,b] [--duration-ms 250] [--variants] [--json out.json]
//                                 [--matrix-tflops 788]
// Needs the built addon and dist/ (npm run build:ts). Prints a table; --json writes every number.
import { writeFileSync } from 'node:fs';
import { loadBinding } from '../dist/binding/loader.js';
import { KERNEL_PRESETS, TARGET_PRESETS } from '../dist/kernels/presets.js';
import { KERNEL_DTYPES, KERNEL_IMPLS } from '../dist/kernels/shapes.js';

const DEFAULT_PRESETS = [
  'resnet50-conv1', 'resnet50-l1-3x3', 'resnet50-l2-3x3', 'resnet50-l3-3x3', 'resnet50-l4-3x3', 'resnet50-l3-reduce',
  'bert-base', 'llm-4k', 'llm-4k-causal', 'copy-1gib', 'triad-1gib',
];

// Presets whose own-kernel tile variants --variants times (the targets and the layers they miss on).
const VARIANT_PRESETS = ['resnet50-l1-3x3', 'resnet50-l3-3x3', 'resnet50-l4-3x3', 'llm-4k', 'bert-base'];

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const presetNames = option('presets', DEFAULT_PRESETS.join(',')).split(',');
const durationMs = Number(option('duration-ms', '250'));
const jsonPath = option('json', undefined);
const sweepVariants = process.argv.includes('--variants');
const matrixTflops = Number(option('matrix-tflops', '0'));

const binding = loadBinding();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function loopConfig(spec, overrides) {
  return { workload: spec, device: 0, streamPriority: 0, greenContext: -1, durationNs: 0, launches: 0, depth: 2,
           traceCapacity: 0, warmupNs: 50e6, ...overrides };
}

async function withEnv(env, fn) {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

// One timed run: median CUDA-event time of the launches in durationMs.
async function time(spec, env = {}) {
  return withEnv(env, async () => {
    const loop = new binding.TimedLoop(loopConfig(spec, { durationNs: durationMs * 1e6 }));
    try {
      const info = await loop.prepare();
      const r = await loop.run(process.hrtime.bigint());
      const ns = median(Array.from(r.gpuNs));
      return { ns, launches: r.gpuNs.length, ctas: info.ctasPerLaunch, flops: info.flopsPerLaunch, bytes: info.bytesPerLaunch };
    } finally {
      loop.release();
    }
  });
}

const results = [];
const variants = [];
for (const name of presetNames) {
  const preset = KERNEL_PRESETS.find((p) => p.name === name);
  if (!preset) {
    console.error(`unknown preset ${name}`);
    process.exit(2);
  }
  for (const impl of KERNEL_IMPLS[preset.kernel]) {
    const spec = { kernel: preset.kernel, impl, dtype: KERNEL_DTYPES[preset.kernel], shape: [...preset.shape], seed: 1234 };
    const row = { preset: name, kernel: preset.kernel, impl, shape: preset.shape };
    try {
      const t = await withEnv({ GSM_VERBOSE: '1' }, () => time(spec));
      Object.assign(row, t, { ms: t.ns / 1e6, tflops: t.flops / t.ns / 1e3, gbs: t.bytes / t.ns });
      console.error(`${name} ${impl}: ${(t.ns / 1e6).toFixed(4)} ms over ${t.launches} launches`);
    } catch (error) {
      row.error = `${error.code ?? ''} ${error.message}`.trim();
      console.error(`${name} ${impl}: FAILED ${row.error}`);
    }
    results.push(row);
  }
  if (sweepVariants && VARIANT_PRESETS.includes(name)) {
    const count = preset.kernel === 'conv' ? 9 : 7; // conv 5..8, attention 4..6: the wgmma kernels (sm_90a; elsewhere the default)
    for (let v = 0; v < count; v++) {
      const spec = { kernel: preset.kernel, impl: 'own', dtype: 'bf16', shape: [...preset.shape], seed: 1234, variant: v };
      try {
        const t = await time(spec);
        variants.push({ preset: name, variant: v, ms: t.ns / 1e6, tflops: t.flops / t.ns / 1e3 });
      } catch (error) {
        variants.push({ preset: name, variant: v, error: error.message });
      }
    }
  }
}

// Ratios against the library of each family, and floors from the measured ceilings.
const bandwidth = results.find((r) => r.preset === 'copy-1gib' && r.impl === 'cudart')?.gbs; // GB/s, read + write
for (const r of results) {
  if (!r.ns) continue;
  const library = TARGET_PRESETS.find((t) => t.preset === r.preset)?.library ?? KERNEL_IMPLS[r.kernel][1];
  const lib = results.find((x) => x.preset === r.preset && x.impl === library && x.ns);
  if (r.impl === 'own' && lib) r.vsLibrary = { library, ratio: lib.ns / r.ns };
  if (r.impl === 'own' && r.kernel === 'attention') {
    const best = results.filter((x) => x.preset === r.preset && x.impl !== 'own' && x.ns).sort((x, y) => x.ns - y.ns)[0];
    if (best) r.vsStrongestLibrary = { library: best.impl, ratio: best.ns / r.ns };
  }
  const floors = {};
  if (matrixTflops > 0 && r.flops > 0) floors.computeMs = r.flops / (matrixTflops * 1e12) * 1e3;
  if (bandwidth && r.bytes > 0) floors.memoryMs = r.bytes / (bandwidth * 1e9) * 1e3;
  const floor = Math.max(floors.computeMs ?? 0, floors.memoryMs ?? 0);
  if (floor > 0) r.floors = { ...floors, bound: (floors.computeMs ?? 0) >= (floors.memoryMs ?? 0) ? 'compute' : 'memory', timeOverFloor: r.ms / floor };
}

const pad = (s, n) => String(s).padEnd(n);
const lines = [];
lines.push(`${pad('preset', 26)}${pad('impl', 8)}${pad('ms', 11)}${pad('TFLOP/s', 9)}${pad('GB/s', 9)}${pad('own/lib', 16)}${pad('x floor', 8)}`);
for (const r of results) {
  if (r.error) {
    lines.push(`${pad(r.preset, 26)}${pad(r.impl, 8)}FAILED: ${r.error.slice(0, 160)}`);
    continue;
  }
  const ratio = r.vsLibrary ? `${(r.vsLibrary.ratio * 100).toFixed(1)}% ${r.vsLibrary.library}` : '';
  lines.push(`${pad(r.preset, 26)}${pad(r.impl, 8)}${pad(r.ms.toFixed(4), 11)}${pad(r.tflops.toFixed(1), 9)}${pad(r.gbs.toFixed(0), 9)}` +
             `${pad(ratio, 16)}${pad(r.floors ? r.floors.timeOverFloor.toFixed(2) : '', 8)}`);
}
if (variants.length > 0) {
  lines.push('');
  lines.push('variants of the own kernels:');
  for (const v of variants) lines.push(v.error ? `  ${v.preset} v${v.variant}: FAILED ${v.error}` : `  ${pad(v.preset, 24)} v${v.variant} ${v.ms.toFixed(4)} ms ${v.tflops.toFixed(1)} TFLOP/s`);
}
console.log(lines.join('\n'));
if (jsonPath) {
  writeFileSync(jsonPath, JSON.stringify({ date: new Date().toISOString(), durationMs, matrixTflops, bandwidthGBs: bandwidth,
                                           command: process.argv.slice(1).join(' '), results, variants }, null, 2));
}

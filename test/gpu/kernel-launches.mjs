#!/usr/bin/env node
// Launches each of the project's conv, attention, copy and triad kernels once on small, ragged
// shapes (every code path: conv's vector and element-wise paths and all tile variants, attention's
// head dims, key blocks and causal mask (variants 4 to 6, the wgmma kernel, fall back to variant 0
// without sm_90a code), copy's and triad's vector tails). test/gpu/sanitizer.test.ts runs it under
// compute-sanitizer; scripts/gpu/run.sh runs it alone first (part `smoke`), under a hard time limit,
// so that a kernel that hangs is found before the tests wait on it:
//   compute-sanitizer --tool memcheck --error-exitcode 3 node test/gpu/kernel-launches.mjs
// With --models it also runs one step of each model workload at a small size (impl own: the own nn
// kernels and gemm layouts the models use, and cuDNN's conv backward); the smoke part passes it, the
// sanitizer runs leave it out (scripts/gpu/run.sh model-sanitize checks the models at tiny sizes).
// Exits 1 if a launch fails or leaves a NaN in its output. Needs the built addon and dist/.
import { loadBinding } from '../../dist/binding/loader.js';

const binding = loadBinding();
const cases = [];
const add = (kernel, shape, variant) => cases.push({ kernel, shape, variant });
// Variants 5..8 are the Hopper wgmma tiles (the default mma.sync tile elsewhere).
for (let variant = 0; variant < 9; variant++) add('conv', [2, 24, 9, 7, 72, 3, 3, 2, 1], variant);
add('conv', [2, 8, 97, 95, 13, 3, 3, 1, 1], 7); // wgmma 128x128: 144 tiles, more than SMs
add('conv', [1, 3, 11, 11, 8, 7, 7, 2, 3]); // element-wise path
add('conv', [1, 16, 6, 6, 5, 1, 1, 1, 0]); // odd k
for (let variant = 0; variant < 7; variant++) {
  for (const headDim of [64, 128]) {
    for (const causal of [0, 1]) add('attention', [1, 2, 150, headDim, causal], variant);
  }
}
add('copy', [4099]);
add('triad', [4099]);
if (process.argv.includes('--models')) {
  add('resnet50-train', [2, 32]);
  add('resnet50-infer', [1, 32]);
  add('bert-base-train', [2, 16]);
  add('bert-base-infer', [1, 16]);
  add('llm-decode', [1, 2, 64]);
}

let failed = 0;
for (const c of cases) {
  const label = `${c.kernel} [${c.shape.join(', ')}]${c.variant === undefined ? '' : ` variant ${c.variant}`}`;
  const spec = { kernel: c.kernel, impl: 'own', dtype: c.kernel === 'copy' || c.kernel === 'triad' ? 'fp32' : 'bf16', shape: c.shape, seed: 11 };
  if (c.variant !== undefined) spec.variant = c.variant;
  try {
    const tensors = await binding.workloadCheck(spec, 0);
    const out = tensors[tensors.length - 1].values;
    const nan = out.findIndex((x) => Number.isNaN(x));
    if (nan >= 0) {
      failed++;
      console.log(`FAIL ${label}: output element ${nan} is NaN`);
    } else {
      console.log(`ok   ${label}`);
    }
  } catch (error) {
    failed++;
    console.log(`FAIL ${label}: ${error.code ? `[${error.code}] ` : ''}${error.message}`);
  }
}
console.log(`${cases.length - failed} of ${cases.length} launches clean`);
process.exit(failed === 0 ? 0 : 1);

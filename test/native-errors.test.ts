// The native errors (native/core/errors.cpp) compiled on the CPU with g++ against the CUDA toolkit's
// headers and static runtime, as test/native/errors_check.cpp drives them: a cuDNN or cuBLASLt failure
// inside a launch reaches the error message (layer, call and the library's status) instead of a bare
// cudaErrorUnknown, and a note never attaches to a later, unrelated error. Skips, saying why, where
// there is no g++ or no CUDA toolkit.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cudaToolkit, hasGxx } from './fixtures/cuda-toolkit.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const toolkit = cudaToolkit();
const why = !hasGxx() ? 'no g++ on PATH' : toolkit === undefined ? 'no CUDA toolkit (nvcc or CUDA_HOME)' : undefined;
if (why) console.log(`native-errors.test.ts: skipped: ${why}`);

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)('launch failures in native errors', () => {
  it('name the layer, the library call and its status, once, and only on cudaErrorUnknown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gsm-errors-'));
    const exe = join(dir, 'errors_check');
    const lib = toolkit!.staticLib;
    expect(lib, `libcudart_static.a under ${toolkit!.root}`).toBeDefined();
    execFileSync('g++', [
      '-std=c++17',
      `-I${join(root, 'native')}`,
      `-I${join(toolkit!.root, 'include')}`,
      join(root, 'test/native/errors_check.cpp'),
      join(root, 'native/core/errors.cpp'),
      `-L${lib}`,
      '-lcudart_static',
      '-ldl',
      '-lpthread',
      '-lrt',
      '-o',
      exe,
    ]);
    const lines = Object.fromEntries(
      execFileSync(exe, { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    expect(lines.noted).toBe(
      'w->launch(stream, nullptr) failed: cudaErrorUnknown (unknown error) at workload_binding.cpp:63; ' +
        'layer1.0.conv1 conv fwd (cuDNN): cudnnConvolutionForward failed: CUDNN_STATUS_EXECUTION_FAILED (5000)',
    );
    expect(lines.taken).toBe('launch failed: cudaErrorUnknown (unknown error) at a.cpp:1');
    expect(lines.other).toMatch(/^cudaMalloc\(&p, n\) failed: cudaErrorMemoryAllocation \([^)]*\) at b\.cpp:2$/);
    expect(lines.after).toBe('launch failed: cudaErrorUnknown (unknown error) at c.cpp:3');
    expect(lines.prefix).toBe('launch failed: cudaErrorUnknown (unknown error) at d.cpp:4; fc gemm fwd (own)');
  });
});

// The native errors (native/core/errors.cpp) compiled on the CPU with g++ against the CUDA toolkit's
// headers and static runtime, as test/native/errors_check.cpp drives them: a cuDNN or cuBLASLt failure
// inside a launch reaches the error message (layer, call and the library's status) instead of a bare
// cudaErrorUnknown, and a note never attaches to a later, unrelated error. Skips, saying why, where
// there is no g++ or no CUDA toolkit.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function cudaRoot(): string | undefined {
  const fromEnv = process.env.CUDA_HOME ?? process.env.CUDA_PATH;
  if (fromEnv && existsSync(join(fromEnv, 'include', 'cuda_runtime_api.h'))) return fromEnv;
  // nvcc on PATH may be a link (/usr/local/bin/nvcc): the toolkit is two levels above what it points to.
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  const nvcc = which.status === 0 ? [realpathSync(which.stdout.trim())] : [];
  return [...nvcc.map((n) => dirname(dirname(n))), '/usr/local/cuda'].find((d) => existsSync(join(d, 'include', 'cuda_runtime_api.h')));
}

const cuda = cudaRoot();
const gxx = spawnSync('g++', ['--version']).status === 0;
const why = !gxx ? 'no g++ on PATH' : cuda === undefined ? 'no CUDA toolkit (nvcc or CUDA_HOME)' : undefined;
if (why) console.log(`native-errors.test.ts: skipped: ${why}`);

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)('launch failures in native errors', () => {
  it('name the layer, the library call and its status, once, and only on cudaErrorUnknown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gsm-errors-'));
    const exe = join(dir, 'errors_check');
    const lib = ['lib64', 'lib', 'targets/x86_64-linux/lib'].map((l) => join(cuda!, l)).find((l) => existsSync(join(l, 'libcudart_static.a')));
    expect(lib, `libcudart_static.a under ${cuda}`).toBeDefined();
    execFileSync('g++', [
      '-std=c++17',
      `-I${join(root, 'native')}`,
      `-I${join(cuda!, 'include')}`,
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

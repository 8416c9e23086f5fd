#!/usr/bin/env node
// Builds the native addon with cmake-js (Node-API headers come from the `binary.napi_versions` field
// of package.json, so nothing is downloaded). Run by `npm install`: where a prebuild for this platform
// exists it is used and nothing is compiled; otherwise the addon is compiled when a CUDA compiler is
// found, and where none is, the install goes on and the loader says what is missing when the addon is
// first needed (scripts/install-plan.mjs decides). `--force` (npm run build:native) always compiles.
//   GPUSHARE_CUDA_ARCHS        CMAKE_CUDA_ARCHITECTURES to build, e.g. "90a-real" (default: 80;86;89;90a + PTX 90)
//   GPUSHARE_SKIP_NATIVE       set to 1 to skip the build entirely
//   GPUSHARE_BUILD_FROM_SOURCE set to 1 (or npm install --build-from-source) to compile despite a prebuild
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { fromSourceRequested, installPlan } from './install-plan.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const force = process.argv.includes('--force');
const log = (msg) => console.error(`gpushare-micro: ${msg}`);

function findNvcc() {
  const dirs = (process.env.PATH ?? '').split(delimiter);
  if (process.env.CUDA_HOME) dirs.push(join(process.env.CUDA_HOME, 'bin'));
  if (process.env.CUDA_PATH) dirs.push(join(process.env.CUDA_PATH, 'bin'));
  dirs.push('/usr/local/cuda/bin');
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'nvcc'))) return join(dir, 'nvcc');
  }
  return undefined;
}

function findPrebuild() {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.node'))
    .sort()[0];
  return file ? join(dir, file) : undefined;
}

const nvcc = findNvcc();
const plan = installPlan({
  force,
  skip: process.env.GPUSHARE_SKIP_NATIVE === '1',
  fromSource: fromSourceRequested(process.env),
  nvcc,
  prebuild: findPrebuild(),
});
if (plan.action !== 'build') {
  log(plan.message);
  process.exit(plan.action === 'fail' ? 1 : 0);
}

// `cmake-js compile` reuses a configured build directory, and with it the CUDA architectures it was
// configured for: when they differ from the ones asked for (GPUSHARE_CUDA_ARCHS, or the default in
// CMakeLists.txt), drop the cache so that cmake configures again.
function staleArchitectures() {
  const cache = join(root, 'build', 'CMakeCache.txt');
  if (!existsSync(cache)) return false;
  const fallback = /set\(CMAKE_CUDA_ARCHITECTURES "([^"]+)"\)/.exec(readFileSync(join(root, 'CMakeLists.txt'), 'utf8'))?.[1];
  // Not in the cache: it was configured with the default (which CMakeLists.txt sets as a plain variable).
  const configured = /^CMAKE_CUDA_ARCHITECTURES:[A-Z]+=(.*)$/m.exec(readFileSync(cache, 'utf8'))?.[1] ?? fallback;
  const wanted = process.env.GPUSHARE_CUDA_ARCHS || fallback;
  return configured !== undefined && wanted !== undefined && configured !== wanted;
}
if (staleArchitectures()) {
  log('the build directory was configured for other CUDA architectures: configuring again');
  rmSync(join(root, 'build', 'CMakeCache.txt'), { force: true });
}

const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const args = [cmakeJs, 'compile', '--parallel', String(Math.max(1, availableParallelism())), `--CDCMAKE_CUDA_COMPILER=${nvcc}`];
if (process.env.GPUSHARE_CUDA_ARCHS) args.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.GPUSHARE_CUDA_ARCHS}`);
const ninja = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'ninja')));
if (ninja) args.push('--generator', 'Ninja');
log(`${plan.message}${process.env.GPUSHARE_CUDA_ARCHS ? ` for ${process.env.GPUSHARE_CUDA_ARCHS}` : ''}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

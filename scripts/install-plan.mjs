// What `npm install` does about the native addon, decided from the facts alone (no side effects), so
// that scripts/build-native.mjs stays a thin shell and the decision is tested (test/install-plan.test.ts).
// As sharp and node-llama-cpp do: a prebuild for this platform is used as it is, and the addon is
// compiled only where there is none, or when asked (npm run build:native, npm install
// --build-from-source, GPUSHARE_BUILD_FROM_SOURCE=1).

/**
 * @param {object} facts
 * @param {boolean} facts.force          `--force` (npm run build:native): always compile
 * @param {boolean} facts.skip           GPUSHARE_SKIP_NATIVE=1
 * @param {boolean} facts.fromSource     npm's --build-from-source or GPUSHARE_BUILD_FROM_SOURCE=1
 * @param {string | undefined} facts.nvcc       the CUDA compiler found, if any
 * @param {string | undefined} facts.prebuild   a prebuilt addon for this platform and architecture, if any
 * @returns {{ action: 'build' | 'prebuild' | 'skip' | 'none' | 'fail', message: string }}
 */
export function installPlan({ force, skip, fromSource, nvcc, prebuild }) {
  if (skip && !force) return { action: 'skip', message: 'GPUSHARE_SKIP_NATIVE=1: not building the native addon' };
  const compile = force || fromSource;
  if (compile) {
    if (nvcc) return { action: 'build', message: `building the native addon with ${nvcc}` };
    return { action: 'fail', message: 'asked to compile the addon, but no CUDA compiler (nvcc) was found on PATH, in $CUDA_HOME/bin or /usr/local/cuda/bin' };
  }
  if (prebuild) {
    return {
      action: 'prebuild',
      message: `using the prebuilt addon ${prebuild} (compile instead: npm run build:native, or npm install --build-from-source)`,
    };
  }
  if (nvcc) return { action: 'build', message: `no prebuild for this platform: building the native addon with ${nvcc}` };
  return {
    action: 'none',
    message:
      'no CUDA compiler found and no prebuild for this platform: the native addon is not built. ' +
      'Install the CUDA toolkit (nvcc) and run `npm run build:native`.',
  };
}

/** True when npm or the environment asks for a build from source. */
export function fromSourceRequested(env) {
  const npmFlag = env.npm_config_build_from_source;
  return env.GPUSHARE_BUILD_FROM_SOURCE === '1' || npmFlag === 'true' || npmFlag === '' || npmFlag === 'gpushare-micro';
}

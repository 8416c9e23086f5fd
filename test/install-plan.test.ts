// What `npm install` does about the native addon (scripts/install-plan.mjs): a prebuild is used as it
// is, compiling happens only without one or when asked, and asking without a compiler fails loudly.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { fromSourceRequested, installPlan } from '../scripts/install-plan.mjs';

const base = { force: false, skip: false, fromSource: false, nvcc: undefined as string | undefined, prebuild: undefined as string | undefined };
const nvcc = '/usr/local/cuda/bin/nvcc';
const prebuild = '/pkg/prebuilds/linux-x64/gpushare-micro.napi.node';

describe('installPlan', () => {
  it('uses a prebuild without compiling, even where nvcc exists', () => {
    const plan = installPlan({ ...base, nvcc, prebuild });
    expect(plan.action).toBe('prebuild');
    expect(plan.message).toContain(prebuild);
    expect(plan.message).toContain('--build-from-source');
  });
  it('compiles where there is no prebuild and nvcc exists', () => {
    expect(installPlan({ ...base, nvcc }).action).toBe('build');
  });
  it('compiles despite a prebuild when asked (--force, --build-from-source)', () => {
    expect(installPlan({ ...base, nvcc, prebuild, force: true }).action).toBe('build');
    expect(installPlan({ ...base, nvcc, prebuild, fromSource: true }).action).toBe('build');
  });
  it('fails when asked to compile without a compiler', () => {
    const plan = installPlan({ ...base, prebuild, fromSource: true });
    expect(plan.action).toBe('fail');
    expect(plan.message).toMatch(/nvcc/);
  });
  it('goes on without an addon where there is neither, saying what to do', () => {
    const plan = installPlan(base);
    expect(plan.action).toBe('none');
    expect(plan.message).toContain('npm run build:native');
  });
  it('skips on GPUSHARE_SKIP_NATIVE=1 unless forced', () => {
    expect(installPlan({ ...base, nvcc, skip: true }).action).toBe('skip');
    expect(installPlan({ ...base, nvcc, skip: true, force: true }).action).toBe('build');
  });
});

describe('fromSourceRequested', () => {
  it('reads npm --build-from-source and GPUSHARE_BUILD_FROM_SOURCE', () => {
    expect(fromSourceRequested({})).toBe(false);
    expect(fromSourceRequested({ npm_config_build_from_source: 'true' })).toBe(true);
    expect(fromSourceRequested({ npm_config_build_from_source: 'false' })).toBe(false);
    expect(fromSourceRequested({ GPUSHARE_BUILD_FROM_SOURCE: '1' })).toBe(true);
  });
});

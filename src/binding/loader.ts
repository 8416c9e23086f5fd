// Finds and loads the native addon: a local build first, then a prebuild for this platform. Fails
// with an error that lists every path tried and what to do. Loading makes no CUDA call.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AddonLoadError } from '../errors.js';
import type { NativeBinding } from './contract.js';

const require = createRequire(import.meta.url);

/** The package root: two levels above this file (dist/binding/ or src/binding/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The candidate files, in the order they are tried. */
export function addonCandidates(root = packageRoot): string[] {
  const candidates: string[] = [];
  if (process.env.GPUSHARE_ADDON && root === packageRoot) candidates.push(resolve(process.env.GPUSHARE_ADDON));
  candidates.push(join(root, 'build', 'Release', 'gpushare_micro.node'));
  candidates.push(join(root, 'build', 'Debug', 'gpushare_micro.node'));
  const prebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (existsSync(prebuilds)) {
    for (const file of readdirSync(prebuilds)
      .filter((f) => f.endsWith('.node'))
      .sort()) {
      candidates.push(join(prebuilds, file));
    }
  } else {
    candidates.push(join(prebuilds, '*.node'));
  }
  return candidates;
}

let cached: NativeBinding | undefined;

export function loadBinding(root = packageRoot): NativeBinding {
  if (cached && root === packageRoot) return cached;
  const tried: string[] = [];
  for (const file of addonCandidates(root)) {
    if (!existsSync(file)) {
      tried.push(`${file} (not found)`);
      continue;
    }
    try {
      const binding = require(file) as NativeBinding;
      if (root === packageRoot) cached = binding;
      return binding;
    } catch (error) {
      tried.push(`${file} (${(error as Error).message.split('\n')[0]})`);
    }
  }
  throw new AddonLoadError(tried);
}

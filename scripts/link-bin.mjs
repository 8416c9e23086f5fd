#!/usr/bin/env node
// When this package is the project being installed (a clone, not a dependency), links its own
// command into node_modules/.bin, so `npx gpushare-micro` runs the local build directly, offline
// too, instead of asking npm to install the package into its npx cache.
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
if (process.env.INIT_CWD && resolve(process.env.INIT_CWD) !== root) process.exit(0);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(pkg.bin ?? {})) {
  const link = join(binDir, name);
  if (existsSync(link) || lstatExists(link)) rmSync(link, { force: true });
  symlinkSync(relative(binDir, join(root, target)), link);
}

function lstatExists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

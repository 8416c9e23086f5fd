#!/usr/bin/env node
// prebuildify drives node-gyp (`node-gyp rebuild --release ...`); this stand-in answers the same
// call by building with cmake-js, which writes build/Release/gpushare_micro.node where prebuildify
// looks for it. Used as: prebuildify --napi --strip --node-gyp scripts/node-gyp-shim.mjs
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [command] = process.argv.slice(2);
if (command !== 'rebuild' && command !== 'build') {
  console.error(`node-gyp-shim: only "rebuild" and "build" are supported, got "${command}"`);
  process.exit(1);
}
if (command === 'rebuild') rmSync(join(root, 'build'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--force'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);

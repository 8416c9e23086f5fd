import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './binding/loader.js';

let version: string | undefined;

/** The version in package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

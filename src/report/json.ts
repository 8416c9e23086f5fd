// Writing results: the whole file or nothing. The text goes to a temporary file beside the target,
// is flushed to disk, then renamed over the target, so a crash or Ctrl-C never leaves half a file.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError, systemReason } from '../errors.js';

export async function writeTextAtomic(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    // The system's message names the temporary file (open, write, rename); the user asked for `file`.
    throw new OutputError(file, systemReason(error), { cause: error });
  }
}

/** Indented like JSON.stringify(value, null, 2), except that an array of numbers, strings or
 * booleans stays on one line: the per-launch lists of a result then take a line each instead of a
 * line per number (a 4-client result: about a third of the size). */
export function formatJson(value: unknown): string {
  // Through JSON first, so that toJSON, undefined and functions behave exactly as in JSON.stringify.
  const json = JSON.stringify(value);
  return `${json === undefined ? 'null' : format(JSON.parse(json), '')}\n`;
}

function format(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(',\n')}\n${indent}}`;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeTextAtomic(file, formatJson(value));
}

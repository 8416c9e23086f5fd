// Writing results: the whole file or nothing. The text goes to a temporary file beside the target,
// is flushed to disk, then renamed over the target, so a crash or Ctrl-C never leaves half a file.
// A JSON file whose name ends in .gz is written gzipped (and read back so by `report` and readResult()).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip, gzip } from 'node:zlib';
import { OutputError, systemReason } from '../errors.js';

const gzipAsync = promisify(gzip);

function tempBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Flushes the finished temporary file to disk and renames it over the target. */
async function commit(temp: string, file: string): Promise<void> {
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

export async function writeTextAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const temp = tempBeside(file);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text);
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

/** Writes `value` as JSON (formatJson), atomically; gzipped when the file's name ends in .gz. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const text = formatJson(value);
  await writeTextAtomic(file, file.endsWith('.gz') ? await gzipAsync(text) : text);
}

/** A file written piece by piece that appears whole or not at all (see openAtomicStream). */
export interface AtomicStream {
  write(text: string): void;
  /** Ends the file and puts it in place. */
  commit(): Promise<void>;
  /** Removes what was written; the target is left as it was. */
  abort(): Promise<void>;
}

/**
 * A file written as it goes (JSON lines of a monitor) that still appears whole: the text goes to a
 * temporary file beside `file` (through gzip when the name ends in .gz), renamed over it at commit().
 */
export function openAtomicStream(file: string): AtomicStream {
  const temp = tempBeside(file);
  const out = createWriteStream(temp, { flags: 'wx' });
  const zip = file.endsWith('.gz') ? createGzip() : undefined;
  const done = zip ? pipeline(zip, out) : new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  // Noticed at commit() or abort(); until then a failing disk must not be an unhandled rejection.
  done.catch(() => {});
  const input = zip ?? out;
  const fail = (error: unknown) => new OutputError(file, systemReason(error), { cause: error });
  return {
    write: (text) => {
      input.write(text);
    },
    async commit() {
      input.end();
      try {
        await done;
        await commit(temp, file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => {});
        throw fail(error);
      }
    },
    async abort() {
      input.destroy();
      out.destroy();
      await rm(temp, { force: true }).catch(() => {});
    },
  };
}

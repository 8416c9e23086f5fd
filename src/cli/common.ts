// What the commands share: turning errors into one line and an exit code, the checks of output paths
// (before any GPU work), Ctrl-C.
import { closeSync, openSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import {
  AddonLoadError,
  CancelledError,
  clip,
  ModeUnavailableError,
  NoGpuError,
  OptionError,
  OutputError,
  ScenarioFileError,
  systemReason,
} from '../errors.js';
import { EXIT } from './exit-codes.js';

// Expected failures: their message is the whole story, printed as one line.
const EXPECTED: Array<[new (...args: never[]) => Error, number]> = [
  [OptionError, EXIT.usage],
  [ScenarioFileError, EXIT.usage],
  [NoGpuError, EXIT.noGpu],
  [AddonLoadError, EXIT.noGpu],
  [ModeUnavailableError, EXIT.noGpu],
  [CancelledError, EXIT.interrupted],
  [OutputError, EXIT.error],
];

/** A long run of characters without a space (a path, a value) is cut at this length. */
const WORD_LIMIT = 160;
/** No error line is longer than this. */
const LINE_LIMIT = 1000;

/** `message` as one line: line breaks joined, control characters replaced, long words and the whole cut. */
export function oneLine(message: string): string {
  const flat = message
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/\p{Cc}/gu, '\ufffd')
    .replace(new RegExp(`\\S{${WORD_LIMIT + 1},}`, 'gu'), (word) => clip(word, WORD_LIMIT));
  return clip(flat.trim(), LINE_LIMIT);
}

/** Prints one error line: "gpushare-micro: <message>". */
export function printError(message: string): void {
  console.error(`gpushare-micro: ${oneLine(message)}`);
}

export function fail(error: unknown): number {
  const e = error as Error & { code?: string };
  const known = EXPECTED.find(([type]) => error instanceof type);
  if (known) {
    printError(e.message);
    return known[1];
  }
  printError(`${e?.code ? `[${e.code}] ` : ''}${e?.message ?? String(error)}`);
  if (process.env.GPUSHARE_DEBUG && e?.stack) console.error(e.stack);
  return EXIT.error;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Creates and removes a file in `dir`: the one sure test that a file can be written there (not /proc, /sys, a read-only mount). */
function probeWritable(option: string, dir: string, raw: string): void {
  const probe = join(dir, `.gpushare-micro-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (error) {
    throw new OptionError(option, `a path in a writable directory (no file can be created in ${clip(dir)}: ${systemReason(error)})`, raw);
  }
}

function checkPathText(option: string, raw: unknown, what: string): string {
  if (typeof raw !== 'string' || raw.trim() === '' || raw.includes('\0')) throw new OptionError(option, what, raw);
  return resolve(raw);
}

/**
 * Checks a file the command will write (--json, --output) before any GPU work: an existing target is a
 * regular file, its directory exists and a file can be created there. Returns the absolute path.
 */
export function checkOutputFile(option: string, raw: unknown): string {
  const path = checkPathText(option, raw, 'a file path');
  try {
    const target = statOrUndefined(path);
    if (target?.isDirectory()) throw new OptionError(option, 'a file path, not a directory', raw);
    if (target && !target.isFile()) throw new OptionError(option, 'a regular file (not a device, pipe or socket)', raw);
    const parent = statOrUndefined(dirname(path));
    if (!parent) throw new OptionError(option, 'a file in an existing directory', raw);
    if (!parent.isDirectory()) throw new OptionError(option, `a file in a directory (${clip(dirname(path))} is not one)`, raw);
  } catch (error) {
    if (error instanceof OptionError) throw error;
    throw new OptionError(option, `a file path the system accepts (${systemReason(error)})`, raw);
  }
  probeWritable(option, dirname(path), raw as string);
  return path;
}

/**
 * Checks a directory the command will create or write into (sweep --out, mps --pipe) before any GPU
 * work: it is a directory, or its nearest existing ancestor is one, and a file can be created there.
 */
export function checkOutputDir(option: string, raw: unknown): string {
  const path = checkPathText(option, raw, 'a directory path');
  let existing = path;
  try {
    for (;;) {
      const stats = statOrUndefined(existing);
      if (stats?.isDirectory()) break;
      if (stats) throw new OptionError(option, `a directory (${clip(existing)} is not one)`, raw);
      if (dirname(existing) === existing) throw new OptionError(option, 'a directory path', raw);
      existing = dirname(existing);
    }
  } catch (error) {
    if (error instanceof OptionError) throw error;
    throw new OptionError(option, `a directory path the system accepts (${systemReason(error)})`, raw);
  }
  probeWritable(option, existing, raw as string);
  return path;
}

/** An AbortSignal that fires on the first Ctrl-C (or SIGTERM); a second Ctrl-C exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    console.error('\ngpushare-micro: interrupted: stopping the clients (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

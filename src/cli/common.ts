// What the commands share: turning errors into one line and an exit code, the --json check, Ctrl-C.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AddonLoadError, CancelledError, ModeUnavailableError, NoGpuError, OptionError } from '../errors.js';
import { EXIT } from './exit-codes.js';

// Expected failures: their message is the whole story, printed as one line.
const EXPECTED: Array<[new (...args: never[]) => Error, number]> = [
  [OptionError, EXIT.usage],
  [NoGpuError, EXIT.noGpu],
  [AddonLoadError, EXIT.noGpu],
  [ModeUnavailableError, EXIT.noGpu],
  [CancelledError, EXIT.interrupted],
];

export function fail(error: unknown): number {
  const e = error as Error & { code?: string };
  const known = EXPECTED.find(([type]) => error instanceof type);
  if (known) {
    console.error(`gpushare-micro: ${e.message}`);
    return known[1];
  }
  console.error(`gpushare-micro: ${e?.code ? `[${e.code}] ` : ''}${e?.message ?? String(error)}`);
  if (process.env.GPUSHARE_DEBUG && e?.stack) console.error(e.stack);
  return EXIT.error;
}

/** Checks a --json target before any GPU work: its directory must exist and it must not be a directory. */
export function checkJsonTarget(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const path = resolve(file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new OptionError('--json', 'a file path, not a directory', file);
  if (!existsSync(dirname(path))) throw new OptionError('--json', 'a file in an existing directory', file);
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

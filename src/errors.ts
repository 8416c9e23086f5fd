// The errors the library throws. Callers branch on `code`, never on message text.

/** An option failed validation; thrown before any GPU work. CLI exit code 2. */
export class OptionError extends Error {
  readonly code = 'ERR_INVALID_OPTION';
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly received: unknown,
  ) {
    super(`invalid ${option}: expected ${expected}, got ${formatReceived(received)}`);
    this.name = 'OptionError';
  }
}

/** Echoed values are cut to this many characters: a 100,000-character argument must not make a 100 KB error line. */
export const ECHO_LIMIT = 60;

/** `text` as it is when short; else its start and end around an ellipsis, and its length. */
function cut(text: string, limit: number): { shown: string; length?: number } {
  if (text.length <= limit) return { shown: text };
  const chars = Array.from(text); // code points: never half of a surrogate pair
  if (chars.length <= limit) return { shown: text };
  const tail = Math.min(15, Math.floor(limit / 4));
  return { shown: `${chars.slice(0, limit - tail - 1).join('')}…${chars.slice(-tail).join('')}`, length: chars.length };
}

/** `text` cut to `limit` characters (see cut), with "(N characters)" when it was cut. */
export function clip(text: string, limit = ECHO_LIMIT): string {
  const { shown, length } = cut(text, limit);
  return length === undefined ? shown : `${shown} (${length} characters)`;
}

/** A value as an error echoes it: strings quoted and cut (see ECHO_LIMIT), other values as JSON, cut. */
export function formatReceived(value: unknown): string {
  if (typeof value === 'string') {
    const { shown, length } = cut(value, ECHO_LIMIT);
    return length === undefined ? JSON.stringify(value) : `${JSON.stringify(shown)} (${length} characters)`;
  }
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return clip(`${value}n`);
  try {
    return clip(JSON.stringify(value) ?? String(value));
  } catch {
    return clip(String(value));
  }
}

/** "EACCES (permission denied)" from a Node system error, without the path it names. */
export function systemReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const said = /^[A-Z0-9_]+: ([^,]+),/.exec(e?.message ?? '')?.[1];
  if (e?.code) return said ? `${e.code} (${said})` : e.code;
  return String(e?.message ?? error).split('\n')[0]!;
}

/**
 * A scenario file could not be read, is not YAML, fails the schema, or gives options that do not
 * validate; thrown before any GPU work. One line: "FILE:LINE: FIELD: what was expected, got what".
 * The same code as OptionError: CLI exit code 2.
 */
export class ScenarioFileError extends Error {
  readonly code = 'ERR_INVALID_OPTION';
  constructor(
    readonly file: string,
    /** 1-based; absent when the file could not be read. */
    readonly line: number | undefined,
    /** The field at fault ("roles.infer.arrival"), absent when the problem is the whole file. */
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(`${clip(file, 3 * ECHO_LIMIT)}${line === undefined ? '' : `:${line}`}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'ScenarioFileError';
  }
}

/** No usable GPU (no driver, no device, or the device is unavailable). CLI exit code 3. */
export class NoGpuError extends Error {
  readonly code = 'ERR_NO_GPU';
  constructor(
    message: string,
    readonly cudaError?: string,
  ) {
    super(message);
    this.name = 'NoGpuError';
  }
}

/** The native addon could not be loaded; lists every file tried, in one line. CLI exit code 3. */
export class AddonLoadError extends Error {
  readonly code = 'ERR_ADDON_LOAD';
  constructor(readonly tried: string[]) {
    super(
      `the native addon could not be loaded (tried ${tried.join('; ')}); ` +
        'build it with `npm run build:native` (needs the CUDA toolkit: nvcc on PATH or in /usr/local/cuda/bin), ' +
        `or install a release that ships a prebuild for ${process.platform}-${process.arch}`,
    );
    this.name = 'AddonLoadError';
  }
}

/** A result or report could not be written (disk full, permissions changed during the run). CLI exit code 1.
 * Names the target file, never the temporary file it was written through. */
export class OutputError extends Error {
  readonly code = 'ERR_OUTPUT';
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot write ${clip(path, 3 * ECHO_LIMIT)}: ${reason}`, options);
    this.name = 'OutputError';
  }
}

/** The measurement was interrupted (Ctrl-C, AbortSignal). CLI exit code 130. */
export class CancelledError extends Error {
  readonly code = 'ERR_CANCELLED';
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** The sharing mode cannot run here (no MPS binaries, MIG disabled, daemon failed to start). CLI exit code 3. */
export class ModeUnavailableError extends Error {
  readonly code = 'ERR_MODE_UNAVAILABLE';
  constructor(
    readonly mode: string,
    readonly reason: string,
  ) {
    super(`--mode ${mode} cannot run here: ${reason}`);
    this.name = 'ModeUnavailableError';
  }
}

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

function formatReceived(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
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

/** The native addon could not be loaded; lists every file tried. CLI exit code 3. */
export class AddonLoadError extends Error {
  readonly code = 'ERR_ADDON_LOAD';
  constructor(readonly tried: string[]) {
    super(
      'the native addon could not be loaded. Tried:\n' +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nBuild it with `npm run build:native` (needs the CUDA toolkit: nvcc on PATH or in /usr/local/cuda/bin), ' +
        'or install a release that ships a prebuild for ' +
        `${process.platform}-${process.arch}.`,
    );
    this.name = 'AddonLoadError';
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

// The CLI's exit codes (documented in the README).
export const EXIT = {
  ok: 0,
  /** An unexpected error (a bug, or a CUDA failure in the middle of a run). */
  error: 1,
  /** An option was invalid; nothing ran. */
  usage: 2,
  /** No usable GPU, or the native addon could not be loaded. */
  noGpu: 3,
  /** A client crashed or failed; the partial results were printed (and written) marked incomplete. */
  incomplete: 4,
  /** Interrupted (Ctrl-C); clients were stopped. */
  interrupted: 130,
} as const;

// A result's warnings as the terminal prints them, after the tables: one line each, what a reader must
// know before trusting the figures (RunResult.warnings; src/metrics/warnings.ts makes a run's). The
// run, sweep and scenario printers all call this one function.

/** `warning: MESSAGE` lines, or `warning (LABEL): MESSAGE` where a label says which run or point it belongs to. */
export function formatWarnings(source: { warnings?: ReadonlyArray<{ message: string }> | undefined }, label?: string): string[] {
  return (source.warnings ?? []).map((w) => `warning${label ? ` (${label})` : ''}: ${w.message}`);
}

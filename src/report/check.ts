// Checking a parsed file against its zod schema, with the first problem in one line. zod collects
// every problem of a value and joins the lists of nested values with push(...list), which overflows
// the stack past about a hundred thousand problems: a result whose million samples are all null (NaN
// written as JSON) or out of range (1e999 reads as Infinity). Such a value is parsed again, stopping at
// its first problem.
import type { z } from 'zod';

/** The data, or the first problem in one line and the error it comes from (all problems, or the first only). */
export type FileCheck<T> = { success: true; data: T } | { success: false; problem: string; error: z.ZodError };

// zod's own way to stop at the first problem (what its `validate` passes down); not in ParseContext's
// public fields, so typed through the internal context it is part of.
const FIRST_PROBLEM_ONLY: z.core.ParseContextInternal<z.core.$ZodIssue> = { abortEarly: true };

/** The first problem of a failed parse, in one line ("at shared.clients.0.launches: expected number"). */
export function firstIssue(error: z.ZodError, more = false): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length > 0 ? `at ${issue.path.map(String).join('.')}: ` : '';
  const count = error.issues.length - 1;
  const suffix = more ? ' (and more problems)' : count > 0 ? ` (and ${count} more problem${count > 1 ? 's' : ''})` : '';
  return `${where}${issue.message.replace(/\s+/g, ' ')}${suffix}`;
}

/** Parses `value` with `schema`: its data, or its first problem in one line, however many it has. */
export function checkFile<S extends z.ZodType>(schema: S, value: unknown): FileCheck<z.output<S>> {
  try {
    const parsed = schema.safeParse(value);
    return parsed.success ? { success: true, data: parsed.data } : { success: false, problem: firstIssue(parsed.error), error: parsed.error };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  const parsed = schema.safeParse(value, FIRST_PROBLEM_ONLY);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, problem: firstIssue(parsed.error, true), error: parsed.error };
}

#!/usr/bin/env node
// The CLI: `gpushare-micro [run] ...` (run is the default command), `probe`, `sweep`, `bench`, `info`, `monitor`, `mps`, `mig`, `report`, `export`, `merge`, `scenario`.
import { CommanderError } from 'commander';
import { fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';
import { UsageError } from './usage.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof UsageError) {
      printError(error.message);
      return EXIT.usage;
    }
    // --help, --version, `help`: printed already.
    if (error instanceof CommanderError) return EXIT.ok;
    throw error;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

// Output piped into a reader that stops early (`gpushare-micro --help | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = fail(error);
  },
);

// `gpushare-micro report <inputs...> -o report.html`: one self-contained HTML file from a run result,
// two run results (side by side), or a sweep's results directory.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { OptionError } from '../errors.js';
import { loadReportInputs, ReportInputError } from '../report/inputs.js';
import { writeTextAtomic } from '../report/json.js';
import { fail } from './common.js';
import { EXIT } from './exit-codes.js';

interface Flags {
  output: string;
  quiet?: boolean;
}

function checkOutput(file: string): string {
  const path = resolve(file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new OptionError('--output', 'a file path, not a directory', file);
  if (!existsSync(dirname(path))) throw new OptionError('--output', 'a file in an existing directory', file);
  return path;
}

async function execute(inputs: string[], flags: Flags): Promise<number> {
  try {
    const target = checkOutput(flags.output);
    // The chart renderer (Vega) is loaded only here: every other command starts without it.
    const { buildReport } = await import('../report/html/build.js');
    const html = await buildReport(await loadReportInputs(inputs));
    await writeTextAtomic(target, html);
    if (!flags.quiet) console.error(`gpushare-micro: wrote ${flags.output} (${Math.ceil(Buffer.byteLength(html) / 1024).toLocaleString('en-US')} KiB)`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ReportInputError) {
      console.error(`gpushare-micro: ${error.message}`);
      return EXIT.usage;
    }
    return fail(error);
  }
}

export function reportCommand(): Command {
  return new Command('report')
    .description('write one self-contained HTML report (readable offline) from a run result, two of them side by side, or a sweep directory')
    .argument('<inputs...>', 'a result JSON file (--json of run/probe), two of them to compare, or a sweep results directory')
    .option('-o, --output <file>', 'the HTML file to write (atomically)', 'report.html')
    .option('-q, --quiet', 'do not say where the report went')
    .action(async (inputs: string[], flags: Flags) => {
      process.exitCode = await execute(inputs, flags);
    });
}

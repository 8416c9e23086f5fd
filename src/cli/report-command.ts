// `gpushare-micro report <inputs...> -o report.html`: one self-contained HTML file from a run result,
// two run results (side by side), a sweep's results directory, or a scenario's.
import { Command } from 'commander';
import { writeTextAtomic } from '../report/json.js';
import { checkOutputFile, fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';

interface Flags {
  output: string;
  quiet?: boolean;
}

async function execute(inputs: string[], flags: Flags): Promise<number> {
  try {
    const target = checkOutputFile('--output', flags.output);
    // The input schemas and the chart renderer (Vega) are loaded only here: every other command starts without them.
    const [{ loadReportInputs }, { buildReport }] = await Promise.all([import('../report/inputs.js'), import('../report/html/build.js')]);
    const html = await buildReport(await loadReportInputs(inputs));
    await writeTextAtomic(target, html);
    if (!flags.quiet) console.error(`gpushare-micro: wrote ${flags.output} (${Math.ceil(Buffer.byteLength(html) / 1024).toLocaleString('en-US')} KiB)`);
    return EXIT.ok;
  } catch (error) {
    // ReportInputError (an input that is missing or not a result): an invalid argument.
    if ((error as { code?: string })?.code === 'ERR_REPORT_INPUT') {
      printError((error as Error).message);
      return EXIT.usage;
    }
    return fail(error);
  }
}

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'write one self-contained HTML report (readable offline) from a run result, two of them side by side, a sweep directory, a scenario results directory or a merged comparison (gpushare-micro merge -o DIR)',
    )
    .argument(
      '<inputs...>',
      'a result JSON file (--json of run/probe), two of them to compare, a sweep results directory, a scenario results directory, or a merged comparison directory (merged.json)',
    )
    .option('-o, --output <file>', 'the HTML file to write (atomically)', 'report.html')
    .option('-q, --quiet', 'do not say where the report went')
    .action(async (inputs: string[], flags: Flags) => {
      process.exitCode = await execute(inputs, flags);
    });
}

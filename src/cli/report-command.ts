// `gpushare-micro report <inputs...> -o report.html`: one self-contained HTML file from a run result,
// two run results (side by side), a sweep's results directory, or a scenario's. With --format
// table|markdown|json it prints the results instead, as the command that measured them printed them.
import { Command, Option } from 'commander';
import { OptionError } from '../errors.js';
import { OUTPUT_FORMATS, terminalColumns } from '../report/layout.js';
import { writeTextAtomic } from '../report/json.js';
import { checkOutputFile, fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';
import { examples, wideOption, writeJsonTarget } from './output.js';

interface Flags {
  output: string;
  format: 'html' | (typeof OUTPUT_FORMATS)[number];
  wide?: boolean;
  quiet?: boolean;
}

/** Prints the inputs as text or JSON (--format table, markdown, json). */
async function print(inputs: string[], format: 'table' | 'markdown' | 'json', wide: boolean): Promise<void> {
  const [{ loadReportInputs }, { formatReportInput, reportInputJson }] = await Promise.all([import('../report/inputs.js'), import('../report/text.js')]);
  const input = await loadReportInputs(inputs);
  if (format === 'json') await writeJsonTarget({ to: 'stdout' }, reportInputJson(input));
  else console.log(formatReportInput(input, { format, wide, columns: terminalColumns() }));
}

async function execute(inputs: string[], flags: Flags, cmd: Command): Promise<number> {
  try {
    if (flags.wide && flags.format !== 'table' && flags.format !== 'markdown')
      throw new OptionError('--wide', `--format table or markdown (not ${flags.format})`, true);
    if (flags.format !== 'html') {
      if (cmd.getOptionValueSource('output') === 'cli') throw new OptionError('--output', '--format html (the others print to stdout)', flags.output);
      await print(inputs, flags.format, flags.wide ?? false);
      return EXIT.ok;
    }
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
      'write one self-contained HTML report (readable offline) from a run result, two of them side by side, a sweep directory, a scenario results directory or a merged comparison (gpushare-micro merge -o DIR); or print them as the measuring command did',
    )
    .argument(
      '<inputs...>',
      'a result JSON file (--json of run/probe), two of them to compare, a sweep results directory, a scenario results directory, or a merged comparison directory (merged.json)',
    )
    .option('-o, --output <file>', 'the HTML file to write (atomically)', 'report.html')
    .addOption(
      new Option('--format <format>', 'html: write the report to --output; table, markdown, json: print the results on stdout instead')
        .choices(['html', ...OUTPUT_FORMATS])
        .default('html'),
    )
    .addOption(wideOption())
    .option('-q, --quiet', 'do not say where the report went')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro report gemm-p4.json -o gemm-p4.html', 'the HTML report of one run'],
        ['gpushare-micro report timeslice.json mps.json -o compare.html', 'two runs side by side'],
        ['gpushare-micro report results/sweep-20261129-101500', "a sweep's directory, into report.html"],
        ['gpushare-micro report gemm-p4.json.gz --format table', 'print a recorded run as `run` printed it'],
        ['gpushare-micro report results/scenario-train+infer-20261201-101500 --format markdown', "a scenario's tables as GitHub Markdown"],
      ),
    )
    .action(async (inputs: string[], flags: Flags, self: Command) => {
      process.exitCode = await execute(inputs, flags, self);
    });
}

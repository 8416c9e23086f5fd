// `gpushare-micro merge DIR… -o OUT`: sweeps from several nodes (or GPUs) side by side, with each
// point's node-to-node spread, into OUT/merged.json; the table on stdout.
import { Command } from 'commander';
import { MERGED_FILE } from '../report/merged-schema.js';
import { checkOutputDir, fail } from './common.js';
import { EXIT } from './exit-codes.js';
import { emit, examples, formatOption, jsonOption, outputPlan, wideOption } from './output.js';

interface Flags {
  out: string;
  json?: string | boolean;
  format?: string;
  wide?: boolean;
  quiet?: boolean;
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description("put sweeps made on several nodes or GPUs side by side: each point's figures per node and their spread (min, median, max, max/min)")
    .argument('<dirs...>', 'sweep results directories (summary.json), e.g. one per node of a fleet sweep')
    .requiredOption('-o, --out <dir>', `directory to write ${MERGED_FILE} into`)
    .addOption(formatOption())
    .addOption(wideOption())
    .addOption(jsonOption(`the comparison (${MERGED_FILE})`))
    .option('-q, --quiet', 'do not say where the comparison went')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro merge results/node-0 results/node-1 -o results/merged', 'two nodes side by side, each point with its spread'],
        ['gpushare-micro merge fleet/*/ -o merged --format markdown', 'every node of a fleet sweep, as GitHub Markdown'],
      ),
    )
    .action(async (dirs: string[], flags: Flags, self: Command) => {
      try {
        const output = outputPlan(flags, self);
        const outDir = checkOutputDir('--out', flags.out);
        const [{ mergeDirectories }, { formatMerged }] = await Promise.all([import('../fleet/merge.js'), import('../report/merged-table.js')]);
        const merged = await mergeDirectories(dirs, outDir, ['gpushare-micro', 'merge', ...process.argv.slice(3)]);
        await emit(output, merged, (layout) => formatMerged(merged, layout), flags.quiet);
        if (!flags.quiet) console.error(`gpushare-micro: wrote ${outDir}/${MERGED_FILE}; \`gpushare-micro report ${outDir}\` draws it`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

// `gpushare-micro probe`: the time slicer on its own, with the probe kernel. With a list in --smem,
// --threads or --regs it measures the switch gap once per state of their product (a probe curve).
import { Command } from 'commander';
import { PROBE_DEFAULTS } from '../config.js';
import type { RawProbeCurveOptions } from '../probe-curve.js';
import { PROBE_MAX_SHARED_BYTES, PROBE_REGISTER_CHOICES, PROBE_STATE_DEFAULTS, describeResident } from '../registry/probe-state.js';
import { writeJsonAtomic } from '../report/json.js';
import { checkJsonTarget, fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';
import { commonOptions, execute, type Flags } from './run-command.js';

const isList = (raw: unknown) => typeof raw === 'string' && raw.includes(',');

/** The flags as probe-curve options: only those given (probe() applies its own defaults). */
function curveOptions(flags: Flags): RawProbeCurveOptions {
  const { json: _json, quiet: _quiet, list: _list, keepTraces: _keep, baseline, ...rest } = flags;
  const options: Record<string, unknown> = { baseline: baseline ?? false };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  return options as RawProbeCurveOptions;
}

async function curve(flags: Flags): Promise<number> {
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  try {
    const options = curveOptions(flags);
    // Loaded only now: a usage error or --help needs none of the measuring code.
    const [{ probeCurve, probeCurveRuns }, { formatProbeCurve }] = await Promise.all([import('../probe-curve.js'), import('../report/probe-curve-table.js')]);
    probeCurveRuns(options); // every state's options checked before the first run
    const target = checkJsonTarget(flags.json);
    interrupt = interruptSignal();
    const result = await probeCurve(options, { signal: interrupt.signal, command: ['gpushare-micro', ...process.argv.slice(2)] }, (p, i, of) => {
      if (flags.quiet) return;
      const held = p.resident ? describeResident(p.resident) : 'state not reported';
      console.error(`probe state ${i + 1}/${of} (${held}): ${p.switches} switches${p.complete ? '' : ` — ${p.reason ?? 'incomplete'}`}`);
    });
    console.log(formatProbeCurve(result));
    if (target) {
      await writeJsonAtomic(target, result);
      if (!flags.quiet) console.error(`gpushare-micro: wrote ${target}`);
    }
    if (interrupt.signal.aborted) return EXIT.interrupted;
    return result.points.every((p) => p.complete) ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function probeCommand(): Command {
  const cmd = new Command('probe')
    .description(`characterise the GPU's time slicing with the probe kernel (default ${PROBE_DEFAULTS.procs} processes, ${PROBE_DEFAULTS.duration})`)
    .option('--baseline', 'also run one probe client alone first')
    .option(
      '--smem <bytes>',
      `shared memory each probe CTA (one per SM) fills, 0..${PROBE_MAX_SHARED_BYTES / 1024}K (default ${PROBE_STATE_DEFAULTS.sharedBytes}); a list measures each`,
    )
    .option('--threads <n>', `threads per probe CTA, 1..1024 (default ${PROBE_STATE_DEFAULTS.threads}); a list measures each`)
    .option(
      '--regs <n>',
      `registers each probe thread keeps live: ${PROBE_REGISTER_CHOICES.join(', ')} (default ${PROBE_STATE_DEFAULTS.registers}); a list measures each`,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  gpushare-micro probe\n  gpushare-micro probe --smem 0,64K,128K,200K --threads 256 --json probe-smem.json\n  gpushare-micro probe --threads 1024 --regs 0,32,64',
    );
  commonOptions(cmd);
  cmd.action(async (flags: Flags) => {
    if (isList(flags.smem) || isList(flags.threads) || isList(flags.regs)) {
      process.exitCode = await curve(flags);
      return;
    }
    const defaults = { procs: PROBE_DEFAULTS.procs, duration: PROBE_DEFAULTS.duration, baseline: false, kernel: 'probe' };
    process.exitCode = await execute({ ...flags, baseline: flags.baseline ?? false }, defaults);
  });
  return cmd;
}

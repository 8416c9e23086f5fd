// `gpushare-micro info`: the GPUs, driver, modes and MPS state. Without a GPU: one line, exit 0.
import { Command } from 'commander';
import { info, fmtCuda, type InfoResult } from '../info.js';
import { fail } from './common.js';
import { EXIT } from './exit-codes.js';
import { checkJsonTarget, examples, jsonOption, writeJsonTarget } from './output.js';

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function formatInfo(r: InfoResult): string {
  if (!r.available) return `gpushare-micro ${r.version}: ${r.reason ?? 'no usable NVIDIA GPU'}`;
  const lines: string[] = [];
  lines.push(
    `gpushare-micro ${r.version} · driver ${r.driverVersion ?? '?'} · CUDA driver ${r.cudaDriverVersion ? fmtCuda(r.cudaDriverVersion) : '?'} · CUDA runtime ${r.cudaRuntimeVersion ? fmtCuda(r.cudaRuntimeVersion) : '?'} · addon built for ${r.addon?.cudaArchitectures ?? '?'}`,
  );
  for (const g of r.gpus) {
    lines.push(`GPU ${g.index}: ${g.name} · ${g.uuid} · PCI ${g.pciBusId}`);
    lines.push(
      `  compute capability ${g.computeCapability} · ${g.smCount} SMs · ${gib(g.memoryBytes)} memory${g.memoryUsedBytes !== undefined ? ` (${gib(g.memoryUsedBytes)} in use)` : ''} · L2 ${(g.l2Bytes / 2 ** 20).toFixed(0)} MiB`,
    );
    const mig = g.migEnabled === undefined ? 'not supported' : g.migEnabled ? 'enabled' : 'disabled';
    const clock = g.smClockMHz !== undefined ? ` · SM clock ${g.smClockMHz}${g.maxSmClockMHz ? `/${g.maxSmClockMHz}` : ''} MHz` : '';
    lines.push(
      `  compute mode ${g.computeMode} · MIG ${mig}${g.persistenceMode !== undefined ? ` · persistence ${g.persistenceMode ? 'on' : 'off'}` : ''}${clock}`,
    );
  }
  lines.push(`MPS: ${r.mps.detail}${r.mps.controlBinary ? ` (control: ${r.mps.controlBinary})` : ''}`);
  lines.push('Sharing modes (GPU 0):');
  const width = Math.max(...r.modes.map((m) => m.mode.length));
  for (const m of r.modes) {
    const state = m.possible ? 'can run' : 'cannot run';
    lines.push(`  ${m.mode.padEnd(width)}  ${state.padEnd(10)}  ${m.reason}`);
  }
  return lines.join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show the GPUs, driver and CUDA versions, compute and MIG modes, MPS, and which sharing modes can run here')
    .addOption(jsonOption('the information'))
    .addHelpText(
      'after',
      examples(['gpushare-micro info', 'the GPUs and which sharing modes can run on GPU 0'], ['gpushare-micro info --json - | jq .modes', 'the same as JSON']),
    )
    .action(async (flags: { json?: string | boolean }) => {
      try {
        const target = checkJsonTarget(flags.json);
        const result = await info();
        if (target?.to !== 'stdout') console.log(formatInfo(result));
        await writeJsonTarget(target, result);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

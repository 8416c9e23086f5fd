// applyPlan: runs a MigPlan's commands, in order, stopping at the first that fails. This CHANGES THE
// MACHINE FOR EVERYONE (MIG mode, GPU instances) and is only reached through `gpushare-micro mig
// apply ... --yes`; tests never run it against a real nvidia-smi.
import { parseMigModes, QUERY_GPU_ARGS, smiFailure, type SmiRunner } from './nvidia-smi.js';
import type { MigPlan } from './plan.js';

export type ApplyOutcome = { ok: true } | { ok: false; error: string };

export async function applyPlan(plan: MigPlan, smi: SmiRunner, log: (line: string) => void): Promise<ApplyOutcome> {
  for (const argv of plan.commands) {
    log(`$ ${argv.join(' ')}`);
    const out = await smi(argv.slice(1));
    for (const line of `${out.stdout}${out.stderr}`.split('\n')) if (line.trim() !== '') log(`  ${line.trimEnd()}`);
    if (out.code !== 0 || out.failure) return { ok: false, error: `${smiFailure(out)}; the commands after it were not run` };
    if (argv.includes('-mig')) {
      // Enabling MIG can stay pending until the GPU is reset (processes on it, or a VM that may not
      // reset it): nvidia-smi says so and still exits 0. Creating instances would then fail.
      const query = await smi(QUERY_GPU_ARGS);
      const mode = parseMigModes(query.stdout).find((m) => m.index === plan.gpu);
      if (mode?.current !== 'enabled') {
        return {
          ok: false,
          error:
            `MIG is not enabled on GPU ${plan.gpu} yet (now ${mode?.current ?? 'unknown'}, pending ${mode?.pending ?? 'unknown'}): ` +
            `it takes effect after a GPU reset with no process on the GPU, or a reboot; then run the same mig apply again`,
        };
      }
    }
  }
  return { ok: true };
}

// One registry of what a client can run: the kernels (kernels.ts), the model workloads (workloads.ts)
// and the named shapes of both (presets.ts), each with its shape rules, element types,
// implementations, FLOP and byte counts and memory need (memory.ts). The run and sweep options, the
// bench, the memory check, the help text and `--list` all read it.
import { KERNEL_INFO, KERNEL_NAMES } from './kernels.js';
import { BENCH_DEFAULT_PRESETS, KERNEL_PRESETS } from './presets.js';
import { describeWorkloadShape, fieldRule, WORKLOAD_IMPLS, WORKLOAD_NAMES, WORKLOADS, workloadMemory, workloadStepFlops } from './workloads.js';

export * from './kernels.js';
export * from './presets.js';
export * from './workloads.js';
export * from './traced.js';
export { clientMemoryBytes, probeGapCapacity, type RunMemorySettings } from './memory.js';

/** Every name `--kernel` (or `--workload`, or a --client's kernel=) takes: the kernels, then the model workloads. */
export const RUNNABLE = [...KERNEL_NAMES, ...WORKLOAD_NAMES] as const;

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const gflop = (flops: number) => `${(flops / 1e9).toFixed(1)} GFLOP`;

/** What `run --list` and `bench --list` print: the kernels, the workloads and the presets. */
export function registryListing(): string {
  const lines: string[] = ['Kernels (--kernel NAME, --shape or --preset):'];
  for (const k of KERNEL_INFO) {
    const shape = k.fields.length > 0 ? `--shape ${k.fields.join(',')}` : 'no shape';
    lines.push(`  ${k.name.padEnd(10)} ${k.about}`);
    lines.push(`  ${''.padEnd(10)} ${shape}; --impl ${k.impls.join('|')}; --dtype ${k.dtypes.join('|')}`);
  }
  lines.push('', `Workloads (--kernel NAME or --workload NAME; --impl ${WORKLOAD_IMPLS.join('|')}; bf16):`);
  for (const name of WORKLOAD_NAMES) {
    const w = WORKLOADS[name];
    const fields = w.fields
      .map(
        (f) =>
          `--${f.name} ${fieldRule(f)
            .replace(/^one of /, '')
            .replace(/^an integer in /, '')}`,
      )
      .join(' ');
    const mem = workloadMemory(name, w.defaults);
    lines.push(`  ${name.padEnd(16)} ${w.standsFor}`);
    lines.push(
      `  ${''.padEnd(16)} ${fields}; default ${describeWorkloadShape(name, w.defaults)}: ${gflop(workloadStepFlops(name, w.defaults))}/step, ~${gib(mem.total)}`,
    );
  }
  lines.push('', 'Presets (--preset NAME, run and bench; * measured by bench without --preset):');
  for (const p of KERNEL_PRESETS) {
    const mark = BENCH_DEFAULT_PRESETS.includes(p.name) ? '*' : ' ';
    lines.push(`  ${mark}${p.name.padEnd(26)} ${p.kernel.padEnd(16)} ${p.description}`);
  }
  return lines.join('\n');
}

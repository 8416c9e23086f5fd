// What `gpushare-micro bench` measures: one kernel on one shape, or one model workload's step, as the
// project's own implementation beside the library the ML frameworks call for the same work. Names
// are the registry's presets (src/registry/presets.ts), the same as `run --preset`.
// Shapes follow each kernel's WorkloadSpec convention (src/binding/contract.ts). `bench --variants`
// also times the own kernel's tuning variants (KERNEL_VARIANTS) beside its default.
import type { WorkloadSpec } from '../binding/contract.js';
import { BENCH_DEFAULT_PRESETS, findPreset, isWorkload, KERNEL_PRESETS, kernelInfo, WORKLOAD_DTYPE } from '../registry/index.js';

/** What a bench entry's rate counts: floating-point operations (TFLOP/s) or bytes moved (GB/s). */
export type BenchMetric = 'flops' | 'bytes';

export interface BenchKernel {
  name: string;
  /** Names of the shape's dimensions, in order. */
  dims: readonly string[];
  dtypes: readonly string[];
  /** The library implementation compared with the own kernel, if any. */
  library?: { impl: string; label: string };
  metric: BenchMetric;
}

export const BENCH_KERNELS: readonly BenchKernel[] = [
  { name: 'gemm', dims: ['m', 'n', 'k'], dtypes: ['bf16', 'fp16', 'tf32', 'fp32'], library: { impl: 'cublas', label: 'cuBLASLt' }, metric: 'flops' },
  { name: 'conv', dims: ['n', 'c', 'h', 'w', 'k', 'r', 's', 'stride', 'pad'], dtypes: ['bf16'], library: { impl: 'cudnn', label: 'cuDNN' }, metric: 'flops' },
  { name: 'attention', dims: ['batch', 'heads', 'seq', 'headDim', 'causal'], dtypes: ['bf16'], library: { impl: 'cudnn', label: 'cuDNN' }, metric: 'flops' },
  { name: 'copy', dims: ['elements'], dtypes: ['fp32'], library: { impl: 'cudart', label: 'cudaMemcpy' }, metric: 'bytes' },
  { name: 'triad', dims: ['elements'], dtypes: ['fp32'], metric: 'bytes' },
];

export interface BenchPreset {
  name: string;
  kernel: string;
  dtype: string;
  shape: number[];
  /** One line: what the shape is. */
  about: string;
}

/** A registry preset (src/registry/presets.ts: the same names as `run --preset`) as a bench entry's source. */
export function benchPreset(name: string): BenchPreset | undefined {
  const p = findPreset(name);
  if (!p) return undefined;
  const dtype = p.dtype ?? (isWorkload(p.kernel) ? WORKLOAD_DTYPE : (kernelInfo(p.kernel)?.dtypes[0] ?? 'bf16'));
  return { name: p.name, kernel: p.kernel, dtype, shape: [...p.shape], about: p.description };
}

/** What `bench` measures without --preset or --workload (BENCH_DEFAULT_PRESETS); --preset takes any registry preset. */
export const BENCH_PRESETS: readonly BenchPreset[] = BENCH_DEFAULT_PRESETS.map((name) => benchPreset(name)!);

/** Every preset name --preset takes. */
export const BENCH_PRESET_NAMES: readonly string[] = KERNEL_PRESETS.map((p) => p.name);

export function benchKernel(name: string): BenchKernel | undefined {
  return BENCH_KERNELS.find((k) => k.name === name);
}

/** One way to run an own kernel other than its default: a tile variant, or gemm's path. */
export interface KernelVariant {
  /** As given to --variants and shown in the row label: "5", "wgmma". */
  name: string;
  /** The WorkloadSpec field that selects it. */
  spec: Pick<WorkloadSpec, 'variant'> | Pick<WorkloadSpec, 'gemmPath'>;
  about: string;
}

export interface KernelVariants {
  /** Element types that have them (all of the kernel's where absent). */
  dtypes?: readonly string[];
  list: readonly KernelVariant[];
}

const tile = (variant: number, about: string): KernelVariant => ({ name: String(variant), spec: { variant }, about });

/**
 * The variants each own kernel has (kernels/conv.cu, kernels/attention.cu, kernels/gemm.cu). The
 * Hopper ones (conv 5..8, attention 4..6, gemm wgmma) run where the device runs this build's sm_90a
 * code; elsewhere conv falls back to its default choice, attention to variant 0, and gemm reports
 * itself unsupported. A conv whose c is not a multiple of 8 runs tile 0 whatever is asked.
 */
export const KERNEL_VARIANTS: Readonly<Record<string, KernelVariants>> = {
  gemm: {
    dtypes: ['bf16', 'fp16', 'tf32'], // fp32 runs on the SIMT path only
    list: [
      { name: 'wgmma', spec: { gemmPath: 'wgmma' }, about: 'Hopper wgmma with TMA' },
      { name: 'mma', spec: { gemmPath: 'mma' }, about: 'mma.sync' },
    ],
  },
  conv: {
    list: [
      tile(0, 'mma.sync 128x128, 4 warps'),
      tile(1, 'mma.sync 256x64, 4 warps (the default for k <= 64)'),
      tile(2, 'mma.sync 128x256, 8 warps'),
      tile(3, 'mma.sync 256x128, 8 warps'),
      tile(4, 'mma.sync 128x64, 4 warps'),
      tile(5, 'wgmma 128x256 (Hopper)'),
      tile(6, 'wgmma 256x128 (Hopper; the default there for k > 64)'),
      tile(7, 'wgmma 128x128 (Hopper)'),
      tile(8, 'wgmma 256x64 (Hopper)'),
    ],
  },
  attention: {
    list: [
      tile(0, '128 query rows on 4 warps, 64-key blocks (the default without Hopper)'),
      tile(1, 'the other key block: 128 keys for head dim 64, 32 for 128'),
      tile(2, '128 query rows on 8 warps'),
      tile(3, '64 query rows on 4 warps'),
      tile(4, 'wgmma, 128-key blocks (Hopper)'),
      tile(5, 'wgmma, 64-key blocks (Hopper)'),
      tile(6, 'wgmma, 128-key blocks, consumer warpgroups taking turns (Hopper; the default there)'),
    ],
  },
};

/** The variants of a kernel in an element type; empty where it has none. */
export function kernelVariants(kernel: string, dtype: string): readonly KernelVariant[] {
  const v = KERNEL_VARIANTS[kernel];
  return v && (!v.dtypes || v.dtypes.includes(dtype)) ? v.list : [];
}

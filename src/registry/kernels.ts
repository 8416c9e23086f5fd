// The kernels of the registry (src/registry/): every single-kernel workload a client can run, which
// implementations and element types each has, what its shape means, how a shape is checked (before
// any GPU work), and the standard operation and byte counts of one launch (the same numbers the
// native workloads report as flopsPerLaunch / bytesPerLaunch). The model workloads are workloads.ts.
//   gemm       [m, n, k]: A [m, k], B [k, n] in the dtype, C [m, n] fp32
//   probe      []: spinning CTAs that record the gaps in their own clock (time slicing's slices)
//   conv       [n, c, h, w, k, r, s, stride, pad]: x NHWC, w KRSC, y NHWK (bf16 out), fp32 accumulation
//   attention  [batch, heads, seq, headDim, causal 0|1]: Q, K, V, O [batch, heads, seq, headDim] bf16,
//              softmax scale 1/sqrt(headDim), fp32 accumulation
//   copy       [elements] fp32: b = a
//   triad      [elements] fp32: a = b + 3 c
import type { WorkloadSpec } from '../binding/contract.js';

export const KERNEL_FAMILIES = ['conv', 'attention', 'copy', 'triad'] as const;
export type KernelFamily = (typeof KERNEL_FAMILIES)[number];
/** Every kernel a client can run (KERNEL_INFO describes each). */
export const KERNEL_NAMES = ['gemm', 'probe', ...KERNEL_FAMILIES] as const;

/** Implementations per family: the project's kernel first, then the library counterparts. */
export const KERNEL_IMPLS = {
  conv: ['own', 'cudnn'],
  attention: ['own', 'cudnn', 'cublas'],
  copy: ['own', 'cudart'],
  triad: ['own'],
} as const satisfies Record<KernelFamily, readonly string[]>;

export const KERNEL_DTYPES = { conv: 'bf16', attention: 'bf16', copy: 'fp32', triad: 'fp32' } as const satisfies Record<KernelFamily, string>;

/** Register counts per probe thread the probe kernel has a variant for (0: the plain probe's own few; src/registry/probe-state.ts). */
export const PROBE_REGISTER_CHOICES = [0, 32, 64, 128, 255] as const;
export type ProbeRegisters = (typeof PROBE_REGISTER_CHOICES)[number];

/** Head dimensions the own attention kernel has (cuDNN and cuBLAS take others). */
export const OWN_ATTENTION_HEAD_DIMS = [64, 128] as const;

export const SHAPE_FIELDS: Record<KernelFamily, readonly string[]> = {
  conv: ['n', 'c', 'h', 'w', 'k', 'r', 's', 'stride', 'pad'],
  attention: ['batch', 'heads', 'seq', 'headDim', 'causal'],
  copy: ['elements'],
  triad: ['elements'],
};

const MAX_DIM = 2 ** 31 - 1;
/** gemm's m, n and k at most (the run and the bench check the same bound). */
export const GEMM_MAX_DIM = 131072;
/** Elements of one tensor: the kernels index with 32-bit integers (conv's M = n p q and K = r s c, attention's rows). */
const MAX_ELEMENTS = 2 ** 31 - 1;
/** cuBLAS attention's fp32 score matrix [batch*heads, seq, seq]: bounded so that its byte count cannot wrap. */
const MAX_SCORES = 2 ** 40;

/** gemm's element types and implementations. */
export const GEMM_DTYPES = ['bf16', 'fp16', 'tf32', 'fp32'] as const;
export const GEMM_IMPLS = ['own', 'cublas'] as const;
export type GemmDtype = (typeof GEMM_DTYPES)[number];

/** Every kernel a client can run, for the options, the help text and `--list`. */
export interface KernelInfo {
  name: string;
  about: string;
  /** The shape's fields, in order (empty for the probe). */
  fields: readonly string[];
  dtypes: readonly string[];
  /** The project's kernel first, then the library counterparts. */
  impls: readonly string[];
  /** The preset a run takes without --shape (gemm: --size instead). */
  defaultPreset?: string;
}

export const KERNEL_INFO: readonly KernelInfo[] = [
  { name: 'gemm', about: 'matrix product C = A B (fp32 accumulation and output)', fields: ['m', 'n', 'k'], dtypes: GEMM_DTYPES, impls: GEMM_IMPLS },
  { name: 'probe', about: "spinning CTAs that record gaps in their own clock: the time slicer's slices", fields: [], dtypes: ['none'], impls: ['own'] },
  {
    name: 'conv',
    about: 'convolution forward, NHWC bf16, fp32 accumulation',
    fields: SHAPE_FIELDS.conv,
    dtypes: ['bf16'],
    impls: KERNEL_IMPLS.conv,
    defaultPreset: 'resnet50-l1-3x3',
  },
  {
    name: 'attention',
    about: 'attention forward softmax(Q K^T / sqrt(d)) V, bf16',
    fields: SHAPE_FIELDS.attention,
    dtypes: ['bf16'],
    impls: KERNEL_IMPLS.attention,
    defaultPreset: 'llm-4k',
  },
  {
    name: 'copy',
    about: 'b = a over fp32 arrays (memory bandwidth)',
    fields: ['elements'],
    dtypes: ['fp32'],
    impls: KERNEL_IMPLS.copy,
    defaultPreset: 'copy-1gib',
  },
  {
    name: 'triad',
    about: 'a = b + 3 c over fp32 arrays (memory bandwidth)',
    fields: ['elements'],
    dtypes: ['fp32'],
    impls: KERNEL_IMPLS.triad,
    defaultPreset: 'triad-1gib',
  },
];

export function kernelInfo(name: string): KernelInfo | undefined {
  return KERNEL_INFO.find((k) => k.name === name);
}

/** gemm's FLOPs (2 m n k) and the bytes it must move at least (A and B in the dtype, C fp32). */
export function gemmFlops(shape: readonly number[]): number {
  const [m, n, k] = shape as [number, number, number];
  return 2 * m * n * k;
}

export function gemmBytes(shape: readonly number[], dtype: string): number {
  const [m, n, k] = shape as [number, number, number];
  const element = dtype === 'bf16' || dtype === 'fp16' ? 2 : 4;
  return (m * k + k * n) * element + m * n * 4;
}

export function isKernelFamily(kernel: string): kernel is KernelFamily {
  return (KERNEL_FAMILIES as readonly string[]).includes(kernel);
}

/** Output height (or width) of a convolution: (input + 2 pad - filter) / stride + 1, rounded down. */
export function convOutputSize(input: number, filter: number, stride: number, pad: number): number {
  return Math.floor((input + 2 * pad - filter) / stride) + 1;
}

/** The tensors of a shape and their element counts (exact: every factor is below 2^31 and each product is checked in turn). */
function tensors(kernel: KernelFamily, shape: readonly number[]): Array<[string, number[]]> {
  switch (kernel) {
    case 'conv': {
      const [n, c, h, w, k, r, s, stride, pad] = shape as [number, number, number, number, number, number, number, number, number];
      const p = convOutputSize(h, r, stride, pad);
      const q = convOutputSize(w, s, stride, pad);
      return [
        ['input x (n·h·w·c)', [n, h, w, c]],
        ['filter (k·r·s·c)', [k, r, s, c]],
        ['output y (n·p·q·k)', [n, p, q, k]],
      ];
    }
    case 'attention': {
      const [b, heads, seq, d] = shape as [number, number, number, number];
      return [['Q, K, V and O (batch·heads·seq·headDim)', [b, heads, seq, d]]];
    }
    case 'copy':
    case 'triad':
      return [];
  }
}

/** The product of `factors`, or Infinity once it passes `limit` (so that it never loses precision). */
function boundedProduct(factors: readonly number[], limit: number): number {
  let product = 1;
  for (const f of factors) {
    product *= f;
    if (product > limit) return Infinity;
  }
  return product;
}

/** Why a shape is not valid for a family (one line), or undefined when it is. */
export function shapeProblem(kernel: KernelFamily, shape: readonly number[], impl = 'own'): string | undefined {
  const problem = shapeSizeProblem(kernel, shape);
  if (problem) return problem;
  if (kernel === 'attention') {
    const [batch, heads, seq, headDim] = shape as [number, number, number, number];
    if (impl === 'own' && !(OWN_ATTENTION_HEAD_DIMS as readonly number[]).includes(headDim)) {
      return `the own attention kernel supports headDim ${OWN_ATTENTION_HEAD_DIMS.join(' or ')}, got ${headDim}`;
    }
    if (impl === 'cublas' && boundedProduct([batch, heads, seq, seq], MAX_SCORES) > MAX_SCORES) {
      return `cublas attention keeps batch·heads·seq·seq fp32 scores, at most ${MAX_SCORES}, got ${batch * heads * seq * seq}`;
    }
  }
  return undefined;
}

/** Why a shape is not valid for a family whatever the implementation (one line), or undefined when it is. */
export function shapeSizeProblem(kernel: KernelFamily, shape: readonly number[]): string | undefined {
  const fields = SHAPE_FIELDS[kernel];
  if (shape.length !== fields.length) return `${kernel} expects a shape [${fields.join(', ')}], got ${shape.length} numbers`;
  for (let i = 0; i < shape.length; i++) {
    const v = shape[i]!;
    const minimum = (kernel === 'conv' && fields[i] === 'pad') || (kernel === 'attention' && fields[i] === 'causal') ? 0 : 1;
    if (!Number.isInteger(v) || v < minimum) return `${kernel} ${fields[i]} must be an integer >= ${minimum}, got ${v}`;
    if (v > MAX_DIM) return `${kernel} ${fields[i]} must be at most ${MAX_DIM}, got ${v}`;
  }
  if (kernel === 'conv') {
    const [, , h, w, , r, s, stride, pad] = shape as [number, number, number, number, number, number, number, number, number];
    if (convOutputSize(h, r, stride, pad) < 1 || convOutputSize(w, s, stride, pad) < 1) {
      return `conv filter ${r}x${s} does not fit the ${h}x${w} input padded by ${pad}`;
    }
  }
  if (kernel === 'attention') {
    const causal = shape[4]!;
    if (causal !== 0 && causal !== 1) return `attention causal must be 0 or 1, got ${causal}`;
  }
  for (const [name, factors] of tensors(kernel, shape)) {
    if (boundedProduct(factors, MAX_ELEMENTS) > MAX_ELEMENTS) {
      return `${kernel} ${name} must have at most ${MAX_ELEMENTS} elements, got ${factors.reduce((a, b) => a * b, 1)}`;
    }
  }
  return undefined;
}

/** A checked WorkloadSpec for one of these families; throws an Error naming what is wrong. */
export function kernelWorkload(kernel: string, impl: string, shape: readonly number[], seed: number): WorkloadSpec {
  if (!isKernelFamily(kernel)) throw new Error(`expected one of ${KERNEL_FAMILIES.join(', ')} for kernel, got "${kernel}"`);
  if (!(KERNEL_IMPLS[kernel] as readonly string[]).includes(impl)) {
    throw new Error(`expected one of ${KERNEL_IMPLS[kernel].join(', ')} for the impl of ${kernel}, got "${impl}"`);
  }
  const problem = shapeProblem(kernel, shape, impl);
  if (problem !== undefined) throw new Error(problem);
  // The native side takes the seed as a 64-bit integer: a fraction would be truncated there without a word.
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`expected an integer in 0..${Number.MAX_SAFE_INTEGER} for the seed, got ${seed}`);
  return { kernel, impl, dtype: KERNEL_DTYPES[kernel], shape: [...shape], seed };
}

/** Floating-point operations of one launch: conv 2 n p q k c r s; attention 4 b h s^2 d (half when causal); triad 2 per element. */
export function workloadFlops(kernel: KernelFamily, shape: readonly number[]): number {
  switch (kernel) {
    case 'conv': {
      const [n, c, h, w, k, r, s, stride, pad] = shape as number[] as [number, number, number, number, number, number, number, number, number];
      return 2 * n * convOutputSize(h, r, stride, pad) * convOutputSize(w, s, stride, pad) * k * c * r * s;
    }
    case 'attention': {
      const [b, heads, seq, d, causal] = shape as number[] as [number, number, number, number, number];
      const full = 4 * b * heads * seq * seq * d;
      return causal === 1 ? full / 2 : full;
    }
    case 'copy':
      return 0;
    case 'triad':
      return 2 * shape[0]!;
  }
}

/** Bytes one launch must move through device memory at least: every input read once, the output written once. */
export function workloadBytes(kernel: KernelFamily, shape: readonly number[]): number {
  switch (kernel) {
    case 'conv': {
      const [n, c, h, w, k, r, s, stride, pad] = shape as number[] as [number, number, number, number, number, number, number, number, number];
      const y = n * convOutputSize(h, r, stride, pad) * convOutputSize(w, s, stride, pad) * k;
      return 2 * (n * h * w * c + k * r * s * c + y);
    }
    case 'attention': {
      const [b, heads, seq, d] = shape as number[] as [number, number, number, number];
      return 2 * 4 * b * heads * seq * d;
    }
    case 'copy':
      return 8 * shape[0]!;
    case 'triad':
      return 12 * shape[0]!;
  }
}

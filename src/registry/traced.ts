// Which of a client's kernels write CTA trace records (kernels/trace.cuh): the project's own kernels do,
// a library's (cuBLASLt, cuDNN, cudaMemcpy) do not. The figures drawn from the CTA traces (each
// client's SM share, the SMs busy and idle, the SM timeline) exist only for a client whose every
// kernel is traced; CUPTI's kernel records, where asked for, stand in for the others kernel by kernel.
// What runs where is docs/workloads.md's table "Own and library implementations".
import { isWorkload, WORKLOADS } from './workloads.js';

/** all: every kernel of a launch is traced; part: some are (a model step with library ops); none: no kernel is. */
export type CtaCoverage = 'all' | 'part' | 'none';

export interface TraceCoverage {
  coverage: CtaCoverage;
  /** The kernels that are not traced, in a few words (absent when every kernel is). */
  untraced?: string;
}

/** The single kernels' library implementations, by impl. */
const LIBRARY: Record<string, string> = { cublas: 'cuBLASLt', cudnn: 'cuDNN', cudart: 'cudaMemcpy' };

/** How much of a launch of `kernel` with `impl` the CTA traces see; undefined for a name this version does not know. */
export function traceCoverage(kernel: string, impl: string): TraceCoverage | undefined {
  if (isWorkload(kernel)) {
    // A model step runs the project's kernels for norms, activations, softmax and the rest (docs/workloads.md).
    if (impl === 'library') return { coverage: 'part', untraced: 'its cuBLASLt and cuDNN kernels' };
    // Convolution backward is cuDNN on both paths: a CNN training step is traced only in part.
    if (WORKLOADS[kernel].model === 'resnet50' && WORKLOADS[kernel].train) return { coverage: 'part', untraced: 'its cuDNN convolution backward' };
    return { coverage: 'all' };
  }
  if (impl === 'own') return { coverage: 'all' };
  const library = LIBRARY[impl];
  return library ? { coverage: 'none', untraced: `its ${library} kernels` } : undefined;
}

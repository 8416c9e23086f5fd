// Shared by the attention files (kernels/attention*.cu) and nothing else: the Hopper (wgmma) path of
// the fused attention forward pass, dispatched from kernels/attention.cu.
#pragma once

#include "launch.h"

namespace gsm {
namespace attention {

// wgmma variants: 0 = 128 query rows x 128-key blocks, 1 = 128 query rows x 64-key blocks,
// 2 = as 0 with the two consumer warpgroups taking turns on the tensor cores (ping-pong).
constexpr int kWgmmaVariants = 3;

// Where a CTA of (batch, head) = blockIdx.x stores O: the head's first element and the elements
// from one row (query) to the next. [batch, heads, seq, headDim] by default; with args.oMerged
// [batch, seq, heads, headDim], the layout the output projection reads ([tokens, hidden]).
struct OutLayout {
  size_t base, rowStride;
};
__host__ __device__ inline OutLayout outLayout(const AttentionArgs& args, int batchHead, int headDim) {
  const size_t seq = static_cast<size_t>(args.seq), hd = static_cast<size_t>(headDim);
  if (!args.oMerged) return {batchHead * seq * hd, hd};
  const size_t b = static_cast<size_t>(batchHead / args.heads), h = static_cast<size_t>(batchHead % args.heads);
  return {(b * seq * args.heads + h) * hd, static_cast<size_t>(args.heads) * hd};
}

// The caller checks the head dim (64 or 128) and that the device runs sm_90a code (args.sm90a).
int wgmmaCtaCount(const AttentionArgs& args, int wgmmaVariant);
cudaError_t configureWgmma(const AttentionArgs& args, int wgmmaVariant);
cudaError_t launchWgmma(const AttentionArgs& args, int wgmmaVariant, Interval* trace, cudaStream_t stream);

}  // namespace attention
}  // namespace gsm

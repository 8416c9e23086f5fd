// Shared by the attention files (kernels/attention*.cu) and nothing else: the Hopper (wgmma) path of
// the fused attention forward pass, dispatched from kernels/attention.cu.
#pragma once

#include "launch.h"

namespace gsm {
namespace attention {

// wgmma variants: 0 = 128 query rows x 128-key blocks, 1 = 128 query rows x 64-key blocks,
// 2 = as 0 with the two consumer warpgroups taking turns on the tensor cores (ping-pong).
constexpr int kWgmmaVariants = 3;

// The caller checks the head dim (64 or 128) and that the device runs sm_90a code (args.sm90a).
int wgmmaCtaCount(const AttentionArgs& args, int wgmmaVariant);
cudaError_t configureWgmma(const AttentionArgs& args, int wgmmaVariant);
cudaError_t launchWgmma(const AttentionArgs& args, int wgmmaVariant, Interval* trace, cudaStream_t stream);

}  // namespace attention
}  // namespace gsm

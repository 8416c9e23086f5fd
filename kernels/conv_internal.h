// Shared by the conv files (kernels/conv*.cu) and nothing else: kernels/conv.cu holds the mma.sync
// kernel and the public entry points (launch.h), and dispatches the Hopper variants to
// kernels/conv_wgmma.cu through these functions.
#pragma once

#include "launch.h"

namespace gsm {
namespace conv {

// The wgmma tile shapes, indexed 0..kWgmmaVariants-1 here (ConvArgs::variant 5 + index; conv.cu):
//   0: 128 x 256 (output pixels x output channels), 4 stages
//   1: 256 x 128, 4 stages
//   2: 128 x 128, 6 stages
//   3: 256 x 64, 5 stages
// They need c % 8 == 0 and a device running this build's sm_90a code (ConvArgs::sm90a).
constexpr int kWgmmaVariants = 4;

// True when a launch's epilogue (ConvArgs::epilogue) changes the sums: the kernels' instantiations with
// the epilogue run it, the plain ones (the same code as before it existed) the rest.
inline bool hasEpilogue(const ConvEpilogue& e) { return e.gamma != nullptr || e.residual != nullptr || e.relu; }

// Trace records per launch: one per output tile (the CTAs are persistent and record each tile).
int wgmmaTileCount(const ConvArgs& args, int variant);
cudaError_t configureWgmma(int variant);
cudaError_t launchWgmma(const ConvArgs& args, int variant, Interval* trace, cudaStream_t stream);

}  // namespace conv
}  // namespace gsm

// Shared by the gemm files (kernels/gemm*.cu) and nothing else: each path's geometry and launcher.
// kernels/gemm.cu plans and dispatches; gemm_wgmma.cu, gemm_mma.cu and gemm_simt.cu hold the kernels.
#pragma once

#include "launch.h"

namespace gsm {
namespace gemm {

__host__ __device__ inline int ceilDiv(int a, int b) { return (a + b - 1) / b; }

// ---- wgmma (Hopper) ----
constexpr int kWgmmaTileM = 128, kWgmmaTileN = 256;
constexpr int kWgmmaStages = 4;
constexpr int kWgmmaThreads = 384;  // one producer and two consumer warpgroups
constexpr size_t kWgmmaStageBytes = (kWgmmaTileM + kWgmmaTileN) * 128;  // one 128-byte row each
// Dynamic shared memory: 1 KB of alignment slack, the stages, then the mbarriers.
constexpr size_t kWgmmaSharedBytes = 1024 + kWgmmaStages * kWgmmaStageBytes + 2 * kWgmmaStages * 8;

// Encodes the plan's TMA descriptors for operands a and b (or the transposed B in `workspace`).
cudaError_t bindWgmma(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode);
// CTAs a persistent launch uses on this device (whole clusters that fit at once).
cudaError_t wgmmaGrid(const GemmPlan& plan, int device, int* grid);
cudaError_t launchWgmma(const GemmPlan& plan, const void* b, float* c, void* workspace, Interval* trace,
                        cudaStream_t stream);

// ---- mma.sync (sm_80 and newer) ----
constexpr int kMmaTileM = 128, kMmaTileN = 128;
cudaError_t launchMma(const GemmPlan& plan, const void* a, const void* b, float* c, Interval* trace,
                      cudaStream_t stream);

// ---- SIMT fp32 ----
constexpr int kSimtTileM = 128, kSimtTileN = 128;
cudaError_t launchSimt(const GemmPlan& plan, const float* a, const float* b, float* c, Interval* trace,
                       cudaStream_t stream);

}  // namespace gemm
}  // namespace gsm

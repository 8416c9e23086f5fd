// Shared by the gemm files (kernels/gemm*.cu) and nothing else: each path's geometry and launcher,
// the batch strides, and the epilogue every path stores C with (alpha, accumulate, fp32 or bf16 C).
// kernels/gemm.cu plans and dispatches; gemm_wgmma.cu, gemm_mma.cu, gemm_simt.cu, gemm_skinny.cu and
// gemm_skinny_mma.cu hold the kernels.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include "launch.h"
#ifdef __CUDACC__
#include "activation.cuh"
#endif

namespace gsm {
namespace gemm {

__host__ __device__ inline int ceilDiv(int a, int b) { return (a + b - 1) / b; }

// The stored extents of the operands (rows x columns as stored, row-major) and the batch strides
// with 0 resolved to the packed size.
struct Strides {
  int64_t a, b, c;
};
inline Strides batchStrides(const GemmShape& s) {
  const int64_t m = s.m, n = s.n, k = s.k;
  return Strides{s.strideA > 0 ? s.strideA : m * k, s.strideB > 0 ? s.strideB : k * n,
                 s.strideC > 0 ? s.strideC : m * n};
}
inline size_t elementBytes(GemmDtype d) { return d == GemmDtype::Bf16 || d == GemmDtype::Fp16 ? 2 : 4; }

// How a path writes C: C[batch][row][col] = alpha * acc (+ C when accumulate), fp32 or bf16; and
// where the plan's epilogue finishes the values too (bias and act: GemmShape; planGemm refuses them
// with accumulate) C = act(alpha * acc + bias[col]). Only the kernels that finish in their own
// stores carry that code (finishesInKernel: the 128x64 wgmma tile of a Linear's y = x W^T, compiled
// per activation, and split K's adding kernel). Inlined into every kernel's fully unrolled stores,
// all activations at once, it tripled the 128x256 wgmma tile's code (64 to 206 KB) and, measured,
// halved its speed. The other paths store alpha * acc and launchGemm then runs finishGemm over C.
struct Epilogue {
  void* c;          // batch 0's C [m, n]
  int64_t strideC;  // elements from one batch's C to the next
  float alpha;
  bool accumulate;  // fp32 C only (planGemm refuses it with bf16 C)
  bool bf16;        // C holds bf16 bit patterns
  bool pairs;       // two columns (col even) may go as one 8-byte (fp32) or 4-byte (bf16) store
  const float* bias = nullptr;  // fp32 [n], or null
  Activation act = Activation::None;
};
// `pairs` for a plan's shape and C pointer: n and the batch stride even, C aligned to a pair.
inline Epilogue makeEpilogue(const GemmShape& s, void* c, const float* bias) {
  const Strides st = batchStrides(s);
  const bool bf16 = s.out == GemmOut::Bf16;
  const uintptr_t align = bf16 ? 4 : 8;
  const bool pairs =
      (s.n % 2) == 0 && (s.batch == 1 || (st.c % 2) == 0) && (reinterpret_cast<uintptr_t>(c) % align) == 0;
  return Epilogue{c, st.c, s.alpha, s.accumulate, bf16, pairs, s.bias ? bias : nullptr, s.act};
}
// A split-K slice's partial tile: fp32 as accumulated, packed [m, n] per batch (the adding kernel
// applies the plan's epilogue).
__host__ __device__ inline Epilogue partialEpilogue(float* slice, int m, int n) {
  return Epilogue{slice, static_cast<int64_t>(m) * n, 1.0f, false, false, (n % 2) == 0};
}

#ifdef __CUDACC__
// What a kernel's stores do besides alpha (the template argument of storePair): kStorePlain nothing
// more; kStoreFinish the epilogue's bias and activation (e.bias and e.act read at the store: for
// rolled loops); storeFinishing(act) the bias values the caller passes (loaded before its first
// store: a load after a store to C, which may alias it, waits for that store) and that one
// activation, compiled in (for unrolled stores).
constexpr int kStorePlain = 0, kStoreFinish = -1;
constexpr int storeFinishing(Activation act) { return 1 + static_cast<int>(act); }

// alpha, and unless kStorePlain the bias (kStoreFinish: e.bias[col]; else `bias`) and the
// activation, on one value of column col (< n).
template <int kStore>
__device__ __forceinline__ float finish(const Epilogue& e, int col, float v, float bias) {
  v *= e.alpha;
  if constexpr (kStore == kStoreFinish) {
    if (e.bias != nullptr) v += e.bias[col];
    if (e.act != Activation::None) v = activate(v, e.act);
  } else if constexpr (kStore != kStorePlain) {
    v = activate(v + bias, static_cast<Activation>(kStore - 1));
  }
  return v;
}
// Stores C[batch][row][col] and C[batch][row][col + 1] (either may lie past n; row < m is the
// caller's); bias0 and bias1 are the columns' biases for storeFinishing(act).
template <int kStore = kStorePlain>
__device__ __forceinline__ void storePair(const Epilogue& e, int batch, int row, int col, int n, float v0, float v1,
                                          float bias0 = 0.0f, float bias1 = 0.0f) {
  const size_t index = static_cast<size_t>(batch) * e.strideC + static_cast<size_t>(row) * n + col;
  if constexpr (kStore != kStorePlain) {
    if (col < n) v0 = finish<kStore>(e, col, v0, bias0);
    if (col + 1 < n) v1 = finish<kStore>(e, col + 1, v1, bias1);
  } else {
    v0 *= e.alpha;
    v1 *= e.alpha;
  }
  if (e.bf16) {
    __nv_bfloat16* out = static_cast<__nv_bfloat16*>(e.c) + index;
    if (e.pairs && col + 1 < n) {
      *reinterpret_cast<__nv_bfloat162*>(out) = __floats2bfloat162_rn(v0, v1);
    } else {
      if (col < n) out[0] = __float2bfloat16_rn(v0);
      if (col + 1 < n) out[1] = __float2bfloat16_rn(v1);
    }
    return;
  }
  float* out = static_cast<float*>(e.c) + index;
  if (e.pairs && col + 1 < n) {
    float2 v = make_float2(v0, v1);
    if (e.accumulate) {
      const float2 old = *reinterpret_cast<const float2*>(out);
      v.x += old.x;
      v.y += old.y;
    }
    *reinterpret_cast<float2*>(out) = v;
  } else {
    if (col < n) out[0] = e.accumulate ? out[0] + v0 : v0;
    if (col + 1 < n) out[1] = e.accumulate ? out[1] + v1 : v1;
  }
}
// One element (col < n).
__device__ __forceinline__ void storeOne(const Epilogue& e, int batch, int row, int col, int n, float v) {
  const size_t index = static_cast<size_t>(batch) * e.strideC + static_cast<size_t>(row) * n + col;
  v = finish<kStorePlain>(e, col, v, 0.0f);
  if (e.bf16) {
    static_cast<__nv_bfloat16*>(e.c)[index] = __float2bfloat16_rn(v);
  } else {
    float* out = static_cast<float*>(e.c) + index;
    *out = e.accumulate ? *out + v : v;
  }
}
#endif

// Whether the plan's shape asks for a bias or an activation (GemmShape::bias, act).
inline bool finishing(const GemmShape& s) { return s.bias || s.act != Activation::None; }
// Whether the plan's kernels apply them in their own stores (the 128x64 wgmma tile with B^T as stored,
// split K's adding kernel); otherwise launchGemm runs finishGemm after the path's launch.
bool finishesInKernel(const GemmPlan& plan);
// C = act(C + bias[col]) in place over every batch's C [m, n] (gemm_finish.cu): the epilogue as a pass
// of its own, for the paths that store alpha * acc. Untraced (the gemm's records are its tiles').
cudaError_t finishGemm(const GemmShape& s, const Epilogue& e, cudaStream_t stream);

// ---- wgmma (Hopper) ----
// Tiles of 128 rows by 256 columns (4 stages), or for 16-bit operands 64 columns (8 stages: the
// same shared memory, twice as many blocks of K in flight for the short products that choose it).
constexpr int kWgmmaTileM = 128, kWgmmaWideN = 256, kWgmmaNarrowN = 64;
constexpr int kWgmmaThreads = 384;  // one producer and two consumer warpgroups
constexpr int wgmmaStages(int tileN) { return tileN == kWgmmaWideN ? 4 : 8; }
constexpr size_t wgmmaStageBytes(int tileN) { return static_cast<size_t>(kWgmmaTileM + tileN) * 128; }  // 128-byte rows
// Dynamic shared memory: 1 KB of alignment slack, the stages, then the mbarriers.
constexpr size_t wgmmaSharedBytes(int tileN) {
  return 1024 + wgmmaStages(tileN) * wgmmaStageBytes(tileN) + 2 * wgmmaStages(tileN) * 8;
}

constexpr int kWgmmaMaxSplits = 16;
constexpr int kSplitSumThreads = 256;  // threads per CTA of the kernel adding split-K slices (2 columns each)
// Bytes of workspace the wgmma path needs: tf32 reads its operands only K-major, so B (unless
// transB) and A (when transA) are first transposed into it, B^T first, then A^T; with split K
// (splits > 1) the fp32 partial C of every slice follows, 256-byte aligned.
size_t wgmmaWorkspaceBytes(const GemmShape& s, int splits);
// Slices of K per tile for `units` tiles on `sms` SMs: where the tiles fill less than half the SMs
// and K has at least 32 blocks (64-deep; tf32 32-deep), enough slices to fill the SMs with at least
// 6 blocks each, at most kWgmmaMaxSplits; otherwise 1. `asked` (GemmOptions::splitK) > 0 sets it (at
// most 16, at least two blocks per slice; 1: none).
int wgmmaSplits(const GemmShape& s, int units, int sms, int asked);
// CTAs of the kernel that adds the slices (one trace record each): at most one per SM.
int splitSumCtas(const GemmShape& s, int sms);
// Encodes the plan's TMA descriptors for operands a and b (or their transposes in `workspace`).
cudaError_t bindWgmma(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode);
// CTAs a persistent launch uses on this device (whole clusters that fit at once; plan.tileN wide tiles).
cudaError_t wgmmaGrid(const GemmPlan& plan, int device, int* grid);
// Each path's launch stores C through `out` (makeEpilogue: C, alpha, accumulate, bias, activation).
cudaError_t launchWgmma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, void* workspace,
                        Interval* trace, cudaStream_t stream);

// ---- mma.sync (sm_80 and newer) ----
constexpr int kMmaTileM = 128, kMmaTileN = 128;
cudaError_t launchMma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                      cudaStream_t stream);

// ---- SIMT fp32 ----
constexpr int kSimtTileM = 128, kSimtTileN = 128;
cudaError_t launchSimt(const GemmPlan& plan, const float* a, const float* b, const Epilogue& out, Interval* trace,
                       cudaStream_t stream);

// ---- skinny (few rows of A, B streamed once) ----
// Two kernels: fp32 FFMA (gemm_skinny.cu, every layout) and mma.sync (gemm_skinny_mma.cu, B^T
// [n, k] only); the plan says which (GemmPlan::skinnyMma), launchSkinny dispatches.
// CTAs per batch of a skinny launch (one trace record each).
int skinnyCtas(const GemmShape& s, bool mma);
cudaError_t launchSkinny(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                         cudaStream_t stream);
// The tensor-core kernel: whether it takes the shape (bf16, transB, m <= kSkinnyMaxM; either op(A)),
// its CTAs per batch, its launch.
bool skinnyMmaFits(const GemmShape& s);
int skinnyMmaCtas(const GemmShape& s);
cudaError_t launchSkinnyMma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, Interval* trace,
                            cudaStream_t stream);

}  // namespace gemm
}  // namespace gsm

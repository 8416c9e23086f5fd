// attention on Hopper: the fused forward pass of kernels/attention.cu with wgmma (warpgroup matrix
// multiply) instead of mma.sync, for devices that run this build's sm_90a code.
//
// A CTA owns 128 query rows of one (batch, head) and has three warpgroups. Warpgroup 0 is the
// producer: it copies Q once, then K_j and V_j for every block of BN keys, into a ring of two
// shared-memory stages each, with 16-byte cp.async (zero fill for rows at or past seq); each of its
// 128 threads then arrives on the stage's "full" mbarrier through cp.async.mbarrier.arrive.noinc, so
// the barrier completes when every copy has landed. K and V have their own stages and barriers, so
// S = Q K_j^T can start before V_j is in. The two consumer warpgroups own 64 query rows each:
//   S_j = Q K_j^T     wgmma m64nBNk16, both operands K-major in shared memory
//   online softmax    in registers (base 2, scale folded in), as attention.cu
//   O += P_j V_j      wgmma m64nHDk16, A = P from registers (bf16, converted from the S
//                     accumulators: the accumulator and A-fragment layouts match), B = V N-major
// and overlap the two inside a warpgroup: S_{j+1} and P_j V_j are issued together, the softmax of
// S_{j+1} runs while P_j V_j is still on the tensor cores, and O is rescaled once that has retired.
// One thread per consumer warpgroup releases a stage (its "empty" mbarrier, count 2) after the wgmma
// that read it has retired. Optionally (kPingPong) the two consumer warpgroups take turns issuing
// their wgmma (named barriers 1 and 2), so that one's softmax runs while the other's products are
// on the tensor cores instead of both competing for them at once.
//
// Shared memory, every tile in the 128-byte swizzle wgmma reads (rows of 128 bytes, 16-byte chunk c
// of row r at c ^ (r % 8), 1024-byte-aligned boxes): a tile of R rows x HD columns is HD / 64 boxes of
// R rows x 64 columns. Descriptors (conventions verified on the H200 by kernels/gemm_wgmma.cu):
//   Q, K (K-major, k = head dim): box kk / 4, start + (kk % 4) * 32 bytes, LBO 16, SBO 1024
//   V (N-major, k = key, n = head dim; tnspB = 1): start + kk * 2048 bytes (16 key rows), LBO = one
//     box (BN * 128 bytes, the next 64 columns of n), SBO 1024 (the next 8 key rows)
// cp.async writes through the generic proxy and wgmma reads through the async proxy, so a consumer
// executes fence.proxy.async after waiting on a "full" barrier, and the producer after waiting on an
// "empty" one (wgmma reads, then cp.async overwrites).
//
// Masking and raggedness as attention.cu: keys past seq and (causal) keys after the query are -inf,
// query rows past seq are computed on zeros and not stored, causal CTAs stop at their last row's
// block and are ordered heaviest first.
#include <cmath>
#include <cuda_bf16.h>
#include "attention_internal.h"
#include "mma.cuh"
#include "sm90.cuh"
#include "wgmma.cuh"
#include "trace.cuh"

namespace gsm {
namespace attention {
namespace {

template <int HD_, int BN_, bool kPingPong_ = false>
struct WgmmaTile {
  static constexpr int HD = HD_, BN = BN_, BM = 128;
  static constexpr bool kPingPong = kPingPong_;  // the consumer warpgroups take turns issuing wgmma
  static constexpr int kThreads = 384;  // producer warpgroup + two consumer warpgroups of 64 rows
  static constexpr int kStages = 2;
  static constexpr uint32_t kQBox = BM * 128, kKVBox = BN * 128;  // bytes of one 64-column box
  static constexpr uint32_t kQBytes = BM * HD * 2, kKVBytes = BN * HD * 2;
  static constexpr uint32_t kOffK = kQBytes, kOffV = kOffK + kStages * kKVBytes;
  static constexpr uint32_t kOffBarriers = kOffV + kStages * kKVBytes;
  static constexpr int kBarriers = 1 + 4 * kStages;  // Q full; K full, K empty, V full, V empty per stage
  // 1 KB of alignment slack, the tiles, the mbarriers.
  static constexpr size_t kSharedBytes = 1024 + kOffBarriers + 8 * kBarriers;
  static_assert(HD % 64 == 0 && (BN == 64 || BN == 128), "tiling");
  static_assert(kSharedBytes <= 227 * 1024, "shared memory");
};

#ifdef GSM_SM90A
using namespace sm90;

// Keeps the A fragments of an in-flight wgmma live (and unmoved) until its wait.
template <int N>
__device__ __forceinline__ void pinFragments(uint32_t (&p)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+r"(p[i][e])::"memory");
}

__device__ __forceinline__ float fastExp2(float x) {  // 2^x; -inf gives +0
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Producer: copies rows [row0, row0 + Rows) of one head's [seq, HD] matrix into the swizzled tile at
// `dst` (HD / 64 boxes of Rows x 128 bytes), one 128-thread warpgroup; rows at or past seq become
// zeros. Thread `tid` always copies chunk tid % (HD / 8) of every (128 / (HD / 8))-th row, so its
// shared and global addresses advance by constants.
template <class T, int Rows>
__device__ __forceinline__ void copyTile(uint32_t dst, const __nv_bfloat16* src, int row0, int seq, int tid) {
  constexpr int kChunksPerRow = T::HD / 8;
  constexpr int kRowsPerPass = 128 / kChunksPerRow;  // 8 or 16: a multiple of the swizzle period
  const int chunk = tid % kChunksPerRow, r = tid / kChunksPerRow;
  const uint32_t to = dst + (chunk / 8) * (Rows * 128) + swizzle128(r, chunk % 8);
  const __nv_bfloat16* from = src + (static_cast<size_t>(row0) + r) * T::HD + chunk * 8;
  // Unrolled by 8, not fully: 16 copies in flight per thread made ptxas spill in the producer's
  // 40-register budget (HD 128, 128 rows).
#pragma unroll 8
  for (int i = 0; i < Rows / kRowsPerPass; ++i) {
    const bool valid = row0 + r + i * kRowsPerPass < seq;
    mma::copy16(to + i * kRowsPerPass * 128, valid ? from + i * kRowsPerPass * T::HD : src, valid);
  }
}
#endif  // GSM_SM90A

template <class T, bool kCausal>
__global__ void __launch_bounds__(T::kThreads, 1) attentionWgmmaKernel(AttentionArgs args, Interval* trace) {
#ifdef GSM_SM90A
  CtaTrace cta(trace);
  extern __shared__ __align__(1024) uint8_t sharedRaw[];
  const uint32_t base = (sharedAddress(sharedRaw) + 1023u) & ~1023u;
  const uint32_t sQ = base;
  auto stageK = [&](int s) { return base + T::kOffK + s * T::kKVBytes; };
  auto stageV = [&](int s) { return base + T::kOffV + s * T::kKVBytes; };
  const uint32_t barriers = base + T::kOffBarriers;
  const uint32_t qFull = barriers;
  auto kFull = [&](int s) { return barriers + 8 * (1 + s); };
  auto kEmpty = [&](int s) { return barriers + 8 * (1 + T::kStages + s); };
  auto vFull = [&](int s) { return barriers + 8 * (1 + 2 * T::kStages + s); };
  auto vEmpty = [&](int s) { return barriers + 8 * (1 + 3 * T::kStages + s); };

  const int seq = args.seq;
  const int mBlock = gridDim.y - 1 - blockIdx.y;  // heaviest first
  const int q0 = mBlock * T::BM;
  const size_t head = static_cast<size_t>(blockIdx.x) * seq * T::HD;
  const int keysEnd = kCausal ? min(seq, q0 + T::BM) : seq;
  const int blocks = (keysEnd + T::BN - 1) / T::BN;

  if (threadIdx.x == 0) {
    mbarInit(qFull, 128);
    for (int s = 0; s < T::kStages; ++s) {
      mbarInit(kFull(s), 128);  // every producer thread arrives once its copies have landed
      mbarInit(vFull(s), 128);
      mbarInit(kEmpty(s), 2);   // one thread of each consumer warpgroup
      mbarInit(vEmpty(s), 2);
    }
    mbarInitFence();
  }
  __syncthreads();

  const int warpgroup = threadIdx.x / 128, tid = threadIdx.x % 128;
  if (warpgroup == 0) {
    // ---- producer ----
    setMaxRegistersDec<40>();
    const auto* q = reinterpret_cast<const __nv_bfloat16*>(args.q) + head;
    const auto* k = reinterpret_cast<const __nv_bfloat16*>(args.k) + head;
    const auto* v = reinterpret_cast<const __nv_bfloat16*>(args.v) + head;
    copyTile<T, T::BM>(sQ, q, q0, seq, tid);
    cpAsyncArrive(qFull);
    for (int j = 0; j < blocks; ++j) {
      const int s = j % T::kStages;
      const uint32_t parity = ((j / T::kStages) & 1) ^ 1;  // the first pass over the ring finds it free
      mbarWait(kEmpty(s), parity);
      fenceProxyAsyncShared();
      copyTile<T, T::BN>(stageK(s), k, j * T::BN, seq, tid);
      cpAsyncArrive(kFull(s));
      mbarWait(vEmpty(s), parity);
      fenceProxyAsyncShared();
      copyTile<T, T::BN>(stageV(s), v, j * T::BN, seq, tid);
      cpAsyncArrive(vFull(s));
    }
    asm volatile("cp.async.wait_all;" ::: "memory");  // nothing in flight when the thread moves on
  } else {
    // ---- consumers ----
    setMaxRegistersInc<232>();
    const int wg = warpgroup - 1;  // query rows q0 + 64 wg .. q0 + 64 wg + 63
    const int warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    const int wgRow0 = q0 + wg * 64;
    const int row0 = wgRow0 + warp * 16 + g;  // this thread's rows: row0 and row0 + 8
    const uint32_t qBase = sQ + wg * 64 * 128;
    const float scaleLog2 = args.scale * 1.4426950408889634f;

    float s[T::BN / 2], o[T::HD / 2];
    uint32_t p[T::BN / 16][4];
#pragma unroll
    for (int i = 0; i < T::BN / 2; ++i) s[i] = 0.0f;
#pragma unroll
    for (int i = 0; i < T::HD / 2; ++i) o[i] = 0.0f;
#pragma unroll
    for (int i = 0; i < T::BN / 16; ++i) p[i][0] = p[i][1] = p[i][2] = p[i][3] = 0u;
    float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.0f, 0.0f}, alpha[2] = {1.0f, 1.0f};

    auto issueS = [&](int stage) {  // S = Q K^T over the head dim
      const uint32_t kBase = stageK(stage);
#pragma unroll
      for (int kk = 0; kk < T::HD / 16; ++kk) {
        const uint64_t descA = smemDescriptor(qBase + (kk / 4) * T::kQBox + (kk % 4) * 32, 16, 1024);
        const uint64_t descB = smemDescriptor(kBase + (kk / 4) * T::kKVBox + (kk % 4) * 32, 16, 1024);
        wgmmaSS<T::BN, 0>(s, descA, descB, kk > 0 ? 1u : 0u);
      }
      wgmmaCommit();
    };
    auto issuePV = [&](int stage) {  // O += P V over the block's keys
      const uint32_t vBase = stageV(stage);
#pragma unroll
      for (int kk = 0; kk < T::BN / 16; ++kk) {
        wgmmaRS<T::HD, 1>(o, p[kk], smemDescriptor(vBase + kk * 2048, T::kKVBox, 1024));  // V is N-major
      }
      wgmmaCommit();
    };
    auto release = [&](uint32_t bar) {
      if (tid == 0) mbarArrive(bar);
    };
    // Ping-pong: warpgroup 0 issues on barrier 1 and hands over on barrier 2, warpgroup 1 the reverse.
    // Both issue blocks + 1 times; warpgroup 1 starts by handing over and skips its last hand-over, so
    // every arrival is matched and no barrier is left part-way at exit.
    auto takeTurn = [&]() {
      if constexpr (T::kPingPong) {
        if (wg == 0) {
          asm volatile("bar.sync 1, 256;" ::: "memory");
        } else {
          asm volatile("bar.sync 2, 256;" ::: "memory");
        }
      }
    };
    auto passTurn = [&](bool last) {
      if constexpr (T::kPingPong) {
        if (wg == 0) {
          asm volatile("bar.arrive 2, 256;" ::: "memory");
        } else if (!last) {
          asm volatile("bar.arrive 1, 256;" ::: "memory");
        }
      }
    };
    if constexpr (T::kPingPong) {
      if (wg == 1) asm volatile("bar.arrive 1, 256;" ::: "memory");
    }
    // Masks S_j, updates the running maxima and sums, leaves P_j (fp32) in s and the factor the
    // accumulated O must be scaled by in alpha.
    auto softmax = [&](int j) {
      const int kv0 = j * T::BN;
      if (kv0 + T::BN > seq || (kCausal && kv0 + T::BN - 1 > wgRow0)) {
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int row = row0 + (e >> 1) * 8;
            const int col = kv0 + n * 8 + 2 * t + (e & 1);
            if (col >= seq || (kCausal && col > row)) s[4 * n + e] = -INFINITY;
          }
      }
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        float mx = -INFINITY;
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n) mx = fmaxf(mx, fmaxf(s[4 * n + 2 * half], s[4 * n + 2 * half + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float newMax = fmaxf(rowMax[half], mx * scaleLog2);
        const float shift = newMax == -INFINITY ? 0.0f : newMax;  // a row with nothing seen yet
        alpha[half] = fastExp2(rowMax[half] - shift);
        rowMax[half] = newMax;
        float sum = 0.0f;
#pragma unroll
        for (int n = 0; n < T::BN / 8; ++n) {
#pragma unroll
          for (int e = 2 * half; e < 2 * half + 2; ++e) {
            const float x = fastExp2(fmaf(s[4 * n + e], scaleLog2, -shift));
            s[4 * n + e] = x;
            sum += x;
          }
        }
        rowSum[half] = rowSum[half] * alpha[half] + sum;  // this thread's share; summed over the quad at the end
      }
    };
    auto rescaleO = [&]() {
      // Once the maxima settle alpha is 1 for every row of the warp: skip the multiplies.
      if (__any_sync(0xffffffffu, alpha[0] != 1.0f || alpha[1] != 1.0f)) {
#pragma unroll
        for (int d = 0; d < T::HD / 8; ++d) {
          o[4 * d + 0] *= alpha[0];
          o[4 * d + 1] *= alpha[0];
          o[4 * d + 2] *= alpha[1];
          o[4 * d + 3] *= alpha[1];
        }
      }
    };
    auto packP = [&]() {  // the S accumulators of k16 chunk kk are the A fragment of chunk kk
#pragma unroll
      for (int kk = 0; kk < T::BN / 16; ++kk) {
        p[kk][0] = mma::packBf16(s[8 * kk + 0], s[8 * kk + 1]);
        p[kk][1] = mma::packBf16(s[8 * kk + 2], s[8 * kk + 3]);
        p[kk][2] = mma::packBf16(s[8 * kk + 4], s[8 * kk + 5]);
        p[kk][3] = mma::packBf16(s[8 * kk + 6], s[8 * kk + 7]);
      }
    };

    mbarWait(qFull, 0);
    // Block 0: S_0, its softmax, P_0 (O is still zero: nothing to rescale).
    mbarWait(kFull(0), 0);
    fenceProxyAsyncShared();
    takeTurn();
    pinRegisters(s);
    wgmmaFence();
    issueS(0);
    passTurn(false);
    wgmmaWait<0>();
    pinRegisters(s);
    release(kEmpty(0));
    softmax(0);
    packP();

    for (int j = 1; j < blocks; ++j) {
      const int sK = j % T::kStages, sV = (j - 1) % T::kStages;
      mbarWait(kFull(sK), (j / T::kStages) & 1);
      mbarWait(vFull(sV), ((j - 1) / T::kStages) & 1);
      fenceProxyAsyncShared();
      pinRegisters(s);
      pinRegisters(o);
      pinFragments(p);
      takeTurn();
      wgmmaFence();
      issueS(sK);   // S_j = Q K_j^T
      issuePV(sV);  // O += P_{j-1} V_{j-1}, on the tensor cores while S_j's softmax runs
      passTurn(false);
      wgmmaWait<1>();
      pinRegisters(s);
      release(kEmpty(sK));
      softmax(j);
      wgmmaWait<0>();
      pinRegisters(o);
      pinFragments(p);
      release(vEmpty(sV));
      rescaleO();
      packP();
    }
    {
      const int sV = (blocks - 1) % T::kStages;
      mbarWait(vFull(sV), ((blocks - 1) / T::kStages) & 1);
      fenceProxyAsyncShared();
      pinRegisters(o);
      pinFragments(p);
      takeTurn();
      wgmmaFence();
      issuePV(sV);
      passTurn(true);
      wgmmaWait<0>();
      pinRegisters(o);
      pinFragments(p);
      release(vEmpty(sV));
    }

    // O = acc / rowSum, rounded to bf16, rows past seq dropped.
    const OutLayout layout = outLayout(args, blockIdx.x, T::HD);
    auto* out = reinterpret_cast<__nv_bfloat16*>(args.o) + layout.base;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float sum = rowSum[half];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
      const int row = row0 + half * 8;
      if (row >= seq) continue;
      __nv_bfloat16* dst = out + static_cast<size_t>(row) * layout.rowStride + 2 * t;
#pragma unroll
      for (int d = 0; d < T::HD / 8; ++d) {
        *reinterpret_cast<__nv_bfloat162*>(dst + d * 8) =
            __floats2bfloat162_rn(o[4 * d + 2 * half] * inv, o[4 * d + 2 * half + 1] * inv);
      }
    }
  }
  cta.end();  // every thread, the producer's included
#endif  // GSM_SM90A
}

template <int HD, class F>
auto withTile(int wgmmaVariant, F&& f) {
  switch (wgmmaVariant) {
    case 1: return f(WgmmaTile<HD, 64>{});
    case 2: return f(WgmmaTile<HD, 128, true>{});
    default: return f(WgmmaTile<HD, 128>{});
  }
}

template <class F>
auto dispatch(const AttentionArgs& a, int wgmmaVariant, F&& f) {
  return a.headDim == 64 ? withTile<64>(wgmmaVariant, f) : withTile<128>(wgmmaVariant, f);
}

template <class T>
cudaError_t configureTile() {
  cudaError_t e = cudaFuncSetAttribute(attentionWgmmaKernel<T, false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(T::kSharedBytes));
  if (e != cudaSuccess) return e;
  return cudaFuncSetAttribute(attentionWgmmaKernel<T, true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(T::kSharedBytes));
}

template <class T>
cudaError_t launchTile(const AttentionArgs& a, Interval* trace, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(a.batch * a.heads), static_cast<unsigned>((a.seq + T::BM - 1) / T::BM));
  if (a.causal) {
    attentionWgmmaKernel<T, true><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, trace);
  } else {
    attentionWgmmaKernel<T, false><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, trace);
  }
  return cudaGetLastError();
}

}  // namespace

int wgmmaCtaCount(const AttentionArgs& a, int wgmmaVariant) {
  return dispatch(a, wgmmaVariant, [&](auto tile) {
    return a.batch * a.heads * ((a.seq + decltype(tile)::BM - 1) / decltype(tile)::BM);
  });
}

cudaError_t configureWgmma(const AttentionArgs& a, int wgmmaVariant) {
  return dispatch(a, wgmmaVariant, [](auto tile) { return configureTile<decltype(tile)>(); });
}

cudaError_t launchWgmma(const AttentionArgs& a, int wgmmaVariant, Interval* trace, cudaStream_t stream) {
  return dispatch(a, wgmmaVariant, [&](auto tile) { return launchTile<decltype(tile)>(a, trace, stream); });
}

}  // namespace attention
}  // namespace gsm

// conv on Hopper: the implicit-GEMM forward convolution of kernels/conv.cu (same tensors, same
// GEMM view: M = n p q output pixels, N = k output channels, K = r s c) on wgmma.
//
// Each CTA has three warpgroups and is persistent: it walks output tiles of BM pixels x BN channels
// (tile t of the launch at t = blockIdx.x, blockIdx.x + gridDim.x, ...; channel tiles fastest, so
// the CTAs running at once share their input pixels in L2). K is walked in slices of 64 through a
// ring of STAGES shared-memory stages guarded by mbarriers:
//   - warpgroup 0, the producer, gathers each slice with cp.async: the A slice (BM rows of 64
//     K-elements, patches of x gathered on the fly as in conv.cu: im2col is never materialised) and
//     the B slice (BN filter rows, KRSC is K-major already), zero-filling padding, rows past M,
//     channels past k and kk past K. Two threads share a 128-byte row (each a 32-byte sector per
//     step, so the warp's requests are whole sectors), and each thread's chunks advance 16
//     elements of K at a time, so one (r, s, channel) counter per thread serves every row it
//     copies. The copies land in the 128-byte swizzle wgmma reads (sm90::swizzle128); each thread
//     then arrives on the stage's full barrier when its copies have completed
//     (cp.async.mbarrier.arrive.noinc, 128 arrivals per phase). It waits on the stage's empty
//     barrier before refilling it.
//   - warpgroups 1 and 2, the consumers, own BM/2 rows each (one or two m64 wgmma tiles): they wait
//     on the full barrier, fence the generic proxy (cp.async wrote the stage) against the async
//     proxy (wgmma reads it), issue 4 k16 steps of wgmma m64nBNk16 per m64 tile, and release the
//     previous stage once its wgmma group has retired (one group always in flight), as
//     kernels/gemm_wgmma.cu does. Both operands are K-major (no transpose flags).
// Epilogue: fp32 accumulators through ConvArgs::epilogue (kernels/conv_epilogue.cuh), rounded to bf16
// and stored straight to y (NHWK), rows < M and channels < k only, in pairs when k is even.
//
// Vector path only (c % 8 == 0: every 16-byte chunk is 8 channels of one filter tap); other c use
// the mma.sync kernel. The sm_90a build holds the kernel bodies; elsewhere they compile to nothing,
// and conv.cu never picks these variants unless ConvArgs::sm90a says the device runs sm_90a code.
//
// Tracing: one record per output tile (start: the consumers begin the tile; end: its last store),
// indexed by tile, so that a record means "this tile of y was computed on this SM then".
#include <climits>
#include <cuda_bf16.h>
#include "conv_epilogue.cuh"
#include "conv_internal.h"
#include "mma.cuh"
#include "sm90.cuh"
#include "wgmma.cuh"
#include "trace.cuh"

namespace gsm {
namespace conv {
namespace {

template <int BM_, int BN_, int STAGES_>
struct WgmmaTile {
  static constexpr int BM = BM_, BN = BN_, STAGES = STAGES_;
  static constexpr int BK = 64;  // one 128-byte swizzled row per tile row and stage
  static constexpr int kThreads = 384;  // one producer and two consumer warpgroups
  static constexpr int kMTiles = BM / 128;  // m64 wgmma tiles per consumer warpgroup
  static constexpr int kAcc = BN / 2;  // fp32 accumulators per thread per m64 tile
  static constexpr int kRowsA = BM / 64, kRowsB = BN / 64;  // rows per producer thread (two threads a row)
  static constexpr uint32_t kBytesA = BM * 128, kBytesB = BN * 128;
  static constexpr uint32_t kStageBytes = kBytesA + kBytesB;  // a multiple of 1 KB: stages stay aligned
  // Dynamic shared memory: 1 KB of alignment slack, the stages, then the full and empty mbarriers.
  static constexpr size_t kSharedBytes = 1024 + static_cast<size_t>(STAGES) * kStageBytes + 2 * STAGES * 8;
  static_assert(BM == 128 || BM == 256, "BM: one or two m64 tiles per consumer warpgroup");
  static_assert(BN == 64 || BN == 128 || BN == 256, "BN: a wgmma n of 64, 128 or 256");
  static_assert(kSharedBytes <= 227 * 1024, "shared memory per CTA");
};

using namespace sm90;

// kEpilogue: the instantiation that applies ConvArgs::epilogue (the plain one has none of its code).
template <class T, bool kEpilogue>
__global__ void __launch_bounds__(384, 1) convWgmmaKernel(ConvArgs args, int tilesN, int tiles, Interval* trace) {
#ifdef GSM_SM90A
  extern __shared__ __align__(1024) uint8_t sharedRaw[];
  // Stages at a 1 KB boundary (the 128-byte swizzle repeats every 1 KB), then the mbarriers.
  const uint32_t base = (sharedAddress(sharedRaw) + 1023u) & ~1023u;
  const uint32_t barriers = base + T::STAGES * T::kStageBytes;
  auto stageA = [&](uint32_t s) { return base + s * T::kStageBytes; };
  auto fullBar = [&](uint32_t s) { return barriers + 8 * s; };
  auto emptyBar = [&](uint32_t s) { return barriers + 8 * (T::STAGES + s); };

  const int C = args.c, K = args.k;
  const int kTotal = args.r * args.s * C;
  const int kBlocks = (kTotal + T::BK - 1) / T::BK;
  const int M = args.n * args.p * args.q;

  if (threadIdx.x == 0) {
    for (uint32_t s = 0; s < T::STAGES; ++s) {
      mbarInit(fullBar(s), 128);  // one cp.async arrival per producer thread
      mbarInit(emptyBar(s), 2);   // one arrival per consumer warpgroup
    }
    mbarInitFence();
  }
  __syncthreads();

  const int warpgroup = threadIdx.x / 128;
  if (warpgroup == 0) {
    // Producer: address arithmetic only; give registers to the consumers. 56 (at 40 its per-row state
    // spills) and the consumers' 224 add up to the CTA's allocation: 128 * 56 + 256 * 224 = 384 * 168.
    setMaxRegistersDec<56>();
    const int tid = threadIdx.x;
    const int rowInPass = tid >> 1;  // rows rowInPass + 64 i of A and B
    const int half = tid & 1;        // chunks half, half + 2, half + 4, half + 6 of each row
    const int H = args.h, W = args.w, R = args.r, S = args.s, Q = args.q, PQ = args.p * args.q;
    const auto* x = reinterpret_cast<const __nv_bfloat16*>(args.x);
    const auto* wt = reinterpret_cast<const __nv_bfloat16*>(args.filter);
    uint32_t it = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
      const int tm = tile / tilesN, tn = tile - tm * tilesN;
      const int n0 = tn * T::BN;
      // Per A row: the input pixel (flat index over n, h, w) under the window's top-left tap, and
      // that tap's row and column (which may lie in the padding).
      int pix[T::kRowsA], h0[T::kRowsA], w0[T::kRowsA];
#pragma unroll
      for (int i = 0; i < T::kRowsA; ++i) {
        const int m = tm * T::BM + rowInPass + 64 * i;
        if (m < M) {
          const int img = m / PQ;
          const int rem = m - img * PQ;
          const int op = rem / Q, oq = rem - op * Q;
          h0[i] = op * args.stride - args.pad;
          w0[i] = oq * args.stride - args.pad;
          pix[i] = (img * H + h0[i]) * W + w0[i];
        } else {
          h0[i] = INT_MIN / 2;  // never inside the image: the row is zero-filled
          w0[i] = 0;
          pix[i] = 0;
        }
      }
      // (r, s, channel) and kk of this thread's next chunk; c >= 8, so at most one wrap here.
      int kk = 8 * half, chan = 8 * half, tapR = 0, tapS = 0;
      if (chan >= C) {
        chan -= C;
        if (++tapS == S) {
          tapS = 0;
          ++tapR;
        }
      }
      for (int kb = 0; kb < kBlocks; ++kb, ++it) {
        const uint32_t s = it % T::STAGES, phase = (it / T::STAGES) & 1;
        mbarWait(emptyBar(s), phase ^ 1);
        const uint32_t sA = stageA(s), sB = sA + T::kBytesA;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int chunk = 2 * j + half;
          const bool kIn = tapR < R;  // kk < kTotal
          const int tapPix = tapR * W + tapS;
#pragma unroll
          for (int i = 0; i < T::kRowsA; ++i) {
            const int ih = h0[i] + tapR, iw = w0[i] + tapS;
            const bool valid = kIn && static_cast<unsigned>(ih) < static_cast<unsigned>(H) &&
                               static_cast<unsigned>(iw) < static_cast<unsigned>(W);
            const __nv_bfloat16* src = valid ? x + static_cast<size_t>(pix[i] + tapPix) * C + chan : x;
            mma::copy16(sA + swizzle128(rowInPass + 64 * i, chunk), src, valid);
          }
#pragma unroll
          for (int i = 0; i < T::kRowsB; ++i) {
            const int kOut = n0 + rowInPass + 64 * i;
            const bool valid = kIn && kOut < K;
            const __nv_bfloat16* src = valid ? wt + static_cast<size_t>(kOut) * kTotal + kk : wt;
            mma::copy16(sB + swizzle128(rowInPass + 64 * i, chunk), src, valid);
          }
          // The next chunk of this thread is 16 elements of K further on.
          kk += 16;
          chan += 16;
          while (chan >= C) {
            chan -= C;
            if (++tapS == S) {
              tapS = 0;
              ++tapR;
            }
          }
        }
        cpAsyncArrive(fullBar(s));  // arrives once this thread's copies into stage s have landed
      }
    }
    // No copy of this thread still in flight when it leaves (wait_group covers committed groups only).
    mma::commit();
    mma::wait<0>();
  } else {
    setMaxRegistersInc<224>();
    const int wg = warpgroup - 1;  // rows wg * BM / 2 .. of the tile
    const int tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32;
    auto* y = reinterpret_cast<__nv_bfloat16*>(args.y);
    float acc[T::kMTiles][T::kAcc];
    uint32_t it = 0;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
      const int tm = tile / tilesN, tn = tile - tm * tilesN;
      const uint64_t startNs = trace != nullptr ? globalTimerNs() : 0;

      for (int kb = 0; kb < kBlocks; ++kb, ++it) {
        const uint32_t s = it % T::STAGES, phase = (it / T::STAGES) & 1;
        mbarWait(fullBar(s), phase);
        fenceProxyAsyncShared();  // the stage was written by cp.async (generic proxy); wgmma reads it (async proxy)
        const uint32_t a = stageA(s) + wg * (T::BM / 2) * 128, b = stageA(s) + T::kBytesA;
#pragma unroll
        for (int mt = 0; mt < T::kMTiles; ++mt) pinRegisters(acc[mt]);
        wgmmaFence();
#pragma unroll
        for (int k16 = 0; k16 < T::BK / 16; ++k16) {
          const uint64_t descB = smemDescriptor(b + k16 * 32, 16, 1024);
#pragma unroll
          for (int mt = 0; mt < T::kMTiles; ++mt) {
            const uint64_t descA = smemDescriptor(a + mt * 64 * 128 + k16 * 32, 16, 1024);
            wgmmaSS<T::BN, 0>(acc[mt], descA, descB, (kb > 0 || k16 > 0) ? 1u : 0u);
          }
        }
        wgmmaCommit();
        wgmmaWait<1>();  // every group but this one has retired: the previous stage is free
#pragma unroll
        for (int mt = 0; mt < T::kMTiles; ++mt) pinRegisters(acc[mt]);
        if (kb > 0 && tid == 0) mbarArrive(emptyBar((it - 1) % T::STAGES));
      }
      wgmmaWait<0>();
#pragma unroll
      for (int mt = 0; mt < T::kMTiles; ++mt) pinRegisters(acc[mt]);
      if (tid == 0) mbarArrive(emptyBar((it - 1) % T::STAGES));

      // Epilogue (ConvArgs::epilogue, conv_epilogue.cuh): every accumulator through it in place, then
      // the stores. Accumulator layout (m64nN): warp w holds rows 16 w .. 16 w + 15 of its m64 tile;
      // d[4 j + 0..1] = row lane / 4, columns 8 j + 2 (lane % 4) + {0, 1}; d[4 j + 2..3] = row + 8.
      const int colBase = tn * T::BN + (lane % 4) * 2;
      const int rowBase = tm * T::BM + wg * (T::BM / 2) + warp * 16 + lane / 4;
      if (kEpilogue) {
        // Pair (j, r): columns colBase + 8 j, rows of m64 tile r / 2, half r % 2.
        applyEpilogue<T::BN / 8, 2 * T::kMTiles>(
            args.epilogue, M, K, [&](int j) { return colBase + j * 8; },
            [&](int r) { return rowBase + (r / 2) * 64 + (r % 2) * 8; },
            [&](int j, int r, int h) -> float& { return acc[r / 2][4 * j + 2 * (r % 2) + h]; });
      }
#pragma unroll
      for (int mt = 0; mt < T::kMTiles; ++mt) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = rowBase + mt * 64 + h * 8;
          if (row >= M) continue;
#pragma unroll
          for (int j = 0; j < T::BN / 8; ++j) {
            const int col = colBase + j * 8;
            storePair(y, static_cast<size_t>(row) * K + col, col, K, acc[mt][4 * j + 2 * h],
                      acc[mt][4 * j + 2 * h + 1]);
          }
        }
      }
      if (trace != nullptr) {
        asm volatile("bar.sync 1, 256;" ::: "memory");  // both consumer warpgroups have stored the tile
        if (wg == 0 && tid == 0) recordWorkItem(trace, static_cast<unsigned>(tile), startNs);
      }
    }
  }
#endif  // GSM_SM90A
}

// The tile shapes, by wgmma variant index (see conv_internal.h).
using WTile0 = WgmmaTile<128, 256, 4>;  // 192 KB of stages
using WTile1 = WgmmaTile<256, 128, 4>;  // 192 KB
using WTile2 = WgmmaTile<128, 128, 6>;  // 192 KB
using WTile3 = WgmmaTile<256, 64, 5>;   // 200 KB
static_assert(kWgmmaVariants == 4, "one tile type per variant");

template <class T>
int tileCount(const ConvArgs& a) {
  const long long m = static_cast<long long>(a.n) * a.p * a.q;
  return static_cast<int>(((m + T::BM - 1) / T::BM) * ((a.k + T::BN - 1) / T::BN));
}

template <class T>
cudaError_t configureTile() {
  const cudaError_t e = cudaFuncSetAttribute(convWgmmaKernel<T, false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(T::kSharedBytes));
  if (e != cudaSuccess) return e;
  return cudaFuncSetAttribute(convWgmmaKernel<T, true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(T::kSharedBytes));
}

template <class T>
cudaError_t launchTile(const ConvArgs& a, Interval* trace, cudaStream_t stream) {
  int sms = a.sms;
  if (sms <= 0) {
    int device = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    if (e != cudaSuccess) return e;
  }
  const int tiles = tileCount<T>(a);
  const int tilesN = (a.k + T::BN - 1) / T::BN;
  const int grid = tiles < sms ? tiles : sms;  // persistent: one CTA per SM (the stages fill its shared memory)
  if (hasEpilogue(a.epilogue)) {
    convWgmmaKernel<T, true><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, tilesN, tiles, trace);
  } else {
    convWgmmaKernel<T, false><<<grid, T::kThreads, T::kSharedBytes, stream>>>(a, tilesN, tiles, trace);
  }
  return cudaGetLastError();
}

}  // namespace

int wgmmaTileCount(const ConvArgs& a, int variant) {
  switch (variant) {
    case 1: return tileCount<WTile1>(a);
    case 2: return tileCount<WTile2>(a);
    case 3: return tileCount<WTile3>(a);
    default: return tileCount<WTile0>(a);
  }
}

cudaError_t configureWgmma(int variant) {
  switch (variant) {
    case 1: return configureTile<WTile1>();
    case 2: return configureTile<WTile2>();
    case 3: return configureTile<WTile3>();
    default: return configureTile<WTile0>();
  }
}

cudaError_t launchWgmma(const ConvArgs& a, int variant, Interval* trace, cudaStream_t stream) {
  switch (variant) {
    case 1: return launchTile<WTile1>(a, trace, stream);
    case 2: return launchTile<WTile2>(a, trace, stream);
    case 3: return launchTile<WTile3>(a, trace, stream);
    default: return launchTile<WTile0>(a, trace, stream);
  }
}

}  // namespace conv
}  // namespace gsm

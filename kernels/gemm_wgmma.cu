// gemm on Hopper: wgmma (warpgroup matrix multiply) fed by TMA (the bulk tensor copy engine).
//
// Each CTA has three warpgroups. Warpgroup 0 is the producer: one of its threads walks the CTA's
// tiles and, for every 64-deep (tf32: 32-deep) slice of K, waits until a shared-memory stage is
// free (its "empty" mbarrier), then has TMA copy the A slice (128 rows) and the B slice (the tile's
// N = 256 or 64 columns) into it; the copies complete on the stage's "full" mbarrier with a byte
// count. The two consumer warpgroups each own 64 rows of the 128xN tile: they wait on "full", issue
// four wgmma (m64nNk16) on the stage, and release the previous stage once its wgmma group has
// retired, so one group is always in flight. Four stages of 48 KB (N = 256) or eight of 24 KB
// (N = 64, 16-bit operands only: planGemm picks it for products of few wide tiles) keep the copies
// ahead of the math.
//
// Operands in shared memory use the 128-byte swizzle that TMA writes and wgmma reads, in the layout
// they are stored in (16-bit types; wgmma's transpose bits say which):
//   A [m, k] is K-major: one box of 64 k x 128 rows; a warpgroup's k-step starts 32 bytes further.
//   A^T [k, m] (transA) is M-major: two boxes of 64 m x 64 rows of k, one per consumer warpgroup;
//     descriptor leading byte offset (next 64 m) one box, 8 KB, stride byte offset (next 8 rows of
//     K) 1 KB, and a k-step starts 16 rows (2 KB) further; imm-trans-a 1.
//   B [k, n] is N-major: N / 64 boxes of 64 n x 64 rows of k, leading byte offset one box (8 KB),
//     stride byte offset 1 KB, k-step 2 KB; imm-trans-b 1.
//   B^T [n, k] (transB) is K-major like A: N / 64 boxes of 64 k x 64 rows of n, stacked (N rows of
//     128 bytes); stride byte offset 1 KB (next 8 rows of n), k-step 32 bytes; imm-trans-b 0.
// wgmma reads tf32 only K-major, so for tf32 the launch first writes B (unless transB) and A^T
// (when transA) transposed, rounded to tf32, into the workspace, and the kernel reads A and B^T.
//
// Batches (GemmShape::batch > 1) use 3-D tensor maps (the batch stride as the third dimension) and
// extend the tile index over the batches; C of batch z starts z strideC elements further.
//
// CTAs are persistent: as many as fit on the device, walking the tiles in groups of tile rows (so
// that concurrent tiles share A and B in L2). On request (GemmOptions::clusterM = 2, unbatched, the
// original layouts), clusters of two along M compute vertically adjacent tiles and each CTA loads
// half of the common B slice, multicast to both; a stage is then free only when the consumers of
// both CTAs have released it. That variant is verified but measured slower on the H200 (see
// kernels/gemm.cu), so it is not the default.
//
// Ragged edges: TMA fills zeros outside the matrix (rows past m, columns past n or k), and the
// epilogue (alpha, accumulate, fp32 or bf16 C: gemm_internal.h) stores only elements inside C. Rows
// must be 16-byte multiples for TMA (see launch.h and kernels/gemm.cu).
#include <cuda_bf16.h>
#include "gemm_internal.h"
#include "sm90.cuh"
#include "split_sum.cuh"
#include "wgmma.cuh"
#include "trace.cuh"

// The sm_90a build of this file holds the kernel; other targets compile it to nothing (and planGemm
// never picks it there: sm90aAvailable() asks the device which code it loaded).

namespace gsm {
namespace gemm {
namespace {

constexpr int kTileM = kWgmmaTileM;
constexpr uint32_t kStageBytesA = kTileM * 128;

// A tile width's pipeline: stages and their bytes (gemm_internal.h).
template <int kTileN>
struct Tile {
  static_assert(kTileN == kWgmmaWideN || kTileN == kWgmmaNarrowN, "wgmma tiles are 256 or 64 columns wide");
  static constexpr int kStages = wgmmaStages(kTileN);
  static constexpr uint32_t kStageBytes = static_cast<uint32_t>(wgmmaStageBytes(kTileN));
  static constexpr uint32_t kStageBytesB = kTileN * 128;
  static constexpr size_t kSharedBytes = wgmmaSharedBytes(kTileN);
};

// Operand types and shared-memory layouts. kBlockK elements of K fill one 128-byte swizzled row;
// kInstK is one wgmma's K. kAMajorM: A^T as stored (imm-trans-a); kBMajorN: B as stored
// (imm-trans-b); otherwise K-major. bParts(N): boxes per B stage of a tile N wide (each CTA of a
// cluster loads its share); 16-bit: one per 64 columns.
template <bool kFp16, bool kTransA, bool kTransB>
struct Op16 {
  static constexpr int kBlockK = 64, kInstK = 16, kElemBytes = 2;
  static constexpr int bParts(int tileN) { return tileN / 64; }
  static constexpr bool kTf32 = false, kHalf = kFp16, kAMajorM = kTransA, kBMajorN = !kTransB;
  static constexpr CUtensorMapDataType kTmaType =
      kFp16 ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
};
struct Tf32Op {  // A and B^T, both K-major (the launch transposes the others into the workspace)
  static constexpr int kBlockK = 32, kInstK = 8, kElemBytes = 4;
  static constexpr int bParts(int) { return 2; }  // wide tiles only: B^T in two 128-row boxes
  static constexpr bool kTf32 = true, kHalf = false, kAMajorM = false, kBMajorN = false;
  static constexpr CUtensorMapDataType kTmaType = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
};
static_assert(!Tf32Op::kHalf && Tf32Op::kTf32, "tf32 has its own wgmma form");

using namespace sm90;

// Walks units (a tile, or a column of kClusterM tiles) in groups of `group` unit rows: down a
// group's rows first, then across its columns, so the CTAs running at once share A and B slices.
__device__ __forceinline__ void unitCoords(int unit, int rows, int cols, int group, int& row, int& col) {
  const int perGroup = group * cols;
  const int g = unit / perGroup;
  const int first = g * group;
  const int inGroup = min(group, rows - first);
  const int local = unit - g * perGroup;
  row = first + local % inGroup;
  col = local / inGroup;
}

#ifdef GSM_SM90A

template <int N>
__device__ __forceinline__ void pinAccumulators(float (&d)[N]) {
  pinRegisters(d);
}

// One m64n64 wgmma (16-bit operands): D (64x64 fp32, in registers) (+)= A (64 x 16) * B (16 x 64),
// with the transpose bits as in wgmma256.
template <class Op>
__device__ __forceinline__ void wgmma64(float (&d)[32], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  static_assert(!Op::kTf32, "tf32 runs wide tiles only");
  if constexpr (Op::kHalf) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {" GSM_WGMMA_R32 "}, %32, %33, p, 1, 1, %35, %36;\n}"
        : GSM_WGMMA_D32(d)
        : "l"(descA), "l"(descB), "r"(accumulate), "n"(Op::kAMajorM ? 1 : 0), "n"(Op::kBMajorN ? 1 : 0));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {" GSM_WGMMA_R32 "}, %32, %33, p, 1, 1, %35, %36;\n}"
        : GSM_WGMMA_D32(d)
        : "l"(descA), "l"(descB), "r"(accumulate), "n"(Op::kAMajorM ? 1 : 0), "n"(Op::kBMajorN ? 1 : 0));
  }
}

// One m64n256 wgmma: D (64x256 fp32, in registers) (+)= A (64 x kInstK) * B (kInstK x 256). The
// 16-bit forms carry the transpose bits (PTX ISA: d, a-desc, b-desc, scale-d, imm-scale-a,
// imm-scale-b, imm-trans-a, imm-trans-b; a transpose bit 1 reads that operand MN-major).
template <class Op>
__device__ __forceinline__ void wgmma256(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  if constexpr (Op::kTf32) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k8.f32.tf32.tf32 {" GSM_WGMMA_R128 "}, %128, %129, p, 1, 1;\n}"
        : GSM_WGMMA_D128(d)
        : "l"(descA), "l"(descB), "r"(accumulate));
  } else if constexpr (Op::kHalf) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {" GSM_WGMMA_R128 "}, %128, %129, p, 1, 1, %131, %132;\n}"
        : GSM_WGMMA_D128(d)
        : "l"(descA), "l"(descB), "r"(accumulate), "n"(Op::kAMajorM ? 1 : 0), "n"(Op::kBMajorN ? 1 : 0));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {" GSM_WGMMA_R128
        "}, %128, %129, p, 1, 1, %131, %132;\n}"
        : GSM_WGMMA_D128(d)
        : "l"(descA), "l"(descB), "r"(accumulate), "n"(Op::kAMajorM ? 1 : 0), "n"(Op::kBMajorN ? 1 : 0));
  }
}

// A 3-D box (batched products: the batch is the third coordinate).
__device__ __forceinline__ void tmaLoad3(uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];" ::
          "r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
      : "memory");
}

#endif  // GSM_SM90A

// The kernel's problem: sizes, batches, the tile order, the epilogue and, with split K (splits > 1),
// where the slices' fp32 partial tiles go: partials[slice][batch][row][col] (m n per batch).
struct WgmmaArgs {
  int m, n, k, batch, groupRows;
  Epilogue epilogue;
  int splits;
  float* partials;
};

// A work unit's place: units run slice-major (unit = slice * tile units + tile unit, so the CTAs
// running at once read the same slice of K), and a slice's blocks of K are [begin, end).
struct UnitPlace {
  int tileUnit, slice, kbBegin, kbEnd;
};
__device__ __forceinline__ UnitPlace placeUnit(int unit, int tileUnits, int splits, int kBlocks) {
  UnitPlace p;
  p.slice = unit / tileUnits;
  p.tileUnit = unit - p.slice * tileUnits;
  p.kbBegin = static_cast<int>(static_cast<int64_t>(p.slice) * kBlocks / splits);
  p.kbEnd = static_cast<int>(static_cast<int64_t>(p.slice + 1) * kBlocks / splits);
  return p;
}

// Producer loop of one CTA (one thread): fills the stages for every tile it computes.
template <class Op, int kClusterM, int kTileN>
__device__ __forceinline__ void produce(const CUtensorMap* mapA, const CUtensorMap* mapB, const WgmmaArgs& args,
                                        uint32_t base, uint32_t barriers, int cluster, int clusters, uint32_t rank) {
#ifdef GSM_SM90A
  using T = Tile<kTileN>;
  constexpr int kStages = T::kStages, kBParts = Op::bParts(kTileN);
  const int tilesM = ceilDiv(args.m, kTileM), tilesN = ceilDiv(args.n, kTileN);
  const int unitRows = ceilDiv(tilesM, kClusterM), perBatch = unitRows * tilesN, tileUnits = perBatch * args.batch;
  const int units = tileUnits * args.splits;
  const int kBlocks = ceilDiv(args.k, Op::kBlockK);
  const bool batched = args.batch > 1;
  constexpr int kPartsPerCta = kBParts / kClusterM;
  constexpr uint32_t kPartBytes = T::kStageBytesB / kBParts;
  constexpr int kPartRows = kTileN / kBParts;  // K-major B: rows of n per box
  auto load = [&](uint32_t dst, const CUtensorMap* map, int c0, int c1, int z, uint32_t bar) {
    if (batched) {
      tmaLoad3(dst, map, c0, c1, z, bar);
    } else {
      tmaLoad(dst, map, c0, c1, bar);
    }
  };
  uint32_t it = 0;
  for (int unit = cluster; unit < units; unit += clusters) {
    const UnitPlace place = placeUnit(unit, tileUnits, args.splits, kBlocks);
    const int z = place.tileUnit / perBatch;
    int unitRow, tn;
    unitCoords(place.tileUnit - z * perBatch, unitRows, tilesN, args.groupRows, unitRow, tn);
    const int tm = unitRow * kClusterM + static_cast<int>(rank);
    const bool rowValid = tm < tilesM;
    for (int kb = place.kbBegin; kb < place.kbEnd; ++kb, ++it) {
      const uint32_t s = it % kStages, phase = (it / kStages) & 1;
      const uint32_t stageA = base + s * T::kStageBytes, stageB = stageA + kStageBytesA;
      const uint32_t full = barriers + 8 * s, empty = barriers + 8 * (kStages + s);
      mbarWait(empty, phase ^ 1);
      mbarExpectTx(full, (rowValid ? kStageBytesA : 0) + T::kStageBytesB);
      if (rowValid) {
        if constexpr (Op::kAMajorM) {  // A^T: 64 m x 64 k boxes, one per consumer warpgroup
          load(stageA, mapA, tm * kTileM, kb * Op::kBlockK, z, full);
          load(stageA + kStageBytesA / 2, mapA, tm * kTileM + 64, kb * Op::kBlockK, z, full);
        } else {
          load(stageA, mapA, kb * Op::kBlockK, tm * kTileM, z, full);
        }
      }
#pragma unroll
      for (int p = 0; p < kPartsPerCta; ++p) {
        const int part = static_cast<int>(rank) * kPartsPerCta + p;
        const uint32_t dst = stageB + part * kPartBytes;
        // N-major B: box of 64 columns x kBlockK rows; K-major B^T: kPartRows rows of n x kBlockK.
        const int c0 = Op::kBMajorN ? tn * kTileN + part * 64 : kb * Op::kBlockK;
        const int c1 = Op::kBMajorN ? kb * Op::kBlockK : tn * kTileN + part * kPartRows;
        if constexpr (kClusterM > 1) {
          tmaLoadMulticast(dst, mapB, c0, c1, full, static_cast<uint16_t>((1u << kClusterM) - 1));
        } else {
          load(dst, mapB, c0, c1, z, full);
        }
      }
    }
  }
#endif  // GSM_SM90A
}

// kStore: what the stores do besides alpha (gemm_internal.h: kStorePlain, or storeFinishing(act) for
// the 128x64 tile of y = x W^T unsplit, the bias and one activation compiled in).
template <class Op, int kClusterM, int kTileN, int kStore>
__global__ void __launch_bounds__(kWgmmaThreads, 1)
    wgmmaGemmKernel(const __grid_constant__ CUtensorMap mapA, const __grid_constant__ CUtensorMap mapB,
                    const WgmmaArgs args, Interval* trace) {
#ifdef GSM_SM90A
  using T = Tile<kTileN>;
  constexpr int kStages = T::kStages;
  extern __shared__ __align__(1024) uint8_t sharedRaw[];
  // Stages at a 1 KB boundary (the swizzle pattern repeats every 1 KB), then the mbarriers.
  const uint32_t base = (sharedAddress(sharedRaw) + 1023u) & ~1023u;
  const uint32_t barriers = base + kStages * T::kStageBytes;
  auto stageA = [&](uint32_t s) { return base + s * T::kStageBytes; };
  auto stageB = [&](uint32_t s) { return stageA(s) + kStageBytesA; };
  auto fullBar = [&](uint32_t s) { return barriers + 8 * s; };
  auto emptyBar = [&](uint32_t s) { return barriers + 8 * (kStages + s); };

  const int m = args.m, n = args.n;
  const int tilesM = ceilDiv(m, kTileM), tilesN = ceilDiv(n, kTileN);
  const int unitRows = ceilDiv(tilesM, kClusterM);
  const int perBatch = unitRows * tilesN, tileUnits = perBatch * args.batch, units = tileUnits * args.splits;
  const int kBlocks = ceilDiv(args.k, Op::kBlockK);
  const int cluster = blockIdx.x / kClusterM, clusters = gridDim.x / kClusterM;
  const uint32_t rank = kClusterM > 1 ? clusterRank() : 0;

  if (threadIdx.x == 0) {
    for (uint32_t s = 0; s < kStages; ++s) {
      mbarInit(fullBar(s), 1);
      mbarInit(emptyBar(s), 2 * kClusterM);  // both consumer warpgroups of every CTA in the cluster
    }
    mbarInitFence();
  }
  if constexpr (kClusterM > 1) {
    clusterSync();
  } else {
    __syncthreads();
  }

  const int warpgroup = threadIdx.x / 128;
  if (warpgroup == 0) {
    // Producer: needs few registers; give them to the consumers.
    setMaxRegistersDec<40>();
    if (threadIdx.x == 0) {
      asm volatile("prefetch.tensormap [%0];" ::"l"(reinterpret_cast<uint64_t>(&mapA)) : "memory");
      asm volatile("prefetch.tensormap [%0];" ::"l"(reinterpret_cast<uint64_t>(&mapB)) : "memory");
      produce<Op, kClusterM, kTileN>(&mapA, &mapB, args, base, barriers, cluster, clusters, rank);
    }
  } else {
    setMaxRegistersInc<232>();
    const int half = warpgroup - 1;  // rows 64*half .. 64*half+63 of the tile
    const int tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32;
    auto release = [&](uint32_t s) {
      if constexpr (kClusterM > 1) {
#pragma unroll
        for (uint32_t r = 0; r < kClusterM; ++r) mbarArriveCluster(emptyBar(s), r);
      } else {
        mbarArrive(emptyBar(s));
      }
    };
    float acc[kTileN / 2];
#pragma unroll
    for (int i = 0; i < kTileN / 2; ++i) acc[i] = 0.0f;
    uint32_t it = 0;
    for (int unit = cluster; unit < units; unit += clusters) {
      const UnitPlace place = placeUnit(unit, tileUnits, args.splits, kBlocks);
      const int z = place.tileUnit / perBatch;
      int unitRow, tn;
      unitCoords(place.tileUnit - z * perBatch, unitRows, tilesN, args.groupRows, unitRow, tn);
      const int tm = unitRow * kClusterM + static_cast<int>(rank);
      const bool rowValid = tm < tilesM;
      const uint64_t startNs = trace != nullptr ? globalTimerNs() : 0;

      for (int kb = place.kbBegin; kb < place.kbEnd; ++kb, ++it) {
        const uint32_t s = it % kStages, phase = (it / kStages) & 1;
        mbarWait(fullBar(s), phase);
        const uint32_t b = stageB(s);
        pinAccumulators(acc);
        wgmmaFence();
#pragma unroll
        for (int kk = 0; kk < Op::kBlockK / Op::kInstK; ++kk) {
          const uint64_t descA = Op::kAMajorM ? smemDescriptor(stageA(s) + half * 8192 + kk * 2048, 8192, 1024)
                                              : smemDescriptor(stageA(s) + half * 64 * 128 + kk * 32, 16, 1024);
          const uint64_t descB =
              Op::kBMajorN ? smemDescriptor(b + kk * 2048, 8192, 1024) : smemDescriptor(b + kk * 32, 16, 1024);
          const uint32_t accumulate = (kb > place.kbBegin || kk > 0) ? 1u : 0u;
          if constexpr (kTileN == kWgmmaWideN) {
            wgmma256<Op>(acc, descA, descB, accumulate);
          } else {
            wgmma64<Op>(acc, descA, descB, accumulate);
          }
        }
        wgmmaCommit();
        wgmmaWait<1>();  // every group but this one has retired: the previous stage is free
        pinAccumulators(acc);
        if (kb > place.kbBegin && tid == 0) release((it - 1) % kStages);
      }
      wgmmaWait<0>();
      pinAccumulators(acc);
      if (tid == 0) release((it - 1) % kStages);

      if (rowValid) {
        // Split K: this slice's partial tile, fp32 as accumulated (the sum kernel applies the epilogue).
        const Epilogue out =
            args.splits > 1
                ? partialEpilogue(args.partials + static_cast<size_t>(place.slice) * args.batch * m * n, m, n)
                : args.epilogue;
        const int row0 = tm * kTileM + half * 64 + warp * 16 + lane / 4;
        const int colBase = tn * kTileN + (lane % 4) * 2;
        // This thread's columns' biases (finishing forms), all loaded before the first store.
        float bias[kTileN / 4];
#pragma unroll
        for (int i = 0; i < kTileN / 4; ++i) {
          const int col = colBase + (i / 2) * 8 + i % 2;
          bias[i] = kStore > kStorePlain && out.bias != nullptr && col < n ? out.bias[col] : 0.0f;
        }
#pragma unroll
        for (int j = 0; j < kTileN / 8; ++j) {
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = row0 + h * 8;
            if (row < m)
              storePair<kStore>(out, z, row, colBase + j * 8, n, acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1],
                                bias[2 * j], bias[2 * j + 1]);
          }
        }
      }
      if (trace != nullptr) {
        asm volatile("bar.sync 1, 256;" ::: "memory");  // both consumer warpgroups have stored the tile
        if (half == 0 && tid == 0 && rowValid)
          recordWorkItem(trace, ((z * tilesM + tm) * tilesN + tn) * args.splits + place.slice, startNs);
      }
    }
  }
  if constexpr (kClusterM > 1) clusterSync();  // no CTA leaves while its peer may still signal or write it
#endif  // GSM_SM90A
}

// dst[z][j][i] = tf32(src[z][i][j]) for the tf32 path: src [rows, cols] row-major (batch z at
// z srcStride), dst [cols, rows] packed. B [k, n] becomes B^T [n, k]; A^T [k, m] becomes A [m, k].
__global__ void transposeTf32Kernel(const float* __restrict__ src, float* __restrict__ dst, int rows, int cols,
                                    int64_t srcStride) {
  __shared__ float tile[32][33];
  src += static_cast<size_t>(blockIdx.z) * srcStride;
  dst += static_cast<size_t>(blockIdx.z) * rows * cols;
  const int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    const int rr = r0 + r, cc = c0 + threadIdx.x;
    tile[r][threadIdx.x] = (rr < rows && cc < cols) ? src[static_cast<size_t>(rr) * cols + cc] : 0.0f;
  }
  __syncthreads();
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    const int cc = c0 + r, rr = r0 + threadIdx.x;
    if (cc < cols && rr < rows) {
      uint32_t rounded;
      asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(rounded) : "f"(tile[threadIdx.x][r]));
      dst[static_cast<size_t>(cc) * rows + rr] = __uint_as_float(rounded);
    }
  }
}

cudaError_t transposeTf32(const void* src, void* dst, int rows, int cols, int64_t srcStride, int batch,
                          cudaStream_t stream) {
  const dim3 grid(ceilDiv(cols, 32), ceilDiv(rows, 32), batch);
  transposeTf32Kernel<<<grid, dim3(32, 8), 0, stream>>>(static_cast<const float*>(src), static_cast<float*>(dst), rows,
                                                        cols, srcStride);
  return cudaGetLastError();
}

// The tf32 workspace: B^T [batch][n][k] (unless transB), then A [batch][m][k] (when transA).
size_t tf32BytesB(const GemmShape& s) {
  return s.dtype == GemmDtype::Tf32 && !s.transB ? static_cast<size_t>(s.batch) * s.n * s.k * sizeof(float) : 0;
}
size_t tf32BytesA(const GemmShape& s) {
  return s.dtype == GemmDtype::Tf32 && s.transA ? static_cast<size_t>(s.batch) * s.m * s.k * sizeof(float) : 0;
}
// Where split K's partials start in the workspace: after the tf32 copies, 256-byte aligned.
size_t partialsOffset(const GemmShape& s) { return (tf32BytesB(s) + tf32BytesA(s) + 255) / 256 * 256; }
size_t partialsBytes(const GemmShape& s, int splits) {
  return splits > 1 ? static_cast<size_t>(splits) * s.batch * s.m * s.n * sizeof(float) : 0;
}

// Split K's second kernel: C = epilogue(sum over the slices of the partial tiles, split_sum.cuh). A
// thread owns two adjacent columns of one row at a time (grid-stride: at most one CTA per SM, so a
// launch leaves few trace records). One trace record per CTA.
template <int kStore>
__global__ void __launch_bounds__(kSplitSumThreads)
    splitSumKernel(const float* __restrict__ partials, Epilogue epilogue, int m, int n, int batch, int splits,
                   Interval* trace) {
  CtaTrace cta(trace);
  const int pairsPerRow = (n + 1) / 2;
  const int64_t pairs = static_cast<int64_t>(batch) * m * pairsPerRow;
  const int64_t step = static_cast<int64_t>(gridDim.x) * kSplitSumThreads;
  for (int64_t index = static_cast<int64_t>(blockIdx.x) * kSplitSumThreads + threadIdx.x; index < pairs;
       index += step) {
    const int pair = static_cast<int>(index % pairsPerRow);
    const int64_t rowIndex = index / pairsPerRow;  // batch * m + row
    const int row = static_cast<int>(rowIndex % m), z = static_cast<int>(rowIndex / m);
    const int col = 2 * pair;
    const size_t slice = static_cast<size_t>(batch) * m * n;
    const float* p = partials + static_cast<size_t>(rowIndex) * n + col;
    const bool two = col + 1 < n;
    const float2 sum = sumSlicePair(p, slice, splits, two, two && (n % 2) == 0);
    storePair<kStore>(epilogue, z, row, col, n, sum.x, sum.y);
  }
  cta.end();
}

template <class Op, int kClusterM, int kTileN, int kStore>
cudaError_t launchTyped(const GemmPlan& plan, const Epilogue& out, void* workspace, Interval* trace,
                        cudaStream_t stream) {
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(plan.grid);
  config.blockDim = dim3(kWgmmaThreads);
  config.dynamicSmemBytes = Tile<kTileN>::kSharedBytes;
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  if (kClusterM > 1) {
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim.x = kClusterM;
    attribute.val.clusterDim.y = 1;
    attribute.val.clusterDim.z = 1;
    config.attrs = &attribute;
    config.numAttrs = 1;
  }
  const GemmShape& s = plan.shape;
  const int splits = plan.splitK > 1 ? plan.splitK : 1;
  float* partials =
      splits > 1 ? reinterpret_cast<float*>(static_cast<uint8_t*>(workspace) + partialsOffset(s)) : nullptr;
  const WgmmaArgs args{s.m, s.n, s.k, s.batch, plan.groupRows, out, splits, partials};
  cudaError_t e =
      cudaLaunchKernelEx(&config, wgmmaGemmKernel<Op, kClusterM, kTileN, kStore>, plan.mapA, plan.mapB, args, trace);
  if (e != cudaSuccess || splits == 1) return e;
  const int tileRecords = ceilDiv(s.m, kTileM) * ceilDiv(s.n, kTileN) * s.batch * splits;
  // cudaLaunchKernelEx returns this launch's own status (cudaGetLastError after <<<>>> would also
  // return an earlier, unrelated error of this host thread, e.g. a failed allocation).
  cudaLaunchConfig_t sum{};
  sum.gridDim = dim3(plan.splitSumCtas);
  sum.blockDim = dim3(kSplitSumThreads);
  sum.stream = stream;
  Interval* sumTrace = trace != nullptr ? trace + tileRecords : nullptr;
  const float* slices = partials;
  return finishing(s)
             ? cudaLaunchKernelEx(&sum, splitSumKernel<kStoreFinish>, slices, out, s.m, s.n, s.batch, splits, sumTrace)
             : cudaLaunchKernelEx(&sum, splitSumKernel<kStorePlain>, slices, out, s.m, s.n, s.batch, splits, sumTrace);
}

// One compiled form of the kernel: operand layout, cluster size, tile width, and what its stores do
// (kStorePlain, or storeFinishing(act)).
template <class Op, int kClusterM, int kTileN, int kStore = kStorePlain>
struct Variant {
  using Operands = Op;
  static constexpr int kCluster = kClusterM, kWidth = kTileN, kStores = kStore;
};

// Calls f(Variant<...>{}) for a 16-bit plan's tile kernel of layout O: the wide tile, or the narrow one.
template <class O, class F>
auto visitTile(const GemmPlan& plan, F&& f) {
  if (plan.tileN != kWgmmaNarrowN) return f(Variant<O, 1, kWgmmaWideN>{});
  return f(Variant<O, 1, kWgmmaNarrowN>{});
}

// The narrow tile of y = x W^T (B^T as stored): where the plan finishes in the kernel
// (finishesInKernel, unsplit), the form compiled with its activation.
template <class O, class F>
auto visitLinear(const GemmPlan& plan, F&& f) {
  constexpr int kNarrow = kWgmmaNarrowN;
  if (plan.tileN != kNarrow || plan.splitK > 1 || !finishing(plan.shape)) return visitTile<O>(plan, f);
  switch (plan.shape.act) {
    case Activation::Gelu: return f(Variant<O, 1, kNarrow, storeFinishing(Activation::Gelu)>{});
    case Activation::Tanh: return f(Variant<O, 1, kNarrow, storeFinishing(Activation::Tanh)>{});
    case Activation::Relu: return f(Variant<O, 1, kNarrow, storeFinishing(Activation::Relu)>{});
    default: return f(Variant<O, 1, kNarrow, storeFinishing(Activation::None)>{});
  }
}

// Calls f(Variant<...>{}) for the kernel a 16-bit plan runs. Clusters of two only for the original
// layouts and wide tiles (planGemm asks for no others).
template <bool kFp16, class F>
auto visit16(const GemmPlan& plan, F&& f) {
  const GemmShape& s = plan.shape;
  if (s.transA && s.transB) return visitTile<Op16<kFp16, true, true>>(plan, f);
  if (s.transA) return visitTile<Op16<kFp16, true, false>>(plan, f);
  if (s.transB) return visitLinear<Op16<kFp16, false, true>>(plan, f);
  using O = Op16<kFp16, false, false>;
  if (plan.clusterM > 1) return f(Variant<O, 2, kWgmmaWideN>{});
  return visitTile<O>(plan, f);
}

// Calls f(Variant<...>{}) for the kernel the plan runs; `none` for a dtype the path does not take.
template <class F, class R>
R visitKernel(const GemmPlan& plan, F&& f, R none) {
  switch (plan.shape.dtype) {
    case GemmDtype::Bf16: return visit16<false>(plan, f);
    case GemmDtype::Fp16: return visit16<true>(plan, f);
    case GemmDtype::Tf32:
      return plan.clusterM > 1 ? f(Variant<Tf32Op, 2, kWgmmaWideN>{}) : f(Variant<Tf32Op, 1, kWgmmaWideN>{});
    default: return none;
  }
}

const void* kernelOf(const GemmPlan& plan) {
  return visitKernel(
      plan,
      [](auto v) -> const void* {
        using V = decltype(v);
        return reinterpret_cast<const void*>(
            &wgmmaGemmKernel<typename V::Operands, V::kCluster, V::kWidth, V::kStores>);
      },
      static_cast<const void*>(nullptr));
}

// One tensor map over a row-major [outer, inner] matrix (batched: [batch, outer, inner] with the
// batch stride), read in boxes of boxInner x boxOuter with the 128-byte swizzle.
CUresult encodeMap(CUtensorMap* map, TensorMapEncodeFn encode, CUtensorMapDataType type, size_t elementBytes,
                   const void* base, int inner, int outer, int batch, int64_t batchStride, int boxInner, int boxOuter) {
  const cuuint64_t dims[3] = {static_cast<cuuint64_t>(inner), static_cast<cuuint64_t>(outer),
                              static_cast<cuuint64_t>(batch)};
  const cuuint64_t strides[2] = {static_cast<cuuint64_t>(inner) * elementBytes,
                                 static_cast<cuuint64_t>(batchStride) * elementBytes};
  const cuuint32_t box[3] = {static_cast<cuuint32_t>(boxInner), static_cast<cuuint32_t>(boxOuter), 1};
  const cuuint32_t elementStrides[3] = {1, 1, 1};
  return encode(map, type, batch > 1 ? 3 : 2, const_cast<void*>(base), dims, strides, box, elementStrides,
                CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
}

// a and b are what the kernel reads: for tf32 the K-major copies in the workspace where transposed.
template <class Op>
CUresult encodeMaps(GemmPlan* plan, const void* a, int64_t strideA, const void* b, int64_t strideB,
                    TensorMapEncodeFn encode) {
  const GemmShape& s = plan->shape;
  const size_t e = Op::kElemBytes;
  const CUresult r =
      Op::kAMajorM
          ? encodeMap(&plan->mapA, encode, Op::kTmaType, e, a, s.m, s.k, s.batch, strideA, 64, Op::kBlockK)
          : encodeMap(&plan->mapA, encode, Op::kTmaType, e, a, s.k, s.m, s.batch, strideA, Op::kBlockK, kTileM);
  if (r != CUDA_SUCCESS) return r;
  if (Op::kBMajorN)
    return encodeMap(&plan->mapB, encode, Op::kTmaType, e, b, s.n, s.k, s.batch, strideB, 64, Op::kBlockK);
  return encodeMap(&plan->mapB, encode, Op::kTmaType, e, b, s.k, s.n, s.batch, strideB, Op::kBlockK,
                   plan->tileN / Op::bParts(plan->tileN));
}

template <bool kFp16>
CUresult encode16(GemmPlan* plan, const void* a, const void* b, TensorMapEncodeFn encode) {
  const GemmShape& s = plan->shape;
  const Strides st = batchStrides(s);
  if (s.transA) {
    return s.transB ? encodeMaps<Op16<kFp16, true, true>>(plan, a, st.a, b, st.b, encode)
                    : encodeMaps<Op16<kFp16, true, false>>(plan, a, st.a, b, st.b, encode);
  }
  return s.transB ? encodeMaps<Op16<kFp16, false, true>>(plan, a, st.a, b, st.b, encode)
                  : encodeMaps<Op16<kFp16, false, false>>(plan, a, st.a, b, st.b, encode);
}

}  // namespace

size_t wgmmaWorkspaceBytes(const GemmShape& s, int splits) {
  return splits > 1 ? partialsOffset(s) + partialsBytes(s, splits) : tf32BytesB(s) + tf32BytesA(s);
}

int wgmmaSplits(const GemmShape& s, int units, int sms, int asked) {
  const int kBlocks = ceilDiv(s.k, s.dtype == GemmDtype::Tf32 ? Tf32Op::kBlockK : 64);
  int splits = kWgmmaMaxSplits;
  int deep = kBlocks / 2;  // asked for: at least two blocks of K per slice
  if (asked > 0) {
    splits = asked < splits ? asked : splits;
  } else if (units * 2 > sms || kBlocks < 32) {
    // The tiles alone keep half the SMs busy, or K is too short to pay for the partials' round trip
    // through L2 and the second kernel (measured on the H200, gemm_check splits: BERT's K = 768
    // products at batch 1 and 4 and a square 1000 ran fastest unsplit).
    return 1;
  } else {
    const int fill = sms / units;
    splits = fill < splits ? fill : splits;
    deep = kBlocks / 6;  // K = 3072 at batch 1 and 4: fastest with 6 to 8 blocks of K per slice
  }
  splits = deep < splits ? deep : splits;
  return splits > 1 ? splits : 1;
}

int splitSumCtas(const GemmShape& s, int sms) {
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.m * ((s.n + 1) / 2);
  const int64_t ctas = (pairs + kSplitSumThreads - 1) / kSplitSumThreads;
  return static_cast<int>(ctas < sms ? ctas : sms);
}

cudaError_t wgmmaGrid(const GemmPlan& plan, int device, int* grid) {
  const GemmShape& s = plan.shape;
  const void* kernel = kernelOf(plan);
  if (kernel == nullptr) return cudaErrorInvalidValue;
  const size_t shared = wgmmaSharedBytes(plan.tileN);
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared));
  if (e != cudaSuccess) return e;
  const int units = ceilDiv(ceilDiv(s.m, kTileM), plan.clusterM) * ceilDiv(s.n, plan.tileN) * s.batch *
                    (plan.splitK > 1 ? plan.splitK : 1);
  int sms = plan.sms;
  if (sms <= 0) {
    e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    if (e != cudaSuccess) return e;
  }
  int clusters = sms;
  if (plan.clusterM > 1) {
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(sms / plan.clusterM * plan.clusterM);
    config.blockDim = dim3(kWgmmaThreads);
    config.dynamicSmemBytes = shared;
    cudaLaunchAttribute attribute{};
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim.x = plan.clusterM;
    attribute.val.clusterDim.y = 1;
    attribute.val.clusterDim.z = 1;
    config.attrs = &attribute;
    config.numAttrs = 1;
    e = cudaOccupancyMaxActiveClusters(&clusters, kernel, &config);
    if (e != cudaSuccess) return e;
    if (plan.sms > 0 && clusters > plan.sms / plan.clusterM) clusters = plan.sms / plan.clusterM;
    if (clusters < 1) return cudaErrorNotSupported;
  }
  *grid = (units < clusters ? units : clusters) * plan.clusterM;
  return cudaSuccess;
}

cudaError_t bindWgmma(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode) {
  if (encode == nullptr) return cudaErrorNotSupported;
  const GemmShape& s = plan->shape;
  CUresult r = CUDA_ERROR_INVALID_VALUE;
  switch (s.dtype) {
    case GemmDtype::Bf16: r = encode16<false>(plan, a, b, encode); break;
    case GemmDtype::Fp16: r = encode16<true>(plan, a, b, encode); break;
    case GemmDtype::Tf32: {
      const Strides st = batchStrides(s);
      uint8_t* ws = static_cast<uint8_t*>(workspace);
      const void* readA = s.transA ? static_cast<const void*>(ws + tf32BytesB(s)) : a;
      const void* readB = s.transB ? b : static_cast<const void*>(ws);
      const int64_t strideA = s.transA ? static_cast<int64_t>(s.m) * s.k : st.a;
      const int64_t strideB = s.transB ? st.b : static_cast<int64_t>(s.n) * s.k;
      r = encodeMaps<Tf32Op>(plan, readA, strideA, readB, strideB, encode);
      break;
    }
    default: break;
  }
  return r == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t launchWgmma(const GemmPlan& plan, const void* a, const void* b, const Epilogue& out, void* workspace,
                        Interval* trace, cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  if (s.dtype == GemmDtype::Tf32) {
    const Strides st = batchStrides(s);
    uint8_t* ws = static_cast<uint8_t*>(workspace);
    cudaError_t e = cudaSuccess;
    if (!s.transB) e = transposeTf32(b, ws, s.k, s.n, st.b, s.batch, stream);  // B [k, n] -> B^T [n, k]
    if (e == cudaSuccess && s.transA) e = transposeTf32(a, ws + tf32BytesB(s), s.k, s.m, st.a, s.batch, stream);
    if (e != cudaSuccess) return e;
  }
  return visitKernel(
      plan,
      [&](auto v) {
        using V = decltype(v);
        return launchTyped<typename V::Operands, V::kCluster, V::kWidth, V::kStores>(plan, out, workspace, trace,
                                                                                     stream);
      },
      cudaErrorInvalidValue);
}

}  // namespace gemm
}  // namespace gsm

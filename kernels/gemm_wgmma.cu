// gemm on Hopper: wgmma (warpgroup matrix multiply) fed by TMA (the bulk tensor copy engine).
//
// Each CTA has three warpgroups. Warpgroup 0 is the producer: one of its threads walks the CTA's
// tiles and, for every 64-deep (tf32: 32-deep) slice of K, waits until a shared-memory stage is
// free (its "empty" mbarrier), then has TMA copy the A slice (128 rows) and the B slice (256
// columns) into it; the copies complete on the stage's "full" mbarrier with a byte count. The two
// consumer warpgroups each own 64 rows of the 128x256 tile: they wait on "full", issue four wgmma
// (m64n256) on the stage, and release the previous stage once its wgmma group has retired, so one
// group is always in flight. Four stages of 48 KB keep the copies ahead of the math.
//
// Operands in shared memory use the 128-byte swizzle that TMA writes and wgmma reads. A is K-major
// (rows of K); B is row-major [k, n], i.e. N-major, which wgmma takes for 16-bit types through its
// transpose flag: the B stage is four TMA boxes of 64 columns x 64 rows of K, so the descriptor's
// leading byte offset (next 64 columns) is one box, 8 KB, and its stride byte offset (next 8 rows
// of K) is 1 KB. wgmma reads tf32 only K-major, so for tf32 the launch first writes B transposed
// (and rounded to tf32) into the workspace.
//
// CTAs are persistent: as many as fit on the device, walking the tiles in groups of tile rows (so
// that concurrent tiles share A and B in L2). On request (GemmOptions::clusterM = 2), clusters of
// two along M compute vertically adjacent tiles and each CTA loads half of the common B slice,
// multicast to both; a stage is then free only when the consumers of both CTAs have released it.
// That variant is verified but measured slower on the H200 (see kernels/gemm.cu), so it is not
// the default.
//
// Ragged edges: TMA fills zeros outside the matrix (rows past m, columns past n or k), and the
// epilogue stores only elements inside C. Rows must be 16-byte multiples for TMA (see launch.h).
#include <cuda_bf16.h>
#include "gemm_internal.h"
#include "sm90.cuh"
#include "wgmma.cuh"
#include "trace.cuh"

// The sm_90a build of this file holds the kernel; other targets compile it to nothing (and planGemm
// never picks it there: sm90aAvailable() asks the device which code it loaded).

namespace gsm {
namespace gemm {
namespace {

constexpr int kTileM = kWgmmaTileM, kTileN = kWgmmaTileN, kStages = kWgmmaStages;
constexpr uint32_t kStageBytesA = kTileM * 128, kStageBytesB = kTileN * 128;

// Operand types. kBlockK elements of K fill one 128-byte swizzled row; kInstK is one wgmma's K.
struct Bf16Op {
  static constexpr int kBlockK = 64, kInstK = 16, kElemBytes = 2, kBParts = 4;  // B: four 64x64 boxes
  static constexpr bool kBMajorN = true;
  static constexpr CUtensorMapDataType kTmaType = CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
};
struct Fp16Op {
  static constexpr int kBlockK = 64, kInstK = 16, kElemBytes = 2, kBParts = 4;
  static constexpr bool kBMajorN = true;
  static constexpr CUtensorMapDataType kTmaType = CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
};
struct Tf32Op {
  static constexpr int kBlockK = 32, kInstK = 8, kElemBytes = 4, kBParts = 2;  // Bt: two 128-row boxes
  static constexpr bool kBMajorN = false;
  static constexpr CUtensorMapDataType kTmaType = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
};

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

__device__ __forceinline__ void pinAccumulators(float (&d)[128]) { pinRegisters(d); }

// One m64n256 wgmma: D (64x256 fp32, in registers) (+)= A (64 x kInstK) * B (kInstK x 256).
template <class Op>
__device__ __forceinline__ void wgmma256(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate);

template <>
__device__ __forceinline__ void wgmma256<Bf16Op>(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  wgmmaSS<256, 1>(d, descA, descB, accumulate);  // B is N-major
}
template <>
__device__ __forceinline__ void wgmma256<Fp16Op>(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {" GSM_WGMMA_R128 "}, %128, %129, p, 1, 1, 0, 1;\n}"
      : GSM_WGMMA_D128(d)
      : "l"(descA), "l"(descB), "r"(accumulate));
}
template <>
__device__ __forceinline__ void wgmma256<Tf32Op>(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k8.f32.tf32.tf32 {" GSM_WGMMA_R128 "}, %128, %129, p, 1, 1;\n}"
      : GSM_WGMMA_D128(d)
      : "l"(descA), "l"(descB), "r"(accumulate));
}

#endif  // GSM_SM90A

template <class Op, int kClusterM>
__global__ void __launch_bounds__(kWgmmaThreads, 1)
    wgmmaGemmKernel(const __grid_constant__ CUtensorMap mapA, const __grid_constant__ CUtensorMap mapB,
                    float* __restrict__ c, int m, int n, int k, int groupRows, Interval* trace) {
#ifdef GSM_SM90A
  extern __shared__ __align__(1024) uint8_t sharedRaw[];
  // Stages at a 1 KB boundary (the swizzle pattern repeats every 1 KB), then the mbarriers.
  const uint32_t base = (sharedAddress(sharedRaw) + 1023u) & ~1023u;
  const uint32_t barriers = base + kStages * static_cast<uint32_t>(kWgmmaStageBytes);
  auto stageA = [&](uint32_t s) { return base + s * static_cast<uint32_t>(kWgmmaStageBytes); };
  auto stageB = [&](uint32_t s) { return stageA(s) + kStageBytesA; };
  auto fullBar = [&](uint32_t s) { return barriers + 8 * s; };
  auto emptyBar = [&](uint32_t s) { return barriers + 8 * (kStages + s); };

  const int tilesM = ceilDiv(m, kTileM), tilesN = ceilDiv(n, kTileN);
  const int unitRows = ceilDiv(tilesM, kClusterM);
  const int units = unitRows * tilesN;
  const int kBlocks = ceilDiv(k, Op::kBlockK);
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
      constexpr int kPartsPerCta = Op::kBParts / kClusterM;
      constexpr uint32_t kPartBytes = kStageBytesB / Op::kBParts;
      uint32_t it = 0;
      for (int unit = cluster; unit < units; unit += clusters) {
        int unitRow, tn;
        unitCoords(unit, unitRows, tilesN, groupRows, unitRow, tn);
        const int tm = unitRow * kClusterM + static_cast<int>(rank);
        const bool rowValid = tm < tilesM;
        for (int kb = 0; kb < kBlocks; ++kb, ++it) {
          const uint32_t s = it % kStages, phase = (it / kStages) & 1;
          mbarWait(emptyBar(s), phase ^ 1);
          mbarExpectTx(fullBar(s), (rowValid ? kStageBytesA : 0) + kStageBytesB);
          if (rowValid) tmaLoad(stageA(s), &mapA, kb * Op::kBlockK, tm * kTileM, fullBar(s));
#pragma unroll
          for (int p = 0; p < kPartsPerCta; ++p) {
            const int part = static_cast<int>(rank) * kPartsPerCta + p;
            const uint32_t dst = stageB(s) + part * kPartBytes;
            // N-major B: box of 64 columns x kBlockK rows; transposed B (tf32): 128 rows of n x kBlockK.
            const int c0 = Op::kBMajorN ? tn * kTileN + part * 64 : kb * Op::kBlockK;
            const int c1 = Op::kBMajorN ? kb * Op::kBlockK : tn * kTileN + part * 128;
            if constexpr (kClusterM > 1) {
              tmaLoadMulticast(dst, &mapB, c0, c1, fullBar(s), static_cast<uint16_t>((1u << kClusterM) - 1));
            } else {
              tmaLoad(dst, &mapB, c0, c1, fullBar(s));
            }
          }
        }
      }
    }
  } else {
    setMaxRegistersInc<232>();
    const int half = warpgroup - 1;  // rows 64*half .. 64*half+63 of the tile
    const int tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32;
    const bool evenN = (n & 1) == 0;
    auto release = [&](uint32_t s) {
      if constexpr (kClusterM > 1) {
#pragma unroll
        for (uint32_t r = 0; r < kClusterM; ++r) mbarArriveCluster(emptyBar(s), r);
      } else {
        mbarArrive(emptyBar(s));
      }
    };
    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; ++i) acc[i] = 0.0f;
    uint32_t it = 0;
    for (int unit = cluster; unit < units; unit += clusters) {
      int unitRow, tn;
      unitCoords(unit, unitRows, tilesN, groupRows, unitRow, tn);
      const int tm = unitRow * kClusterM + static_cast<int>(rank);
      const bool rowValid = tm < tilesM;
      const uint64_t startNs = trace != nullptr ? globalTimerNs() : 0;

      for (int kb = 0; kb < kBlocks; ++kb, ++it) {
        const uint32_t s = it % kStages, phase = (it / kStages) & 1;
        mbarWait(fullBar(s), phase);
        const uint32_t a = stageA(s) + half * 64 * 128, b = stageB(s);
        pinAccumulators(acc);
        wgmmaFence();
#pragma unroll
        for (int kk = 0; kk < Op::kBlockK / Op::kInstK; ++kk) {
          const uint64_t descA = smemDescriptor(a + kk * 32, 16, 1024);
          const uint64_t descB =
              Op::kBMajorN ? smemDescriptor(b + kk * 2048, 8192, 1024) : smemDescriptor(b + kk * 32, 16, 1024);
          wgmma256<Op>(acc, descA, descB, (kb > 0 || kk > 0) ? 1u : 0u);
        }
        wgmmaCommit();
        wgmmaWait<1>();  // every group but this one has retired: the previous stage is free
        pinAccumulators(acc);
        if (kb > 0 && tid == 0) release((it - 1) % kStages);
      }
      wgmmaWait<0>();
      pinAccumulators(acc);
      if (tid == 0) release((it - 1) % kStages);

      if (rowValid) {
        const int row0 = tm * kTileM + half * 64 + warp * 16 + lane / 4;
        const int colBase = tn * kTileN + (lane % 4) * 2;
#pragma unroll
        for (int j = 0; j < 32; ++j) {
          const int col = colBase + j * 8;
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = row0 + h * 8;
            if (row >= m) continue;
            float* out = c + static_cast<size_t>(row) * n + col;
            const float v0 = acc[4 * j + 2 * h], v1 = acc[4 * j + 2 * h + 1];
            if (evenN && col + 1 < n) {
              *reinterpret_cast<float2*>(out) = make_float2(v0, v1);
            } else {
              if (col < n) out[0] = v0;
              if (col + 1 < n) out[1] = v1;
            }
          }
        }
      }
      if (trace != nullptr) {
        asm volatile("bar.sync 1, 256;" ::: "memory");  // both consumer warpgroups have stored the tile
        if (half == 0 && tid == 0 && rowValid) recordWorkItem(trace, tm * tilesN + tn, startNs);
      }
    }
  }
  if constexpr (kClusterM > 1) clusterSync();  // no CTA leaves while its peer may still signal or write it
#endif  // GSM_SM90A
}

// Bt[j][i] = tf32(B[i][j]) for the tf32 path: B is [k, n] row-major, Bt is [n, k].
__global__ void transposeTf32Kernel(const float* __restrict__ b, float* __restrict__ bt, int k, int n) {
  __shared__ float tile[32][33];
  const int n0 = blockIdx.x * 32, k0 = blockIdx.y * 32;
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    const int kk = k0 + r, nn = n0 + threadIdx.x;
    tile[r][threadIdx.x] = (kk < k && nn < n) ? b[static_cast<size_t>(kk) * n + nn] : 0.0f;
  }
  __syncthreads();
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    const int nn = n0 + r, kk = k0 + threadIdx.x;
    if (nn < n && kk < k) {
      uint32_t rounded;
      asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(rounded) : "f"(tile[threadIdx.x][r]));
      bt[static_cast<size_t>(nn) * k + kk] = __uint_as_float(rounded);
    }
  }
}

template <class Op, int kClusterM>
cudaError_t launchTyped(const GemmPlan& plan, float* c, Interval* trace, cudaStream_t stream) {
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(plan.grid);
  config.blockDim = dim3(kWgmmaThreads);
  config.dynamicSmemBytes = kWgmmaSharedBytes;
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
  return cudaLaunchKernelEx(&config, wgmmaGemmKernel<Op, kClusterM>, plan.mapA, plan.mapB, c, s.m, s.n, s.k,
                            plan.groupRows, trace);
}

template <class Op, int kClusterM>
const void* kernelFor() {
  return reinterpret_cast<const void*>(&wgmmaGemmKernel<Op, kClusterM>);
}

const void* kernelOf(GemmDtype dtype, int clusterM) {
  switch (dtype) {
    case GemmDtype::Bf16: return clusterM > 1 ? kernelFor<Bf16Op, 2>() : kernelFor<Bf16Op, 1>();
    case GemmDtype::Fp16: return clusterM > 1 ? kernelFor<Fp16Op, 2>() : kernelFor<Fp16Op, 1>();
    case GemmDtype::Tf32: return clusterM > 1 ? kernelFor<Tf32Op, 2>() : kernelFor<Tf32Op, 1>();
    default: return nullptr;
  }
}

template <class Op>
CUresult encodeMaps(GemmPlan* plan, const void* a, const void* b, TensorMapEncodeFn encode) {
  const GemmShape& s = plan->shape;
  const cuuint32_t elementStrides[2] = {1, 1};
  {
    const cuuint64_t dims[2] = {static_cast<cuuint64_t>(s.k), static_cast<cuuint64_t>(s.m)};
    const cuuint64_t strides[1] = {static_cast<cuuint64_t>(s.k) * Op::kElemBytes};
    const cuuint32_t box[2] = {static_cast<cuuint32_t>(Op::kBlockK), static_cast<cuuint32_t>(kTileM)};
    const CUresult r = encode(&plan->mapA, Op::kTmaType, 2, const_cast<void*>(a), dims, strides, box, elementStrides,
                              CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                              CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS) return r;
  }
  if (Op::kBMajorN) {  // B [k, n]: boxes of 64 columns x kBlockK rows
    const cuuint64_t dims[2] = {static_cast<cuuint64_t>(s.n), static_cast<cuuint64_t>(s.k)};
    const cuuint64_t strides[1] = {static_cast<cuuint64_t>(s.n) * Op::kElemBytes};
    const cuuint32_t box[2] = {64, static_cast<cuuint32_t>(Op::kBlockK)};
    return encode(&plan->mapB, Op::kTmaType, 2, const_cast<void*>(b), dims, strides, box, elementStrides,
                  CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                  CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  }
  // Transposed B [n, k] in the workspace: boxes of kBlockK x 128 rows.
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(s.k), static_cast<cuuint64_t>(s.n)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(s.k) * Op::kElemBytes};
  const cuuint32_t box[2] = {static_cast<cuuint32_t>(Op::kBlockK), 128};
  return encode(&plan->mapB, Op::kTmaType, 2, const_cast<void*>(b), dims, strides, box, elementStrides,
                CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
}

}  // namespace

cudaError_t wgmmaGrid(const GemmPlan& plan, int device, int* grid) {
  const GemmShape& s = plan.shape;
  const void* kernel = kernelOf(s.dtype, plan.clusterM);
  if (kernel == nullptr) return cudaErrorInvalidValue;
  cudaError_t e =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kWgmmaSharedBytes));
  if (e != cudaSuccess) return e;
  const int units = ceilDiv(ceilDiv(s.m, kTileM), plan.clusterM) * ceilDiv(s.n, kTileN);
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
    config.dynamicSmemBytes = kWgmmaSharedBytes;
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
  CUresult r = CUDA_ERROR_INVALID_VALUE;
  switch (plan->shape.dtype) {
    case GemmDtype::Bf16: r = encodeMaps<Bf16Op>(plan, a, b, encode); break;
    case GemmDtype::Fp16: r = encodeMaps<Fp16Op>(plan, a, b, encode); break;
    case GemmDtype::Tf32: r = encodeMaps<Tf32Op>(plan, a, workspace, encode); break;
    default: break;
  }
  return r == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t launchWgmma(const GemmPlan& plan, const void* b, float* c, void* workspace, Interval* trace,
                        cudaStream_t stream) {
  const GemmShape& s = plan.shape;
  const bool pair = plan.clusterM > 1;
  switch (s.dtype) {
    case GemmDtype::Bf16:
      return pair ? launchTyped<Bf16Op, 2>(plan, c, trace, stream) : launchTyped<Bf16Op, 1>(plan, c, trace, stream);
    case GemmDtype::Fp16:
      return pair ? launchTyped<Fp16Op, 2>(plan, c, trace, stream) : launchTyped<Fp16Op, 1>(plan, c, trace, stream);
    case GemmDtype::Tf32: {
      const dim3 grid(ceilDiv(s.n, 32), ceilDiv(s.k, 32));
      transposeTf32Kernel<<<grid, dim3(32, 8), 0, stream>>>(static_cast<const float*>(b),
                                                            static_cast<float*>(workspace), s.k, s.n);
      const cudaError_t e = cudaGetLastError();
      if (e != cudaSuccess) return e;
      return pair ? launchTyped<Tf32Op, 2>(plan, c, trace, stream) : launchTyped<Tf32Op, 1>(plan, c, trace, stream);
    }
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace gemm
}  // namespace gsm

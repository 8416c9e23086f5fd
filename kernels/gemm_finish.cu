// The gemm epilogue's bias and activation as a pass of its own over C (gemm_internal.h finishGemm):
// C = act(C + bias[col]) in place, for the paths whose kernels store alpha * acc only (the wgmma
// tiles unsplit, but for the 128x64 one of y = x W^T; mma.sync, SIMT, skinny). Memory-bound: a
// thread finishes two adjacent columns of one row at a time (one 4-byte bf16 or 8-byte fp32 access
// where C's pairs allow), grid-stride.
#include <cuda_bf16.h>
#include "gemm_internal.h"

namespace gsm {
namespace gemm {
namespace {

constexpr int kFinishThreads = 256;
constexpr int kFinishMaxCtas = 1024;

__device__ __forceinline__ float finishValue(const Epilogue& e, int col, float v) {
  if (e.bias != nullptr) v += e.bias[col];
  return e.act == Activation::None ? v : activate(v, e.act);
}

__global__ void __launch_bounds__(kFinishThreads) finishKernel(Epilogue e, int m, int n, int batch) {
  const int pairsPerRow = (n + 1) / 2;
  const int64_t pairs = static_cast<int64_t>(batch) * m * pairsPerRow;
  const int64_t step = static_cast<int64_t>(gridDim.x) * kFinishThreads;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kFinishThreads + threadIdx.x; i < pairs; i += step) {
    const int col = 2 * static_cast<int>(i % pairsPerRow);
    const int64_t rowIndex = i / pairsPerRow;  // batch * m + row
    const int row = static_cast<int>(rowIndex % m), z = static_cast<int>(rowIndex / m);
    const size_t index = static_cast<size_t>(z) * e.strideC + static_cast<size_t>(row) * n + col;
    const bool two = col + 1 < n;
    if (e.bf16) {
      __nv_bfloat16* c = static_cast<__nv_bfloat16*>(e.c) + index;
      if (e.pairs && two) {
        const float2 v = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(c));
        *reinterpret_cast<__nv_bfloat162*>(c) =
            __floats2bfloat162_rn(finishValue(e, col, v.x), finishValue(e, col + 1, v.y));
      } else {
        c[0] = __float2bfloat16_rn(finishValue(e, col, __bfloat162float(c[0])));
        if (two) c[1] = __float2bfloat16_rn(finishValue(e, col + 1, __bfloat162float(c[1])));
      }
    } else {
      float* c = static_cast<float*>(e.c) + index;
      if (e.pairs && two) {
        const float2 v = *reinterpret_cast<const float2*>(c);
        *reinterpret_cast<float2*>(c) = make_float2(finishValue(e, col, v.x), finishValue(e, col + 1, v.y));
      } else {
        c[0] = finishValue(e, col, c[0]);
        if (two) c[1] = finishValue(e, col + 1, c[1]);
      }
    }
  }
}

}  // namespace

bool finishesInKernel(const GemmPlan& plan) {
  const GemmShape& s = plan.shape;
  const bool linearLayout = s.transB && !s.transA;  // y = x W^T
  return plan.path == GemmPath::Wgmma && (plan.splitK > 1 || (plan.tileN == kWgmmaNarrowN && linearLayout));
}

cudaError_t finishGemm(const GemmShape& s, const Epilogue& e, cudaStream_t stream) {
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.m * ((s.n + 1) / 2);
  const int64_t ctas = (pairs + kFinishThreads - 1) / kFinishThreads;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(ctas < kFinishMaxCtas ? ctas : kFinishMaxCtas));
  config.blockDim = dim3(kFinishThreads);
  config.stream = stream;
  return cudaLaunchKernelEx(&config, finishKernel, e, s.m, s.n, s.batch);
}

}  // namespace gemm
}  // namespace gsm

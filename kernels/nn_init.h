// Small kernels the model graph (native/models/) needs besides kernels/nn.h: seeded parameter
// initialisation, integer ids, bf16 -> fp32 widening and a row broadcast. None is traced (they run
// at prepare, or are a copy next to a library call). Each returns cudaGetLastError() after its launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>

namespace gsm {

// out[i] = U(-bound, bound), from a counter-based hash of (seed, i).
cudaError_t initUniform(float* out, size_t count, float bound, uint64_t seed, cudaStream_t stream);
// out[i] = N(0, stddev), Box-Muller on two hashed uniforms of (seed, i).
cudaError_t initNormal(float* out, size_t count, float stddev, uint64_t seed, cudaStream_t stream);
// out[i] uniform in [0, range) (labels, token ids); range >= 1.
cudaError_t fillIds(int32_t* out, size_t count, int32_t range, uint64_t seed, cudaStream_t stream);
// y[i] = x[i] (bf16 bit patterns widened to fp32, exact).
cudaError_t widenBf16(const uint16_t* x, float* y, size_t count, cudaStream_t stream);
// y[row, col] = v[col] for rows x cols (fp32): a bias before a gemm that accumulates onto it.
cudaError_t broadcastRows(const float* v, float* y, int rows, int cols, cudaStream_t stream);

}  // namespace gsm

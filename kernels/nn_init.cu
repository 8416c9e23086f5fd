// The model graph's small helper kernels (nn_init.h): grid-stride loops over a fixed grid.
#include <cuda_bf16.h>
#include "nn_init.h"

namespace gsm {
namespace {

__device__ __forceinline__ uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// 24 random bits of (seed, i) as a float in [0, 1).
__device__ __forceinline__ float unitAt(uint64_t seed, uint64_t i) {
  return static_cast<float>(mix64(seed ^ mix64(i)) >> 40) * (1.0f / 16777216.0f);
}

__global__ void initUniformKernel(float* out, size_t count, float bound, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = (2.0f * unitAt(seed, i) - 1.0f) * bound;
  }
}

__global__ void initNormalKernel(float* out, size_t count, float stddev, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float u1 = 1.0f - unitAt(seed, 2 * i);  // (0, 1]: the log is finite
    const float u2 = unitAt(seed, 2 * i + 1);
    out[i] = stddev * sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
  }
}

__global__ void fillIdsKernel(int32_t* out, size_t count, int32_t range, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = static_cast<int32_t>(mix64(seed ^ mix64(i)) % static_cast<uint64_t>(range));
  }
}

__global__ void widenBf16Kernel(const uint16_t* x, float* y, size_t count) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    y[i] = __uint_as_float(static_cast<uint32_t>(x[i]) << 16);
  }
}

__global__ void broadcastRowsKernel(const float* v, float* y, size_t count, int cols) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    y[i] = v[i % cols];
  }
}

unsigned gridFor(size_t count) {
  const size_t blocks = (count + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks == 0 ? 1 : blocks) : 4096);
}

}  // namespace

cudaError_t initUniform(float* out, size_t count, float bound, uint64_t seed, cudaStream_t stream) {
  initUniformKernel<<<gridFor(count), 256, 0, stream>>>(out, count, bound, seed);
  return cudaGetLastError();
}

cudaError_t initNormal(float* out, size_t count, float stddev, uint64_t seed, cudaStream_t stream) {
  initNormalKernel<<<gridFor(count), 256, 0, stream>>>(out, count, stddev, seed);
  return cudaGetLastError();
}

cudaError_t fillIds(int32_t* out, size_t count, int32_t range, uint64_t seed, cudaStream_t stream) {
  if (range < 1) return cudaErrorInvalidValue;
  fillIdsKernel<<<gridFor(count), 256, 0, stream>>>(out, count, range, seed);
  return cudaGetLastError();
}

cudaError_t widenBf16(const uint16_t* x, float* y, size_t count, cudaStream_t stream) {
  widenBf16Kernel<<<gridFor(count), 256, 0, stream>>>(x, y, count);
  return cudaGetLastError();
}

cudaError_t broadcastRows(const float* v, float* y, int rows, int cols, cudaStream_t stream) {
  if (cols < 1) return cudaErrorInvalidValue;
  const size_t count = static_cast<size_t>(rows) * cols;
  broadcastRowsKernel<<<gridFor(count), 256, 0, stream>>>(v, y, count, cols);
  return cudaGetLastError();
}

}  // namespace gsm

// Small helper kernels: random inputs, poisoned outputs, a clock read.
#include <cuda_bf16.h>
#include "launch.h"
#include "trace.cuh"

namespace gsm {
namespace {

__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

__global__ void fillRandomBf16Kernel(uint16_t* out, size_t count, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const uint64_t bits = splitmix64(seed ^ splitmix64(i));
    const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);  // [0, 1)
    out[i] = __bfloat16_as_ushort(__float2bfloat16_rn(2.0f * u - 1.0f));
  }
}

__global__ void fillRandomF32Kernel(float* out, size_t count, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const uint64_t bits = splitmix64(seed ^ splitmix64(i));
    out[i] = 2.0f * (static_cast<float>(bits >> 40) * (1.0f / 16777216.0f)) - 1.0f;
  }
}

__global__ void fillFloatKernel(float* out, size_t count, float value) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = value;
  }
}

__global__ void readGlobalTimerKernel(uint64_t* out) { *out = globalTimerNs(); }

unsigned gridFor(size_t count) {
  const size_t blocks = (count + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks == 0 ? 1 : blocks) : 4096);
}

}  // namespace

cudaError_t fillRandomBf16(uint16_t* out, size_t count, uint64_t seed, cudaStream_t stream) {
  fillRandomBf16Kernel<<<gridFor(count), 256, 0, stream>>>(out, count, seed);
  return cudaGetLastError();
}

cudaError_t fillRandomF32(float* out, size_t count, uint64_t seed, cudaStream_t stream) {
  fillRandomF32Kernel<<<gridFor(count), 256, 0, stream>>>(out, count, seed);
  return cudaGetLastError();
}

cudaError_t fillFloat(float* out, size_t count, float value, cudaStream_t stream) {
  fillFloatKernel<<<gridFor(count), 256, 0, stream>>>(out, count, value);
  return cudaGetLastError();
}

cudaError_t readGlobalTimer(uint64_t* deviceOut, cudaStream_t stream) {
  readGlobalTimerKernel<<<1, 1, 0, stream>>>(deviceOut);
  return cudaGetLastError();
}

}  // namespace gsm

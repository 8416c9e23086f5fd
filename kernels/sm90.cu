// sm90aAvailable: does this process run sm_90a code on the device? Only the sm_90a build of a kernel
// holds its wgmma body (kernels/sm90.cuh); on a compute capability 9.0 GPU a build without sm_90a SASS
// would JIT the compute_90 PTX, whose Hopper kernel bodies are empty. So ask the device once.
#include <mutex>
#include "launch.h"
#include "sm90.cuh"

namespace gsm {
namespace {

__global__ void sm90aProbeKernel(int* out) {
#ifdef GSM_SM90A
  *out = 1;
#else
  *out = 0;
#endif
}

}  // namespace

cudaError_t sm90aAvailable(int device, cudaStream_t stream, bool* available) {
  *available = false;
  int major = 0, minor = 0;
  cudaError_t e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  if (e != cudaSuccess) return e;
  if (major != 9 || minor != 0) return cudaSuccess;  // sm_90a code runs on compute capability 9.0 only
  static std::mutex mutex;
  static int known[64] = {0};  // 0 unknown, 1 no, 2 yes
  std::lock_guard<std::mutex> lock(mutex);
  if (device >= 0 && device < 64 && known[device] != 0) {
    *available = known[device] == 2;
    return cudaSuccess;
  }
  int* flag = nullptr;
  int host = 0;
  e = cudaMalloc(&flag, sizeof(int));
  if (e != cudaSuccess) return e;
  sm90aProbeKernel<<<1, 1, 0, stream>>>(flag);
  e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaMemcpyAsync(&host, flag, sizeof(int), cudaMemcpyDeviceToHost, stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
  cudaFree(flag);
  if (e != cudaSuccess) return e;
  *available = host == 1;
  if (device >= 0 && device < 64) known[device] = host == 1 ? 2 : 1;
  return cudaSuccess;
}

}  // namespace gsm

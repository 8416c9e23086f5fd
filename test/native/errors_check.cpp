// CPU check of the launch-failure notes (native/core/errors.cpp), built and run by
// test/native-errors.test.ts with g++ and the CUDA toolkit's headers and static runtime (no GPU:
// cudaGetErrorName and cudaGetErrorString need no device). Prints one line per case.
#include <cstdio>
#include "core/errors.h"

int main() {
  using gsm::cudaFailure;
  // 1. A library failure noted inside a model op, then the launch's cudaErrorUnknown: the message names both.
  gsm::noteLaunchFailure("cudnnConvolutionForward failed: CUDNN_STATUS_EXECUTION_FAILED (5000)");
  gsm::prefixLaunchFailure("layer1.0.conv1 conv fwd (cuDNN)");
  std::printf(
      "noted: %s\n",
      cudaFailure(cudaErrorUnknown, "w->launch(stream, nullptr)", "/x/workload_binding.cpp", 63).message.c_str());
  // 2. The note was taken: the next unknown error has none.
  std::printf("taken: %s\n", cudaFailure(cudaErrorUnknown, "launch", "a.cpp", 1).message.c_str());
  // 3. A note never rides on another error, and is dropped by it.
  gsm::noteLaunchFailure("stale");
  std::printf("other: %s\n", cudaFailure(cudaErrorMemoryAllocation, "cudaMalloc(&p, n)", "b.cpp", 2).message.c_str());
  std::printf("after: %s\n", cudaFailure(cudaErrorUnknown, "launch", "c.cpp", 3).message.c_str());
  // 4. A prefix without a library note (an own kernel's failure inside a model).
  gsm::prefixLaunchFailure("fc gemm fwd (own)");
  std::printf("prefix: %s\n", cudaFailure(cudaErrorUnknown, "launch", "d.cpp", 4).message.c_str());
  return 0;
}

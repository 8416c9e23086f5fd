// Shared by the standalone GPU checks (test/native/*.cu): CHECK(call) stops the program with exit
// status 2, naming the call, the file and line, and the CUDA error, when a CUDA call fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cuda_runtime_api.h>

#define CHECK(call)                                                                                    \
  do {                                                                                                 \
    const cudaError_t e_ = (call);                                                                     \
    if (e_ != cudaSuccess) {                                                                           \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorName(e_)); \
      std::exit(2);                                                                                    \
    }                                                                                                  \
  } while (0)

// The few cuBLAS functions the unfused attention needs (two strided-batched GEMMs), loaded at run
// time with dlopen: the build machines have no cuBLAS. (libraries/cublaslt.h is the GEMM workloads'
// cuBLASLt loader; this one stays minimal and private to attention.)
#pragma once

#include <string>
#include <cuda_runtime_api.h>
#include <library_types.h>
#include "libraries/shared_library.h"

namespace gsm {

namespace cublas {
using Status = int;
using Handle = struct cublasContext*;
constexpr Status kSuccess = 0;
constexpr int kOpN = 0, kOpT = 1;        // cublasOperation_t
constexpr int kCompute32F = 68;          // cublasComputeType_t CUBLAS_COMPUTE_32F
constexpr int kGemmDefault = -1;         // cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT
}  // namespace cublas

struct CublasApi : LoadedLibrary {  // `unavailable` is empty when loaded
  cublas::Status (*create)(cublas::Handle*) = nullptr;
  cublas::Status (*destroy)(cublas::Handle) = nullptr;
  cublas::Status (*setStream)(cublas::Handle, cudaStream_t) = nullptr;
  const char* (*statusString)(cublas::Status) = nullptr;
  cublas::Status (*gemmStridedBatchedEx)(cublas::Handle, int transa, int transb, int m, int n, int k, const void* alpha,
                                         const void* a, cudaDataType aType, int lda, long long strideA, const void* b,
                                         cudaDataType bType, int ldb, long long strideB, const void* beta, void* c,
                                         cudaDataType cType, int ldc, long long strideC, int batchCount,
                                         int computeType, int algo) = nullptr;
};

// Loads libcublas once per process; throws NativeFailure (ERR_LIBRARY) naming the library when it
// cannot be loaded.
const CublasApi& cublasAttentionApi();
// Throws NativeFailure (ERR_LIBRARY) naming the call and cuBLAS's status when it failed.
void checkCublas(cublas::Status status, const char* call);

}  // namespace gsm

#define GSM_CUBLAS(call) ::gsm::checkCublas((call), #call)

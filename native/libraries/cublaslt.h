// cuBLASLt, loaded at run time with dlopen (no cuBLAS headers or libraries at build time): the
// same product as the project's gemm (kernels/launch.h GemmShape: C = alpha op(A) op(B) (+ C), every
// matrix row-major, inputs of bf16, fp16, or fp32 with tf32 or fp32 arithmetic, C fp32 or bf16,
// transposes and strided batches), with the algorithm cuBLASLt's heuristic picks for the shape
// within a workspace limit. No N-API and no exceptions in here, so that the
// standalone gemm test program links it too; callers turn the error strings into their errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <cuda_runtime_api.h>
#include "kernels/launch.h"

namespace gsm {

class CublasLtGemm {
 public:
  CublasLtGemm() = default;
  ~CublasLtGemm() { destroy(); }
  CublasLtGemm(const CublasLtGemm&) = delete;
  CublasLtGemm& operator=(const CublasLtGemm&) = delete;

  // Loads the library (once per process), makes a handle and the matrix descriptions, and asks the
  // heuristic for an algorithm. On failure returns false and sets `error`; `libraryMissing` says
  // whether the cause is that no cuBLASLt could be loaded (as opposed to an unsupported problem).
  bool create(const GemmShape& shape, size_t workspaceLimit, std::string& error, bool& libraryMissing);
  // Bytes of workspace the chosen algorithm needs (allocate them and pass them to run()).
  size_t workspaceBytes() const { return workspaceBytes_; }
  // Enqueues the product on `stream`; `c` is float* or bf16 bit patterns as the shape's `out` says.
  // Returns cuBLAS's status (0 is success).
  int run(const void* a, const void* b, void* c, void* workspace, cudaStream_t stream) const;
  void destroy() noexcept;

  // The file that was loaded, e.g. "libcublasLt.so.13"; empty before a successful load.
  static std::string libraryFile();
  // "CUBLAS_STATUS_..." where the library can name it, else the number.
  static std::string statusName(int status);

 private:
  void* handle_ = nullptr;
  void* desc_ = nullptr;
  void* layoutA_ = nullptr;  // cuBLASLt's A and B: our B and A (see create)
  void* layoutB_ = nullptr;
  void* layoutC_ = nullptr;
  uint64_t algo_[8] = {0};
  size_t workspaceBytes_ = 0;
  float alpha_ = 1.0f, beta_ = 0.0f;
};

}  // namespace gsm

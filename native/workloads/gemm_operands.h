// The operands of one gemm workload, shared by the project's own kernel (workload_gemm.cpp) and
// cuBLASLt (workload_cublas.cpp) so that both multiply the same kind of data: A[m,k] and B[k,n]
// row-major, uniform random in [-1, 1) (bf16, fp16, or fp32 for tf32 and fp32), and C[m,n] fp32,
// poisoned with NaN so that an element no launch wrote cannot pass a check.
#pragma once

#include <string>
#include <vector>
#include "workloads/workload.h"

namespace gsm {

// "bf16", "fp16", "tf32", "fp32"; throws NativeFailure (ERR_ARGS) for anything else.
GemmDtype parseGemmDtype(const std::string& dtype);
// [m, n, k] from the spec; throws NativeFailure (ERR_ARGS) unless there are three positive sizes.
GemmShape gemmShapeOf(const WorkloadSpec& spec);

class GemmOperands {
 public:
  GemmOperands(const GemmShape& shape, uint64_t seed) : shape_(shape), seed_(seed) {}
  ~GemmOperands() { release(); }
  GemmOperands(const GemmOperands&) = delete;
  GemmOperands& operator=(const GemmOperands&) = delete;

  void allocate(cudaStream_t stream);  // allocate, fill A and B, poison C (enqueued on `stream`)
  std::vector<HostTensor> read(cudaStream_t stream) const;  // a, b, c (synchronises the stream)
  void release() noexcept;

  const void* a() const { return a_; }
  const void* b() const { return b_; }
  float* c() const { return c_; }
  const GemmShape& shape() const { return shape_; }
  double flops() const { return 2.0 * shape_.m * shape_.n * static_cast<double>(shape_.k); }
  // Each input read once, the output written once.
  double bytes() const;

 private:
  size_t elementBytes() const { return shape_.dtype == GemmDtype::Bf16 || shape_.dtype == GemmDtype::Fp16 ? 2 : 4; }
  GemmShape shape_;
  uint64_t seed_;
  void* a_ = nullptr;
  void* b_ = nullptr;
  float* c_ = nullptr;
};

}  // namespace gsm

#include "workloads/gemm_operands.h"

#include "core/errors.h"
#include "workloads/extent.h"

namespace gsm {

GemmDtype parseGemmDtype(const std::string& dtype) {
  if (dtype == "bf16") return GemmDtype::Bf16;
  if (dtype == "fp16") return GemmDtype::Fp16;
  if (dtype == "tf32") return GemmDtype::Tf32;
  if (dtype == "fp32") return GemmDtype::Fp32;
  throw NativeFailure({"ERR_ARGS", "gemm has no dtype '" + dtype + "' (bf16, fp16, tf32, fp32)", "", ""});
}

GemmShape gemmShapeOf(const WorkloadSpec& spec) {
  if (spec.shape.size() != 3) throw NativeFailure({"ERR_ARGS", "gemm needs shape [m, n, k]", "", ""});
  for (int64_t d : spec.shape) {
    if (d < 1 || d > (1 << 20)) throw NativeFailure({"ERR_ARGS", "gemm sizes must be in [1, 2^20]", "", ""});
  }
  const int64_t m = spec.shape[0], n = spec.shape[1], k = spec.shape[2];
  boundedProduct({m, k}, kMaxTensorElements, "gemm A [m, k]");  // at most 2^40 with sizes up to 2^20
  boundedProduct({k, n}, kMaxTensorElements, "gemm B [k, n]");
  boundedProduct({m, n}, kMaxTensorElements, "gemm C [m, n]");
  return GemmShape{static_cast<int>(spec.shape[0]), static_cast<int>(spec.shape[1]), static_cast<int>(spec.shape[2]),
                   parseGemmDtype(spec.dtype)};
}

double GemmOperands::bytes() const {
  const double m = shape_.m, n = shape_.n, k = shape_.k;
  return static_cast<double>(elementBytes()) * (m * k + k * n) + 4.0 * m * n;
}

void GemmOperands::allocate(cudaStream_t stream) {
  const size_t m = shape_.m, n = shape_.n, k = shape_.k, e = elementBytes();
  GSM_CUDA(cudaMalloc(&a_, m * k * e));
  GSM_CUDA(cudaMalloc(&b_, k * n * e));
  GSM_CUDA(cudaMalloc(&c_, m * n * sizeof(float)));
  const uint64_t seedB = seed_ ^ 0x5bd1e995ull;
  switch (shape_.dtype) {
    case GemmDtype::Bf16:
      GSM_CUDA(fillRandomBf16(static_cast<uint16_t*>(a_), m * k, seed_, stream));
      GSM_CUDA(fillRandomBf16(static_cast<uint16_t*>(b_), k * n, seedB, stream));
      break;
    case GemmDtype::Fp16:
      GSM_CUDA(fillRandomFp16(static_cast<uint16_t*>(a_), m * k, seed_, stream));
      GSM_CUDA(fillRandomFp16(static_cast<uint16_t*>(b_), k * n, seedB, stream));
      break;
    default:
      GSM_CUDA(fillRandomFloat(static_cast<float*>(a_), m * k, seed_, stream));
      GSM_CUDA(fillRandomFloat(static_cast<float*>(b_), k * n, seedB, stream));
      break;
  }
  GSM_CUDA(fillFloat(c_, m * n, __builtin_nanf(""), stream));
}

std::vector<HostTensor> GemmOperands::read(cudaStream_t stream) const {
  GSM_CUDA(cudaStreamSynchronize(stream));
  const int64_t m = shape_.m, n = shape_.n, k = shape_.k;
  std::vector<HostTensor> out;
  switch (shape_.dtype) {
    case GemmDtype::Bf16:
      out.push_back(bf16Tensor("a", static_cast<const uint16_t*>(a_), {m, k}));
      out.push_back(bf16Tensor("b", static_cast<const uint16_t*>(b_), {k, n}));
      break;
    case GemmDtype::Fp16:
      out.push_back(fp16Tensor("a", static_cast<const uint16_t*>(a_), {m, k}));
      out.push_back(fp16Tensor("b", static_cast<const uint16_t*>(b_), {k, n}));
      break;
    default:
      out.push_back(floatTensor("a", static_cast<const float*>(a_), {m, k}));
      out.push_back(floatTensor("b", static_cast<const float*>(b_), {k, n}));
      break;
  }
  out.push_back(floatTensor("c", c_, {m, n}));
  return out;
}

void GemmOperands::release() noexcept {
  freeDevice(a_);
  freeDevice(b_);
  freeDevice(c_);
}

}  // namespace gsm

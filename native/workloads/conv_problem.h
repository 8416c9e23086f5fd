// The tensors of one convolution problem, shared by the conv workloads (the project's kernel and
// cuDNN): shape [n, c, h, w, k, r, s, stride, pad], x [n, h, w, c] and w [k, r, s, c] bf16 filled
// with fresh uniform values in [-1, 1), y [n, p, q, k] bf16 poisoned with NaN before each run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include "kernels/launch.h"
#include "core/errors.h"
#include "workloads/workload.h"

namespace gsm {

class ConvProblem {
 public:
  explicit ConvProblem(const WorkloadSpec& spec) : seed_(spec.seed) {
    if (spec.shape.size() != 9) throw NativeFailure({"ERR_ARGS", "conv needs shape [n, c, h, w, k, r, s, stride, pad]", "", ""});
    if (spec.dtype != "bf16") throw NativeFailure({"ERR_ARGS", "conv supports dtype bf16 only, got " + spec.dtype, "", ""});
    const auto& d = spec.shape;
    args_.n = static_cast<int>(d[0]);
    args_.c = static_cast<int>(d[1]);
    args_.h = static_cast<int>(d[2]);
    args_.w = static_cast<int>(d[3]);
    args_.k = static_cast<int>(d[4]);
    args_.r = static_cast<int>(d[5]);
    args_.s = static_cast<int>(d[6]);
    args_.stride = static_cast<int>(d[7]);
    args_.pad = static_cast<int>(d[8]);
    if (args_.n < 1 || args_.c < 1 || args_.h < 1 || args_.w < 1 || args_.k < 1 || args_.r < 1 || args_.s < 1 ||
        args_.stride < 1 || args_.pad < 0) {
      throw NativeFailure({"ERR_ARGS", "conv sizes must be positive (pad may be 0)", "", ""});
    }
    args_.p = convOutputSize(args_.h, args_.r, args_.stride, args_.pad);
    args_.q = convOutputSize(args_.w, args_.s, args_.stride, args_.pad);
    if (args_.p < 1 || args_.q < 1) throw NativeFailure({"ERR_ARGS", "conv filter larger than the padded input", "", ""});
    args_.variant = spec.variant;  // makeWorkload checked it against convVariantCount()
  }

  void allocate(cudaStream_t stream) {
    GSM_CUDA(cudaMalloc(&x_, xCount() * 2));
    GSM_CUDA(cudaMalloc(&w_, wCount() * 2));
    GSM_CUDA(cudaMalloc(&y_, yCount() * 2));
    GSM_CUDA(fillRandomBf16(x_, xCount(), seed_, stream));
    GSM_CUDA(fillRandomBf16(w_, wCount(), seed_ ^ 0x5bd1e995ull, stream));
    GSM_CUDA(cudaMemsetAsync(y_, 0xff, yCount() * 2, stream));  // 0xffff is a bf16 NaN
    args_.x = x_;
    args_.filter = w_;
    args_.y = y_;
  }
  void release() noexcept {
    freeDevice(x_);
    freeDevice(w_);
    freeDevice(y_);
  }

  const ConvArgs& args() const { return args_; }
  void useSm90a(bool available) { args_.sm90a = available; }
  void limitSms(int sms) { args_.sms = sms; }
  size_t xCount() const { return static_cast<size_t>(args_.n) * args_.h * args_.w * args_.c; }
  size_t wCount() const { return static_cast<size_t>(args_.k) * args_.r * args_.s * args_.c; }
  size_t yCount() const { return static_cast<size_t>(args_.n) * args_.p * args_.q * args_.k; }
  double flops() const {
    return 2.0 * args_.n * args_.p * args_.q * static_cast<double>(args_.k) * args_.c * args_.r * args_.s;
  }
  double bytes() const { return 2.0 * (static_cast<double>(xCount()) + wCount() + yCount()); }

  std::vector<HostTensor> read(cudaStream_t stream) const {
    GSM_CUDA(cudaStreamSynchronize(stream));
    const ConvArgs& a = args_;
    return {bf16Tensor("x", x_, {a.n, a.h, a.w, a.c}), bf16Tensor("w", w_, {a.k, a.r, a.s, a.c}),
            bf16Tensor("y", y_, {a.n, a.p, a.q, a.k})};
  }

 private:
  uint64_t seed_;
  ConvArgs args_{};
  uint16_t* x_ = nullptr;
  uint16_t* w_ = nullptr;
  uint16_t* y_ = nullptr;
};

}  // namespace gsm

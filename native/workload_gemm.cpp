// The project's own bf16 GEMM as a workload: C[m,n] (fp32) = A[m,k] B[k,n], inputs uniform in [-1, 1).
#include "errors.h"
#include "workload.h"

namespace gsm {
namespace {

class GemmWorkload final : public Workload {
 public:
  explicit GemmWorkload(const WorkloadSpec& spec)
      : m_(static_cast<int>(spec.shape.at(0))), n_(static_cast<int>(spec.shape.at(1))),
        k_(static_cast<int>(spec.shape.at(2))), seed_(spec.seed) {}
  ~GemmWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    const size_t m = m_, n = n_, k = k_;
    GSM_CUDA(cudaMalloc(&a_, m * k * sizeof(uint16_t)));
    GSM_CUDA(cudaMalloc(&b_, k * n * sizeof(uint16_t)));
    GSM_CUDA(cudaMalloc(&c_, m * n * sizeof(float)));
    GSM_CUDA(fillRandomBf16(a_, m * k, seed_, stream));
    GSM_CUDA(fillRandomBf16(b_, k * n, seed_ ^ 0x5bd1e995ull, stream));
    GSM_CUDA(fillFloat(c_, m * n, __builtin_nanf(""), stream));
  }
  int ctasPerLaunch() const override { return gemmCtaCount(m_, n_); }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    return launchGemmBf16(GemmArgs{m_, n_, k_, a_, b_, c_}, trace, stream);
  }
  double flopsPerLaunch() const override { return 2.0 * m_ * n_ * k_; }
  double bytesPerLaunch() const override {
    return 2.0 * (static_cast<double>(m_) * k_ + static_cast<double>(k_) * n_) + 4.0 * m_ * n_;
  }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override {
    GSM_CUDA(cudaStreamSynchronize(stream));
    return {bf16Tensor("a", a_, {m_, k_}), bf16Tensor("b", b_, {k_, n_}), floatTensor("c", c_, {m_, n_})};
  }
  void release() noexcept override {
    freeDevice(a_);
    freeDevice(b_);
    freeDevice(c_);
  }

 private:
  int m_, n_, k_;
  uint64_t seed_;
  uint16_t* a_ = nullptr;
  uint16_t* b_ = nullptr;
  float* c_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeGemmWorkload(const WorkloadSpec& spec) {
  if (spec.shape.size() != 3) throw NativeFailure({"ERR_ARGS", "gemm needs shape [m, n, k]", "", ""});
  return std::make_unique<GemmWorkload>(spec);
}

}  // namespace gsm

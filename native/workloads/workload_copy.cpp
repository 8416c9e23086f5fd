// The memory-bound workloads: copy (b = a) and triad (a = b + 3 c) over fp32 arrays of `elements`,
// through the project's kernels (impl own) or, for copy, cudaMemcpyAsync device to device (impl
// cudart, the bandwidth a copy can reach). Inputs are uniform in [-1, 1); the output is poisoned
// with NaN. Bytes per launch count each array read or written once.
#include "core/errors.h"
#include "workloads/extent.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

constexpr float kTriadScalar = 3.0f;

class StreamWorkload final : public Workload {
 public:
  explicit StreamWorkload(const WorkloadSpec& spec)
      : triad_(spec.kernel == "triad"), library_(spec.impl == "cudart"), seed_(spec.seed) {
    if (spec.shape.size() != 1 || spec.shape[0] < 1) {
      throw NativeFailure({"ERR_ARGS", spec.kernel + " needs shape [elements]", "", ""});
    }
    if (spec.dtype != "fp32")
      throw NativeFailure({"ERR_ARGS", spec.kernel + " supports dtype fp32 only, got " + spec.dtype, "", ""});
    count_ = boundedProduct({spec.shape[0]}, kMaxIndex, spec.kernel + " elements");
  }
  ~StreamWorkload() override { release(); }

  void prepare(int device, cudaStream_t stream) override {
    cudaDeviceProp prop{};
    GSM_CUDA(cudaGetDeviceProperties(&prop, device));
    ctas_ = copyCtaCount(prop.multiProcessorCount, count_);
    const size_t bytes = count_ * sizeof(float);
    GSM_CUDA(cudaMalloc(&a_, bytes));
    GSM_CUDA(cudaMalloc(&b_, bytes));
    if (triad_) GSM_CUDA(cudaMalloc(&c_, bytes));
    float* output = triad_ ? a_ : b_;
    GSM_CUDA(fillRandomFloat(triad_ ? b_ : a_, count_, seed_, stream));
    if (triad_) GSM_CUDA(fillRandomFloat(c_, count_, seed_ ^ 0x5bd1e995ull, stream));
    GSM_CUDA(fillFloat(output, count_, __builtin_nanf(""), stream));
  }
  int ctasPerLaunch() const override { return library_ ? 0 : ctas_; }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    if (library_) return cudaMemcpyAsync(b_, a_, count_ * sizeof(float), cudaMemcpyDeviceToDevice, stream);
    if (triad_) return launchTriadF32(TriadArgs{a_, b_, c_, kTriadScalar, count_}, ctas_, trace, stream);
    return launchCopyF32(CopyArgs{a_, b_, count_}, ctas_, trace, stream);
  }
  double flopsPerLaunch() const override { return triad_ ? 2.0 * count_ : 0.0; }
  double bytesPerLaunch() const override { return (triad_ ? 3.0 : 2.0) * sizeof(float) * count_; }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override {
    GSM_CUDA(cudaStreamSynchronize(stream));
    const int64_t n = static_cast<int64_t>(count_);
    if (!triad_) return {floatTensor("a", a_, {n}), floatTensor("b", b_, {n})};
    HostTensor scalar{"scalar", {1}, {kTriadScalar}};
    return {floatTensor("b", b_, {n}), floatTensor("c", c_, {n}), scalar, floatTensor("a", a_, {n})};
  }
  void release() noexcept override {
    freeDevice(a_);
    freeDevice(b_);
    freeDevice(c_);
  }

 private:
  bool triad_, library_;
  uint64_t seed_;
  size_t count_ = 0;
  int ctas_ = 0;
  float* a_ = nullptr;
  float* b_ = nullptr;
  float* c_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeStreamWorkload(const WorkloadSpec& spec) {
  return std::make_unique<StreamWorkload>(spec);
}

}  // namespace gsm

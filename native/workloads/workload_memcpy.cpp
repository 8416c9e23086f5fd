// A device-to-device cudaMemcpyAsync of shape[0] MiB as a workload: the memory-bandwidth ceiling
// that `gpushare-micro bench` sets the memory-bound floors by (bytes read plus bytes written).
#include "core/errors.h"
#include "workloads/extent.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

class MemcpyWorkload final : public Workload {
 public:
  explicit MemcpyWorkload(const WorkloadSpec& spec)
      : bytes_(boundedProduct({spec.shape.at(0), 1 << 20}, kMaxTensorElements, "memcpy bytes")) {}
  ~MemcpyWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    GSM_CUDA(cudaMalloc(&src_, bytes_));
    GSM_CUDA(cudaMalloc(&dst_, bytes_));
    GSM_CUDA(fillRandomFloat(static_cast<float*>(src_), bytes_ / sizeof(float), 1, stream));
  }
  int ctasPerLaunch() const override { return 0; }
  cudaError_t launch(cudaStream_t stream, Interval*) override {
    return cudaMemcpyAsync(dst_, src_, bytes_, cudaMemcpyDeviceToDevice, stream);
  }
  double bytesPerLaunch() const override { return 2.0 * static_cast<double>(bytes_); }
  std::string describe() const override { return "cudaMemcpyAsync device to device"; }
  std::vector<HostTensor> readTensors(cudaStream_t) override { return {}; }
  void release() noexcept override {
    freeDevice(src_);
    freeDevice(dst_);
  }

 private:
  size_t bytes_;
  void* src_ = nullptr;
  void* dst_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeMemcpyWorkload(const WorkloadSpec& spec) {
  if (spec.shape.size() != 1 || spec.shape[0] < 1 || spec.shape[0] > (1 << 20)) {
    throw NativeFailure({"ERR_ARGS", "memcpy needs shape [mebibytes] with 1 to 2^20 MiB", "", ""});
  }
  return std::make_unique<MemcpyWorkload>(spec);
}

}  // namespace gsm

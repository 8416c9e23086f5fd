// The probe as a workload: one spinning CTA per SM that records every gap in %globaltimer.
#include <algorithm>
#include "core/errors.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

class ProbeWorkload final : public Workload {
 public:
  explicit ProbeWorkload(const WorkloadSpec& spec)
      : activeNs_(spec.probeActiveNs), thresholdNs_(spec.gapThresholdNs), capacity_(spec.gapCapacity) {}
  ~ProbeWorkload() override { release(); }

  void prepare(int device, cudaStream_t) override {
    cudaDeviceProp prop{};
    GSM_CUDA(cudaGetDeviceProperties(&prop, device));
    ctas_ = prop.multiProcessorCount;
    shared_ = probeSharedBytes(device);
    GSM_CUDA(configureProbe(shared_));
    GSM_CUDA(cudaMalloc(&gapCount_, sizeof(unsigned int)));
    GSM_CUDA(cudaMalloc(&gaps_, std::max<size_t>(capacity_, 1) * sizeof(Interval)));
    GSM_CUDA(cudaMemset(gapCount_, 0, sizeof(unsigned int)));
  }
  int ctasPerLaunch() const override { return ctas_; }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    return launchProbe(ProbeArgs{activeNs_, thresholdNs_, capacity_, gaps_, gapCount_}, ctas_, shared_, trace, stream);
  }
  void resetObservations(cudaStream_t stream) override {
    GSM_CUDA(cudaMemsetAsync(gapCount_, 0, sizeof(unsigned int), stream));
    GSM_CUDA(cudaStreamSynchronize(stream));
  }
  void collectObservations(Observations& out) override {
    unsigned int count = 0;
    GSM_CUDA(cudaMemcpy(&count, gapCount_, sizeof count, cudaMemcpyDeviceToHost));
    out.gapsObserved = count;
    out.gaps.resize(std::min<uint64_t>(count, capacity_));
    if (!out.gaps.empty()) {
      GSM_CUDA(cudaMemcpy(out.gaps.data(), gaps_, out.gaps.size() * sizeof(Interval), cudaMemcpyDeviceToHost));
    }
  }
  std::vector<HostTensor> readTensors(cudaStream_t) override { return {}; }  // the probe computes nothing
  void release() noexcept override {
    freeDevice(gaps_);
    freeDevice(gapCount_);
  }

 private:
  uint64_t activeNs_;
  uint32_t thresholdNs_;
  uint32_t capacity_;
  int ctas_ = 0;
  size_t shared_ = 0;
  Interval* gaps_ = nullptr;
  unsigned int* gapCount_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeProbeWorkload(const WorkloadSpec& spec) { return std::make_unique<ProbeWorkload>(spec); }

}  // namespace gsm

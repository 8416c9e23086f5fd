// The probe as a workload: one spinning CTA per SM that records every gap in %globaltimer. Its shape
// is empty (the plain probe: one thread, shared memory only to keep a second CTA off each SM) or
// [sharedBytes, threads, registers]: the state each CTA holds while it is switched out.
#include <algorithm>
#include <string>
#include "core/errors.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

class ProbeWorkload final : public Workload {
 public:
  explicit ProbeWorkload(const WorkloadSpec& spec)
      : activeNs_(spec.probeActiveNs),
        thresholdNs_(spec.gapThresholdNs),
        capacity_(spec.gapCapacity),
        state_(spec.shape.size() == 3) {
    if (!spec.shape.empty() && !state_)
      throw NativeFailure({"ERR_ARGS", "probe: shape is [] or [sharedBytes, threads, registers]", "", ""});
    if (state_ && (spec.shape[0] > (1 << 20) || spec.shape[1] < 1 || spec.shape[1] > 1024 || spec.shape[2] > 255)) {
      throw NativeFailure({"ERR_ARGS", "probe: sharedBytes 0..1 MiB, threads 1..1024, registers 0..255", "", ""});
    }
    if (state_) {
      launch_.sharedBytes = static_cast<size_t>(spec.shape[0]);
      launch_.threads = static_cast<int>(spec.shape[1]);
      launch_.registers = static_cast<int>(spec.shape[2]);
    }
  }
  ~ProbeWorkload() override { release(); }

  void prepare(int device, cudaStream_t) override {
    cudaDeviceProp prop{};
    GSM_CUDA(cudaGetDeviceProperties(&prop, device));
    launch_.ctas = prop.multiProcessorCount;
    if (!state_) launch_.sharedBytes = probeSharedBytes(device);
    GSM_CUDA(probeKernelInfo(launch_.registers, &info_));
    if (launch_.threads > info_.maxThreadsPerCta) {
      throw NativeFailure({"ERR_UNSUPPORTED",
                           "probe: " + std::to_string(launch_.threads) + " threads per CTA, but the variant holding " +
                               std::to_string(launch_.registers) + " registers takes at most " +
                               std::to_string(info_.maxThreadsPerCta),
                           "", ""});
    }
    if (launch_.sharedBytes > prop.sharedMemPerBlockOptin) {
      throw NativeFailure({"ERR_UNSUPPORTED",
                           "probe: " + std::to_string(launch_.sharedBytes) +
                               " bytes of shared memory per CTA, the device allows " +
                               std::to_string(prop.sharedMemPerBlockOptin),
                           "", ""});
    }
    GSM_CUDA(configureProbe(launch_.registers, launch_.sharedBytes));
    GSM_CUDA(cudaMalloc(&gapCount_, sizeof(unsigned int)));
    GSM_CUDA(cudaMalloc(&gaps_, std::max<size_t>(capacity_, 1) * sizeof(Interval)));
    GSM_CUDA(cudaMemset(gapCount_, 0, sizeof(unsigned int)));
  }
  int ctasPerLaunch() const override { return launch_.ctas; }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    // The plain probe's shared memory only keeps CTAs apart; a chosen state fills all of its own.
    const auto words = static_cast<uint32_t>(state_ ? launch_.sharedBytes / 4 : 0);
    return launchProbe(ProbeArgs{activeNs_, thresholdNs_, capacity_, gaps_, gapCount_, words, nullptr}, launch_, trace,
                       stream);
  }
  ResidentState resident() const override { return {launch_.threads, info_.registersPerThread, launch_.sharedBytes}; }
  std::string describe() const override {
    return "probe: " + std::to_string(launch_.threads) + " threads, " + std::to_string(launch_.sharedBytes) +
           " B shared, " + std::to_string(info_.registersPerThread) + " registers per thread" +
           (info_.localBytesPerThread > 0 ? " (" + std::to_string(info_.localBytesPerThread) + " B spilled)" : "");
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
  bool state_;
  ProbeLaunch launch_;
  ProbeKernelInfo info_;
  Interval* gaps_ = nullptr;
  unsigned int* gapCount_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeProbeWorkload(const WorkloadSpec& spec) { return std::make_unique<ProbeWorkload>(spec); }

}  // namespace gsm

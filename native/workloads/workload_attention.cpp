// The project's fused attention (kernels/attention.cu) as a workload.
#include "workloads/attention_problem.h"

namespace gsm {
namespace {

class AttentionWorkload final : public Workload {
 public:
  explicit AttentionWorkload(const WorkloadSpec& spec) : problem_(spec) {
    if (!attentionSupportsHeadDim(problem_.args().headDim)) {
      throw NativeFailure({"ERR_ARGS", "the own attention kernel supports head dims 64 and 128", "", ""});
    }
  }
  ~AttentionWorkload() override { release(); }

  void prepare(int device, cudaStream_t stream) override {
    bool hopper = false;  // the wgmma kernels need sm_90a code on a compute capability 9.0 device
    GSM_CUDA(sm90aAvailable(device, stream, &hopper));
    problem_.useSm90a(hopper);
    problem_.allocate(stream);
    GSM_CUDA(configureAttention(problem_.args()));
  }
  int ctasPerLaunch() const override { return attentionCtaCount(problem_.args()); }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    return launchAttentionBf16(problem_.args(), trace, stream);
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override { problem_.release(); }

 private:
  AttentionProblem problem_;
};

}  // namespace

std::unique_ptr<Workload> makeAttentionWorkload(const WorkloadSpec& spec) {
  return std::make_unique<AttentionWorkload>(spec);
}

}  // namespace gsm

// The project's own convolution (kernels/conv.cu) as a workload.
#include "workloads/conv_problem.h"

namespace gsm {
namespace {

class ConvWorkload final : public Workload {
 public:
  explicit ConvWorkload(const WorkloadSpec& spec) : problem_(spec) {}
  ~ConvWorkload() override { release(); }

  void limitSms(int sms) override { problem_.limitSms(sms); }
  void prepare(int device, cudaStream_t stream) override {
    bool hopper = false;  // the wgmma kernels need sm_90a code on a compute capability 9.0 device
    GSM_CUDA(sm90aAvailable(device, stream, &hopper));
    problem_.useSm90a(hopper);
    problem_.allocate(stream);
    GSM_CUDA(configureConv(problem_.args()));
  }
  int ctasPerLaunch() const override { return convCtaCount(problem_.args()); }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    return launchConvBf16(problem_.args(), trace, stream);
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override { problem_.release(); }

 private:
  ConvProblem problem_;
};

}  // namespace

std::unique_ptr<Workload> makeConvWorkload(const WorkloadSpec& spec) { return std::make_unique<ConvWorkload>(spec); }

}  // namespace gsm

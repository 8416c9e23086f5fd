// Convolution through cuDNN (--impl cudnn): the same NHWC bf16 problem as the project's kernel,
// fp32 accumulation, bf16 output, through cuDNN's graph (backend) API, as the library path of the
// model workloads runs it (libraries/cudnn_conv_graph.h): prepare() builds the operation graph, times
// the first plans that heuristics offer on this problem's buffers and keeps the fastest, with the
// workspace it needs; every launch is one cudnnBackendExecute. GSM_VERBOSE=1 (a debug switch,
// core/debug.h) prints the engine chosen and the candidates' times.
#include <cstdio>
#include <memory>
#include "core/debug.h"
#include "workloads/conv_problem.h"
#include "libraries/cudnn_api.h"
#include "libraries/cudnn_conv_graph.h"

namespace gsm {
namespace {

class CudnnConvWorkload final : public Workload {
 public:
  explicit CudnnConvWorkload(const WorkloadSpec& spec) : problem_(spec) {}
  ~CudnnConvWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    const CudnnApi& api = cudnnApi();
    problem_.allocate(stream);
    const ConvArgs& a = problem_.args();
    GSM_CUDNN(api.create(&handle_));
    GSM_CUDNN(api.setStream(handle_, stream));
    const ConvGraphShape shape{a.n, a.c, a.h, a.w, a.k, a.r, a.s, a.stride, a.pad, a.p, a.q};
    plan_ = std::make_unique<ConvGraphPlan>(handle_, shape, a.x, a.filter, a.y, stream, "conv");
    workspaceBytes_ = static_cast<size_t>(plan_->workspace());
    if (workspaceBytes_ > 0) GSM_CUDA(cudaMalloc(&workspace_, workspaceBytes_));
    if (verbose()) std::fprintf(stderr, "gpushare-micro: cuDNN %zu conv %s\n", api.version, plan_->describe().c_str());
    // The search ran the plans on our buffers: poison the output again.
    GSM_CUDA(cudaMemsetAsync(const_cast<uint16_t*>(a.y), 0xff, problem_.yCount() * 2, stream));
  }
  int ctasPerLaunch() const override { return 0; }  // library kernels are not instrumented
  cudaError_t launch(cudaStream_t, Interval*) override {
    const ConvArgs& a = problem_.args();
    return pack_.execute(handle_, *plan_, a.x, a.filter, a.y, workspace_, workspaceBytes_);
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override {
    pack_.reset();
    plan_.reset();
    if (handle_ != nullptr) cudnnApi().destroy(handle_);
    handle_ = nullptr;
    freeDevice(workspace_);
    problem_.release();
  }

 private:
  ConvProblem problem_;
  cudnn::Handle handle_ = nullptr;
  std::unique_ptr<ConvGraphPlan> plan_;
  ConvGraphPack pack_;
  size_t workspaceBytes_ = 0;
  void* workspace_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeCudnnConvWorkload(const WorkloadSpec& spec) {
  return std::make_unique<CudnnConvWorkload>(spec);
}

}  // namespace gsm

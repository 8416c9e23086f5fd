// Convolution through cuDNN (--impl cudnn): the same NHWC bf16 problem as the project's kernel,
// fp32 accumulation, bf16 output, through cuDNN's legacy convolution API. prepare() asks
// cudnnFindConvolutionForwardAlgorithm to time the algorithms on this shape and keeps the fastest
// that succeeded, with the workspace it needs; every launch is one cudnnConvolutionForward.
// GSM_VERBOSE=1 (a debug switch, core/debug.h) prints the algorithm chosen.
#include <cstdio>
#include "core/debug.h"
#include "workloads/conv_problem.h"
#include "libraries/cudnn_api.h"

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
    GSM_CUDNN(api.createTensorDescriptor(&xDesc_));
    GSM_CUDNN(api.setTensor4dDescriptor(xDesc_, cudnn::kNhwc, cudnn::kBfloat16, a.n, a.c, a.h, a.w));
    GSM_CUDNN(api.createFilterDescriptor(&wDesc_));
    GSM_CUDNN(api.setFilter4dDescriptor(wDesc_, cudnn::kBfloat16, cudnn::kNhwc, a.k, a.c, a.r, a.s));
    GSM_CUDNN(api.createConvolutionDescriptor(&convDesc_));
    GSM_CUDNN(api.setConvolution2dDescriptor(convDesc_, a.pad, a.pad, a.stride, a.stride, 1, 1,
                                             cudnn::kCrossCorrelation, cudnn::kFloat));
    GSM_CUDNN(api.setConvolutionMathType(convDesc_, cudnn::kTensorOpMath));
    int n = 0, k = 0, p = 0, q = 0;
    GSM_CUDNN(api.getConvolution2dForwardOutputDim(convDesc_, xDesc_, wDesc_, &n, &k, &p, &q));
    if (n != a.n || k != a.k || p != a.p || q != a.q) {
      throw NativeFailure({"ERR_LIBRARY", "cuDNN computes another output size for this convolution", "", ""});
    }
    GSM_CUDNN(api.createTensorDescriptor(&yDesc_));
    GSM_CUDNN(api.setTensor4dDescriptor(yDesc_, cudnn::kNhwc, cudnn::kBfloat16, a.n, a.k, a.p, a.q));

    GSM_CUDA(cudaStreamSynchronize(stream));
    cudnn::ConvFwdAlgoPerf results[16] = {};
    int returned = 0;
    GSM_CUDNN(api.findConvolutionForwardAlgorithm(handle_, xDesc_, wDesc_, convDesc_, yDesc_, 16, &returned, results));
    int chosen = -1;
    for (int i = 0; i < returned; ++i) {
      if (results[i].status == cudnn::kSuccess) {
        chosen = i;
        break;
      }
    }
    if (chosen < 0) throw NativeFailure({"ERR_LIBRARY", "cuDNN has no algorithm for this convolution", "", ""});
    algo_ = results[chosen].algo;
    workspaceBytes_ = results[chosen].memory;
    if (workspaceBytes_ > 0) GSM_CUDA(cudaMalloc(&workspace_, workspaceBytes_));
    if (verbose()) {
      std::fprintf(stderr, "gpushare-micro: cuDNN %zu conv algo %d (%.3f ms in its search, workspace %zu bytes)\n",
                   api.version, algo_, static_cast<double>(results[chosen].time), workspaceBytes_);
    }
    // Find ran the algorithms on its own buffers: poison our output again.
    GSM_CUDA(cudaMemsetAsync(const_cast<uint16_t*>(a.y), 0xff, problem_.yCount() * 2, stream));
  }
  int ctasPerLaunch() const override { return 0; }  // library kernels are not instrumented
  cudaError_t launch(cudaStream_t, Interval*) override {
    const ConvArgs& a = problem_.args();
    const float alpha = 1.0f, beta = 0.0f;
    const cudnn::Status status =
        cudnnApi().convolutionForward(handle_, &alpha, xDesc_, a.x, wDesc_, a.filter, convDesc_, algo_, workspace_,
                                      workspaceBytes_, &beta, yDesc_, a.y);
    return cudnnLaunchResult(status, "cudnnConvolutionForward");
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override {
    if (handle_ != nullptr) {
      const CudnnApi& api = cudnnApi();
      if (xDesc_) api.destroyTensorDescriptor(xDesc_);
      if (yDesc_) api.destroyTensorDescriptor(yDesc_);
      if (wDesc_) api.destroyFilterDescriptor(wDesc_);
      if (convDesc_) api.destroyConvolutionDescriptor(convDesc_);
      api.destroy(handle_);
    }
    handle_ = nullptr;
    xDesc_ = yDesc_ = wDesc_ = convDesc_ = nullptr;
    freeDevice(workspace_);
    problem_.release();
  }

 private:
  ConvProblem problem_;
  cudnn::Handle handle_ = nullptr;
  cudnn::Descriptor xDesc_ = nullptr, wDesc_ = nullptr, yDesc_ = nullptr, convDesc_ = nullptr;
  int algo_ = 0;
  size_t workspaceBytes_ = 0;
  void* workspace_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeCudnnConvWorkload(const WorkloadSpec& spec) {
  return std::make_unique<CudnnConvWorkload>(spec);
}

}  // namespace gsm

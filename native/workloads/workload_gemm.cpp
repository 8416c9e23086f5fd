// The project's own gemm as a workload (kernels/gemm*.cu): C[m,n] (fp32) = A[m,k] B[k,n] in bf16,
// fp16, tf32 or fp32, on the fastest path the device and shape allow (or the path the spec asks
// for, for tests). Traces record one Interval per output tile (see kernels/launch.h).
#include "libraries/driver_api.h"
#include "core/errors.h"
#include "workloads/gemm_operands.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

GemmPath parsePath(const std::string& path) {
  if (path.empty() || path == "auto") return GemmPath::Auto;
  if (path == "wgmma") return GemmPath::Wgmma;
  if (path == "mma") return GemmPath::Mma;
  if (path == "simt") return GemmPath::Simt;
  throw NativeFailure({"ERR_ARGS", "gemm has no path '" + path + "' (auto, wgmma, mma, simt)", "", ""});
}

class GemmWorkload final : public Workload {
 public:
  explicit GemmWorkload(const WorkloadSpec& spec) : operands_(gemmShapeOf(spec), spec.seed) {
    options_.path = parsePath(spec.gemmPath);
  }
  ~GemmWorkload() override { release(); }

  void limitSms(int sms) override { options_.sms = sms; }
  void prepare(int device, cudaStream_t stream) override {
    operands_.allocate(stream);
    GemmOptions options = options_;
    const TensorMapEncodeFn encode = driverApi().tensorMapEncodeTiled;
    plan(options, device, stream);
    if (plan_.path == GemmPath::Wgmma && encode == nullptr) {
      if (options.path == GemmPath::Wgmma) {
        throw NativeFailure(
            {"ERR_UNSUPPORTED", "the wgmma gemm needs cuTensorMapEncodeTiled, which this CUDA driver lacks", "", ""});
      }
      options.path = GemmPath::Mma;
      plan(options, device, stream);
    }
    if (plan_.workspaceBytes > 0) GSM_CUDA(cudaMalloc(&workspace_, plan_.workspaceBytes));
    GSM_CUDA(bindGemm(&plan_, operands_.a(), operands_.b(), workspace_, encode));
  }
  int ctasPerLaunch() const override { return plan_.traceRecords; }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    return launchGemm(plan_, operands_.a(), operands_.b(), operands_.c(), workspace_, trace, stream);
  }
  double flopsPerLaunch() const override { return operands_.flops(); }
  double bytesPerLaunch() const override { return operands_.bytes(); }
  std::string describe() const override {
    std::string d = gemmPathName(plan_.path);
    if (plan_.path == GemmPath::Wgmma) d += plan_.clusterM > 1 ? ", clusters of 2" : ", no clusters";
    if (plan_.splitK > 1) d += ", K split " + std::to_string(plan_.splitK) + " ways";
    if (plan_.path == GemmPath::Wgmma) d += ", 128x" + std::to_string(plan_.tileN) + " tiles";
    return d + ", " + std::to_string(plan_.grid) + " CTAs";
  }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return operands_.read(stream); }
  void release() noexcept override {
    operands_.release();
    freeDevice(workspace_);
  }

 private:
  void plan(const GemmOptions& options, int device, cudaStream_t stream) {
    const cudaError_t e = planGemm(operands_.shape(), options, device, stream, &plan_);
    if (e == cudaErrorNotSupported || e == cudaErrorNoKernelImageForDevice) {
      throw NativeFailure({"ERR_UNSUPPORTED", std::string("gemm: ") + plan_.reason, cudaGetErrorName(e), "planGemm"});
    }
    GSM_CUDA(e);
  }

  GemmOperands operands_;
  GemmOptions options_;
  GemmPlan plan_;
  void* workspace_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeGemmWorkload(const WorkloadSpec& spec) { return std::make_unique<GemmWorkload>(spec); }

}  // namespace gsm

// The same gemm as workload_gemm.cpp through cuBLASLt (loaded at run time, native/libraries/cublaslt.h): the
// library kernels PyTorch and TensorFlow run, on the same operands. Library kernels cannot record
// CTA traces, so launches of this workload are never traced.
#include "libraries/cublaslt.h"
#include "core/errors.h"
#include "workloads/gemm_operands.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

constexpr size_t kWorkspaceLimit = 32u << 20;  // what NVIDIA suggests for Hopper

class CublasGemmWorkload final : public Workload {
 public:
  explicit CublasGemmWorkload(const WorkloadSpec& spec) : operands_(gemmShapeOf(spec), spec.seed) {}
  ~CublasGemmWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    std::string error;
    bool missing = false;
    if (!lt_.create(operands_.shape(), kWorkspaceLimit, error, missing)) {
      throw NativeFailure({missing ? "ERR_LIBRARY" : "ERR_CUBLAS", error, "", "cublasLt"});
    }
    operands_.allocate(stream);
    if (lt_.workspaceBytes() > 0) GSM_CUDA(cudaMalloc(&workspace_, lt_.workspaceBytes()));
  }
  int ctasPerLaunch() const override { return 0; }
  // A cuBLAS failure has no cudaError_t: it throws NativeFailure (ERR_CUBLAS) instead.
  cudaError_t launch(cudaStream_t stream, Interval*) override {
    const int status = lt_.run(operands_.a(), operands_.b(), operands_.c(), workspace_, stream);
    if (status != 0) {
      throw NativeFailure(
          {"ERR_CUBLAS", "cublasLtMatmul failed: " + CublasLtGemm::statusName(status), "", "cublasLtMatmul"});
    }
    return cudaGetLastError();
  }
  double flopsPerLaunch() const override { return operands_.flops(); }
  double bytesPerLaunch() const override { return operands_.bytes(); }
  std::string describe() const override { return "cuBLASLt (" + CublasLtGemm::libraryFile() + ")"; }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return operands_.read(stream); }
  void release() noexcept override {
    lt_.destroy();
    operands_.release();
    freeDevice(workspace_);
  }

 private:
  GemmOperands operands_;
  CublasLtGemm lt_;
  void* workspace_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeCublasGemmWorkload(const WorkloadSpec& spec) {
  return std::make_unique<CublasGemmWorkload>(spec);
}

}  // namespace gsm

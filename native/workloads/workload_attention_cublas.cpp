// Attention as cuBLAS GEMMs around a softmax kernel (--impl cublas), the unfused sequence that
// frameworks fall back to without a fused kernel ("math" attention):
//   S = scale * Q K^T   one strided-batched GEMM per launch, fp32 scores [batch*heads, seq, seq]
//   P = softmax(S)      the project's row softmax (kernels/attention_softmax.cu), causal mask, bf16
//   O = P V             one strided-batched GEMM, bf16 out, fp32 accumulation
// S and P go through device memory (6 bytes per score), which is what fusion saves. It is kept as a
// library baseline beside cuDNN's fused attention: the fused path needs cuDNN 9.13 or later for the
// unified graph (or an engine for the composite graph), and where cuDNN is missing or refuses a
// shape this is the strongest library path left.
#include "workloads/attention_problem.h"
#include "libraries/cublas_attention.h"

namespace gsm {
namespace {

class CublasAttentionWorkload final : public Workload {
 public:
  explicit CublasAttentionWorkload(const WorkloadSpec& spec) : problem_(spec) {
    const AttentionArgs& a = problem_.args();
    scores_ =
        boundedProduct({a.batch, a.heads, a.seq, a.seq}, kMaxTensorElements, "attention scores batch x heads x seq^2");
    boundedProduct({a.batch, a.heads, a.seq}, kMaxIndex,
                   "attention score rows batch x heads x seq");  // the softmax's grid
  }
  ~CublasAttentionWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    const CublasApi& api = cublasAttentionApi();
    problem_.allocate(stream);
    GSM_CUDA(cudaMalloc(&s_, scores_ * sizeof(float)));
    GSM_CUDA(cudaMalloc(&p_, scores_ * sizeof(uint16_t)));
    GSM_CUBLAS(api.create(&handle_));
    GSM_CUBLAS(api.setStream(handle_, stream));
  }
  int ctasPerLaunch() const override { return 0; }  // library kernels are not instrumented
  cudaError_t launch(cudaStream_t stream, Interval*) override {
    const CublasApi& api = cublasAttentionApi();
    const AttentionArgs& a = problem_.args();
    const int s = a.seq, d = a.headDim, batch = a.batch * a.heads;
    const long long matrix = static_cast<long long>(s) * d, square = static_cast<long long>(s) * s;
    const float scale = a.scale, one = 1.0f, zero = 0.0f;
    // Column-major view: S^T (keys x queries) = K (keys x d, the transpose of row-major K^T) * Q^T.
    cublas::Status st = api.gemmStridedBatchedEx(handle_, cublas::kOpT, cublas::kOpN, s, s, d, &scale, a.k, CUDA_R_16BF,
                                                 d, matrix, a.q, CUDA_R_16BF, d, matrix, &zero, s_, CUDA_R_32F, s,
                                                 square, batch, cublas::kCompute32F, cublas::kGemmDefault);
    if (st != cublas::kSuccess) return failed();
    cudaError_t e = launchMaskedSoftmaxBf16(s_, p_, batch, s, s, a.causal, stream);
    if (e != cudaSuccess) return e;
    // O^T (d x queries) = V^T (d x keys) * P^T (keys x queries).
    st = api.gemmStridedBatchedEx(handle_, cublas::kOpN, cublas::kOpN, d, s, s, &one, a.v, CUDA_R_16BF, d, matrix, p_,
                                  CUDA_R_16BF, s, square, &zero, a.o, CUDA_R_16BF, d, matrix, batch,
                                  cublas::kCompute32F, cublas::kGemmDefault);
    if (st != cublas::kSuccess) return failed();
    return cudaSuccess;
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override {
    if (handle_ != nullptr) cublasAttentionApi().destroy(handle_);
    handle_ = nullptr;
    freeDevice(s_);
    freeDevice(p_);
    problem_.release();
  }

 private:
  static cudaError_t failed() {
    const cudaError_t cuda = cudaGetLastError();
    return cuda != cudaSuccess ? cuda : cudaErrorUnknown;
  }

  AttentionProblem problem_;
  size_t scores_ = 0;
  cublas::Handle handle_ = nullptr;
  float* s_ = nullptr;
  uint16_t* p_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> makeCublasAttentionWorkload(const WorkloadSpec& spec) {
  return std::make_unique<CublasAttentionWorkload>(spec);
}

}  // namespace gsm

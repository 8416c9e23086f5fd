// addGemm (layers.h): one gemm op, planned at prepare, on the project's kernels or cuBLASLt.
//
// Ownership: an op's state (the own path's plan and workspace, the library path's CublasLtGemm) is
// made at build time and kept by the graph (Graph::keep), so Graph::release destroys it; the op's
// closures hold raw pointers. The own path needs a workspace on wgmma for tf32 (B transposed into it)
// and for split K (the slices' fp32 partials). tf32's is the op's own, since bindGemm writes its
// address into the plan's descriptors; split K's alone is read only at launch, so it is the graph's
// shared workspace, like the library path's (cuBLASLt's algorithm may use up to 32 MiB).
#include "core/errors.h"
#include "libraries/cublaslt.h"
#include "models/layers.h"

namespace gsm {
namespace model {
namespace {

constexpr size_t kCublasLtWorkspaceLimit = size_t{32} << 20;

struct OwnGemm {
  GemmPlan plan{};
  void* workspace = nullptr;
  OwnGemm() = default;
  OwnGemm(const OwnGemm&) = delete;
  OwnGemm& operator=(const OwnGemm&) = delete;
  ~OwnGemm() {
    if (workspace != nullptr) cudaFree(workspace);
  }
};

double gemmFlops(const GemmShape& s) { return 2.0 * s.m * s.n * static_cast<double>(s.k) * s.batch; }

void addOwnGemm(Graph& graph, Op& op, const GemmShape& shape, const Tensor* a, const Tensor* b, Tensor* c,
                const Tensor* bias) {
  auto state = std::make_shared<OwnGemm>();
  graph.keep(state);
  OwnGemm* g = state.get();
  SharedWorkspace* shared = sharedWorkspace(graph);
  op.impl = "own";
  op.prepare = [g, shared, shape, a, b](const Context& ctx, Op& self) {
    GemmOptions options;
    options.sms = ctx.sms;
    GSM_CUDA(planGemm(shape, options, ctx.device, ctx.stream, &g->plan));
    const size_t bytes = g->plan.workspaceBytes;
    if (bytes > 0 && shape.dtype == GemmDtype::Tf32) {
      GSM_CUDA(cudaMalloc(&g->workspace, bytes));
    } else if (bytes > 0) {
      shared->reserve(bytes);
    }
    GSM_CUDA(bindGemm(&g->plan, a->data, b->data, g->workspace, ctx.encode));
    self.impl = std::string("own ") + gemmPathName(g->plan.path);
    self.traceRecords = g->plan.traceRecords;
  };
  op.run = [g, shared, a, b, c, bias](cudaStream_t stream, Interval* trace) {
    void* workspace = g->workspace != nullptr || g->plan.workspaceBytes == 0 ? g->workspace : shared->data;
    return launchGemm(g->plan, a->data, b->data, c->data, workspace, trace, stream,
                      bias != nullptr ? static_cast<const float*>(bias->data) : nullptr);
  };
}

void addLibraryGemm(Graph& graph, Op& op, const GemmShape& shape, const Tensor* a, const Tensor* b, Tensor* c) {
  auto state = std::make_shared<CublasLtGemm>();
  graph.keep(state);
  CublasLtGemm* lt = state.get();
  SharedWorkspace* ws = sharedWorkspace(graph);
  op.impl = "cuBLASLt";
  op.prepare = [lt, ws, shape](const Context&, Op&) {
    std::string error;
    bool missing = false;
    if (!lt->create(shape, kCublasLtWorkspaceLimit, error, missing)) {
      throw NativeFailure({"ERR_LIBRARY", "cuBLASLt: " + error, "", "cublasLtMatmulAlgoGetHeuristic"});
    }
    ws->reserve(lt->workspaceBytes());
  };
  op.run = [lt, ws, a, b, c](cudaStream_t stream, Interval*) {
    // float* converts to the void* that a bf16 C needs as well.
    const int status = lt->run(a->data, b->data, static_cast<float*>(c->data), ws->data, stream);
    if (status == 0) return cudaSuccess;
    noteLaunchFailure("cublasLtMatmul failed: " + CublasLtGemm::statusName(status));
    const cudaError_t cuda = cudaGetLastError();
    return cuda != cudaSuccess ? cuda : cudaErrorUnknown;
  };
}

}  // namespace

void SharedWorkspace::reserve(size_t need) {
  if (need <= bytes) return;
  if (data != nullptr) GSM_CUDA(cudaFree(data));
  data = nullptr;
  bytes = 0;
  GSM_CUDA(cudaMalloc(&data, need));
  bytes = need;
}

SharedWorkspace::~SharedWorkspace() {
  if (data != nullptr) cudaFree(data);
}

SharedWorkspace* sharedWorkspace(Graph& graph) {
  std::shared_ptr<void>& slot = graph.resource("workspace");
  if (!slot) slot = std::make_shared<SharedWorkspace>();
  return static_cast<SharedWorkspace*>(slot.get());
}

void addGemm(Graph& graph, const std::string& layer, Phase phase, const std::string& what, const GemmShape& shape,
             const Tensor* a, const Tensor* b, Tensor* c, Impl impl, const Tensor* bias) {
  if (shape.bias != (bias != nullptr) || (impl != Impl::Own && (shape.bias || shape.act != Activation::None))) {
    throw NativeFailure({"ERR_NATIVE", layer + ": a gemm epilogue's bias or activation needs the own path and its bias",
                         "", "addGemm"});
  }
  Op op;
  op.layer = layer;
  op.phase = phase;
  op.what = what;
  op.flops = gemmFlops(shape);
  if (impl == Impl::Own) {
    addOwnGemm(graph, op, shape, a, b, c, bias);
  } else {
    addLibraryGemm(graph, op, shape, a, b, c);
  }
  graph.addOp(std::move(op));
}

}  // namespace model
}  // namespace gsm

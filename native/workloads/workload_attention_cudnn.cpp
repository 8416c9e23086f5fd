// Attention through cuDNN's fused attention (--impl cudnn), built with cuDNN's backend (graph) API:
// an operation graph, engine configurations from heuristics (mode A, then the fallback mode), and
// the first execution plan that finalizes. Two graphs describe the same computation:
//   unified    one SDPA forward operation (Q, K, V, O and the scale; cuDNN 9.13 and later). In cuDNN
//              9.14 it takes no mask, so it serves non-causal attention only.
//   composite  the graph cuDNN's flash-attention engines recognise: S = Q K^T, S * scale, (causal:
//              row and column indices, row >= column, -inf elsewhere), max, subtract, exp, sum,
//              divide, P V. This is how cuDNN's own frontend lowers SDPA before 9.21.
// Non-causal attention tries unified and falls back to composite; causal uses composite.
// WorkloadSpec.cudnnGraph (unified or composite) forces one; GSM_VERBOSE=1 (a debug switch,
// core/debug.h) prints which graph ran.
// On the H200 with cuDNN 9.14 (docs/results/2026-11-29-h200-kernels) the unified graph ran
// non-causal attention; for the causal composite graph neither heuristics mode returned an engine
// configuration (mode A: 1 offered, 0 returned; fallback: 4 offered, 0 returned), so causal attention
// through cuDNN is refused there with ERR_LIBRARY.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>
#include "core/debug.h"
#include "workloads/attention_problem.h"
#include "libraries/cudnn_api.h"

namespace gsm {
namespace {

using Dims = std::array<int64_t, 4>;

enum Uid : int64_t { kQ = 1, kK = 2, kV = 3, kO = 4, kScale = 5, kNegInf = 6 };

struct Plan {
  std::vector<std::unique_ptr<BackendDescriptor>> keep;  // every descriptor the graph refers to
  std::unique_ptr<BackendDescriptor> plan;
  int64_t workspace = 0;
  std::string graph;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(cudnn::Handle handle) : handle_(handle) {}

  const BackendDescriptor& tensor(int64_t uid, int dataType, Dims dims, Dims strides, bool isVirtual,
                                  bool byValue = false) {
    return keep(
        backendTensor(uid, dataType, {dims.begin(), dims.end()}, {strides.begin(), strides.end()}, isVirtual, byValue));
  }

  void matmul(const BackendDescriptor& a, const BackendDescriptor& b, const BackendDescriptor& c) {
    BackendDescriptor desc(cudnn::kMatmulDescriptor);
    const int compute = cudnn::kFloat;
    desc.set(cudnn::kMatmulCompType, cudnn::kTypeDataType, 1, &compute, "matmul compute type");
    desc.finalize("cudnnBackendFinalize(matmul)");
    BackendDescriptor op(cudnn::kOperationMatmulDescriptor);
    op.setDescriptor(cudnn::kOperationMatmulA, a, "matmul A");
    op.setDescriptor(cudnn::kOperationMatmulB, b, "matmul B");
    op.setDescriptor(cudnn::kOperationMatmulC, c, "matmul C");
    op.setDescriptor(cudnn::kOperationMatmulDesc, desc, "matmul desc");
    op.finalize("cudnnBackendFinalize(matmul operation)");
    keep(std::move(desc));
    ops_.push_back(&keep(std::move(op)));
  }

  void pointwise(int mode, int mathPrecision, const BackendDescriptor& x, const BackendDescriptor* b,
                 const BackendDescriptor* t, const BackendDescriptor& y, int64_t axis = -1) {
    BackendDescriptor desc(cudnn::kPointwiseDescriptor);
    desc.set(cudnn::kPointwiseMode, cudnn::kTypePointwiseMode, 1, &mode, "pointwise mode");
    desc.set(cudnn::kPointwiseMathPrec, cudnn::kTypeDataType, 1, &mathPrecision, "pointwise precision");
    if (axis >= 0) desc.setInt64(cudnn::kPointwiseAxis, axis, "pointwise axis");
    desc.finalize("cudnnBackendFinalize(pointwise)");
    BackendDescriptor op(cudnn::kOperationPointwiseDescriptor);
    op.setDescriptor(cudnn::kOperationPointwisePwDescriptor, desc, "pointwise desc");
    op.setDescriptor(cudnn::kOperationPointwiseX, x, "pointwise X");
    if (b != nullptr) op.setDescriptor(cudnn::kOperationPointwiseB, *b, "pointwise B");
    if (t != nullptr) op.setDescriptor(cudnn::kOperationPointwiseT, *t, "pointwise T");
    op.setDescriptor(cudnn::kOperationPointwiseY, y, "pointwise Y");
    op.finalize("cudnnBackendFinalize(pointwise operation)");
    keep(std::move(desc));
    ops_.push_back(&keep(std::move(op)));
  }

  void reduction(int op, const BackendDescriptor& x, const BackendDescriptor& y) {
    BackendDescriptor desc(cudnn::kReductionDescriptor);
    desc.set(cudnn::kReductionOperator, cudnn::kTypeReductionOperator, 1, &op, "reduction operator");
    const int compute = cudnn::kFloat;
    desc.set(cudnn::kReductionCompType, cudnn::kTypeDataType, 1, &compute, "reduction compute type");
    desc.finalize("cudnnBackendFinalize(reduction)");
    BackendDescriptor operation(cudnn::kOperationReductionDescriptor);
    operation.setDescriptor(cudnn::kOperationReductionDesc, desc, "reduction desc");
    operation.setDescriptor(cudnn::kOperationReductionX, x, "reduction X");
    operation.setDescriptor(cudnn::kOperationReductionY, y, "reduction Y");
    operation.finalize("cudnnBackendFinalize(reduction operation)");
    keep(std::move(desc));
    ops_.push_back(&keep(std::move(operation)));
  }

  void sdpa(const BackendDescriptor& q, const BackendDescriptor& k, const BackendDescriptor& v,
            const BackendDescriptor& o, const BackendDescriptor& scale) {
    BackendDescriptor op(cudnn::kOperationSdpaFwdDescriptor);
    op.setDescriptor(cudnn::kSdpaFwdQ, q, "sdpa Q");
    op.setDescriptor(cudnn::kSdpaFwdK, k, "sdpa K");
    op.setDescriptor(cudnn::kSdpaFwdV, v, "sdpa V");
    op.setDescriptor(cudnn::kSdpaFwdO, o, "sdpa O");
    op.setDescriptor(cudnn::kSdpaFwdScale, scale, "sdpa scale");
    op.finalize("cudnnBackendFinalize(sdpa forward operation)");
    ops_.push_back(&keep(std::move(op)));
  }

  // The operation graph, then the first engine configuration that makes a plan: heuristics mode A
  // first and, where none of its configurations does, the fallback mode's.
  Plan finish(const std::string& name) {
    Plan result;
    BackendDescriptor graph = operationGraph();
    std::string tried;
    for (const int mode : {cudnn::kHeurModeA, cudnn::kHeurModeFallback}) {
      if (planFromHeuristics(graph, mode, result, tried)) break;
    }
    if (!result.plan) {
      throw NativeFailure(
          {"ERR_LIBRARY",
           "no cuDNN engine configuration made a plan for the " + name + " attention graph (" + tried + ")", "", ""});
    }
    int64_t n = 0;
    checkCudnn(cudnnApi().backendGetAttribute(result.plan->get(), cudnn::kExecutionPlanWorkspaceSize, cudnn::kTypeInt64,
                                              1, &n, &result.workspace),
               "cudnnBackendGetAttribute(plan workspace size)");
    result.graph = name;
    keep(std::move(graph));
    result.keep = std::move(kept_);
    return result;
  }

 private:
  BackendDescriptor operationGraph() { return gsm::operationGraph(handle_, ops_); }

  // Tries heuristics `mode`'s configurations in order; the first that finalizes an execution plan
  // goes into `result` (true). Appends what happened to `tried` either way.
  bool planFromHeuristics(const BackendDescriptor& graph, int mode, Plan& result, std::string& tried) {
    HeuristicConfigs h = heuristicConfigs(graph, mode);
    std::vector<BackendDescriptor>& configs = h.configs;
    std::string firstError;
    for (size_t i = 0; i < configs.size() && !result.plan; ++i) {
      auto plan = std::make_unique<BackendDescriptor>(cudnn::kExecutionPlanDescriptor);
      try {
        plan->set(cudnn::kExecutionPlanHandle, cudnn::kTypeHandle, 1, &handle_, "plan handle");
        plan->setDescriptor(cudnn::kExecutionPlanEngineConfig, configs[i], "plan engine config");
        plan->finalize("cudnnBackendFinalize(execution plan)");
        result.plan = std::move(plan);
      } catch (const NativeFailure& f) {
        if (firstError.empty()) firstError = f.what();
      }
    }
    tried += std::string(tried.empty() ? "" : "; ") + heurModeName(mode) + ": " + std::to_string(h.offered) +
             " offered, " + std::to_string(configs.size()) + " returned" +
             (firstError.empty() ? "" : ", first refusal: " + firstError);
    if (!result.plan) return false;
    for (auto& c : configs) keep(std::move(c));
    keep(std::move(h.heuristics));
    return true;
  }

  const BackendDescriptor& keep(BackendDescriptor&& d) {
    kept_.push_back(std::make_unique<BackendDescriptor>(std::move(d)));
    return *kept_.back();
  }

  cudnn::Handle handle_;
  std::vector<std::unique_ptr<BackendDescriptor>> kept_;
  std::vector<const BackendDescriptor*> ops_;
};

Dims contiguous(Dims d) { return {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}; }

Plan build(cudnn::Handle handle, const AttentionArgs& a, bool unified) {
  GraphBuilder g(handle);
  const int64_t b = a.batch, h = a.heads, s = a.seq, d = a.headDim;
  const Dims qkvo{b, h, s, d};
  const Dims scalar{1, 1, 1, 1};
  const auto& q = g.tensor(kQ, cudnn::kBfloat16, qkvo, contiguous(qkvo), false);
  const auto& v = g.tensor(kV, cudnn::kBfloat16, qkvo, contiguous(qkvo), false);
  const auto& o = g.tensor(kO, cudnn::kBfloat16, qkvo, contiguous(qkvo), false);
  const auto& scale = g.tensor(kScale, cudnn::kFloat, scalar, scalar, false, true);
  if (unified) {
    const auto& k = g.tensor(kK, cudnn::kBfloat16, qkvo, contiguous(qkvo), false);
    g.sdpa(q, k, v, o, scale);
    return g.finish("unified");
  }
  // K^T as a [b, h, d, s] view of the row-major K.
  const auto& kt = g.tensor(kK, cudnn::kBfloat16, {b, h, d, s}, {h * s * d, s * d, 1, d}, false);
  const Dims full{b, h, s, s}, rows{b, h, s, 1};
  int64_t uid = 100;
  auto scores = [&](int type) -> const BackendDescriptor& {
    return g.tensor(uid++, type, full, contiguous(full), true);
  };
  auto perRow = [&]() -> const BackendDescriptor& {
    return g.tensor(uid++, cudnn::kFloat, rows, contiguous(rows), true);
  };

  const auto& sRaw = scores(cudnn::kFloat);
  g.matmul(q, kt, sRaw);
  const auto& sScaled = scores(cudnn::kFloat);
  g.pointwise(cudnn::kPointwiseMul, cudnn::kFloat, sRaw, &scale, nullptr, sScaled);
  const BackendDescriptor* sMasked = &sScaled;
  if (a.causal) {
    const auto& negInf = g.tensor(kNegInf, cudnn::kFloat, scalar, scalar, false, true);
    const auto& row = scores(cudnn::kInt32);
    g.pointwise(cudnn::kPointwiseGenIndex, cudnn::kFloat, sScaled, nullptr, nullptr, row, 2);
    const auto& col = scores(cudnn::kInt32);
    g.pointwise(cudnn::kPointwiseGenIndex, cudnn::kFloat, sScaled, nullptr, nullptr, col, 3);
    const auto& keep = scores(cudnn::kBoolean);
    g.pointwise(cudnn::kPointwiseCmpGe, cudnn::kBoolean, row, &col, nullptr, keep);
    const auto& masked = scores(cudnn::kFloat);
    g.pointwise(cudnn::kPointwiseBinarySelect, cudnn::kFloat, sScaled, &negInf, &keep, masked);
    sMasked = &masked;
  }
  const auto& rowMax = perRow();
  g.reduction(cudnn::kReduceMax, *sMasked, rowMax);
  const auto& shifted = scores(cudnn::kFloat);
  g.pointwise(cudnn::kPointwiseSub, cudnn::kFloat, *sMasked, &rowMax, nullptr, shifted);
  const auto& exps = scores(cudnn::kFloat);
  g.pointwise(cudnn::kPointwiseExp, cudnn::kFloat, shifted, nullptr, nullptr, exps);
  const auto& rowSum = perRow();
  g.reduction(cudnn::kReduceAdd, exps, rowSum);
  const auto& p = scores(cudnn::kBfloat16);
  g.pointwise(cudnn::kPointwiseDiv, cudnn::kFloat, exps, &rowSum, nullptr, p);
  g.matmul(p, v, o);
  return g.finish("composite");
}

class CudnnAttentionWorkload final : public Workload {
 public:
  explicit CudnnAttentionWorkload(const WorkloadSpec& spec) : problem_(spec), graph_(spec.cudnnGraph) {
    if (graph_ == "unified" && problem_.args().causal) {
      throw NativeFailure(
          {"ERR_ARGS", "cudnnGraph unified takes no causal mask (cuDNN 9.14): use composite or auto", "", ""});
    }
  }
  ~CudnnAttentionWorkload() override { release(); }

  void prepare(int, cudaStream_t stream) override {
    const CudnnApi& api = cudnnApi();
    problem_.allocate(stream);
    GSM_CUDNN(api.create(&handle_));
    GSM_CUDNN(api.setStream(handle_, stream));
    const std::string unifiedRefused = choosePlan();
    if (plan_.workspace > 0) GSM_CUDA(cudaMalloc(&workspace_, static_cast<size_t>(plan_.workspace)));
    if (verbose()) {
      std::fprintf(stderr, "gpushare-micro: cuDNN %zu attention, %s graph, workspace %lld bytes%s%s\n", api.version,
                   plan_.graph.c_str(), static_cast<long long>(plan_.workspace),
                   unifiedRefused.empty() ? "" : "; unified graph refused: ", unifiedRefused.c_str());
    }
    bindVariantPack();
  }
  int ctasPerLaunch() const override { return 0; }  // library kernels are not instrumented
  cudaError_t launch(cudaStream_t, Interval*) override {
    const cudnn::Status status = cudnnApi().backendExecute(handle_, plan_.plan->get(), pack_->get());
    return cudnnLaunchResult(status, "cudnnBackendExecute");
  }
  double flopsPerLaunch() const override { return problem_.flops(); }
  double bytesPerLaunch() const override { return problem_.bytes(); }
  std::vector<HostTensor> readTensors(cudaStream_t stream) override { return problem_.read(stream); }
  void release() noexcept override {
    pack_.reset();
    plan_ = Plan{};
    if (handle_ != nullptr) cudnnApi().destroy(handle_);
    handle_ = nullptr;
    freeDevice(workspace_);
    problem_.release();
  }

 private:
  // Builds the plan of the graph asked for (cudnnGraph), or tries unified then composite for
  // non-causal attention and composite for causal. Returns why unified was refused, if it was tried
  // and refused.
  std::string choosePlan() {
    const AttentionArgs& a = problem_.args();
    std::string unifiedRefused;
    if (graph_ != "composite" && !a.causal) {
      try {
        plan_ = build(handle_, a, true);
      } catch (const NativeFailure& f) {
        if (graph_ == "unified") throw;
        unifiedRefused = f.what();
      }
    }
    if (plan_.plan) return unifiedRefused;
    try {
      plan_ = build(handle_, a, false);
    } catch (const NativeFailure& f) {
      std::string message = f.what();
      if (!unifiedRefused.empty()) message = "unified graph: " + unifiedRefused + "; composite graph: " + message;
      throw NativeFailure({"ERR_LIBRARY", message, "", f.info().call});
    }
    return unifiedRefused;
  }

  // The variant pack: the device pointers (and the scale, and -inf for the causal mask) by uid.
  void bindVariantPack() {
    const AttentionArgs& a = problem_.args();
    scale_ = a.scale;
    negInf_ = -std::numeric_limits<float>::infinity();
    std::vector<int64_t> uids{kQ, kK, kV, kO, kScale};
    std::vector<void*> pointers{const_cast<uint16_t*>(a.q), const_cast<uint16_t*>(a.k), const_cast<uint16_t*>(a.v), a.o,
                                &scale_};
    if (a.causal && plan_.graph == "composite") {
      uids.push_back(kNegInf);
      pointers.push_back(&negInf_);
    }
    pack_ = std::make_unique<BackendDescriptor>(cudnn::kVariantPackDescriptor);
    pack_->set(cudnn::kVariantPackUniqueIds, cudnn::kTypeInt64, static_cast<int64_t>(uids.size()), uids.data(),
               "variant pack uids");
    pack_->set(cudnn::kVariantPackDataPointers, cudnn::kTypeVoidPtr, static_cast<int64_t>(pointers.size()),
               pointers.data(), "variant pack pointers");
    pack_->set(cudnn::kVariantPackWorkspace, cudnn::kTypeVoidPtr, 1, &workspace_, "variant pack workspace");
    pack_->finalize("cudnnBackendFinalize(variant pack)");
  }

  AttentionProblem problem_;
  std::string graph_;  // cudnnGraph: empty or auto, unified, composite
  cudnn::Handle handle_ = nullptr;
  Plan plan_;
  std::unique_ptr<BackendDescriptor> pack_;
  void* workspace_ = nullptr;
  float scale_ = 1.0f, negInf_ = 0.0f;
};

}  // namespace

std::unique_ptr<Workload> makeCudnnAttentionWorkload(const WorkloadSpec& spec) {
  return std::make_unique<CudnnAttentionWorkload>(spec);
}

}  // namespace gsm

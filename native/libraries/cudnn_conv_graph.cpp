// Convolutions through cuDNN's graph API, forward and backward (cudnn_conv_graph.h).
//
// Layout: cuDNN's tensor descriptors always list dimensions in NCHW order; the memory layout is in
// the strides. NHWC x [n, h, w, c] is dims {n, c, h, w} with strides {h w c, 1, w c, c}; the KRSC
// filter [k, r, s, c] is dims {k, c, r, s} with strides {r s c, 1, s c, c}; y likewise with k, p, q.
#include "libraries/cudnn_conv_graph.h"

#include <algorithm>
#include <cstdio>
#include "core/errors.h"

namespace gsm {
namespace {

enum Uid : int64_t { kX = 1, kW = 2, kY = 3 };

// Of two times this close (relative), the plan heuristics ranked first is kept: timing noise should
// not flip the choice from run to run.
constexpr float kTieFraction = 0.03f;
constexpr int kMaxKnobs = 64;  // knob choices read per engine configuration (cuDNN 9 has fewer than 40 types)
constexpr int kMaxNotes = 16;  // behavior notes read per engine

BackendDescriptor nhwcTensor(int64_t uid, int n, int c, int h, int w) {
  const int64_t hwc = static_cast<int64_t>(h) * w * c, wc = static_cast<int64_t>(w) * c;
  return backendTensor(uid, cudnn::kBfloat16, {n, c, h, w}, {hwc, 1, wc, c}, false);
}

// What a finalized engine configuration runs: its tag ("eng<global index> k<knob type>=<value>...",
// the form cudnn-frontend prints), whether its engine compiles at run time and whether it reduces in
// reduced precision (a numerical note). Best effort: a query cuDNN refuses leaves the tag shorter,
// never fails the plan.
struct EngineInfo {
  std::string tag = "eng?";
  bool compiles = false;
  bool reducedPrecision = false;
};

EngineInfo engineInfo(const BackendDescriptor& config) {
  const CudnnApi& api = cudnnApi();
  EngineInfo info;
  cudnn::Descriptor engine = nullptr;
  int64_t got = 0;
  if (api.backendCreateDescriptor(cudnn::kEngineDescriptor, &engine) == cudnn::kSuccess) {
    if (api.backendGetAttribute(config.get(), cudnn::kEngineCfgEngine, cudnn::kTypeBackendDescriptor, 1, &got,
                                &engine) == cudnn::kSuccess) {
      int64_t index = -1;
      if (api.backendGetAttribute(engine, cudnn::kEngineGlobalIndex, cudnn::kTypeInt64, 1, &got, &index) ==
          cudnn::kSuccess) {
        info.tag = "eng" + std::to_string(index);
      }
      int notes[kMaxNotes] = {};
      int64_t count = 0;
      if (api.backendGetAttribute(engine, cudnn::kEngineBehaviorNote, cudnn::kTypeBehaviorNote, kMaxNotes, &count,
                                  notes) == cudnn::kSuccess) {
        for (int64_t i = 0; i < std::min<int64_t>(count, kMaxNotes); ++i) {
          if (notes[i] == cudnn::kBehaviorNoteRuntimeCompilation) info.compiles = true;
        }
      }
      count = 0;
      if (api.backendGetAttribute(engine, cudnn::kEngineNumericalNote, cudnn::kTypeNumericalNote, kMaxNotes, &count,
                                  notes) == cudnn::kSuccess) {
        for (int64_t i = 0; i < std::min<int64_t>(count, kMaxNotes); ++i) {
          if (notes[i] == cudnn::kNumericalNoteReducedPrecisionReduction) info.reducedPrecision = true;
        }
      }
    }
    api.backendDestroyDescriptor(engine);
  }
  std::vector<cudnn::Descriptor> knobs;
  for (int i = 0; i < kMaxKnobs; ++i) {
    cudnn::Descriptor d = nullptr;
    if (api.backendCreateDescriptor(cudnn::kKnobChoiceDescriptor, &d) != cudnn::kSuccess) break;
    knobs.push_back(d);
  }
  int64_t count = 0;
  if (!knobs.empty() &&
      api.backendGetAttribute(config.get(), cudnn::kEngineCfgKnobChoices, cudnn::kTypeBackendDescriptor,
                              static_cast<int64_t>(knobs.size()), &count, knobs.data()) == cudnn::kSuccess) {
    for (int64_t i = 0; i < std::min<int64_t>(count, static_cast<int64_t>(knobs.size())); ++i) {
      int type = -1;
      int64_t value = 0;
      if (api.backendGetAttribute(knobs[i], cudnn::kKnobChoiceKnobType, cudnn::kTypeKnobType, 1, &got, &type) ==
              cudnn::kSuccess &&
          api.backendGetAttribute(knobs[i], cudnn::kKnobChoiceKnobValue, cudnn::kTypeInt64, 1, &got, &value) ==
              cudnn::kSuccess) {
        info.tag += " k" + std::to_string(type) + "=" + std::to_string(value);
      }
    }
  }
  for (cudnn::Descriptor d : knobs) api.backendDestroyDescriptor(d);
  return info;
}

std::string shapeText(const ConvGraphShape& a) {
  char text[160];
  std::snprintf(text, sizeof text, "x %dx%dx%dx%d, w %dx%dx%dx%d, stride %d, pad %d", a.n, a.h, a.w, a.c, a.k, a.r, a.s,
                a.c, a.stride, a.pad);
  return text;
}

float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]);
}

// A device buffer for the timing runs, freed on scope exit.
struct TempBuffer {
  void* data = nullptr;
  explicit TempBuffer(size_t bytes) {
    if (bytes > 0) GSM_CUDA(cudaMalloc(&data, bytes));
  }
  ~TempBuffer() {
    if (data != nullptr) cudaFree(data);
  }
  TempBuffer(const TempBuffer&) = delete;
  TempBuffer& operator=(const TempBuffer&) = delete;
};

// Two CUDA events per timed run, destroyed on scope exit.
struct Events {
  std::vector<cudaEvent_t> e;
  explicit Events(int count) : e(static_cast<size_t>(count), nullptr) {
    for (cudaEvent_t& ev : e) GSM_CUDA(cudaEventCreate(&ev));
  }
  ~Events() {
    for (cudaEvent_t ev : e) {
      if (ev != nullptr) cudaEventDestroy(ev);
    }
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
};

// The operation of a direction: its descriptor type and the attributes of alpha, beta, the convolution
// descriptor and the x, w, y tensors (for the backward directions: dx, w, dy and x, dw, dy).
struct OperationAttributes {
  int type, alpha, beta, conv, x, w, y;
  const char* name;
};

OperationAttributes operationAttributes(ConvDirection direction) {
  switch (direction) {
    case ConvDirection::BackwardData:
      return {cudnn::kOperationConvolutionBackwardDataDescriptor,
              cudnn::kOperationConvolutionBwdDataAlpha,
              cudnn::kOperationConvolutionBwdDataBeta,
              cudnn::kOperationConvolutionBwdDataConvDesc,
              cudnn::kOperationConvolutionBwdDataDx,
              cudnn::kOperationConvolutionBwdDataW,
              cudnn::kOperationConvolutionBwdDataDy,
              "convolution backward data"};
    case ConvDirection::BackwardFilter:
      return {cudnn::kOperationConvolutionBackwardFilterDescriptor,
              cudnn::kOperationConvolutionBwdFilterAlpha,
              cudnn::kOperationConvolutionBwdFilterBeta,
              cudnn::kOperationConvolutionBwdFilterConvDesc,
              cudnn::kOperationConvolutionBwdFilterX,
              cudnn::kOperationConvolutionBwdFilterDw,
              cudnn::kOperationConvolutionBwdFilterDy,
              "convolution backward filter"};
    default:
      return {cudnn::kOperationConvolutionForwardDescriptor, cudnn::kOperationConvolutionForwardAlpha,
              cudnn::kOperationConvolutionForwardBeta,       cudnn::kOperationConvolutionForwardConvDesc,
              cudnn::kOperationConvolutionForwardX,          cudnn::kOperationConvolutionForwardW,
              cudnn::kOperationConvolutionForwardY,          "convolution forward"};
  }
}

}  // namespace

ConvGraphPlan::ConvGraphPlan(cudnn::Handle handle, const ConvGraphShape& a, const void* x, const void* w, const void* y,
                             cudaStream_t stream, const std::string& what, const ConvPlanOptions& options) {
  const CudnnApi& api = cudnnApi();
  for (const void* ptr : {x, w, y}) {
    if (reinterpret_cast<uintptr_t>(ptr) % 16 != 0) {
      throw NativeFailure(
          {"ERR_LIBRARY", what + ": the cuDNN graph convolution needs 16-byte aligned tensors", "", "ConvGraphPlan"});
    }
  }
  const OperationAttributes attrs = operationAttributes(options.direction);
  // The graph: x, w, y, the convolution, one operation of the direction.
  const BackendDescriptor* graph = nullptr;
  try {
    auto keep = [this](BackendDescriptor&& d) -> const BackendDescriptor& {
      keep_.push_back(std::make_unique<BackendDescriptor>(std::move(d)));
      return *keep_.back();
    };
    const BackendDescriptor& tx = keep(nhwcTensor(kX, a.n, a.c, a.h, a.w));
    const BackendDescriptor& tw = keep(nhwcTensor(kW, a.k, a.c, a.r, a.s));
    const BackendDescriptor& ty = keep(nhwcTensor(kY, a.n, a.k, a.p, a.q));
    BackendDescriptor conv(cudnn::kConvolutionDescriptor);
    const int64_t spatial = 2;
    const int64_t pads[2] = {a.pad, a.pad}, strides[2] = {a.stride, a.stride}, dilations[2] = {1, 1};
    const int compute = cudnn::kFloat, mode = cudnn::kCrossCorrelation;
    conv.set(cudnn::kConvolutionSpatialDims, cudnn::kTypeInt64, 1, &spatial, "convolution spatial dims");
    conv.set(cudnn::kConvolutionCompType, cudnn::kTypeDataType, 1, &compute, "convolution compute type");
    conv.set(cudnn::kConvolutionConvMode, cudnn::kTypeConvolutionMode, 1, &mode, "convolution mode");
    conv.set(cudnn::kConvolutionPrePaddings, cudnn::kTypeInt64, 2, pads, "convolution pre-paddings");
    conv.set(cudnn::kConvolutionPostPaddings, cudnn::kTypeInt64, 2, pads, "convolution post-paddings");
    conv.set(cudnn::kConvolutionFilterStrides, cudnn::kTypeInt64, 2, strides, "convolution strides");
    conv.set(cudnn::kConvolutionDilations, cudnn::kTypeInt64, 2, dilations, "convolution dilations");
    conv.finalize("cudnnBackendFinalize(convolution)");
    const BackendDescriptor& convDesc = keep(std::move(conv));
    BackendDescriptor op(attrs.type);
    const float alpha = 1.0f, beta = options.beta;  // CUDNN_TYPE_FLOAT: the compute type is fp32
    op.set(attrs.alpha, cudnn::kTypeFloat, 1, &alpha, "convolution alpha");
    op.set(attrs.beta, cudnn::kTypeFloat, 1, &beta, "convolution beta");
    op.setDescriptor(attrs.conv, convDesc, "convolution descriptor");
    op.setDescriptor(attrs.x, tx, "convolution X");
    op.setDescriptor(attrs.w, tw, "convolution W");
    op.setDescriptor(attrs.y, ty, "convolution Y");
    op.finalize((std::string("cudnnBackendFinalize(") + attrs.name + " operation)").c_str());
    const BackendDescriptor& operation = keep(std::move(op));
    graph = &keep(operationGraph(handle, {&operation}));
  } catch (const NativeFailure& f) {
    throw NativeFailure({"ERR_LIBRARY", what + " (" + shapeText(a) + "): " + f.what(), "", f.info().call});
  }

  GSM_CUDNN(api.setStream(handle, stream));
  GSM_CUDA(cudaStreamSynchronize(stream));
  Events events(2 * options.timedRuns);
  ConvGraphPack pack;
  std::string firstRefusal;
  // Pass 0 takes precompiled engines only; pass 1, reached only when none ran, the ones that compile
  // and, for the backward filter (a reduction over n p q products), those whose numerical notes say
  // they reduce in reduced precision. (The notes do not catch everything: on the H200 one split-K
  // candidate for ResNet-50's stem at batch 32, eng47 k0=28, was 39% off float64 with no such note;
  // it timed slowest and was not chosen. cudnn_conv_check verify checks every candidate.)
  for (int pass = 0; pass < 2; ++pass) {
    bool anyCompiles = false;
    for (const int mode : {cudnn::kHeurModeA, cudnn::kHeurModeB, cudnn::kHeurModeFallback}) {
      const size_t first = candidates_.size();
      int finalized = 0, skippedCompiles = 0, skippedReduced = 0, overCap = 0, refused = 0;
      std::vector<std::unique_ptr<BackendDescriptor>> plans;
      int64_t offered = 0;
      try {
        HeuristicConfigs h = heuristicConfigs(*graph, mode);
        offered = h.offered;
        for (size_t i = 0; i < h.configs.size() && finalized < options.maxTimed; ++i) {
          const EngineInfo info = engineInfo(h.configs[i]);
          const bool reduced = info.reducedPrecision && options.direction == ConvDirection::BackwardFilter;
          const bool deferred = info.compiles || reduced;
          if (deferred != (pass == 1)) {
            if (info.compiles) ++skippedCompiles;
            if (reduced && !info.compiles) ++skippedReduced;
            continue;
          }
          auto plan = std::make_unique<BackendDescriptor>(cudnn::kExecutionPlanDescriptor);
          int64_t workspace = 0, got = 0;
          try {
            plan->set(cudnn::kExecutionPlanHandle, cudnn::kTypeHandle, 1, &handle, "plan handle");
            plan->setDescriptor(cudnn::kExecutionPlanEngineConfig, h.configs[i], "plan engine config");
            plan->finalize("cudnnBackendFinalize(execution plan)");
            checkCudnn(api.backendGetAttribute(plan->get(), cudnn::kExecutionPlanWorkspaceSize, cudnn::kTypeInt64, 1,
                                               &got, &workspace),
                       "cudnnBackendGetAttribute(plan workspace size)");
          } catch (const NativeFailure& f) {
            ++refused;
            if (firstRefusal.empty()) firstRefusal = info.tag + ": " + f.what();
            continue;
          }
          if (static_cast<size_t>(workspace) > options.workspaceCap) {
            ++overCap;
            continue;
          }
          ++finalized;
          ConvPlanCandidate c;
          c.engine = info.tag;
          c.workspace = workspace;
          c.mode = heurModeName(mode);
          candidates_.push_back(c);
          plans.push_back(std::move(plan));
          // The plan's configuration (and below the heuristics and the graph) live as long as the plans,
          // as cudnn-frontend keeps them.
          keep_.push_back(std::make_unique<BackendDescriptor>(std::move(h.configs[i])));
        }
        keep_.push_back(std::make_unique<BackendDescriptor>(std::move(h.heuristics)));
      } catch (const NativeFailure& f) {
        if (firstRefusal.empty()) firstRefusal = std::string(heurModeName(mode)) + ": " + f.what();
      }
      anyCompiles = anyCompiles || skippedCompiles > 0 || skippedReduced > 0;
      heuristics_ += std::string(heuristics_.empty() ? "" : "; ") + heurModeName(mode) +
                     (pass == 1 ? " (engines deferred from the first pass)" : "") + ": " + std::to_string(offered) +
                     " offered, " + std::to_string(finalized) + " finalized";
      if (refused > 0) heuristics_ += ", " + std::to_string(refused) + " refused";
      if (overCap > 0) heuristics_ += ", " + std::to_string(overCap) + " over the workspace cap";
      if (skippedCompiles > 0) heuristics_ += ", " + std::to_string(skippedCompiles) + " compile at run time (skipped)";
      if (skippedReduced > 0) {
        heuristics_ += ", " + std::to_string(skippedReduced) + " reduce in reduced precision (skipped)";
      }
      if (plans.empty()) continue;

      // Time this mode's plans on the caller's buffers, one warm-up run each (it also loads the
      // kernels), then timedRuns runs between events.
      int64_t largest = 0;
      for (size_t i = first; i < candidates_.size(); ++i) largest = std::max(largest, candidates_[i].workspace);
      TempBuffer workspace(static_cast<size_t>(largest));
      bool anyRan = false;
      for (size_t i = 0; i < plans.size(); ++i) {
        ConvPlanCandidate& c = candidates_[first + i];
        const char* call = "";
        cudnn::Status status = pack.run(handle, plans[i]->get(), x, w, y, workspace.data, &call);
        cudaError_t e = cudaSuccess;
        for (int run = 0; run < options.timedRuns && status == cudnn::kSuccess && e == cudaSuccess; ++run) {
          e = cudaEventRecord(events.e[2 * run], stream);
          if (e == cudaSuccess) status = pack.run(handle, plans[i]->get(), x, w, y, workspace.data, &call);
          if (e == cudaSuccess && status == cudnn::kSuccess) e = cudaEventRecord(events.e[2 * run + 1], stream);
        }
        if (status == cudnn::kSuccess && e == cudaSuccess) e = cudaStreamSynchronize(stream);
        std::vector<float> ms(static_cast<size_t>(std::max(options.timedRuns, 1)), 0.0f);
        for (int run = 0; run < options.timedRuns && status == cudnn::kSuccess && e == cudaSuccess; ++run) {
          e = cudaEventElapsedTime(&ms[run], events.e[2 * run], events.e[2 * run + 1]);
        }
        if (status != cudnn::kSuccess || e != cudaSuccess) {
          // A failure that is not sticky is cleared; a sticky one (the context is lost) fails what follows.
          c.refused = status != cudnn::kSuccess ? describeCudnn(status, call) : std::string(cudaGetErrorName(e));
          (void)cudaGetLastError();
          GSM_CUDA(cudaStreamSynchronize(stream));
          plans[i].reset();
          continue;
        }
        c.ms = median(ms);
        anyRan = true;
      }
      // Parallel to candidates_: earlier modes' (none ran) as empty slots.
      plans_.resize(first);
      for (auto& p : plans) plans_.push_back(std::move(p));
      if (anyRan) break;
    }
    if (!anyCompiles) break;  // nothing left to try in the second pass
    bool ran = false;
    for (const auto& p : plans_) ran = ran || p != nullptr;
    if (ran) break;
    plans_.clear();
  }

  // The fastest, or the first in heuristics' order within kTieFraction of it.
  float best = -1.0f;
  for (const ConvPlanCandidate& c : candidates_) {
    if (c.ms >= 0.0f && (best < 0.0f || c.ms < best)) best = c.ms;
  }
  if (best < 0.0f) {
    std::string failures;
    for (const ConvPlanCandidate& c : candidates_) failures += "; " + c.engine + " failed to run: " + c.refused;
    throw NativeFailure({"ERR_LIBRARY",
                         what + " (" + shapeText(a) + "): no cuDNN engine ran the convolution graph (" + heuristics_ +
                             (firstRefusal.empty() ? "" : "; first refusal: " + firstRefusal) + failures + ")",
                         "", "cudnnBackendFinalize(execution plan)"});
  }
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (candidates_[i].ms >= 0.0f && candidates_[i].ms <= best * (1.0f + kTieFraction)) {
      chosen_ = i;
      break;
    }
  }
  if (!options.keepCandidates) {
    for (size_t i = 0; i < plans_.size(); ++i) {
      if (i != chosen_) plans_[i].reset();
    }
  }
}

ConvGraphPlan::~ConvGraphPlan() {
  plans_.clear();  // the plans before the graph's descriptors they were made from
  keep_.clear();
}

cudnn::Descriptor ConvGraphPlan::plan() const { return plans_[chosen_]->get(); }
int64_t ConvGraphPlan::workspace() const { return candidates_[chosen_].workspace; }
const std::string& ConvGraphPlan::engine() const { return candidates_[chosen_].engine; }

cudnn::Descriptor ConvGraphPlan::candidatePlan(size_t i) const {
  return i < plans_.size() && plans_[i] ? plans_[i]->get() : nullptr;
}

std::string ConvGraphPlan::describe() const {
  const ConvPlanCandidate& c = chosen();
  char head[256];
  std::snprintf(head, sizeof head, "%s (%s), %.3f ms, workspace %lld bytes; ", c.engine.c_str(), c.mode.c_str(),
                static_cast<double>(c.ms), static_cast<long long>(c.workspace));
  std::string text = head + heuristics_ + "; timed:";
  for (const ConvPlanCandidate& k : candidates_) {
    char one[160];
    if (k.ms >= 0.0f) {
      std::snprintf(one, sizeof one, " [%s %.3f ms]", k.engine.c_str(), static_cast<double>(k.ms));
    } else {
      std::snprintf(one, sizeof one, " [%s failed: %s]", k.engine.c_str(), k.refused.c_str());
    }
    text += one;
  }
  return text;
}

void ConvGraphPack::reset() noexcept {
  if (pack_ != nullptr) cudnnApi().backendDestroyDescriptor(pack_);
  pack_ = nullptr;
  std::fill(bound_, bound_ + 4, nullptr);
}

cudnn::Status ConvGraphPack::run(cudnn::Handle handle, cudnn::Descriptor planDescriptor, const void* x, const void* w,
                                 const void* y, void* workspace, const char** call) {
  const CudnnApi& api = cudnnApi();
  const void* want[4] = {x, w, y, workspace};
  if (pack_ == nullptr || !std::equal(want, want + 4, bound_)) {
    reset();
    *call = "cudnnBackendCreateDescriptor(convolution variant pack)";
    cudnn::Descriptor d = nullptr;
    cudnn::Status status = api.backendCreateDescriptor(cudnn::kVariantPackDescriptor, &d);
    if (status != cudnn::kSuccess) return status;
    const int64_t uids[3] = {kX, kW, kY};
    void* pointers[3] = {const_cast<void*>(x), const_cast<void*>(w), const_cast<void*>(y)};
    *call = "cudnnBackendFinalize(convolution variant pack)";
    status = api.backendSetAttribute(d, cudnn::kVariantPackUniqueIds, cudnn::kTypeInt64, 3, uids);
    if (status == cudnn::kSuccess) {
      status = api.backendSetAttribute(d, cudnn::kVariantPackDataPointers, cudnn::kTypeVoidPtr, 3, pointers);
    }
    if (status == cudnn::kSuccess) {
      status = api.backendSetAttribute(d, cudnn::kVariantPackWorkspace, cudnn::kTypeVoidPtr, 1, &workspace);
    }
    if (status == cudnn::kSuccess) status = api.backendFinalize(d);
    if (status != cudnn::kSuccess) {
      api.backendDestroyDescriptor(d);
      return status;
    }
    pack_ = d;
    std::copy(want, want + 4, bound_);
  }
  *call = "cudnnBackendExecute(convolution)";
  return api.backendExecute(handle, planDescriptor, pack_);
}

cudaError_t ConvGraphPack::execute(cudnn::Handle handle, const ConvGraphPlan& plan, const void* x, const void* w,
                                   const void* y, void* workspace, size_t workspaceBytes,
                                   cudnn::Descriptor planOverride) {
  if (planOverride == nullptr && workspaceBytes < static_cast<size_t>(plan.workspace())) {
    noteLaunchFailure("the convolution's workspace (" + std::to_string(workspaceBytes) + " bytes) is smaller than " +
                      plan.engine() + " needs (" + std::to_string(plan.workspace()) + ")");
    return cudaErrorInvalidValue;
  }
  const char* call = "";
  const cudnn::Status status =
      run(handle, planOverride != nullptr ? planOverride : plan.plan(), x, w, y, workspace, &call);
  return cudnnLaunchResult(status, call);
}

}  // namespace gsm

// A 2-D convolution through cuDNN's backend (graph) API, forward or either backward: bf16 NHWC x
// [n, h, w, c], bf16 KRSC filter w [k, r, s, c], bf16 NHWC y [n, p, q, k], fp32 compute,
// cross-correlation; forward y = conv(x, w), backward data dx = conv_dgrad(dy, w) (+ dx with beta 1),
// backward filter dw = conv_wgrad(x, dy). The legacy API (cudnnFind*Algorithm) does not reach the
// Hopper engines that the graph API's heuristics offer, and its search picked a backward filter
// algorithm 90 times slower than the Hopper engines for some of ResNet-50's layers, in some processes
// and not others; this is the path PyTorch takes through cudnn-frontend.
//
// Two parts, so that convolutions of one shape can share a plan:
//   ConvGraphPlan     the operation graph (tensors with NCHW-ordered dimensions and NHWC strides, a
//                     convolution descriptor, one convolution operation of the direction), the engine
//                     configurations of heuristics mode A (then mode B, then the fallback list, where
//                     no plan of a mode runs), and, like cudnnFind, the first few plans that finalize
//                     timed on the caller's buffers with CUDA events: the fastest is kept with its
//                     workspace size. Engines that compile at run time (NVRTC) are tried only where no
//                     precompiled one finalizes (a compile per plan takes seconds).
//   ConvGraphPack     one convolution's variant pack (uids of x, w, y and the workspace pointer),
//                     rebuilt when a pointer changes (a shared workspace can be reallocated), and the
//                     execution: a run-time failure is a CUDA error (cudnnLaunchResult), never a throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "libraries/cudnn_api.h"

namespace gsm {

struct ConvGraphShape {
  int n, c, h, w;  // x [n, h, w, c]
  int k, r, s;     // filter [k, r, s, c]
  int stride, pad; // the same in both spatial dimensions, dilation 1
  int p, q;        // y [n, p, q, k]
};

// Which tensor the operation writes: y (forward), x's gradient (backward data) or w's (backward filter).
enum class ConvDirection { Forward, BackwardData, BackwardFilter };

struct ConvPlanOptions {
  ConvDirection direction = ConvDirection::Forward;
  float beta = 0.0f;                      // 1: add to what the written tensor holds (backward data's +=)
  size_t workspaceCap = size_t{1} << 30;  // plans needing more are skipped while any other runs
  int maxTimed = 8;                       // plans timed (those that finalize, in the heuristics' order)
  int timedRuns = 5;                      // per plan, after one warm-up run: the median is its time
  bool keepCandidates = false;            // keep every timed plan (checks run each), not only the chosen
};

// One timed candidate: the engine's tag ("eng42 k2=3 k13=1": global index and knob choices), its
// workspace, its median time (negative: it failed to run, `refused` says why).
struct ConvPlanCandidate {
  std::string engine;
  int64_t workspace = 0;
  float ms = -1.0f;
  std::string refused;
  std::string mode;  // the heuristics mode that offered it
};

class ConvGraphPlan {
 public:
  // Builds and chooses on `handle` (its stream is set to `stream`), timing on x, w, y (for the
  // backward directions x and w are the gradients, y is dy; the direction's output is written) and a
  // temporary workspace. Throws NativeFailure (ERR_LIBRARY) naming `what` (the layer) and cuDNN's
  // status when no plan runs. Pointers must be 16-byte aligned.
  // (Pointers are const here as in the pack; the direction says which one cuDNN writes.)
  ConvGraphPlan(cudnn::Handle handle, const ConvGraphShape& shape, const void* x, const void* w, const void* y,
                cudaStream_t stream, const std::string& what, const ConvPlanOptions& options = {});
  ~ConvGraphPlan();
  ConvGraphPlan(const ConvGraphPlan&) = delete;
  ConvGraphPlan& operator=(const ConvGraphPlan&) = delete;

  cudnn::Descriptor plan() const;                  // the chosen plan
  int64_t workspace() const;                       // its workspace in bytes
  const std::string& engine() const;               // its engine's tag
  const ConvPlanCandidate& chosen() const { return candidates_[chosen_]; }
  size_t chosenIndex() const { return chosen_; }
  const std::vector<ConvPlanCandidate>& candidates() const { return candidates_; }
  // How heuristics answered: "mode A: 12 offered, 8 finalized" and the like.
  const std::string& heuristics() const { return heuristics_; }
  // keepCandidates: the plan of candidates()[i] (null when it was not kept or did not run).
  cudnn::Descriptor candidatePlan(size_t i) const;
  // One line for GSM_VERBOSE: the chosen engine, its workspace, every candidate's time.
  std::string describe() const;

 private:
  std::vector<ConvPlanCandidate> candidates_;
  // Declared before plans_, so destroyed after them (also when the constructor throws).
  std::vector<std::unique_ptr<BackendDescriptor>> keep_;   // the graph's descriptors, alive with the plans
  std::vector<std::unique_ptr<BackendDescriptor>> plans_;  // parallel to candidates_ (null: dropped or failed)
  size_t chosen_ = 0;
  std::string heuristics_;
};

class ConvGraphPack {
 public:
  ConvGraphPack() = default;
  ~ConvGraphPack() { reset(); }
  ConvGraphPack(const ConvGraphPack&) = delete;
  ConvGraphPack& operator=(const ConvGraphPack&) = delete;
  void reset() noexcept;  // destroys the pack (the next execute builds it again)

  // The plan's convolution (y = conv(x, w) forward; x, w the gradients backward) with `plan` (or
  // `planOverride`, a candidate's plan of the same graph) on the handle's stream. `workspaceBytes` must be at least the plan's workspace. What a workload's
  // launch returns: cudaSuccess, or the CUDA error behind a cuDNN failure (cudnnLaunchResult).
  cudaError_t execute(cudnn::Handle handle, const ConvGraphPlan& plan, const void* x, const void* w, const void* y,
                      void* workspace, size_t workspaceBytes, cudnn::Descriptor planOverride = nullptr);
  // The same with `planDescriptor` and no workspace check, as cuDNN's status; `call` names the call
  // that failed.
  cudnn::Status run(cudnn::Handle handle, cudnn::Descriptor planDescriptor, const void* x, const void* w, const void* y,
                    void* workspace, const char** call);

 private:
  cudnn::Descriptor pack_ = nullptr;
  const void* bound_[4] = {nullptr, nullptr, nullptr, nullptr};  // x, w, y, workspace of pack_
};

}  // namespace gsm

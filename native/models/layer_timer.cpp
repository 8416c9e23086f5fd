// LayerTimer (graph.h): per-layer GPU time from CUDA events. The ops of a step fall into runs of
// consecutive ops with the same layer and phase; a timed step records one event at its start and
// one after each run, so run k lasted from event k to event k + 1. Steps in flight each need their
// own events: a ring of depth + 2 event sets, each read back (cudaEventElapsedTime) before it is
// reused, or by collect(). Whatever the loop's depth, a step never overwrites events not yet read:
// beginStep() reads the slot's old step first (waiting for it in the rare case it is still running).
#include "models/graph.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include "core/errors.h"

namespace gsm {
namespace model {

struct LayerTimer::Impl {
  struct Run {
    std::string layer;
    Phase phase = Phase::Forward;
    std::vector<std::string> impls;  // the distinct impl labels of its ops, in order
  };
  struct Slot {
    std::vector<cudaEvent_t> events;  // runs + 1
    uint64_t step = 0;                // the step it holds
    bool pending = false;             // recorded completely, not yet read back
  };

  std::vector<Run> runs;
  std::vector<size_t> runEnds;  // per run: its last op's index in ops()
  std::vector<Slot> slots;
  int maxSteps = 0;
  uint64_t started = 0;  // timed steps begun (since the last clear())
  Slot* current = nullptr;  // the step being recorded; null when this step is not timed
  size_t next = 0;          // the next run of the current step to close
  // Read back: per run, one duration per timed step.
  std::vector<std::vector<uint32_t>> ns;

  void destroyEvents() noexcept {
    for (Slot& slot : slots) {
      for (cudaEvent_t& e : slot.events) {
        if (e != nullptr) cudaEventDestroy(e);
        e = nullptr;
      }
    }
  }

  cudaError_t readBack(Slot& slot) {
    slot.pending = false;
    cudaError_t e = cudaEventSynchronize(slot.events.back());
    if (e != cudaSuccess) return e;
    for (size_t k = 0; k < runs.size(); ++k) {
      float ms = 0;
      e = cudaEventElapsedTime(&ms, slot.events[k], slot.events[k + 1]);
      if (e != cudaSuccess) return e;
      const double value = std::max(0.0, static_cast<double>(ms) * 1e6);
      ns[k].push_back(static_cast<uint32_t>(std::min(value, static_cast<double>(UINT32_MAX))));
    }
    return cudaSuccess;
  }
};

LayerTimer::LayerTimer(const Graph& graph, int depth, int maxSteps) : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  const std::deque<Op>& ops = graph.ops();
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (i == 0 || op.layer != ops[i - 1].layer || op.phase != ops[i - 1].phase) {
      t.runs.push_back(Impl::Run{op.layer, op.phase, {}});
      t.runEnds.push_back(i);
    }
    t.runEnds.back() = i;
    std::vector<std::string>& impls = t.runs.back().impls;
    if (std::find(impls.begin(), impls.end(), op.impl) == impls.end()) impls.push_back(op.impl);
  }
  t.maxSteps = std::max(maxSteps, 0);
  t.ns.assign(t.runs.size(), {});
  t.slots.resize(static_cast<size_t>(std::max(depth, 1)) + 2);
  cudaError_t status = cudaSuccess;
  for (Impl::Slot& slot : t.slots) {
    slot.events.assign(t.runs.size() + 1, nullptr);
    for (cudaEvent_t& e : slot.events)
      if (status == cudaSuccess) status = cudaEventCreate(&e);
  }
  if (status != cudaSuccess) {
    t.destroyEvents();
    throwCuda(status, "cudaEventCreate(&e)", __FILE__, __LINE__);
  }
}

LayerTimer::~LayerTimer() { impl_->destroyEvents(); }

const std::vector<size_t>& LayerTimer::runEnds() const { return impl_->runEnds; }

cudaError_t LayerTimer::beginStep(cudaStream_t stream) {
  Impl& t = *impl_;
  if (t.current != nullptr) t.current->pending = false;  // the last step did not mark every run: not timed
  t.current = nullptr;
  if (t.runs.empty() || t.started >= static_cast<uint64_t>(t.maxSteps)) return cudaSuccess;
  Impl::Slot& slot = t.slots[t.started % t.slots.size()];
  if (slot.pending) {  // a step `ring` steps back: normally long done, so this rarely waits
    const cudaError_t e = t.readBack(slot);
    if (e != cudaSuccess) return e;
  }
  const cudaError_t e = cudaEventRecord(slot.events[0], stream);
  if (e != cudaSuccess) return e;
  slot.step = t.started++;
  t.current = &slot;
  t.next = 0;
  return cudaSuccess;
}

cudaError_t LayerTimer::mark(cudaStream_t stream, size_t boundary) {
  Impl& t = *impl_;
  if (t.current == nullptr || t.next >= t.runs.size()) return cudaSuccess;
  if (boundary != t.runEnds[t.next] && boundary != t.next) return cudaSuccess;
  const cudaError_t e = cudaEventRecord(t.current->events[t.next + 1], stream);
  if (e != cudaSuccess) return e;
  if (++t.next == t.runs.size()) {
    t.current->pending = true;
    t.current = nullptr;
  }
  return cudaSuccess;
}

std::vector<LayerTiming> LayerTimer::collect() {
  Impl& t = *impl_;
  std::vector<Impl::Slot*> pending;
  for (Impl::Slot& slot : t.slots)
    if (slot.pending) pending.push_back(&slot);
  std::sort(pending.begin(), pending.end(), [](const Impl::Slot* a, const Impl::Slot* b) { return a->step < b->step; });
  for (Impl::Slot* slot : pending) { GSM_CUDA(t.readBack(*slot)); }
  std::vector<LayerTiming> out;
  out.reserve(t.runs.size());
  for (size_t k = 0; k < t.runs.size(); ++k) {
    std::string impl;
    for (const std::string& label : t.runs[k].impls) impl += (impl.empty() ? "" : " + ") + label;
    out.push_back(LayerTiming{t.runs[k].layer, t.runs[k].phase, impl, t.ns[k]});
  }
  return out;
}

void LayerTimer::clear() {
  Impl& t = *impl_;
  for (Impl::Slot& slot : t.slots) slot.pending = false;
  for (std::vector<uint32_t>& v : t.ns) v.clear();
  t.started = 0;
  t.current = nullptr;
  t.next = 0;
}

}  // namespace model
}  // namespace gsm

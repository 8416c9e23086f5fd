// The model graph (graph.h) except LayerTimer (layer_timer.cpp): registration at build time, one
// allocation pass at prepare, and the step's run over the ops in order.
#include "models/graph.h"

#include <algorithm>
#include <cmath>
#include "core/errors.h"
#include "kernels/nn.h"
#include "kernels/nn_init.h"
#include "models/layers.h"

namespace gsm {
namespace model {
namespace {

constexpr size_t kArenaAlign = 256;   // bytes, every tensor's start in the arena
constexpr size_t kParamAlign = 64;    // elements, every parameter's start in the flat buffers

size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

size_t product(const std::vector<int64_t>& dims) {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

// A seed per parameter or tensor, from the graph's seed and its index (two streams: params, tensors).
uint64_t seedFor(uint64_t seed, uint64_t stream, size_t index) {
  return seed * 0x2545f4914f6cdd1dull + (stream << 56) + index * 0x9e3779b97f4a7c15ull;
}

// The bound or standard deviation of a parameter's initialisation (PyTorch's defaults).
void initParam(const Param& p, uint64_t seed, cudaStream_t stream) {
  float* data = p.master.f32();
  const size_t n = p.count();
  const double fanIn = static_cast<double>(p.fanIn > 0 ? p.fanIn : 1);
  switch (p.init) {
    case Init::KaimingUniform:  // kaiming_uniform_(a = sqrt 5): gain sqrt(2 / 6), bound gain sqrt(3 / fanIn)
      GSM_CUDA(initUniform(data, n, static_cast<float>(std::sqrt(6.0 / (6.0 * fanIn))), seed, stream));
      break;
    case Init::Uniform: GSM_CUDA(initUniform(data, n, static_cast<float>(1.0 / std::sqrt(fanIn)), seed, stream)); break;
    case Init::Normal002: GSM_CUDA(initNormal(data, n, 0.02f, seed, stream)); break;
    case Init::Ones: GSM_CUDA(fillFloat(data, n, 1.0f, stream)); break;
    case Init::Zeros: GSM_CUDA(cudaMemsetAsync(data, 0, n * sizeof(float), stream)); break;
  }
}

void fillTensor(const Tensor& t, uint64_t seed, cudaStream_t stream) {
  if (t.data == nullptr || t.count() == 0) return;
  switch (t.fill) {
    case Tensor::Fill::Poison:  // all-ones bytes: NaN in bf16 and fp32, -1 in int32
      GSM_CUDA(cudaMemsetAsync(t.data, 0xff, t.bytes(), stream));
      break;
    case Tensor::Fill::Zero: GSM_CUDA(cudaMemsetAsync(t.data, 0, t.bytes(), stream)); break;
    case Tensor::Fill::Random:
      if (t.dtype == Dtype::Bf16) {
        GSM_CUDA(fillRandomBf16(t.bf16(), t.count(), seed, stream));
      } else if (t.dtype == Dtype::F32) {
        GSM_CUDA(fillRandomFloat(t.f32(), t.count(), seed, stream));
      } else {
        throw NativeFailure({"ERR_NATIVE", "tensor " + t.name + ": Random fill needs bf16 or fp32", "", ""});
      }
      break;
    case Tensor::Fill::Ones:
      if (t.dtype != Dtype::F32) {
        throw NativeFailure({"ERR_NATIVE", "tensor " + t.name + ": Ones fill needs fp32", "", ""});
      }
      GSM_CUDA(fillFloat(t.f32(), t.count(), 1.0f, stream));
      break;
    case Tensor::Fill::Ids:
      if (t.dtype != Dtype::I32 || t.idRange < 1) {
        throw NativeFailure({"ERR_NATIVE", "tensor " + t.name + ": Ids fill needs int32 and idRange >= 1", "", ""});
      }
      GSM_CUDA(fillIds(t.i32(), t.count(), t.idRange, seed, stream));
      break;
  }
}

}  // namespace

size_t dtypeBytes(Dtype d) {
  switch (d) {
    case Dtype::Bf16: return 2;
    case Dtype::F32: return 4;
    case Dtype::I32: return 4;
    case Dtype::U8: return 1;
  }
  return 1;
}

const char* phaseName(Phase p) {
  switch (p) {
    case Phase::Forward: return "forward";
    case Phase::Backward: return "backward";
    case Phase::Update: return "update";
  }
  return "?";
}

size_t Tensor::count() const { return product(dims); }
size_t Param::count() const { return product(dims); }

Graph::~Graph() { release(); }

// ---- build ----

Tensor* Graph::tensor(const std::string& name, std::vector<int64_t> dims, Dtype dtype, Tensor::Fill fill) {
  tensors_.emplace_back();
  Tensor& t = tensors_.back();
  t.name = name;
  t.dims = std::move(dims);
  t.dtype = dtype;
  t.fill = fill;
  return &t;
}

Tensor* Graph::scratch(const std::string& name, size_t bytes) {
  // Zeroed once at prepare; the kernels that use scratch write before they read.
  return tensor(name, {static_cast<int64_t>(bytes > 0 ? bytes : 1)}, Dtype::U8, Tensor::Fill::Zero);
}

Param* Graph::param(const std::string& name, std::vector<int64_t> dims, Init init, int64_t fanIn) {
  params_.emplace_back();
  Param& p = params_.back();
  p.name = name;
  p.dims = std::move(dims);
  p.init = init;
  p.fanIn = fanIn;
  p.master = Tensor{name, p.dims, Dtype::F32};
  p.grad = Tensor{name + ".grad", p.dims, Dtype::F32};
  p.copy = Tensor{name + ".bf16", p.dims, Dtype::Bf16};
  return &p;
}

void Graph::addOp(Op op) { ops_.push_back(std::move(op)); }

Tensor* Graph::gradTarget(Tensor* x, bool* fresh) {
  if (x->gradWriters == 0) {
    if (x->grad == nullptr) x->grad = tensor(x->name + ".grad", x->dims, Dtype::Bf16);
    x->gradWriters = 1;
    *fresh = false;
    return x->grad;
  }
  ++x->gradWriters;
  *fresh = true;
  return tensor(x->name + ".grad" + std::to_string(x->gradWriters), x->dims, Dtype::Bf16);
}

void Graph::addGradient(Tensor* x, Tensor* partial, const std::string& layer) {
  Tensor* sum = x->grad;
  addKernelOp<AddArgs>(*this, layer, Phase::Backward, "grad add", 0, launchAdd, [sum, partial](AddArgs& a) {
    a.count = sum->count();
    a.a = sum->bf16();
    a.b = partial->bf16();
    a.c = sum->bf16();
  });
}

// ---- prepare ----

void Graph::prepare(const Context& context) {
  // Once per graph: release() destroys what the ops keep (graph.h keep/resource), so a released
  // graph is not prepared again.
  if (prepared_ || released_) {
    throw NativeFailure({"ERR_STATE", "a model graph is prepared once (build a new one)", "", "Graph::prepare"});
  }
  context_ = context;
  cudaStream_t stream = context.stream;

  size_t arenaBytes = 0;
  std::vector<size_t> offsets(tensors_.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    offsets[i] = arenaBytes;
    arenaBytes = roundUp(arenaBytes + tensors_[i].bytes(), kArenaAlign);
  }
  paramElements_ = 0;
  for (Param& p : params_) {
    p.offset = paramElements_;
    paramElements_ = roundUp(paramElements_ + p.count(), kParamAlign);
  }

  if (arenaBytes > 0) GSM_CUDA(cudaMalloc(&arena_, arenaBytes));
  for (size_t i = 0; i < tensors_.size(); ++i) tensors_[i].data = static_cast<char*>(arena_) + offsets[i];
  if (inference_) {
    prepareInferenceParams(stream);
  } else if (paramElements_ > 0) {
    const size_t bytes = paramElements_ * sizeof(float);
    GSM_CUDA(cudaMalloc(&flatParams_, bytes));
    GSM_CUDA(cudaMalloc(&flatGrads_, bytes));
    GSM_CUDA(cudaMalloc(&flatCopy_, paramElements_ * sizeof(uint16_t)));
    GSM_CUDA(cudaMemsetAsync(flatParams_, 0, bytes, stream));  // the padding stays 0 through every update
    GSM_CUDA(cudaMemsetAsync(flatGrads_, 0, bytes, stream));
    for (int i = 0; i < stateBuffers_ && i < 2; ++i) {
      GSM_CUDA(cudaMalloc(&flatState_[i], bytes));
      GSM_CUDA(cudaMemsetAsync(flatState_[i], 0, bytes, stream));
    }
  }
  for (size_t i = 0; i < params_.size() && !inference_; ++i) {
    Param& p = params_[i];
    p.master.data = flatParams_ + p.offset;
    p.grad.data = flatGrads_ + p.offset;
    p.copy.data = flatCopy_ + p.offset;
    initParam(p, seedFor(context.seed, 1, i), stream);
  }
  if (paramElements_ > 0 && !inference_) GSM_CUDA(syncCopies(stream));
  for (size_t i = 0; i < tensors_.size(); ++i) fillTensor(tensors_[i], seedFor(context.seed, 2, i), stream);

  // The ops' own planning (library algorithm searches run kernels: the fills above come first).
  for (Op& op : ops_) {
    if (op.prepare) op.prepare(context_, op);
  }
  traceOffsets_.assign(ops_.size(), 0);
  int records = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    traceOffsets_[i] = records;
    records += ops_[i].traceRecords;
  }
  GSM_CUDA(cudaStreamSynchronize(stream));
  prepared_ = true;
}

// Inference only: the bf16 copies and nothing else. Each parameter is initialised in fp32 in one
// temporary buffer (the largest parameter's size), then rounded into its copy.
void Graph::prepareInferenceParams(cudaStream_t stream) {
  if (paramElements_ == 0) return;
  GSM_CUDA(cudaMalloc(&flatCopy_, paramElements_ * sizeof(uint16_t)));
  GSM_CUDA(cudaMemsetAsync(flatCopy_, 0, paramElements_ * sizeof(uint16_t), stream));
  size_t largest = 0;
  for (const Param& p : params_) largest = std::max(largest, p.count());
  float* staging = nullptr;
  GSM_CUDA(cudaMalloc(&staging, largest * sizeof(float)));
  cudaError_t status = cudaSuccess;
  try {
    for (size_t i = 0; i < params_.size(); ++i) {
      Param& p = params_[i];
      p.master.data = staging;  // for initParam only; cleared below
      p.grad.data = nullptr;
      p.copy.data = flatCopy_ + p.offset;
      initParam(p, seedFor(context_.seed, 1, i), stream);
      CastArgs cast{p.count(), staging, p.copy.bf16()};
      GSM_CUDA(launchCast(cast, nullptr, stream));
      p.master.data = nullptr;
    }
    status = cudaStreamSynchronize(stream);  // the staging buffer is freed next
  } catch (...) {
    cudaStreamSynchronize(stream);
    cudaFree(staging);
    throw;
  }
  cudaFree(staging);
  GSM_CUDA(status);
}

int Graph::traceRecords() const {
  int records = 0;
  for (const Op& op : ops_) records += op.traceRecords;
  return records;
}

// ---- run ----

cudaError_t Graph::run(cudaStream_t stream, Interval* trace, LayerTimer* timer, bool forward, bool backward,
                       bool update) {
  if (!prepared_) return cudaErrorNotPermitted;
  const bool wanted[3] = {forward, backward, update};
  bool begun = false;
  size_t boundary = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    const Op& op = ops_[i];
    // i ends run `boundary` when the next op starts another (layer, phase) run or there is none.
    const bool lastOfRun = i + 1 == ops_.size() || ops_[i + 1].phase != op.phase || ops_[i + 1].layer != op.layer;
    if (wanted[static_cast<int>(op.phase)]) {
      if (timer != nullptr && !begun) {
        const cudaError_t status = timer->beginStep(stream);
        if (status != cudaSuccess) return status;
        begun = true;
      }
      Interval* slice = trace != nullptr && op.traceRecords > 0 ? trace + traceOffsets_[i] : nullptr;
      const cudaError_t status = op.run(stream, slice);
      if (status != cudaSuccess) {
        prefixLaunchFailure(op.layer + " " + op.what + " (" + op.impl + ")");
        return status;
      }
      if (timer != nullptr && lastOfRun) {
        const cudaError_t marked = timer->mark(stream, boundary);
        if (marked != cudaSuccess) return marked;
      }
    }
    if (lastOfRun) ++boundary;
  }
  return cudaSuccess;
}

cudaError_t Graph::syncCopies(cudaStream_t stream) {
  if (paramElements_ == 0 || flatParams_ == nullptr) return cudaSuccess;  // inference: no masters
  CastArgs args{paramElements_, flatParams_, flatCopy_};
  return launchCast(args, nullptr, stream);
}

void Graph::release() noexcept {
  prepared_ = false;
  released_ = true;
  // Library handles and their workspaces first (they may refer to the buffers freed below).
  kept_.clear();
  shared_.clear();
  if (arena_ != nullptr) cudaFree(arena_);
  if (flatParams_ != nullptr) cudaFree(flatParams_);
  if (flatGrads_ != nullptr) cudaFree(flatGrads_);
  if (flatCopy_ != nullptr) cudaFree(flatCopy_);
  for (float*& s : flatState_) {
    if (s != nullptr) cudaFree(s);
    s = nullptr;
  }
  arena_ = nullptr;
  flatParams_ = flatGrads_ = nullptr;
  flatCopy_ = nullptr;
  for (Tensor& t : tensors_) t.data = nullptr;
  for (Param& p : params_) p.master.data = p.grad.data = p.copy.data = nullptr;
}

// ---- facts ----

size_t Graph::paramCount() const {
  size_t n = 0;
  for (const Param& p : params_) n += p.count();
  return n;
}

size_t Graph::activationBytes() const {
  size_t bytes = 0;
  for (const Tensor& t : tensors_) bytes = roundUp(bytes + t.bytes(), kArenaAlign);
  return bytes;
}

size_t Graph::parameterBytes() const {
  size_t elements = 0;
  for (const Param& p : params_) elements = roundUp(elements + p.count(), kParamAlign);
  if (inference_) return elements * sizeof(uint16_t);
  return elements * (sizeof(float) * (2 + stateBuffers_) + sizeof(uint16_t));
}

double Graph::flopsPerStep() const {
  double flops = 0;
  for (const Op& op : ops_) flops += op.flops;
  return flops;
}

}  // namespace model
}  // namespace gsm

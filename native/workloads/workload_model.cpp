// Whole models as workloads (native/models): one launch is one step of the model's graph, every op
// of it enqueued in order on the loop's stream.
//   resnet50-train   [batch, input]   forward, backward and an SGD-momentum update; input 32 is CIFAR-10
//   resnet50-infer   [batch, input]   (10 classes), 224 ImageNet (1000 classes); infer: eval-mode forward
//   bert-base-train  [batch, seq]     BERT-base sequence classification: forward, backward, AdamW
//   bert-base-infer  [batch, seq]     forward only
//   llm-decode       [batch, layers, kvLength]  one greedy decode step of a 7B-class decoder over a KV
//                                     cache that grows one position per step (memory-bound)
// impl own: the project's kernels wherever one exists; library: cuBLASLt and cuDNN wherever they have
// the op (conv backward is cuDNN in both). The CTA trace holds the own kernels' records of a step;
// with profileLayers, CUDA events between layers time each (layer, phase) (Observations::layerTimes).
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "core/errors.h"
#include "libraries/driver_api.h"
#include "models/graph.h"
#include "workloads/workload.h"

namespace gsm {
namespace {

// Layer timing: steps the event ring covers in flight (a deeper loop waits at most on the oldest
// step's events, which have normally completed), and steps timed per run (later ones run untimed).
constexpr int kTimerDepth = 8;
constexpr int kTimedStepsPerRun = 1000;

enum class Model { ResNet50, Bert, Llm };

struct ModelKind {
  const char* kernel;
  Model model;
  bool train;
  const char* shape;  // for messages
  size_t dims;
};

constexpr ModelKind kKinds[] = {
    {"resnet50-train", Model::ResNet50, true, "[batch, input]", 2},
    {"resnet50-infer", Model::ResNet50, false, "[batch, input]", 2},
    {"bert-base-train", Model::Bert, true, "[batch, seq]", 2},
    {"bert-base-infer", Model::Bert, false, "[batch, seq]", 2},
    {"llm-decode", Model::Llm, false, "[batch, layers, kvLength]", 3},
};

[[noreturn]] void refuse(const std::string& message) { throw NativeFailure({"ERR_ARGS", message, "", ""}); }

void checkRange(const std::string& kernel, const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    refuse(kernel + ": " + name + " must be " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
           std::to_string(value));
  }
}

const ModelKind& kindOf(const WorkloadSpec& spec) {
  for (const ModelKind& k : kKinds)
    if (spec.kernel == k.kernel) return k;
  refuse("no model workload '" + spec.kernel + "'");
}

// The spec's shape, checked (TypeScript checks first; this is the native side's word on it).
void validate(const WorkloadSpec& spec, const ModelKind& kind) {
  const std::string& k = spec.kernel;
  if (spec.impl != "own" && spec.impl != "library") refuse(k + ": impl is own or library, got '" + spec.impl + "'");
  if (spec.dtype != "bf16") refuse(k + ": dtype is bf16, got '" + spec.dtype + "'");
  if (spec.shape.size() != kind.dims) {
    refuse(k + ": shape is " + kind.shape + " (" + std::to_string(kind.dims) + " numbers), got " +
           std::to_string(spec.shape.size()));
  }
  switch (kind.model) {
    case Model::ResNet50:
      checkRange(k, "batch", spec.shape[0], 1, 1024);
      if (spec.shape[1] != 32 && spec.shape[1] != 224)
        refuse(k + ": input is 32 (CIFAR-10) or 224 (ImageNet), got " + std::to_string(spec.shape[1]));
      break;
    case Model::Bert:
      checkRange(k, "batch", spec.shape[0], 1, 1024);
      checkRange(k, "seq", spec.shape[1], 1, 512);
      break;
    case Model::Llm:
      checkRange(k, "batch", spec.shape[0], 1, 64);
      checkRange(k, "layers", spec.shape[1], 1, 128);
      checkRange(k, "kvLength", spec.shape[2], 2, 32768);
      break;
  }
}

HostTensor readTensor(const model::Tensor& t) {
  switch (t.dtype) {
    case model::Dtype::Bf16: return bf16Tensor(t.name.c_str(), t.bf16(), t.dims);
    case model::Dtype::F32: return floatTensor(t.name.c_str(), t.f32(), t.dims);
    case model::Dtype::I32: {
      std::vector<int32_t> raw(t.count());
      GSM_CUDA(cudaMemcpy(raw.data(), t.data, raw.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
      return HostTensor{t.name, t.dims, std::vector<float>(raw.begin(), raw.end())};
    }
    case model::Dtype::U8: break;
  }
  throw NativeFailure({"ERR_NATIVE", "readTensors: tensor '" + t.name + "' has no float form", "", ""});
}

class ModelWorkload final : public Workload {
 public:
  explicit ModelWorkload(const WorkloadSpec& spec) : spec_(spec), kind_(kindOf(spec)) { validate(spec, kind_); }
  ~ModelWorkload() override { release(); }

  void limitSms(int sms) override { sms_ = sms; }

  void prepare(int device, cudaStream_t stream) override {
    model::Context context;
    context.device = device;
    context.stream = stream;
    GSM_CUDA(sm90aAvailable(device, stream, &context.sm90a));
    context.sms = sms_;
    context.impl = impl();
    context.seed = spec_.seed;
    context.encode = driverApi().tensorMapEncodeTiled;  // null: the gemms take the mma path
    graph_ = std::make_unique<model::Graph>();
    build(*graph_);
    graph_->prepare(context);
    if (spec_.profileLayers) timer_ = std::make_unique<model::LayerTimer>(*graph_, kTimerDepth, kTimedStepsPerRun);
  }

  int ctasPerLaunch() const override { return graph_ ? graph_->traceRecords() : 0; }
  cudaError_t launch(cudaStream_t stream, Interval* trace) override {
    if (!graph_) return cudaErrorNotReady;
    return graph_->run(stream, trace, timer_.get());
  }
  double flopsPerLaunch() const override { return graph_ ? graph_->flopsPerStep() : 0; }
  double bytesPerLaunch() const override;
  std::string describe() const override;
  std::vector<LayerInfo> layers() const override;
  size_t deviceBytes() const override { return graph_ ? graph_->activationBytes() + graph_->parameterBytes() : 0; }

  void resetObservations(cudaStream_t) override {
    if (timer_) timer_->clear();
  }
  void collectObservations(Observations& out) override {
    if (!timer_) return;
    for (model::LayerTiming& t : timer_->collect())
      out.layerTimes.push_back(LayerTimes{t.layer, model::phaseName(t.phase), t.impl, std::move(t.ns)});
    timer_->clear();
  }

  // The step's output last: the loss (training), the logits (inference) or the next token ids
  // (decode); for training the logits' tensor first where the builder marked both.
  std::vector<HostTensor> readTensors(cudaStream_t stream) override {
    GSM_CUDA(cudaStreamSynchronize(stream));
    std::vector<HostTensor> out;
    if (!graph_) return out;
    const model::Tensor* loss = graph_->loss();
    const model::Tensor* output = graph_->output();
    if (output != nullptr && output != loss) out.push_back(readTensor(*output));
    if (loss != nullptr) out.push_back(readTensor(*loss));
    return out;
  }

  void release() noexcept override {
    timer_.reset();
    if (graph_) graph_->release();
    graph_.reset();
  }

 private:
  model::Impl impl() const { return spec_.impl == "own" ? model::Impl::Own : model::Impl::Library; }

  void build(model::Graph& graph) const {
    const std::vector<int64_t>& s = spec_.shape;
    switch (kind_.model) {
      case Model::ResNet50: {
        model::ResNetConfig c;
        c.batch = static_cast<int>(s[0]);
        c.input = static_cast<int>(s[1]);
        c.classes = c.input == 32 ? 10 : 1000;
        c.train = kind_.train;
        model::buildResNet(graph, c, impl());
        return;
      }
      case Model::Bert: {
        model::BertConfig c;
        c.batch = static_cast<int>(s[0]);
        c.seq = static_cast<int>(s[1]);
        c.train = kind_.train;
        model::buildBert(graph, c, impl());
        return;
      }
      case Model::Llm: {
        model::LlmConfig c;
        c.batch = static_cast<int>(s[0]);
        c.layers = static_cast<int>(s[1]);
        c.kvLength = static_cast<int>(s[2]);
        model::buildLlmDecode(graph, c, impl());
        return;
      }
    }
  }

  WorkloadSpec spec_;
  const ModelKind& kind_;
  int sms_ = 0;
  std::unique_ptr<model::Graph> graph_;
  std::unique_ptr<model::LayerTimer> timer_;
};

// DRAM bytes of a step, for llm-decode only (the one memory-bound model; the others report 0): an
// estimate of what each step must read, the bf16 copy of every weight once (the token embedding
// table only for the rows it gathers, where it is a tensor of its own and not tied to the LM head)
// plus K and V of every layer at the cache's average fill, 3/4 of kvLength (it grows from half to
// full and restarts at half).
double ModelWorkload::bytesPerLaunch() const {
  if (!graph_ || kind_.model != Model::Llm) return 0;
  const model::LlmConfig defaults;
  const double batch = static_cast<double>(spec_.shape[0]);
  const double layers = static_cast<double>(spec_.shape[1]);
  const double kv = static_cast<double>(spec_.shape[2]);
  const double table = static_cast<double>(defaults.vocab) * defaults.hidden;
  int tables = 0;
  for (const model::Param& p : graph_->params())
    if (static_cast<double>(p.count()) == table) ++tables;
  double weights = static_cast<double>(graph_->paramCount());
  if (tables >= 2) weights -= table - batch * defaults.hidden;
  const double cache = 2 * layers * batch * 0.75 * kv * defaults.hidden;
  return 2 * (weights + cache);
}

// "resnet50-train own: 161 ops (conv fwd own wgmma 53, bn fwd own 53, conv bwd data cuDNN 52, ...)":
// the op count, then each distinct (what, impl) with its count, in first-seen order.
std::string ModelWorkload::describe() const {
  if (!graph_) return "";
  std::vector<std::pair<std::string, int>> kinds;
  std::map<std::string, size_t> index;
  for (const model::Op& op : graph_->ops()) {
    const std::string key = op.what + " " + op.impl;
    const auto found = index.find(key);
    if (found == index.end()) {
      index.emplace(key, kinds.size());
      kinds.emplace_back(key, 1);
    } else {
      ++kinds[found->second].second;
    }
  }
  std::string d = spec_.kernel + " " + spec_.impl + ": " + std::to_string(graph_->ops().size()) + " ops (";
  for (size_t i = 0; i < kinds.size(); ++i)
    d += (i > 0 ? ", " : "") + kinds[i].first + " " + std::to_string(kinds[i].second);
  return d + ")";
}

std::vector<LayerInfo> ModelWorkload::layers() const {
  std::vector<LayerInfo> out;
  if (!graph_) return out;
  out.reserve(graph_->ops().size());
  for (const model::Op& op : graph_->ops())
    out.push_back(LayerInfo{op.layer, model::phaseName(op.phase), op.what, op.impl, op.flops});
  return out;
}

}  // namespace

bool isModelKernel(const std::string& kernel) {
  return std::any_of(std::begin(kKinds), std::end(kKinds), [&](const ModelKind& k) { return kernel == k.kernel; });
}

std::unique_ptr<Workload> makeModelWorkload(const WorkloadSpec& spec) { return std::make_unique<ModelWorkload>(spec); }

}  // namespace gsm

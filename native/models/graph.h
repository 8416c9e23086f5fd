// A model step as a straight list of kernel launches: the tensors it needs, its parameters, and its
// ops in order (forward, then backward in reverse, then the optimizer update), each op labelled
// with its layer and the implementation that runs it. Builders (resnet50.cpp, bert.cpp,
// llm_decode.cpp) declare tensors, parameters and layers; prepare() allocates and plans; runStep()
// enqueues one step. No N-API in here, so the standalone checks (test/native/model_check.cu) link it.
//
// Life of a graph:
//   build     builders call tensor(), param(), forward ops and backward ops (layers.h does this)
//   prepare   one arena for activations and scratch, one flat fp32 buffer each for parameters,
//             gradients and optimizer state, a bf16 copy of the parameters the kernels read;
//             parameters initialised (seeded), inputs filled, each op's prepare hook run (plans,
//             TMA descriptors, cuDNN algorithm choice) now that every pointer is known
//   run       runStep(): every op in order on one stream; each own kernel writes its CTA records
//             into its slice of the trace (traceRecords() per step); with a LayerTimer, CUDA events
//             between layers give each layer's time
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "kernels/launch.h"

namespace gsm {
namespace model {

enum class Dtype : int { Bf16 = 0, F32 = 1, I32 = 2, U8 = 3 };
size_t dtypeBytes(Dtype d);

// own: the project's kernels wherever one exists; library: cuBLASLt for every gemm and cuDNN for
// every convolution (forward and backward), the project's kernels for what no library has.
enum class Impl : int { Own = 0, Library = 1 };

enum class Phase : int { Forward = 0, Backward = 1, Update = 2 };
const char* phaseName(Phase p);

// A tensor of the step. `data` is null until prepare().
struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  Dtype dtype = Dtype::Bf16;
  void* data = nullptr;
  // How prepare() fills it: Poison (NaN bf16 / NaN fp32: an op that should write it and does not
  // shows), Random (uniform [-1, 1), seeded), Zero, Labels/Ids (int32 uniform in [0, range)), or
  // Ones (fp32 1.0: a batch norm's running variance).
  enum class Fill : int { Poison = 0, Random = 1, Zero = 2, Ids = 3, Ones = 4 } fill = Fill::Poison;
  int32_t idRange = 0;      // Fill::Ids
  Tensor* grad = nullptr;   // its gradient, when the backward pass needs one (same dims, bf16)
  int gradWriters = 0;      // build-time: backward ops that already write `grad` (see Graph::gradTarget)

  size_t count() const;
  size_t bytes() const { return count() * dtypeBytes(dtype); }
  uint16_t* bf16() const { return static_cast<uint16_t*>(data); }
  float* f32() const { return static_cast<float*>(data); }
  int32_t* i32() const { return static_cast<int32_t*>(data); }
};

// How a parameter starts (PyTorch's defaults for the layer it belongs to).
enum class Init : int {
  KaimingUniform = 0,  // conv and linear weights: U(-b, b), b = sqrt(6 / ((1 + 5) fanIn)) (a = sqrt 5)
  Uniform = 1,         // linear bias: U(-1/sqrt(fanIn), 1/sqrt(fanIn))
  Normal002 = 2,       // BERT's: N(0, 0.02)
  Ones = 3,
  Zeros = 4,
};

// A parameter: fp32 master, fp32 gradient and a bf16 copy, all views into the graph's flat buffers.
struct Param {
  std::string name;
  std::vector<int64_t> dims;
  Init init = Init::KaimingUniform;
  int64_t fanIn = 1;
  size_t offset = 0;  // elements into the flat buffers
  Tensor master, grad, copy;  // copy: bf16, what the kernels read (refreshed by the optimizer)
  size_t count() const;
};

// Where one op runs and what it may use while it runs; filled in by prepare().
struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  bool sm90a = false;  // the device runs this build's Hopper kernels
  int sms = 0;         // SMs the launches may use (a green context's); 0: the device's
  Impl impl = Impl::Own;
  uint64_t seed = 0;
  TensorMapEncodeFn encode = nullptr;  // cuTensorMapEncodeTiled, for gemm plans on the wgmma path
};

// One launch (or one library call) of the step.
struct Op {
  std::string layer;  // e.g. "layer3.2.conv2", "encoder.7.attention", "lm_head"
  Phase phase = Phase::Forward;
  std::string what;   // e.g. "conv fwd", "bn+relu fwd", "gemm dW"
  std::string impl;   // what runs it: "own wgmma", "own", "cuDNN", "cuBLASLt"
  double flops = 0;   // model FLOPs of the op (0 for memory-bound ones)
  // Called once by prepare() after allocation: plans, descriptors, algorithm choice. Sets
  // traceRecords for own kernels (0 for library calls and untraced launches).
  std::function<void(const Context&, Op&)> prepare;
  // Enqueues the op; `trace` (null when not tracing) has room for traceRecords records.
  std::function<cudaError_t(cudaStream_t, Interval*)> run;
  int traceRecords = 0;
};

// CUDA events around each (layer, phase) run of consecutive ops, over many steps; per layer, the
// duration of each timed step (ns). A ring of event sets sized for `depth` steps in flight.
class LayerTimer;

struct LayerTiming {
  std::string layer;
  Phase phase;
  std::string impl;            // the implementations of its ops, joined ("own wgmma + cuDNN")
  std::vector<uint32_t> ns;    // one per timed step, in order
};

class Graph {
 public:
  Graph() = default;
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // ---- build ----
  Tensor* tensor(const std::string& name, std::vector<int64_t> dims, Dtype dtype,
                 Tensor::Fill fill = Tensor::Fill::Poison);
  // Scratch of `bytes` (256-byte aligned in the arena), its own buffer per call (simple and safe:
  // the step's scratch is small next to its activations).
  Tensor* scratch(const std::string& name, size_t bytes);
  Param* param(const std::string& name, std::vector<int64_t> dims, Init init, int64_t fanIn);
  // An inference-only graph (llm-decode): call before the first param(). Parameters then get only
  // their bf16 copy (no fp32 master, gradient or optimizer state: a 7B model's fp32 masters alone
  // would be 27 GB); prepare() initialises the copies directly (same Init, rounded to bf16) and
  // flatParams/flatGrads stay null. Kernels read Param::copy; master and grad have no data.
  void setInference(bool inference) { inference_ = inference; }
  bool inference() const { return inference_; }
  void addOp(Op op);  // appended in call order; the builder calls forward ops, then backward in reverse
  // The gradient tensor of x that a backward op should write. The first writer writes x->grad
  // directly (*accumulate false); a later one (x feeds two layers: a residual) gets a fresh tensor
  // and must call addGradient(x, that) after its op so the graph emits the add.
  Tensor* gradTarget(Tensor* x, bool* fresh);
  void addGradient(Tensor* x, Tensor* partial, const std::string& layer);
  // The step's loss (fp32 scalar) for tests and reports; null for inference.
  void setLoss(Tensor* loss) { loss_ = loss; }
  Tensor* loss() const { return loss_; }
  // The tensor readTensors() returns last (the step's output: logits, next token ids, the loss).
  void setOutput(Tensor* out) { output_ = out; }
  Tensor* output() const { return output_; }
  // What ops own besides the arena (library handles and plans, workspaces), registered at build:
  // kept until release(), which destroys them before the arena is freed (so a graph is prepared
  // once). Ops capture raw pointers to them. `resource` is a slot shared by key (e.g. the graph's
  // one cuDNN handle): empty until a layer fills it.
  void keep(std::shared_ptr<void> resource) { kept_.push_back(std::move(resource)); }
  std::shared_ptr<void>& resource(const std::string& key) { return shared_[key]; }

  // ---- prepare and run ----
  void prepare(const Context& context);  // throws NativeFailure (ERR_CUDA, ERR_LIBRARY)
  const Context& context() const { return context_; }
  int traceRecords() const;              // per step, over every op
  // Every op of the phases asked for (default: the whole step), in order. With a timer: beginStep
  // before the first op, and mark(stream, b) after the last op of run b, where the runs are the
  // maximal groups of consecutive ops (over all of ops(), whatever the phases asked) that share
  // layer and phase, numbered from 0. cudaErrorNotPermitted before prepare() or after release().
  cudaError_t run(cudaStream_t stream, Interval* trace, LayerTimer* timer = nullptr, bool forward = true,
                  bool backward = true, bool update = true);
  void release() noexcept;

  // ---- facts ----
  const std::deque<Op>& ops() const { return ops_; }
  const std::deque<Param>& params() const { return params_; }
  const std::deque<Tensor>& tensors() const { return tensors_; }
  size_t paramCount() const;           // elements of every parameter
  // Elements of each flat buffer: every parameter starts at a multiple of 64 elements (padding).
  size_t flatCount() const { return paramElements_; }
  size_t activationBytes() const;      // the arena (tensors and scratch)
  size_t parameterBytes() const;       // fp32 master + grad + bf16 copy + optimizer state
  double flopsPerStep() const;
  // The flat fp32 buffers (valid after prepare): parameters, their gradients, and optimizer state
  // (`stateBuffers` of them: SGD momentum 1, AdamW 2).
  float* flatParams() const { return flatParams_; }
  float* flatGrads() const { return flatGrads_; }
  float* flatState(int i) const { return flatState_[i]; }
  uint16_t* flatCopy() const { return flatCopy_; }
  void setStateBuffers(int n) { stateBuffers_ = n; }
  // Rounds every master parameter into its bf16 copy (after prepare's initialisation, and in tests
  // after writing the masters).
  cudaError_t syncCopies(cudaStream_t stream);

 private:
  std::deque<Tensor> tensors_;  // deque: pointers stay valid as it grows
  std::deque<Param> params_;
  std::deque<Op> ops_;
  Tensor* loss_ = nullptr;
  Tensor* output_ = nullptr;
  void prepareInferenceParams(cudaStream_t stream);
  bool inference_ = false;
  Context context_{};
  size_t paramElements_ = 0;
  int stateBuffers_ = 0;
  void* arena_ = nullptr;
  float* flatParams_ = nullptr;
  float* flatGrads_ = nullptr;
  float* flatState_[2] = {nullptr, nullptr};
  uint16_t* flatCopy_ = nullptr;
  std::vector<int> traceOffsets_;  // per op, into the step's records
  bool prepared_ = false;
  bool released_ = false;  // release() destroyed what the ops keep: prepare() refuses
  std::vector<std::shared_ptr<void>> kept_;
  std::map<std::string, std::shared_ptr<void>> shared_;
};

class LayerTimer {
 public:
  // Times steps until `maxSteps` have been timed (later steps run untimed). depth: steps in flight.
  // Throws NativeFailure (ERR_CUDA) when its events cannot be created.
  LayerTimer(const Graph& graph, int depth, int maxSteps);
  ~LayerTimer();
  LayerTimer(const LayerTimer&) = delete;
  LayerTimer& operator=(const LayerTimer&) = delete;
  // Called by Graph::run at the start of a step and at each layer boundary: `boundary` k is the
  // index of the (layer, phase) run that just ended (0 .. runEnds().size() - 1), called once per
  // run right after its last op, runEnds()[k]. (The index of that last op, runEnds()[k], is
  // accepted too; a mark anywhere else is ignored.) A step that does not mark every run (a forward-
  // only run) is not timed. Past maxSteps timed steps both record nothing.
  cudaError_t beginStep(cudaStream_t stream);
  cudaError_t mark(cudaStream_t stream, size_t boundary);
  // The runs of consecutive ops with the same layer and phase, in ops() order: the index of each
  // run's last op.
  const std::vector<size_t>& runEnds() const;
  // Reads every completed step's events (synchronises on them) and returns the timings; clear()
  // forgets them (after warm-up).
  std::vector<LayerTiming> collect();
  void clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- the models (each builder fills an empty graph) ----

// torchvision's ResNet-50 (bottleneck blocks [3, 4, 6, 3], widths 64..512, expansion 4), NHWC, on
// synthetic images and labels. The tiny form (tests) scales the widths and blocks down.
struct ResNetConfig {
  int batch = 128;
  int input = 32;      // 32: CIFAR-10 (10 classes); 224: ImageNet (1000 classes)
  int classes = 10;
  int blocks[4] = {3, 4, 6, 3};
  int width = 64;      // the stem's output channels; stage i's bottleneck width is width 2^i
  bool train = true;   // false: inference (eval-mode batch norm, no backward, no update)
  float lr = 0.1f, momentum = 0.9f, weightDecay = 5e-4f;
};
void buildResNet(Graph& graph, const ResNetConfig& config, Impl impl);

// BERT-base for sequence classification (HuggingFace's BertForSequenceClassification): embeddings,
// `layers` post-LN encoder layers (attention with a fused QKV projection, GELU feed-forward), pooler
// (dense + tanh on [CLS]) and classifier; AdamW. Synthetic token ids and labels; no padding mask.
struct BertConfig {
  int batch = 32;
  int seq = 128;
  int layers = 12, hidden = 768, heads = 12, ffn = 3072;
  int vocab = 30522, positions = 512, classes = 2;
  bool train = true;
  float lr = 2e-5f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weightDecay = 0.01f;
};
void buildBert(Graph& graph, const BertConfig& config, Impl impl);

// One decode step of a 7B-class LLaMA-style decoder: token embedding, `layers` layers of RMS norm, fused
// QKV projection, rotary embedding, KV-cache append, attention over the cache, output projection,
// RMS norm, SwiGLU MLP (gate and up fused), then the final norm, the LM head and the greedy next token,
// which the next step reads: a decode loop on the GPU. The cache starts half full and grows one
// position per step; at capacity it restarts from half.
struct LlmConfig {
  int batch = 1;
  int layers = 32, hidden = 4096, heads = 32, ffn = 11008, vocab = 32000;
  int kvLength = 1024;  // cache capacity per sequence
};
void buildLlmDecode(Graph& graph, const LlmConfig& config, Impl impl);

}  // namespace model
}  // namespace gsm

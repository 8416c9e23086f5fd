// BERT for sequence classification (HuggingFace's BertForSequenceClassification), graph.h buildBert:
//   embeddings        word + position + token type, LayerNorm
//   encoder.i         post-LN layers: h = LN(x + attention(x)); x' = LN(h + ffn(h))
//   pooler            the [CLS] row of each sequence (GatherRows), dense + tanh
//   classifier        Linear(hidden, classes), fp32 logits
//   loss              softmax cross-entropy against synthetic labels (training)
//   optimizer         AdamW over the flat parameter buffer in one launch (training)
// Training runs the forward pass, the backward pass in reverse layer order and the update; inference
// the forward pass only, its output the logits.
//
// No dropout: HuggingFace's BERT trains with dropout 0.1 on the embeddings, the attention
// probabilities and each sublayer's output, but on a synthetic benchmark dropout only adds elementwise
// mask kernels (random bits, a multiply, and their backward); the PyTorch reference runs with dropout
// off to match. AdamW decays every parameter (one flat buffer; HuggingFace's Trainer exempts biases
// and LayerNorm weights, which changes no kernel's cost).
#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>
#include "models/layers_transformer.h"

namespace gsm {
namespace model {
namespace {

void checkConfig(const BertConfig& c) {
  std::string wrong;
  if (c.batch < 1 || c.seq < 1 || c.layers < 1 || c.hidden < 1 || c.heads < 1 || c.ffn < 1 || c.vocab < 1 ||
      c.classes < 1) {
    wrong = "every size must be positive";
  } else if (c.hidden % c.heads != 0) {
    wrong = "hidden " + std::to_string(c.hidden) + " is not a multiple of heads " + std::to_string(c.heads);
  } else if (c.seq > c.positions) {
    wrong = "seq " + std::to_string(c.seq) + " exceeds the position table's " + std::to_string(c.positions);
  }
  if (!wrong.empty()) throw NativeFailure({"ERR_ARGS", "bert: " + wrong, "", ""});
}

// Pooler input: row b seq (the [CLS] token) of each sequence of the last hidden states.
Tensor* gatherCls(Graph& graph, Tensor* hidden, const BertConfig& c, Backward* backward) {
  const std::string layer = "pooler";
  Tensor* cls = graph.tensor("pooler.cls", {c.batch, c.hidden}, Dtype::Bf16);
  GatherRowsArgs gather{};
  gather.rows = c.batch;
  gather.cols = c.hidden;
  gather.sourceRows = c.batch * c.seq;
  gather.index = nullptr;
  gather.stride = c.seq;
  addNnOp(
      graph, layer, Phase::Forward, "gather [CLS] rows", "own", gather,
      [=](GatherRowsArgs& a) {
        a.x = hidden->bf16();
        a.y = cls->bf16();
      },
      launchGatherRows);
  if (backward == nullptr) return cls;
  *backward = [&graph, layer, hidden, cls, gather]() {
    Tensor* dy = gradientOf(cls, layer);
    bool fresh = false;
    Tensor* dx = graph.gradTarget(hidden, &fresh);
    GatherRowsArgs scatter = gather;
    scatter.backward = true;
    addNnOp(
        graph, layer, Phase::Backward, "scatter [CLS] rows bwd", "own", scatter,
        [=](GatherRowsArgs& a) {
          a.x = dy->bf16();
          a.y = dx->bf16();
        },
        launchGatherRows);
    if (fresh) graph.addGradient(hidden, dx, layer);
  };
  return cls;
}

// Loss and dlogits in one launch (labels synthetic, uniform over the classes).
Tensor* crossEntropy(Graph& graph, Tensor* logits, const BertConfig& c) {
  Tensor* labels = graph.tensor("labels", {c.batch}, Dtype::I32, Tensor::Fill::Ids);
  labels->idRange = c.classes;
  Tensor* loss = graph.tensor("loss", {1}, Dtype::F32, Tensor::Fill::Zero);
  bool fresh = false;
  Tensor* dlogits = graph.gradTarget(logits, &fresh);  // the logits' only reader: written, not added
  SoftmaxCrossEntropyArgs ce{};
  ce.rows = c.batch;
  ce.classes = c.classes;
  Tensor* workspace = nullptr;
  if (size_t bytes = nnWorkspaceBytes(ce)) workspace = graph.scratch("loss.workspace", bytes);
  addNnOp(
      graph, "loss", Phase::Forward, "softmax cross-entropy (+dlogits)", "own", ce,
      [=](SoftmaxCrossEntropyArgs& a) {
        a.logits = logits->f32();
        a.labels = labels->i32();
        a.loss = loss->f32();
        a.dlogits = dlogits->bf16();
        a.workspace = workspace ? workspace->f32() : nullptr;
      },
      launchSoftmaxCrossEntropy);
  if (fresh) graph.addGradient(logits, dlogits, "loss");
  return loss;
}

// AdamW over every parameter at once; the step count (bias correction) advances on the host at each
// enqueued update.
void addAdamW(Graph& graph, const BertConfig& c) {
  graph.setStateBuffers(2);
  auto args = std::make_shared<AdamWArgs>();
  args->lr = c.lr;
  args->beta1 = c.beta1;
  args->beta2 = c.beta2;
  args->eps = c.eps;
  args->weightDecay = c.weightDecay;
  auto step = std::make_shared<int>(0);
  Op op;
  op.layer = "optimizer";
  op.phase = Phase::Update;
  op.what = "AdamW";
  op.impl = "own";
  op.prepare = [&graph, args](const Context&, Op& self) {
    // The flat buffers end with the last parameter (offsets may leave room for alignment between).
    size_t count = 0;
    for (const Param& p : graph.params()) count = std::max(count, p.offset + p.count());
    args->count = count;
    args->params = graph.flatParams();
    args->grads = graph.flatGrads();
    args->m = graph.flatState(0);
    args->v = graph.flatState(1);
    args->paramsBf16 = graph.flatCopy();
    self.traceRecords = nnCtas(*args);
  };
  op.run = [args, step](cudaStream_t stream, Interval* trace) {
    args->step = ++*step;
    return launchAdamW(*args, trace, stream);
  };
  graph.addOp(std::move(op));
}

}  // namespace

void buildBert(Graph& graph, const BertConfig& c, Impl impl) {
  checkConfig(c);
  const bool train = c.train;
  std::deque<Backward> backwards;  // in forward order (a deque: the slots handed out stay put); run in reverse
  auto next = [&]() -> Backward* {
    if (!train) return nullptr;
    backwards.emplace_back();
    return &backwards.back();
  };

  Tensor* ids = graph.tensor("input_ids", {c.batch, c.seq}, Dtype::I32, Tensor::Fill::Ids);
  ids->idRange = c.vocab;
  Tensor* x = embeddings(graph, ids, {c.batch, c.seq, c.hidden, c.vocab, c.positions}, next());
  AttentionBuffers buffers;
  for (int i = 0; i < c.layers; ++i) {
    const std::string layer = "encoder." + std::to_string(i);
    Tensor* attended = selfAttention(graph, layer + ".attention", x, {c.batch, c.seq, c.heads}, impl, &buffers, next());
    Tensor* h = layerNorm(graph, layer + ".attention.norm", attended, x, next());
    Tensor* f = feedForward(graph, layer + ".ffn", h, c.ffn, impl, next());
    x = layerNorm(graph, layer + ".ffn.norm", f, h, next());
  }
  Tensor* cls = gatherCls(graph, x, c, next());
  Tensor* pooled = linear(graph, "pooler", cls, bertLinear(graph, "pooler.dense", c.hidden, c.hidden, true),
                          Activation::Tanh, impl, next());
  Tensor* logits = linearLogits(graph, "classifier", pooled, bertLinear(graph, "classifier", c.hidden, c.classes, true),
                                impl, next());
  if (!train) {
    graph.setOutput(logits);
    return;
  }

  Tensor* loss = crossEntropy(graph, logits, c);
  graph.setLoss(loss);
  graph.setOutput(loss);
  for (auto it = backwards.rbegin(); it != backwards.rend(); ++it) (*it)();
  addAdamW(graph, c);
}

}  // namespace model
}  // namespace gsm

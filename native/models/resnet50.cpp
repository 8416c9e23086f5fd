// torchvision's ResNet-50 (graph.h buildResNet), NHWC, as one training step (forward, softmax
// cross-entropy, backward of every parameter, SGD with momentum over the flat buffers) or one
// inference pass (eval-mode batch norm, logits out).
//
// Layout as torchvision v1.5: stem conv 7x7 s2 p3 -> BN -> ReLU -> max pool 3x3 s2 p1; four stages
// of bottlenecks (1x1 -> 3x3 with the stage's stride -> 1x1 expanding 4x), the first block of a
// stage with a 1x1 conv + BN downsample of its input; global average pool; FC to the classes.
// On the own path's inference each batch norm (with its residual add and ReLU) runs in the epilogue of
// the convolution before it (convBatchNorm). Layer and parameter names follow torchvision's modules
// ("layer2.0.conv1", "layer2.0.downsample" with parameters "layer2.0.downsample.0.weight" and
// "...1.weight"). Weights start as PyTorch's layer defaults (Kaiming uniform, a = sqrt 5; batch norm
// 1 and 0), not torchvision's Kaiming normal re-initialisation: the step's cost does not depend on it.
#include <deque>
#include "core/errors.h"
#include "models/layers_cnn.h"

namespace gsm {
namespace model {
namespace {

void validate(const ResNetConfig& c) {
  auto fail = [](const std::string& what) { throw NativeFailure({"ERR_ARGS", "resnet: " + what, "", "buildResNet"}); };
  if (c.batch < 1) fail("batch must be at least 1");
  if (c.input < 1) fail("input must be at least 1");
  if (c.classes < 1) fail("classes must be at least 1");
  if (c.width < 1) fail("width must be at least 1");
  for (int b : c.blocks) {
    if (b < 0) fail("blocks must not be negative");
  }
}

// Backward closures in forward order; `next()` gives the slot for the next layer (null: inference).
class Tape {
 public:
  explicit Tape(bool train) : train_(train) {}
  Backward* next() {
    if (!train_) return nullptr;
    closures_.emplace_back();
    return &closures_.back();
  }
  void replay() {
    for (auto it = closures_.rbegin(); it != closures_.rend(); ++it) {
      if (*it) (*it)();
    }
  }

 private:
  bool train_;
  std::deque<Backward> closures_;  // deque: the slots handed out stay valid
};

// A convolution and its batch norm (convBatchNorm: fused on the own path's inference), taking the
// tape's slots for the two layers in order.
Tensor* convNorm(Graph& graph, const ConvLayer& conv, const std::string& normLayer, const std::string& normName,
                 Tensor* x, Tensor* residual, bool relu, Impl impl, Tape& tape) {
  Backward* convBackward = tape.next();
  Backward* normBackward = tape.next();
  return convBatchNorm(graph, conv, normLayer, normName, x, residual, relu, impl, convBackward, normBackward);
}

// One bottleneck: the downsample first (its output is the residual the last norm adds), then
// 1x1 -> BN -> ReLU -> 3x3 (stride) -> BN -> ReLU -> 1x1 -> BN (+ residual) -> ReLU.
Tensor* bottleneck(Graph& graph, const std::string& prefix, Tensor* x, int planes, int stride, bool downsample,
                   Impl impl, Tape& tape) {
  Tensor* identity = x;
  if (downsample) {
    const std::string ds = prefix + ".downsample";
    identity = convNorm(graph, {ds, ds + ".0", planes * 4, 1, stride, 0}, ds, ds + ".1", x, nullptr, false, impl, tape);
  }
  const std::string c1 = prefix + ".conv1", c2 = prefix + ".conv2", c3 = prefix + ".conv3";
  Tensor* t =
      convNorm(graph, {c1, c1, planes, 1, 1, 0}, prefix + ".bn1", prefix + ".bn1", x, nullptr, true, impl, tape);
  t = convNorm(graph, {c2, c2, planes, 3, stride, 1}, prefix + ".bn2", prefix + ".bn2", t, nullptr, true, impl, tape);
  return convNorm(graph, {c3, c3, planes * 4, 1, 1, 0}, prefix + ".bn3", prefix + ".bn3", t, identity, true, impl,
                  tape);
}

}  // namespace

void buildResNet(Graph& graph, const ResNetConfig& config, Impl impl) {
  validate(config);
  const bool train = config.train;
  Tape tape(train);

  Tensor* image =
      graph.tensor("input", {config.batch, config.input, config.input, 3}, Dtype::Bf16, Tensor::Fill::Random);
  Tensor* h =
      convNorm(graph, {"conv1", "conv1", config.width, 7, 2, 3, false}, "bn1", "bn1", image, nullptr, true, impl, tape);
  h = maxPool(graph, "maxpool", h, 3, 2, 1, tape.next());

  int inplanes = config.width;
  for (int stage = 0; stage < 4; ++stage) {
    const int planes = config.width << stage;
    for (int b = 0; b < config.blocks[stage]; ++b) {
      const int stride = b == 0 && stage > 0 ? 2 : 1;
      const bool downsample = b == 0 && (stride != 1 || inplanes != planes * 4);
      const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(b);
      h = bottleneck(graph, prefix, h, planes, stride, downsample, impl, tape);
      inplanes = planes * 4;
    }
  }

  Tensor* pooled = globalAvgPool(graph, "avgpool", h, tape.next());
  const Linear fc = makeLinear(graph, "fc", inplanes, config.classes, true, Init::KaimingUniform);
  Tensor* logits = linearLogits(graph, "fc", pooled, fc, impl, tape.next());
  if (!train) {
    graph.setOutput(logits);
    return;
  }

  Tensor* labels = graph.tensor("labels", {config.batch}, Dtype::I32, Tensor::Fill::Ids);
  labels->idRange = config.classes;
  Tensor* loss = softmaxCrossEntropy(graph, "loss", logits, labels, true);
  tape.replay();

  graph.setStateBuffers(1);
  const float lr = config.lr, momentum = config.momentum, weightDecay = config.weightDecay;
  Graph* g = &graph;
  addKernelOp<SgdArgs>(graph, "sgd", Phase::Update, "sgd momentum", 0, launchSgd,
                       [g, lr, momentum, weightDecay](SgdArgs& a) {
                         a.count = g->flatCount();
                         a.params = g->flatParams();
                         a.grads = g->flatGrads();
                         a.velocity = g->flatState(0);
                         a.paramsBf16 = g->flatCopy();
                         a.lr = lr;
                         a.momentum = momentum;
                         a.weightDecay = weightDecay;
                       });
  graph.setOutput(loss);
}

}  // namespace model
}  // namespace gsm

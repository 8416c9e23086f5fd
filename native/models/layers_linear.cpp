// Linear layers (layers.h): y = x W^T (+ b, then an activation), and their backward.
//
// Forward: one gemm with B transposed (W is stored [out, in]), bf16 out, then the bias and the
// activation in one kernel (BiasActivation, in place), which keeps the pre-activation for the
// backward pass when there is an activation. The fp32 logits form adds the bias first (broadcast
// into C) and lets the gemm accumulate onto it. Inference on the own path (no backward) does both
// in the gemm's epilogue instead: one kernel per layer. Backward: the activation's derivative and
// the bias gradient in one kernel (in place on dy), then dX = dY W (NN) and dW = dY^T X (A
// transposed, fp32 into the weight's gradient view).
#include "core/errors.h"
#include "kernels/nn_init.h"
#include "models/layers.h"

namespace gsm {
namespace model {
namespace {

std::vector<int64_t> withLast(const std::vector<int64_t>& dims, int last) {
  std::vector<int64_t> out = dims;
  out.back() = last;
  return out;
}

int rowsOf(const Tensor* x, const Linear& lin, const std::string& layer) {
  if (x->dims.empty() || x->dims.back() != lin.in) {
    throw NativeFailure(
        {"ERR_NATIVE", layer + ": input " + x->name + " does not end in " + std::to_string(lin.in), "", "linear"});
  }
  return static_cast<int>(x->count() / static_cast<size_t>(lin.in));
}

Tensor* gradientOf(const Tensor* y, const std::string& layer) {
  if (y->grad == nullptr) {
    throw NativeFailure(
        {"ERR_NATIVE", layer + ": no gradient reaches " + y->name + " (backward out of order)", "", "backward"});
  }
  return y->grad;
}

// dy (bf16 [rows, out]) is the gradient of y, or of the pre-activation when act is None; the
// activation's derivative and the bias gradient first (in place), then dX and dW.
void linearBackward(Graph& graph, const std::string& layer, Tensor* x, Tensor* dy, const Linear& lin,
                    const Tensor* preact, Activation act, Impl impl) {
  const int rows = rowsOf(x, lin, layer);
  if (lin.bias != nullptr || act != Activation::None) {
    BiasActivationBackwardArgs sizing{};
    sizing.rows = rows;
    sizing.cols = lin.out;
    sizing.act = act;
    static float sizingOnly;  // the workspace depends on whether there is a dbias, not where (null until prepare)
    sizing.dbias = lin.bias != nullptr ? &sizingOnly : nullptr;
    Tensor* ws = graph.scratch(layer + ".bias_act_bwd.ws", nnWorkspaceBytes(sizing));
    Param* bias = lin.bias;
    addKernelOp<BiasActivationBackwardArgs>(
        graph, layer, Phase::Backward, act == Activation::None ? "bias bwd" : "bias+act bwd", 0,
        launchBiasActivationBackward, [rows, lin, dy, preact, bias, act, ws](BiasActivationBackwardArgs& a) {
          a.rows = rows;
          a.cols = lin.out;
          a.dy = dy->bf16();
          a.preact = preact != nullptr ? preact->bf16() : nullptr;
          a.dx = dy->bf16();
          a.dbias = bias != nullptr ? bias->grad.f32() : nullptr;
          a.act = act;
          a.workspace = ws->f32();
        });
  }
  bool fresh = false;
  Tensor* dx = graph.gradTarget(x, &fresh);
  GemmShape data{rows, lin.in, lin.out, GemmDtype::Bf16};
  data.out = GemmOut::Bf16;
  addGemm(graph, layer, Phase::Backward, "gemm dX", data, dy, &lin.weight->copy, dx, impl);
  if (fresh) graph.addGradient(x, dx, layer);
  GemmShape weight{lin.out, lin.in, rows, GemmDtype::Bf16};
  weight.transA = true;
  addGemm(graph, layer, Phase::Backward, "gemm dW", weight, dy, x, &lin.weight->grad, impl);
}

}  // namespace

Linear makeLinear(Graph& graph, const std::string& name, int in, int out, bool bias, Init weightInit) {
  Linear lin;
  lin.in = in;
  lin.out = out;
  lin.weight = graph.param(name + ".weight", {out, in}, weightInit, in);
  if (bias)
    lin.bias = graph.param(name + ".bias", {out}, weightInit == Init::Normal002 ? Init::Zeros : Init::Uniform, in);
  return lin;
}

Tensor* linear(Graph& graph, const std::string& layer, Tensor* x, const Linear& lin, Activation act, Impl impl,
               Backward* backward) {
  const int rows = rowsOf(x, lin, layer);
  Tensor* y = graph.tensor(layer + ".out", withLast(x->dims, lin.out), Dtype::Bf16);
  GemmShape shape{rows, lin.out, lin.in, GemmDtype::Bf16};
  shape.transB = true;
  shape.out = GemmOut::Bf16;
  const bool epilogue = lin.bias != nullptr || act != Activation::None;
  if (epilogue && backward == nullptr && impl == Impl::Own) {  // inference: one kernel
    shape.bias = lin.bias != nullptr;
    shape.act = act;
    const std::string what = act == Activation::None ? "gemm + bias" : (lin.bias ? "gemm + bias+act" : "gemm + act");
    addGemm(graph, layer, Phase::Forward, what, shape, x, &lin.weight->copy, y, impl,
            lin.bias != nullptr ? &lin.bias->master : nullptr);
    return y;
  }
  addGemm(graph, layer, Phase::Forward, "gemm", shape, x, &lin.weight->copy, y, impl);
  Tensor* preact = nullptr;
  if (epilogue) {
    if (act != Activation::None && backward != nullptr) preact = graph.tensor(layer + ".preact", y->dims, Dtype::Bf16);
    const Param* bias = lin.bias;
    addKernelOp<BiasActivationArgs>(graph, layer, Phase::Forward, act == Activation::None ? "bias" : "bias+act", 0,
                                    launchBiasActivation, [rows, lin, y, bias, preact, act](BiasActivationArgs& a) {
                                      a.rows = rows;
                                      a.cols = lin.out;
                                      a.x = y->bf16();
                                      a.bias = bias != nullptr ? bias->master.f32() : nullptr;
                                      a.y = y->bf16();
                                      a.preact = preact != nullptr ? preact->bf16() : nullptr;
                                      a.act = act;
                                    });
  }
  if (backward != nullptr) {
    *backward = [&graph, layer, x, y, lin, preact, act, impl]() {
      linearBackward(graph, layer, x, gradientOf(y, layer), lin, preact, act, impl);
    };
  }
  return y;
}

Tensor* linearLogits(Graph& graph, const std::string& layer, Tensor* x, const Linear& lin, Impl impl,
                     Backward* backward) {
  const int rows = rowsOf(x, lin, layer);
  Tensor* y = graph.tensor(layer + ".logits", withLast(x->dims, lin.out), Dtype::F32);
  GemmShape shape{rows, lin.out, lin.in, GemmDtype::Bf16};
  shape.transB = true;
  if (lin.bias != nullptr && backward == nullptr && impl == Impl::Own) {  // inference: the bias in the epilogue
    shape.bias = true;
    addGemm(graph, layer, Phase::Forward, "gemm + bias", shape, x, &lin.weight->copy, y, impl, &lin.bias->master);
    return y;
  }
  if (lin.bias != nullptr) {
    const Param* bias = lin.bias;
    Op op;
    op.layer = layer;
    op.phase = Phase::Forward;
    op.what = "bias";
    op.impl = "own";
    op.run = [bias, y, rows, lin](cudaStream_t stream, Interval*) {
      return broadcastRows(bias->master.f32(), y->f32(), rows, lin.out, stream);
    };
    graph.addOp(std::move(op));
    shape.accumulate = true;  // C = b + x W^T
  }
  addGemm(graph, layer, Phase::Forward, "gemm", shape, x, &lin.weight->copy, y, impl);
  if (backward != nullptr) {
    *backward = [&graph, layer, x, y, lin, impl]() {
      linearBackward(graph, layer, x, gradientOf(y, layer), lin, nullptr, Activation::None, impl);
    };
  }
  return y;
}

}  // namespace model
}  // namespace gsm

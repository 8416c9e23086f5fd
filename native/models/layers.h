// The layers the model builders share: each adds its forward op(s) to the graph now and returns a
// Backward closure that adds its backward op(s) when called (builders call them in reverse order),
// writing input gradients through Graph::gradTarget/addGradient and parameter gradients into the
// parameters' flat gradient views.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include "kernels/nn.h"
#include "models/graph.h"

namespace gsm {
namespace model {

using Backward = std::function<void()>;

// One op that launches a kernels/nn.h kernel: `bind(args)` fills the arguments at prepare, when every
// tensor's data is known (starting from `initial`: fields set at build time); the op's trace records
// are nnCtas(args). `impl` labels it ("own" unless the builder says more).
template <class Args, class Bind>
void addKernelOp(Graph& graph, const std::string& layer, Phase phase, const std::string& what, double flops,
                 cudaError_t (*launch)(const Args&, Interval*, cudaStream_t), Bind bind, const Args& initial = Args{},
                 const std::string& impl = "own") {
  auto args = std::make_shared<Args>(initial);
  Op op;
  op.layer = layer;
  op.phase = phase;
  op.what = what;
  op.impl = impl;
  op.flops = flops;
  op.prepare = [args, bind](const Context&, Op& self) {
    bind(*args);
    self.traceRecords = nnCtas(*args);
  };
  op.run = [args, launch](cudaStream_t stream, Interval* trace) { return launch(*args, trace, stream); };
  graph.addOp(std::move(op));
}

// The device workspace the graph's library calls share (cuBLASLt, cuDNN: they run one after another
// on one stream): each op's prepare reserves what it needs, each run reads `data` then. One per
// graph (Graph::resource "workspace"), freed by Graph::release. layers_gemm.cpp.
struct SharedWorkspace {
  void* data = nullptr;
  size_t bytes = 0;
  void reserve(size_t need);  // throws NativeFailure (ERR_CUDA)
  SharedWorkspace() = default;
  SharedWorkspace(const SharedWorkspace&) = delete;
  SharedWorkspace& operator=(const SharedWorkspace&) = delete;
  ~SharedWorkspace();
};
SharedWorkspace* sharedWorkspace(Graph& graph);

// One gemm op: own (kernels/launch.h planGemm/bindGemm/launchGemm, planned at prepare) or cuBLASLt,
// as `impl` says. Operands are the tensors' data at run time (any of a parameter's master, grad or
// copy views, or activations). The op's impl label names the path that ran ("own wgmma", "own mma",
// "own skinny", "cuBLASLt"). With shape.bias, `bias` (fp32, n) is added in the gemm's epilogue, and
// shape.act applied after it: the own path only (planGemm's epilogue; the library path keeps its
// separate bias + activation kernel: cuBLASLt's own epilogues are not wired in). layers_gemm.cpp.
void addGemm(Graph& graph, const std::string& layer, Phase phase, const std::string& what, const GemmShape& shape,
             const Tensor* a, const Tensor* b, Tensor* c, Impl impl, const Tensor* bias = nullptr);

// Linear (PyTorch layout): weight [out, in], bias [out]; y [rows, out] = x [rows, in] W^T + b, bf16,
// then `act` (kernels/launch.h Activation). Backward: dW = dy^T x (fp32 into the gradient view),
// db = column sums, dx = dy W. `y` is created by the call. With a bias or an activation the backward
// overwrites y's gradient in place with the pre-activation's. `backward` null means inference: then
// the own path adds the bias and applies the activation in the gemm's epilogue (one kernel, no
// pre-activation kept). layers_linear.cpp.
struct Linear {
  Param* weight = nullptr;
  Param* bias = nullptr;  // null: none
  int in = 0, out = 0;
};
Linear makeLinear(Graph& graph, const std::string& name, int in, int out, bool bias, Init weightInit);
Tensor* linear(Graph& graph, const std::string& layer, Tensor* x, const Linear& lin, Activation act, Impl impl,
               Backward* backward);
// A linear whose output is fp32 (logits for the loss): no activation.
Tensor* linearLogits(Graph& graph, const std::string& layer, Tensor* x, const Linear& lin, Impl impl,
                     Backward* backward);

}  // namespace model
}  // namespace gsm

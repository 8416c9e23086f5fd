// The CNN layers (layers_cnn.h).
//
// cuDNN: one handle per graph (Graph::resource "cudnn", created by the first cuDNN op's prepare, in
// the device context the graph is prepared in; each run sets the stream it is given) and the graph's
// shared workspace (layers.h), reserved to the largest plan chosen. Every convolution, forward and
// both backward directions, goes through cuDNN's graph API (libraries/cudnn_conv_graph.h):
// heuristics' engines, the first few timed on the graph's own buffers at prepare, the fastest kept.
// Convolutions of one shape and direction share the plan chosen for the first of them (a cache in the
// handle's slot); each keeps its own variant pack. GSM_VERBOSE=1 prints each convolution's engine
// and the candidates' times. (The legacy API's cudnnFind picked, for some of ResNet-50's 3x3 layers
// in some processes, a backward filter algorithm that took 1.1 ms where the Hopper engines take 12 us.)
#include "models/layers_cnn.h"

#include <cstdio>
#include <map>
#include "core/debug.h"
#include "core/errors.h"
#include "kernels/nn_init.h"
#include "libraries/cudnn_api.h"
#include "libraries/cudnn_conv_graph.h"

namespace gsm {
namespace model {
namespace {

constexpr size_t kCudnnWorkspaceCap = size_t{1} << 30;

// A convolution plan with the layer it was chosen for (verbose output names it).
struct SharedConvPlan {
  std::shared_ptr<ConvGraphPlan> plan;
  std::string layer;
};

struct CudnnHandle {
  cudnn::Handle handle = nullptr;
  // Plans by shape, direction and beta (convPlan builds the key), shared by the convolutions that match.
  std::map<std::string, SharedConvPlan> convPlans;
  cudnn::Handle get() {
    if (handle == nullptr) GSM_CUDNN(cudnnApi().create(&handle));
    return handle;
  }
  CudnnHandle() = default;
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  ~CudnnHandle() {
    convPlans.clear();  // the plans before the handle they were made on
    if (handle != nullptr) cudnnApi().destroy(handle);
  }
};

CudnnHandle* cudnnHandle(Graph& graph) {
  std::shared_ptr<void>& slot = graph.resource("cudnn");
  if (!slot) slot = std::make_shared<CudnnHandle>();
  return static_cast<CudnnHandle*>(slot.get());
}

// A batch norm's parameters and running statistics (PyTorch's: weight = gamma, bias = beta).
struct NormParams {
  Param* gamma = nullptr;
  Param* beta = nullptr;
  Tensor* runningMean = nullptr;
  Tensor* runningVar = nullptr;
};

NormParams normParams(Graph& graph, const std::string& name, int channels) {
  NormParams n;
  n.gamma = graph.param(name + ".weight", {channels}, Init::Ones, channels);
  n.beta = graph.param(name + ".bias", {channels}, Init::Zeros, channels);
  n.runningMean = graph.tensor(name + ".running_mean", {channels}, Dtype::F32, Tensor::Fill::Zero);
  n.runningVar = graph.tensor(name + ".running_var", {channels}, Dtype::F32, Tensor::Fill::Ones);
  return n;
}

// The op name of a batch norm with what is fused into it: "bn", "bn+add+relu".
std::string normWhat(const Tensor* residual, bool relu) {
  return std::string("bn") + (residual != nullptr ? "+add" : "") + (relu ? "+relu" : "");
}

// One convolution: its problem (pointers bound at prepare, for the own forward kernel), on the own
// path's inference the batch norm (+ residual, + ReLU) its epilogue applies (norm.gamma null: none),
// and, on the cuDNN path, the plan and variant pack of each direction it runs.
struct ConvState {
  ConvArgs args{};
  NormParams norm;
  const Tensor* residual = nullptr;
  bool relu = false;
  std::shared_ptr<ConvGraphPlan> forwardPlan, dataPlan, filterPlan;
  ConvGraphPack forwardPack, dataPack, filterPack;
};

// The convolution of x into `out` channels (its ConvState, kept by the graph) and its weight.
ConvState* newConv(Graph& graph, const std::string& layer, const std::string& name, const Tensor* x, int out,
                   int kernel, int stride, int pad, Param** weight) {
  if (x->dims.size() != 4) throw NativeFailure({"ERR_NATIVE", layer + ": conv input must be NHWC", "", "conv2d"});
  auto state = std::make_shared<ConvState>();
  graph.keep(state);
  ConvArgs& a = state->args;
  a.n = static_cast<int>(x->dims[0]);
  a.h = static_cast<int>(x->dims[1]);
  a.w = static_cast<int>(x->dims[2]);
  a.c = static_cast<int>(x->dims[3]);
  a.k = out;
  a.r = a.s = kernel;
  a.stride = stride;
  a.pad = pad;
  a.p = convOutputSize(a.h, kernel, stride, pad);
  a.q = convOutputSize(a.w, kernel, stride, pad);
  *weight = graph.param(name + ".weight", {out, kernel, kernel, a.c}, Init::KaimingUniform,
                        static_cast<int64_t>(a.c) * kernel * kernel);
  return state.get();
}

Tensor* gradientOf(const Tensor* y, const std::string& layer) {
  if (y->grad == nullptr) {
    throw NativeFailure(
        {"ERR_NATIVE", layer + ": no gradient reaches " + y->name + " (backward out of order)", "", "backward"});
  }
  return y->grad;
}

double convFlops(const ConvArgs& a) { return 2.0 * a.n * a.p * a.q * static_cast<double>(a.k) * a.c * a.r * a.s; }

// ---- convolution ops ----

void addOwnConvForward(Graph& graph, const std::string& layer, ConvState* st, const Tensor* x, const Param* w,
                       Tensor* y) {
  Op op;
  op.layer = layer;
  op.phase = Phase::Forward;
  op.what = st->norm.gamma != nullptr ? "conv fwd + " + normWhat(st->residual, st->relu) : "conv fwd";
  op.impl = "own";
  op.flops = convFlops(st->args);
  // Split K (small batches) and the stem's gather (c % 8 != 0; kernels/conv.cu) work in the graph's
  // shared workspace.
  SharedWorkspace* ws = sharedWorkspace(graph);
  op.prepare = [st, ws, x, w, y](const Context& ctx, Op& self) {
    ConvArgs& a = st->args;
    a.x = x->bf16();
    a.filter = w->copy.bf16();
    a.y = y->bf16();
    a.sm90a = ctx.sm90a;
    a.sms = ctx.sms;
    if (st->norm.gamma != nullptr) {
      a.epilogue.gamma = st->norm.gamma->master.f32();
      a.epilogue.beta = st->norm.beta->master.f32();
      a.epilogue.mean = st->norm.runningMean->f32();
      a.epilogue.var = st->norm.runningVar->f32();
      a.epilogue.residual = st->residual != nullptr ? st->residual->bf16() : nullptr;
      a.epilogue.relu = st->relu;
    }
    int sms = ctx.sms;
    if (sms <= 0) GSM_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ctx.device));
    planConv(&a, sms);
    ws->reserve(convWorkspaceBytes(a));
    GSM_CUDA(configureConv(a));
    self.traceRecords = convCtaCount(a);
  };
  op.run = [st, ws](cudaStream_t stream, Interval* trace) {
    st->args.workspace = ws->data;  // the workspace may have grown since prepare
    return launchConvBf16(st->args, trace, stream);
  };
  graph.addOp(std::move(op));
}

Op cudnnOp(const std::string& layer, Phase phase, const std::string& what, double flops) {
  Op op;
  op.layer = layer;
  op.phase = phase;
  op.what = what;
  op.impl = "cuDNN";
  op.flops = flops;
  return op;
}

const char* directionName(ConvDirection d) {
  return d == ConvDirection::Forward        ? "forward"
         : d == ConvDirection::BackwardData ? "backward data"
                                            : "backward filter";
}

// The plan of one convolution's direction: the one chosen for an earlier convolution of this shape,
// direction and beta, or chosen now (timed on x, w, y: see cudnn_conv_graph.h for their roles). The
// workspace is reserved to it.
std::shared_ptr<ConvGraphPlan> convPlan(CudnnHandle* handle, SharedWorkspace* ws, const Context& ctx,
                                        const std::string& layer, const ConvArgs& a, ConvDirection direction,
                                        float beta, const void* x, const void* w, const void* y) {
  const cudnn::Handle h = handle->get();  // ConvGraphPlan sets ctx.stream on it for its timing
  char key[160];
  std::snprintf(key, sizeof key, "%d,%d,%d,%d,%d,%d,%d,%d,%d %s %g", a.n, a.c, a.h, a.w, a.k, a.r, a.s, a.stride, a.pad,
                directionName(direction), static_cast<double>(beta));
  SharedConvPlan& shared = handle->convPlans[key];
  const std::string what = layer + " " + directionName(direction);
  if (!shared.plan) {
    const ConvGraphShape shape{a.n, a.c, a.h, a.w, a.k, a.r, a.s, a.stride, a.pad, a.p, a.q};
    ConvPlanOptions options;
    options.workspaceCap = kCudnnWorkspaceCap;
    options.direction = direction;
    options.beta = beta;
    shared.plan = std::make_shared<ConvGraphPlan>(h, shape, x, w, y, ctx.stream, what, options);
    shared.layer = layer;
    if (verbose())
      std::fprintf(stderr, "gpushare-micro: cuDNN conv %s: %s\n", what.c_str(), shared.plan->describe().c_str());
  } else if (verbose()) {
    std::fprintf(stderr, "gpushare-micro: cuDNN conv %s: %s, the plan chosen for %s\n", what.c_str(),
                 shared.plan->engine().c_str(), shared.layer.c_str());
  }
  ws->reserve(static_cast<size_t>(shared.plan->workspace()));
  return shared.plan;
}

// Runs a chosen plan on the run's stream (set on the handle first).
cudaError_t runConvPlan(CudnnHandle* handle, SharedWorkspace* ws, const ConvGraphPlan& plan, ConvGraphPack& pack,
                        cudaStream_t stream, const void* x, const void* w, const void* y) {
  const cudnn::Status set = cudnnApi().setStream(handle->handle, stream);
  if (set != cudnn::kSuccess) return cudnnLaunchResult(set, "cudnnSetStream");
  return pack.execute(handle->handle, plan, x, w, y, ws->data, ws->bytes);
}

void addCudnnConvForward(Graph& graph, const std::string& layer, ConvState* st, const Tensor* x, const Param* w,
                         Tensor* y) {
  CudnnHandle* handle = cudnnHandle(graph);
  SharedWorkspace* ws = sharedWorkspace(graph);
  Op op = cudnnOp(layer, Phase::Forward, "conv fwd", convFlops(st->args));
  op.prepare = [st, handle, ws, layer, x, w, y](const Context& ctx, Op&) {
    st->forwardPlan =
        convPlan(handle, ws, ctx, layer, st->args, ConvDirection::Forward, 0.0f, x->data, w->copy.data, y->data);
  };
  op.run = [st, handle, ws, x, w, y](cudaStream_t stream, Interval*) {
    return runConvPlan(handle, ws, *st->forwardPlan, st->forwardPack, stream, x->data, w->copy.data, y->data);
  };
  graph.addOp(std::move(op));
}

// dX written, or added to what dx holds when accumulate (beta 1: a second input gradient without a
// separate add).
void addCudnnConvBackwardData(Graph& graph, const std::string& layer, ConvState* st, const Param* w, const Tensor* dy,
                              Tensor* dx, bool accumulate) {
  CudnnHandle* handle = cudnnHandle(graph);
  SharedWorkspace* ws = sharedWorkspace(graph);
  Op op = cudnnOp(layer, Phase::Backward, accumulate ? "conv bwd data (+=)" : "conv bwd data", convFlops(st->args));
  op.prepare = [st, handle, ws, layer, w, dy, dx, accumulate](const Context& ctx, Op&) {
    st->dataPlan = convPlan(handle, ws, ctx, layer, st->args, ConvDirection::BackwardData, accumulate ? 1.0f : 0.0f,
                            dx->data, w->copy.data, dy->data);
  };
  op.run = [st, handle, ws, w, dy, dx](cudaStream_t stream, Interval*) {
    return runConvPlan(handle, ws, *st->dataPlan, st->dataPack, stream, dx->data, w->copy.data, dy->data);
  };
  graph.addOp(std::move(op));
}

// dW in bf16 into `dwBf16` (cuDNN's bf16 convolutions keep dw in w's type), then widened into the
// fp32 gradient view.
void addCudnnConvBackwardFilter(Graph& graph, const std::string& layer, ConvState* st, const Tensor* x,
                                const Tensor* dy, Tensor* dwBf16, Param* w) {
  CudnnHandle* handle = cudnnHandle(graph);
  SharedWorkspace* ws = sharedWorkspace(graph);
  Op op = cudnnOp(layer, Phase::Backward, "conv bwd filter", convFlops(st->args));
  op.prepare = [st, handle, ws, layer, x, dy, dwBf16](const Context& ctx, Op&) {
    st->filterPlan = convPlan(handle, ws, ctx, layer, st->args, ConvDirection::BackwardFilter, 0.0f, x->data,
                              dwBf16->data, dy->data);
  };
  op.run = [st, handle, ws, x, dy, dwBf16](cudaStream_t stream, Interval*) {
    return runConvPlan(handle, ws, *st->filterPlan, st->filterPack, stream, x->data, dwBf16->data, dy->data);
  };
  graph.addOp(std::move(op));

  Op widen;
  widen.layer = layer;
  widen.phase = Phase::Backward;
  widen.what = "dW widen";
  widen.impl = "own";
  widen.run = [dwBf16, w](cudaStream_t stream, Interval*) {
    return widenBf16(dwBf16->bf16(), w->grad.f32(), w->count(), stream);
  };
  graph.addOp(std::move(widen));
}

}  // namespace

// ---- layers ----

Tensor* conv2d(Graph& graph, const std::string& layer, const std::string& name, Tensor* x, int out, int kernel,
               int stride, int pad, Impl impl, Backward* backward, bool inputGrad) {
  Param* w = nullptr;
  ConvState* st = newConv(graph, layer, name, x, out, kernel, stride, pad, &w);
  const ConvArgs& a = st->args;
  Tensor* y = graph.tensor(name + ".out", {a.n, a.p, a.q, out}, Dtype::Bf16);
  if (impl == Impl::Own) {
    addOwnConvForward(graph, layer, st, x, w, y);
  } else {
    addCudnnConvForward(graph, layer, st, x, w, y);
  }
  if (backward != nullptr) {
    *backward = [&graph, layer, name, st, x, y, w, inputGrad]() {
      Tensor* dy = gradientOf(y, layer);
      if (inputGrad) {
        // A later writer of x's gradient adds to it in the convolution itself (Graph::gradTarget's
        // fresh tensor and add are not needed).
        const bool accumulate = x->gradWriters > 0 && x->grad != nullptr;
        Tensor* dx = x->grad;
        if (accumulate) {
          ++x->gradWriters;
        } else {
          bool fresh = false;
          dx = graph.gradTarget(x, &fresh);
        }
        addCudnnConvBackwardData(graph, layer, st, w, dy, dx, accumulate);
      }
      Tensor* dw = graph.tensor(name + ".weight.grad.bf16", w->dims, Dtype::Bf16);
      addCudnnConvBackwardFilter(graph, layer, st, x, dy, dw, w);
    };
  }
  return y;
}

namespace {

void batchNormBackward(Graph& graph, const std::string& layer, Tensor* x, Tensor* y, Tensor* residual, bool relu,
                       const Param* gamma, const Param* beta, const Tensor* saveMean, const Tensor* saveInvStd) {
  Tensor* dy = gradientOf(y, layer);
  const int channels = static_cast<int>(x->dims.back());
  const int rows = static_cast<int>(x->count() / static_cast<size_t>(channels));
  if (relu) {
    addKernelOp<ReluBackwardArgs>(graph, layer, Phase::Backward, "relu bwd", 0, launchReluBackward,
                                  [dy, y](ReluBackwardArgs& a) {
                                    a.count = y->count();
                                    a.dy = dy->bf16();
                                    a.y = y->bf16();
                                    a.dx = dy->bf16();
                                  });
  }
  if (residual != nullptr) {
    if (residual->grad == nullptr && residual->gradWriters == 0) {
      residual->grad = dy;  // shared: nothing after the norm's backward below writes dy but the residual's adds
      residual->gradWriters = 1;
    } else {
      ++residual->gradWriters;
      graph.addGradient(residual, dy, layer);
    }
  }
  BatchNormBackwardArgs sizing{};
  sizing.rows = rows;
  sizing.channels = channels;
  Tensor* ws = graph.scratch(layer + ".bn_bwd.ws", nnWorkspaceBytes(sizing));
  bool fresh = false;
  Tensor* dx = graph.gradTarget(x, &fresh);
  addKernelOp<BatchNormBackwardArgs>(
      graph, layer, Phase::Backward, "bn bwd", 0, launchBatchNormBackward,
      [rows, channels, dy, x, gamma, beta, saveMean, saveInvStd, dx, ws](BatchNormBackwardArgs& a) {
        a.rows = rows;
        a.channels = channels;
        a.dy = dy->bf16();
        a.x = x->bf16();
        a.gamma = gamma->master.f32();
        a.saveMean = saveMean->f32();
        a.saveInvStd = saveInvStd->f32();
        a.dx = dx->bf16();
        a.dgamma = gamma->grad.f32();
        a.dbeta = beta->grad.f32();
        a.workspace = ws->f32();
      });
  if (fresh) graph.addGradient(x, dx, layer);
}

}  // namespace

Tensor* batchNorm(Graph& graph, const std::string& layer, const std::string& name, Tensor* x, Tensor* residual,
                  bool relu, Backward* backward) {
  const int channels = static_cast<int>(x->dims.back());
  const int rows = static_cast<int>(x->count() / static_cast<size_t>(channels));
  const NormParams norm = normParams(graph, name, channels);
  Param* gamma = norm.gamma;
  Param* beta = norm.beta;
  Tensor* runningMean = norm.runningMean;
  Tensor* runningVar = norm.runningVar;
  Tensor* y = graph.tensor(name + ".out", x->dims, Dtype::Bf16);
  const std::string what = normWhat(residual, relu) + " fwd";
  if (backward == nullptr) {
    addKernelOp<BatchNormInferenceArgs>(
        graph, layer, Phase::Forward, what, 0, launchBatchNormInference,
        [rows, channels, x, residual, gamma, beta, runningMean, runningVar, y, relu](BatchNormInferenceArgs& a) {
          a.rows = rows;
          a.channels = channels;
          a.x = x->bf16();
          a.residual = residual != nullptr ? residual->bf16() : nullptr;
          a.gamma = gamma->master.f32();
          a.beta = beta->master.f32();
          a.runningMean = runningMean->f32();
          a.runningVar = runningVar->f32();
          a.y = y->bf16();
          a.relu = relu;
        });
    return y;
  }
  Tensor* saveMean = graph.tensor(name + ".save_mean", {channels}, Dtype::F32);
  Tensor* saveInvStd = graph.tensor(name + ".save_invstd", {channels}, Dtype::F32);
  BatchNormForwardArgs sizing{};
  sizing.rows = rows;
  sizing.channels = channels;
  Tensor* ws = graph.scratch(name + ".bn_fwd.ws", nnWorkspaceBytes(sizing));
  addKernelOp<BatchNormForwardArgs>(graph, layer, Phase::Forward, what, 0, launchBatchNormForward,
                                    [=](BatchNormForwardArgs& a) {
                                      a.rows = rows;
                                      a.channels = channels;
                                      a.x = x->bf16();
                                      a.residual = residual != nullptr ? residual->bf16() : nullptr;
                                      a.gamma = gamma->master.f32();
                                      a.beta = beta->master.f32();
                                      a.y = y->bf16();
                                      a.saveMean = saveMean->f32();
                                      a.saveInvStd = saveInvStd->f32();
                                      a.runningMean = runningMean->f32();
                                      a.runningVar = runningVar->f32();
                                      a.relu = relu;
                                      a.workspace = ws->f32();
                                    });
  *backward = [&graph, layer, x, y, residual, relu, gamma, beta, saveMean, saveInvStd]() {
    batchNormBackward(graph, layer, x, y, residual, relu, gamma, beta, saveMean, saveInvStd);
  };
  return y;
}

Tensor* convBatchNorm(Graph& graph, const ConvLayer& conv, const std::string& normLayer, const std::string& normName,
                      Tensor* x, Tensor* residual, bool relu, Impl impl, Backward* convBackward,
                      Backward* normBackward) {
  if (impl != Impl::Own || convBackward != nullptr || normBackward != nullptr) {
    Tensor* y = conv2d(graph, conv.layer, conv.name, x, conv.out, conv.kernel, conv.stride, conv.pad, impl,
                       convBackward, conv.inputGrad);
    return batchNorm(graph, normLayer, normName, y, residual, relu, normBackward);
  }
  // The parameters and statistics in the order the two layers create them (the same seeds).
  Param* w = nullptr;
  ConvState* st = newConv(graph, conv.layer, conv.name, x, conv.out, conv.kernel, conv.stride, conv.pad, &w);
  st->norm = normParams(graph, normName, conv.out);
  st->residual = residual;
  st->relu = relu;
  const ConvArgs& a = st->args;
  Tensor* y = graph.tensor(normName + ".out", {a.n, a.p, a.q, conv.out}, Dtype::Bf16);
  addOwnConvForward(graph, conv.layer, st, x, w, y);
  return y;
}

Tensor* maxPool(Graph& graph, const std::string& layer, Tensor* x, int window, int stride, int pad,
                Backward* backward) {
  MaxPoolForwardArgs shape{};
  shape.n = static_cast<int>(x->dims[0]);
  shape.h = static_cast<int>(x->dims[1]);
  shape.w = static_cast<int>(x->dims[2]);
  shape.c = static_cast<int>(x->dims[3]);
  shape.r = shape.s = window;
  shape.stride = stride;
  shape.pad = pad;
  shape.p = convOutputSize(shape.h, window, stride, pad);
  shape.q = convOutputSize(shape.w, window, stride, pad);
  Tensor* y = graph.tensor(layer + ".out", {shape.n, shape.p, shape.q, shape.c}, Dtype::Bf16);
  Tensor* argmax =
      backward != nullptr ? graph.tensor(layer + ".argmax", {shape.n, shape.p, shape.q, shape.c}, Dtype::U8) : nullptr;
  addKernelOp<MaxPoolForwardArgs>(graph, layer, Phase::Forward, "maxpool fwd", 0, launchMaxPoolForward,
                                  [shape, x, y, argmax](MaxPoolForwardArgs& a) {
                                    a = shape;
                                    a.x = x->bf16();
                                    a.y = y->bf16();
                                    a.argmax = argmax != nullptr ? static_cast<uint8_t*>(argmax->data) : nullptr;
                                  });
  if (backward != nullptr) {
    *backward = [&graph, layer, shape, x, y, argmax]() {
      Tensor* dy = gradientOf(y, layer);
      bool fresh = false;
      Tensor* dx = graph.gradTarget(x, &fresh);
      addKernelOp<MaxPoolBackwardArgs>(graph, layer, Phase::Backward, "maxpool bwd", 0, launchMaxPoolBackward,
                                       [shape, dy, argmax, dx](MaxPoolBackwardArgs& a) {
                                         a.n = shape.n;
                                         a.h = shape.h;
                                         a.w = shape.w;
                                         a.c = shape.c;
                                         a.r = shape.r;
                                         a.s = shape.s;
                                         a.stride = shape.stride;
                                         a.pad = shape.pad;
                                         a.p = shape.p;
                                         a.q = shape.q;
                                         a.dy = dy->bf16();
                                         a.argmax = static_cast<const uint8_t*>(argmax->data);
                                         a.dx = dx->bf16();
                                       });
      if (fresh) graph.addGradient(x, dx, layer);
    };
  }
  return y;
}

Tensor* globalAvgPool(Graph& graph, const std::string& layer, Tensor* x, Backward* backward) {
  const int n = static_cast<int>(x->dims[0]);
  const int pixels = static_cast<int>(x->dims[1] * x->dims[2]);
  const int c = static_cast<int>(x->dims[3]);
  Tensor* y = graph.tensor(layer + ".out", {n, c}, Dtype::Bf16);
  addKernelOp<AvgPoolForwardArgs>(graph, layer, Phase::Forward, "avgpool fwd", 0, launchAvgPoolForward,
                                  [n, pixels, c, x, y](AvgPoolForwardArgs& a) {
                                    a.n = n;
                                    a.pixels = pixels;
                                    a.c = c;
                                    a.x = x->bf16();
                                    a.y = y->bf16();
                                  });
  if (backward != nullptr) {
    *backward = [&graph, layer, n, pixels, c, x, y]() {
      Tensor* dy = gradientOf(y, layer);
      bool fresh = false;
      Tensor* dx = graph.gradTarget(x, &fresh);
      addKernelOp<AvgPoolBackwardArgs>(graph, layer, Phase::Backward, "avgpool bwd", 0, launchAvgPoolBackward,
                                       [n, pixels, c, dy, dx](AvgPoolBackwardArgs& a) {
                                         a.n = n;
                                         a.pixels = pixels;
                                         a.c = c;
                                         a.dy = dy->bf16();
                                         a.dx = dx->bf16();
                                       });
      if (fresh) graph.addGradient(x, dx, layer);
    };
  }
  return y;
}

Tensor* softmaxCrossEntropy(Graph& graph, const std::string& layer, Tensor* logits, Tensor* labels, bool train) {
  const int rows = static_cast<int>(logits->dims[0]);
  const int classes = static_cast<int>(logits->dims[1]);
  Tensor* loss = graph.tensor(layer + ".value", {1}, Dtype::F32);
  Tensor* dlogits = nullptr;
  if (train) {
    bool fresh = false;
    dlogits = graph.gradTarget(logits, &fresh);  // the logits' first and only gradient
  }
  SoftmaxCrossEntropyArgs sizing{};
  sizing.rows = rows;
  sizing.classes = classes;
  Tensor* ws = graph.scratch(layer + ".ws", nnWorkspaceBytes(sizing));
  addKernelOp<SoftmaxCrossEntropyArgs>(graph, layer, Phase::Forward, train ? "softmax-CE fwd+bwd" : "softmax-CE", 0,
                                       launchSoftmaxCrossEntropy,
                                       [rows, classes, logits, labels, loss, dlogits, ws](SoftmaxCrossEntropyArgs& a) {
                                         a.rows = rows;
                                         a.classes = classes;
                                         a.logits = logits->f32();
                                         a.labels = labels->i32();
                                         a.loss = loss->f32();
                                         a.dlogits = dlogits != nullptr ? dlogits->bf16() : nullptr;
                                         a.workspace = ws->f32();
                                       });
  graph.setLoss(loss);
  return loss;
}

}  // namespace model
}  // namespace gsm

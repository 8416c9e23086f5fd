// A standalone check of the model graphs (native/models) on the GPU, without Node: what the GPU host
// runs to see that the models learn and how fast they run, and under compute-sanitizer. Built and run by
// `scripts/gpu/run.sh model-check`; run `model_check grad|loss|run|run-small|dump`.
//
//   grad       tiny ResNet and BERT, impl own and library: the gradients of one forward and backward
//              pass (no update) against central finite differences of the loss, per parameter tensor
//              along its own gradient, along the whole gradient, and along a direction half random
//   loss       the same tiny models, 50 training steps on one fixed batch: the loss must fall below half
//   infer-match  tiny and full ResNet-50 and BERT-base inference, own (batch norms fused into the
//              convolutions; bias and activation in the gemm's epilogue) against library, on the same
//              weights, input, random biases and random batch norms: the outputs agree
//   run        the full-size model workloads, own and library: time per step (CUDA events, 20 steps
//              after 5 of warm-up), throughput, device memory, what ran the ops, the slowest layers
//              (LayerTimer), and a finite loss / an output without NaN; `run resnet50` (any part of
//              the names printed) runs only the cases it names, `run NAME 200` lists 200 layers
//   run-small  every model at a tiny size, own and library, a few steps with the layer timer, checked:
//              for compute-sanitizer
//   dump DIR   the tiny ResNet's parameters, inputs and gradients after one pass, for
//              scripts/pytorch/check_grads.py (the same network in float64 in PyTorch)
// Exit status: 0 when every check passed, 1 when one failed, 2 on an error (usage, CUDA, a library).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include "../../native/core/errors.h"
#include "../../native/libraries/driver_api.h"
#include "../../native/models/graph.h"

using namespace gsm;
using namespace gsm::model;

namespace {

struct Session {
  int device = 0;
  cudaStream_t stream = nullptr;
  bool sm90a = false;
  double gradStep = 1e-2;  // grad: how far each check moves the loss, relative to max(1, |L0|)
};

const char* implName(Impl impl) { return impl == Impl::Own ? "own" : "library"; }

// A model to check: a name, its builder, samples per step (batch) and whether it trains.
struct ModelCase {
  std::string name;
  std::function<void(Graph&, Impl)> build;
  int samples = 1;
  bool train = true;
};

ResNetConfig tinyResNet() {
  ResNetConfig c;
  c.batch = 8;
  c.input = 32;
  c.classes = 10;
  for (int& b : c.blocks) b = 1;
  c.width = 8;
  c.lr = 0.05f;
  return c;
}

BertConfig tinyBert() {
  BertConfig c;
  c.batch = 4;
  c.seq = 16;
  c.layers = 2;
  c.hidden = 64;
  c.heads = 4;
  c.ffn = 128;
  c.vocab = 100;
  c.positions = 64;
  c.classes = 3;
  c.lr = 1e-3f;
  return c;
}

LlmConfig tinyLlm() {
  LlmConfig c;
  c.batch = 2;
  c.layers = 2;
  c.hidden = 512;
  c.heads = 4;  // head dimension 128, as the 7B model's
  c.ffn = 1024;
  c.vocab = 1024;
  c.kvLength = 64;
  return c;
}

ModelCase resnetCase(const std::string& name, ResNetConfig c) {
  return {name, [c](Graph& g, Impl impl) { buildResNet(g, c, impl); }, c.batch, c.train};
}
ModelCase bertCase(const std::string& name, BertConfig c) {
  return {name, [c](Graph& g, Impl impl) { buildBert(g, c, impl); }, c.batch, c.train};
}
ModelCase llmCase(const std::string& name, LlmConfig c) {
  return {name, [c](Graph& g, Impl impl) { buildLlmDecode(g, c, impl); }, c.batch, false};
}

std::unique_ptr<Graph> prepared(const Session& s, const ModelCase& m, Impl impl, uint64_t seed = 1) {
  auto graph = std::make_unique<Graph>();
  m.build(*graph, impl);
  Context context;
  context.device = s.device;
  context.stream = s.stream;
  context.sm90a = s.sm90a;
  context.impl = impl;
  context.seed = seed;
  context.encode = driverApi().tensorMapEncodeTiled;
  graph->prepare(context);
  GSM_CUDA(cudaStreamSynchronize(s.stream));
  return graph;
}

float bf16ToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float readLoss(const Graph& g, cudaStream_t stream) {
  if (g.loss() == nullptr) throw NativeFailure({"ERR_STATE", "the graph has no loss (an inference graph)", "", ""});
  float loss = NAN;
  GSM_CUDA(cudaMemcpyAsync(&loss, g.loss()->data, sizeof loss, cudaMemcpyDeviceToHost, stream));
  GSM_CUDA(cudaStreamSynchronize(stream));
  return loss;
}

template <class T>
std::vector<T> download(const T* device, size_t n, cudaStream_t stream) {
  std::vector<T> host(n);
  GSM_CUDA(cudaMemcpyAsync(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost, stream));
  GSM_CUDA(cudaStreamSynchronize(stream));
  return host;
}

// ---- grad ----

// The loss after a forward and backward pass (no update) at the current bf16 copies. (Backward runs
// too in case the graph computes the loss with the loss gradient; the gradients it writes are not read.)
float lossAt(Graph& g, cudaStream_t stream) {
  GSM_CUDA(g.run(stream, nullptr, nullptr, true, true, false));
  return readLoss(g, stream);
}

// The parameters [begin, begin + dir.size()) moved by +eps dir and -eps dir: the loss at each, and
// g . (copy+ - copy-) / (2 eps), the directional derivative the gradient predicts for the bf16 copies
// the kernels actually read (rounding moves some elements more or less than eps dir asks). Restores.
struct Difference {
  double finite = 0;     // (L+ - L-) / (2 eps)
  double predicted = 0;  // g . (copy+ - copy-) / (2 eps)
  double nominal = 0;    // g . dir
};

Difference difference(Graph& g, cudaStream_t stream, const std::vector<float>& theta, const std::vector<float>& grad,
                      size_t begin, const std::vector<float>& dir, double eps) {
  const size_t n = dir.size();
  std::vector<float> moved(n);
  double loss[2] = {0, 0}, dot[2] = {0, 0};
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? 1 : -1;
    for (size_t j = 0; j < n; ++j) moved[j] = static_cast<float>(theta[begin + j] + sign * eps * dir[j]);
    GSM_CUDA(cudaMemcpyAsync(g.flatParams() + begin, moved.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream));
    GSM_CUDA(g.syncCopies(stream));
    const std::vector<uint16_t> copy = download(g.flatCopy() + begin, n, stream);
    for (size_t j = 0; j < n; ++j) dot[side] += static_cast<double>(grad[begin + j]) * bf16ToFloat(copy[j]);
    loss[side] = lossAt(g, stream);
  }
  GSM_CUDA(
      cudaMemcpyAsync(g.flatParams() + begin, theta.data() + begin, n * sizeof(float), cudaMemcpyHostToDevice, stream));
  GSM_CUDA(g.syncCopies(stream));
  Difference d;
  d.finite = (loss[0] - loss[1]) / (2 * eps);
  d.predicted = (dot[0] - dot[1]) / (2 * eps);
  for (size_t j = 0; j < n; ++j) d.nominal += static_cast<double>(grad[begin + j]) * dir[j];
  return d;
}

double norm(const float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * v[i];
  return std::sqrt(s);
}

// One line per check; true when the finite difference is within `tolerance` of the prediction.
bool report(const std::string& what, double gradNorm, double eps, const Difference& d, double tolerance) {
  const double ratio = d.predicted != 0 ? d.finite / d.predicted : NAN;
  const bool ok = std::isfinite(ratio) && std::fabs(ratio - 1) <= tolerance;
  std::printf("  %-44s |g| %9.3e eps %9.3e  fd %10.4e predicted %10.4e (g.d %10.4e) ratio %7.4f %s\n", what.c_str(),
              gradNorm, eps, d.finite, d.predicted, d.nominal, ratio, ok ? "ok" : "FAIL");
  return ok;
}

// Gradients against finite differences for one model and impl (see the file's comment). eps is chosen
// so that the loss moves by about 1e-2 max(1, |L0|) each way: well above the bf16 activations' noise.
bool gradCheck(const Session& s, const ModelCase& m, Impl impl) {
  std::unique_ptr<Graph> g = prepared(s, m, impl);
  const size_t count = g->flatCount();  // every parameter, and the padding between them (zero gradient)
  GSM_CUDA(cudaMemsetAsync(g->flatGrads(), 0, count * sizeof(float), s.stream));
  const float l0 = lossAt(*g, s.stream);
  const std::vector<float> grad = download(g->flatGrads(), count, s.stream);
  const std::vector<float> theta = download(g->flatParams(), count, s.stream);
  const double step = s.gradStep * std::max(1.0, std::fabs(static_cast<double>(l0)));
  std::printf("%s %s: loss %.5f, %zu parameters in %zu tensors, loss moved by %.0e each way\n", m.name.c_str(),
              implName(impl), l0, g->paramCount(), g->params().size(), step);
  if (!std::isfinite(l0)) return false;
  double largest = 0;
  for (const Param& p : g->params()) largest = std::max(largest, norm(grad.data() + p.offset, p.count()));
  int checked = 0, passed = 0;
  for (const Param& p : g->params()) {
    const double gn = norm(grad.data() + p.offset, p.count());
    if (gn < 1e-3 * largest) {
      std::printf("  %-44s |g| %9.3e below 1e-3 of the largest: not checked\n", p.name.c_str(), gn);
      continue;
    }
    std::vector<float> dir(grad.begin() + p.offset, grad.begin() + p.offset + p.count());
    for (float& x : dir) x = static_cast<float>(x / gn);
    const double eps = step / gn;
    ++checked;
    passed += report(p.name, gn, eps, difference(*g, s.stream, theta, grad, p.offset, dir, eps), 0.10);
  }
  const double total = norm(grad.data(), count);
  std::vector<float> dir(count);
  for (size_t i = 0; i < count; ++i) dir[i] = static_cast<float>(grad[i] / total);
  const bool whole = report("(all parameters, along g)", total, step / total,
                            difference(*g, s.stream, theta, grad, 0, dir, step / total), 0.10);
  // Half random: (g/|g| + r/|r|) normalised, so that its derivative is large enough to measure while it
  // weighs every tensor alike, not by its share of the gradient.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> r(count);
  for (float& x : r) x = normal(rng);
  const double rn = norm(r.data(), count);
  for (size_t i = 0; i < count; ++i) dir[i] = static_cast<float>(grad[i] / total + r[i] / rn);
  const double dn = norm(dir.data(), count);
  double along = 0;
  for (size_t i = 0; i < count; ++i) {
    dir[i] = static_cast<float>(dir[i] / dn);
    along += static_cast<double>(grad[i]) * dir[i];
  }
  const bool random = report("(all parameters, half random)", total, step / std::fabs(along),
                             difference(*g, s.stream, theta, grad, 0, dir, step / std::fabs(along)), 0.25);
  const bool ok = whole && random && passed * 10 >= checked * 9;
  std::printf("%s %s: %d of %d tensors within 10%%, whole vector %s, half random %s: %s\n\n", m.name.c_str(),
              implName(impl), passed, checked, whole ? "ok" : "FAIL", random ? "ok" : "FAIL", ok ? "PASS" : "FAIL");
  return ok;
}

// ---- dump ----

// The tiny ResNet's state after one forward and backward pass (no update), for an independent check of
// its gradients (scripts/pytorch/check_grads.py: the same network in float64 in PyTorch, from these
// parameters and inputs): meta.json (each parameter's name, dims and offset, the loss), params.f32 (the
// fp32 masters), copy.bf16 (the bf16 copies the gemm and conv kernels read), grads.f32, input.bf16 [n, h,
// w, c] and labels.i32.
template <class T>
void writeFile(const std::string& path, const std::vector<T>& v) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(v.data(), sizeof(T), v.size(), f) != v.size() || std::fclose(f) != 0) {
    throw NativeFailure({"ERR_ARGS", "cannot write " + path, "", ""});
  }
}

const Tensor& tensorNamed(const Graph& g, const std::string& name) {
  for (const Tensor& t : g.tensors())
    if (t.name == name) return t;
  throw NativeFailure({"ERR_NATIVE", "the graph has no tensor " + name, "", ""});
}

int dump(const Session& s, const std::string& dir, Impl impl) {
  const ResNetConfig config = tinyResNet();
  std::unique_ptr<Graph> g = prepared(s, resnetCase("tiny resnet", config), impl);
  const size_t count = g->flatCount();
  GSM_CUDA(cudaMemsetAsync(g->flatGrads(), 0, count * sizeof(float), s.stream));
  const float loss = lossAt(*g, s.stream);
  const Tensor& input = tensorNamed(*g, "input");
  const Tensor& labels = tensorNamed(*g, "labels");
  writeFile(dir + "/params.f32", download(g->flatParams(), count, s.stream));
  writeFile(dir + "/copy.bf16", download(g->flatCopy(), count, s.stream));
  writeFile(dir + "/grads.f32", download(g->flatGrads(), count, s.stream));
  writeFile(dir + "/input.bf16", download(input.bf16(), input.count(), s.stream));
  writeFile(dir + "/labels.i32", download(labels.i32(), labels.count(), s.stream));
  std::string meta = "{\"impl\": \"" + std::string(implName(impl)) + "\", \"loss\": " + std::to_string(loss) +
                     ", \"batch\": " + std::to_string(config.batch) + ", \"input\": " + std::to_string(config.input) +
                     ", \"classes\": " + std::to_string(config.classes) +
                     ", \"width\": " + std::to_string(config.width) + ", \"blocks\": [1, 1, 1, 1], \"params\": [";
  bool first = true;
  for (const Param& p : g->params()) {
    meta += std::string(first ? "" : ", ") + "{\"name\": \"" + p.name + "\", \"offset\": " + std::to_string(p.offset) +
            ", \"dims\": [";
    for (size_t i = 0; i < p.dims.size(); ++i) meta += (i ? ", " : "") + std::to_string(p.dims[i]);
    meta += "]}";
    first = false;
  }
  meta += "]}\n";
  writeFile(dir + "/meta.json", std::vector<char>(meta.begin(), meta.end()));
  std::printf("tiny resnet %s: loss %.6f, %zu parameter tensors written to %s\n", implName(impl), loss,
              g->params().size(), dir.c_str());
  return 0;
}

// ---- loss ----

bool lossCheck(const Session& s, const ModelCase& m, Impl impl) {
  std::unique_ptr<Graph> g = prepared(s, m, impl);
  std::vector<float> losses;
  for (int step = 0; step < 50; ++step) {
    GSM_CUDA(g->run(s.stream, nullptr));
    losses.push_back(readLoss(*g, s.stream));
    if (step % 10 == 0 || step == 49)
      std::printf("  %s %s step %2d loss %.5f\n", m.name.c_str(), implName(impl), step, losses.back());
  }
  const bool ok = std::isfinite(losses.back()) && losses.back() < 0.5f * losses.front();
  std::printf("%s %s: loss %.5f -> %.5f: %s\n\n", m.name.c_str(), implName(impl), losses.front(), losses.back(),
              ok ? "PASS" : "FAIL (expected below half the first)");
  return ok;
}

// ---- run ----

// The step's output (and loss) are sane: a finite loss; logits without NaN; token ids in range.
bool outputSane(const Graph& g, cudaStream_t stream, std::string& what) {
  if (g.loss() != nullptr) {
    const float loss = readLoss(g, stream);
    what = "loss " + std::to_string(loss);
    if (!std::isfinite(loss)) return false;
  }
  const Tensor* out = g.output();
  if (out == nullptr || out == g.loss()) return true;
  size_t bad = 0;
  if (out->dtype == Dtype::Bf16) {
    for (uint16_t v : download(out->bf16(), out->count(), stream)) bad += std::isnan(bf16ToFloat(v)) ? 1 : 0;
  } else if (out->dtype == Dtype::F32) {
    for (float v : download(out->f32(), out->count(), stream)) bad += std::isnan(v) ? 1 : 0;
  } else if (out->dtype == Dtype::I32) {
    const int64_t range = out->idRange > 0 ? out->idRange : INT32_MAX;
    for (int32_t v : download(out->i32(), out->count(), stream)) bad += v < 0 || v >= range ? 1 : 0;
  }
  what += (what.empty() ? "" : ", ") + out->name + ": " + std::to_string(bad) + " of " + std::to_string(out->count()) +
          (out->dtype == Dtype::I32 ? " out of range" : " NaN");
  return bad == 0;
}

std::string implSummary(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Op& op : g.ops()) ++counts[op.impl];
  std::string s;
  for (const auto& [impl, n] : counts) s += (s.empty() ? "" : ", ") + impl + " " + std::to_string(n);
  return s;
}

// `steps` steps with a LayerTimer: every (layer, phase) run must have one duration per step, their sum
// positive; prints the `top` slowest. True when the timings are complete.
bool layerProfile(const Session& s, Graph& g, int steps, int top) {
  LayerTimer timer(g, 2, steps);
  for (int i = 0; i < steps; ++i) GSM_CUDA(g.run(s.stream, nullptr, &timer));
  GSM_CUDA(cudaStreamSynchronize(s.stream));
  const std::vector<LayerTiming> times = timer.collect();
  bool ok = times.size() == timer.runEnds().size() && !times.empty();
  std::vector<std::pair<double, const LayerTiming*>> mean;
  double total = 0;
  for (const LayerTiming& t : times) {
    double sum = 0;
    for (uint32_t ns : t.ns) sum += ns;
    ok = ok && static_cast<int>(t.ns.size()) == steps && sum > 0;
    mean.emplace_back(sum / std::max<size_t>(t.ns.size(), 1), &t);
    total += sum / std::max<size_t>(t.ns.size(), 1);
  }
  std::sort(mean.begin(), mean.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::printf("    layer timer: %zu runs, %.3f ms per step in all%s\n", times.size(), total / 1e6,
              ok ? "" : " (INCOMPLETE: a run without a duration per step)");
  for (int i = 0; i < top && i < static_cast<int>(mean.size()); ++i) {
    const LayerTiming& t = *mean[i].second;
    std::printf("      %8.1f us  %-36s %-8s %s\n", mean[i].first / 1e3, t.layer.c_str(), phaseName(t.phase),
                t.impl.c_str());
  }
  return ok;
}

// One model at one size and impl: warm-up, timed steps, output check, layer profile.
bool runCase(const Session& s, const ModelCase& m, Impl impl, int warmup, int steps, int top) {
  std::unique_ptr<Graph> g = prepared(s, m, impl);
  for (int i = 0; i < warmup; ++i) GSM_CUDA(g->run(s.stream, nullptr));
  cudaEvent_t start, stop;
  GSM_CUDA(cudaEventCreate(&start));
  GSM_CUDA(cudaEventCreate(&stop));
  GSM_CUDA(cudaEventRecord(start, s.stream));
  for (int i = 0; i < steps; ++i) GSM_CUDA(g->run(s.stream, nullptr));
  GSM_CUDA(cudaEventRecord(stop, s.stream));
  GSM_CUDA(cudaEventSynchronize(stop));
  float ms = 0;
  GSM_CUDA(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  const double perStep = ms / steps;
  std::string what;
  const bool sane = outputSane(*g, s.stream, what);
  std::printf("%-34s %-7s %9.3f ms/step %10.1f samples/s %8.2f TFLOP/s %8.2f GiB  %zu ops: %s\n", m.name.c_str(),
              implName(impl), perStep, m.samples * 1e3 / perStep, g->flopsPerStep() / (perStep * 1e9),
              (g->activationBytes() + g->parameterBytes()) / 1073741824.0, g->ops().size(), implSummary(*g).c_str());
  std::printf("    %s: %s\n", what.c_str(), sane ? "ok" : "FAIL");
  const bool timed = layerProfile(s, *g, std::min(steps, 5), top);
  return sane && timed;
}

// ---- infer-match ----

// Every batch norm's parameters and running statistics set to random values (the same for the same
// seed): weight (gamma) in [0.5, 1.5), bias and running mean in [-0.1, 0.1), running variance in
// [0.5, 2). prepare()'s are the identity (1, 0, 0, 1), under which a norm missing from the fused path
// would go unseen.
void randomiseNorms(Graph& g, cudaStream_t stream, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  auto fill = [&](float* device, size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = lo + (hi - lo) * u(rng);
    GSM_CUDA(cudaMemcpyAsync(device, v.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream));
    GSM_CUDA(cudaStreamSynchronize(stream));
  };
  const std::string suffix = ".running_mean";
  for (const Tensor& t : g.tensors()) {
    if (t.name.size() <= suffix.size() || t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string norm = t.name.substr(0, t.name.size() - suffix.size());
    for (const Param& p : g.params()) {
      if (p.name == norm + ".weight") fill(p.master.f32(), p.count(), 0.5f, 1.5f);
      if (p.name == norm + ".bias") fill(p.master.f32(), p.count(), -0.1f, 0.1f);
    }
    fill(t.f32(), t.count(), -0.1f, 0.1f);
    fill(tensorNamed(g, norm + ".running_var").f32(), t.count(), 0.5f, 2.0f);
  }
  GSM_CUDA(g.syncCopies(stream));
}

// Every parameter named *.bias set to random values in [-0.1, 0.1) (the same for the same seed):
// BERT's are zeros after prepare(), under which a bias missing from a fused epilogue would go unseen.
void randomiseBiases(Graph& g, cudaStream_t stream, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  const std::string suffix = ".bias";
  for (const Param& p : g.params()) {
    if (p.name.size() <= suffix.size() || p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::vector<float> v(p.count());
    for (float& x : v) x = u(rng);
    GSM_CUDA(cudaMemcpyAsync(p.master.f32(), v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
    GSM_CUDA(cudaStreamSynchronize(stream));
  }
  GSM_CUDA(g.syncCopies(stream));
}

std::vector<double> values(const Tensor& t, cudaStream_t stream) {
  std::vector<double> v;
  if (t.dtype == Dtype::F32) {
    for (float x : download(t.f32(), t.count(), stream)) v.push_back(x);
  } else {
    for (uint16_t x : download(t.bf16(), t.count(), stream)) v.push_back(bf16ToFloat(x));
  }
  return v;
}

// What infer-match compares: the output (logits); for BERT also the pooler's output (tanh in the
// epilogue of a skinny gemm) and the last encoder layer's hidden states, since the logits of a
// classifier with few classes are few values.
std::vector<std::pair<std::string, std::vector<double>>> comparedValues(const Graph& g, cudaStream_t stream) {
  std::vector<std::pair<std::string, std::vector<double>>> out = {{"output", values(*g.output(), stream)}};
  std::string lastHidden;
  for (const Tensor& t : g.tensors()) {
    if (t.name.rfind("encoder.", 0) == 0 && t.name.size() > 13 &&
        t.name.compare(t.name.size() - 13, 13, ".ffn.norm.out") == 0)
      lastHidden = t.name;  // in build order: the last one is the last layer's
  }
  if (!lastHidden.empty()) {
    out.push_back({"pooler.out", values(tensorNamed(g, "pooler.out"), stream)});
    out.push_back({lastHidden, values(tensorNamed(g, lastHidden), stream)});
  }
  return out;
}

// The own path's inference (ResNet: each batch norm, residual add and ReLU in the epilogue of the
// own convolution before it; BERT: each Linear's bias and activation in the own gemm's epilogue, the
// fused attention kernel) against the library path's (cuDNN's convolution or cuBLASLt's gemm, then a
// kernel of its own for the norm or the bias and activation) on the same weights, input, random
// biases and random norms: one forward pass each, each compared tensor max |own - library| /
// max |library| within `bound`. The two differ by rounding only: the library path rounds each
// product to bf16 before its norm or bias, the own path finishes the fp32 sums.
bool inferMatch(const Session& s, const ModelCase& m, double bound) {
  std::vector<std::pair<std::string, std::vector<double>>> compared[2];
  for (Impl impl : {Impl::Own, Impl::Library}) {
    std::unique_ptr<Graph> g = prepared(s, m, impl);
    randomiseBiases(*g, s.stream, 11);
    randomiseNorms(*g, s.stream, 7);
    GSM_CUDA(g->run(s.stream, nullptr));
    compared[impl == Impl::Own ? 0 : 1] = comparedValues(*g, s.stream);
  }
  bool all = true;
  for (size_t c = 0; c < compared[1].size(); ++c) {
    const std::vector<double>& own = compared[0][c].second;
    const std::vector<double>& lib = compared[1][c].second;
    double maxLib = 0, maxDiff = 0, sumSq = 0, diffSq = 0;
    size_t nonFinite = 0;
    for (size_t i = 0; i < lib.size(); ++i) {
      if (!std::isfinite(own[i]) || !std::isfinite(lib[i])) {
        ++nonFinite;
        continue;
      }
      maxLib = std::max(maxLib, std::fabs(lib[i]));
      maxDiff = std::max(maxDiff, std::fabs(own[i] - lib[i]));
      sumSq += lib[i] * lib[i];
      diffSq += (own[i] - lib[i]) * (own[i] - lib[i]);
    }
    const double rel = maxLib > 0 ? maxDiff / maxLib : INFINITY;
    const bool ok = nonFinite == 0 && rel <= bound && own.size() == lib.size();
    all = all && ok;
    std::printf(
        "%-34s %-22s own vs library: %zu values, max |library| %.4g, max |diff| %.3g, max diff / max |library| "
        "%.3e (bound %.0e), rms diff / rms library %.3e, %zu not finite: %s\n",
        m.name.c_str(), compared[1][c].first.c_str(), lib.size(), maxLib, maxDiff, rel, bound,
        sumSq > 0 ? std::sqrt(diffSq / sumSq) : INFINITY, nonFinite, ok ? "PASS" : "FAIL");
  }
  return all;
}

int inferMatchAll(const Session& s) {
  ResNetConfig tiny = tinyResNet();
  tiny.train = false;
  ResNetConfig full;
  full.train = false;
  full.input = 224;
  full.classes = 1000;
  BertConfig tinyB = tinyBert();
  tinyB.train = false;
  BertConfig bert;
  bert.train = false;
  std::vector<ModelCase> cases = {resnetCase("tiny resnet infer", tiny), bertCase("tiny bert infer", tinyB)};
  for (int batch : {1, 32}) {
    full.batch = batch;
    cases.push_back(resnetCase("resnet50-infer input 224 batch " + std::to_string(batch), full));
    bert.batch = batch;
    cases.push_back(bertCase("bert-base-infer seq 128 batch " + std::to_string(batch), bert));
  }
  int failed = 0;
  for (const ModelCase& m : cases) {
    try {
      failed += inferMatch(s, m, 5e-2) ? 0 : 1;
    } catch (const NativeFailure& e) {
      std::printf("%s FAIL: %s (%s)\n", m.name.c_str(), e.what(), e.info().code.c_str());
      ++failed;
      cudaGetLastError();
    }
  }
  std::printf("%d of %zu failed\n", failed, cases.size());
  return failed == 0 ? 0 : 1;
}

std::vector<ModelCase> fullCases() {
  ResNetConfig train;  // CIFAR-10 size, batch 128
  ResNetConfig infer;
  infer.train = false;
  infer.input = 224;
  infer.classes = 1000;
  BertConfig bert;  // seq 128, batch 32
  BertConfig bertInfer;
  bertInfer.train = false;
  LlmConfig llm;  // 32 layers, kv 1024
  std::vector<ModelCase> cases = {resnetCase("resnet50-train input 32 batch 128", train)};
  for (int batch : {1, 32}) {
    infer.batch = batch;
    cases.push_back(resnetCase("resnet50-infer input 224 batch " + std::to_string(batch), infer));
  }
  cases.push_back(bertCase("bert-base-train seq 128 batch 32", bert));
  for (int batch : {1, 32}) {
    bertInfer.batch = batch;
    cases.push_back(bertCase("bert-base-infer seq 128 batch " + std::to_string(batch), bertInfer));
  }
  for (int batch : {1, 8}) {
    llm.batch = batch;
    cases.push_back(llmCase("llm-decode layers 32 kv 1024 batch " + std::to_string(batch), llm));
  }
  return cases;
}

std::vector<ModelCase> smallCases() {
  ResNetConfig infer = tinyResNet();
  infer.train = false;
  BertConfig bertInfer = tinyBert();
  bertInfer.train = false;
  return {resnetCase("tiny resnet train", tinyResNet()), resnetCase("tiny resnet infer", infer),
          bertCase("tiny bert train", tinyBert()), bertCase("tiny bert infer", bertInfer),
          llmCase("tiny llm-decode", tinyLlm())};
}

// Every case whose name contains `filter` (all when empty), own and library.
int runAll(const Session& s, const std::vector<ModelCase>& cases, const std::string& filter, int warmup, int steps,
           int top) {
  int failed = 0, ran = 0;
  for (const ModelCase& m : cases) {
    if (m.name.find(filter) == std::string::npos) continue;
    ran += 2;
    for (Impl impl : {Impl::Own, Impl::Library}) {
      try {
        failed += runCase(s, m, impl, warmup, steps, top) ? 0 : 1;
      } catch (const NativeFailure& e) {  // one case's failure (e.g. out of memory) does not end the others
        std::printf("%-34s %-7s FAIL: %s (%s)\n", m.name.c_str(), implName(impl), e.what(), e.info().code.c_str());
        ++failed;
        cudaGetLastError();
      }
    }
  }
  std::printf("%d of %d runs failed\n", failed, ran);
  return failed == 0 && ran > 0 ? 0 : 1;
}

int forTinyTrainers(const Session& s, bool (*check)(const Session&, const ModelCase&, Impl)) {
  int failed = 0;
  const std::vector<ModelCase> cases = {resnetCase("tiny resnet", tinyResNet()), bertCase("tiny bert", tinyBert())};
  for (const ModelCase& m : cases) {
    for (Impl impl : {Impl::Own, Impl::Library}) {
      try {
        failed += check(s, m, impl) ? 0 : 1;
      } catch (const NativeFailure& e) {
        std::printf("%s %s FAIL: %s (%s)\n\n", m.name.c_str(), implName(impl), e.what(), e.info().code.c_str());
        ++failed;
        cudaGetLastError();
      }
    }
  }
  std::printf("%d of 4 failed\n", failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    Session s;
    cudaDeviceProp prop{};
    GSM_CUDA(cudaGetDeviceProperties(&prop, s.device));
    GSM_CUDA(cudaSetDevice(s.device));
    GSM_CUDA(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
    GSM_CUDA(sm90aAvailable(s.device, s.stream, &s.sm90a));
    std::printf("device: %s, cc %d.%d, %d SMs, sm_90a code %s\n", prop.name, prop.major, prop.minor,
                prop.multiProcessorCount, s.sm90a ? "runs" : "does not run");
    if (mode == "grad") {
      if (argc > 2) s.gradStep = std::atof(argv[2]);
      if (!(s.gradStep > 0 && s.gradStep < 1)) throw NativeFailure({"ERR_ARGS", "grad [step]: step in (0, 1)", "", ""});
      return forTinyTrainers(s, gradCheck);
    }
    if (mode == "loss") return forTinyTrainers(s, lossCheck);
    if (mode == "infer-match") return inferMatchAll(s);
    if (mode == "dump" && argc > 2)
      return dump(s, argv[2], argc > 3 && std::string(argv[3]) == "library" ? Impl::Library : Impl::Own);
    const std::string filter = argc > 2 ? argv[2] : "";
    const int top = argc > 3 ? std::atoi(argv[3]) : 8;  // slowest layers printed per case
    if (mode == "run") return runAll(s, fullCases(), filter, 5, 20, top > 0 ? top : 8);
    if (mode == "run-small") return runAll(s, smallCases(), filter, 1, 3, 3);
  } catch (const NativeFailure& e) {
    std::fprintf(stderr, "model_check: %s (%s)\n", e.what(), e.info().code.c_str());
    return 2;
  }
  std::fprintf(stderr,
               "usage: model_check grad [step, default 1e-2] | loss | infer-match | run [name filter [layers shown]] | "
               "run-small "
               "[name filter] | "
               "dump DIR [own|library]\n");
  return 2;
}

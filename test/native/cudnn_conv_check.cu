// A standalone check and benchmark of the convolution forward through cuDNN's graph API
// (native/libraries/cudnn_conv_graph.h) beside cuDNN's legacy API, without Node. Built by
// `scripts/gpu/run.sh nn-check` against the native archive; run `cudnn_conv_check [verify|bench]`.
//
//   verify   ResNet shapes (the 7x7 s2 stem with c = 3, 1x1 s1, 3x3 s1 and s2, 1x1 s2) at batch 1
//            and 32, and ragged ones (odd h and w, channels not multiples of 8). Inputs random bf16 in
//            [-1, 1) (fillRandomBf16), outputs NaN-poisoned before each run. Every plan the graph path
//            timed (not only the one it chose: another run may choose another) runs once and is
//            compared with a float64 reference on the host (up to 4096 sampled outputs) and with the
//            legacy cudnnConvolutionForward (its fastest algorithm by cudnnFind) on every output. One
//            line per plan and reference: `PASS|FAIL graph <engine> <shape> vs <reference> maxAbsErr
//            relErr bound`, relErr = max |got - ref| / (|ref| + 1e-2 max |ref|); then the legacy path
//            itself against float64. Bound 1e-2: a bf16 result (relative 2^-9) of an fp32 sum, with the
//            floor for outputs that cancel to near 0 (the order of an fp32 sum of bf16 products moves
//            them by far less than 1e-2 of the largest). A shape cuDNN refuses or fails on prints
//            `FAIL <shape>: <what cuDNN said>`. Exit status 1 if any line fails.
//            The backward directions through the graph API (as the models' library path runs
//            them): every plan timed for dx = dgrad(dy, w), dx += dgrad(dy, w) and dw = wgrad(x, dy),
//            sampled entries against float64.
//            The project's own kernel (kernels/conv.cu) too, as the models' own path runs it: its
//            default tile, the plan planConv makes for 132 SMs (split K, the 128x64 tile, or the
//            gather where c % 8 != 0), and split K forced into 3 slices, against the same float64
//            reference, each with every trace record written; and each of them again with the epilogue
//            the models' own inference fuses (ConvArgs::epilogue: batch norm with random statistics, a
//            random residual, ReLU) against the float64 sums put through the same.
//   bench    every ResNet-50 convolution shape (224 x 224) at batch 1 and 32: the legacy path (Find's
//            fastest algorithm), the graph path (the plan it chose) and the own kernel (as planConv
//            plans it for this device), median of 30 launches after 5 of warm-up (CUDA events),
//            TFLOP/s, and the sum over the network (each shape times its count in ResNet-50): the
//            forward convolutions' share of one inference step; the own kernel also with the epilogue
//            of the models' own inference (norm, residual, ReLU: "+bn us").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include "../../kernels/launch.h"
#include "../../native/core/errors.h"
#include "../../native/libraries/cudnn_api.h"
#include "../../native/libraries/cudnn_conv_graph.h"
#include "check.h"

using namespace gsm;

namespace {

int gFailures = 0;
int gLines = 0;

struct Shape {
  int n, c, h, w, k, r, s, stride, pad;
  int count = 1;  // bench: how many convolutions of ResNet-50 have this shape
  int p() const { return (h + 2 * pad - r) / stride + 1; }
  int q() const { return (w + 2 * pad - s) / stride + 1; }
  size_t xCount() const { return static_cast<size_t>(n) * h * w * c; }
  size_t wCount() const { return static_cast<size_t>(k) * r * s * c; }
  size_t yCount() const { return static_cast<size_t>(n) * p() * q() * k; }
  double flops() const { return 2.0 * n * p() * q() * static_cast<double>(k) * c * r * s; }
  std::string text() const {
    char t[128];
    std::snprintf(t, sizeof t, "n=%d,c=%d,h=%d,w=%d,k=%d,%dx%d,s%d,p%d", n, c, h, w, k, r, s, stride, pad);
    return t;
  }
  ConvGraphShape graph() const { return {n, c, h, w, k, r, s, stride, pad, p(), q()}; }
};

double bf16ToDouble(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// The legacy API's descriptors for one shape, with Find's fastest algorithm that succeeded.
struct Legacy {
  const CudnnApi& api = cudnnApi();
  cudnn::Descriptor x = nullptr, w = nullptr, y = nullptr, conv = nullptr;
  int algo = -1;
  size_t workspace = 0;
  float findMs = 0;
  Legacy(cudnn::Handle handle, const Shape& a) {
    GSM_CUDNN(api.createTensorDescriptor(&x));
    GSM_CUDNN(api.setTensor4dDescriptor(x, cudnn::kNhwc, cudnn::kBfloat16, a.n, a.c, a.h, a.w));
    GSM_CUDNN(api.createFilterDescriptor(&w));
    GSM_CUDNN(api.setFilter4dDescriptor(w, cudnn::kBfloat16, cudnn::kNhwc, a.k, a.c, a.r, a.s));
    GSM_CUDNN(api.createConvolutionDescriptor(&conv));
    GSM_CUDNN(api.setConvolution2dDescriptor(conv, a.pad, a.pad, a.stride, a.stride, 1, 1, cudnn::kCrossCorrelation,
                                             cudnn::kFloat));
    GSM_CUDNN(api.setConvolutionMathType(conv, cudnn::kTensorOpMath));
    GSM_CUDNN(api.createTensorDescriptor(&y));
    GSM_CUDNN(api.setTensor4dDescriptor(y, cudnn::kNhwc, cudnn::kBfloat16, a.n, a.k, a.p(), a.q()));
    cudnn::ConvFwdAlgoPerf results[16] = {};
    int returned = 0;
    GSM_CUDNN(api.findConvolutionForwardAlgorithm(handle, x, w, conv, y, 16, &returned, results));
    for (int i = 0; i < returned && algo < 0; ++i) {
      if (results[i].status == cudnn::kSuccess) {
        algo = results[i].algo;
        workspace = results[i].memory;
        findMs = results[i].time;
      }
    }
    if (algo < 0) throw NativeFailure({"ERR_LIBRARY", "legacy: no algorithm for " + a.text(), "", ""});
  }
  ~Legacy() {
    api.destroyTensorDescriptor(x);
    api.destroyTensorDescriptor(y);
    api.destroyFilterDescriptor(w);
    api.destroyConvolutionDescriptor(conv);
  }
  cudaError_t run(cudnn::Handle handle, const void* xd, const void* wd, void* yd, void* ws) const {
    const float alpha = 1.0f, beta = 0.0f;
    return cudnnLaunchResult(
        api.convolutionForward(handle, &alpha, x, xd, w, wd, conv, algo, ws, workspace, &beta, y, yd),
        "cudnnConvolutionForward");
  }
};

struct Errors {
  double maxAbs = 0, rel = 0;
  size_t nonFinite = 0;
};

// got and ref at the same positions; floor 1e-2 of the largest |ref|. `magnitude` (optional): the
// scale each error is relative to instead of |ref| — for a sum a + b, |a| + |b|: where the two
// cancel, a rounding of either (cuDNN's accumulating engines round the new term to bf16 before the
// add, as PyTorch's autograd does when it adds two bf16 gradients) is not small next to |a + b|.
Errors compare(const std::vector<double>& got, const std::vector<double>& ref,
               const std::vector<double>* magnitude = nullptr) {
  Errors e;
  double maxRef = 0;
  for (double r : ref) maxRef = std::max(maxRef, std::fabs(r));
  const double floor = std::max(1e-2 * maxRef, 1e-30);
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) {
      ++e.nonFinite;
      continue;
    }
    const double d = std::fabs(got[i] - ref[i]);
    e.maxAbs = std::max(e.maxAbs, d);
    e.rel = std::max(e.rel, d / ((magnitude != nullptr ? (*magnitude)[i] : std::fabs(ref[i])) + floor));
  }
  return e;
}

void line(const std::string& what, const Errors& e) {
  constexpr double kBound = 1e-2;
  const bool pass = e.nonFinite == 0 && e.rel <= kBound;
  ++gLines;
  if (!pass) ++gFailures;
  std::printf("%s %s maxAbsErr=%.3e relErr=%.3e bound=%.0e", pass ? "PASS" : "FAIL", what.c_str(), e.maxAbs, e.rel,
              kBound);
  if (e.nonFinite != 0) std::printf(" nonFinite=%zu", e.nonFinite);
  std::printf("\n");
}

// Output indices to check against float64: every one up to 4096, else 4096 spread by a fixed LCG.
std::vector<size_t> sampleOutputs(size_t count) {
  std::vector<size_t> idx;
  if (count <= 4096) {
    for (size_t i = 0; i < count; ++i) idx.push_back(i);
    return idx;
  }
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 4096; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    idx.push_back(static_cast<size_t>((state >> 17) % count));
  }
  idx.push_back(0);
  idx.push_back(count - 1);
  return idx;
}

std::vector<double> reference(const Shape& a, const std::vector<uint16_t>& x, const std::vector<uint16_t>& w,
                              const std::vector<size_t>& idx) {
  std::vector<double> out;
  out.reserve(idx.size());
  const int p = a.p(), q = a.q();
  for (size_t i : idx) {
    const int k = static_cast<int>(i % a.k);
    const int oq = static_cast<int>((i / a.k) % q);
    const int op = static_cast<int>((i / (static_cast<size_t>(a.k) * q)) % p);
    const int n = static_cast<int>(i / (static_cast<size_t>(a.k) * q * p));
    double sum = 0;
    for (int r = 0; r < a.r; ++r) {
      const int ih = op * a.stride - a.pad + r;
      if (ih < 0 || ih >= a.h) continue;
      for (int s = 0; s < a.s; ++s) {
        const int iw = oq * a.stride - a.pad + s;
        if (iw < 0 || iw >= a.w) continue;
        const size_t xBase = ((static_cast<size_t>(n) * a.h + ih) * a.w + iw) * a.c;
        const size_t wBase = ((static_cast<size_t>(k) * a.r + r) * a.s + s) * a.c;
        for (int c = 0; c < a.c; ++c) sum += bf16ToDouble(x[xBase + c]) * bf16ToDouble(w[wBase + c]);
      }
    }
    out.push_back(sum);
  }
  return out;
}

std::vector<double> pick(const std::vector<uint16_t>& y, const std::vector<size_t>& idx) {
  std::vector<double> out;
  for (size_t i : idx) out.push_back(bf16ToDouble(y[i]));
  return out;
}

std::vector<double> widen(const std::vector<uint16_t>& y) {
  std::vector<double> out(y.size());
  for (size_t i = 0; i < y.size(); ++i) out[i] = bf16ToDouble(y[i]);
  return out;
}

// An eval-mode batch norm with a residual and a ReLU (ConvArgs::epilogue) for the own kernel's check:
// random per-channel statistics scaled to the sums' spread (rms over the sampled outputs), so that the
// normalised values are of the order of the residual's (bf16 in [-1, 1)).
struct FusedNorm {
  std::vector<float> gamma, beta, mean, var;
  std::vector<uint16_t> residual;
  Buf<float> d;  // gamma, beta, mean, var back to back on the device
  FusedNorm(const Shape& a, const std::vector<double>& ref, std::vector<uint16_t> res, uint64_t seed)
      : residual(std::move(res)), d(4 * static_cast<size_t>(a.k)) {
    double squares = 0;
    for (double r : ref) squares += r * r;
    const double rms = std::max(std::sqrt(squares / std::max<size_t>(ref.size(), 1)), 1e-3);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int k = 0; k < a.k; ++k) {
      gamma.push_back(static_cast<float>(0.5 + u(rng)));
      beta.push_back(static_cast<float>(u(rng) - 0.5));
      mean.push_back(static_cast<float>(rms * (u(rng) - 0.5)));
      var.push_back(static_cast<float>(rms * rms * (0.5 + 1.5 * u(rng))));
    }
    std::vector<float> all = gamma;
    all.insert(all.end(), beta.begin(), beta.end());
    all.insert(all.end(), mean.begin(), mean.end());
    all.insert(all.end(), var.begin(), var.end());
    d.put(all);
  }
  ConvEpilogue args(const uint16_t* residualDevice) const {
    ConvEpilogue e;
    const size_t k = gamma.size();
    e.gamma = d.d, e.beta = d.d + k, e.mean = d.d + 2 * k, e.var = d.d + 3 * k;
    e.residual = residualDevice;
    e.relu = true;
    return e;
  }
  // relu(gamma (sum - mean) / sqrt(var + eps) + beta + residual) at the sampled outputs, in float64;
  // *magnitude: the sum of the three terms' magnitudes (compare's scale where they cancel).
  std::vector<double> apply(const Shape& a, const std::vector<double>& sums, const std::vector<size_t>& idx,
                            std::vector<double>* magnitude) const {
    std::vector<double> out;
    magnitude->clear();
    for (size_t j = 0; j < idx.size(); ++j) {
      const size_t k = idx[j] % static_cast<size_t>(a.k);
      const double normed = gamma[k] * (sums[j] - mean[k]) / std::sqrt(static_cast<double>(var[k]) + 1e-5);
      const double r = bf16ToDouble(residual[idx[j]]);
      out.push_back(std::max(normed + beta[k] + r, 0.0));
      magnitude->push_back(std::fabs(normed) + std::fabs(beta[k]) + std::fabs(r));
    }
    return out;
  }
};

void verifyShape(cudnn::Handle handle, const Shape& a, uint64_t seed) {
  Buf<uint16_t> x(a.xCount()), w(a.wCount()), y(a.yCount()), yLegacy(a.yCount());
  CHECK(fillRandomBf16(x.d, x.n, seed, nullptr));
  CHECK(fillRandomBf16(w.d, w.n, seed + 1, nullptr));
  CHECK(cudaDeviceSynchronize());
  const std::vector<uint16_t> hx = x.get(), hw = w.get();
  const std::vector<size_t> idx = sampleOutputs(a.yCount());
  const std::vector<double> ref = reference(a, hx, hw, idx);

  const Legacy legacy(handle, a);
  Buf<char> legacyWs(legacy.workspace);
  yLegacy.poison();
  GSM_CUDA(legacy.run(handle, x.d, w.d, yLegacy.d, legacyWs.d));  // a cuDNN failure: FAIL with its message
  CHECK(cudaDeviceSynchronize());
  const std::vector<double> legacyAll = widen(yLegacy.get());
  line("legacy algo" + std::to_string(legacy.algo) + " " + a.text() + " vs float64",
       compare(pick(yLegacy.get(), idx), ref));

  // The project's own kernel (kernels/conv.cu) as the models' own path runs it: its default tile, the
  // plan planConv makes for 132 SMs (split K, the 128x64 tile, or for c % 8 != 0 the gather), and split
  // K forced into 3 slices (every shape with c % 8 == 0), each with every trace record written.
  bool sm90a = false;
  CHECK(sm90aAvailable(0, nullptr, &sm90a));
  Buf<uint16_t> residual(a.yCount());
  CHECK(fillRandomBf16(residual.d, residual.n, seed + 2, nullptr));
  const FusedNorm norm(a, ref, residual.get(), seed + 3);
  for (int form = 0; form < 3; ++form) {
    ConvArgs c{};
    c.n = a.n, c.c = a.c, c.h = a.h, c.w = a.w, c.k = a.k, c.r = a.r, c.s = a.s, c.stride = a.stride, c.pad = a.pad;
    c.p = a.p(), c.q = a.q();
    c.x = x.d, c.filter = w.d, c.y = y.d, c.sm90a = sm90a;
    std::string name = "own default";
    if (form == 1) {
      planConv(&c, 132);
      if (c.splits < 2 && c.variant < 0 && c.gatherRows == 0) continue;
      name = c.gatherRows > 0 ? "own gather, " + std::to_string(c.gatherRows) + " rows a chunk (planned)"
             : c.splits > 1   ? "own split " + std::to_string(c.splits) + " (planned)"
                              : "own 128x64 tile (planned)";
    } else if (form == 2) {
      if (a.c % 8 != 0 || a.r * a.s * a.c < 3 * 32) continue;
      c.splits = 3;
      c.sumCtas = 7;
      name = "own split 3 (forced)";
    }
    Buf<char> workspace(convWorkspaceBytes(c));
    c.workspace = workspace.d;
    Buf<Interval> trace(static_cast<size_t>(convCtaCount(c)));
    CHECK(cudaMemset(trace.d, 0, trace.n * sizeof(Interval)));
    CHECK(configureConv(c));
    y.poison();
    CHECK(launchConvBf16(c, trace.d, nullptr));
    CHECK(cudaDeviceSynchronize());
    const std::vector<Interval> records = trace.get();
    const size_t unwritten =
        std::count_if(records.begin(), records.end(), [](const Interval& i) { return i.startNs == 0; });
    Errors e = compare(pick(y.get(), idx), ref);
    if (unwritten > 0) e.nonFinite += unwritten;  // counted as a failure, said below
    line(name + " " + a.text() + " vs float64 (" + std::to_string(records.size()) + " trace records, " +
             std::to_string(unwritten) + " unwritten)",
         e);

    // The same launch with the epilogue the models' own inference path fuses: the norm, the residual
    // and the ReLU on the fp32 sums, against them applied to the float64 sums.
    c.epilogue = norm.args(residual.d);
    y.poison();
    CHECK(launchConvBf16(c, nullptr, nullptr));
    CHECK(cudaDeviceSynchronize());
    std::vector<double> magnitude;
    const std::vector<double> refNorm = norm.apply(a, ref, idx, &magnitude);
    line(name + " + bn+add+relu " + a.text() + " vs float64", compare(pick(y.get(), idx), refNorm, &magnitude));
  }

  ConvPlanOptions options;
  options.keepCandidates = true;
  const ConvGraphPlan plan(handle, a.graph(), x.d, w.d, y.d, nullptr, a.text(), options);
  std::printf("graph %s: chosen %s\n", a.text().c_str(), plan.describe().c_str());
  int64_t largest = 0;
  for (const ConvPlanCandidate& c : plan.candidates()) largest = std::max(largest, c.workspace);
  Buf<char> ws(static_cast<size_t>(largest));
  ConvGraphPack pack;
  for (size_t i = 0; i < plan.candidates().size(); ++i) {
    const ConvPlanCandidate& c = plan.candidates()[i];
    if (plan.candidatePlan(i) == nullptr) {
      std::printf("SKIP graph %s %s: did not run at timing (%s)\n", c.engine.c_str(), a.text().c_str(),
                  c.refused.c_str());
      continue;
    }
    y.poison();
    GSM_CUDA(pack.execute(handle, plan, x.d, w.d, y.d, ws.d, ws.n, plan.candidatePlan(i)));
    CHECK(cudaDeviceSynchronize());
    const std::vector<uint16_t> hy = y.get();
    const std::string name = "graph " + c.engine + (i == plan.chosenIndex() ? " (chosen) " : " ") + a.text();
    line(name + " vs float64", compare(pick(hy, idx), ref));
    line(name + " vs legacy", compare(widen(hy), legacyAll));
  }
  // The chosen plan through the ordinary path (its own workspace size).
  y.poison();
  Buf<char> chosenWs(static_cast<size_t>(plan.workspace()));
  ConvGraphPack chosenPack;
  GSM_CUDA(chosenPack.execute(handle, plan, x.d, w.d, y.d, chosenWs.d, chosenWs.n));
  CHECK(cudaDeviceSynchronize());
  line("graph chosen " + plan.engine() + " " + a.text() + " execute() vs legacy", compare(widen(y.get()), legacyAll));
}

// Sampled entries of dx = dgrad(dy, w) (NHWC, x's shape) and of dw = wgrad(x, dy) (KRSC), in float64.
std::vector<double> referenceDx(const Shape& a, const std::vector<uint16_t>& dy, const std::vector<uint16_t>& w,
                                const std::vector<size_t>& idx) {
  std::vector<double> out;
  const int p = a.p(), q = a.q();
  for (size_t i : idx) {
    const int c = static_cast<int>(i % a.c);
    const int iw = static_cast<int>((i / a.c) % a.w);
    const int ih = static_cast<int>((i / (static_cast<size_t>(a.c) * a.w)) % a.h);
    const int n = static_cast<int>(i / (static_cast<size_t>(a.c) * a.w * a.h));
    double sum = 0;
    for (int r = 0; r < a.r; ++r) {
      const int top = ih + a.pad - r;  // op * stride
      if (top < 0 || top % a.stride != 0 || top / a.stride >= p) continue;
      for (int s = 0; s < a.s; ++s) {
        const int left = iw + a.pad - s;
        if (left < 0 || left % a.stride != 0 || left / a.stride >= q) continue;
        const size_t dyBase = ((static_cast<size_t>(n) * p + top / a.stride) * q + left / a.stride) * a.k;
        for (int k = 0; k < a.k; ++k) {
          sum +=
              bf16ToDouble(dy[dyBase + k]) * bf16ToDouble(w[((static_cast<size_t>(k) * a.r + r) * a.s + s) * a.c + c]);
        }
      }
    }
    out.push_back(sum);
  }
  return out;
}

std::vector<double> referenceDw(const Shape& a, const std::vector<uint16_t>& x, const std::vector<uint16_t>& dy,
                                const std::vector<size_t>& idx) {
  std::vector<double> out;
  const int p = a.p(), q = a.q();
  for (size_t i : idx) {
    const int c = static_cast<int>(i % a.c);
    const int s = static_cast<int>((i / a.c) % a.s);
    const int r = static_cast<int>((i / (static_cast<size_t>(a.c) * a.s)) % a.r);
    const int k = static_cast<int>(i / (static_cast<size_t>(a.c) * a.s * a.r));
    double sum = 0;
    for (int n = 0; n < a.n; ++n) {
      for (int op = 0; op < p; ++op) {
        const int ih = op * a.stride - a.pad + r;
        if (ih < 0 || ih >= a.h) continue;
        for (int oq = 0; oq < q; ++oq) {
          const int iw = oq * a.stride - a.pad + s;
          if (iw < 0 || iw >= a.w) continue;
          sum += bf16ToDouble(dy[((static_cast<size_t>(n) * p + op) * q + oq) * a.k + k]) *
                 bf16ToDouble(x[((static_cast<size_t>(n) * a.h + ih) * a.w + iw) * a.c + c]);
        }
      }
    }
    out.push_back(sum);
  }
  return out;
}

// The backward directions through the graph API, as the models' library path runs them: every plan
// timed for dx = dgrad(dy, w) (beta 0), for dx += dgrad(dy, w) (beta 1: dx held random values) and for
// dw = wgrad(x, dy), sampled entries against float64. (The bound's floor, 1e-2 of the largest
// reference, also covers a long fp32 sum of products in dw.)
void verifyBackward(cudnn::Handle handle, const Shape& a, uint64_t seed) {
  Buf<uint16_t> x(a.xCount()), w(a.wCount()), dy(a.yCount()), dx(a.xCount()), dw(a.wCount());
  CHECK(fillRandomBf16(x.d, x.n, seed, nullptr));
  CHECK(fillRandomBf16(w.d, w.n, seed + 1, nullptr));
  CHECK(fillRandomBf16(dy.d, dy.n, seed + 2, nullptr));
  CHECK(cudaDeviceSynchronize());
  const std::vector<uint16_t> hx = x.get(), hw = w.get(), hdy = dy.get();
  const std::vector<size_t> idxX = sampleOutputs(a.xCount()), idxW = sampleOutputs(a.wCount());
  const std::vector<double> refDx = referenceDx(a, hdy, hw, idxX), refDw = referenceDw(a, hx, hdy, idxW);
  struct Case {
    ConvDirection direction;
    float beta;
    const char* name;
  };
  for (const Case& k : {Case{ConvDirection::BackwardData, 0.0f, "backward data"},
                        Case{ConvDirection::BackwardData, 1.0f, "backward data (+=)"},
                        Case{ConvDirection::BackwardFilter, 0.0f, "backward filter"}}) {
    const bool data = k.direction == ConvDirection::BackwardData;
    ConvPlanOptions options;
    options.keepCandidates = true;
    options.direction = k.direction;
    options.beta = k.beta;
    // The graph's x, w, y: dx, w, dy (backward data) or x, dw, dy (backward filter).
    const ConvGraphPlan plan(handle, a.graph(), data ? dx.d : x.d, data ? w.d : dw.d, dy.d, nullptr, a.text(), options);
    std::printf("graph %s %s: chosen %s\n", k.name, a.text().c_str(), plan.describe().c_str());
    int64_t largest = 0;
    for (const ConvPlanCandidate& c : plan.candidates()) largest = std::max(largest, c.workspace);
    Buf<char> ws(static_cast<size_t>(largest));
    ConvGraphPack pack;
    for (size_t i = 0; i < plan.candidates().size(); ++i) {
      const ConvPlanCandidate& c = plan.candidates()[i];
      if (plan.candidatePlan(i) == nullptr) {
        std::printf("SKIP graph %s %s %s: did not run at timing (%s)\n", c.engine.c_str(), k.name, a.text().c_str(),
                    c.refused.c_str());
        continue;
      }
      std::vector<double> ref = data ? refDx : refDw;
      std::vector<double> magnitude;  // beta 1: |dgrad| + |what dx held| (see compare)
      if (k.beta != 0.0f) {           // dx holds random values, which the plan adds to
        CHECK(fillRandomBf16(dx.d, dx.n, seed + 3 + i, nullptr));
        CHECK(cudaDeviceSynchronize());
        const std::vector<uint16_t> before = dx.get();
        for (size_t j = 0; j < idxX.size(); ++j) {
          const double held = bf16ToDouble(before[idxX[j]]);
          magnitude.push_back(std::fabs(ref[j]) + std::fabs(held));
          ref[j] += held;
        }
      } else if (data) {
        dx.poison();
      } else {
        dw.poison();
      }
      GSM_CUDA(
          pack.execute(handle, plan, data ? dx.d : x.d, data ? w.d : dw.d, dy.d, ws.d, ws.n, plan.candidatePlan(i)));
      CHECK(cudaDeviceSynchronize());
      line(
          "graph " + c.engine + (i == plan.chosenIndex() ? " (chosen) " : " ") + k.name + " " + a.text() +
              " vs float64",
          compare(pick(data ? dx.get() : dw.get(), data ? idxX : idxW), ref, magnitude.empty() ? nullptr : &magnitude));
    }
  }
}

void verify() {
  cudnn::Handle handle = nullptr;
  GSM_CUDNN(cudnnApi().create(&handle));
  std::printf("cuDNN %zu\n", cudnnApi().version);
  const Shape shapes[] = {
      {1, 3, 224, 224, 64, 7, 7, 2, 3},     // the stem, batch 1
      {32, 3, 224, 224, 64, 7, 7, 2, 3},    // the stem, batch 32
      {32, 64, 56, 56, 256, 1, 1, 1, 0},    // 1x1 s1
      {1, 256, 56, 56, 64, 1, 1, 1, 0},     // 1x1 s1, batch 1
      {32, 256, 56, 56, 128, 1, 1, 1, 0},   // layer2.0.conv1
      {32, 64, 56, 56, 64, 3, 3, 1, 1},     // 3x3 s1
      {1, 512, 7, 7, 512, 3, 3, 1, 1},      // 3x3 s1, batch 1, 7x7
      {32, 128, 56, 56, 128, 3, 3, 2, 1},   // 3x3 s2
      {32, 256, 56, 56, 512, 1, 1, 2, 0},   // 1x1 s2 (downsample)
      {1, 1024, 14, 14, 2048, 1, 1, 2, 0},  // 1x1 s2, batch 1
      {3, 5, 13, 11, 7, 3, 3, 1, 1},        // ragged: odd everything
      {2, 3, 17, 15, 9, 7, 7, 2, 3},        // ragged stem
      {1, 24, 9, 7, 40, 1, 1, 2, 0},        // ragged 1x1 s2
      {5, 16, 31, 29, 8, 3, 3, 2, 1},       // ragged 3x3 s2
      {7, 64, 15, 13, 64, 3, 3, 1, 1},      // odd h, w with aligned channels
  };
  uint64_t seed = 100;
  for (const Shape& a : shapes) {
    try {
      verifyShape(handle, a, seed);
      verifyBackward(handle, a, seed + 5);
    } catch (const NativeFailure& f) {
      ++gLines;
      ++gFailures;
      std::printf("FAIL %s: %s\n", a.text().c_str(), f.what());
    }
    seed += 10;
  }
  cudnnApi().destroy(handle);
}

void bench() {
  cudnn::Handle handle = nullptr;
  GSM_CUDNN(cudnnApi().create(&handle));
  std::printf("cuDNN %zu; median of 30 launches after 5 of warm-up, CUDA events; sum = count x time\n",
              cudnnApi().version);
  // ResNet-50 v1.5 at 224 x 224: {c, h, k, kernel, stride, pad, count} (square inputs).
  struct Layer {
    int c, h, k, r, stride, pad, count;
    const char* name;
  };
  const Layer layers[] = {
      {3, 224, 64, 7, 2, 3, 1, "conv1"},
      {64, 56, 64, 1, 1, 0, 1, "layer1.0.conv1"},
      {64, 56, 64, 3, 1, 1, 3, "layer1.x.conv2"},
      {64, 56, 256, 1, 1, 0, 4, "layer1.x.conv3 + downsample"},
      {256, 56, 64, 1, 1, 0, 2, "layer1.1-2.conv1"},
      {256, 56, 128, 1, 1, 0, 1, "layer2.0.conv1"},
      {128, 56, 128, 3, 2, 1, 1, "layer2.0.conv2"},
      {128, 28, 512, 1, 1, 0, 4, "layer2.x.conv3"},
      {256, 56, 512, 1, 2, 0, 1, "layer2.0.downsample"},
      {512, 28, 128, 1, 1, 0, 3, "layer2.1-3.conv1"},
      {128, 28, 128, 3, 1, 1, 3, "layer2.1-3.conv2"},
      {512, 28, 256, 1, 1, 0, 1, "layer3.0.conv1"},
      {256, 28, 256, 3, 2, 1, 1, "layer3.0.conv2"},
      {256, 14, 1024, 1, 1, 0, 6, "layer3.x.conv3"},
      {512, 28, 1024, 1, 2, 0, 1, "layer3.0.downsample"},
      {1024, 14, 256, 1, 1, 0, 5, "layer3.1-5.conv1"},
      {256, 14, 256, 3, 1, 1, 5, "layer3.1-5.conv2"},
      {1024, 14, 512, 1, 1, 0, 1, "layer4.0.conv1"},
      {512, 14, 512, 3, 2, 1, 1, "layer4.0.conv2"},
      {512, 7, 2048, 1, 1, 0, 3, "layer4.x.conv3"},
      {1024, 14, 2048, 1, 2, 0, 1, "layer4.0.downsample"},
      {2048, 7, 512, 1, 1, 0, 2, "layer4.1-2.conv1"},
      {512, 7, 512, 3, 1, 1, 2, "layer4.1-2.conv2"},
  };
  bool sm90a = false;
  CHECK(sm90aAvailable(0, nullptr, &sm90a));
  for (const int batch : {1, 32}) {
    double legacySum = 0, graphSum = 0, ownSum = 0, fusedSum = 0;
    int convs = 0;
    std::printf("\nbatch %d\n%-28s %5s %-9s %9s %7s  %-34s %9s %7s %6s %9s %-6s %6s %7s %9s\n", batch, "layer", "count",
                "legacy", "us", "TFLOP/s", "graph engine", "us", "TFLOP/s", "g/l", "own us", "split", "o/g", "t4 us",
                "+bn us");
    for (const Layer& l : layers) {
      try {
        const Shape a{batch, l.c, l.h, l.h, l.k, l.r, l.r, l.stride, l.pad, l.count};
        Buf<uint16_t> x(a.xCount()), w(a.wCount()), y(a.yCount());
        CHECK(fillRandomBf16(x.d, x.n, 1, nullptr));
        CHECK(fillRandomBf16(w.d, w.n, 2, nullptr));
        CHECK(cudaDeviceSynchronize());
        const Legacy legacy(handle, a);
        Buf<char> legacyWs(legacy.workspace);
        const double legacyMs = medianLaunchMs([&] { return legacy.run(handle, x.d, w.d, y.d, legacyWs.d); });
        const ConvGraphPlan plan(handle, a.graph(), x.d, w.d, y.d, nullptr, l.name);
        Buf<char> ws(static_cast<size_t>(plan.workspace()));
        ConvGraphPack pack;
        const double graphMs = medianLaunchMs([&] { return pack.execute(handle, plan, x.d, w.d, y.d, ws.d, ws.n); });
        // The own kernel as the models' own path runs it (split K as planned for this device's SMs).
        int sms = 0;
        CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
        ConvArgs c{};
        c.n = a.n, c.c = a.c, c.h = a.h, c.w = a.w, c.k = a.k, c.r = a.r, c.s = a.s, c.stride = a.stride;
        c.pad = a.pad, c.p = a.p(), c.q = a.q(), c.x = x.d, c.filter = w.d, c.y = y.d, c.sm90a = sm90a;
        planConv(&c, sms);
        Buf<char> workspace(convWorkspaceBytes(c));
        c.workspace = workspace.d;
        CHECK(configureConv(c));
        const double ownMs = medianLaunchMs([&] { return launchConvBf16(c, nullptr, nullptr); });
        // The 128x64 mma.sync tile unsplit (more CTAs than the default tile, no second kernel).
        ConvArgs t4 = c;
        t4.splits = 1, t4.sumCtas = 0, t4.variant = 4;
        CHECK(configureConv(t4));
        const double t4Ms = medianLaunchMs([&] { return launchConvBf16(t4, nullptr, nullptr); });
        // The own kernel as the models' own inference runs it: with the batch norm, a residual and the ReLU
        // in its epilogue (identity statistics: the time does not depend on their values).
        Buf<uint16_t> residual(a.yCount());
        CHECK(fillRandomBf16(residual.d, residual.n, 3, nullptr));
        Buf<float> norm(4 * static_cast<size_t>(a.k));
        std::vector<float> identity(4 * static_cast<size_t>(a.k), 0.0f);
        std::fill(identity.begin(), identity.begin() + a.k, 1.0f);          // gamma
        std::fill(identity.begin() + 3 * a.k, identity.end(), 1.0f);        // var
        norm.put(identity);
        ConvArgs fused = c;
        fused.epilogue.gamma = norm.d, fused.epilogue.beta = norm.d + a.k, fused.epilogue.mean = norm.d + 2 * a.k;
        fused.epilogue.var = norm.d + 3 * a.k, fused.epilogue.residual = residual.d, fused.epilogue.relu = true;
        CHECK(configureConv(fused));
        const double fusedMs = medianLaunchMs([&] { return launchConvBf16(fused, nullptr, nullptr); });
        legacySum += l.count * legacyMs;
        graphSum += l.count * graphMs;
        ownSum += l.count * ownMs;
        fusedSum += l.count * fusedMs;
        convs += l.count;
        std::printf("%-28s %5d algo%-5d %9.1f %7.1f  %-34s %9.1f %7.1f %6.2f %9.1f %-6d %6.2f %7.1f %9.1f\n", l.name,
                    l.count, legacy.algo, legacyMs * 1e3, a.flops() / (legacyMs * 1e-3) / 1e12,
                    plan.engine().substr(0, 34).c_str(), graphMs * 1e3, a.flops() / (graphMs * 1e-3) / 1e12,
                    graphMs / legacyMs, ownMs * 1e3, c.splits, ownMs / graphMs, t4Ms * 1e3, fusedMs * 1e3);
        if (std::getenv("GSM_VERBOSE") != nullptr) std::printf("  %s\n", plan.describe().c_str());
      } catch (const NativeFailure& f) { std::printf("%-28s FAILED: %s\n", l.name, f.what()); }
    }
    std::printf(
        "batch %d: %d convolutions, sum legacy %.3f ms, graph %.3f ms (graph / legacy %.2f), own %.3f ms (own / "
        "graph %.2f), own with the norm, a residual and the ReLU in its epilogue %.3f ms\n",
        batch, convs, legacySum, graphSum, graphSum / legacySum, ownSum, ownSum / graphSum, fusedSum);
  }
  cudnnApi().destroy(handle);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "verify";
  try {
    if (mode == "verify") {
      verify();
    } else if (mode == "bench") {
      bench();
      return 0;
    } else {
      std::fprintf(stderr, "usage: cudnn_conv_check [verify|bench] (got '%s')\n", mode.c_str());
      return 2;
    }
  } catch (const NativeFailure& f) {
    std::fprintf(stderr, "cudnn_conv_check: %s\n", f.what());
    return 2;
  }
  std::printf("%d of %d checks passed\n", gLines - gFailures, gLines);
  return gFailures == 0 ? 0 : 1;
}

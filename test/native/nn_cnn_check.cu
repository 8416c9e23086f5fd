// A standalone check and benchmark of the CNN, elementwise, optimizer and loss kernels of kernels/nn.h
// (kernels/nn_cnn.cu, nn_elementwise.cu, nn_optim.cu) against a float64 reference on the host, without
// Node. Run `nn_cnn_check [verify|sanitize|bench]` (verify is the default).
//
//   verify    every kernel on small ragged shapes (channels not multiples of 8: the scalar paths; odd
//             counts: the tails; unaligned pointers) and realistic ones (the 16-byte paths). Inputs are
//             random on the GPU (fillRandomBf16 / fillRandomFloat), outputs NaN-poisoned first (an
//             element never written fails), the reference is computed in double from the same
//             bf16-rounded inputs. One line per output: `PASS|FAIL kernel shape maxAbsErr relErr bound`
//             with relErr = max |got - ref| / (|ref| + floor max|ref|) (floor 1e-3 for elementwise
//             outputs, 1 for reductions, whose meaningful precision is the data's scale), and one line per
//             launch for its CTA trace: every one of nnCtas(args) records written (a start time,
//             smid < SM count) and the record after them untouched. Exit status 1 if any line fails.
//   sanitize  the small shapes only: one small launch of each kernel, checked the same way (for
//             compute-sanitizer memcheck / racecheck / initcheck).
//   bench     median time (CUDA events around each launch, after warm-up) and effective bandwidth
//             (the bytes the algorithm must move at least, over the time) of BN forward and backward at
//             401408 x 256 and 100352 x 1024, ReLU backward and add, SGD over 25.6M parameters, AdamW
//             over 110M, max pooling at ImageNet batch 128 (128 x 112 x 112 x 64, 3x3 s2 p1).
//
// Bounds, per output type:
//   bf16 outputs 1e-2: the result is rounded to bf16 (relative 2^-9 = 2e-3) after fp32 arithmetic
//     (relative ~1e-6); 1e-2 leaves margin for one more rounding of an input-sized term.
//   exact outputs 0: max pooling's maximum and window position (a maximum is one of the inputs), the
//     fp32 -> bf16 cast (round to nearest even) and the optimizers' bf16 copies of their own fp32 results.
//   fp32 elementwise outputs (SGD, AdamW) 1e-5: a few fp32 operations per element.
//   fp32 reductions (BN statistics, dgamma, dbeta, dbias, the loss) 1e-4: fp32 partial sums added in
//     double; the loss 1e-5 relative.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>
#include "../../kernels/nn.h"
#include "check.h"

using namespace gsm;

namespace {

int gSms = 0;
int gFailures = 0;
int gLines = 0;

// ---------------------------------------------------------------- host helpers ----

double bf16ToDouble(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

uint16_t floatToBf16(float f) {  // round to nearest even, as __float2bfloat16_rn
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

std::vector<double> widen(const std::vector<uint16_t>& h) {
  std::vector<double> out(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = bf16ToDouble(h[i]);
  return out;
}
std::vector<double> widen(const std::vector<float>& h) { return std::vector<double>(h.begin(), h.end()); }

std::vector<uint16_t> randomBf16(Buf<uint16_t>& b, uint64_t seed) {
  CHECK(fillRandomBf16(b.d, b.n, seed, nullptr));
  return b.get();
}
std::vector<float> randomFloat(Buf<float>& b, uint64_t seed) {
  CHECK(fillRandomFloat(b.d, b.n, seed, nullptr));
  return b.get();
}
// Random on the GPU, then made positive (variances) on the host and uploaded again.
std::vector<float> randomPositive(Buf<float>& b, uint64_t seed) {
  std::vector<float> h = randomFloat(b, seed);
  for (float& v : h) v = 0.25f + std::fabs(v);
  b.put(h);
  return h;
}

// ---------------------------------------------------------------- checks ----

struct Errors {
  double maxAbs = 0, rel = 0;
  size_t nonFinite = 0;  // outputs that are NaN or infinite where the reference is finite
};

Errors compare(const std::vector<double>& got, const std::vector<double>& ref, double floorFraction) {
  Errors e;
  double maxRef = 0;
  for (double r : ref) maxRef = std::max(maxRef, std::fabs(r));
  const double floor = std::max(floorFraction * maxRef, 1e-30);
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) {
      if (std::isfinite(ref[i])) ++e.nonFinite;
      continue;
    }
    const double d = std::fabs(got[i] - ref[i]);
    e.maxAbs = std::max(e.maxAbs, d);
    e.rel = std::max(e.rel, d / (std::fabs(ref[i]) + floor));
  }
  return e;
}

void line(const std::string& kernel, const std::string& shape, const Errors& e, double bound) {
  const bool pass = e.nonFinite == 0 && e.rel <= bound;
  ++gLines;
  if (!pass) ++gFailures;
  std::printf("%s %s %s maxAbsErr=%.3e relErr=%.3e bound=%.0e", pass ? "PASS" : "FAIL", kernel.c_str(), shape.c_str(),
              e.maxAbs, e.rel, bound);
  if (e.nonFinite != 0) std::printf(" nonFinite=%zu", e.nonFinite);
  std::printf("\n");
}

void check(const std::string& kernel, const std::string& shape, const std::vector<double>& got,
           const std::vector<double>& ref, double floorFraction, double bound) {
  line(kernel, shape, compare(got, ref, floorFraction), bound);
}

// nnCtas(args) records plus one that must stay untouched, zeroed before the launch.
struct Trace {
  Buf<Interval> buf;
  int expected;
  explicit Trace(int ctas) : buf(static_cast<size_t>(ctas) + 1), expected(ctas) {
    CHECK(cudaMemset(buf.d, 0, buf.n * sizeof(Interval)));
  }
  void verify(const std::string& kernel, const std::string& shape) const {
    CHECK(cudaDeviceSynchronize());
    const std::vector<Interval> h = buf.get();
    std::string problem;
    for (int i = 0; i < expected && problem.empty(); ++i) {
      if (h[i].startNs == 0)
        problem = "record " + std::to_string(i) + " not written";
      else if (h[i].smid >= static_cast<uint32_t>(gSms))
        problem = "record " + std::to_string(i) + " has smid " + std::to_string(h[i].smid);
    }
    const Interval& past = h[expected];
    if (problem.empty() && (past.startNs != 0 || past.durationNs != 0 || past.smid != 0))
      problem = "a record past nnCtas written";
    ++gLines;
    if (!problem.empty()) ++gFailures;
    std::printf("%s %s.trace %s ctas=%d%s%s\n", problem.empty() ? "PASS" : "FAIL", kernel.c_str(), shape.c_str(),
                expected, problem.empty() ? "" : " ", problem.c_str());
  }
};

std::string dims(std::initializer_list<std::pair<const char*, long long>> values) {
  std::string s;
  for (const auto& v : values) s += (s.empty() ? "" : ",") + std::string(v.first) + "=" + std::to_string(v.second);
  return s;
}

// ---------------------------------------------------------------- batch norm ----

// Per-channel mean and biased variance of x [rows, channels] in double (two passes).
void channelStats(const std::vector<double>& x, int rows, int channels, std::vector<double>& mean,
                  std::vector<double>& var) {
  mean.assign(channels, 0.0);
  var.assign(channels, 0.0);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c) mean[c] += x[static_cast<size_t>(r) * channels + c];
  for (int c = 0; c < channels; ++c) mean[c] /= rows;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c) {
      const double d = x[static_cast<size_t>(r) * channels + c] - mean[c];
      var[c] += d * d;
    }
  for (int c = 0; c < channels; ++c) var[c] /= rows;
}

// y = act(gamma (x - mean) invstd + beta + residual) in double.
std::vector<double> bnApplyReference(const std::vector<double>& x, const std::vector<double>* residual,
                                     const std::vector<float>& gamma, const std::vector<float>& beta,
                                     const std::vector<double>& mean, const std::vector<double>& invstd, int channels,
                                     bool relu) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int c = static_cast<int>(i % channels);
    double v = gamma[c] * (x[i] - mean[c]) * invstd[c] + beta[c];
    if (residual != nullptr) v += (*residual)[i];
    y[i] = relu ? std::max(v, 0.0) : v;
  }
  return y;
}

// `offset` is added to x (then rounded to bf16 again): a mean far from 0 next to a standard deviation
// of about 0.6, where a variance computed as E[x^2] - E[x]^2 in fp32 would lose most of its digits.
void bnForwardCase(int rows, int channels, bool residual, bool relu, uint64_t seed, float offset = 0.0f) {
  const std::string shape = dims({{"rows", rows}, {"channels", channels}, {"residual", residual}, {"relu", relu}}) +
                            (offset != 0.0f ? ",offset=" + std::to_string(offset) : "");
  const size_t n = static_cast<size_t>(rows) * channels;
  Buf<uint16_t> x(n), res(residual ? n : 0), y(n);
  Buf<float> gamma(channels), beta(channels), mean(channels), invstd(channels), rm(channels), rv(channels);
  std::vector<uint16_t> bits = randomBf16(x, seed);
  if (offset != 0.0f) {
    for (uint16_t& b : bits) b = floatToBf16(static_cast<float>(bf16ToDouble(b)) + offset);
    x.put(bits);
  }
  const std::vector<double> hx = widen(bits);
  const std::vector<double> hres = residual ? widen(randomBf16(res, seed + 1)) : std::vector<double>();
  const std::vector<float> hg = randomFloat(gamma, seed + 2), hb = randomFloat(beta, seed + 3);
  const std::vector<float> hrm = randomFloat(rm, seed + 4), hrv = randomPositive(rv, seed + 5);
  y.poison();
  mean.poison();
  invstd.poison();
  BatchNormForwardArgs a{};
  a.rows = rows;
  a.channels = channels;
  a.x = x.d;
  a.residual = residual ? res.d : nullptr;
  a.gamma = gamma.d;
  a.beta = beta.d;
  a.y = y.d;
  a.saveMean = mean.d;
  a.saveInvStd = invstd.d;
  a.runningMean = rm.d;
  a.runningVar = rv.d;
  a.relu = relu;
  Buf<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  a.workspace = ws.d;
  Trace trace(nnCtas(a));
  CHECK(launchBatchNormForward(a, trace.buf.d, nullptr));
  trace.verify("batchnorm-fwd", shape);

  std::vector<double> rMean, rVar, rInv(channels), rRm(channels), rRv(channels);
  channelStats(hx, rows, channels, rMean, rVar);
  for (int c = 0; c < channels; ++c) {
    rInv[c] = 1.0 / std::sqrt(rVar[c] + a.eps);
    rRm[c] = (1.0 - a.momentum) * hrm[c] + a.momentum * rMean[c];
    rRv[c] = (1.0 - a.momentum) * hrv[c] + a.momentum * (rows > 1 ? rVar[c] * rows / (rows - 1.0) : rVar[c]);
  }
  const std::vector<double> ry = bnApplyReference(hx, residual ? &hres : nullptr, hg, hb, rMean, rInv, channels, relu);
  check("batchnorm-fwd.y", shape, widen(y.get()), ry, 1e-3, 1e-2);
  check("batchnorm-fwd.mean", shape, widen(mean.get()), rMean, 1.0, 1e-4);
  check("batchnorm-fwd.invstd", shape, widen(invstd.get()), rInv, 1.0, 1e-4);
  check("batchnorm-fwd.runningMean", shape, widen(rm.get()), rRm, 1.0, 1e-4);
  check("batchnorm-fwd.runningVar", shape, widen(rv.get()), rRv, 1.0, 1e-4);
}

void bnInferenceCase(int rows, int channels, bool residual, bool relu, uint64_t seed) {
  const std::string shape = dims({{"rows", rows}, {"channels", channels}, {"residual", residual}, {"relu", relu}});
  const size_t n = static_cast<size_t>(rows) * channels;
  Buf<uint16_t> x(n), res(residual ? n : 0), y(n);
  Buf<float> gamma(channels), beta(channels), rm(channels), rv(channels);
  const std::vector<double> hx = widen(randomBf16(x, seed));
  const std::vector<double> hres = residual ? widen(randomBf16(res, seed + 1)) : std::vector<double>();
  const std::vector<float> hg = randomFloat(gamma, seed + 2), hb = randomFloat(beta, seed + 3);
  const std::vector<float> hrm = randomFloat(rm, seed + 4), hrv = randomPositive(rv, seed + 5);
  y.poison();
  BatchNormInferenceArgs a{};
  a.rows = rows;
  a.channels = channels;
  a.x = x.d;
  a.residual = residual ? res.d : nullptr;
  a.gamma = gamma.d;
  a.beta = beta.d;
  a.runningMean = rm.d;
  a.runningVar = rv.d;
  a.y = y.d;
  a.relu = relu;
  Trace trace(nnCtas(a));
  CHECK(launchBatchNormInference(a, trace.buf.d, nullptr));
  trace.verify("batchnorm-infer", shape);
  std::vector<double> mean(channels), inv(channels);
  for (int c = 0; c < channels; ++c) {
    mean[c] = hrm[c];
    inv[c] = 1.0 / std::sqrt(static_cast<double>(hrv[c]) + a.eps);
  }
  const std::vector<double> ry = bnApplyReference(hx, residual ? &hres : nullptr, hg, hb, mean, inv, channels, relu);
  check("batchnorm-infer.y", shape, widen(y.get()), ry, 1e-3, 1e-2);
}

void bnBackwardCase(int rows, int channels, uint64_t seed) {
  const std::string shape = dims({{"rows", rows}, {"channels", channels}});
  const size_t n = static_cast<size_t>(rows) * channels;
  Buf<uint16_t> dy(n), x(n), dx(n);
  Buf<float> gamma(channels), mean(channels), invstd(channels), dgamma(channels), dbeta(channels);
  const std::vector<double> hdy = widen(randomBf16(dy, seed)), hx = widen(randomBf16(x, seed + 1));
  const std::vector<float> hg = randomFloat(gamma, seed + 2);
  // The saved statistics: the batch's, rounded to fp32 as the forward pass saves them.
  std::vector<double> m, var;
  channelStats(hx, rows, channels, m, var);
  std::vector<float> hm(channels), hinv(channels);
  for (int c = 0; c < channels; ++c) {
    hm[c] = static_cast<float>(m[c]);
    hinv[c] = static_cast<float>(1.0 / std::sqrt(var[c] + 1e-5));
  }
  mean.put(hm);
  invstd.put(hinv);
  dx.poison();
  dgamma.poison();
  dbeta.poison();
  BatchNormBackwardArgs a{};
  a.rows = rows;
  a.channels = channels;
  a.dy = dy.d;
  a.x = x.d;
  a.gamma = gamma.d;
  a.saveMean = mean.d;
  a.saveInvStd = invstd.d;
  a.dx = dx.d;
  a.dgamma = dgamma.d;
  a.dbeta = dbeta.d;
  Buf<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  a.workspace = ws.d;
  Trace trace(nnCtas(a));
  CHECK(launchBatchNormBackward(a, trace.buf.d, nullptr));
  trace.verify("batchnorm-bwd", shape);

  std::vector<double> rdg(channels, 0.0), rdb(channels, 0.0), rdx(n);
  for (size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % channels);
    rdb[c] += hdy[i];
    rdg[c] += hdy[i] * (hx[i] - hm[c]) * hinv[c];
  }
  for (size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % channels);
    const double xhat = (hx[i] - hm[c]) * hinv[c];
    rdx[i] = static_cast<double>(hg[c]) * hinv[c] * (hdy[i] - rdb[c] / rows - xhat * rdg[c] / rows);
  }
  check("batchnorm-bwd.dx", shape, widen(dx.get()), rdx, 1e-3, 1e-2);
  check("batchnorm-bwd.dgamma", shape, widen(dgamma.get()), rdg, 1e-3, 1e-4);
  check("batchnorm-bwd.dbeta", shape, widen(dbeta.get()), rdb, 1e-3, 1e-4);
}

// ---------------------------------------------------------------- ReLU backward, add, cast ----

// `offset` elements past an aligned allocation: 1 takes the scalar path. With alias, dx is dy.
void reluBackwardCase(size_t count, int offset, bool alias, uint64_t seed) {
  const std::string shape = dims({{"count", static_cast<long long>(count)}, {"offset", offset}, {"alias", alias}});
  Buf<uint16_t> dy(count + offset), y(count + offset), dx(count + offset);
  const std::vector<double> hdy = widen(randomBf16(dy, seed)), hy = widen(randomBf16(y, seed + 1));
  if (!alias) dx.poison();
  ReluBackwardArgs a{count, dy.d + offset, y.d + offset, alias ? dy.d + offset : dx.d + offset};
  Trace trace(nnCtas(a));
  CHECK(launchReluBackward(a, trace.buf.d, nullptr));
  trace.verify("relu-bwd", shape);
  const std::vector<double> out = widen((alias ? dy : dx).get());
  std::vector<double> got(out.begin() + offset, out.end()), ref(count);
  for (size_t i = 0; i < count; ++i) ref[i] = hy[i + offset] > 0 ? hdy[i + offset] : 0.0;
  check("relu-bwd.dx", shape, got, ref, 1e-3, 0.0);  // a copy or a zero: exact
}

void addCase(size_t count, int offset, bool alias, uint64_t seed) {
  const std::string shape = dims({{"count", static_cast<long long>(count)}, {"offset", offset}, {"alias", alias}});
  Buf<uint16_t> x(count + offset), z(count + offset), c(count + offset);
  const std::vector<double> ha = widen(randomBf16(x, seed)), hb = widen(randomBf16(z, seed + 1));
  if (!alias) c.poison();
  AddArgs a{count, x.d + offset, z.d + offset, alias ? x.d + offset : c.d + offset};
  Trace trace(nnCtas(a));
  CHECK(launchAdd(a, trace.buf.d, nullptr));
  trace.verify("add", shape);
  const std::vector<double> out = widen((alias ? x : c).get());
  std::vector<double> got(out.begin() + offset, out.end()), ref(count);
  for (size_t i = 0; i < count; ++i) ref[i] = ha[i + offset] + hb[i + offset];
  check("add.c", shape, got, ref, 1e-3, 1e-2);
}

void castCase(size_t count, int offset, uint64_t seed) {
  const std::string shape = dims({{"count", static_cast<long long>(count)}, {"offset", offset}});
  Buf<float> x(count + offset);
  Buf<uint16_t> y(count + offset);
  std::vector<float> hx = randomFloat(x, seed);
  y.poison();
  CastArgs a{count, x.d + offset, y.d + offset};
  Trace trace(nnCtas(a));
  CHECK(launchCast(a, trace.buf.d, nullptr));
  trace.verify("cast", shape);
  const std::vector<double> out = widen(y.get());
  std::vector<double> got(out.begin() + offset, out.end()), ref(count);
  for (size_t i = 0; i < count; ++i) ref[i] = bf16ToDouble(floatToBf16(hx[i + offset]));
  check("cast.y", shape, got, ref, 1e-3, 0.0);  // round to nearest even: exact
}

// ---------------------------------------------------------------- bias + activation ----

const char* actName(Activation act) {
  switch (act) {
    case Activation::Gelu: return "gelu";
    case Activation::Tanh: return "tanh";
    case Activation::Relu: return "relu";
    default: return "none";
  }
}
double activate(double v, Activation act) {
  switch (act) {
    case Activation::Gelu: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case Activation::Tanh: return std::tanh(v);
    case Activation::Relu: return std::max(v, 0.0);
    default: return v;
  }
}
double activationSlope(double v, Activation act) {
  switch (act) {
    case Activation::Gelu:
      return 0.5 * (1.0 + std::erf(v / std::sqrt(2.0))) + v * std::exp(-0.5 * v * v) / std::sqrt(2.0 * M_PI);
    case Activation::Tanh: return 1.0 - std::tanh(v) * std::tanh(v);
    case Activation::Relu: return v > 0 ? 1.0 : 0.0;
    default: return 1.0;
  }
}

// With inPlace, y is x.
void biasActivationCase(int rows, int cols, Activation act, bool bias, uint64_t seed, bool inPlace = false) {
  const std::string shape =
      dims({{"rows", rows}, {"cols", cols}, {"bias", bias}, {"inPlace", inPlace}}) + ",act=" + actName(act);
  const size_t n = static_cast<size_t>(rows) * cols;
  Buf<uint16_t> x(n), y(n), pre(n);
  Buf<float> b(cols);
  const std::vector<double> hx = widen(randomBf16(x, seed));
  const std::vector<float> hb = randomFloat(b, seed + 1);
  y.poison();
  pre.poison();
  BiasActivationArgs a{};
  a.rows = rows;
  a.cols = cols;
  a.x = x.d;
  a.bias = bias ? b.d : nullptr;
  a.y = inPlace ? x.d : y.d;
  a.preact = pre.d;
  a.act = act;
  Trace trace(nnCtas(a));
  CHECK(launchBiasActivation(a, trace.buf.d, nullptr));
  trace.verify("bias-act", shape);
  std::vector<double> rPre(n), rY(n);
  for (size_t i = 0; i < n; ++i) {
    rPre[i] = hx[i] + (bias ? hb[i % cols] : 0.0);
    rY[i] = activate(rPre[i], act);
  }
  check("bias-act.y", shape, widen((inPlace ? x : y).get()), rY, 1e-3, 1e-2);
  check("bias-act.preact", shape, widen(pre.get()), rPre, 1e-3, 1e-2);
}

void biasActivationBackwardCase(int rows, int cols, Activation act, uint64_t seed) {
  const std::string shape = dims({{"rows", rows}, {"cols", cols}}) + ",act=" + actName(act);
  const size_t n = static_cast<size_t>(rows) * cols;
  Buf<uint16_t> dy(n), pre(n), dx(n);
  Buf<float> dbias(cols);
  const std::vector<double> hdy = widen(randomBf16(dy, seed)), hpre = widen(randomBf16(pre, seed + 1));
  dx.poison();
  dbias.poison();
  BiasActivationBackwardArgs a{};
  a.rows = rows;
  a.cols = cols;
  a.dy = dy.d;
  a.preact = pre.d;
  a.dx = dx.d;
  a.dbias = dbias.d;
  a.act = act;
  Buf<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  a.workspace = ws.d;
  Trace trace(nnCtas(a));
  CHECK(launchBiasActivationBackward(a, trace.buf.d, nullptr));
  trace.verify("bias-act-bwd", shape);
  std::vector<double> rdx(n), rdb(cols, 0.0);
  for (size_t i = 0; i < n; ++i) {
    rdx[i] = hdy[i] * activationSlope(hpre[i], act);
    rdb[i % cols] += rdx[i];
  }
  check("bias-act-bwd.dx", shape, widen(dx.get()), rdx, 1e-3, 1e-2);
  check("bias-act-bwd.dbias", shape, widen(dbias.get()), rdb, 1e-3, 1e-4);
}

// ---------------------------------------------------------------- pooling ----

struct Pool {
  int n, h, w, c, r, s, stride, pad;
  int p() const { return (h + 2 * pad - r) / stride + 1; }
  int q() const { return (w + 2 * pad - s) / stride + 1; }
  std::string name() const {
    return dims({{"n", n}, {"h", h}, {"w", w}, {"c", c}, {"r", r}, {"s", s}, {"stride", stride}, {"pad", pad}});
  }
};

// Forward reference: maximum and first winning window position per output, in window order.
void maxPoolReference(const Pool& g, const std::vector<double>& x, std::vector<double>& y, std::vector<double>& arg) {
  const int p = g.p(), q = g.q();
  y.assign(static_cast<size_t>(g.n) * p * q * g.c, -INFINITY);
  arg.assign(y.size(), 0.0);
  for (int b = 0; b < g.n; ++b)
    for (int pp = 0; pp < p; ++pp)
      for (int qq = 0; qq < q; ++qq)
        for (int i = 0; i < g.r; ++i)
          for (int j = 0; j < g.s; ++j) {
            const int hh = pp * g.stride - g.pad + i, ww = qq * g.stride - g.pad + j;
            if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) continue;
            for (int c = 0; c < g.c; ++c) {
              const size_t o = ((static_cast<size_t>(b) * p + pp) * q + qq) * g.c + c;
              const double v = x[((static_cast<size_t>(b) * g.h + hh) * g.w + ww) * g.c + c];
              if (v > y[o]) {
                y[o] = v;
                arg[o] = i * g.s + j;
              }
            }
          }
}

void maxPoolCase(const Pool& g, uint64_t seed) {
  const std::string shape = g.name();
  const int p = g.p(), q = g.q();
  const size_t in = static_cast<size_t>(g.n) * g.h * g.w * g.c, out = static_cast<size_t>(g.n) * p * q * g.c;
  Buf<uint16_t> x(in), y(out), dy(out), dx(in);
  Buf<uint8_t> argmax(out);
  const std::vector<double> hx = widen(randomBf16(x, seed)), hdy = widen(randomBf16(dy, seed + 1));
  y.poison();
  dx.poison();
  CHECK(cudaMemset(argmax.d, 0xff, out));
  const MaxPoolForwardArgs f{g.n, g.h, g.w, g.c, g.r, g.s, g.stride, g.pad, p, q, x.d, y.d, argmax.d};
  Trace traceF(nnCtas(f));
  CHECK(launchMaxPoolForward(f, traceF.buf.d, nullptr));
  traceF.verify("maxpool-fwd", shape);
  std::vector<double> ry, rArg;
  maxPoolReference(g, hx, ry, rArg);
  const std::vector<uint8_t> hArg = argmax.get();
  check("maxpool-fwd.y", shape, widen(y.get()), ry, 1e-3, 0.0);
  check("maxpool-fwd.argmax", shape, std::vector<double>(hArg.begin(), hArg.end()), rArg, 1e-3, 0.0);

  // Backward from the kernel's own window positions (checked equal to the reference's above).
  const MaxPoolBackwardArgs b{g.n, g.h, g.w, g.c, g.r, g.s, g.stride, g.pad, p, q, dy.d, argmax.d, dx.d};
  Trace traceB(nnCtas(b));
  CHECK(launchMaxPoolBackward(b, traceB.buf.d, nullptr));
  traceB.verify("maxpool-bwd", shape);
  std::vector<double> rdx(in, 0.0);
  for (size_t o = 0; o < out; ++o) {
    const int c = static_cast<int>(o % g.c);
    const size_t pixel = o / g.c;
    const int qq = static_cast<int>(pixel % q), pp = static_cast<int>((pixel / q) % p);
    const int image = static_cast<int>(pixel / (static_cast<size_t>(p) * q));
    const int i = hArg[o] / g.s, j = hArg[o] % g.s;
    const int hh = pp * g.stride - g.pad + i, ww = qq * g.stride - g.pad + j;
    if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) continue;
    rdx[((static_cast<size_t>(image) * g.h + hh) * g.w + ww) * g.c + c] += hdy[o];
  }
  check("maxpool-bwd.dx", shape, widen(dx.get()), rdx, 1e-3, 1e-2);
}

void avgPoolCase(int n, int pixels, int c, uint64_t seed) {
  const std::string shape = dims({{"n", n}, {"pixels", pixels}, {"c", c}});
  const size_t in = static_cast<size_t>(n) * pixels * c, out = static_cast<size_t>(n) * c;
  Buf<uint16_t> x(in), y(out), dy(out), dx(in);
  const std::vector<double> hx = widen(randomBf16(x, seed)), hdy = widen(randomBf16(dy, seed + 1));
  y.poison();
  dx.poison();
  const AvgPoolForwardArgs f{n, pixels, c, x.d, y.d};
  Trace traceF(nnCtas(f));
  CHECK(launchAvgPoolForward(f, traceF.buf.d, nullptr));
  traceF.verify("avgpool-fwd", shape);
  std::vector<double> ry(out, 0.0), rdx(in);
  for (size_t i = 0; i < in; ++i) {
    const size_t image = i / (static_cast<size_t>(pixels) * c);
    ry[image * c + i % c] += hx[i] / pixels;
    rdx[i] = hdy[image * c + i % c] / pixels;
  }
  check("avgpool-fwd.y", shape, widen(y.get()), ry, 1e-3, 1e-2);
  const AvgPoolBackwardArgs b{n, pixels, c, dy.d, dx.d};
  Trace traceB(nnCtas(b));
  CHECK(launchAvgPoolBackward(b, traceB.buf.d, nullptr));
  traceB.verify("avgpool-bwd", shape);
  check("avgpool-bwd.dx", shape, widen(dx.get()), rdx, 1e-3, 1e-2);
}

// ---------------------------------------------------------------- loss, optimizers ----

void softmaxCrossEntropyCase(int rows, int classes, uint64_t seed) {
  const std::string shape = dims({{"rows", rows}, {"classes", classes}});
  const size_t n = static_cast<size_t>(rows) * classes;
  Buf<float> logits(n), loss(1);
  Buf<uint16_t> dlogits(n);
  Buf<int32_t> labels(rows);
  std::vector<float> hl = randomFloat(logits, seed);
  for (float& v : hl) v *= 8.0f;  // spread the logits (softmax far from uniform)
  logits.put(hl);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::vector<int32_t> hlab(rows);
  for (int32_t& l : hlab) l = static_cast<int32_t>(rng() % static_cast<uint32_t>(classes));
  labels.put(hlab);
  loss.poison();
  dlogits.poison();
  SoftmaxCrossEntropyArgs a{rows, classes, logits.d, labels.d, loss.d, dlogits.d, nullptr};
  Buf<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  a.workspace = ws.d;
  Trace trace(nnCtas(a));
  CHECK(launchSoftmaxCrossEntropy(a, trace.buf.d, nullptr));
  trace.verify("softmax-ce", shape);
  double total = 0;
  std::vector<double> rd(n);
  for (int r = 0; r < rows; ++r) {
    const float* row = hl.data() + static_cast<size_t>(r) * classes;
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c < classes; ++c) mx = std::max(mx, static_cast<double>(row[c]));
    for (int c = 0; c < classes; ++c) sum += std::exp(row[c] - mx);
    total += std::log(sum) + mx - row[hlab[r]];
    for (int c = 0; c < classes; ++c)
      rd[static_cast<size_t>(r) * classes + c] = (std::exp(row[c] - mx) / sum - (c == hlab[r] ? 1.0 : 0.0)) / rows;
  }
  check("softmax-ce.loss", shape, widen(loss.get()), {total / rows}, 0.0, 1e-5);
  check("softmax-ce.dlogits", shape, widen(dlogits.get()), rd, 1e-3, 1e-2);
}

// The optimizers' bf16 copies must be exactly their fp32 parameters rounded.
std::vector<double> roundedBf16(const std::vector<float>& p, int offset) {
  std::vector<double> out(p.size() - offset);
  for (size_t i = 0; i < out.size(); ++i) out[i] = bf16ToDouble(floatToBf16(p[i + offset]));
  return out;
}
std::vector<double> tail(const std::vector<double>& v, int offset) {
  return std::vector<double>(v.begin() + offset, v.end());
}

void sgdCase(size_t count, int offset, uint64_t seed) {
  const std::string shape = dims({{"count", static_cast<long long>(count)}, {"offset", offset}});
  const size_t total = count + offset;
  Buf<float> p(total), g(total), v(total);
  Buf<uint16_t> pb(total);
  const std::vector<float> hp = randomFloat(p, seed), hg = randomFloat(g, seed + 1), hv = randomFloat(v, seed + 2);
  pb.poison();
  const SgdArgs a{count, p.d + offset, g.d + offset, v.d + offset, pb.d + offset, 0.1f, 0.9f, 5e-4f};
  Trace trace(nnCtas(a));
  CHECK(launchSgd(a, trace.buf.d, nullptr));
  trace.verify("sgd", shape);
  std::vector<double> rp(count), rv(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t k = i + offset;
    const double grad = hg[k] + static_cast<double>(a.weightDecay) * hp[k];
    rv[i] = static_cast<double>(a.momentum) * hv[k] + grad;
    rp[i] = hp[k] - static_cast<double>(a.lr) * rv[i];
  }
  const std::vector<float> gp = p.get();
  // Three fp32 roundings (wd p, + g, momentum v +) against exact arithmetic, where 0.9 v + g may cancel:
  // a few fp32 ulps of the inputs' magnitude, relative to a smaller result (1.5e-5 seen on the H200).
  check("sgd.params", shape, tail(widen(gp), offset), rp, 1e-3, 1e-4);
  check("sgd.velocity", shape, tail(widen(v.get()), offset), rv, 1e-3, 1e-4);
  check("sgd.paramsBf16", shape, tail(widen(pb.get()), offset), roundedBf16(gp, offset), 1e-3, 0.0);
}

void adamWCase(size_t count, int offset, int step, uint64_t seed) {
  const std::string shape = dims({{"count", static_cast<long long>(count)}, {"offset", offset}, {"step", step}});
  const size_t total = count + offset;
  Buf<float> p(total), g(total), m(total), v(total);
  Buf<uint16_t> pb(total);
  const std::vector<float> hp = randomFloat(p, seed), hg = randomFloat(g, seed + 1), hm = randomFloat(m, seed + 2);
  std::vector<float> hv = randomFloat(v, seed + 3);
  for (float& e : hv) e = e * e * 0.01f;  // a second moment: non-negative, about g^2
  v.put(hv);
  pb.poison();
  AdamWArgs a{count, p.d + offset, g.d + offset, m.d + offset, v.d + offset, pb.d + offset,
              1e-3f, 0.9f,         0.999f,       1e-8f,        0.01f,        step};
  Trace trace(nnCtas(a));
  CHECK(launchAdamW(a, trace.buf.d, nullptr));
  trace.verify("adamw", shape);
  // The bias corrections from the fp32 betas as given (0.999f is not 0.999: 1 - beta2 differs by 1e-5 relative).
  const double c1 = 1.0 - std::pow(static_cast<double>(a.beta1), step);
  const double c2 = 1.0 - std::pow(static_cast<double>(a.beta2), step);
  std::vector<double> rp(count), rm(count), rv(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t k = i + offset;
    const double b1 = a.beta1, b2 = a.beta2, lr = a.lr;
    rm[i] = b1 * hm[k] + (1.0 - b1) * hg[k];
    rv[i] = b2 * hv[k] + (1.0 - b2) * static_cast<double>(hg[k]) * hg[k];
    const double decayed = hp[k] * (1.0 - lr * static_cast<double>(a.weightDecay));
    rp[i] = decayed - lr * (rm[i] / c1) / (std::sqrt(rv[i] / c2) + static_cast<double>(a.eps));
  }
  const std::vector<float> gp = p.get();
  check("adamw.params", shape, tail(widen(gp), offset), rp, 1e-3, 1e-5);
  check("adamw.m", shape, tail(widen(m.get()), offset), rm, 1e-3, 1e-5);
  check("adamw.v", shape, tail(widen(v.get()), offset), rv, 1e-3, 1e-5);
  check("adamw.paramsBf16", shape, tail(widen(pb.get()), offset), roundedBf16(gp, offset), 1e-3, 0.0);
}

// ---------------------------------------------------------------- modes ----

void smallCases() {
  bnForwardCase(7, 5, false, false, 11);
  bnForwardCase(1000, 67, true, true, 12);
  bnForwardCase(300, 64, true, true, 13);
  bnInferenceCase(7, 5, true, true, 14);
  bnInferenceCase(300, 64, false, false, 15);
  bnBackwardCase(7, 5, 16);
  bnBackwardCase(1000, 67, 17);
  bnBackwardCase(300, 64, 18);
  reluBackwardCase(35, 0, false, 19);
  reluBackwardCase(1003, 1, false, 20);
  reluBackwardCase(4096 + 5, 0, true, 21);
  addCase(35, 0, false, 22);
  addCase(1003, 1, true, 23);
  addCase(4096 + 5, 0, false, 24);
  castCase(1001, 0, 25);
  castCase(1001, 1, 26);
  for (Activation act : {Activation::None, Activation::Gelu, Activation::Tanh, Activation::Relu}) {
    biasActivationCase(7, 5, act, true, 27);
    biasActivationCase(64, 96, act, true, 28);
    biasActivationBackwardCase(7, 5, act, 29);
    biasActivationBackwardCase(64, 96, act, 30);
  }
  biasActivationCase(33, 67, Activation::Gelu, false, 31);
  biasActivationCase(32, 64, Activation::Tanh, true, 31, true);
  maxPoolCase(Pool{1, 7, 9, 5, 3, 3, 2, 1}, 32);
  maxPoolCase(Pool{2, 9, 9, 16, 3, 3, 2, 1}, 33);
  maxPoolCase(Pool{2, 8, 6, 67, 2, 2, 2, 0}, 34);
  avgPoolCase(3, 1, 2048, 35);
  avgPoolCase(5, 7, 67, 36);
  softmaxCrossEntropyCase(7, 2, 37);
  softmaxCrossEntropyCase(5, 1000, 38);
  sgdCase(1003, 0, 39);
  sgdCase(1003, 1, 40);
  adamWCase(1003, 0, 1, 41);
  adamWCase(1003, 1, 10, 42);
}

void realisticCases() {
  bnForwardCase(8192, 256, false, true, 51);
  bnForwardCase(8192, 256, true, true, 52);
  bnForwardCase(3136, 2048, false, false, 53);
  bnForwardCase(8192, 64, false, false, 50, 10.0f);
  bnInferenceCase(8192, 256, true, true, 54);
  bnBackwardCase(8192, 256, 55);
  bnBackwardCase(3136, 2048, 56);
  reluBackwardCase(8192 * 256, 0, false, 57);
  addCase(8192 * 256 + 3, 0, false, 58);
  castCase((1u << 22) + 7, 0, 59);
  biasActivationCase(4096, 3072, Activation::Gelu, true, 60);
  biasActivationBackwardCase(4096, 3072, Activation::Gelu, 61);
  biasActivationBackwardCase(8192, 768, Activation::None, 62);
  maxPoolCase(Pool{2, 112, 112, 64, 3, 3, 2, 1}, 63);
  avgPoolCase(32, 49, 2048, 64);
  softmaxCrossEntropyCase(128, 1000, 65);
  softmaxCrossEntropyCase(128, 10, 66);
  sgdCase((1u << 22) + 3, 0, 67);
  adamWCase((1u << 22) + 3, 0, 3, 68);
}

}  // namespace

void runBench();

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "verify";
  int device = 0;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaDeviceGetAttribute(&gSms, cudaDevAttrMultiProcessorCount, device));
  if (mode == "verify") {
    smallCases();
    realisticCases();
  } else if (mode == "sanitize") {
    smallCases();
  } else if (mode == "bench") {
    runBench();
    return 0;
  } else {
    std::fprintf(stderr, "usage: nn_cnn_check [verify|sanitize|bench] (got '%s')\n", mode.c_str());
    return 2;
  }
  std::printf("%d of %d checks passed\n", gLines - gFailures, gLines);
  return gFailures == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- bench ----

namespace {

double timeLaunches(const std::function<cudaError_t()>& launch, int launches = 30, int warmup = 5) {
  return medianLaunchMs(launch, launches, warmup);
}

void benchLine(const std::string& name, double ms, double bytes, int ctas) {
  std::printf("%-44s %9.1f us  %7.0f GB/s  ctas=%d\n", name.c_str(), ms * 1e3, bytes / (ms * 1e-3) / 1e9, ctas);
}

void benchBatchNorm(int rows, int channels) {
  const size_t n = static_cast<size_t>(rows) * channels;
  const std::string shape = std::to_string(rows) + "x" + std::to_string(channels);
  Buf<uint16_t> x(n), y(n), dy(n), dx(n);
  Buf<float> gamma(channels), beta(channels), mean(channels), inv(channels), rm(channels), rv(channels), dg(channels),
      db(channels);
  CHECK(fillRandomBf16(x.d, n, 1, nullptr));
  CHECK(fillRandomBf16(dy.d, n, 2, nullptr));
  CHECK(fillRandomFloat(gamma.d, channels, 3, nullptr));
  CHECK(fillRandomFloat(beta.d, channels, 4, nullptr));
  CHECK(fillFloat(rm.d, channels, 0.0f, nullptr));
  CHECK(fillFloat(rv.d, channels, 1.0f, nullptr));
  BatchNormForwardArgs f{};
  f.rows = rows;
  f.channels = channels;
  f.x = x.d;
  f.residual = nullptr;
  f.gamma = gamma.d;
  f.beta = beta.d;
  f.y = y.d;
  f.saveMean = mean.d;
  f.saveInvStd = inv.d;
  f.runningMean = rm.d;
  f.runningVar = rv.d;
  f.relu = true;
  Buf<float> wsF(nnWorkspaceBytes(f) / sizeof(float));
  f.workspace = wsF.d;
  const double bytes = 2.0 * n;
  // Forward: x read twice (statistics, then normalisation), y written.
  benchLine("batchnorm-fwd " + shape, timeLaunches([&] { return launchBatchNormForward(f, nullptr, nullptr); }),
            3 * bytes, nnCtas(f));
  BatchNormBackwardArgs b{rows, channels, dy.d, x.d, gamma.d, mean.d, inv.d, dx.d, dg.d, db.d, nullptr};
  Buf<float> wsB(nnWorkspaceBytes(b) / sizeof(float));
  b.workspace = wsB.d;
  // Backward: dy and x read twice (sums, then dx), dx written.
  benchLine("batchnorm-bwd " + shape, timeLaunches([&] { return launchBatchNormBackward(b, nullptr, nullptr); }),
            5 * bytes, nnCtas(b));
  BatchNormInferenceArgs i{rows, channels, x.d, nullptr, gamma.d, beta.d, rm.d, rv.d, y.d};
  benchLine("batchnorm-infer " + shape, timeLaunches([&] { return launchBatchNormInference(i, nullptr, nullptr); }),
            2 * bytes, nnCtas(i));
  const ReluBackwardArgs r{n, dy.d, y.d, dx.d};
  benchLine("relu-bwd " + shape, timeLaunches([&] { return launchReluBackward(r, nullptr, nullptr); }), 3 * bytes,
            nnCtas(r));
  const AddArgs add{n, x.d, dy.d, dx.d};
  benchLine("add " + shape, timeLaunches([&] { return launchAdd(add, nullptr, nullptr); }), 3 * bytes, nnCtas(add));
}

void benchOptimizers() {
  const size_t sgdCount = 25600000, adamCount = 110000000;
  {
    Buf<float> p(sgdCount), g(sgdCount), v(sgdCount);
    Buf<uint16_t> pb(sgdCount);
    CHECK(fillRandomFloat(p.d, sgdCount, 1, nullptr));
    CHECK(fillRandomFloat(g.d, sgdCount, 2, nullptr));
    CHECK(fillFloat(v.d, sgdCount, 0.0f, nullptr));
    const SgdArgs a{sgdCount, p.d, g.d, v.d, pb.d, 1e-3f, 0.9f, 1e-4f};
    // p, g, v read; p, v written (fp32); the bf16 copy written.
    benchLine("sgd 25.6M", timeLaunches([&] { return launchSgd(a, nullptr, nullptr); }), sgdCount * 22.0, nnCtas(a));
  }
  Buf<float> p(adamCount), g(adamCount), m(adamCount), v(adamCount);
  Buf<uint16_t> pb(adamCount);
  CHECK(fillRandomFloat(p.d, adamCount, 1, nullptr));
  CHECK(fillRandomFloat(g.d, adamCount, 2, nullptr));
  CHECK(fillFloat(m.d, adamCount, 0.0f, nullptr));
  CHECK(fillFloat(v.d, adamCount, 0.0f, nullptr));
  AdamWArgs a{adamCount, p.d, g.d, m.d, v.d, pb.d, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
  // p, g, m, v read; p, m, v written; the bf16 copy written.
  benchLine("adamw 110M", timeLaunches([&] { return launchAdamW(a, nullptr, nullptr); }, 10, 2), adamCount * 30.0,
            nnCtas(a));
}

void benchPooling() {
  const int n = 128, h = 112, w = 112, c = 64, p = 56, q = 56;
  const size_t in = static_cast<size_t>(n) * h * w * c, out = static_cast<size_t>(n) * p * q * c;
  Buf<uint16_t> x(in), y(out), dx(in);
  Buf<uint8_t> argmax(out);
  CHECK(fillRandomBf16(x.d, in, 1, nullptr));
  const MaxPoolForwardArgs f{n, h, w, c, 3, 3, 2, 1, p, q, x.d, y.d, argmax.d};
  // x read once (windows overlap: re-reads hit L2), y and argmax written.
  benchLine("maxpool-fwd 128x112x112x64 3x3s2", timeLaunches([&] { return launchMaxPoolForward(f, nullptr, nullptr); }),
            2.0 * in + 3.0 * out, nnCtas(f));
  const MaxPoolBackwardArgs b{n, h, w, c, 3, 3, 2, 1, p, q, y.d, argmax.d, dx.d};
  // dy and argmax read, dx written.
  benchLine("maxpool-bwd 128x112x112x64 3x3s2",
            timeLaunches([&] { return launchMaxPoolBackward(b, nullptr, nullptr); }), 2.0 * in + 3.0 * out, nnCtas(b));
}

}  // namespace

void runBench() {
  std::printf(
      "bench: median of the launches after warm-up, CUDA events around each; GB/s = the bytes the\n"
      "algorithm must move (noted per kernel in the source) over the median time\n");
  benchBatchNorm(1605632, 64);  // ImageNet batch 128: the stem's 112 x 112 x 64
  benchBatchNorm(401408, 256);
  benchBatchNorm(100352, 1024);
  benchOptimizers();
  benchPooling();
}

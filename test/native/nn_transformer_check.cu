// A standalone check and benchmark of the transformer and decoding kernels (kernels/nn_transformer.cu,
// kernels/nn_decode.cu) against a float64 host reference, without Node. Run
// `nn_transformer_check verify|sanitize|bench`.
//
//   verify    every kernel on ragged shapes (rows 5 x cols 67, seq 7, head sizes 64 and 128, caches of
//             1, 255, 1000 and 4096 positions with a different position per sequence) and realistic
//             ones (BERT-base 4096 x 768, a 7B decoder step: batch 8 x 32 heads x 128 over a 4096 cache).
//             Inputs are random on the GPU (fillRandomBf16 / fillRandomFloat; ids and positions from a
//             seeded host generator), outputs NaN-poisoned first; the reference works in float64 from
//             the same bf16 inputs (and mirrors the kernels' bf16 rounding of intermediates they store,
//             e.g. the residual sum). One line per output: PASS|FAIL kernel shape maxAbsErr relErr bound,
//             relErr = max |got - ref| / max |ref| within a group (a row, a head) over the groups, and
//             one line per launch for its CTA trace (every record of nnCtas written, smid below the SM
//             count, none past it). Exits 1 when anything fails.
//   sanitize  the ragged cases only (one small launch of each kernel, checked): for compute-sanitizer.
//   bench     median CUDA-event time and GB/s of LayerNorm forward/backward 4096 x 768, DecodeAttention
//             batch 1/8/64 x 32 heads x 128 over caches of 1024 and 4096, ArgmaxNext 8 x 32000.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>
#include "../../kernels/launch.h"
#include "../../kernels/nn.h"
#include "check.h"

using namespace gsm;

namespace {

int smCount = 0;
int failures = 0;

// ---- bf16 on the host ----
float fromBf16(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t toBf16(float f) {  // round to nearest even, as __float2bfloat16_rn
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
float roundBf16(float f) { return fromBf16(toBf16(f)); }

// ---- device buffers ----
template <class T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(size_t count) : n(count) { CHECK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T))); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  std::vector<T> get() const {
    std::vector<T> h(n);
    if (n > 0) CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  void put(const std::vector<T>& h) {
    if (n > 0) CHECK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  void poison() { CHECK(cudaMemset(p, 0xff, std::max<size_t>(n, 1) * sizeof(T))); }  // NaN in bf16 and fp32
};

uint64_t nextSeed = 0x1234;
std::vector<uint16_t> randomBf16(Dev<uint16_t>& d) {
  CHECK(fillRandomBf16(d.p, d.n, nextSeed++, nullptr));
  return d.get();
}
std::vector<float> randomFloat(Dev<float>& d) {
  CHECK(fillRandomFloat(d.p, d.n, nextSeed++, nullptr));
  return d.get();
}
std::vector<int32_t> randomInts(Dev<int32_t>& d, int below) {
  std::mt19937_64 gen(nextSeed++);
  std::vector<int32_t> h(d.n);
  for (auto& v : h) v = static_cast<int32_t>(gen() % static_cast<uint64_t>(below));
  d.put(h);
  return h;
}

std::vector<double> widen(const std::vector<uint16_t>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = fromBf16(v[i]);
  return out;
}
template <class T>
std::vector<double> widen(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// ---- comparison and reporting ----
std::string dims(std::initializer_list<long long> d) {
  std::string s;
  for (long long x : d) s += (s.empty() ? "" : "x") + std::to_string(x);
  return s;
}

// relErr: max over groups of `group` elements of max|got - ref| / max|ref| (the whole vector when 0).
void compare(const std::string& kernel, const std::string& shape, const std::vector<double>& got,
             const std::vector<double>& ref, double bound, size_t group = 0) {
  if (group == 0) group = std::max<size_t>(ref.size(), 1);
  double maxAbs = 0, rel = 0;
  bool bad = got.size() != ref.size();
  for (size_t g = 0; !bad && g < ref.size(); g += group) {
    double gAbs = 0, gRef = 0;
    for (size_t i = g; i < std::min(ref.size(), g + group); ++i) {
      if (!std::isfinite(got[i])) bad = true;
      gAbs = std::max(gAbs, std::fabs(got[i] - ref[i]));
      gRef = std::max(gRef, std::fabs(ref[i]));
    }
    maxAbs = std::max(maxAbs, gAbs);
    rel = std::max(rel, gRef > 0 ? gAbs / gRef : gAbs);
  }
  const bool pass = !bad && rel <= bound;
  if (!pass) ++failures;
  std::printf("%s %s %s maxAbsErr %.3e relErr %.3e bound %.1e%s\n", pass ? "PASS" : "FAIL", kernel.c_str(),
              shape.c_str(), maxAbs, rel, bound, bad ? " (non-finite or missing values)" : "");
}

constexpr double kBf16Bound = 8e-3;  // two bf16 half-ulps relative to the group's largest value
constexpr double kSumBound = 1e-4;   // fp32 sums over up to a few thousand rows

// Runs one launch with a trace buffer of nnCtas + 1 records (poisoned) and checks the records.
template <class Args>
void runTraced(const std::string& kernel, const std::string& shape, const Args& args,
               cudaError_t (*launch)(const Args&, Interval*, cudaStream_t)) {
  const int n = nnCtas(args);
  Dev<Interval> trace(static_cast<size_t>(n) + 1);
  trace.poison();
  CHECK(launch(args, trace.p, nullptr));
  CHECK(cudaDeviceSynchronize());
  const std::vector<Interval> records = trace.get();
  int written = 0, badSm = 0;
  for (int i = 0; i < n; ++i) {
    const Interval& r = records[i];
    if (r.startNs != ~0ull && r.durationNs != ~0u) ++written;
    if (r.smid >= static_cast<uint32_t>(smCount)) ++badSm;
  }
  const Interval& past = records[n];
  const bool pastClean = past.startNs == ~0ull && past.durationNs == ~0u && past.smid == ~0u;
  const bool pass = written == n && badSm == 0 && pastClean;
  if (!pass) ++failures;
  std::printf("%s trace:%s %s records %d written %d smid>=%d %d past-the-end %s\n", pass ? "PASS" : "FAIL",
              kernel.c_str(), shape.c_str(), n, written, smCount, badSm, pastClean ? "clean" : "WRITTEN");
}

// ---------------------------------------------------------------- layer norm ----

void checkLayerNormForward(int rows, int cols, bool residual) {
  const size_t count = static_cast<size_t>(rows) * cols;
  Dev<uint16_t> x(count), r(count), y(count), sum(count);
  Dev<float> gamma(cols), beta(cols), mean(rows), rstd(rows);
  const auto hx = randomBf16(x), hr = randomBf16(r);
  const auto hg = randomFloat(gamma), hb = randomFloat(beta);
  y.poison(), sum.poison(), mean.poison(), rstd.poison();
  LayerNormForwardArgs a{};
  a.rows = rows, a.cols = cols, a.x = x.p, a.residual = residual ? r.p : nullptr, a.gamma = gamma.p, a.beta = beta.p;
  a.y = y.p, a.sum = residual ? sum.p : nullptr, a.saveMean = mean.p, a.saveRstd = rstd.p;
  const std::string shape = dims({rows, cols}) + (residual ? "+residual" : "");
  runTraced("LayerNormForward", shape, a, launchLayerNormForward);
  std::vector<double> refY(count), refS(count), refMean(rows), refRstd(rows);
  for (int i = 0; i < rows; ++i) {
    double m = 0, v = 0;
    for (int c = 0; c < cols; ++c) {
      const size_t at = static_cast<size_t>(i) * cols + c;
      refS[at] = residual ? roundBf16(fromBf16(hx[at]) + fromBf16(hr[at])) : fromBf16(hx[at]);
      m += refS[at];
    }
    m /= cols;
    for (int c = 0; c < cols; ++c)
      v += (refS[i * static_cast<size_t>(cols) + c] - m) * (refS[i * static_cast<size_t>(cols) + c] - m);
    const double rs = 1.0 / std::sqrt(v / cols + a.eps);
    for (int c = 0; c < cols; ++c) {
      const size_t at = static_cast<size_t>(i) * cols + c;
      refY[at] = (refS[at] - m) * rs * hg[c] + hb[c];
    }
    refMean[i] = m, refRstd[i] = rs;
  }
  compare("LayerNormForward.y", shape, widen(y.get()), refY, kBf16Bound, cols);
  if (residual) compare("LayerNormForward.sum", shape, widen(sum.get()), refS, 0);
  compare("LayerNormForward.mean", shape, widen(mean.get()), refMean, kSumBound);
  compare("LayerNormForward.rstd", shape, widen(rstd.get()), refRstd, kSumBound);
}

void checkLayerNormBackward(int rows, int cols) {
  const size_t count = static_cast<size_t>(rows) * cols;
  Dev<uint16_t> dy(count), s(count), ds(count);
  Dev<float> gamma(cols), mean(rows), rstd(rows), dgamma(cols), dbeta(cols);
  const auto hdy = randomBf16(dy), hs = randomBf16(s);
  const auto hg = randomFloat(gamma);
  std::vector<float> hm(rows), hr(rows);
  for (int i = 0; i < rows; ++i) {  // the statistics the forward pass would have saved
    double m = 0, v = 0;
    for (int c = 0; c < cols; ++c) m += fromBf16(hs[static_cast<size_t>(i) * cols + c]);
    m /= cols;
    for (int c = 0; c < cols; ++c) v += std::pow(fromBf16(hs[static_cast<size_t>(i) * cols + c]) - m, 2);
    hm[i] = static_cast<float>(m), hr[i] = static_cast<float>(1.0 / std::sqrt(v / cols + 1e-12));
  }
  mean.put(hm), rstd.put(hr);
  ds.poison(), dgamma.poison(), dbeta.poison();
  LayerNormBackwardArgs a{};
  a.rows = rows, a.cols = cols, a.dy = dy.p, a.s = s.p, a.gamma = gamma.p, a.saveMean = mean.p, a.saveRstd = rstd.p;
  a.ds = ds.p, a.dgamma = dgamma.p, a.dbeta = dbeta.p;
  Dev<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  ws.poison();
  a.workspace = ws.p;
  const std::string shape = dims({rows, cols});
  runTraced("LayerNormBackward", shape, a, launchLayerNormBackward);
  std::vector<double> refDs(count), refDg(cols, 0.0), refDb(cols, 0.0), g(cols), shat(cols);
  for (int i = 0; i < rows; ++i) {
    double sumG = 0, sumGS = 0;
    for (int c = 0; c < cols; ++c) {
      const size_t at = static_cast<size_t>(i) * cols + c;
      const double d = fromBf16(hdy[at]);
      shat[c] = (fromBf16(hs[at]) - static_cast<double>(hm[i])) * hr[i];
      g[c] = hg[c] * d;
      sumG += g[c], sumGS += g[c] * shat[c];
      refDg[c] += d * shat[c], refDb[c] += d;
    }
    for (int c = 0; c < cols; ++c)
      refDs[static_cast<size_t>(i) * cols + c] = hr[i] * (g[c] - sumG / cols - shat[c] * sumGS / cols);
  }
  compare("LayerNormBackward.ds", shape, widen(ds.get()), refDs, kBf16Bound, cols);
  compare("LayerNormBackward.dgamma", shape, widen(dgamma.get()), refDg, kSumBound);
  compare("LayerNormBackward.dbeta", shape, widen(dbeta.get()), refDb, kSumBound);
}

void checkRmsNorm(int rows, int cols, bool residual) {
  const size_t count = static_cast<size_t>(rows) * cols;
  Dev<uint16_t> x(count), r(count), y(count), sum(count);
  Dev<float> weight(cols);
  const auto hx = randomBf16(x), hr = randomBf16(r);
  const auto hw = randomFloat(weight);
  y.poison(), sum.poison();
  RmsNormArgs a{};
  a.rows = rows, a.cols = cols, a.x = x.p, a.residual = residual ? r.p : nullptr, a.weight = weight.p, a.y = y.p;
  a.sum = residual ? sum.p : nullptr;
  const std::string shape = dims({rows, cols}) + (residual ? "+residual" : "");
  runTraced("RmsNorm", shape, a, launchRmsNorm);
  std::vector<double> refY(count), refS(count);
  for (int i = 0; i < rows; ++i) {
    double sq = 0;
    for (int c = 0; c < cols; ++c) {
      const size_t at = static_cast<size_t>(i) * cols + c;
      refS[at] = residual ? roundBf16(fromBf16(hx[at]) + fromBf16(hr[at])) : fromBf16(hx[at]);
      sq += refS[at] * refS[at];
    }
    const double inv = 1.0 / std::sqrt(sq / cols + a.eps);
    for (int c = 0; c < cols; ++c)
      refY[static_cast<size_t>(i) * cols + c] = hw[c] * refS[static_cast<size_t>(i) * cols + c] * inv;
  }
  compare("RmsNorm.y", shape, widen(y.get()), refY, kBf16Bound, cols);
  if (residual) compare("RmsNorm.sum", shape, widen(sum.get()), refS, 0);
}

// ---------------------------------------------------------------- embeddings ----

void checkEmbeddingForward(int batch, int seq, int hidden, int vocab, int positions, bool tokenType) {
  const int tokens = batch * seq;
  Dev<int32_t> ids(tokens);
  Dev<float> word(static_cast<size_t>(vocab) * hidden), pos(static_cast<size_t>(positions) * hidden), type(hidden);
  Dev<uint16_t> y(static_cast<size_t>(tokens) * hidden);
  const auto hids = randomInts(ids, vocab);
  const auto hw = randomFloat(word), hp = randomFloat(pos), ht = randomFloat(type);
  y.poison();
  EmbeddingForwardArgs a{};
  a.batch = batch, a.seq = seq, a.hidden = hidden, a.ids = ids.p, a.word = word.p, a.position = pos.p;
  a.tokenType = tokenType ? type.p : nullptr, a.y = y.p;
  const std::string shape = dims({batch, seq, hidden}) + " vocab " + std::to_string(vocab) + (tokenType ? "+type" : "");
  runTraced("EmbeddingForward", shape, a, launchEmbeddingForward);
  std::vector<double> ref(static_cast<size_t>(tokens) * hidden);
  for (int t = 0; t < tokens; ++t) {
    for (int c = 0; c < hidden; ++c) {
      double v = static_cast<double>(hw[static_cast<size_t>(hids[t]) * hidden + c]) +
                 hp[static_cast<size_t>(t % seq) * hidden + c];
      if (tokenType) v += ht[c];
      ref[static_cast<size_t>(t) * hidden + c] = v;
    }
  }
  compare("EmbeddingForward.y", shape, widen(y.get()), ref, kBf16Bound, hidden);
}

void checkEmbeddingBackward(int batch, int seq, int hidden, int vocab, int positions, bool tokenType) {
  const int tokens = batch * seq;
  Dev<int32_t> ids(tokens);
  Dev<uint16_t> dy(static_cast<size_t>(tokens) * hidden);
  Dev<float> dword(static_cast<size_t>(vocab) * hidden), dpos(static_cast<size_t>(positions) * hidden), dtype(hidden);
  const auto hids = randomInts(ids, vocab);
  const auto hdy = randomBf16(dy);
  dword.poison(), dpos.poison(), dtype.poison();
  EmbeddingBackwardArgs a{};
  a.batch = batch, a.seq = seq, a.hidden = hidden, a.vocab = vocab, a.positions = positions, a.ids = ids.p, a.dy = dy.p;
  a.dword = dword.p, a.dposition = dpos.p, a.dtokenType = tokenType ? dtype.p : nullptr;
  const std::string shape = dims({batch, seq, hidden}) + " vocab " + std::to_string(vocab) + " positions " +
                            std::to_string(positions) + (tokenType ? "+type" : "");
  runTraced("EmbeddingBackward", shape, a, launchEmbeddingBackward);
  std::vector<double> refW(dword.n, 0.0), refP(dpos.n, 0.0), refT(hidden, 0.0);
  for (int t = 0; t < tokens; ++t) {
    for (int c = 0; c < hidden; ++c) {
      const double d = fromBf16(hdy[static_cast<size_t>(t) * hidden + c]);
      refW[static_cast<size_t>(hids[t]) * hidden + c] += d;
      refP[static_cast<size_t>(t % seq) * hidden + c] += d;
      refT[c] += d;
    }
  }
  compare("EmbeddingBackward.dword", shape, widen(dword.get()), refW, 1e-5);
  compare("EmbeddingBackward.dposition", shape, widen(dpos.get()), refP, 1e-5);
  if (tokenType) compare("EmbeddingBackward.dtokenType", shape, widen(dtype.get()), refT, kSumBound);
}

// ---------------------------------------------------------------- heads ----

// Offset in [b, heads, s, d] of column j (of 3 heads d, or heads d with `parts` 1) of token t.
size_t headOffset(int t, int j, int seq, int heads, int d, int* which) {
  *which = j / (heads * d);
  const int h = (j % (heads * d)) / d, e = j % d, b = t / seq, s = t % seq;
  return ((static_cast<size_t>(b) * heads + h) * seq + s) * d + e;
}

void checkSplitHeads(int batch, int seq, int heads, int d, bool bias) {
  const int tokens = batch * seq, row = 3 * heads * d;
  const size_t each = static_cast<size_t>(tokens) * heads * d;
  Dev<uint16_t> qkv(static_cast<size_t>(tokens) * row), q(each), k(each), v(each);
  Dev<float> b(row);
  const auto hx = randomBf16(qkv);
  const auto hb = randomFloat(b);
  q.poison(), k.poison(), v.poison();
  SplitHeadsArgs a{};
  a.batch = batch, a.seq = seq, a.heads = heads, a.headDim = d, a.qkv = qkv.p, a.bias = bias ? b.p : nullptr;
  a.q = q.p, a.k = k.p, a.v = v.p;
  const std::string shape = dims({batch, seq, heads, d}) + (bias ? "+bias" : "");
  runTraced("SplitHeads", shape, a, launchSplitHeads);
  std::vector<double> ref[3] = {std::vector<double>(each), std::vector<double>(each), std::vector<double>(each)};
  for (int t = 0; t < tokens; ++t) {
    for (int j = 0; j < row; ++j) {
      int which;
      const size_t at = headOffset(t, j, seq, heads, d, &which);
      const float x = fromBf16(hx[static_cast<size_t>(t) * row + j]);
      ref[which][at] = bias ? roundBf16(x + hb[j]) : x;  // the kernel adds in fp32 and rounds once
    }
  }
  compare("SplitHeads.q", shape, widen(q.get()), ref[0], 0);
  compare("SplitHeads.k", shape, widen(k.get()), ref[1], 0);
  compare("SplitHeads.v", shape, widen(v.get()), ref[2], 0);
}

void checkSplitHeadsBackward(int batch, int seq, int heads, int d, bool bias) {
  const int tokens = batch * seq, row = 3 * heads * d;
  const size_t each = static_cast<size_t>(tokens) * heads * d;
  Dev<uint16_t> dq(each), dk(each), dv(each), dqkv(static_cast<size_t>(tokens) * row);
  Dev<float> dbias(row);
  const std::vector<uint16_t> h[3] = {randomBf16(dq), randomBf16(dk), randomBf16(dv)};
  dqkv.poison(), dbias.poison();
  SplitHeadsBackwardArgs a{};
  a.batch = batch, a.seq = seq, a.heads = heads, a.headDim = d, a.dq = dq.p, a.dk = dk.p, a.dv = dv.p;
  a.dqkv = dqkv.p, a.dbias = bias ? dbias.p : nullptr;
  Dev<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  ws.poison();
  a.workspace = ws.p;
  const std::string shape = dims({batch, seq, heads, d}) + (bias ? "+dbias" : "");
  runTraced("SplitHeadsBackward", shape, a, launchSplitHeadsBackward);
  std::vector<double> ref(dqkv.n), refB(row, 0.0);
  for (int t = 0; t < tokens; ++t) {
    for (int j = 0; j < row; ++j) {
      int which;
      const size_t at = headOffset(t, j, seq, heads, d, &which);
      ref[static_cast<size_t>(t) * row + j] = fromBf16(h[which][at]);
      refB[j] += fromBf16(h[which][at]);
    }
  }
  compare("SplitHeadsBackward.dqkv", shape, widen(dqkv.get()), ref, 0);
  if (bias) compare("SplitHeadsBackward.dbias", shape, widen(dbias.get()), refB, kSumBound);
}

void checkMergeHeads(int batch, int seq, int heads, int d, bool backward) {
  const size_t count = static_cast<size_t>(batch) * seq * heads * d;
  Dev<uint16_t> x(count), y(count);
  const auto hx = randomBf16(x);
  y.poison();
  MergeHeadsArgs a{};
  a.batch = batch, a.seq = seq, a.heads = heads, a.headDim = d, a.x = x.p, a.y = y.p, a.backward = backward;
  const std::string shape = dims({batch, seq, heads, d}) + (backward ? " backward" : " forward");
  runTraced("MergeHeads", shape, a, launchMergeHeads);
  std::vector<double> ref(count);
  for (int t = 0; t < batch * seq; ++t) {
    for (int j = 0; j < heads * d; ++j) {
      int which;
      const size_t split = headOffset(t, j, seq, heads, d, &which), merged = static_cast<size_t>(t) * heads * d + j;
      if (backward) {
        ref[split] = fromBf16(hx[merged]);
      } else {
        ref[merged] = fromBf16(hx[split]);
      }
    }
  }
  compare("MergeHeads.y", shape, widen(y.get()), ref, 0);
}

// The fused attention forward storing O with the heads merged (AttentionArgs::oMerged, what BERT's own
// inference runs): for every variant the device takes, the same launch with O as [batch, heads,
// seq, d] and as [batch, seq, heads, d]; the merged output must equal the other, merged on the host,
// bit for bit (the same arithmetic, only the addresses differ), every element written (poisoned first).
void checkAttentionMergedOut(int batch, int heads, int seq, int d) {
  const size_t count = static_cast<size_t>(batch) * heads * seq * d;
  Dev<uint16_t> q(count), k(count), v(count), split(count), merged(count);
  randomBf16(q), randomBf16(k), randomBf16(v);
  bool sm90a = false;
  CHECK(sm90aAvailable(0, nullptr, &sm90a));
  for (int variant = 0; variant < attentionVariantCount(); ++variant) {
    AttentionArgs a{};
    a.batch = batch, a.heads = heads, a.seq = seq, a.headDim = d, a.causal = false;
    a.scale = 1.0f / std::sqrt(static_cast<float>(d));
    a.q = q.p, a.k = k.p, a.v = v.p, a.variant = variant, a.sm90a = sm90a;
    if (configureAttention(a) != cudaSuccess) {  // a variant this device or head dim does not take
      cudaGetLastError();
      continue;
    }
    split.poison(), merged.poison();
    a.o = split.p;
    CHECK(launchAttentionBf16(a, nullptr, nullptr));
    a.o = merged.p, a.oMerged = true;
    CHECK(launchAttentionBf16(a, nullptr, nullptr));
    CHECK(cudaDeviceSynchronize());
    const std::vector<uint16_t> hs = split.get(), hm = merged.get();
    size_t differ = 0;
    for (int b = 0; b < batch; ++b)
      for (int h = 0; h < heads; ++h)
        for (int t = 0; t < seq; ++t)
          for (int e = 0; e < d; ++e) {
            const size_t from = ((static_cast<size_t>(b) * heads + h) * seq + t) * d + e;
            const size_t to = ((static_cast<size_t>(b) * seq + t) * heads + h) * d + e;
            differ += hs[from] != hm[to] || hm[to] == 0xffff ? 1 : 0;  // 0xffff: the poison, never written
          }
    const bool ok = differ == 0;
    failures += ok ? 0 : 1;
    std::printf(
        "%s Attention.oMerged %s variant %d: %zu of %zu elements differ from the split layout merged (or were not "
        "written)\n",
        ok ? "PASS" : "FAIL", dims({batch, heads, seq, d}).c_str(), variant, differ, count);
  }
}

// ---------------------------------------------------------------- softmax backward, gather ----

void checkSoftmaxBackward(int rows, int cols) {
  const size_t count = static_cast<size_t>(rows) * cols;
  Dev<uint16_t> p(count), ds(count);
  Dev<float> dp(count);
  const auto hp = randomBf16(p);
  const auto hdp = randomFloat(dp);
  ds.poison();
  SoftmaxBackwardArgs a{};
  a.rows = rows, a.cols = cols, a.p = p.p, a.dp = dp.p, a.ds = ds.p, a.scale = 0.125f;
  const std::string shape = dims({rows, cols});
  runTraced("SoftmaxBackward", shape, a, launchSoftmaxBackward);
  std::vector<double> ref(count);
  for (int i = 0; i < rows; ++i) {
    double dot = 0;
    for (int c = 0; c < cols; ++c)
      dot +=
          fromBf16(hp[static_cast<size_t>(i) * cols + c]) * static_cast<double>(hdp[static_cast<size_t>(i) * cols + c]);
    for (int c = 0; c < cols; ++c) {
      const size_t at = static_cast<size_t>(i) * cols + c;
      ref[at] = a.scale * fromBf16(hp[at]) * (hdp[at] - dot);
    }
  }
  compare("SoftmaxBackward.ds", shape, widen(ds.get()), ref, kBf16Bound, cols);
}

void checkGatherRows(int rows, int cols, int sourceRows, bool indexed, int stride, bool backward) {
  Dev<int32_t> index(rows);
  std::vector<int32_t> hi(rows);
  for (int i = 0; i < rows; ++i) hi[i] = (i * 7 + 3) % sourceRows;  // distinct while rows <= sourceRows / gcd
  index.put(hi);
  const size_t gathered = static_cast<size_t>(rows) * cols, source = static_cast<size_t>(sourceRows) * cols;
  Dev<uint16_t> x(backward ? gathered : source), y(backward ? source : gathered);
  const auto hx = randomBf16(x);
  y.poison();
  GatherRowsArgs a{};
  a.rows = rows, a.cols = cols, a.sourceRows = sourceRows, a.index = indexed ? index.p : nullptr, a.stride = stride;
  a.x = x.p, a.y = y.p, a.backward = backward;
  const std::string shape = dims({rows, cols}) + " of " + std::to_string(sourceRows) +
                            (indexed ? " indexed" : " stride " + std::to_string(stride)) +
                            (backward ? " backward" : "");
  runTraced("GatherRows", shape, a, launchGatherRows);
  std::vector<double> ref(y.n, 0.0);
  for (int i = 0; i < rows; ++i) {
    const int src = indexed ? hi[i] : i * stride;
    for (int c = 0; c < cols; ++c) {
      if (backward) {
        ref[static_cast<size_t>(src) * cols + c] = fromBf16(hx[static_cast<size_t>(i) * cols + c]);
      } else {
        ref[static_cast<size_t>(i) * cols + c] = fromBf16(hx[static_cast<size_t>(src) * cols + c]);
      }
    }
  }
  compare("GatherRows.y", shape, widen(y.get()), ref, 0);
}

// ---------------------------------------------------------------- decoding ----

void checkRope(int batch, int heads, int d, int maxPos) {
  const size_t count = static_cast<size_t>(batch) * heads * d;
  Dev<uint16_t> q(count), k(count);
  Dev<int32_t> pos(batch);
  const std::vector<uint16_t> h[2] = {randomBf16(q), randomBf16(k)};
  const auto hpos = randomInts(pos, maxPos);
  RopeArgs a{};
  a.batch = batch, a.heads = heads, a.headDim = d, a.q = q.p, a.k = k.p, a.pos = pos.p;
  const std::string shape = dims({batch, heads, d}) + " pos<" + std::to_string(maxPos);
  runTraced("Rope", shape, a, launchRope);
  std::vector<double> ref[2] = {std::vector<double>(count), std::vector<double>(count)};
  const int half = d / 2;
  for (int t = 0; t < 2; ++t) {
    for (int bh = 0; bh < batch * heads; ++bh) {
      for (int i = 0; i < half; ++i) {
        const double angle = hpos[bh / heads] * std::pow(static_cast<double>(a.base), -2.0 * i / d);
        const size_t at = static_cast<size_t>(bh) * d + i;
        const double x1 = fromBf16(h[t][at]), x2 = fromBf16(h[t][at + half]);
        ref[t][at] = x1 * std::cos(angle) - x2 * std::sin(angle);
        ref[t][at + half] = x2 * std::cos(angle) + x1 * std::sin(angle);
      }
    }
  }
  compare("Rope.q", shape, widen(q.get()), ref[0], kBf16Bound, d);
  compare("Rope.k", shape, widen(k.get()), ref[1], kBf16Bound, d);
}

void checkKvAppend(int batch, int heads, int d, int capacity) {
  const size_t count = static_cast<size_t>(batch) * heads * d, cache = count * capacity;
  Dev<uint16_t> k(count), v(count), kc(cache), vc(cache);
  Dev<int32_t> pos(batch);
  const std::vector<uint16_t> h[2] = {randomBf16(k), randomBf16(v)};
  const std::vector<uint16_t> hc[2] = {randomBf16(kc), randomBf16(vc)};
  const auto hpos = randomInts(pos, capacity);
  KvAppendArgs a{};
  a.batch = batch, a.heads = heads, a.headDim = d, a.capacity = capacity, a.k = k.p, a.v = v.p, a.kCache = kc.p;
  a.vCache = vc.p, a.pos = pos.p;
  const std::string shape = dims({batch, heads, d}) + " capacity " + std::to_string(capacity);
  runTraced("KvAppend", shape, a, launchKvAppend);
  for (int t = 0; t < 2; ++t) {
    std::vector<double> ref = widen(hc[t]);
    for (int bh = 0; bh < batch * heads; ++bh) {
      for (int e = 0; e < d; ++e) {
        ref[(static_cast<size_t>(bh) * capacity + hpos[bh / heads]) * d + e] =
            fromBf16(h[t][static_cast<size_t>(bh) * d + e]);
      }
    }
    compare(t == 0 ? "KvAppend.kCache" : "KvAppend.vCache", shape, widen((t == 0 ? kc : vc).get()), ref, 0);
  }
}

std::vector<double> decodeReference(const DecodeAttentionArgs& a, const std::vector<uint16_t>& q,
                                    const std::vector<uint16_t>& kc, const std::vector<uint16_t>& vc,
                                    const std::vector<int32_t>& pos) {
  const int d = a.headDim;
  std::vector<double> o(static_cast<size_t>(a.batch) * a.heads * d, 0.0), scores, acc(d);
  for (int bh = 0; bh < a.batch * a.heads; ++bh) {
    const int length = pos[bh / a.heads] + 1;
    const size_t base = static_cast<size_t>(bh) * a.capacity * d;
    scores.assign(length, 0.0);
    double big = -INFINITY, total = 0;
    for (int j = 0; j < length; ++j) {
      double dot = 0;
      for (int e = 0; e < d; ++e)
        dot += fromBf16(q[static_cast<size_t>(bh) * d + e]) * fromBf16(kc[base + static_cast<size_t>(j) * d + e]);
      scores[j] = dot * a.scale;
      big = std::max(big, scores[j]);
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int j = 0; j < length; ++j) {
      const double p = std::exp(scores[j] - big);
      total += p;
      for (int e = 0; e < d; ++e) acc[e] += p * fromBf16(vc[base + static_cast<size_t>(j) * d + e]);
    }
    for (int e = 0; e < d; ++e) o[static_cast<size_t>(bh) * d + e] = acc[e] / total;
  }
  return o;
}

void checkDecodeAttention(int batch, int heads, int d, int capacity, const std::vector<int32_t>& hpos, float scale) {
  const size_t count = static_cast<size_t>(batch) * heads * d, cache = count * capacity;
  Dev<uint16_t> q(count), kc(cache), vc(cache), o(count);
  Dev<int32_t> pos(batch);
  const auto hq = randomBf16(q), hk = randomBf16(kc), hv = randomBf16(vc);
  pos.put(hpos);
  o.poison();
  DecodeAttentionArgs a{};
  a.batch = batch, a.heads = heads, a.headDim = d, a.capacity = capacity, a.q = q.p, a.kCache = kc.p, a.vCache = vc.p;
  a.pos = pos.p, a.maxLength = *std::max_element(hpos.begin(), hpos.end()) + 1, a.o = o.p, a.scale = scale;
  Dev<float> ws(nnWorkspaceBytes(a) / sizeof(float));
  ws.poison();
  a.workspace = ws.p;
  std::string lengths;
  for (int32_t p : hpos) lengths += (lengths.empty() ? "" : ",") + std::to_string(p + 1);
  if (lengths.size() > 40) lengths = lengths.substr(0, 37) + "...";
  char scaleText[32];
  std::snprintf(scaleText, sizeof scaleText, " scale %.3g", scale);
  const std::string shape = dims({batch, heads, d}) + " lengths " + lengths + scaleText;
  runTraced("DecodeAttention", shape, a, launchDecodeAttention);
  compare("DecodeAttention.o", shape, widen(o.get()), decodeReference(a, hq, hk, hv, hpos), kBf16Bound, d);
}

void checkSiluMul(int rows, int f) {
  Dev<uint16_t> gu(static_cast<size_t>(rows) * 2 * f), y(static_cast<size_t>(rows) * f);
  const auto h = randomBf16(gu);
  y.poison();
  SiluMulArgs a{};
  a.rows = rows, a.f = f, a.gateUp = gu.p, a.y = y.p;
  const std::string shape = dims({rows, f});
  runTraced("SiluMul", shape, a, launchSiluMul);
  std::vector<double> ref(y.n);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < f; ++j) {
      const double g = fromBf16(h[static_cast<size_t>(r) * 2 * f + j]),
                   u = fromBf16(h[static_cast<size_t>(r) * 2 * f + f + j]);
      ref[static_cast<size_t>(r) * f + j] = g / (1.0 + std::exp(-g)) * u;
    }
  }
  compare("SiluMul.y", shape, widen(y.get()), ref, kBf16Bound, f);
}

void checkArgmaxNext(int rows, int cols, int capacity, int restart) {
  Dev<float> logits(static_cast<size_t>(rows) * cols);
  Dev<int32_t> ids(rows), pos(rows);
  std::vector<float> h = randomFloat(logits);
  std::mt19937_64 gen(nextSeed++);
  for (int r = 0; r < rows; r += 2) {  // every other row: the maximum twice (the smaller index wins)
    const int j1 = static_cast<int>(gen() % cols), j2 = static_cast<int>(gen() % cols);
    h[static_cast<size_t>(r) * cols + j1] = h[static_cast<size_t>(r) * cols + j2] = 2.0f;
  }
  logits.put(h);
  std::vector<int32_t> hpos(rows);
  for (int r = 0; r < rows; ++r) hpos[r] = r == 0 ? capacity - 1 : (r * 13) % capacity;
  pos.put(hpos);
  ids.poison();
  ArgmaxNextArgs a{};
  a.rows = rows, a.cols = cols, a.logits = logits.p, a.ids = ids.p, a.pos = pos.p, a.capacity = capacity;
  a.restart = restart;
  const std::string shape = dims({rows, cols}) + " capacity " + std::to_string(capacity);
  runTraced("ArgmaxNext", shape, a, launchArgmaxNext);
  std::vector<double> refIds(rows), refPos(rows);
  for (int r = 0; r < rows; ++r) {
    const float* row = h.data() + static_cast<size_t>(r) * cols;
    refIds[r] = static_cast<double>(std::max_element(row, row + cols) - row);  // the first maximum
    refPos[r] = hpos[r] + 1 >= capacity ? restart : hpos[r] + 1;
  }
  compare("ArgmaxNext.ids", shape, widen(ids.get()), refIds, 0);
  compare("ArgmaxNext.pos", shape, widen(pos.get()), refPos, 0);
}

// ---------------------------------------------------------------- modes ----

std::vector<int32_t> decodePositions(int batch, int longest) {
  std::vector<int32_t> pos(batch);
  for (int b = 0; b < batch; ++b) pos[b] = std::max(0, longest - 1 - 37 * b);
  return pos;
}

void verifySmall() {
  checkLayerNormForward(5, 67, true), checkLayerNormForward(5, 67, false), checkLayerNormForward(7, 1024, true);
  checkLayerNormForward(3, 4096, true), checkLayerNormForward(2, 768, false);
  checkLayerNormBackward(5, 67), checkLayerNormBackward(7, 1024), checkLayerNormBackward(3, 768);
  checkRmsNorm(5, 67, true), checkRmsNorm(3, 4096, true), checkRmsNorm(2, 4096, false);
  checkEmbeddingForward(2, 7, 67, 50, 16, true), checkEmbeddingForward(2, 7, 64, 50, 16, false);
  checkEmbeddingBackward(3, 7, 67, 5, 16, true), checkEmbeddingBackward(2, 7, 64, 50, 7, false);
  checkSplitHeads(2, 7, 3, 64, true), checkSplitHeads(2, 7, 2, 12, true), checkSplitHeads(2, 7, 2, 128, false);
  checkSplitHeadsBackward(2, 7, 3, 64, true), checkSplitHeadsBackward(2, 7, 2, 12, true);
  checkSplitHeadsBackward(1, 7, 2, 128, false);
  for (bool backward : {false, true}) checkMergeHeads(2, 7, 3, 64, backward), checkMergeHeads(2, 7, 2, 12, backward);
  checkAttentionMergedOut(2, 3, 77, 64), checkAttentionMergedOut(1, 2, 200, 128);
  checkSoftmaxBackward(5, 67), checkSoftmaxBackward(9, 512), checkSoftmaxBackward(33, 128);
  for (bool backward : {false, true}) {
    checkGatherRows(5, 67, 36, false, 7, backward), checkGatherRows(5, 64, 36, true, 0, backward);
  }
  checkRope(3, 5, 64, 4096), checkRope(2, 3, 128, 4096);
  checkKvAppend(3, 4, 128, 100), checkKvAppend(2, 3, 64, 7), checkKvAppend(2, 2, 12, 5);
  const std::vector<int32_t> ragged = {0, 254, 999, 4095};
  checkDecodeAttention(4, 3, 128, 4096, ragged, 1.0f / std::sqrt(128.0f));
  checkDecodeAttention(4, 3, 64, 4096, ragged, 1.0f / std::sqrt(64.0f));
  checkDecodeAttention(4, 3, 128, 4096, ragged, 2.0f);  // peaked scores: chunk maxima far apart
  checkDecodeAttention(3, 2, 128, 300, {0, 254, 100}, 1.0f / std::sqrt(128.0f));
  checkDecodeAttention(2, 2, 64, 1, {0, 0}, 0.125f);
  checkDecodeAttention(1, 32, 128, 1024, {999}, 1.0f / std::sqrt(128.0f));  // 64-position chunks
  checkSiluMul(5, 67), checkSiluMul(3, 64);
  checkArgmaxNext(5, 67, 10, 3), checkArgmaxNext(8, 32000, 4096, 0);
}

void verifyLarge() {
  checkLayerNormForward(4096, 768, true), checkLayerNormBackward(4096, 768), checkRmsNorm(64, 4096, true);
  checkEmbeddingForward(32, 128, 768, 30522, 512, true), checkEmbeddingBackward(32, 128, 768, 30522, 512, true);
  checkSplitHeads(32, 128, 12, 64, true), checkSplitHeadsBackward(32, 128, 12, 64, true);
  checkMergeHeads(32, 128, 12, 64, false), checkMergeHeads(32, 128, 12, 64, true);
  checkAttentionMergedOut(2, 12, 128, 64);
  checkSoftmaxBackward(32 * 12 * 128, 128), checkSoftmaxBackward(8 * 12 * 512, 512);
  checkGatherRows(32, 768, 4096, false, 128, false), checkGatherRows(32, 768, 4096, false, 128, true);
  checkRope(8, 32, 128, 4096), checkKvAppend(8, 32, 128, 4096);
  checkDecodeAttention(8, 32, 128, 4096, decodePositions(8, 4096), 1.0f / std::sqrt(128.0f));
  checkSiluMul(64, 11008);
}

double medianMs(const std::function<cudaError_t()>& launch, int launches) { return medianLaunchMs(launch, launches); }

void printBench(const std::string& what, double ms, double bytes) {
  std::printf("bench %-52s %9.2f us %8.1f GB/s\n", what.c_str(), ms * 1e3, bytes / (ms * 1e-3) / 1e9);
}

void benchLayerNorm(int launches) {
  const int rows = 4096, cols = 768;
  const size_t count = static_cast<size_t>(rows) * cols;
  Dev<uint16_t> x(count), r(count), y(count), sum(count), dy(count), ds(count);
  Dev<float> gamma(cols), beta(cols), mean(rows), rstd(rows), dgamma(cols), dbeta(cols);
  randomBf16(x), randomBf16(r), randomBf16(dy), randomFloat(gamma), randomFloat(beta);
  LayerNormForwardArgs f{};
  f.rows = rows, f.cols = cols, f.x = x.p, f.residual = r.p, f.gamma = gamma.p, f.beta = beta.p, f.y = y.p;
  f.sum = sum.p, f.saveMean = mean.p, f.saveRstd = rstd.p;
  printBench("LayerNormForward 4096x768 +residual +sum (4 bf16 streams)",
             medianMs([&] { return launchLayerNormForward(f, nullptr, nullptr); }, launches), 4.0 * count * 2);
  LayerNormBackwardArgs b{};
  b.rows = rows, b.cols = cols, b.dy = dy.p, b.s = sum.p, b.gamma = gamma.p, b.saveMean = mean.p, b.saveRstd = rstd.p;
  b.ds = ds.p, b.dgamma = dgamma.p, b.dbeta = dbeta.p;
  Dev<float> ws(nnWorkspaceBytes(b) / sizeof(float));
  b.workspace = ws.p;
  printBench("LayerNormBackward 4096x768 (3 bf16 streams + partials)",
             medianMs([&] { return launchLayerNormBackward(b, nullptr, nullptr); }, launches),
             3.0 * count * 2 + 2.0 * nnWorkspaceBytes(b));
}

void benchDecode(int launches) {
  for (int cache : {1024, 4096}) {
    for (int batch : {1, 8, 64}) {
      const int heads = 32, d = 128;
      const size_t count = static_cast<size_t>(batch) * heads * d, cacheCount = count * cache;
      Dev<uint16_t> q(count), kc(cacheCount), vc(cacheCount), o(count);
      Dev<int32_t> pos(batch);
      CHECK(fillRandomBf16(q.p, q.n, 1, nullptr));
      CHECK(fillRandomBf16(kc.p, kc.n, 2, nullptr));
      CHECK(fillRandomBf16(vc.p, vc.n, 3, nullptr));
      pos.put(std::vector<int32_t>(batch, cache - 1));
      DecodeAttentionArgs a{};
      a.batch = batch, a.heads = heads, a.headDim = d, a.capacity = cache, a.q = q.p, a.kCache = kc.p, a.vCache = vc.p;
      a.pos = pos.p, a.maxLength = cache, a.o = o.p, a.scale = 1.0f / std::sqrt(128.0f);
      Dev<float> ws(nnWorkspaceBytes(a) / sizeof(float));
      a.workspace = ws.p;
      const std::string what = "DecodeAttention " + dims({batch, heads, d}) + " cache " + std::to_string(cache) + " (" +
                               std::to_string(nnCtas(a)) + " CTAs)";
      printBench(what, medianMs([&] { return launchDecodeAttention(a, nullptr, nullptr); }, launches),
                 2.0 * cacheCount * 2);
    }
  }
}

void benchArgmax(int launches) {
  const int rows = 8, cols = 32000;
  Dev<float> logits(static_cast<size_t>(rows) * cols);
  Dev<int32_t> ids(rows), pos(rows);
  randomFloat(logits);
  pos.put(std::vector<int32_t>(rows, 0));
  ArgmaxNextArgs a{};
  a.rows = rows, a.cols = cols, a.logits = logits.p, a.ids = ids.p, a.pos = pos.p, a.capacity = 1 << 30, a.restart = 0;
  printBench("ArgmaxNext 8x32000 fp32", medianMs([&] { return launchArgmaxNext(a, nullptr, nullptr); }, launches),
             4.0 * rows * cols);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "verify";
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  smCount = prop.multiProcessorCount;
  std::printf("device: %s, cc %d.%d, %d SMs\n", prop.name, prop.major, prop.minor, smCount);
  if (mode == "verify" || mode == "sanitize") {
    verifySmall();
    if (mode == "verify") verifyLarge();
    std::printf("%s: %d failure(s)\n", mode.c_str(), failures);
    return failures == 0 ? 0 : 1;
  }
  if (mode == "bench") {
    const int launches = argc > 2 ? std::atoi(argv[2]) : 50;
    std::printf("bench: median of %d launches after 5 warm-up launches, CUDA events around each launch\n", launches);
    benchLayerNorm(launches);
    benchDecode(launches);
    benchArgmax(launches);
    return 0;
  }
  std::fprintf(stderr, "usage: nn_transformer_check verify|sanitize|bench [launches]\n");
  return 2;
}

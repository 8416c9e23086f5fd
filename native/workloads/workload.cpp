#include "workloads/workload.h"

#include <cmath>
#include <cstring>
#include "core/errors.h"
#include "workloads/extent.h"

namespace gsm {

std::unique_ptr<Workload> makeGemmWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeProbeWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeConvWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeCudnnConvWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeAttentionWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeCudnnAttentionWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeCublasAttentionWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeStreamWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeCublasGemmWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeMemcpyWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeModelWorkload(const WorkloadSpec& spec);
bool isModelKernel(const std::string& kernel);  // workload_model.cpp

namespace {

// The tuning knobs (src/binding/contract.ts documents them), checked for every workload: a knob a
// workload does not have is refused rather than ignored, so that a benchmark of "variant 3" cannot
// silently measure the default.
void checkKnobs(const WorkloadSpec& spec) {
  const bool own = spec.impl == "own";
  if (spec.variant != -1) {
    int count = 0;
    if (own && spec.kernel == "conv")
      count = convVariantCount();
    else if (own && spec.kernel == "attention")
      count = attentionVariantCount();
    else
      throw NativeFailure({"ERR_ARGS", "variant applies to conv and attention with impl own only", "", ""});
    if (spec.variant < 0 || spec.variant >= count) {
      throw NativeFailure({"ERR_ARGS",
                           spec.kernel + " has tile variants 0 to " + std::to_string(count - 1) +
                               " (-1: chosen by shape and device), got " + std::to_string(spec.variant),
                           "", ""});
    }
  }
  if (spec.profileLayers && !isModelKernel(spec.kernel)) {
    throw NativeFailure({"ERR_ARGS",
                         "profileLayers applies to the model workloads only (resnet50-*, bert-base-*, llm-decode)", "",
                         ""});
  }
  if (!spec.cudnnGraph.empty()) {
    if (spec.kernel != "attention" || spec.impl != "cudnn") {
      throw NativeFailure({"ERR_ARGS", "cudnnGraph applies to attention with impl cudnn only", "", ""});
    }
    if (spec.cudnnGraph != "auto" && spec.cudnnGraph != "unified" && spec.cudnnGraph != "composite") {
      throw NativeFailure(
          {"ERR_ARGS", "cudnnGraph is auto, unified or composite, got '" + spec.cudnnGraph + "'", "", ""});
    }
  }
}

}  // namespace

std::unique_ptr<Workload> makeWorkload(const WorkloadSpec& spec) {
  checkKnobs(spec);
  if (spec.kernel == "gemm" && spec.impl == "own") return makeGemmWorkload(spec);
  if (spec.kernel == "probe") return makeProbeWorkload(spec);
  if (spec.kernel == "conv" && spec.impl == "own") return makeConvWorkload(spec);
  if (spec.kernel == "conv" && spec.impl == "cudnn") return makeCudnnConvWorkload(spec);
  if (spec.kernel == "attention" && spec.impl == "own") return makeAttentionWorkload(spec);
  if (spec.kernel == "attention" && spec.impl == "cudnn") return makeCudnnAttentionWorkload(spec);
  if (spec.kernel == "attention" && spec.impl == "cublas") return makeCublasAttentionWorkload(spec);
  if (spec.kernel == "copy" && (spec.impl == "own" || spec.impl == "cudart")) return makeStreamWorkload(spec);
  if (spec.kernel == "triad" && spec.impl == "own") return makeStreamWorkload(spec);
  if (spec.kernel == "gemm" && spec.impl == "cublas") return makeCublasGemmWorkload(spec);
  if (spec.kernel == "memcpy" && spec.impl == "cudart") return makeMemcpyWorkload(spec);
  if (isModelKernel(spec.kernel)) return makeModelWorkload(spec);  // checks impl, dtype and shape
  throw NativeFailure(
      {"ERR_ARGS", "this build has no workload '" + spec.kernel + "' with impl '" + spec.impl + "'", "", ""});
}

}  // namespace gsm

namespace gsm {
namespace {

size_t elements(const std::vector<int64_t>& dims) {
  uint64_t n = 1;
  for (int64_t d : dims) n = boundedProduct({static_cast<int64_t>(n), d}, kMaxTensorElements, "a tensor read back");
  return n;
}

float halfToFloat(uint16_t h) {  // IEEE binary16, exactly
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ffu;
  float magnitude;
  if (exp == 0)
    magnitude = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    magnitude = man ? std::nanf("") : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(man | 0x400u), static_cast<int>(exp) - 25);
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

std::vector<uint16_t> copy16(const uint16_t* device, size_t n) {
  std::vector<uint16_t> raw(n);
  GSM_CUDA(cudaMemcpy(raw.data(), device, n * sizeof(uint16_t), cudaMemcpyDeviceToHost));
  return raw;
}

}  // namespace

HostTensor bf16Tensor(const char* name, const uint16_t* device, std::vector<int64_t> dims) {
  HostTensor t{name, dims, {}};
  const std::vector<uint16_t> raw = copy16(device, elements(dims));
  t.values.resize(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const uint32_t bits = static_cast<uint32_t>(raw[i]) << 16;
    std::memcpy(&t.values[i], &bits, 4);
  }
  return t;
}

HostTensor fp16Tensor(const char* name, const uint16_t* device, std::vector<int64_t> dims) {
  HostTensor t{name, dims, {}};
  const std::vector<uint16_t> raw = copy16(device, elements(dims));
  t.values.resize(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) t.values[i] = halfToFloat(raw[i]);
  return t;
}

HostTensor floatTensor(const char* name, const float* device, std::vector<int64_t> dims) {
  HostTensor t{name, dims, std::vector<float>(elements(dims))};
  GSM_CUDA(cudaMemcpy(t.values.data(), device, t.values.size() * sizeof(float), cudaMemcpyDeviceToHost));
  return t;
}

}  // namespace gsm

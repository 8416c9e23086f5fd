#include "bindings/workload_binding.h"

#include <cstring>
#include <memory>
#include "core/args.h"
#include "core/async.h"
#include "core/errors.h"
#include "workloads/extent.h"

namespace gsm {
namespace {

// The spec's fields, type-checked; whether this build has the workload (and its shape and knobs
// suit it) is checked by makeWorkload.
WorkloadSpec readSpecFields(const Napi::Object& o) {
  WorkloadSpec w;
  w.kernel = stringField(o, "kernel");
  w.impl = stringField(o, "impl");
  w.dtype = stringField(o, "dtype");
  // 0 is a valid flag (attention's causal, conv's pad); each workload checks its own ranges and the
  // products of its dimensions (workloads/extent.h).
  w.shape = integerArrayField(o, "shape", 0, kMaxShapeDims, 0, 2147483647.0);
  w.seed = uint64Field(o, "seed", 0, 9007199254740991.0);
  if (w.kernel == "probe") {
    w.probeActiveNs = uint64Field(o, "probeActiveNs", 1000, 10e9);
    w.gapThresholdNs = static_cast<uint32_t>(uint64Field(o, "gapThresholdNs", 64, 1e9));
    w.gapCapacity = static_cast<uint32_t>(intField(o, "gapCapacity", 1, 1 << 26));
  }
  w.gemmPath = optionalStringField(o, "gemmPath").value_or("");
  w.variant = optionalIntField(o, "variant", -1, 1 << 16).value_or(-1);
  w.cudnnGraph = optionalStringField(o, "cudnnGraph").value_or("");
  w.profileLayers = boolField(o, "profileLayers", false);
  return w;
}

}  // namespace

WorkloadSpec readWorkloadSpec(const Napi::Object& o) {
  WorkloadSpec w = readSpecFields(o);
  try {
    makeWorkload(w);  // constructing one makes no CUDA call: it only checks that this build has it
  } catch (const NativeFailure& failure) {
    throw toJsError(o.Env(), failure.info());  // ERR_ARGS: a TypeError with its code
  } catch (const std::exception& e) { throwArgs(o.Env(), std::string("invalid workload: ") + e.what()); }
  return w;
}

namespace {

struct CheckJob {
  WorkloadSpec spec;
  int device = 0;
  std::vector<HostTensor> tensors;
};

void runCheck(CheckJob& job) {
  GSM_CUDA(cudaSetDevice(job.device));
  cudaStream_t stream = nullptr;
  GSM_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  std::unique_ptr<Workload> w = makeWorkload(job.spec);
  try {
    w->prepare(job.device, stream);
    GSM_CUDA(w->launch(stream, nullptr));
    GSM_CUDA(cudaStreamSynchronize(stream));
    job.tensors = w->readTensors(stream);
  } catch (...) {
    w->release();
    cudaStreamDestroy(stream);
    throw;
  }
  w->release();
  cudaStreamDestroy(stream);
}

// workloadAvailable(spec): whether this build has the workload ({available, reason}); constructing
// one makes no CUDA call, and a library it needs is only looked for when it is prepared.
Napi::Value WorkloadAvailable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const WorkloadSpec spec = readSpecFields(objectArg(info, 0, "the workload"));
  Napi::Object out = Napi::Object::New(env);
  try {
    makeWorkload(spec);
    out.Set("available", true);
  } catch (const NativeFailure& failure) {
    out.Set("available", false);
    out.Set("reason", failure.info().message);
  } catch (const std::exception& e) {
    out.Set("available", false);
    out.Set("reason", std::string("invalid workload: ") + e.what());
  }
  return out;
}

Napi::Value WorkloadCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<CheckJob>();
  job->spec = readWorkloadSpec(objectArg(info, 0, "the workload"));
  job->device = deviceArg(info, 1);
  return PromiseWorker::Start(
      env, [job]() { runCheck(*job); },
      [job](Napi::Env env) -> Napi::Value {
        Napi::Array list = Napi::Array::New(env, job->tensors.size());
        for (size_t i = 0; i < job->tensors.size(); ++i) {
          const HostTensor& t = job->tensors[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", t.name);
          Napi::Array dims = Napi::Array::New(env, t.dims.size());
          for (size_t j = 0; j < t.dims.size(); ++j) dims.Set(static_cast<uint32_t>(j), static_cast<double>(t.dims[j]));
          o.Set("dims", dims);
          Napi::Float32Array values = Napi::Float32Array::New(env, t.values.size());
          if (!t.values.empty()) std::memcpy(values.Data(), t.values.data(), t.values.size() * sizeof(float));
          o.Set("values", values);
          list.Set(static_cast<uint32_t>(i), o);
        }
        return list;
      });
}

}  // namespace

void registerWorkloadCheck(Napi::Env env, Napi::Object exports) {
  exports.Set("workloadCheck", Napi::Function::New(env, WorkloadCheck, "workloadCheck"));
  exports.Set("workloadAvailable", Napi::Function::New(env, WorkloadAvailable, "workloadAvailable"));
}

}  // namespace gsm

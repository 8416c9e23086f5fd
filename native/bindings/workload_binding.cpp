#include "bindings/workload_binding.h"

#include <cstring>
#include <memory>
#include "core/args.h"
#include "core/async.h"
#include "core/errors.h"

namespace gsm {
namespace {

std::vector<int64_t> shapeField(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string("expected an array of integers for ") + key);
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length() && i < 16; ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("expected an array of integers for ") + key);
    const double d = e.As<Napi::Number>().DoubleValue();
    // 0 is a valid flag (attention's causal, conv's pad); each workload checks its own ranges.
    if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int64_t>(d))) {
      throw Napi::TypeError::New(o.Env(), std::string("expected integers in [0, 2^31) in ") + key);
    }
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

// The spec's fields, type-checked; whether this build has the workload is checked by the callers.
WorkloadSpec readSpecFields(const Napi::Object& o) {
  WorkloadSpec w;
  w.kernel = stringField(o, "kernel");
  w.impl = stringField(o, "impl");
  w.dtype = stringField(o, "dtype");
  w.shape = shapeField(o, "shape");
  w.seed = static_cast<uint64_t>(numberField(o, "seed", 0, 9007199254740991.0));
  if (w.kernel == "probe") {
    w.probeActiveNs = static_cast<uint64_t>(numberField(o, "probeActiveNs", 1000, 10e9));
    w.gapThresholdNs = static_cast<uint32_t>(numberField(o, "gapThresholdNs", 64, 1e9));
    w.gapCapacity = static_cast<uint32_t>(intField(o, "gapCapacity", 1, 1 << 26));
  }
  Napi::Value path = o.Get("gemmPath");
  if (!path.IsUndefined()) {
    if (!path.IsString()) throw Napi::TypeError::New(o.Env(), "expected a string for gemmPath");
    w.gemmPath = path.As<Napi::String>().Utf8Value();
  }
  return w;
}

}  // namespace

WorkloadSpec readWorkloadSpec(const Napi::Object& o) {
  WorkloadSpec w = readSpecFields(o);
  try {
    makeWorkload(w);  // constructing one makes no CUDA call: it only checks that this build has it
  } catch (const NativeFailure& failure) {
    throw Napi::TypeError::New(o.Env(), failure.info().message);
  } catch (const std::exception& e) {
    throw Napi::TypeError::New(o.Env(), std::string("invalid workload: ") + e.what());
  }
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
  }
  return out;
}

Napi::Value WorkloadCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<CheckJob>();
  job->spec = readWorkloadSpec(objectArg(info, 0, "the workload"));
  if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "expected a device index");
  const double d = info[1].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 1023) || d != static_cast<int>(d)) throw Napi::TypeError::New(env, "expected a device index in [0, 1023]");
  job->device = static_cast<int>(d);
  return PromiseWorker::Start(env, [job]() { runCheck(*job); }, [job](Napi::Env env) -> Napi::Value {
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

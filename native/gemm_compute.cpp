#include "gemm_compute.h"

#include <cstring>
#include <memory>
#include <vector>
#include "../kernels/launch.h"
#include "args.h"
#include "async.h"

namespace gsm {
namespace {

struct GemmJob {
  int device = 0, m = 0, n = 0, k = 0;
  std::vector<uint16_t> a, b;
  std::vector<float> c;
};

// Device buffers freed on every path out of run().
struct DeviceBuffers {
  uint16_t* a = nullptr;
  uint16_t* b = nullptr;
  float* c = nullptr;
  ~DeviceBuffers() {
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }
};

void run(GemmJob& job) {
  GSM_CUDA(cudaSetDevice(job.device));
  DeviceBuffers d;
  GSM_CUDA(cudaMalloc(&d.a, job.a.size() * sizeof(uint16_t)));
  GSM_CUDA(cudaMalloc(&d.b, job.b.size() * sizeof(uint16_t)));
  GSM_CUDA(cudaMalloc(&d.c, job.c.size() * sizeof(float)));
  GSM_CUDA(cudaMemcpy(d.a, job.a.data(), job.a.size() * sizeof(uint16_t), cudaMemcpyHostToDevice));
  GSM_CUDA(cudaMemcpy(d.b, job.b.data(), job.b.size() * sizeof(uint16_t), cudaMemcpyHostToDevice));
  GSM_CUDA(fillFloat(d.c, job.c.size(), __builtin_nanf(""), nullptr));
  GSM_CUDA(launchGemmBf16(GemmArgs{job.m, job.n, job.k, d.a, d.b, d.c}, nullptr, nullptr));
  GSM_CUDA(cudaDeviceSynchronize());
  GSM_CUDA(cudaMemcpy(job.c.data(), d.c, job.c.size() * sizeof(float), cudaMemcpyDeviceToHost));
}

std::vector<uint16_t> copyBf16(const Napi::Object& o, const char* key, size_t expected) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) {
    throw Napi::TypeError::New(o.Env(), std::string("expected a Uint16Array (bf16 bits) for ") + key);
  }
  Napi::Uint16Array arr = v.As<Napi::Uint16Array>();
  if (arr.ElementLength() != expected) {
    throw Napi::TypeError::New(o.Env(), std::string("expected ") + key + " to hold " +
                                            std::to_string(expected) + " elements");
  }
  return std::vector<uint16_t>(arr.Data(), arr.Data() + expected);
}

Napi::Value GemmCompute(const Napi::CallbackInfo& info) {
  Napi::Object o = objectArg(info, 0, "the gemm arguments");
  auto job = std::make_shared<GemmJob>();
  job->device = intField(o, "device", 0, 1023);
  job->m = intField(o, "m", 1, 1 << 15);
  job->n = intField(o, "n", 1, 1 << 15);
  job->k = intField(o, "k", 1, 1 << 15);
  job->a = copyBf16(o, "a", static_cast<size_t>(job->m) * job->k);
  job->b = copyBf16(o, "b", static_cast<size_t>(job->k) * job->n);
  job->c.resize(static_cast<size_t>(job->m) * job->n);
  return PromiseWorker::Start(info.Env(), [job]() { run(*job); },
                              [job](Napi::Env env) -> Napi::Value {
                                Napi::Float32Array out = Napi::Float32Array::New(env, job->c.size());
                                std::memcpy(out.Data(), job->c.data(), job->c.size() * sizeof(float));
                                return out;
                              });
}

}  // namespace

void registerGemmCompute(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmCompute", Napi::Function::New(env, GemmCompute, "gemmCompute"));
}

}  // namespace gsm

#include "bindings/green_binding.h"

#include <memory>
#include <vector>
#include "core/args.h"
#include "core/async.h"
#include "core/green_context.h"

namespace gsm {
namespace {

Napi::Value SmPartitioningJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "expected a device index");
  const double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 1023) || d != static_cast<int>(d)) throw Napi::TypeError::New(env, "expected a device index in [0, 1023]");
  const int device = static_cast<int>(d);
  auto out = std::make_shared<SmPartitioning>();
  return PromiseWorker::Start(env, [out, device]() { *out = smPartitioning(device); },
                              [out](Napi::Env env) -> Napi::Value {
                                Napi::Object o = Napi::Object::New(env);
                                o.Set("supported", out->supported);
                                if (!out->supported) o.Set("reason", out->reason);
                                o.Set("smCount", out->smCount);
                                o.Set("minPartition", out->minPartition);
                                o.Set("alignment", out->alignment);
                                o.Set("unitGroups", out->unitGroups);
                                return o;
                              });
}

Napi::Value CreateGreenContextsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object args = objectArg(info, 0, "the green-context request");
  const int device = intField(args, "device", 0, 1023);
  Napi::Value counts = args.Get("smCounts");
  if (!counts.IsArray() || counts.As<Napi::Array>().Length() == 0 || counts.As<Napi::Array>().Length() > 256) {
    throw Napi::TypeError::New(env, "expected smCounts to be an array of 1 to 256 SM counts");
  }
  std::vector<unsigned int> smCounts;
  Napi::Array a = counts.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value v = a.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "expected smCounts to hold integers");
    const double c = v.As<Napi::Number>().DoubleValue();
    if (!(c >= 1 && c <= 65536) || c != static_cast<unsigned int>(c)) throw Napi::TypeError::New(env, "expected SM counts in [1, 65536]");
    smCounts.push_back(static_cast<unsigned int>(c));
  }
  auto out = std::make_shared<std::vector<int>>();
  return PromiseWorker::Start(env, [out, device, smCounts]() { *out = createGreenContexts(device, smCounts); },
                              [out](Napi::Env env) -> Napi::Value {
                                Napi::Array list = Napi::Array::New(env, out->size());
                                for (size_t i = 0; i < out->size(); ++i) {
                                  const GreenGroup g = greenGroup((*out)[i]);
                                  Napi::Object o = Napi::Object::New(env);
                                  o.Set("index", (*out)[i]);
                                  o.Set("requestedSms", g.requestedSms);
                                  o.Set("grantedSms", g.grantedSms);
                                  list.Set(static_cast<uint32_t>(i), o);
                                }
                                return list;
                              });
}

Napi::Value ReleaseGreenContextsJs(const Napi::CallbackInfo& info) {
  releaseGreenContexts();
  return info.Env().Undefined();
}

}  // namespace

void registerGreenContexts(Napi::Env env, Napi::Object exports) {
  exports.Set("smPartitioning", Napi::Function::New(env, SmPartitioningJs, "smPartitioning"));
  exports.Set("createGreenContexts", Napi::Function::New(env, CreateGreenContextsJs, "createGreenContexts"));
  exports.Set("releaseGreenContexts", Napi::Function::New(env, ReleaseGreenContextsJs, "releaseGreenContexts"));
}

}  // namespace gsm

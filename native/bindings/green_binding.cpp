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
  const int device = deviceArg(info, 0);
  auto out = std::make_shared<SmPartitioning>();
  return PromiseWorker::Start(
      env, [out, device]() { *out = smPartitioning(device); },
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
  std::vector<unsigned int> smCounts;
  for (int64_t c : integerArrayField(args, "smCounts", 1, 256, 1, 65536))
    smCounts.push_back(static_cast<unsigned int>(c));
  auto out = std::make_shared<std::vector<int>>();
  return PromiseWorker::Start(
      env, [out, device, smCounts]() { *out = createGreenContexts(device, smCounts); },
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

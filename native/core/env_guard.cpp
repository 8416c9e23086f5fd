#include "core/env_guard.h"

#include <atomic>

namespace gsm {
namespace {

struct EnvironmentState {
  std::atomic<bool> tornDown{false};
};

}  // namespace

void watchEnvironment(Napi::Env env) {
  auto* state = new EnvironmentState();
  env.SetInstanceData(state);  // deleted by Node with the environment
  env.AddCleanupHook([state]() { state->tornDown.store(true); });
}

bool canCallIntoJs(Napi::Env env) noexcept {
  const auto* state = env.GetInstanceData<EnvironmentState>();
  if (state != nullptr && state->tornDown.load()) return false;
  // napi_has_named_property refuses (napi_pending_exception) as soon as the environment can no
  // longer call into JavaScript; on a fresh object it runs no JavaScript of its own.
  napi_value probe = nullptr;
  bool has = false;
  return napi_create_object(env, &probe) == napi_ok && napi_has_named_property(env, probe, "probe", &has) == napi_ok;
}

}  // namespace gsm

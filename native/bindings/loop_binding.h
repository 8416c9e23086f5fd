// TimedLoop as a JavaScript object: createLoop(config) -> { prepare(), run(startAtNs), stop(), release() }.
#pragma once

#include <napi.h>

namespace gsm {
void registerLoop(Napi::Env env, Napi::Object exports);
}

// Green contexts for JavaScript: smPartitioning(device), createGreenContexts({device, smCounts}),
// releaseGreenContexts(). Timed loops take the returned indices as `greenContext`.
#pragma once

#include <napi.h>

namespace gsm {
void registerGreenContexts(Napi::Env env, Napi::Object exports);
}

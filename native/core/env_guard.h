// Whether JavaScript can still run in an environment. Node tears an environment down (a worker
// thread terminated, or one calling process.exit()) while native work it started may still be
// pending: the completion callbacks of that work still run, but every N-API call that could run
// JavaScript fails, and node-addon-api turns such a failure into a C++ exception. An exception that
// escapes a completion callback ends the whole process (std::terminate, exit code 134), so the
// callbacks ask first and leave a dying environment alone (core/async.h).
#pragma once

#include <napi.h>

namespace gsm {

// Registers the environment's cleanup hook; call once per environment, from the module's Init.
void watchEnvironment(Napi::Env env);

// False once the environment's cleanup hook has run, or where a side-effect-free N-API call that
// needs JavaScript to be runnable fails. Never throws.
bool canCallIntoJs(Napi::Env env) noexcept;

}  // namespace gsm

// The base of the addon's JavaScript classes (TimedLoop, NvmlSampler, PmSampler). With plain
// ObjectWrap, a method called on another object (a plain object, an instance of another of these
// classes, a Proxy) is refused by V8 with an uncoded TypeError ("Illegal invocation"), and a class
// called without `new` by node-addon-api with another. Here each instance is type-tagged when it is
// made, every method is a plain function on the prototype that checks the tag before unwrapping, and
// a wrong `this` or a call without `new` is a TypeError with code ERR_ARGS like any argument error.
#pragma once

#include <napi.h>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include "core/args.h"
#include "core/async.h"

namespace gsm {

// T provides `static constexpr const char* kClassName` and `static const napi_type_tag kTypeTag`.
template <typename T>
class CheckedWrap : public Napi::ObjectWrap<T> {
 public:
  using MethodFn = Napi::Value (T::*)(const Napi::CallbackInfo&);

  explicit CheckedWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {
    info.This().As<Napi::Object>().TypeTag(&T::kTypeTag);
  }

  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info) {
    throwArgs(info.Env(), std::string(T::kClassName) + " is a class: call it with new");
  }

 protected:
  // Marks the instance busy and keeps it alive until its promise settles, either way (pass the
  // result as PromiseWorker::Start's `settled`).
  PromiseWorker::Settled hold(bool& busy) {
    busy = true;
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(this->Value()));
    return [&busy, ref]() { busy = false; };
  }

  using Callback = Napi::Value (*)(const Napi::CallbackInfo&);

  // The method M as a plain function that checks `this` before unwrapping it.
  template <MethodFn M>
  static Callback method() {
    return &Call<M>;
  }

  // The class, with its methods set on the prototype after DefineClass (a class template may hold
  // only primitives and templates, not these functions).
  static Napi::Function DefineWithMethods(Napi::Env env,
                                          std::initializer_list<std::pair<const char*, Callback>> methods) {
    Napi::Function ctor =
        Napi::ObjectWrap<T>::DefineClass(env, T::kClassName, std::initializer_list<Napi::ClassPropertyDescriptor<T>>{});
    Napi::Object prototype = ctor.Get("prototype").As<Napi::Object>();
    for (const auto& [name, callback] : methods) {
      prototype.DefineProperty(
          Napi::PropertyDescriptor::Value(name, Napi::Function::New(env, callback, name), napi_default));
    }
    return ctor;
  }

 private:
  template <MethodFn M>
  static Napi::Value Call(const Napi::CallbackInfo& info) {
    const Napi::Value self = info.This();
    if (!self.IsObject() || !self.As<Napi::Object>().CheckTypeTag(&T::kTypeTag)) {
      throwArgs(info.Env(), std::string("expected a ") + T::kClassName + " as `this`");
    }
    T* instance = Napi::ObjectWrap<T>::Unwrap(self.As<Napi::Object>());
    return (instance->*M)(info);
  }
};

}  // namespace gsm

// The one way the addon loads an NVIDIA library at run time (NVML, CUPTI, cuBLAS, cuBLASLt, cuDNN):
// open the first candidate that loads, bind its symbols, and say what was tried and what is missing.
// Every loader follows the same convention: its Api struct extends LoadedLibrary, is filled once per
// process (a function-local static), and never throws while loading; `unavailable` says why the
// library cannot be used. Callers decide what that means (a NativeFailure with ERR_LIBRARY for a
// workload, available:false for an observer).
#pragma once

#include <dlfcn.h>
#include <initializer_list>
#include <string>
#include <vector>

namespace gsm {

struct LoadedLibrary {
  void* handle = nullptr;
  std::string file;         // the candidate that loaded
  std::string unavailable;  // empty when the library is usable; otherwise why not, in one sentence
};

struct OpenedLibrary {
  void* handle = nullptr;
  std::string file;   // the candidate that loaded
  std::string tried;  // "dlerror; ..." for each candidate that did not (each message names its file)
};

OpenedLibrary openFirst(const std::vector<std::string>& candidates);

// `names` as given (the loader's search path), then under each of `subdirs` of $CUDA_HOME, $CUDA_PATH
// and /usr/local/cuda, for toolkit libraries the loader is not told about.
std::vector<std::string> toolkitCandidates(std::initializer_list<const char*> names,
                                           std::initializer_list<const char*> subdirs = {"lib64"});

// Binds `symbol` into `fn`; on failure appends the symbol to `missing` (comma-separated) and returns false.
template <typename F>
bool bindSymbol(void* library, F& fn, const char* symbol, std::string* missing = nullptr) {
  fn = reinterpret_cast<F>(dlsym(library, symbol));
  if (fn == nullptr && missing != nullptr) *missing += (missing->empty() ? "" : ", ") + std::string(symbol);
  return fn != nullptr;
}

// Closes a library that turned out unusable (a required symbol missing) and clears the handle.
void closeLibrary(LoadedLibrary& library);

}  // namespace gsm

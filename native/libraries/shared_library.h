// Loading the NVIDIA libraries the addon uses at run time (NVML, CUPTI, cuBLAS, cuBLASLt, cuDNN):
// open the first candidate that loads, and bind symbols, saying what was tried and what is missing.
#pragma once

#include <dlfcn.h>
#include <initializer_list>
#include <string>
#include <vector>

namespace gsm {

struct OpenedLibrary {
  void* handle = nullptr;
  std::string file;   // the candidate that loaded
  std::string tried;  // "name: dlerror; ..." for each candidate that did not
};

OpenedLibrary openFirst(const std::vector<std::string>& candidates);

// `names` as given (the loader's search path), then under $CUDA_HOME/lib64, $CUDA_PATH/lib64 and
// /usr/local/cuda/lib64, for toolkit libraries the loader is not told about.
std::vector<std::string> toolkitCandidates(std::initializer_list<const char*> names);

// Binds `symbol` into `fn`; on failure appends the symbol to `missing` (comma-separated) and returns false.
template <typename F>
bool bindSymbol(void* library, F& fn, const char* symbol, std::string* missing = nullptr) {
  fn = reinterpret_cast<F>(dlsym(library, symbol));
  if (fn == nullptr && missing != nullptr) *missing += (missing->empty() ? "" : ", ") + std::string(symbol);
  return fn != nullptr;
}

}  // namespace gsm

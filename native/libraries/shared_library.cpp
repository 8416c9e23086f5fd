#include "libraries/shared_library.h"

#include <cstdlib>

namespace gsm {

OpenedLibrary openFirst(const std::vector<std::string>& candidates) {
  OpenedLibrary out;
  for (const std::string& name : candidates) {
    out.handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (out.handle != nullptr) {
      out.file = name;
      return out;
    }
    const char* e = dlerror();
    out.tried += (out.tried.empty() ? "" : "; ") + name + ": " + (e != nullptr ? e : "not found");
  }
  return out;
}

std::vector<std::string> toolkitCandidates(std::initializer_list<const char*> names) {
  std::vector<std::string> out(names.begin(), names.end());
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* root = std::getenv(var)) {
      for (const char* n : names) out.push_back(std::string(root) + "/lib64/" + n);
    }
  }
  for (const char* n : names) out.push_back(std::string("/usr/local/cuda/lib64/") + n);
  return out;
}

}  // namespace gsm

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
    // dlerror() names the file it could not open; say it only once.
    std::string why = e != nullptr ? e : name + ": not found";
    if (why.compare(0, name.size(), name) != 0) why = name + ": " + why;
    out.tried += (out.tried.empty() ? "" : "; ") + why;
  }
  return out;
}

std::vector<std::string> toolkitCandidates(std::initializer_list<const char*> names,
                                           std::initializer_list<const char*> subdirs) {
  std::vector<std::string> out(names.begin(), names.end());
  std::vector<std::string> roots;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* root = std::getenv(var)) roots.push_back(root);
  }
  roots.push_back("/usr/local/cuda");
  for (const std::string& root : roots) {
    for (const char* sub : subdirs) {
      for (const char* n : names) out.push_back(root + "/" + sub + "/" + n);
    }
  }
  return out;
}

void closeLibrary(LoadedLibrary& library) {
  if (library.handle != nullptr) dlclose(library.handle);
  library.handle = nullptr;
}

}  // namespace gsm

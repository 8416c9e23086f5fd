#include "workloads/extent.h"

#include "core/errors.h"

namespace gsm {

uint64_t boundedProduct(std::initializer_list<int64_t> dims, uint64_t limit, const std::string& what) {
  uint64_t product = 1;
  bool over = false;
  for (const int64_t d : dims) {
    if (d < 0) throw NativeFailure({"ERR_ARGS", what + ": negative size", "", ""});
  }
  for (const int64_t d : dims) {
    if (d == 0) return 0;
  }
  for (const int64_t d : dims) over = over || __builtin_mul_overflow(product, static_cast<uint64_t>(d), &product);
  if (over || product > limit) {
    throw NativeFailure({"ERR_ARGS", what + " is too large (at most " + std::to_string(limit) + " elements)", "", ""});
  }
  return product;
}

}  // namespace gsm

#include "core/green_context.h"

#include <algorithm>
#include <mutex>
#include "libraries/driver_api.h"
#include "core/errors.h"

namespace gsm {
namespace {

std::mutex registryMutex;
std::vector<GreenGroup> registry;

CUdevResource deviceSms(int device) {
  requireDriverApi("green contexts");
  const DriverApi& cu = driverApi();
  int count = 0;
  GSM_CUDA(cudaGetDeviceCount(&count));  // initialises the driver, creates no context
  CUdevice dev = 0;
  GSM_CU(cu.deviceGet(&dev, device));
  CUdevResource sms{};
  GSM_CU(cu.deviceGetDevResource(dev, &sms, CU_DEV_RESOURCE_TYPE_SM));
  return sms;
}

}  // namespace

SmPartitioning smPartitioning(int device) {
  SmPartitioning out;
  try {
    const CUdevResource sms = deviceSms(device);
    out.smCount = sms.sm.smCount;
    out.minPartition = sms.sm.minSmPartitionSize;
    out.alignment = sms.sm.smCoscheduledAlignment;
    const unsigned int unit = std::max({out.minPartition, out.alignment, 1u});
    GSM_CU(driverApi().devSmResourceSplitByCount(nullptr, &out.unitGroups, &sms, nullptr, 0, unit));
    out.supported = true;
  } catch (const NativeFailure& failure) { out.reason = failure.info().message; }
  return out;
}

std::vector<int> createGreenContexts(int device, const std::vector<unsigned int>& smCounts) {
  const DriverApi& cu = driverApi();
  CUdevResource sms = deviceSms(device);
  CUdevice dev = 0;
  GSM_CU(cu.deviceGet(&dev, device));
  // The results of a split cannot be split again, and the groups of one split are all the same
  // size. Equal requests are one split into that many groups. Otherwise the SMs are split once into
  // the smallest groups the device grants, and each client's group is made of as many of them as it
  // needs (results of one split may be combined into one descriptor). Either way the driver may
  // grant fewer groups than the SMs would allow (its groups respect the GPU's SM clusters).
  const unsigned int unit = std::max({sms.sm.minSmPartitionSize, sms.sm.smCoscheduledAlignment, 1u});
  const bool equal = std::all_of(smCounts.begin(), smCounts.end(), [&](unsigned int c) { return c == smCounts[0]; });
  std::vector<CUdevResource> units;
  CUdevResource rest{};
  if (equal) {
    unsigned int groups = static_cast<unsigned int>(smCounts.size());
    units.resize(groups);
    GSM_CU(cu.devSmResourceSplitByCount(units.data(), &groups, &sms, &rest, 0, smCounts[0]));
    units.resize(groups);
    if (groups < smCounts.size()) units.clear();  // not enough equal groups: try the small ones
  }
  if (units.empty()) {
    unsigned int available = 0;
    GSM_CU(cu.devSmResourceSplitByCount(nullptr, &available, &sms, nullptr, 0, unit));
    units.resize(available);
    if (available > 0) GSM_CU(cu.devSmResourceSplitByCount(units.data(), &available, &sms, &rest, 0, unit));
    units.resize(available);
  }
  std::vector<GreenGroup> made;
  try {
    size_t next = 0;
    for (size_t i = 0; i < smCounts.size(); ++i) {
      GreenGroup g;
      g.requestedSms = smCounts[i];
      const size_t first = next;
      while (next < units.size() && g.grantedSms < smCounts[i]) g.grantedSms += units[next++].sm.smCount;
      if (g.grantedSms < smCounts[i]) {
        throw NativeFailure({"ERR_ARGS",
                             "green context " + std::to_string(i) + " asked for " + std::to_string(smCounts[i]) +
                                 " SMs but the device's " + std::to_string(units.size()) + " groups of " +
                                 std::to_string(units.empty() ? unit : units[0].sm.smCount) + " SMs were used up",
                             "", ""});
      }
      CUdevResourceDesc desc = nullptr;
      GSM_CU(cu.devResourceGenerateDesc(&desc, &units[first], static_cast<unsigned int>(next - first)));
      GSM_CU(cu.greenCtxCreate(&g.green, desc, dev, CU_GREEN_CTX_DEFAULT_STREAM));
      made.push_back(g);
      GSM_CU(cu.ctxFromGreenCtx(&made.back().context, made.back().green));
    }
  } catch (...) {
    for (GreenGroup& g : made) cu.greenCtxDestroy(g.green);
    throw;
  }
  std::lock_guard<std::mutex> lock(registryMutex);
  std::vector<int> indices;
  for (const GreenGroup& g : made) {
    indices.push_back(static_cast<int>(registry.size()));
    registry.push_back(g);
  }
  return indices;
}

GreenGroup greenGroup(int index) {
  std::lock_guard<std::mutex> lock(registryMutex);
  if (index < 0 || index >= static_cast<int>(registry.size()) || registry[index].green == nullptr) {
    throw NativeFailure({"ERR_ARGS", "no green context with index " + std::to_string(index), "", ""});
  }
  return registry[index];
}

void releaseGreenContexts() noexcept {
  std::lock_guard<std::mutex> lock(registryMutex);
  const DriverApi& cu = driverApi();
  for (GreenGroup& g : registry) {
    if (g.green != nullptr && cu.greenCtxDestroy != nullptr) cu.greenCtxDestroy(g.green);
    g.green = nullptr;
  }
}

}  // namespace gsm

#include "green_context.h"

#include <mutex>
#include "driver_api.h"
#include "errors.h"

namespace gsm {
namespace {

std::mutex registryMutex;
std::vector<GreenGroup> registry;

CUdevResource deviceSms(int device) {
  const DriverApi& cu = driverApi();
  if (!cu.missing.empty()) throw NativeFailure({"ERR_CUDA", "green contexts unavailable: " + cu.missing, "", ""});
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
    out.supported = true;
  } catch (const NativeFailure& failure) {
    out.reason = failure.info().message;
  }
  return out;
}

std::vector<int> createGreenContexts(int device, const std::vector<unsigned int>& smCounts) {
  const DriverApi& cu = driverApi();
  CUdevResource remaining = deviceSms(device);
  CUdevice dev = 0;
  GSM_CU(cu.deviceGet(&dev, device));
  std::vector<GreenGroup> made;
  try {
    for (size_t i = 0; i < smCounts.size(); ++i) {
      CUdevResource group{};
      CUdevResource rest{};
      unsigned int groups = 1;
      GSM_CU(cu.devSmResourceSplitByCount(&group, &groups, &remaining, &rest, 0, smCounts[i]));
      if (groups < 1) {
        throw NativeFailure({"ERR_ARGS",
                             "green context " + std::to_string(i) + " asked for " + std::to_string(smCounts[i]) +
                                 " SMs but only " + std::to_string(remaining.sm.smCount) + " were left",
                             "", ""});
      }
      GreenGroup g;
      g.requestedSms = smCounts[i];
      g.grantedSms = group.sm.smCount;
      CUdevResourceDesc desc = nullptr;
      GSM_CU(cu.devResourceGenerateDesc(&desc, &group, 1));
      GSM_CU(cu.greenCtxCreate(&g.green, desc, dev, CU_GREEN_CTX_DEFAULT_STREAM));
      made.push_back(g);
      GSM_CU(cu.ctxFromGreenCtx(&made.back().context, made.back().green));
      remaining = rest;
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

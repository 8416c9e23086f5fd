// The model graphs as built, without a GPU: builds one model (native/models, no prepare, so nothing
// is allocated or launched) and prints what the build decided as one JSON object, for
// test/graph-facts.test.ts to hold against the registry (src/registry/workloads.ts):
//   graph_facts resnet50 own|library TRAIN BATCH INPUT
//   graph_facts bert     own|library TRAIN BATCH SEQ
//   graph_facts llm      own|library BATCH LAYERS KV
//   graph_facts conv-plan N C H W K R S STRIDE PAD SMS
// TRAIN is 1 (a training step) or 0 (inference). conv-plan prints what the own conv's planConv
// decides for one convolution on SMS SMs of a device that runs sm_90a code (splits, the adding
// kernel's CTAs, the gather's rows per chunk, the tile variant), its workspace bytes and the trace
// records a launch writes. Otherwise printed: the model FLOPs of a step, the parameter
// elements, the device bytes prepare() would allocate (activation arena, parameter buffers), and
// every op in order (layer, phase, what, implementation as built, FLOPs) and every tensor the arena
// holds (name, bytes). The test links it with
// g++ against the CUDA headers and static runtime; the kernels' launchers and the libraries' loaders
// are left unresolved (-Wl,--unresolved-symbols=ignore-all): building a graph never calls them.
#include <cstdio>
#include <cstdlib>
#include <string>
#include "core/errors.h"
#include "kernels/launch.h"
#include "models/graph.h"

using namespace gsm;
using namespace gsm::model;

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

int usage() {
  std::fprintf(stderr,
               "usage: graph_facts resnet50|bert own|library TRAIN BATCH INPUT|SEQ | graph_facts llm own|library "
               "BATCH LAYERS KV | graph_facts conv-plan N C H W K R S STRIDE PAD SMS\n");
  return 2;
}

// The own conv's plan for one convolution (kernels/conv.cu's host functions; nothing is launched).
int convPlan(char** argv) {
  ConvArgs a{};
  a.n = std::atoi(argv[2]), a.c = std::atoi(argv[3]), a.h = std::atoi(argv[4]), a.w = std::atoi(argv[5]);
  a.k = std::atoi(argv[6]), a.r = std::atoi(argv[7]), a.s = std::atoi(argv[8]);
  a.stride = std::atoi(argv[9]), a.pad = std::atoi(argv[10]);
  a.p = convOutputSize(a.h, a.r, a.stride, a.pad);
  a.q = convOutputSize(a.w, a.s, a.stride, a.pad);
  a.sm90a = true;
  planConv(&a, std::atoi(argv[11]));
  std::printf(
      "{\"splits\":%d,\"sumCtas\":%d,\"gatherRows\":%d,\"variant\":%d,\"workspaceBytes\":%zu,"
      "\"traceRecords\":%d}\n",
      a.splits, a.sumCtas, a.gatherRows, a.variant, convWorkspaceBytes(a), convCtaCount(a));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 12 && std::string(argv[1]) == "conv-plan") return convPlan(argv);
  if (argc != 6) return usage();
  const std::string model = argv[1], implName = argv[2];
  if (implName != "own" && implName != "library") return usage();
  const Impl impl = implName == "own" ? Impl::Own : Impl::Library;
  const int a = std::atoi(argv[3]), b = std::atoi(argv[4]), c = std::atoi(argv[5]);
  Graph graph;
  try {
    if (model == "resnet50") {
      ResNetConfig config;
      config.train = a != 0;
      config.batch = b;
      config.input = c;
      config.classes = c == 32 ? 10 : 1000;
      buildResNet(graph, config, impl);
    } else if (model == "bert") {
      BertConfig config;
      config.train = a != 0;
      config.batch = b;
      config.seq = c;
      buildBert(graph, config, impl);
    } else if (model == "llm") {
      LlmConfig config;
      config.batch = a;
      config.layers = b;
      config.kvLength = c;
      buildLlmDecode(graph, config, impl);
    } else {
      return usage();
    }
  } catch (const NativeFailure& e) {
    std::fprintf(stderr, "graph_facts: %s (%s)\n", e.what(), e.info().code.c_str());
    return 1;
  }
  std::printf("{\"flopsPerStep\":%.17g,\"params\":%zu,\"activationBytes\":%zu,\"parameterBytes\":%zu,\"ops\":[",
              graph.flopsPerStep(), graph.paramCount(), graph.activationBytes(), graph.parameterBytes());
  bool first = true;
  for (const Op& op : graph.ops()) {
    std::printf("%s\n{\"layer\":%s,\"phase\":%s,\"what\":%s,\"impl\":%s,\"flops\":%.17g}", first ? "" : ",",
                quoted(op.layer).c_str(), quoted(phaseName(op.phase)).c_str(), quoted(op.what).c_str(),
                quoted(op.impl).c_str(), op.flops);
    first = false;
  }
  std::printf("],\"tensors\":[");
  first = true;
  for (const Tensor& t : graph.tensors()) {
    std::printf("%s\n{\"name\":%s,\"bytes\":%zu}", first ? "" : ",", quoted(t.name).c_str(), t.bytes());
    first = false;
  }
  std::printf("]}\n");
  return 0;
}

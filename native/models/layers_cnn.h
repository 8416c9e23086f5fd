// The CNN layers of the ResNet builder (NHWC bf16 activations [n, h, w, c]), each adding its forward
// op(s) now and, through `backward` (null: inference), a closure that adds its backward ops.
//
// Convolution: forward on the project's implicit-GEMM kernel (own) or cuDNN (library); backward
// data and filter through cuDNN in both (an own conv backward is a project of its own). Batch norm,
// ReLU, pooling and the loss run the project's kernels (kernels/nn.h) in both, except that the own
// path's inference runs the norm inside the convolution (convBatchNorm).
#pragma once

#include <string>
#include "models/layers.h"

namespace gsm {
namespace model {

// y [n, p, q, out] = conv(x, w) with w [out, kernel, kernel, c] (KRSC, no bias, Kaiming uniform),
// p = convOutputSize(h, kernel, stride, pad). `name` names the weight (`name`.weight). Backward:
// dW always (cuDNN writes it in bf16, as PyTorch's autocast does, then widened into the fp32
// gradient view); dX only when inputGrad (not for the input image).
Tensor* conv2d(Graph& graph, const std::string& layer, const std::string& name, Tensor* x, int out, int kernel,
               int stride, int pad, Impl impl, Backward* backward, bool inputGrad = true);

// Batch norm over the channels (weight = gamma, bias = beta, running statistics as PyTorch keeps
// them), with the residual add and the ReLU fused when given: y = relu(bn(x) + residual). Training
// (backward not null) uses the batch's statistics; inference the running ones. Backward: ReLU's
// (in place on dy), then the norm's; the residual's gradient is the pre-activation's gradient
// itself (shared, no copy) when nothing wrote it yet, else added to it.
Tensor* batchNorm(Graph& graph, const std::string& layer, const std::string& name, Tensor* x, Tensor* residual,
                  bool relu, Backward* backward);

// A convolution (as conv2d) and the batch norm after it (as batchNorm, with its residual and ReLU):
// the two layers, except on the own path's inference (impl own, both backward slots null), where the
// convolution's epilogue applies the norm, the residual add and the ReLU to its fp32 sums (ConvArgs::
// epilogue; one kernel, as inference runtimes fold a batch norm into the convolution before it). Then
// the one op is the convolution layer's ("conv fwd + bn+add+relu"), the norm layer has none, and the
// convolution's own output is never materialised: y is the norm's output.
struct ConvLayer {
  std::string layer, name;  // as conv2d's
  int out, kernel, stride, pad;
  bool inputGrad = true;
};
Tensor* convBatchNorm(Graph& graph, const ConvLayer& conv, const std::string& normLayer, const std::string& normName,
                      Tensor* x, Tensor* residual, bool relu, Impl impl, Backward* convBackward,
                      Backward* normBackward);

// Max pooling, window x window, stride, pad; y [n, p, q, c].
Tensor* maxPool(Graph& graph, const std::string& layer, Tensor* x, int window, int stride, int pad, Backward* backward);

// Global average pooling: y [n, c].
Tensor* globalAvgPool(Graph& graph, const std::string& layer, Tensor* x, Backward* backward);

// Softmax cross-entropy of fp32 logits [rows, classes] against int32 labels [rows]: the loss (fp32
// scalar, also Graph::setLoss). When train, the same kernel writes the logits' gradient (bf16),
// so the loss needs no backward op.
Tensor* softmaxCrossEntropy(Graph& graph, const std::string& layer, Tensor* logits, Tensor* labels, bool train);

}  // namespace model
}  // namespace gsm

#!/usr/bin/env python3
"""The tiny ResNet's gradients from gpushare-micro's graph against PyTorch autograd in float64.

`model_check dump DIR [own|library]` (test/native/model_check.cu) writes the parameters, the bf16 copies
the kernels read, the input, the labels and the gradients of one forward and backward pass. This script
builds the same network (scripts/pytorch/models.py's ResNet50 at the dump's blocks and width), loads those
parameters (conv and linear weights from the bf16 copies, batch-norm parameters and biases from the fp32
masters, as the kernels read them), runs one training-mode forward and backward in float64 on the CPU, and
compares each parameter's gradient: relative error ||ours - ref|| / ||ref|| and cosine.

Ours run with bf16 activations, and in a network this small (batch norm over 8 rows at the last stage)
bf16 alone moves gradients by 10-50% from float64. So the yardstick is PyTorch's own bf16 (autocast on
the GPU, same parameters and input): a tensor passes when its error is at most 1.5 times PyTorch bf16's
plus 0.05, and the median of those ratios over the tensors is at most 1.25. A wrong gradient (a missing
term, a transposed layout, a wrong scale) is off by far more. Without a GPU, the fixed --bound applies.

  python3 scripts/pytorch/check_grads.py DIR [--bound 0.1]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ResNet50  # noqa: E402


def bf16_to_f64(raw):
    return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--bound", type=float, default=0.1)
    args = parser.parse_args()
    meta = json.load(open(os.path.join(args.dir, "meta.json")))
    read = lambda name, dtype: np.fromfile(os.path.join(args.dir, name), dtype=dtype)  # noqa: E731
    masters, copies, grads = read("params.f32", np.float32), bf16_to_f64(read("copy.bf16", np.uint16)), read("grads.f32", np.float32)
    b, side = meta["batch"], meta["input"]
    image = torch.from_numpy(bf16_to_f64(read("input.bf16", np.uint16)).reshape(b, side, side, 3)).permute(0, 3, 1, 2)
    labels = torch.from_numpy(read("labels.i32", np.int32).astype(np.int64))

    model = ResNet50(meta["classes"], blocks=meta["blocks"], width=meta["width"]).double().train()
    named = dict(model.named_parameters())
    layout = {}
    with torch.no_grad():
        for p in meta["params"]:
            dims, n, at = p["dims"], int(np.prod(p["dims"])), p["offset"]
            source = copies if len(dims) > 1 else masters  # what the kernels read
            value = torch.from_numpy(np.asarray(source[at:at + n], dtype=np.float64).reshape(dims))
            if len(dims) == 4:  # ours KRSC, PyTorch's OIHW
                value = value.permute(0, 3, 1, 2)
            if p["name"] not in named:
                sys.exit(f"check_grads: PyTorch's network has no parameter {p['name']}")
            named[p["name"]].copy_(value)
            layout[p["name"]] = (at, n, dims)
    loss = F.cross_entropy(model(image), labels)
    loss.backward()
    # The same network in PyTorch's own bf16 (autocast on the GPU, parameters as above): how far bf16
    # activations alone move the gradients from float64, the yardstick for ours.
    autocast = {}
    if torch.cuda.is_available():
        twin = ResNet50(meta["classes"], blocks=meta["blocks"], width=meta["width"]).cuda().train()
        twin.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
        twin = twin.to(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            twin_loss = F.cross_entropy(twin(image.float().cuda().contiguous(memory_format=torch.channels_last)).float(), labels.cuda())
        twin_loss.backward()
        autocast = {n: p.grad.double().cpu() for n, p in twin.named_parameters()}
        print(f"loss: PyTorch bf16 autocast {twin_loss.item():.6f}")
    print(f"loss: ours {meta['loss']:.6f} ({meta['impl']}), PyTorch float64 {loss.item():.6f}")
    failed, ratios = 0, []
    for name, (at, n, dims) in layout.items():
        ref = named[name].grad
        if len(dims) == 4:
            ref = ref.permute(0, 2, 3, 1)
        ref = ref.reshape(-1).numpy()
        ours = grads[at:at + n].astype(np.float64)
        rel = np.linalg.norm(ours - ref) / max(np.linalg.norm(ref), 1e-30)
        cos = float(ours @ ref / max(np.linalg.norm(ours) * np.linalg.norm(ref), 1e-30))
        twin = ""
        if name in autocast:
            t = autocast[name]
            if len(dims) == 4:
                t = t.permute(0, 2, 3, 1)
            t = t.reshape(-1).numpy()
            yardstick = np.linalg.norm(t - ref) / max(np.linalg.norm(ref), 1e-30)
            ok = rel <= 1.5 * yardstick + 0.05
            ratios.append(rel / max(yardstick, 1e-30))
            twin = f"  PyTorch bf16: rel {yardstick:8.4f}  ours / PyTorch bf16 {ratios[-1]:6.3f}"
        else:
            ok = rel <= args.bound and cos >= 0.99
        failed += not ok
        print(f"  {name:40s} |ref| {np.linalg.norm(ref):10.4e}  |ours| {np.linalg.norm(ours):10.4e}  rel {rel:8.4f}  cos {cos:8.5f}{twin}  {'ok' if ok else 'FAIL'}")
    rule = "error <= 1.5 x PyTorch bf16's + 0.05" if autocast else f"error <= {args.bound}, cosine >= 0.99"
    median = float(np.median(ratios)) if ratios else 0.0
    median_ok = median <= 1.25
    if ratios:
        print(f"median of ours / PyTorch bf16 over the tensors: {median:.3f} (at most 1.25: {'ok' if median_ok else 'FAIL'})")
    passed = failed == 0 and median_ok
    print(f"{len(layout) - failed} of {len(layout)} gradients within the bound ({rule}): {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PyTorch's figures for gpushare-micro's model workloads (docs/workloads.md), for `bench --pytorch FILE`.

The same five workloads in plain torch.nn (no torchvision, no transformers), at the same shapes:
  resnet50-train   ResNet-50 v1.5, SGD momentum 0.9, weight decay 5e-4, softmax cross-entropy
  resnet50-infer   the same network in eval mode, under torch.no_grad()
  bert-base-train  BERT-base for sequence classification (post-LN, GELU, 2 classes), AdamW
  bert-base-infer  the same in eval mode
  llm-decode       one decode step of a 7B LLaMA-style decoder (RMS norm, RoPE, SwiGLU) over a KV cache
bf16 autocast everywhere, channels_last for ResNet, dropout off (our workloads have none), synthetic
data and random weights. Each workload runs `--warmup` steps, then `--steps` steps timed one by one with
CUDA events; the median step time gives samples/s (batch / step time).

  python3 scripts/pytorch/models.py --out docs/results/DATE/pytorch.json            # all five, defaults
  python3 scripts/pytorch/models.py --workload resnet50-train --batch 256 --input 224

Writes a JSON list of {workload, batch, input|seq|layers+kv, msPerStep, samplesPerSec, torch, device}.
"""
import argparse
import json
import math
import statistics
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {
    "resnet50-train": {"batch": 128, "input": 32},
    "resnet50-infer": {"batch": 1, "input": 224},
    "bert-base-train": {"batch": 32, "seq": 128},
    "bert-base-infer": {"batch": 1, "seq": 128},
    "llm-decode": {"batch": 1, "layers": 32, "kv": 1024},
}


# ---------------------------------------------------------------- ResNet-50 (v1.5) ----
class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + identity)


class ResNet50(nn.Module):
    """torchvision's ResNet-50 v1.5; `blocks` and `width` shrink it (scripts/pytorch/check_grads.py)."""

    def __init__(self, classes, blocks=(3, 4, 6, 3), width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin, stages = width, []
        for i, n in enumerate(blocks):
            stage_width = width * 2**i
            layer = []
            for b in range(n):
                layer.append(Bottleneck(cin, stage_width, 2 if (i > 0 and b == 0) else 1))
                cin = stage_width * 4
            stages.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---------------------------------------------------------------- BERT-base ----
class BertLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        b, s, h = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        # Unfused attention, as our training path runs it (and as eager BERT does).
        p = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(h // self.heads), dim=-1)
        ctx = (p @ v).transpose(1, 2).reshape(b, s, h)
        x = self.norm1(x + self.out(ctx))
        return self.norm2(x + self.ffn_out(F.gelu(self.ffn_in(x))))


class BertForSequenceClassification(nn.Module):
    def __init__(self, layers=12, hidden=768, heads=12, ffn=3072, vocab=30522, positions=512, classes=2):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, ffn) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, ids):
        s = ids.shape[1]
        pos = torch.arange(s, device=ids.device)
        x = self.norm(self.word(ids) + self.position(pos)[None] + self.token_type.weight[0])
        for layer in self.layers:
            x = layer(x)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


# ---------------------------------------------------------------- 7B decode ----
class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rope(x, pos):
    """Rotate-half rotary embedding of x [b, heads, d] at positions pos [b] (base 10000)."""
    d = x.shape[-1]
    inv = 1.0 / (10000 ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    ang = pos[:, None].float() * inv[None]  # [b, d/2]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1)[:, None], torch.cat([ang.sin(), ang.sin()], -1)[:, None]
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    return (x * cos + torch.cat([-x2, x1], -1) * sin).to(x.dtype)


class DecoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.attention_norm = RMSNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.out = nn.Linear(hidden, hidden, bias=False)
        self.ffn_norm = RMSNorm(hidden)
        self.gate_up = nn.Linear(hidden, 2 * ffn, bias=False)
        self.down = nn.Linear(ffn, hidden, bias=False)

    def forward(self, x, k_cache, v_cache, pos):
        b, h = x.shape
        d = h // self.heads
        q, k, v = self.qkv(self.attention_norm(x)).view(b, 3, self.heads, d).unbind(1)
        q, k = rope(q, pos), rope(k, pos)
        rows = torch.arange(b, device=x.device)
        k_cache[rows, :, pos] = k
        v_cache[rows, :, pos] = v
        length = self.length  # every sequence at the same position here (set by the step: no host sync)
        scores = torch.einsum("bhd,bhsd->bhs", q, k_cache[:, :, :length]) / math.sqrt(d)
        o = torch.einsum("bhs,bhsd->bhd", torch.softmax(scores.float(), -1).to(q.dtype), v_cache[:, :, :length])
        x = x + self.out(o.reshape(b, h))
        gate, up = self.gate_up(self.ffn_norm(x)).chunk(2, -1)
        return x + self.down(F.silu(gate) * up)


class LlmDecode(nn.Module):
    def __init__(self, layers, hidden=4096, heads=32, ffn=11008, vocab=32000):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(DecoderLayer(hidden, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(hidden)
        self.lm_head = nn.Linear(hidden, vocab, bias=False)

    def forward(self, ids, caches, pos, length):
        x = self.embed(ids)
        for layer, (k, v) in zip(self.layers, caches):
            layer.length = length
            x = layer(x, k, v, pos)
        return self.lm_head(self.norm(x)).float().argmax(-1)


# ---------------------------------------------------------------- steps ----
def make_step(workload, shape, device):
    """A closure running one step of the workload, and the samples it processes."""
    batch = shape["batch"]
    if workload.startswith("resnet50"):
        classes = 1000 if shape["input"] == 224 else 10
        model = ResNet50(classes).to(device).to(memory_format=torch.channels_last)
        x = torch.randn(batch, 3, shape["input"], shape["input"], device=device).to(memory_format=torch.channels_last)
        labels = torch.randint(0, classes, (batch,), device=device)
    elif workload.startswith("bert-base"):
        model = BertForSequenceClassification().to(device)
        x = torch.randint(0, 30522, (batch, shape["seq"]), device=device)
        labels = torch.randint(0, 2, (batch,), device=device)
    else:
        # Inference weights in bf16, created on the GPU: built in fp32 on the host first, the 7B model
        # would take 27 GB of host memory and minutes of CPU initialisation.
        default_dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.bfloat16)
        try:
            with torch.device(device):
                model = LlmDecode(shape["layers"]).eval()
        finally:
            torch.set_default_dtype(default_dtype)
        kv, d = shape["kv"], 4096 // 32
        caches = [
            (torch.randn(batch, 32, kv, d, device=device, dtype=torch.bfloat16), torch.randn(batch, 32, kv, d, device=device, dtype=torch.bfloat16))
            for _ in range(shape["layers"])
        ]
        state = {"ids": torch.randint(0, 32000, (batch,), device=device), "pos": kv // 2}

        @torch.no_grad()
        def decode():
            # The cache starts half full and grows one position per step, restarting from half at capacity.
            pos = torch.full((batch,), state["pos"], device=device, dtype=torch.long)
            state["ids"] = model(state["ids"], caches, pos, state["pos"] + 1)
            state["pos"] = state["pos"] + 1 if state["pos"] + 1 < kv else kv // 2

        return decode

    if workload.endswith("-infer"):
        model.eval()

        @torch.no_grad()
        def infer():
            with torch.autocast("cuda", dtype=torch.bfloat16):
                model(x)

        return infer

    model.train()
    if workload.startswith("resnet50"):
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=2e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def train():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x).float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return train


def time_steps(step, warmup, steps):
    """Median milliseconds per step over `steps` steps timed one by one with CUDA events."""
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", action="append", choices=sorted(DEFAULTS), help="repeatable; default: all five")
    for field in ("batch", "input", "seq", "layers", "kv"):
        parser.add_argument(f"--{field}", type=int, help=f"the workload's {field} (default: its own)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--out", help="write the JSON list here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("models.py: no CUDA device")
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    results = []
    for workload in args.workload or list(DEFAULTS):
        shape = dict(DEFAULTS[workload])
        for field in shape:
            if getattr(args, field) is not None:
                shape[field] = getattr(args, field)
        step = make_step(workload, shape, device)
        ms = time_steps(step, args.warmup, args.steps)
        figure = {
            "workload": workload,
            **shape,
            "msPerStep": ms,
            "samplesPerSec": shape["batch"] / (ms / 1e3),
            "torch": torch.__version__,
            "device": torch.cuda.get_device_name(device),
        }
        print(json.dumps(figure), flush=True)
        results.append(figure)
        del step
        torch.cuda.empty_cache()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()

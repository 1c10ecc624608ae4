#!/usr/bin/env python3
"""Regenerates tests/onnx/data/: small networks exported from PyTorch to ONNX, with reference
inputs, logits and input gradients, for tests/onnx/test_onnx_torch.cpp and examples/04_onnx.

How to run (needs numpy and torch; tested with torch 1.13 on CPU; the `onnx` Python package is
not needed - torch.onnx.export serialises the model itself):

    /usr/bin/python3 tools/make_onnx_fixtures.py           # rewrite tests/onnx/data/
    /usr/bin/python3 tools/make_onnx_fixtures.py --check   # regenerate in memory; exit 1 if different

Models (eval mode, opset 13, input name "input", output name "logits"):

  cnn.onnx      Conv-BatchNorm-ReLU-MaxPool, ZeroPad2d + Conv (a Pad node that the importer merges
                into the Conv), ReLU, AvgPool, x.view(x.size(0), -1) with a dynamic batch axis (the
                Shape-Gather-Unsqueeze-Concat-Reshape pattern), Linear-ReLU-Linear. Default export:
                torch folds the BatchNorm into the first Conv.
  cnn_bn.onnx   The same module wrapped with a trailing Softmax, exported with
                do_constant_folding=False and training=TrainingMode.PRESERVE: BatchNormalization
                stays a node, the reshape's batch size is the literal 1 (static batch), and the
                Softmax must be dropped with a notice (the references are the logits before it).
  resnet.onnx   ResNet-style: stem Conv-BN-ReLU, F.pad + MaxPool (a Pad merged into the MaxPool of
                non-negative values), a basic block with identity shortcut, a block with stride 2
                and a 1x1 Conv + BN downsample shortcut (residual Add nodes of two activations),
                GlobalAveragePool, torch.flatten (Flatten), Linear; dynamic batch; BN folded.
  unsupported.onnx  Conv + Sigmoid: an op attrib cannot import (error tests, 04_onnx's error path).

onnx_fixtures.safetensors holds, for <m> in cnn, resnet (cnn_bn shares cnn's references):
    <m>/input       x, [2, C, 16, 16], float32-representable values stored as F32
    <m>/logits      f(x) computed by the same module in float64 (F64)
    <m>/input_grad  d/dx sum_n f(x)[n, targets[n]] in float64 (F64)
and metadata <m>.targets (JSON list), <m>.input_shape, <m>.torch_float32_error (max |y32 - y64| /
max |y64| of the logits when torch runs in float32), regenerate. The exported weights are
float32; the references use exactly those values in float64, so a double import of the
unfolded model matches to rounding error. Folded models (BN merged by torch in float32) differ
by float32 rounding of the folded weights.
"""

import argparse
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "onnx", "data")
OPSET = 13


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(2)
        self.pad = nn.ZeroPad2d((1, 1, 1, 1))
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.pool2 = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.conv2(self.pad(x))))
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.pad(F.relu(self.bn1(self.conv1(x))), (1, 1, 1, 1))
        x = self.layer2(self.layer1(self.maxpool(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomise(model, gen):
    """Non-trivial float32-representable parameters: biases, BN gamma (some negative), beta and
    running statistics."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 4
            p.copy_((torch.randn(p.shape, generator=gen, dtype=torch.float64) / fan_in ** 0.5).float())
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):  # BatchNorm1d/2d/3d
                c = m.num_features
                m.weight.copy_((0.5 + torch.rand(c, generator=gen, dtype=torch.float64)).float()
                               * torch.where(torch.rand(c, generator=gen) < 0.2, -1.0, 1.0))
                m.bias.copy_((0.2 * torch.randn(c, generator=gen, dtype=torch.float64)).float())
                m.running_mean.copy_((0.3 * torch.randn(c, generator=gen, dtype=torch.float64)).float())
                m.running_var.copy_((0.5 + torch.rand(c, generator=gen, dtype=torch.float64)).float())
    return model.eval()


def export(model, x, **kw):
    f = io.BytesIO()
    torch.onnx.export(model, x, f, opset_version=OPSET, input_names=["input"], output_names=["logits"], **kw)
    return f.getvalue()


def references(name, model, x, targets, tensors, meta):
    m64 = model.double()
    x64 = x.double().clone().requires_grad_(True)
    logits = m64(x64)
    logits[torch.arange(len(targets)), torch.tensor(targets)].sum().backward()
    with torch.no_grad():
        y32 = model.float()(x)
    err = float((y32.double() - logits.detach()).abs().max() / logits.detach().abs().max())
    tensors[name + "/input"] = x.numpy().astype(np.float32)
    tensors[name + "/logits"] = logits.detach().numpy()
    tensors[name + "/input_grad"] = x64.grad.numpy()
    meta[name + ".targets"] = json.dumps(targets)
    meta[name + ".input_shape"] = json.dumps(list(x.shape))
    meta[name + ".torch_float32_error"] = "%.3e" % err


def build():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    files, tensors, meta = {}, {}, {"regenerate": "/usr/bin/python3 tools/make_onnx_fixtures.py"}
    dyn = {"input": {0: "batch"}, "logits": {0: "batch"}}

    gen = torch.Generator().manual_seed(1)
    cnn = randomise(SmallCnn(), gen)
    x = torch.rand((2, 1, 16, 16), generator=gen, dtype=torch.float64).float()
    files["cnn.onnx"] = export(cnn, x[:1], dynamic_axes=dyn)
    files["cnn_bn.onnx"] = export(nn.Sequential(cnn, nn.Softmax(dim=1)).eval(), x[:1], do_constant_folding=False,
                                  training=torch.onnx.TrainingMode.PRESERVE)
    references("cnn", cnn, x, [3, 7], tensors, meta)

    gen = torch.Generator().manual_seed(2)
    net = randomise(SmallResNet(), gen)
    x = torch.rand((2, 3, 16, 16), generator=gen, dtype=torch.float64).float()
    files["resnet.onnx"] = export(net, x[:1], dynamic_axes=dyn)
    references("resnet", net, x, [0, 9], tensors, meta)

    # For the error paths of the importer and of examples/04_onnx: a Sigmoid has no layer.
    gen = torch.Generator().manual_seed(3)
    bad = randomise(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sigmoid()), gen)
    files["unsupported.onnx"] = export(bad, torch.zeros(1, 1, 5, 5))
    return files, tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    files, tensors, meta = build()
    st_path = os.path.join(OUT, "onnx_fixtures.safetensors")
    if args.check:
        bad = [n for n, b in files.items()
               if not os.path.exists(os.path.join(OUT, n)) or open(os.path.join(OUT, n), "rb").read() != b]
        old_t, old_m = read_safetensors(st_path)
        if set(old_t) != set(tensors) or any(not np.array_equal(old_t[k], tensors[k]) for k in tensors) or old_m != meta:
            bad.append("onnx_fixtures.safetensors")
        print("differs: " + ", ".join(bad) if bad else "tests/onnx/data is up to date")
        return 1 if bad else 0
    os.makedirs(OUT, exist_ok=True)
    for n, b in files.items():
        with open(os.path.join(OUT, n), "wb") as f:
            f.write(b)
    write_safetensors(st_path, tensors, meta)
    for n in sorted(os.listdir(OUT)):
        print("%-28s %7d bytes" % (n, os.path.getsize(os.path.join(OUT, n))))
    for k in sorted(meta):
        if k.endswith("float32_error"):
            print(k, meta[k])
    return 0


if __name__ == "__main__":
    sys.exit(main())

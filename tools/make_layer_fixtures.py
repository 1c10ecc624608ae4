#!/usr/bin/env python3
"""Regenerates tests/data/layers.safetensors: PyTorch reference results for attrib's layers.

How to run (from anywhere; needs numpy and torch, tested with torch 1.13, CPU only):

    /usr/bin/python3 tools/make_layer_fixtures.py            # writes tests/data/layers.safetensors
    /usr/bin/python3 tools/make_layer_fixtures.py --check    # regenerates in memory, compares

The output is deterministic: every configuration draws its parameters, input and cotangent
from its own torch.Generator seeded with a fixed number, everything is float64 on the CPU, and
the file is written with sorted names (tools/fixtures.py). Re-running it must not change the
file; tests/layers/test_torch_layers.cpp reads it.

For each configuration NAME the file holds
    NAME.weight, NAME.bias, NAME.running_mean, NAME.running_var   (as the layer has them,
                                                                    PyTorch names and layouts)
    NAME.input        x, shaped like [2, C, 7, 9] for the 2-d layers
    NAME.output       y = layer(x)
    NAME.grad_output  a random cotangent g with y's shape
    NAME.grad_input   d<g, y>/dx (torch.autograd.grad)
and the metadata entry "config.NAME" = JSON with the layer kind and its constructor arguments
(see CONFIGS below), which the C++ test uses to build the same layer. The io_check.* tensors
(one of them float32) are exact values for tests/io/test_safetensors.cpp.

To add a configuration, append it to CONFIGS, re-run, and commit the regenerated file; the C++
test picks it up from the metadata without changes (if the kind is already known).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "data", "layers.safetensors")
DTYPE = torch.float64

# (name, kind, arguments, input shape). Arguments use attrib's constructor vocabulary:
# Conv2d padding is [top, bottom, left, right] (asymmetric padding is done with F.pad + conv);
# pool padding is [pad_h, pad_w].
CONFIGS = [
    ("conv_s2_asym", "Conv2d", dict(cin=4, cout=6, kernel=[3, 2], stride=[2, 2], padding=[2, 1, 1, 0]), [2, 4, 7, 9]),
    ("conv_s21_pad", "Conv2d", dict(cin=3, cout=4, kernel=[3, 3], stride=[2, 1], padding=[1, 1, 2, 2]), [2, 3, 7, 9]),
    ("conv_dil2", "Conv2d", dict(cin=3, cout=5, kernel=[3, 3], padding=[2, 2, 1, 1], dilation=[2, 2]), [2, 3, 7, 9]),
    ("conv_dil21", "Conv2d", dict(cin=2, cout=3, kernel=[2, 3], stride=[1, 2], dilation=[2, 1]), [2, 2, 7, 9]),
    ("conv_groups2", "Conv2d", dict(cin=4, cout=6, kernel=[2, 3], padding=[1, 1, 1, 1], groups=2), [2, 4, 7, 9]),
    ("conv_depthwise", "Conv2d", dict(cin=4, cout=4, kernel=[3, 3], padding=[1, 1, 1, 1], groups=4), [2, 4, 7, 9]),
    ("conv_depthwise_x2", "Conv2d", dict(cin=3, cout=6, kernel=[3, 2], stride=[2, 2], groups=3), [2, 3, 7, 9]),
    ("conv_nobias", "Conv2d", dict(cin=3, cout=4, kernel=[3, 5], bias=False), [2, 3, 7, 9]),
    ("conv_1x1", "Conv2d", dict(cin=5, cout=3, kernel=[1, 1]), [2, 5, 7, 9]),
    ("maxpool_k3x2_s21", "MaxPool2d", dict(kernel=[3, 2], stride=[2, 1]), [2, 3, 7, 9]),
    ("maxpool_pad", "MaxPool2d", dict(kernel=[3, 3], stride=[2, 3], padding=[1, 1]), [2, 3, 7, 9]),
    ("maxpool_pad_dil_ceil", "MaxPool2d", dict(kernel=[3, 3], stride=[2, 2], padding=[1, 1], dilation=[2, 2], ceil_mode=True), [2, 3, 7, 9]),
    ("maxpool_ceil", "MaxPool2d", dict(kernel=[2, 2], stride=[2, 2], ceil_mode=True), [2, 3, 7, 9]),
    ("avgpool_pad_incl", "AvgPool2d", dict(kernel=[3, 2], stride=[2, 2], padding=[1, 1], count_include_pad=True), [2, 3, 7, 9]),
    ("avgpool_pad_excl", "AvgPool2d", dict(kernel=[3, 2], stride=[2, 2], padding=[1, 1], count_include_pad=False), [2, 3, 7, 9]),
    ("avgpool_ceil_incl", "AvgPool2d", dict(kernel=[4, 4], stride=[3, 3], padding=[1, 1], ceil_mode=True, count_include_pad=True), [2, 3, 7, 9]),
    ("avgpool_ceil_excl", "AvgPool2d", dict(kernel=[4, 4], stride=[3, 3], padding=[1, 1], ceil_mode=True, count_include_pad=False), [2, 3, 7, 9]),
    ("avgpool_ceil_nopad", "AvgPool2d", dict(kernel=[2, 3], stride=[2, 2], ceil_mode=True), [2, 3, 7, 9]),
    ("adaptive_3x4", "AdaptiveAvgPool2d", dict(output=[3, 4]), [2, 3, 7, 9]),
    ("adaptive_5x2", "AdaptiveAvgPool2d", dict(output=[5, 2]), [2, 3, 7, 9]),
    ("adaptive_9x11", "AdaptiveAvgPool2d", dict(output=[9, 11]), [2, 3, 7, 9]),
    ("adaptive_1x1", "AdaptiveAvgPool2d", dict(output=[1, 1]), [2, 3, 7, 9]),
    ("bn", "BatchNorm2d", dict(channels=4, eps=1e-3), [2, 4, 7, 9]),
    ("bn_default_eps", "BatchNorm2d", dict(channels=3, eps=1e-5), [2, 3, 7, 9]),
    ("linear", "Linear", dict(fin=10, fout=5), [3, 10]),
    ("linear_nobias", "Linear", dict(fin=12, fout=4, bias=False), [2, 12]),
    ("relu", "ReLU", dict(), [2, 3, 7, 9]),
    ("flatten", "Flatten", dict(), [2, 3, 7, 9]),
]

CONV_DEFAULTS = dict(stride=[1, 1], padding=[0, 0, 0, 0], dilation=[1, 1], groups=1, bias=True)
POOL_DEFAULTS = dict(padding=[0, 0], dilation=[1, 1], ceil_mode=False, count_include_pad=True)


def build(kind, args, g):
    """(callable x -> y, dict of named float64 parameters) for one configuration."""
    def randn(*shape, scale=1.0):
        return torch.randn(*shape, generator=g, dtype=DTYPE) * scale

    if kind == "Conv2d":
        a = {**CONV_DEFAULTS, **args}
        conv = torch.nn.Conv2d(a["cin"], a["cout"], a["kernel"], stride=a["stride"], dilation=a["dilation"],
                               groups=a["groups"], bias=a["bias"]).to(DTYPE)
        params = {"weight": randn(*conv.weight.shape, scale=0.5)}
        if a["bias"]:
            params["bias"] = randn(a["cout"], scale=0.5)
        with torch.no_grad():
            for k, v in params.items():
                getattr(conv, k).copy_(v)
        top, bottom, left, right = a["padding"]
        return (lambda x: conv(F.pad(x, (left, right, top, bottom)))), params
    if kind == "MaxPool2d":
        a = {**POOL_DEFAULTS, **args}
        pool = torch.nn.MaxPool2d(a["kernel"], stride=a["stride"], padding=a["padding"], dilation=a["dilation"],
                                  ceil_mode=a["ceil_mode"])
        return pool, {}
    if kind == "AvgPool2d":
        a = {**POOL_DEFAULTS, **args}
        pool = torch.nn.AvgPool2d(a["kernel"], stride=a["stride"], padding=a["padding"], ceil_mode=a["ceil_mode"],
                                  count_include_pad=a["count_include_pad"])
        return pool, {}
    if kind == "AdaptiveAvgPool2d":
        return torch.nn.AdaptiveAvgPool2d(args["output"]), {}
    if kind == "BatchNorm2d":
        c = args["channels"]
        bn = torch.nn.BatchNorm2d(c, eps=args["eps"]).to(DTYPE).eval()
        params = {
            "weight": 1.0 + randn(c, scale=0.3),
            "bias": randn(c, scale=0.5),
            "running_mean": randn(c, scale=0.7),
            "running_var": 0.25 + torch.rand(c, generator=g, dtype=DTYPE) * 2.0,
        }
        with torch.no_grad():
            for k, v in params.items():
                getattr(bn, k).copy_(v)
        return bn, params
    if kind == "Linear":
        bias = args.get("bias", True)
        lin = torch.nn.Linear(args["fin"], args["fout"], bias=bias).to(DTYPE)
        params = {"weight": randn(args["fout"], args["fin"], scale=0.5)}
        if bias:
            params["bias"] = randn(args["fout"], scale=0.5)
        with torch.no_grad():
            for k, v in params.items():
                getattr(lin, k).copy_(v)
        return lin, params
    if kind == "ReLU":
        return torch.nn.ReLU(), {}
    if kind == "Flatten":
        return torch.nn.Flatten(), {}
    raise ValueError("unknown kind " + kind)


def make_all():
    tensors, metadata = {}, {}
    for index, (name, kind, args, in_shape) in enumerate(CONFIGS):
        g = torch.Generator().manual_seed(1000 + index)
        layer, params = build(kind, args, g)
        x = torch.randn(*in_shape, generator=g, dtype=DTYPE)
        if kind == "ReLU":
            x.view(-1)[::7] = 0.0  # the gradient at exactly 0 is 0 in PyTorch
        x.requires_grad_(True)
        y = layer(x)
        gy = torch.randn(*y.shape, generator=g, dtype=DTYPE)
        (gx,) = torch.autograd.grad(y, x, gy)
        for k, v in params.items():
            tensors[name + "." + k] = v
        tensors[name + ".input"] = x.detach()
        tensors[name + ".output"] = y.detach()
        tensors[name + ".grad_output"] = gy
        tensors[name + ".grad_input"] = gx
        metadata["config." + name] = json.dumps({"kind": kind, **args}, sort_keys=True)

    # Exact values for the reader tests (one tensor in float32, one rank-0 scalar).
    tensors["io_check.arange_f64"] = np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 11.5
    tensors["io_check.arange_f32"] = (0.25 * np.arange(12)).astype(np.float32).reshape(2, 1, 2, 3)
    tensors["io_check.scalar"] = np.array(-0.5)
    metadata["generator"] = "tools/make_layer_fixtures.py"
    metadata["torch"] = torch.__version__.split("+")[0]
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    parser.add_argument("--output", default=OUTPUT)
    opts = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    tensors, metadata = make_all()
    if opts.check:
        old, old_meta = read_safetensors(opts.output)
        same = old_meta == metadata and sorted(old) == sorted(tensors) and all(
            np.array_equal(old[k], np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)) for k, v in tensors.items())
        print("up to date" if same else "DIFFERS from " + opts.output)
        sys.exit(0 if same else 1)
    write_safetensors(opts.output, tensors, metadata)
    print("wrote %s: %d tensors, %d bytes" % (opts.output, len(tensors), os.path.getsize(opts.output)))


if __name__ == "__main__":
    main()

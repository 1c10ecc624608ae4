#!/usr/bin/env python3
"""Regenerates tests/data/structure.safetensors: PyTorch reference results for attrib's
structural layers (Concat, Slice / Split, ChannelShuffle, Mul, ConstAffine, ReduceMean,
Conv1d, MaxPool1d, AvgPool1d).

How to run (needs numpy and torch, tested with torch 1.13, CPU only):

    /usr/bin/python3 tools/make_structure_fixtures.py            # writes the file
    /usr/bin/python3 tools/make_structure_fixtures.py --check    # regenerates in memory, compares

Deterministic: every configuration draws its parameters, inputs and cotangents from its own
torch.Generator with a fixed seed, in float64 on the CPU; names are written sorted.
tests/layers/test_torch_structure.cpp reads the file.

For each configuration NAME the file holds
    NAME.input<k>        the k-th input (k = 0 .. n-1; one input: NAME.input0)
    NAME.output<k>       the k-th output (Split has several, every other kind one)
    NAME.grad_output<k>  a random cotangent g_k with the k-th output's shape
    NAME.grad_input<k>   d(sum_k <g_k, y_k>)/d input k (torch.autograd.grad)
    NAME.weight, NAME.bias, NAME.grad_weight, NAME.grad_bias     (Conv1d: PyTorch layout)
and the metadata entry "config.NAME" = JSON with the kind and the layer's constructor arguments
in attrib's vocabulary (Conv1d padding is [left, right], done with F.pad when asymmetric).
"""

import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "data", "structure.safetensors")
DTYPE = torch.float64

# (name, kind, arguments, input shapes)
CONFIGS = [
    ("cat_channels3", "Concat", dict(axis=1), [[2, 3, 4, 5], [2, 1, 4, 5], [2, 4, 4, 5]]),
    ("cat_width", "Concat", dict(axis=-1), [[2, 3, 4, 2], [2, 3, 4, 5]]),
    ("cat_rank2", "Concat", dict(axis=1), [[3, 4], [3, 2]]),
    ("cat_rank3_axis2", "Concat", dict(axis=2), [[2, 3, 4], [2, 3, 1], [2, 3, 2]]),
    ("slice_channels", "Slice", dict(axis=1, start=2, end=5), [[2, 7, 3, 4]]),
    ("slice_step", "Slice", dict(axis=3, start=1, end=8, step=3), [[2, 3, 4, 9]]),
    ("slice_negative", "Slice", dict(axis=-2, start=-3, end=-1), [[2, 3, 5, 4]]),
    ("slice_clamped", "Slice", dict(axis=1, start=4, end=1000000), [[2, 6, 3]]),
    ("split_channels", "Split", dict(axis=1, sizes=[2, 3, 1]), [[2, 6, 3, 4]]),
    ("chunk_channels", "Split", dict(axis=1, sizes=[4, 4]), [[2, 8, 3, 3]]),
    ("shuffle_g2", "ChannelShuffle", dict(groups=2), [[2, 6, 3, 4]]),
    ("shuffle_g3", "ChannelShuffle", dict(groups=3), [[2, 12, 2, 3]]),
    ("mul_equal", "Mul", dict(), [[2, 3, 4, 5], [2, 3, 4, 5]]),
    ("mul_gate", "Mul", dict(), [[2, 4, 3, 5], [2, 4, 1, 1]]),
    ("mul_gate_first", "Mul", dict(), [[2, 4, 1, 1], [2, 4, 3, 5]]),
    ("mul_general", "Mul", dict(), [[2, 1, 4, 1], [3, 1, 5]]),
    ("affine_plus3", "ConstAffine", dict(op="plus", c=[3.0]), [[2, 3, 4, 5]]),
    ("affine_div6", "ConstAffine", dict(op="divided_by", c=[6.0]), [[2, 3, 4, 5]]),
    ("affine_from1", "ConstAffine", dict(op="subtracted_from", c=[1.0]), [[2, 5]]),
    ("affine_minus_channels", "ConstAffine", dict(op="minus", c=[0.5, -1.0, 2.0]), [[2, 3, 4, 5]]),
    ("affine_times_channels", "ConstAffine", dict(op="times", c=[0.5, -1.5, 2.0, 0.25]), [[2, 4, 3]]),
    ("mean_hw_keep", "ReduceMean", dict(keepdims=True), [[2, 3, 4, 5]]),
    ("mean_hw", "ReduceMean", dict(keepdims=False), [[2, 3, 7, 3]]),
    ("mean_l_keep", "ReduceMean", dict(keepdims=True), [[2, 4, 9]]),
    ("conv1d_pad", "Conv1d", dict(cin=3, cout=4, kernel=3, padding=[1, 1]), [[2, 3, 11]]),
    ("conv1d_s2_asym", "Conv1d", dict(cin=4, cout=6, kernel=4, stride=2, padding=[2, 1], groups=2), [[2, 4, 13]]),
    ("conv1d_dil", "Conv1d", dict(cin=2, cout=3, kernel=3, dilation=3, padding=[2, 2], bias=False), [[2, 2, 12]]),
    ("conv1d_depthwise", "Conv1d", dict(cin=5, cout=5, kernel=5, padding=[2, 2], groups=5), [[2, 5, 10]]),
    ("conv1d_depthwise_x2", "Conv1d", dict(cin=3, cout=6, kernel=2, stride=3, groups=3), [[2, 3, 10]]),
    ("conv1d_1x1", "Conv1d", dict(cin=6, cout=3, kernel=1), [[2, 6, 7]]),
    ("maxpool1d", "MaxPool1d", dict(kernel=3, stride=2), [[2, 3, 11]]),
    ("maxpool1d_pad_dil_ceil", "MaxPool1d", dict(kernel=3, stride=2, padding=1, dilation=2, ceil_mode=True), [[2, 3, 12]]),
    ("maxpool1d_ceil", "MaxPool1d", dict(kernel=2, stride=2, ceil_mode=True), [[2, 3, 9]]),
    ("avgpool1d_pad_incl", "AvgPool1d", dict(kernel=3, stride=2, padding=1, count_include_pad=True), [[2, 3, 10]]),
    ("avgpool1d_pad_excl", "AvgPool1d", dict(kernel=3, stride=2, padding=1, count_include_pad=False), [[2, 3, 10]]),
    ("avgpool1d_ceil", "AvgPool1d", dict(kernel=4, stride=3, padding=1, ceil_mode=True, count_include_pad=False), [[2, 3, 11]]),
]


def affine(op, c, x):
    """The torch expression an ONNX exporter turns into Add/Sub/Mul/Div with a constant."""
    t = torch.tensor(c, dtype=DTYPE)
    if len(c) > 1:
        t = t.reshape([1, len(c)] + [1] * (x.dim() - 2))
    return {"plus": lambda: x + t, "minus": lambda: x - t, "subtracted_from": lambda: t - x,
            "times": lambda: x * t, "divided_by": lambda: x / t}[op]()


def build(kind, a, g):
    """(callable inputs -> list of outputs, dict of named parameters as leaf tensors)."""
    if kind == "Concat":
        return (lambda xs: [torch.cat(xs, dim=a["axis"])]), {}
    if kind == "Slice":
        def f(xs):
            idx = [slice(None)] * xs[0].dim()
            idx[a["axis"]] = slice(a["start"], a["end"], a.get("step", 1))
            return [xs[0][tuple(idx)]]
        return f, {}
    if kind == "Split":
        sizes = a["sizes"]
        if len(set(sizes)) == 1:  # torch.chunk for equal parts, torch.split otherwise
            return (lambda xs: list(torch.chunk(xs[0], len(sizes), dim=a["axis"]))), {}
        return (lambda xs: list(torch.split(xs[0], sizes, dim=a["axis"]))), {}
    if kind == "ChannelShuffle":
        # torch 1.13 has no autograd formula for channel_shuffle: the gradient comes from the
        # Reshape -> Transpose -> Reshape form (what ONNX exports), checked equal to it here.
        def f(xs):
            x = xs[0]
            n, c = x.shape[:2]
            y = x.reshape(n, a["groups"], c // a["groups"], *x.shape[2:]).transpose(1, 2).reshape(x.shape)
            assert torch.equal(y, torch.nn.ChannelShuffle(a["groups"])(x.detach()))
            return [y]
        return f, {}
    if kind == "Mul":
        return (lambda xs: [xs[0] * xs[1]]), {}
    if kind == "ConstAffine":
        return (lambda xs: [affine(a["op"], a["c"], xs[0])]), {}
    if kind == "ReduceMean":
        return (lambda xs: [xs[0].mean(dim=tuple(range(2, xs[0].dim())), keepdim=a["keepdims"])]), {}
    if kind == "Conv1d":
        groups, bias = a.get("groups", 1), a.get("bias", True)
        params = {"weight": torch.randn(a["cout"], a["cin"] // groups, a["kernel"], generator=g, dtype=DTYPE) * 0.5}
        if bias:
            params["bias"] = torch.randn(a["cout"], generator=g, dtype=DTYPE) * 0.5
        left, right = a.get("padding", [0, 0])
        return (lambda xs: [F.conv1d(F.pad(xs[0], (left, right)), params["weight"], params.get("bias"),
                                     stride=a.get("stride", 1), dilation=a.get("dilation", 1), groups=groups)]), params
    if kind == "MaxPool1d":
        return (lambda xs: [F.max_pool1d(xs[0], a["kernel"], stride=a["stride"], padding=a.get("padding", 0),
                                         dilation=a.get("dilation", 1), ceil_mode=a.get("ceil_mode", False))]), {}
    if kind == "AvgPool1d":
        return (lambda xs: [F.avg_pool1d(xs[0], a["kernel"], stride=a["stride"], padding=a.get("padding", 0),
                                         ceil_mode=a.get("ceil_mode", False),
                                         count_include_pad=a.get("count_include_pad", True))]), {}
    raise ValueError("unknown kind " + kind)


def make_all():
    tensors, metadata = {}, {}
    for index, (name, kind, args, shapes) in enumerate(CONFIGS):
        g = torch.Generator().manual_seed(3000 + index)
        layer, params = build(kind, args, g)
        xs = [torch.randn(*s, generator=g, dtype=DTYPE).requires_grad_(True) for s in shapes]
        for p in params.values():
            p.requires_grad_(True)
        ys = layer(xs)
        gys = [torch.randn(*y.shape, generator=g, dtype=DTYPE) for y in ys]
        leaves = xs + list(params.values())
        grads = torch.autograd.grad(ys, leaves, gys)
        for k, (x, gx) in enumerate(zip(xs, grads)):
            tensors["%s.input%d" % (name, k)] = x.detach()
            tensors["%s.grad_input%d" % (name, k)] = gx
        for k, (y, gy) in enumerate(zip(ys, gys)):
            tensors["%s.output%d" % (name, k)] = y.detach()
            tensors["%s.grad_output%d" % (name, k)] = gy
        for (pname, p), gp in zip(params.items(), grads[len(xs):]):
            tensors["%s.%s" % (name, pname)] = p.detach()
            tensors["%s.grad_%s" % (name, pname)] = gp
        metadata["config." + name] = json.dumps({"kind": kind, **args}, sort_keys=True)
    metadata["generator"] = "tools/make_structure_fixtures.py"
    metadata["torch"] = torch.__version__.split("+")[0]
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    parser.add_argument("--output", default=OUTPUT)
    opts = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    tensors, metadata = make_all()
    ok, _ = write_or_check(opts.output, tensors, metadata, opts.check)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

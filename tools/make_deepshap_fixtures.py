#!/usr/bin/env python3
"""Regenerates tests/data/deepshap.safetensors: DeepSHAP (DeepLIFT averaged over a background
set, Lundberg & Lee 2017) from an independent PyTorch DeepLIFT, read by
tests/methods/test_deep_shap.cpp, which builds the networks from the stored node kinds / inputs
and parameters and compares attrib's deep_shap() in double.

How to run (numpy and torch, CPU only):

    /usr/bin/python3 tools/make_deepshap_fixtures.py            # writes the file
    /usr/bin/python3 tools/make_deepshap_fixtures.py --check    # regenerates in memory, compares

DeepLIFT itself (every configuration: Rescale, RevealCancel, genomics default, ablation, each
with the gradient and the cross-max max-pool rule) and the networks are those of
tools/make_deeplift_fixtures.py (imported; its docstring has the formulas — written from the
papers, not from attrib's C++). Here, for every background item b_k (used as the reference of
the whole batch), the input contributions C(x; b_k) are computed and averaged:

    attr = (1/M) sum_k C(x; b_k),      output_diff = f_c(x) - (1/M) sum_k f_c(b_k),
    gap  = sum attr - output_diff      (per batch item; ~1e-16 where DeepLIFT sums to delta).

Networks: "cnn" (conv - BN with a negative scale - ReLU - max pool - conv - ReLU - avg pool -
dense - ReLU - dense; input [2, 2, 8, 8]) and "residual" (conv - ReLU - conv - ReLU - add -
ReLU - global average pool - dense; input [2, 2, 6, 6]). Batch of 2, targets [1, 2], M = 4
background items U(-1, 1) (float32-representable, like every parameter and input).

The file holds, per network <net> in {cnn, residual}:
    <net>/<node>.<param>        parameters and BatchNorm running statistics (F64)
    <net>/data/input            x [2, ...]
    <net>/data/background       [4, ...]
    <net>/data/output_diff      [2]
    <net>/attr/<method>         DeepSHAP attribution, <method> = the C++ display_name()
    <net>/gap/<method>          [2]
and metadata <net>.nodes, <net>.node_kinds, <net>.node_inputs, <net>.conv_padding, methods,
targets, <net>.exact.<method> ("1" where summation-to-delta holds for every reference).
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402
import make_deeplift_fixtures as dl  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "tests", "data", "deepshap.safetensors")
NETS = {"cnn": (dl.cnn_net, 21), "residual": (dl.residual_net, 23)}
BACKGROUND = 4


def deep_shap(net, p, x, background, method):
    """Mean over the background of DeepLIFT with each item as the batch's reference."""
    attr, y = torch.zeros_like(x), None
    fb = torch.zeros(x.shape[0], dtype=torch.float64)
    for k in range(background.shape[0]):
        x0 = background[k:k + 1].expand_as(x).clone()
        a, _, y, y0 = dl.deeplift(net, p, x, x0, method)
        attr += a / background.shape[0]
        fb += torch.tensor([float(y0[b, t]) for b, t in enumerate(dl.TARGETS)], dtype=torch.float64) / background.shape[0]
    fx = torch.tensor([float(y[b, t]) for b, t in enumerate(dl.TARGETS)], dtype=torch.float64)
    return attr, fx - fb


def make():
    tensors, meta = {}, {
        "methods": ",".join(m[0] for m in dl.METHODS),
        "targets": ",".join(str(t) for t in dl.TARGETS),
        "regenerate": "/usr/bin/python3 tools/make_deepshap_fixtures.py (torch 1.13, float64, CPU)",
    }
    for name, (builder, seed) in NETS.items():
        net = builder()
        gen = torch.Generator().manual_seed(seed)
        p = dl.make_params(net, gen)
        x = dl.f32(torch.randn(net.input_shape, generator=gen, dtype=torch.float64))
        bg = dl.f32(dl.uniform(gen, (BACKGROUND,) + tuple(net.input_shape[1:]), -1.0, 1.0))
        for k, v in p.items():
            tensors["%s/%s" % (name, k)] = v
        tensors[name + "/data/input"] = x
        tensors[name + "/data/background"] = bg
        meta[name + ".nodes"] = ",".join(n[0] for n in net.nodes)
        meta[name + ".node_kinds"] = ",".join(n[1] for n in net.nodes)
        meta[name + ".node_inputs"] = ";".join(",".join(str(j) for j in n[2]) for n in net.nodes)
        meta[name + ".conv_padding"] = ",".join(str(n[3].get("pad", 0)) for n in net.nodes)
        has_maxpool = any(n[1] == "MaxPool2d" for n in net.nodes)
        print("%s:" % name)
        for method in dl.METHODS:
            attr, diff = deep_shap(net, p, x, bg, method)
            gap = attr.reshape(attr.shape[0], -1).sum(dim=1) - diff
            tensors["%s/attr/%s" % (name, method[0])] = attr
            tensors["%s/gap/%s" % (name, method[0])] = gap
            tensors[name + "/data/output_diff"] = diff
            exact = method[2] == "standard" and not (has_maxpool and method[3] == "gradient")
            meta["%s.exact.%s" % (name, method[0])] = "1" if exact else "0"
            rel = float(gap.abs().max() / diff.abs().max())
            print("  %-34s gap/|diff| %.2e  max|attr| %.3f" % (method[0], rel, float(attr.abs().max())))
            if exact:
                assert rel < 1e-12, (name, method[0], rel)
    return tensors, meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--out", default=PATH, help="output file (default tests/data/deepshap.safetensors)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("torch %s" % torch.__version__)
    tensors, meta = make()
    ok, _ = write_or_check(args.out, tensors, meta, args.check)
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Regenerates tests/data/activations.safetensors: PyTorch values and autograd gradients of the
element-wise activations (include/attrib/layers/{activations,rectifiers,prelu}.hpp).

How to run (needs numpy and torch, tested with torch 1.13, CPU only):

    /usr/bin/python3 tools/make_activation_fixtures.py            # writes the file
    /usr/bin/python3 tools/make_activation_fixtures.py --check    # regenerates in memory, compares

Deterministic: each configuration draws its input and cotangent from its own torch.Generator,
everything is float64, names are written sorted (tools/fixtures.py).

For each configuration NAME the file holds
    NAME.input        x: fixed points (0, the function's kinks, +-1000 for stability, points next
                      to the kinks) followed by uniform random values in [-8, 8]
    NAME.output       y = f(x) as PyTorch computes it
    NAME.grad_output  a random cotangent g (never 0, so a derivative of 0 is visible)
    NAME.grad_input   d<g, y>/dx from torch.autograd.grad, i.e. PyTorch's derivative at kinks
    NAME.weight       PReLU only: the slopes
and the metadata "config.NAME" = JSON {"kind": attrib's layer kind, "args": constructor
arguments, "kinks": the points where PyTorch's derivative convention matters}.
tests/layers/test_torch_activations.cpp reads it.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "data", "activations.safetensors")
DTYPE = torch.float64
COMMON = [0.0, -1000.0, 1000.0, -30.0, 30.0, -1.0, 1.0, 0.5, -0.5, 1e-3, -1e-3]


def clamp(lo, hi):
    return lambda x, w: torch.clamp(x, min=lo, max=hi)


# (name, kind, args, kinks, torch function of (x, weight), input shape, weight or None)
CONFIGS = [
    ("sigmoid", "Sigmoid", {}, [], lambda x, w: torch.sigmoid(x), [2, 3, 4, 5], None),
    ("tanh", "Tanh", {}, [], lambda x, w: torch.tanh(x), [2, 3, 4, 5], None),
    ("silu", "SiLU", {}, [], lambda x, w: F.silu(x), [2, 3, 4, 5], None),
    ("gelu", "GELU", {"approximate": "none"}, [], lambda x, w: F.gelu(x), [2, 3, 4, 5], None),
    ("gelu_tanh", "GELU", {"approximate": "tanh"}, [], lambda x, w: F.gelu(x, approximate="tanh"), [2, 3, 4, 5], None),
    ("softplus", "Softplus", {"beta": 1.0, "threshold": 20.0}, [20.0], lambda x, w: F.softplus(x), [2, 3, 4, 5], None),
    ("softplus_b2_t10", "Softplus", {"beta": 2.0, "threshold": 10.0}, [5.0],
     lambda x, w: F.softplus(x, beta=2.0, threshold=10.0), [2, 3, 4, 5], None),
    ("elu", "ELU", {"alpha": 1.0}, [0.0], lambda x, w: F.elu(x), [2, 3, 4, 5], None),
    ("elu_a1p5", "ELU", {"alpha": 1.5}, [0.0], lambda x, w: F.elu(x, alpha=1.5), [2, 3, 4, 5], None),
    ("leaky_relu", "LeakyReLU", {"negative_slope": 0.01}, [0.0], lambda x, w: F.leaky_relu(x), [2, 3, 4, 5], None),
    ("leaky_relu_0p2", "LeakyReLU", {"negative_slope": 0.2}, [0.0],
     lambda x, w: F.leaky_relu(x, 0.2), [2, 3, 4, 5], None),
    ("relu6", "ReLU6", {}, [0.0, 6.0], lambda x, w: F.relu6(x), [2, 3, 4, 5], None),
    ("clip_0_6", "Clip", {"min": 0.0, "max": 6.0}, [0.0, 6.0], clamp(0.0, 6.0), [2, 3, 4, 5], None),
    ("clip_m2_3", "Clip", {"min": -2.0, "max": 3.0}, [-2.0, 3.0], clamp(-2.0, 3.0), [2, 3, 4, 5], None),
    ("clip_min_only", "Clip", {"min": -1.0}, [-1.0], clamp(-1.0, None), [2, 3, 4, 5], None),
    ("clip_max_only", "Clip", {"max": 2.0}, [2.0], clamp(None, 2.0), [2, 3, 4, 5], None),
    # nn.Hardsigmoid's backward multiplies by 1.0f / 6.0f, a float constant, also in float64
    # (torch 1.13 Activation.cpp): its gradients are 3e-8 off. The gradient is taken of the
    # same function written with hardtanh (exact 1/6, the same derivative 0 at x = +-3);
    # check_hardsigmoid() compares it with F.hardsigmoid's own.
    ("hardsigmoid", "HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}, [-3.0, 3.0],
     lambda x, w: F.hardtanh(x / 6.0 + 0.5, 0.0, 1.0), [2, 3, 4, 5], None),
    # ONNX HardSigmoid's defaults; PyTorch has no such op: hardtanh(alpha x + beta, 0, 1) has the
    # same (open-interval) derivative convention as nn.Hardsigmoid.
    ("hardsigmoid_onnx", "HardSigmoid", {"alpha": 0.2, "beta": 0.5}, [-2.5, 2.5],
     lambda x, w: F.hardtanh(0.2 * x + 0.5, 0.0, 1.0), [2, 3, 4, 5], None),
    ("hardswish", "HardSwish", {}, [-3.0, 3.0], lambda x, w: F.hardswish(x), [2, 3, 4, 5], None),
    ("prelu_channels", "PReLU", {"num_parameters": 3}, [0.0], lambda x, w: F.prelu(x, w), [2, 3, 4, 5],
     [0.25, -0.3, 1.2]),
    ("prelu_single", "PReLU", {"num_parameters": 1}, [0.0], lambda x, w: F.prelu(x, w), [2, 3, 4, 5], [0.1]),
    ("prelu_nc", "PReLU", {"num_parameters": 3}, [0.0], lambda x, w: F.prelu(x, w), [6, 3], [0.05, 0.5, -0.2]),
]


def fixed_points(kinks):
    """0, +-1000 ..., every kink and kink +- 1e-6."""
    return COMMON + [p for k in kinks for p in (k, k - 1e-6, k + 1e-6)]


def channel_of(i, shape):
    """Channel (axis 1) of flat index i in a C-order tensor of this shape."""
    return (i // math.prod(shape[2:])) % shape[1]


def make_input(shape, kinks, gen):
    """Fixed points first, then uniform values in [-8, 8]."""
    fixed = fixed_points(kinks)
    n = math.prod(shape)
    assert len(fixed) <= n
    rest = torch.rand(n - len(fixed), generator=gen, dtype=DTYPE) * 16 - 8
    return torch.cat([torch.tensor(fixed, dtype=DTYPE), rest]).reshape(shape)


def check_hardsigmoid(x, g, gx):
    """F.hardsigmoid agrees with the hardtanh form: value to 1e-15, gradient to 1e-7 with the same zeros."""
    xs = x.detach().clone().requires_grad_(True)
    y = F.hardsigmoid(xs)
    (gt,) = torch.autograd.grad(y, xs, g)
    assert torch.allclose(y, F.hardtanh(x.detach() / 6.0 + 0.5, 0.0, 1.0), rtol=1e-15, atol=1e-15)
    assert torch.equal(gt == 0, gx == 0), "kink convention differs"
    assert torch.allclose(gt, gx, rtol=1e-7, atol=0)


def build():
    tensors, metadata = {}, {}
    for seed, (name, kind, args, kinks, fn, shape, weight) in enumerate(CONFIGS):
        gen = torch.Generator().manual_seed(1000 + seed)
        x = make_input(shape, kinks, gen).requires_grad_(True)
        w = None if weight is None else torch.tensor(weight, dtype=DTYPE)
        y = fn(x, w)
        # cotangent in +-[0.5, 1.5]: never 0
        g = (torch.rand(shape, generator=gen, dtype=DTYPE) + 0.5) * torch.where(
            torch.rand(shape, generator=gen, dtype=DTYPE) < 0.5, -1.0, 1.0).to(DTYPE)
        (gx,) = torch.autograd.grad(y, x, g)
        gx = gx.clone()
        # The fixed points again one at a time: a 1-element tensor takes PyTorch's scalar CPU
        # kernel, which agrees with its CUDA kernels; the vectorised CPU kernel of hardswish's
        # backward differs at x = 3 (1 instead of 3/2; torch 1.13) -- attrib follows the former.
        flat_x, flat_g, flat_gx = x.detach().reshape(-1), g.reshape(-1), gx.reshape(-1)
        for i in range(len(fixed_points(kinks))):
            xi = flat_x[i : i + 1].clone().requires_grad_(True)
            wi = w if w is None or w.numel() == 1 else w[channel_of(i, shape)].reshape(1)
            (gi,) = torch.autograd.grad(fn(xi, wi), xi, flat_g[i : i + 1])
            if abs(gi.item() - flat_gx[i].item()) > 1e-12 * (1 + abs(gi.item())):
                print("  %s: x = %r: scalar kernel %r, vectorised %r" % (name, xi.item(), gi.item(), flat_gx[i].item()))
            flat_gx[i] = gi.item()
        if name == "hardsigmoid":
            check_hardsigmoid(x, g, gx)
        tensors[name + ".input"] = x.detach()
        tensors[name + ".output"] = y.detach()
        tensors[name + ".grad_output"] = g
        tensors[name + ".grad_input"] = gx
        if w is not None:
            tensors[name + ".weight"] = w
        metadata["config." + name] = json.dumps({"kind": kind, "args": args, "kinks": kinks}, sort_keys=True)
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    tensors, metadata = build()
    ok, _ = write_or_check(OUTPUT, tensors, metadata, args.check)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

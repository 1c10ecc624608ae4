#!/usr/bin/env python3
"""Regenerates tests/data/patterns_small.safetensors: patterns fitted in ONE shot (all data at
once) from the formulas of iNNvestigate 1.0.8's tools/pattern.py, on a small conv+dense ReLU
network, and PatternNet / PatternAttribution explanations computed with torch autograd.
tests/rules/test_pattern.cpp fits the same patterns in a streaming way (several batch sizes)
and compares.

How to run (numpy and torch, CPU):

    /usr/bin/python3 tools/make_pattern_fixtures.py           # writes the file
    /usr/bin/python3 tools/make_pattern_fixtures.py --check   # regenerates in memory, compares

The network (node names as in the C++ test):
    conv1  Conv2d(3, 4, 3x3, padding 1)         relu1   pool  MaxPool2d(2, 2)
    conv2  Conv2d(4, 6, 3x3, stride 2, padding 1, groups 2)   bn2 BatchNorm2d(6)   relu2
    flatten   fc1 Dense(24, 10)   relu3   fc2 Dense(10, 3)
fc1's unit 7 has bias -50, so it is never active (count 0 -> pattern 0 under "relu"); fc2's bias
is shifted by minus the median logit on the fitting data (each logit positive for half of it).

Patterns, per Dense/Conv2d layer and output unit j (conv: channel j, pooled over positions;
x = the input patch in (c, ky, kx) order, torch's unfold within the channel group):
    y_j = w_j . x (no bias),   m_j = 1[the ReLU after the layer (through bn2) > 0] ("relu"),
    for fc2 (no ReLU after it) 1[fc2's own output > 0];  m_j = 1 for "linear"
    E+[x] = sum m x / max-safe(sum m),  E+[xy] = sum m x y / safe(sum m),  E[y] = mean y (all)
    cov = E+[xy] - E+[x] E[y],   a_j = cov / safe(w_j . cov),  safe(b) = b + [b == 0]
PatternNet / PatternAttribution: autograd through the network in which each Dense/Conv2d
forward is  layer(x; W, b).detach() + layer(x; K, 0) - layer(x; K, 0).detach()  with
K = A (PatternNet) or A * W (PatternAttribution): the forward values (hence the ReLU and
max-pool switches) are the real ones, the input gradient of the layer is K^T r. Seed: one-hot
times the target logit; the attribution is the input gradient.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "patterns_small.safetensors")
N_FIT = 40
TARGETS = [0, 2, 1, 0]
KERNELS = ["conv1", "conv2", "fc1", "fc2"]
CONV = {"conv1": dict(stride=1, padding=1, groups=1), "conv2": dict(stride=2, padding=1, groups=2)}


def params():
    g = torch.Generator().manual_seed(6)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    u = lambda lo, hi, *s: lo + (hi - lo) * torch.rand(*s, generator=g, dtype=torch.float64)  # noqa: E731
    p = {
        "conv1.weight": r(4, 3, 3, 3) * 0.4, "conv1.bias": u(-0.2, 0.2, 4),
        "conv2.weight": r(6, 2, 3, 3) * 0.4, "conv2.bias": u(-0.2, 0.2, 6),
        "bn2.weight": u(0.5, 1.5, 6), "bn2.bias": u(-0.2, 0.2, 6),
        "bn2.running_mean": u(-0.2, 0.2, 6), "bn2.running_var": u(0.5, 1.5, 6),
        "fc1.weight": r(10, 24) * 0.3, "fc1.bias": u(-0.2, 0.2, 10),
        "fc2.weight": r(3, 10) * 0.5, "fc2.bias": u(-0.2, 0.2, 3),
    }
    p["fc1.bias"][7] = -50.0
    x = r(N_FIT, 3, 8, 8)
    xe = r(len(TARGETS), 3, 8, 8)
    # Centre the logits on the fitting data so that each is positive for about half of it.
    p["fc2.bias"] = p["fc2.bias"] - torch.quantile(forward(p, x)[0], 0.5, dim=0)  # between two samples
    return p, x, xe


def layer(name, p, x, w):
    """The kernel layer with weights w (bias from p if w is the real weight)."""
    if name in CONV:
        return F.conv2d(x, w, None, **CONV[name])
    return x @ w.t()


def forward(p, x, kernels=None):
    """Returns (logits, dict node -> (layer input, mask source tensor, layer output))."""
    io = {}

    def kern(name, h):
        w, b = p[name + ".weight"], p[name + ".bias"]
        if name in CONV:
            y = F.conv2d(h, w, b, **CONV[name])
        else:
            y = h @ w.t() + b
        if kernels is not None:
            k = kernels[name]
            yk = layer(name, p, h, k)
            y = y.detach() + yk - yk.detach()
        io[name] = [h, None, y]
        return y

    h = F.relu(kern("conv1", x))
    io["conv1"][1] = h
    h = F.max_pool2d(h, 2, 2)
    h = kern("conv2", h)
    h = F.batch_norm(h, p["bn2.running_mean"], p["bn2.running_var"], p["bn2.weight"], p["bn2.bias"],
                     training=False, eps=1e-5)
    h = F.relu(h)
    io["conv2"][1] = h
    h = h.reshape(h.shape[0], -1)
    h = F.relu(kern("fc1", h))
    io["fc1"][1] = h
    out = kern("fc2", h)
    io["fc2"][1] = out  # no ReLU after the logit layer: its own output (with bias)
    return out, io


def vectors(name, p, h):
    """Input vectors [V, k] and the unit each output belongs to, grouped: list of (X, units)."""
    w = p[name + ".weight"]
    if name not in CONV:
        return [(h.numpy(), np.arange(w.shape[0]))]
    c = CONV[name]
    g = c["groups"]
    cin_g, cout_g = h.shape[1] // g, w.shape[0] // g
    out = []
    for grp in range(g):
        hg = h[:, grp * cin_g:(grp + 1) * cin_g]
        cols = F.unfold(hg, w.shape[2:], padding=c["padding"], stride=c["stride"])  # [N, k, L]
        out.append((cols.permute(0, 2, 1).reshape(-1, cols.shape[1]).numpy(),
                    np.arange(grp * cout_g, (grp + 1) * cout_g)))
    return out


def masks(name, src):
    """[V, units] masks in the same vector order as vectors()."""
    if src.dim() == 4:
        return (src.permute(0, 2, 3, 1).reshape(-1, src.shape[1]) > 0).numpy()
    return (src > 0).numpy()


def fit(p, x, kind):
    _, io = forward(p, x)
    pats, counts = {}, {}
    for name in KERNELS:
        h, src, _ = io[name]
        w = p[name + ".weight"].numpy()
        w2 = w.reshape(w.shape[0], -1)
        m_all = masks(name, src)
        a = np.zeros_like(w2)
        cnt = np.zeros(w.shape[0])
        for X, units in vectors(name, p, h):
            for j in units:
                y = X @ w2[j]
                m = np.ones_like(y) if kind == "linear" else m_all[:, j].astype(np.float64)
                n = m.sum()
                sn = n + (n == 0)
                ex = (m[:, None] * X).sum(0) / sn
                exy = (m[:, None] * X * y[:, None]).sum(0) / sn
                ey = y.mean()
                cov = exy - ex * ey
                d = w2[j] @ cov
                a[j] = cov / (d + (d == 0))
                cnt[j] = n
        pats[name] = a.reshape(w.shape)
        counts[name] = cnt
    return pats, counts


def explain(p, xe, kernels):
    x = xe.clone().requires_grad_(True)
    out, _ = forward(p, x, {k: torch.from_numpy(v) for k, v in kernels.items()})
    seed = torch.zeros_like(out)
    for b, t in enumerate(TARGETS):
        seed[b, t] = out[b, t].detach()
    (g,) = torch.autograd.grad(out, x, seed)
    return g.numpy()


def build():
    p, x, xe = params()
    t = {k: v.numpy() for k, v in p.items()}
    t["x"] = x.numpy()
    t["x_explain"] = xe.numpy()
    t["targets"] = np.array(TARGETS, dtype=np.float64)
    for kind in ["linear", "relu"]:
        pats, counts = fit(p, x, kind)
        for name in KERNELS:
            t["%s.%s.pattern" % (kind, name)] = pats[name]
            t["%s.%s.active" % (kind, name)] = counts[name]
        t["%s.patternnet" % kind] = explain(p, xe, pats)
        t["%s.patternattribution" % kind] = explain(
            p, xe, {k: v * p[k + ".weight"].numpy() for k, v in pats.items()})
    return t, {"generator": "tools/make_pattern_fixtures.py"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t, meta = build()
    assert (t["relu.fc1.active"][7] == 0), "fc1 unit 7 should be dead"
    if args.check:
        old, _ = read_safetensors(OUT)
        worst = max(float(np.max(np.abs(old[k] - t[k]))) for k in t)
        print("max |difference| to the stored fixture:", worst)
        sys.exit(0 if worst <= 1e-12 and set(old) == set(t) else 1)
    write_safetensors(OUT, t, meta)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates tests/data/deeplift_{cnn,mlp,residual}.safetensors: an independent DeepLIFT
implementation (torch 1.13 tensors, float64) run on three small networks, read by
tests/rules/test_deeplift_torch.cpp, which builds the same networks with Network::add and
compares attrib's explain(net, DeepLift(...), x, targets, {reference, keep_layers}).

How to run (numpy and torch, CPU only):

    /usr/bin/python3 tools/make_deeplift_fixtures.py            # writes the three files
    /usr/bin/python3 tools/make_deeplift_fixtures.py --check    # regenerates in memory, compares

Deterministic: fixed torch.Generator seeds, float64, one CPU thread, sorted names.

DeepLIFT as computed here (written from the formulas: Shrikumar et al. 2017, the reference
deeplift code's conventions, Sixt et al.'s ablation; not from attrib's C++)
-------------------------------------------------------------------------------------------
The reference input x0 is run through the net alongside x; every node has a difference
d = a(x) - a(x0). The backward signal is a pair (m+, m-) per unit; the seed is one-hot at the
target logit in both. A node's (m+, m-) is the sum of what its consumers pass back.
The contribution read out at a node (and at the input) is  C = m+ d+ + m- d-,  d+ = max(d, 0),
d- = min(d, 0).
* Dense, Conv2d (mix units; bias cancels), with W+ = max(W, 0), W- = min(W, 0):
      a = W+^T m+ + W-^T m-   (used where the input's d > 0)
      b = W-^T m+ + W+^T m-   (used where d < 0)
      d = 0: W^T (m+ + m-) / 2
  and m+_in = m-_in = that value. Ablation: a = W+^T m+, b = W+^T m- (cross terms dropped);
  the d = 0 case unchanged.
* BatchNorm2d (scale s = gamma / sqrt(var + eps) per channel), AvgPool2d, AdaptiveAvgPool2d
  (per-unit linear maps with weights s; the pools' weights are 1/|window| > 0):
      m+_in = s+ m+ + s- m-,   m-_in = s- m+ + s+ m-   (adjoints; a negative s swaps them)
* ReLU, Rescale: slope = (y - y0) / (x - x0) where |x - x0| >= 1e-7, else 1[x0 > 0] (the
  gradient at the reference); m+-_in = slope m+-.
* ReLU, RevealCancel: p / q = the positive / negative contributions of the node feeding the
  ReLU (below), f = relu, r = x0 (the ReLU's reference input):
      dy+ = (f(r + p) - f(r) + f(r + q + p) - f(r + q)) / 2
      dy- = (f(r + q) - f(r) + f(r + p + q) - f(r + p)) / 2
      m+_in = dy+ / pc(p) m+,   m-_in = dy- / pc(q) m-,
      pc(t) = t + 1e-7 (t >= 0) / t - 1e-7 (t < 0) where |t| < 5e-8, else t (denominators only).
  The split (p, q) of a node's difference:
      model input, ReLU, MaxPool2d, Add outputs: the sign split (d+, d-) of its own difference;
      Dense/Conv2d: p = W+ d_in+ + W- d_in-, q = W- d_in+ + W+ d_in-  (d_in sign split; no bias);
      BatchNorm2d / AvgPool2d / AdaptiveAvgPool2d: p = s+ p_in + s- q_in, q = s- p_in + s+ q_in
      with (p_in, q_in) the split of their input node; Flatten: reshaped.
* Genomics default: RevealCancel at the ReLUs whose input node is a Dense layer, Rescale at
  every other ReLU.
* Ablation (Sixt et al.): Rescale everywhere plus the ablated Dense/Conv2d rule above.
* MaxPool2d (2x2, stride 2; argmax = first maximum in row-major window order):
      "gradient":  m+ and m- each routed to the argmax of the actual input x;
      "cross_max": for g in (m+, m-): y = pool(x), y0 = pool(x0), ym = max(y, y0),
                   num[argmax x] += (ym - y0) g,  num[argmax x0] += (y - ym) g,
                   m_in = num / (x - x0) where |x - x0| >= 1e-7, else the gradient rule.
* Add (residual): a Dense layer with weights [1, 1]: m_a = m+ where d_a > 0, m- where d_a < 0,
  (m+ + m-) / 2 where d_a = 0, and m+_a = m-_a; the same for b.
* Flatten: reshaped.
Summation-to-delta: sum of the input contributions = f_c(x) - f_c(x0) holds for every method
except the ablation and the gradient max-pool rule on the net with a max pool. An Add's
positive/negative split is the one of a Dense layer [1, 1] (d_a+ + d_b+, d_a- + d_b-), matching
its backward rule (ADD_SPLIT = "dense"); the sign split of the Add's own difference ("sign",
kept as an option to show the difference) breaks summation-to-delta for RevealCancel at a ReLU
after the Add by ~8 % of the delta here. The genomics default treats an Add as a Dense layer
(the paper's ResNet converter makes it one), so a ReLU after an Add gets RevealCancel. The gap
sum(C) - (f_c(x) - f_c(x0)) per batch item is stored for every method.

Networks (node names = those of the C++ test; 'inputs' index earlier nodes, -1 = model input)
-------------------------------------------------------------------------------------------
  cnn:      conv1 Conv(2->4, 3x3, pad 1) - bn1 (one negative gamma) - relu1 - pool1 MaxPool 2
            (a ReLU directly followed by a MaxPool: the case Captum gets wrong) - conv2
            Conv(4->6, 3x3, pad 1) - relu2 - pool2 AvgPool 2 - flatten - fc1 Dense(24->10) -
            relu3 - fc2 Dense(10->4); input [2, 2, 8, 8]
  mlp:      fc1 Dense(6->8) - relu1 - fc2 Dense(8->8) - relu2 - fc3 Dense(8->4); input [2, 6].
            fc1's unit 0 is 0.5 (x_0 + x_1) + 0.25; batch item 0 has x_0 = 0.75, x_1 = -0.5 and
            random reference 0.25, 0, so that unit's difference is exactly 0 in any precision
            while dx_0 = +0.5, dx_1 = -0.5: Rescale takes the near-zero fallback (slope
            1[x0 > 0] = 1, which then decides the contributions of inputs 0 and 1). The
            reference equals x on inputs 3-5 of item 0 (d = 0: the linear rule's (m+ + m-)/2).
  residual: conv1 Conv(2->4, 3x3, pad 1) - relu1 - conv2 Conv(4->4, 3x3, pad 1) - relu2 -
            add(relu2, relu1) - relu3 - gap AdaptiveAvgPool(1, 1) - flatten - fc Dense(4->4);
            input [2, 2, 6, 6]
Every bias is non-zero; parameters, inputs and references are float32-representable (so the
float test uses the same values). References: "zero" (all zeros) and "random" (U(-0.5, 0.5)).
Batch of 2, targets [1, 2].

Each file holds
    <node>.<param>                        parameters and BatchNorm running statistics (F64)
    data/input, data/reference_random     (the zero reference is implicit)
    data/logits, data/logits_<ref>        f(x), f(x0)
    attr/<ref>/<method>                   input contributions
    layer/<ref>/<method>/<node>           contributions at the output of the kept nodes
    gap/<ref>/<method>                    [2]: sum of input contributions - (f_c(x) - f_c(x0))
with <method> the C++ display_name() (DeepLiftRescale, DeepLiftRevealCancel,
DeepLiftGenomicsDefault, DeepLiftAblation, each also with the suffix CrossMax), and metadata:
nodes, node_kinds, node_inputs, kept_nodes, methods, references, targets, exact.<method>
("1" if summation-to-delta must hold on this net), float32_error.<ref>.<method> (max |this
script in float32 - float64| / max |float64| over the input and kept-node contributions: the
scale for the C++ float tolerance), min_margin (the smallest relative margin of any sign /
argmax decision, so that float32 takes the same branches).
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
TARGETS = [1, 2]
BN_EPS = 1e-5
NEAR_ZERO = 1e-7
MODELS = ("cnn", "mlp", "residual")
ADD_SPLIT = "dense"  # the split of an Add's difference for RevealCancel: "dense" (attrib) or "sign"
METHODS = []
for _mp in ("gradient", "cross_max"):
    for _nl, _lin, _name in (("rescale", "standard", "DeepLiftRescale"),
                             ("reveal_cancel", "standard", "DeepLiftRevealCancel"),
                             ("genomics_default", "standard", "DeepLiftGenomicsDefault"),
                             ("rescale", "ablation", "DeepLiftAblation")):
        METHODS.append((_name + ("CrossMax" if _mp == "cross_max" else ""), _nl, _lin, _mp))


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------

class Net:
    def __init__(self, name, input_shape, kept):
        self.name, self.input_shape, self.kept, self.nodes = name, input_shape, kept, []

    def add(self, name, kind, inputs=None, **spec):
        if inputs is None:
            inputs = [len(self.nodes) - 1]
        inputs = [[n[0] for n in self.nodes].index(i) if isinstance(i, str) else i for i in inputs]
        self.nodes.append((name, kind, inputs, spec))


def cnn_net():
    n = Net("cnn", (2, 2, 8, 8), ["bn1", "pool1", "fc1"])
    n.add("conv1", "Conv2d", cin=2, cout=4, k=3, pad=1)
    n.add("bn1", "BatchNorm2d", c=4)
    n.add("relu1", "ReLU")
    n.add("pool1", "MaxPool2d", k=2)
    n.add("conv2", "Conv2d", cin=4, cout=6, k=3, pad=1)
    n.add("relu2", "ReLU")
    n.add("pool2", "AvgPool2d", k=2)
    n.add("flatten", "Flatten")
    n.add("fc1", "Dense", cin=24, cout=10)
    n.add("relu3", "ReLU")
    n.add("fc2", "Dense", cin=10, cout=4)
    return n


def mlp_net():
    n = Net("mlp", (2, 6), ["fc1", "relu2"])
    n.add("fc1", "Dense", cin=6, cout=8)
    n.add("relu1", "ReLU")
    n.add("fc2", "Dense", cin=8, cout=8)
    n.add("relu2", "ReLU")
    n.add("fc3", "Dense", cin=8, cout=4)
    return n


def residual_net():
    n = Net("residual", (2, 2, 6, 6), ["relu1", "add"])
    n.add("conv1", "Conv2d", cin=2, cout=4, k=3, pad=1)
    n.add("relu1", "ReLU")
    n.add("conv2", "Conv2d", cin=4, cout=4, k=3, pad=1)
    n.add("relu2", "ReLU")
    n.add("add", "Add", ["relu2", "relu1"])
    n.add("relu3", "ReLU")
    n.add("gap", "AdaptiveAvgPool2d")
    n.add("flatten", "Flatten")
    n.add("fc", "Dense", cin=4, cout=4)
    return n


def f32(t):
    return t.float().double()


def uniform(gen, shape, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float64)


def make_params(net, gen):
    p = {}
    for name, kind, _, s in net.nodes:
        if kind == "Conv2d":
            fan = s["cin"] * s["k"] * s["k"]
            p[name + ".weight"] = torch.randn((s["cout"], s["cin"], s["k"], s["k"]), generator=gen,
                                              dtype=torch.float64) * (1.5 / fan ** 0.5)
            p[name + ".bias"] = uniform(gen, (s["cout"],), -0.3, 0.3)
        elif kind == "Dense":
            p[name + ".weight"] = torch.randn((s["cout"], s["cin"]), generator=gen,
                                              dtype=torch.float64) * (1.5 / s["cin"] ** 0.5)
            p[name + ".bias"] = uniform(gen, (s["cout"],), -0.3, 0.3)
        elif kind == "BatchNorm2d":
            c = s["c"]
            g = uniform(gen, (c,), 0.5, 1.5)
            g[1] = -g[1]  # one negative scale: m+ and m- swap
            p[name + ".weight"] = g
            p[name + ".bias"] = uniform(gen, (c,), -0.3, 0.3)
            p[name + ".running_mean"] = uniform(gen, (c,), -0.2, 0.2)
            p[name + ".running_var"] = uniform(gen, (c,), 0.5, 1.5)
    if net.name == "mlp":  # unit 0 of fc1: 0.5 (x_0 + x_1) + 0.25, exact in float and double
        p["fc1.weight"][0, :] = torch.tensor([0.5, 0.5, 0, 0, 0, 0], dtype=torch.float64)
        p["fc1.bias"][0] = 0.25
    return {k: f32(v) for k, v in p.items()}


# --------------------------------------------------------------------------------------------
# Layers: forward, and the (weight-transformed) linear maps and their adjoints
# --------------------------------------------------------------------------------------------

POS = lambda w: w.clamp(min=0)  # noqa: E731
NEG = lambda w: w.clamp(max=0)  # noqa: E731
IDENT = lambda w: w  # noqa: E731


def bn_scale(p, name):
    return p[name + ".weight"] / torch.sqrt(p[name + ".running_var"] + BN_EPS)


def linear_map(node, p, u, f):
    """The node's linear part with weights f(W), no bias, applied to u."""
    name, kind, _, s = node
    if kind == "Conv2d":
        return F.conv2d(u, f(p[name + ".weight"]), None, padding=s["pad"])
    if kind == "Dense":
        return u @ f(p[name + ".weight"]).t()
    if kind == "BatchNorm2d":
        return u * f(bn_scale(p, name)).view(1, -1, 1, 1)
    if kind == "AvgPool2d":
        k = s["k"]
        n, c, h, w = u.shape
        return f(torch.tensor(1.0 / (k * k), dtype=u.dtype)) * u.reshape(n, c, h // k, k, w // k, k).sum(dim=(3, 5))
    if kind == "AdaptiveAvgPool2d":
        return f(torch.tensor(1.0 / (u.shape[2] * u.shape[3]), dtype=u.dtype)) * u.sum(dim=(2, 3), keepdim=True)
    raise ValueError(kind)


def adjoint(node, p, g, f, in_shape):
    """f(W)^T g: the gradient of <linear_map(u; f), g> with respect to u."""
    u = torch.zeros(in_shape, dtype=g.dtype, requires_grad=True)
    (grad,) = torch.autograd.grad((linear_map(node, p, u, f) * g).sum(), u)
    return grad


def forward_node(node, p, ins):
    name, kind, _, s = node
    a = ins[0]
    if kind in ("Conv2d", "Dense", "BatchNorm2d"):
        y = linear_map(node, p, a, IDENT)
        if kind == "BatchNorm2d":
            shift = p[name + ".bias"] - bn_scale(p, name) * p[name + ".running_mean"]
            return y + shift.view(1, -1, 1, 1)
        b = p[name + ".bias"]
        return y + (b.view(1, -1, 1, 1) if kind == "Conv2d" else b)
    if kind in ("AvgPool2d", "AdaptiveAvgPool2d"):
        return linear_map(node, p, a, IDENT)
    if kind == "ReLU":
        return a.clamp(min=0)
    if kind == "MaxPool2d":
        return maxpool_forward(a, s["k"])[0]
    if kind == "Flatten":
        return a.reshape(a.shape[0], -1)
    if kind == "Add":
        return ins[0] + ins[1]
    raise ValueError(kind)


def maxpool_forward(a, k):
    """(y, flat index into a of every window's first maximum in row-major window order)."""
    n, c, h, w = a.shape
    win = a.reshape(n, c, h // k, k, w // k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)
    arg = torch.from_numpy(np.argmax(win.numpy(), axis=-1))  # numpy: first occurrence on ties
    y = torch.gather(win, -1, arg.unsqueeze(-1)).squeeze(-1)
    oi = torch.arange(h // k).view(1, 1, -1, 1)
    oj = torch.arange(w // k).view(1, 1, 1, -1)
    row, col = oi * k + arg // k, oj * k + arg % k
    base = (torch.arange(n).view(-1, 1, 1, 1) * c + torch.arange(c).view(1, -1, 1, 1)) * h * w
    return y, base + row * w + col


def unpool(values, idx, shape):
    out = torch.zeros(int(np.prod(shape)), dtype=values.dtype)
    out.index_add_(0, idx.reshape(-1), values.reshape(-1))
    return out.reshape(shape)


def forward(net, p, x):
    outs = []
    for node in net.nodes:
        outs.append(forward_node(node, p, [x if j < 0 else outs[j] for j in node[2]]))
    return outs


# --------------------------------------------------------------------------------------------
# DeepLIFT
# --------------------------------------------------------------------------------------------

def sign_split(d):
    return d.clamp(min=0), d.clamp(max=0)


def pseudocount(t):
    small = t.abs() < 5e-8
    return torch.where(small, torch.where(t >= 0, t + 1e-7, t - 1e-7), t)


def splits(net, p, acts, refs):
    """(p, q) of every node's difference (index 0 = model input, i + 1 = node i)."""
    sp = [sign_split(acts[0] - refs[0])]
    for i, node in enumerate(net.nodes):
        _, kind, ins, _ = node
        j = ins[0] + 1
        if kind in ("Conv2d", "Dense"):
            dp, dn = sign_split(acts[j] - refs[j])
            sp.append((linear_map(node, p, dp, POS) + linear_map(node, p, dn, NEG),
                       linear_map(node, p, dp, NEG) + linear_map(node, p, dn, POS)))
        elif kind in ("BatchNorm2d", "AvgPool2d", "AdaptiveAvgPool2d"):
            pp, qq = sp[j]
            sp.append((linear_map(node, p, pp, POS) + linear_map(node, p, qq, NEG),
                       linear_map(node, p, pp, NEG) + linear_map(node, p, qq, POS)))
        elif kind == "Flatten":
            sp.append(tuple(t.reshape(t.shape[0], -1) for t in sp[j]))
        elif kind == "Add" and ADD_SPLIT == "dense":  # attrib's convention (Dense [1, 1])
            parts = [sign_split(acts[k + 1] - refs[k + 1]) for k in ins]
            sp.append((parts[0][0] + parts[1][0], parts[0][1] + parts[1][1]))
        else:  # ReLU, MaxPool2d, Add
            sp.append(sign_split(acts[i + 1] - refs[i + 1]))
    return sp


def deeplift(net, p, x, x0, method):
    """Input contributions, contributions at every node's output, f(x), f(x0)."""
    _, nonlinear, lin, maxpool = method
    acts = [x] + forward(net, p, x)    # acts[i + 1] = node i's output
    refs = [x0] + forward(net, p, x0)
    sp = splits(net, p, acts, refs) if nonlinear != "rescale" else None
    n_nodes = len(net.nodes)
    mult = [None] * (n_nodes + 1)

    def accumulate(k, mp, mn):
        if mult[k] is None:
            mult[k] = (mp, mn)
        else:
            mult[k] = (mult[k][0] + mp, mult[k][1] + mn)

    seed = torch.zeros_like(acts[-1])
    for b, t in enumerate(TARGETS):
        seed[b, t] = 1.0
    mult[n_nodes] = (seed, seed.clone())
    for i in range(n_nodes - 1, -1, -1):
        node = net.nodes[i]
        name, kind, ins, s = node
        if mult[i + 1] is None:
            continue
        mp, mn = mult[i + 1]
        j = ins[0] + 1
        x_in, x0_in = acts[j], refs[j]
        d_in = x_in - x0_in
        if kind in ("Conv2d", "Dense"):
            shape = x_in.shape
            a = adjoint(node, p, mp, POS, shape)
            b = adjoint(node, p, mn, POS, shape)
            if lin == "standard":
                a = a + adjoint(node, p, mn, NEG, shape)
                b = b + adjoint(node, p, mp, NEG, shape)
            z = adjoint(node, p, 0.5 * (mp + mn), IDENT, shape)
            m = torch.where(d_in > 0, a, torch.where(d_in < 0, b, z))
            accumulate(j, m, m.clone())
        elif kind in ("BatchNorm2d", "AvgPool2d", "AdaptiveAvgPool2d"):
            shape = x_in.shape
            accumulate(j, adjoint(node, p, mp, POS, shape) + adjoint(node, p, mn, NEG, shape),
                       adjoint(node, p, mp, NEG, shape) + adjoint(node, p, mn, POS, shape))
        elif kind == "ReLU":
            reveal = nonlinear == "reveal_cancel" or (
                nonlinear == "genomics_default" and ins[0] >= 0 and net.nodes[ins[0]][1] in ("Dense", "Add"))
            if not reveal:
                dy = acts[i + 1] - refs[i + 1]
                far = d_in.abs() >= NEAR_ZERO
                slope = torch.where(far, dy / torch.where(far, d_in, torch.ones_like(d_in)),
                                    (x0_in > 0).to(d_in.dtype))
                accumulate(j, slope * mp, slope * mn)
            else:
                pp, qq = sp[j]
                r = x0_in
                f = lambda v: v.clamp(min=0)  # noqa: E731
                dyp = 0.5 * ((f(r + pp) - f(r)) + (f(r + qq + pp) - f(r + qq)))
                dyn = 0.5 * ((f(r + qq) - f(r)) + (f(r + pp + qq) - f(r + pp)))
                accumulate(j, dyp / pseudocount(pp) * mp, dyn / pseudocount(qq) * mn)
        elif kind == "MaxPool2d":
            k = s["k"]
            y, ia = maxpool_forward(x_in, k)
            if maxpool == "gradient":
                accumulate(j, unpool(mp, ia, x_in.shape), unpool(mn, ia, x_in.shape))
            else:
                y0, ib = maxpool_forward(x0_in, k)
                ym = torch.maximum(y, y0)
                far = d_in.abs() >= NEAR_ZERO
                outs = []
                for g in (mp, mn):
                    num = unpool((ym - y0) * g, ia, x_in.shape) + unpool((y - ym) * g, ib, x_in.shape)
                    grad = unpool(g, ia, x_in.shape)
                    outs.append(torch.where(far, num / torch.where(far, d_in, torch.ones_like(d_in)), grad))
                accumulate(j, outs[0], outs[1])
        elif kind == "Flatten":
            accumulate(j, mp.reshape(x_in.shape), mn.reshape(x_in.shape))
        elif kind == "Add":
            for k_in in ins:
                d = acts[k_in + 1] - refs[k_in + 1]
                m = torch.where(d > 0, mp, torch.where(d < 0, mn, 0.5 * (mp + mn)))
                accumulate(k_in + 1, m, m.clone())
        else:
            raise ValueError(kind)

    def readout(k):
        if mult[k] is None:
            return torch.zeros_like(acts[k])
        d = acts[k] - refs[k]
        return torch.where(d > 0, mult[k][0] * d, mult[k][1] * d)

    return readout(0), [readout(k + 1) for k in range(n_nodes)], acts[-1], refs[-1]


# --------------------------------------------------------------------------------------------
# Decision margins (so that float32 takes the same branches as float64)
# --------------------------------------------------------------------------------------------

def min_margin(net, acts, refs):
    """Smallest |value| / scale over every quantity whose sign decides a branch: node
    differences and ReLU inputs (x and x0), and the gap between the largest and second-largest
    distinct value of every max-pool window (exact ties, e.g. zeros after a ReLU, are fine)."""
    worst = float("inf")
    for k in range(len(acts)):
        for t in (acts[k] - refs[k],) + ((acts[k], refs[k]) if k > 0 and net.nodes[k - 1][1] != "ReLU" else ()):
            scale = float(t.abs().max())
            nz = t[t != 0].abs()
            if nz.numel() and scale > 0:
                worst = min(worst, float(nz.min()) / scale)
    for i, (_, kind, ins, s) in enumerate(net.nodes):
        if kind != "MaxPool2d":
            continue
        for a in (acts[ins[0] + 1], refs[ins[0] + 1]):
            n, c, h, w = a.shape
            k = s["k"]
            win = a.reshape(n, c, h // k, k, w // k, k).permute(0, 1, 2, 4, 3, 5).reshape(-1, k * k)
            srt = win.sort(dim=1, descending=True).values
            gaps = srt[:, 0:1] - srt[:, 1:]
            gaps = gaps[gaps > 0]
            if gaps.numel():
                worst = min(worst, float(gaps.min()) / float(a.abs().max()))
    return worst


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

def make_inputs(net, gen):
    x = f32(torch.randn(net.input_shape, generator=gen, dtype=torch.float64))
    xr = f32(uniform(gen, net.input_shape, -0.5, 0.5))
    if net.name == "mlp":
        # Item 0: dyadic x_0, x_1 and reference with dx_0 = +0.5, dx_1 = -0.5, so fc1's unit 0
        # has a difference of exactly 0 (and reference pre-activation 0.375 > 0) while its
        # inputs' contributions do not vanish; the reference equals x on inputs 3-5.
        x[0, 0], x[0, 1], xr[0, 0], xr[0, 1] = 0.75, -0.5, 0.25, 0.0
        xr[0, 3:] = x[0, 3:]
    return x, xr


def make(name):
    net = {"cnn": cnn_net, "mlp": mlp_net, "residual": residual_net}[name]()
    gen = torch.Generator().manual_seed({"cnn": 11, "mlp": 12, "residual": 13}[name])
    p = make_params(net, gen)
    x, xr = make_inputs(net, gen)
    refs = {"zero": torch.zeros_like(x), "random": xr}
    tensors = dict(p)
    tensors["data/input"] = x
    tensors["data/reference_random"] = xr
    names = [n[0] for n in net.nodes]
    meta = {
        "model": name,
        "nodes": ",".join(names),
        "node_kinds": ",".join(n[1] for n in net.nodes),
        "node_inputs": ";".join(",".join(str(j) for j in n[2]) for n in net.nodes),
        "kept_nodes": ",".join(net.kept),
        "methods": ",".join(m[0] for m in METHODS),
        "references": "zero,random",
        "targets": ",".join(str(t) for t in TARGETS),
        "regenerate": "/usr/bin/python3 tools/make_deeplift_fixtures.py (torch 1.13, float64, CPU)",
    }
    has_maxpool = any(n[1] == "MaxPool2d" for n in net.nodes)
    reveal_after_add = any(n[1] == "ReLU" and net.nodes[n[2][0]][1] == "Add" for n in net.nodes)
    p32 = {k: v.float() for k, v in p.items()}
    margin = float("inf")
    print("%s:" % name)
    for ref_name, x0 in refs.items():
        acts = [x] + forward(net, p, x)
        rfs = [x0] + forward(net, p, x0)
        margin = min(margin, min_margin(net, acts, rfs))
        tensors["data/logits"] = acts[-1]
        tensors["data/logits_" + ref_name] = rfs[-1]
        for method in METHODS:
            mname = method[0]
            attr, layers, y, y0 = deeplift(net, p, x, x0, method)
            key = "%s/%s" % (ref_name, mname)
            tensors["attr/" + key] = attr
            for node in net.kept:
                tensors["layer/%s/%s" % (key, node)] = layers[names.index(node)]
            delta = torch.tensor([float(y[b, t] - y0[b, t]) for b, t in enumerate(TARGETS)], dtype=torch.float64)
            gap = attr.reshape(attr.shape[0], -1).sum(dim=1) - delta
            tensors["gap/" + key] = gap
            exact = method[2] == "standard" and not (has_maxpool and method[3] == "gradient") and not (
                method[1] in ("reveal_cancel", "genomics_default") and reveal_after_add and ADD_SPLIT == "sign")
            meta["exact." + mname] = "1" if exact else "0"
            # The same computation in float32: the scale of float rounding for the C++ test.
            a32, l32, _, _ = deeplift(net, p32, x.float(), x0.float(), method)
            err = float((a32.double() - attr).abs().max() / attr.abs().max())
            for node in net.kept:
                ref_l = layers[names.index(node)]
                err = max(err, float((l32[names.index(node)].double() - ref_l).abs().max() / ref_l.abs().max()))
            meta["float32_error.%s.%s" % (ref_name, mname)] = "%.3e" % err
            rel_gap = float(gap.abs().max() / delta.abs().max())
            print("  %-7s %-34s gap/|delta| %.2e  float32 %.1e  max|attr| %.3f" % (
                ref_name, mname, rel_gap, err, float(attr.abs().max())))
            if exact:
                assert rel_gap < 1e-12, (name, ref_name, mname, rel_gap)
    meta["min_margin"] = "%.3e" % margin
    print("  smallest relative decision margin %.2e" % margin)
    return tensors, meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    parser.add_argument("--out", default=DATA, help="output directory (default tests/data)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("torch %s" % torch.__version__)
    failed, total = False, 0
    for model in MODELS:
        tensors, metadata = make(model)
        path = os.path.join(args.out, "deeplift_%s.safetensors" % model)
        ok, size = write_or_check(path, tensors, metadata, args.check)
        failed |= not ok
        total += size
    if not args.check:
        print("total %.0f kB" % (total / 1e3))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Regenerates tests/data/models_{vgg16,resnet50,cifar}.safetensors: whole-network PyTorch
references for attrib's builders vgg16(), resnet50() and cifar_net() (attrib/models/builders.hpp).

How to run (from anywhere; needs numpy and torch, tested with torch 1.13, CPU only;
torchvision is optional):

    /usr/bin/python3 tools/make_model_fixtures.py                    # writes the three files
    /usr/bin/python3 tools/make_model_fixtures.py --check            # regenerates in memory, compares
    /usr/bin/python3 tools/make_model_fixtures.py --no-torchvision   # as if torchvision were absent

The output is deterministic (fixed torch.Generator seeds, float64 on one CPU thread, sorted
names) and the same with or without torchvision. tests/models/test_builders_torch.cpp reads it.

The torch modules below have the builders' topologies at reduced width and torchvision's
parameter names (features.N.weight, layer1.0.downsample.0.weight, bn1.running_var, fc.bias ...).
With torchvision importable the script (a) builds the VGG features with torchvision's
make_layers() and the ResNet blocks from torchvision's Bottleneck class, and (b) checks at full
width that our VGG16 / ResNet50 modules have exactly the state_dict names and shapes of
torchvision's vgg16() / resnet50() and compute the same outputs with torchvision's weights.

Widths. The brief asked for width_divisor 16 (VGG) and 4 (CIFAR), but their first Dense layers
alone would then hold 32*49*256 and 32*64*256 weights (3.2 MB and 4.2 MB in float64), far over
the 3 MB budget for all fixtures, so VGG uses width_divisor 32 and the CIFAR net 8 (ResNet-50
keeps 16). To halve the size again, every parameter and the input are drawn in float64 and
then rounded to float32-representable values and stored as F32: nothing is lost (F32 -> double
is exact), the reference computation is still float64, and the float test builds its network
from exactly the same values. Everything computed (logits, gradients, activations) is F64.

Each file holds
    <torchvision parameter name>  every parameter and BatchNorm running statistic (F32 values;
                                  no num_batches_tracked: it is not a parameter of attrib's)
    data/input        x, [2, 3, H, W] (F32 values)
    data/logits       f(x), [2, 10]
    data/input_grad   d/dx sum_n f(x)[n, targets[n]]: each item's gradient of its own target
    act/<node>        output of the node with attrib's name <node> (a handful per model)
    grad/<node>       gradient of the same objective at that node's output
and the metadata: model, builder call, width_divisor, num_classes, input_shape, targets,
nodes / node_kinds / node_shapes (every node of attrib's network in execution order, with the
expected kind and output shape), full_width_state_dict and full_width_parameter_count
(torchvision's, or our modules' when torchvision is absent), relu_active, regenerate, and
torch_float32_error: max |y32 - y64| / max |y64| over the stored results when PyTorch runs the
same model in float32 (the deep ResNet's eval BatchNorms amplify rounding to ~1e-4; the C++
float test's tolerance is a multiple of this).

Parameters are non-trivial on purpose: non-zero biases everywhere, BatchNorm gamma (some
negative), beta and running statistics randomised, the running statistics calibrated on the
fixture batch so that eval-mode BatchNorm is neither identity nor saturating. The script
prints the share of active units of every ReLU and the smallest ReLU / max-pool decision
margins, and refuses a draw whose margins would make the float comparison fragile.
"""

import argparse
import copy
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
DTYPE = torch.float64
TARGETS = [3, 7]
NUM_CLASSES = 10
BATCH = 2
REGENERATE = "/usr/bin/python3 tools/make_model_fixtures.py (torch 1.13, float64, CPU)"

tv_vgg = tv_resnet = None


def import_torchvision():
    global tv_vgg, tv_resnet
    try:
        from torchvision.models import resnet as tv_resnet_module
        from torchvision.models import vgg as tv_vgg_module
    except ImportError:
        return False
    tv_vgg, tv_resnet = tv_vgg_module, tv_resnet_module
    return True


# --------------------------------------------------------------------------------------------
# Modules with torchvision's structure and names
# --------------------------------------------------------------------------------------------

VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg_features(cfg):
    if tv_vgg is not None:
        return tv_vgg.make_layers(cfg, batch_norm=False)
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(cin, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            cin = v
    return nn.Sequential(*layers)


class VGG16(nn.Module):
    """torchvision.models.VGG with configuration "D", channels and hidden units / width_divisor."""

    def __init__(self, width_divisor=1, num_classes=1000):
        super().__init__()
        cfg = [v if v == "M" else v // width_divisor for v in VGG16_CFG]
        last, hidden = cfg[-2], 4096 // width_divisor
        self.features = vgg_features(cfg)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(last * 7 * 7, hidden), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))

    def trace(self, x, visit):
        """Runs node by node with attrib's node names; visit(name, module, input) -> output."""
        for i, m in enumerate(self.features):
            x = visit("features.%d" % i, m, x)
        x = visit("avgpool", self.avgpool, x)
        x = visit("flatten", "Flatten", x)
        for i, m in enumerate(self.classifier):
            x = visit("classifier.%d" % i, m, x)
        return x


class Bottleneck(nn.Module):
    """Copy of torchvision's Bottleneck (v1.5, stride on the 3x3 conv), used without torchvision."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """torchvision.models.ResNet(Bottleneck, [3, 4, 6, 3]) with every width / width_divisor."""

    def __init__(self, width_divisor=1, num_classes=1000):
        super().__init__()
        block = tv_resnet.Bottleneck if tv_resnet is not None else Bottleneck
        self.inplanes = 64 // width_divisor
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for s, blocks in enumerate([3, 4, 6, 3]):
            planes, stride = (64 << s) // width_divisor, 1 if s == 0 else 2
            layers = []
            for b in range(blocks):
                downsample = None
                if b == 0:
                    downsample = nn.Sequential(
                        nn.Conv2d(self.inplanes, planes * 4, 1, stride=stride, bias=False),
                        nn.BatchNorm2d(planes * 4))
                layers.append(block(self.inplanes, planes, stride if b == 0 else 1, downsample))
                self.inplanes = planes * 4
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def trace(self, x, visit):
        for name in ["conv1", "bn1", "relu", "maxpool"]:
            x = visit(name, getattr(self, name), x)
        for s in range(1, 5):
            for b, blk in enumerate(getattr(self, "layer%d" % s)):
                p = "layer%d.%d." % (s, b)
                out = visit(p + "conv1", blk.conv1, x)
                out = visit(p + "bn1", blk.bn1, out)
                out = visit(p + "relu", blk.relu, out)
                out = visit(p + "conv2", blk.conv2, out)
                out = visit(p + "bn2", blk.bn2, out)
                out = visit(p + "relu_1", blk.relu, out)
                out = visit(p + "conv3", blk.conv3, out)
                out = visit(p + "bn3", blk.bn3, out)
                shortcut = x
                if blk.downsample is not None:
                    shortcut = visit(p + "downsample.0", blk.downsample[0], x)
                    shortcut = visit(p + "downsample.1", blk.downsample[1], shortcut)
                x = visit(p + "add", "Add", out, shortcut)
                x = visit(p + "relu_2", blk.relu, x)
        x = visit("avgpool", self.avgpool, x)
        x = visit("flatten", "Flatten", x)
        return visit("fc", self.fc, x)


class CifarNet(nn.Module):
    """The CIFAR-10 network of Sixt et al. as attrib's cifar_net() (NCHW, 32x32 input)."""

    def __init__(self, width_divisor=1, num_classes=10):
        super().__init__()
        c1, c2, c3, h = (w // width_divisor for w in (32, 64, 128, 1024))
        self.conv1, self.relu1 = nn.Conv2d(3, c1, 3, padding=1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU()
        self.pool2 = nn.MaxPool2d(2, 2)
        self.conv3, self.relu3 = nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU()
        self.conv4, self.relu4 = nn.Conv2d(c3, c3, 3, padding=1), nn.ReLU()
        self.pool4 = nn.MaxPool2d(2, 2)
        self.dropout5, self.fc5, self.relu5 = nn.Dropout(0.5), nn.Linear(c3 * 8 * 8, h), nn.ReLU()
        self.dropout6, self.fc6 = nn.Dropout(0.5), nn.Linear(h, num_classes)

    ORDER = ["conv1", "relu1", "conv2", "relu2", "pool2", "conv3", "relu3", "conv4", "relu4", "pool4",
             "flatten", "dropout5", "fc5", "relu5", "dropout6", "fc6"]

    def forward(self, x):
        return self.trace(x, lambda name, m, *a: flatten_or_call(m, *a))

    def trace(self, x, visit):
        for name in self.ORDER:
            x = visit(name, "Flatten" if name == "flatten" else getattr(self, name), x)
        return x


def flatten_or_call(m, *args):
    return torch.flatten(args[0], 1) if m == "Flatten" else m(*args)


# attrib's layer kind of a torch module (or of the "Flatten" / "Add" markers).
def kind_of(m):
    if isinstance(m, str):
        return m
    table = [(nn.Conv2d, "Conv2d"), (nn.Linear, "Dense"), (nn.ReLU, "ReLU"), (nn.MaxPool2d, "MaxPool2d"),
             (nn.AdaptiveAvgPool2d, "AdaptiveAvgPool2d"), (nn.BatchNorm2d, "BatchNorm2d"),
             (nn.Dropout, "Dropout")]
    for cls, kind in table:
        if isinstance(m, cls):
            return kind
    raise TypeError("no attrib kind for %r" % (m,))


def apply_node(m, *args):
    """The node's output, out of place (torchvision's ReLUs are inplace=True)."""
    if m == "Add":
        return args[0] + args[1]
    if isinstance(m, nn.ReLU):
        return F.relu(args[0])
    return flatten_or_call(m, *args)


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------

def f32(t):
    """t rounded to the nearest float32 value, kept in float64."""
    return t.float().double()


def uniform(gen, shape, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=DTYPE)


def normal(gen, shape, std):
    return std * torch.randn(shape, generator=gen, dtype=DTYPE)


@torch.no_grad()
def init_weights(model, gen):
    """Conv: Kaiming normal (fan_out, as torchvision) and U(+-1/sqrt(fan_in)) bias; Linear:
    PyTorch's U(+-1/sqrt(fan_in)); BatchNorm: gamma in +-[0.5, 1.5] (a fifth negative), beta
    U(-0.3, 0.3). Running statistics are set later by calibrate()."""
    for _, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            m.weight.copy_(normal(gen, m.weight.shape, math.sqrt(2.0 / (m.out_channels * k))))
            if m.bias is not None:
                b = 1 / math.sqrt(m.in_channels * k)
                m.bias.copy_(uniform(gen, m.bias.shape, -b, b))
        elif isinstance(m, nn.Linear):
            b = 1 / math.sqrt(m.in_features)
            m.weight.copy_(uniform(gen, m.weight.shape, -b, b))
            m.bias.copy_(uniform(gen, m.bias.shape, -b, b))
        elif isinstance(m, nn.BatchNorm2d):
            sign = torch.where(torch.rand(m.num_features, generator=gen, dtype=DTYPE) < 0.2, -1.0, 1.0)
            m.weight.copy_(sign * uniform(gen, m.num_features, 0.5, 1.5))
            m.bias.copy_(uniform(gen, m.num_features, -0.3, 0.3))
    for p in model.parameters():
        p.copy_(f32(p))


@torch.no_grad()
def calibrate(model, x, gen):
    """Sets every BatchNorm's running statistics from its input on the batch x, perturbed
    (mean + 0.2 std N(0, 1), var x exp(U(-0.5, 0.5))), in execution order."""
    def visit(name, m, *args):
        if isinstance(m, nn.BatchNorm2d):
            z = args[0]
            mean, var = z.mean(dim=(0, 2, 3)), z.var(dim=(0, 2, 3), unbiased=False)
            c = m.num_features
            m.running_mean.copy_(f32(mean + 0.2 * var.sqrt() * torch.randn(c, generator=gen, dtype=DTYPE)))
            m.running_var.copy_(f32(var * torch.exp(uniform(gen, c, -0.5, 0.5))))
        return apply_node(m, *args)
    model.trace(x, visit)


# --------------------------------------------------------------------------------------------
# Reference computation
# --------------------------------------------------------------------------------------------

def run(model, x, keep):
    """Node-by-node forward and backward of sum_n logits[n, TARGETS[n]]. Returns the logits, the
    input gradient, (name, kind, shape) of every node, {node: (activation, gradient)} for the
    nodes in keep, and per-ReLU statistics."""
    x = x.clone().requires_grad_(True)
    nodes, kept, relus = [], {}, []

    def visit(name, m, *args):
        y = apply_node(m, *args)
        nodes.append((name, kind_of(m), list(y.shape)))
        if name in keep:
            y.retain_grad()
            kept[name] = y
        if isinstance(m, nn.ReLU):
            z = args[0].detach()
            relus.append((name, float((z > 0).double().mean()), float(z.abs().min() / z.abs().max())))
        if isinstance(m, nn.MaxPool2d):
            relus.append((name, None, pool_margin(m, args[0].detach())))
        return y

    logits = model.trace(x, visit)
    with torch.no_grad():
        direct = model(x)
    assert torch.equal(direct, logits), "the node-by-node forward differs from the module's forward"
    missing = set(keep) - set(kept)
    assert not missing, "unknown nodes to keep: %s" % sorted(missing)
    logits.gather(1, torch.tensor(TARGETS).view(-1, 1)).sum().backward()
    acts = {n: (t.detach(), t.grad.detach()) for n, t in kept.items()}
    return logits.detach(), x.grad.detach(), nodes, acts, relus


def pool_margin(m, z):
    """Smallest gap between the largest and second-largest value of a pooling window with a
    positive maximum, relative to max |z| (a near-tie could pick another argmax in float)."""
    k, s, p = m.kernel_size, m.stride, m.padding
    z = F.pad(z, (p, p, p, p), value=-math.inf) if p else z
    cols = F.unfold(z, k, stride=s).view(z.shape[0], z.shape[1], k * k, -1)
    top = cols.topk(2, dim=2).values
    gap = (top[:, :, 0] - top[:, :, 1])[top[:, :, 0] > 0]  # all-zero windows after a ReLU: no gradient
    return float(gap.min() / z[torch.isfinite(z)].abs().max())


# --------------------------------------------------------------------------------------------
# Full-width comparison with torchvision
# --------------------------------------------------------------------------------------------

def state_dict_spec(model):
    """[(name, shape)] of the state dict without num_batches_tracked (not a parameter of ours)."""
    return [(n, list(t.shape)) for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")]


@torch.no_grad()
def check_full_width(ours, theirs, input_shape):
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b), "state_dict names differ from torchvision's:\n%s\n%s" % (
        sorted(set(a) ^ set(b))[:20], list(a)[:5])
    for n in a:
        assert a[n].shape == b[n].shape, "%s: %s vs torchvision %s" % (n, a[n].shape, b[n].shape)
    ours.load_state_dict(b)
    ours.eval()
    theirs.eval()
    x = torch.randn(input_shape, generator=torch.Generator().manual_seed(7))
    y_ours, y_theirs = ours(x), theirs(x)
    y_trace = ours.trace(x, lambda name, m, *args: apply_node(m, *args))
    assert torch.allclose(y_ours, y_theirs, rtol=1e-5, atol=1e-6), "outputs differ from torchvision's"
    assert torch.allclose(y_trace, y_theirs, rtol=1e-5, atol=1e-6), "node-by-node forward differs"
    print("  full width: %d state_dict entries equal torchvision's, outputs agree (max diff %.2g)"
          % (len(a), float((y_ours - y_theirs).abs().max())))


def full_width_facts(name, torchvision_ok):
    """(state_dict spec string, trainable parameter count) at full width, 1000 classes."""
    ours = VGG16() if name == "vgg16" else ResNet50()
    if torchvision_ok:
        from torchvision import models
        theirs = models.vgg16() if name == "vgg16" else models.resnet50()
        check_full_width(ours, theirs, (1, 3, 32, 32) if name == "vgg16" else (1, 3, 64, 64))
        ref = theirs
    else:
        print("  full width: torchvision not importable, recording our modules' state_dict")
        ref = ours
    spec = ";".join("%s=%s" % (n, "x".join(map(str, s))) for n, s in state_dict_spec(ref))
    count = sum(p.numel() for p in ref.parameters())
    return spec, count


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

MODELS = {
    # name: (module class, width_divisor, input size, seed, builder call, nodes to keep)
    "vgg16": (VGG16, 32, 32, 1601,
              "vgg16<T>(BuilderOptions{num_classes = 10, width_divisor = 32})",
              ["features.4", "features.9", "features.16", "features.23", "features.30", "avgpool",
               "classifier.1", "classifier.4"]),
    "resnet50": (ResNet50, 16, 64, 5001,
                 "resnet50<T>(BuilderOptions{num_classes = 10, width_divisor = 16})",
                 ["maxpool", "layer1.0.add", "layer2.0.downsample.1", "layer2.0.add", "layer2.0.relu_2",
                  "layer3.5.relu_2", "layer4.2.add", "avgpool"]),
    "cifar": (CifarNet, 8, 32, 1001,
              "cifar_net<T>(BuilderOptions{num_classes = 10, width_divisor = 8})",
              ["pool2", "relu3", "pool4", "fc5", "relu5"]),
}
MIN_MARGIN = 1e-6  # smallest accepted ReLU / max-pool decision margin, relative


def make(name, torchvision_ok):
    cls, divisor, size, seed, builder, keep = MODELS[name]
    print("%s (width_divisor %d, input [%d, 3, %d, %d], seed %d)" % (name, divisor, BATCH, size, size, seed))
    torch.manual_seed(0)  # nothing below uses the global generator; this only guards against it
    gen = torch.Generator().manual_seed(seed)
    model = cls(width_divisor=divisor, num_classes=NUM_CLASSES).to(DTYPE).eval()
    init_weights(model, gen)
    x = f32(torch.randn((BATCH, 3, size, size), generator=gen, dtype=DTYPE))
    calibrate(model, x, gen)
    logits, grad, nodes, acts, stats = run(model, x, keep)

    active = [(n, a) for n, a, _ in stats if a is not None]
    share = sum(a for _, a in active) / len(active)
    print("  ReLU active share: mean %.2f, per ReLU %s" % (share, " ".join("%.2f" % a for _, a in active)))
    worst = min(stats, key=lambda s: s[2])
    print("  smallest decision margin (ReLU |z| / max|z|, max-pool top-2 gap / max|z|): %.2g at %s"
          % (worst[2], worst[0]))
    assert 0.3 <= share <= 0.6, "mean active ReLU share %.2f outside [0.3, 0.6]" % share
    assert all(0.1 <= a <= 0.9 for _, a in active), "a ReLU is nearly dead or linear: %s" % active
    assert worst[2] >= MIN_MARGIN, "decision margin %.2g at %s too small for float" % (worst[2], worst[0])

    # PyTorch's own float32 error on this model: the scale for the C++ float tolerance.
    logits32, grad32, _, acts32, _ = run(copy.deepcopy(model).float(), x.float(), keep)
    pairs = [(logits32, logits), (grad32, grad)] + [p for n in acts for p in zip(acts32[n], acts[n])]
    float32_error = max(float((a.double() - b).abs().max() / b.abs().max()) for a, b in pairs)
    print("  PyTorch float32 vs float64, worst stored tensor: %.2g (relative to its max)" % float32_error)

    tensors = {n: t.float() for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")}
    tensors["data/input"] = x.float()
    assert torch.equal(tensors["data/input"].double(), x)
    tensors["data/logits"] = logits
    tensors["data/input_grad"] = grad
    for n, (a, g) in acts.items():
        tensors["act/" + n] = a
        tensors["grad/" + n] = g
    spec, count = full_width_facts(name, torchvision_ok) if name != "cifar" else ("", 0)
    metadata = {
        "model": name,
        "builder": builder,
        "width_divisor": str(divisor),
        "num_classes": str(NUM_CLASSES),
        "input_shape": ",".join(map(str, x.shape)),
        "targets": ",".join(map(str, TARGETS)),
        "objective": "sum_n logits[n, targets[n]]; data/input_grad and grad/<node> are its gradients",
        "nodes": ",".join(n for n, _, _ in nodes),
        "node_kinds": ",".join(k for _, k, _ in nodes),
        "node_shapes": ";".join("x".join(map(str, s)) for _, _, s in nodes),
        "parameters": "float32-representable values stored as F32; computed in float64",
        "relu_active": "%.3f" % share,
        "torch_float32_error": "%.3g" % float32_error,
        "regenerate": REGENERATE,
        "torch_version": torch.__version__.split("+")[0],
    }
    if spec:
        metadata["full_width_state_dict"] = spec
        metadata["full_width_parameter_count"] = str(count)
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    parser.add_argument("--no-torchvision", action="store_true", help="do not use torchvision")
    parser.add_argument("--out", default=DATA, help="output directory (default tests/data)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torchvision_ok = not args.no_torchvision and import_torchvision()
    print("torch %s, torchvision %s" % (torch.__version__, "used" if torchvision_ok else "not used"))
    failed = False
    for name in MODELS:
        tensors, metadata = make(name, torchvision_ok)
        path = os.path.join(args.out, "models_%s.safetensors" % name)
        ok, size = write_or_check(path, tensors, metadata, args.check)
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

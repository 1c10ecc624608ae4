#!/usr/bin/python3
"""Regenerates tests/onnx/data/zoo/: reduced torchvision CNN families exported to ONNX, with float64
references (logits, input gradient, Zennit LRP composites, Captum DeepLift), for issue #14.

    /usr/bin/python3 tools/make_zoo_fixtures.py --zennit DIR --captum DIR          # rewrite the files
    /usr/bin/python3 tools/make_zoo_fixtures.py --zennit DIR --captum DIR --check  # exit 1 if different
    /usr/bin/python3 tools/make_zoo_fixtures.py --zennit DIR --captum DIR --only convnext_tiny  # some families

Needs Debian's python3-torch (1.13), python3-torchvision (0.14), python3-onnx (op counts of the
manifest) and python3-matplotlib (Captum imports it), plus two pure-Python sources that are not
Debian packages and are never committed: Zennit 0.5.1 (git tag 0.5.1 of chr5tphr/zennit; pass its
src/ directory) and Captum 0.7.0 (git tag v0.7.0 of pytorch/captum; pass the directory holding the
captum/ package). One thread, fixed seeds.

Every family is torchvision's own model class and forward(), built with torchvision's constructor
arguments where they exist (width_mult, block_config, growth_rate, stages_out_channels, setting
lists, BlockParams) and otherwise with its modules replaced by narrower ones built from
torchvision's own building blocks (BasicBlock, Fire, Inception, make_layers), keeping the depth
and the op pattern of the full model (docs/zoo.md lists the configurations). Parameters are drawn
from a seeded generator as float32 values, BatchNorm with non-trivial statistics
(make_onnx_fixtures.randomise). Each model is exported twice, in float32:

  <family>.onnx           torch.onnx.export(model.eval(), x, path, opset_version=13)   (as users do:
                          BatchNorm folded into the convolutions, torch's own tensor names, static
                          batch 1)
  <family>_preserve.onnx  the same with do_constant_folding=False and TrainingMode.PRESERVE
                          (BatchNormalization nodes kept, shape arithmetic left in the graph)

<family>.safetensors holds the references, all computed in float64 from exactly the exported
float32 parameters (model.double()):

  input        [1, C, H, W] (conv1d: [1, 4, L]) F32, uniform in [-1, 1]
  logits       [1, classes] F64
  input_grad   d logits[0, target] / d input, F64; target = argmax |logits| (the most decisive
               logit, so that no seed is close to 0)
  lrp.epsilon_plus, lrp.epsilon_plus_flat, lrp.epsilon_alpha2_beta1, lrp.epsilon_alpha2_beta1_flat,
  lrp.epsilon_gamma_box, lrp.excitation_backprop
               Zennit 0.5.1's composites with the family's canonizers (only where Zennit's result
               is an LRP of the whole network, see the manifest's "zennit" entry); the relevance
               at the input when the target logit starts with R = logits[0, target] (one-hot
               seed times the logit: LRP's head convention). EpsilonGammaBox uses low = -1,
               high = 1 (the input's range); defaults epsilon 1e-6, stabilizer 1e-6, gamma 0.25,
               alpha 2 beta 1. One change to Zennit: its merged BatchNorms are made exact
               identities (exact_merge_batch_norm: eps = 0 after the merge; Zennit 0.5.1 leaves
               x / sqrt(1 + eps)), so that the references test the rules, not that residue.
  deeplift     Captum 0.7.0 DeepLift (rescale rule) of the target logit against the all-zero
               baseline (only where Captum handles every non-linearity and conserves, see
               "captum"). Captum's max-pool rule does not run where a max-pool takes a ReLU
               module's output (its tensor hooks fire in registration order: the ReLU records the
               max-pool's plain gradient first), so this is DeepLIFT with plain-gradient max-pools
               (measured: equal to deeplift_float64(..., "gradient") to 3e-16)
  lrp.cp_epsilon
               convnext_tiny only: conservative LRP (Ali et al. 2022) with LRP-epsilon (1e-6) on
               every linear map and LayerNorm's sigma detached, as gradient x input of a float64
               re-implementation of ConvNeXt's forward (cp_lrp_epsilon: no Zennit, no attrib)
  deeplift.cross_max
               DeepLIFT Rescale with the cross-max max-pool rule, re-implemented here in float64
               without Captum (deeplift_float64: custom autograd functions for ReLU and max-pools on
               the batch [x; 0]), where Captum handles every non-linearity ("captum" families)

and __metadata__: target, input_shape, family, config, regenerate. fmnist_mobile.safetensors holds
the same kind of references for the shipped models/fmnist_mobile.onnx (trained weights from
models/fmnist_mobile.safetensors): images, logits, input_grad (true class) of the first test
image of each class, and input/logits/input_grad of one image at another size; and for images[0]
(its true class) a reference for every rule family, rules/<key> (mobile_rule_references):
rules/lrp.<preset> as above (EpsilonGammaBox low 0, high 1: the pixel range; ExcitationBackprop
with Pass on activations, see preset_composites), rules/lrp.z,
lrp.epsilon, lrp.w2, lrp.flat (one Zennit rule on every convolution and dense layer), all with the
model rewired for Zennit the way attrib defines LRP there (residual sums as zennit.layer.Sum, SE
products signal-take-all); rules/deeplift.rescale (deeplift_float64 with the product rule at the
SE gates); rules/guided_backprop, deconvnet, rectgrad (float64 torch, guided_family).

manifest.json: per family the configuration, input shape and name, target, logits (float64), the
op_type counts of both ONNX files, their sizes, and which references exist (or why not).
"""

import argparse
import copy
import importlib
import io
import json
import os
import sys
from collections import Counter, OrderedDict

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixtures import read_safetensors, write_safetensors  # noqa: E402
from make_onnx_fixtures import randomise  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "onnx", "data", "zoo")
OPSET = 13
CLASSES = 10
REGENERATE = "/usr/bin/python3 tools/make_zoo_fixtures.py --zennit <zennit-0.5.1>/src --captum <captum-0.7.0>"


# ----------------------------------------------------------------------------------- families
def resnet18():
    """torchvision resnet18 (BasicBlock, layers [2, 2, 2, 2]) with widths 8-16-32-64 instead of
    64-128-256-512: conv1 / bn1 / layers / fc replaced through ResNet._make_layer."""
    from torchvision.models import resnet
    m = resnet.resnet18(num_classes=CLASSES)
    m.inplanes = 8
    m.conv1 = nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(8)
    m.layer1 = m._make_layer(resnet.BasicBlock, 8, 2)
    m.layer2 = m._make_layer(resnet.BasicBlock, 16, 2, stride=2)
    m.layer3 = m._make_layer(resnet.BasicBlock, 32, 2, stride=2)
    m.layer4 = m._make_layer(resnet.BasicBlock, 64, 2, stride=2)
    m.fc = nn.Linear(64, CLASSES)
    return m


def vgg11_bn():
    """torchvision VGG with make_layers(cfg 'A' / 8, batch_norm=True): 8 conv-BN-ReLU, 5 max-pools;
    at 64x64 the features end at 2x2, so avgpool is AdaptiveAvgPool2d((2, 2)) (an identity
    pooling, as (7, 7) is at 224x224); classifier Linear-ReLU-Dropout x2 with 64 hidden units."""
    from torchvision.models import vgg
    cfg = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64, "M"]
    m = vgg.VGG(vgg.make_layers(cfg, batch_norm=True), num_classes=CLASSES, init_weights=False)
    m.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    m.classifier = nn.Sequential(nn.Linear(64 * 2 * 2, 64), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(64, 64), nn.ReLU(True), nn.Dropout(), nn.Linear(64, CLASSES))
    return m


def alexnet():
    """torchvision AlexNet with features / classifier rebuilt at 1/8 width (64-192-384-256-256 ->
    8-24-48-32-32, 4096 -> 64); at 96x96 the features end at 2x2 and avgpool is
    AdaptiveAvgPool2d((2, 2)) (identity, as (6, 6) is at 224x224)."""
    tv = importlib.import_module("torchvision.models.alexnet")  # the module, not the function
    m = tv.AlexNet(num_classes=CLASSES)
    m.features = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(8, 24, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(24, 48, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(48, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2))
    m.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    m.classifier = nn.Sequential(nn.Dropout(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(inplace=True), nn.Dropout(),
                                 nn.Linear(64, 64), nn.ReLU(inplace=True), nn.Linear(64, CLASSES))
    return m


def squeezenet1_1():
    """torchvision SqueezeNet 1.1 with its features rebuilt from torchvision's Fire at 1/8 width
    (8 Fire modules, ceil-mode max-pools), classifier Dropout-Conv1x1-ReLU-AdaptiveAvgPool."""
    from torchvision.models import squeezenet as tv
    m = tv.SqueezeNet(version="1_1", num_classes=CLASSES)
    m.features = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, stride=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        tv.Fire(8, 2, 8, 8), tv.Fire(16, 2, 8, 8),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        tv.Fire(16, 4, 16, 16), tv.Fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        tv.Fire(32, 6, 24, 24), tv.Fire(48, 6, 24, 24), tv.Fire(48, 8, 32, 32), tv.Fire(64, 8, 32, 32))
    m.classifier[1] = nn.Conv2d(64, CLASSES, kernel_size=1)
    return m


def mobilenet_v2():
    """torchvision MobileNetV2(width_mult=0.25) with the full inverted-residual setting at depth
    1-2-2-2-2-2-1 (instead of 1-2-3-4-3-3-1); last_channel stays 1280 (ReLU6 = Clip)."""
    from torchvision.models import mobilenetv2 as tv
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 2, 1], [6, 160, 2, 2],
               [6, 320, 1, 1]]
    return tv.MobileNetV2(num_classes=CLASSES, width_mult=0.25, inverted_residual_setting=setting)


def mobilenet_v3_small():
    """torchvision MobileNetV3 with _mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.25):
    all 11 blocks, hard-swish, SE with hard-sigmoid gates; last_channel 256."""
    from torchvision.models import mobilenetv3 as tv
    setting, last_channel = tv._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return tv.MobileNetV3(setting, last_channel, num_classes=CLASSES)


def densenet121():
    """torchvision DenseNet(growth_rate=4, block_config=(3, 6, 12, 8), num_init_features=8,
    bn_size=2): densenet121's four dense blocks at half depth (concat of up to 13 tensors)."""
    from torchvision.models import densenet as tv
    return tv.DenseNet(growth_rate=4, block_config=(3, 6, 12, 8), num_init_features=8, bn_size=2,
                       num_classes=CLASSES)


def googlenet():
    """torchvision GoogLeNet(aux_logits=False, transform_input=False) with every BasicConv2d and
    Inception rebuilt from torchvision's classes at 1/8 width (all 9 four-branch Inceptions)."""
    tv = importlib.import_module("torchvision.models.googlenet")  # the module, not the function
    m = tv.GoogLeNet(num_classes=CLASSES, aux_logits=False, transform_input=False, init_weights=False)
    conv, inc = tv.BasicConv2d, tv.Inception
    m.conv1 = conv(3, 8, kernel_size=7, stride=2, padding=3)
    m.conv2 = conv(8, 8, kernel_size=1)
    m.conv3 = conv(8, 24, kernel_size=3, padding=1)
    widths = [("inception3a", 24, 8, 12, 16, 2, 4, 4), ("inception3b", 32, 16, 16, 24, 4, 12, 8),
              ("inception4a", 60, 24, 12, 26, 2, 6, 8), ("inception4b", 64, 20, 14, 28, 3, 8, 8),
              ("inception4c", 64, 16, 16, 32, 3, 8, 8), ("inception4d", 64, 14, 18, 36, 4, 8, 8),
              ("inception4e", 66, 32, 20, 40, 4, 16, 16), ("inception5a", 104, 32, 20, 40, 4, 16, 16),
              ("inception5b", 104, 48, 24, 48, 6, 16, 16)]
    for name, *w in widths:
        setattr(m, name, inc(*w))
    m.fc = nn.Linear(128, CLASSES)
    return m


def shufflenet_v2_x1_0():
    """torchvision ShuffleNetV2(stages_repeats=[2, 3, 2], stages_out_channels=[8, 16, 32, 64,
    128]): channel shuffle (view-transpose-view), chunk, branch concat, mean over H, W."""
    from torchvision.models import shufflenetv2 as tv
    return tv.ShuffleNetV2([2, 3, 2], [8, 16, 32, 64, 128], num_classes=CLASSES)


def efficientnet_b0():
    """torchvision EfficientNet with _efficientnet_conf('efficientnet_b0', width_mult=0.25,
    depth_mult=0.5): MBConv with SiLU, SE with Sigmoid gates, stochastic depth (identity in eval)."""
    from torchvision.models import efficientnet as tv
    setting, last_channel = tv._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.5)
    return tv.EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.2, num_classes=CLASSES,
                           last_channel=last_channel)


def regnet_y_400mf():
    """torchvision RegNet(BlockParams.from_init_params(depth=6, w_0=8, w_a=6.0, w_m=2.0,
    group_width=8, se_ratio=0.25), stem_width=8): Y-type blocks (grouped conv, SE with Sigmoid gate,
    residual), 4 stages, instead of regnet_y_400mf's depth 16, w_0 48."""
    from torchvision.models import regnet as tv
    params = tv.BlockParams.from_init_params(depth=6, w_0=8, w_a=6.0, w_m=2.0, group_width=8, se_ratio=0.25)
    return tv.RegNet(params, num_classes=CLASSES, stem_width=8)


class GenomicsConv1d(nn.Module):
    """A genomics-style sequence model on one-hot DNA [N, 4, L]: Conv1d-BN-ReLU-MaxPool1d,
    Conv1d-ReLU, global average pool, Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(4, 16, kernel_size=9, padding=4), nn.BatchNorm1d(16), nn.ReLU(),
            nn.MaxPool1d(4),
            nn.Conv1d(16, 24, kernel_size=5, padding=2), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(24, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def conv1d():
    return GenomicsConv1d()


def convnext_tiny():
    """torchvision ConvNeXt with block_setting CNBlockConfig widths 8-16-32-64 and depths 1-1-2-1
    (convnext_tiny: 96-192-384-768, 3-3-9-3), stochastic_depth_prob 0.1 (identity in eval), at
    32x32: patchify stem Conv 4x4/4 + LayerNorm2d, CNBlocks (depthwise Conv 7x7, permute to
    channels-last, LayerNorm, Linear 4x, GELU, Linear, permute back, layer scale, residual),
    LayerNorm2d + Conv 2x2/2 downsampling, classifier LayerNorm2d-Flatten-Linear. Layer scales
    are random (randomise) instead of 1e-6."""
    from torchvision.models import convnext as tv
    cfg = [tv.CNBlockConfig(8, 16, 1), tv.CNBlockConfig(16, 32, 1), tv.CNBlockConfig(32, 64, 2),
           tv.CNBlockConfig(64, None, 1)]
    return tv.ConvNeXt(cfg, stochastic_depth_prob=0.1, num_classes=CLASSES)


# ------------------------------------------------------------------------ reference coverage
def zennit_canonizers(name, model):
    """Zennit's own canonizers for the families it supports (a list factory), else the reason."""
    from zennit.canonizers import NamedMergeBatchNorm, SequentialMergeBatchNorm
    from zennit.torchvision import ResNetCanonizer, VGGCanonizer
    if name == "resnet18":
        return lambda: [ResNetCanonizer()]
    if name == "vgg11_bn":
        return lambda: [VGGCanonizer()]
    if name in ("alexnet", "squeezenet1_1", "conv1d"):
        return lambda: [SequentialMergeBatchNorm()]
    if name == "googlenet":
        from torchvision.models.googlenet import BasicConv2d
        pairs = [([n + ".conv"], n + ".bn") for n, mod in model.named_modules() if isinstance(mod, BasicConv2d)]
        return lambda: [NamedMergeBatchNorm(pairs)]
    return {
        "mobilenet_v2": "residual additions are Python '+' (no Zennit Sum module; Zennit 0.5.1 has no "
                        "MobileNet canonizer), so relevance is not split between the branches",
        "mobilenet_v3_small": "SE gates multiply two activations and residual additions are Python "
                              "operators; Zennit 0.5.1 has no canonizer for them",
        "densenet121": "pre-activation BatchNorm (BN-ReLU-Conv after each concat) cannot be merged into "
                       "a preceding linear layer; Zennit 0.5.1 has no DenseNet canonizer",
        "shufflenet_v2_x1_0": "the global pool is x.mean([2, 3]) (a tensor method, no module for Zennit's "
                              "Norm rule), so relevance would pass it as the gradient (1/HW to every "
                              "position), not by contribution; Zennit 0.5.1 has no ShuffleNet canonizer",
        "efficientnet_b0": "SE gates (x * sigmoid(.)) and residual additions are Python operators; no "
                           "canonizer in Zennit 0.5.1",
        "regnet_y_400mf": "SE gates and residual additions are Python operators; no canonizer in Zennit 0.5.1",
        "convnext_tiny": "LayerNorm, GELU, layer scale and residual additions have no Zennit 0.5.1 rules or "
                         "canonizer (its LRP there is not conservative); the CP-LRP reference is "
                         "lrp.cp_epsilon (cp_lrp_epsilon below)",
    }[name]


CAPTUM_OK = ("alexnet", "vgg11_bn", "squeezenet1_1", "shufflenet_v2_x1_0", "conv1d")
CAPTUM_WHY_NOT = {
    "resnet18": "BasicBlock applies one ReLU module twice; Captum's hooks keep one input/output per "
                "module, so the second application uses the wrong multipliers",
    "mobilenet_v2": "ReLU6 is not among Captum's supported non-linearities (plain gradient instead of "
                    "the rescale rule)",
    "mobilenet_v3_small": "Hardswish / Hardsigmoid and the SE products are not handled by Captum's DeepLift",
    "densenet121": "the final ReLU is F.relu (a function, not a module), which Captum cannot hook",
    "googlenet": "BasicConv2d uses F.relu (a function, not a module), which Captum cannot hook",
    "efficientnet_b0": "SiLU and the SE products (x * sigmoid(.)) are not handled by Captum's DeepLift",
    "regnet_y_400mf": "the SE products (x * sigmoid(.)) are not handled by Captum's DeepLift",
    "convnext_tiny": "LayerNorm and GELU are not among Captum's supported non-linearities (plain gradient), "
                     "and the residual additions are Python '+'",
}

# name -> (builder, input shape)
FAMILIES = OrderedDict([
    ("resnet18", (resnet18, (1, 3, 64, 64))),
    ("vgg11_bn", (vgg11_bn, (1, 3, 64, 64))),
    ("alexnet", (alexnet, (1, 3, 96, 96))),
    ("squeezenet1_1", (squeezenet1_1, (1, 3, 64, 64))),
    ("mobilenet_v2", (mobilenet_v2, (1, 3, 64, 64))),
    ("mobilenet_v3_small", (mobilenet_v3_small, (1, 3, 64, 64))),
    ("densenet121", (densenet121, (1, 3, 64, 64))),
    ("googlenet", (googlenet, (1, 3, 64, 64))),
    ("shufflenet_v2_x1_0", (shufflenet_v2_x1_0, (1, 3, 64, 64))),
    ("efficientnet_b0", (efficientnet_b0, (1, 3, 64, 64))),
    ("regnet_y_400mf", (regnet_y_400mf, (1, 3, 64, 64))),
    ("conv1d", (conv1d, (1, 4, 128))),
    ("convnext_tiny", (convnext_tiny, (1, 3, 32, 32))),
])


# ------------------------------------------------------------------------------------ helpers
def export(model, x, preserve):
    f = io.BytesIO()
    if preserve:
        torch.onnx.export(model.eval(), x, f, opset_version=OPSET, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    else:
        torch.onnx.export(model.eval(), x, f, opset_version=OPSET)
    return f.getvalue()


def describe(blob):
    """op_type counts, input and output names and byte size of a serialised ONNX model."""
    import onnx
    g = onnx.load_from_string(blob).graph
    inits = {i.name for i in g.initializer}
    return {
        "bytes": len(blob),
        "input": [i.name for i in g.input if i.name not in inits],
        "output": [o.name for o in g.output],
        "op_types": dict(sorted(Counter(n.op_type for n in g.node).items())),
    }


def no_inplace(model):
    """Out-of-place activations (same values): Zennit's and Captum's hooks need the inputs intact."""
    for mod in model.modules():
        if hasattr(mod, "inplace"):
            mod.inplace = False
    return model


def reference_model(model):
    return no_inplace(copy.deepcopy(model)).double().eval()


def exact_merge_batch_norm():
    """Zennit 0.5.1's MergeBatchNorm leaves the merged BatchNorm computing x / sqrt(1 + eps)
    (running_var = 1, but eps kept), a 5e-6 relative scaling after every merged BatchNorm that
    moves its LRP results by up to 2e-4 relative on resnet18 / vgg11_bn. Setting eps = 0 after
    the merge makes the canonized model compute exactly the original function, as attrib's
    canonize() does; the rules are Zennit's, unchanged. Returns the undo function."""
    from zennit.canonizers import MergeBatchNorm
    original = MergeBatchNorm.merge_batch_norm

    def merge(modules, batch_norm):
        original(modules, batch_norm)
        batch_norm.eps = 0.0

    MergeBatchNorm.merge_batch_norm = staticmethod(merge)
    return lambda: setattr(MergeBatchNorm, "merge_batch_norm", staticmethod(original))


def preset_composites(canonizers, low=-1.0, high=1.0, excitation_pass=False):
    """Zennit's six composites (the lrp.* keys) with the family's canonizers. Zennit 0.5.1's
    ExcitationBackprop has no Pass rule for activations (the other five get it from
    layer_map_base): a ReLU's gradient does not change its z+ result (a dead unit has no
    relevance), but hard-swish's does. excitation_pass adds (Activation, Pass()) to it, the
    semantics of attrib's preset (every activation passes relevance, docs/rules.md)."""
    from zennit.composites import (EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox, EpsilonPlus,
                                   EpsilonPlusFlat, ExcitationBackprop)
    from zennit.rules import Pass
    from zennit.types import Activation
    excitation_map = [(Activation, Pass())] if excitation_pass else None
    return {
        "lrp.epsilon_plus": lambda: EpsilonPlus(canonizers=canonizers()),
        "lrp.epsilon_plus_flat": lambda: EpsilonPlusFlat(canonizers=canonizers()),
        "lrp.epsilon_alpha2_beta1": lambda: EpsilonAlpha2Beta1(canonizers=canonizers()),
        "lrp.epsilon_alpha2_beta1_flat": lambda: EpsilonAlpha2Beta1Flat(canonizers=canonizers()),
        "lrp.epsilon_gamma_box": lambda: EpsilonGammaBox(low=low, high=high, canonizers=canonizers()),
        "lrp.excitation_backprop": lambda: ExcitationBackprop(layer_map=excitation_map, canonizers=canonizers()),
    }


def lrp(model, x, target, seed_value, composites):
    from zennit.attribution import Gradient
    out = {}
    # Zennit's canonizer removal restores the BatchNorm parameters but not eps: restore it here.
    bn_eps = [(m, m.eps) for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    undo = exact_merge_batch_norm()
    try:
        for key, make in composites.items():
            seed = torch.zeros(1, CLASSES if x.dim() == 4 else 3, dtype=torch.float64)
            seed[0, target] = seed_value
            with Gradient(model=model, composite=make()) as attributor:
                _, rel = attributor(x.clone(), seed)
            out[key] = rel.detach()
            for m, eps in bn_eps:
                m.eps = eps
    finally:
        undo()
    return out


def deeplift(model, x, target):
    from captum.attr import DeepLift
    dl = DeepLift(model)
    attr, delta = dl.attribute(x.clone().requires_grad_(True), baselines=torch.zeros_like(x), target=target,
                               return_convergence_delta=True)
    return attr.detach(), float(delta.abs().max())


# ------------------------------------- conservative LRP (CP-LRP) for ConvNeXt, detach-based
class _EpsilonScale(torch.autograd.Function):
    """Identity forward; backward g * z / stab(z), stab(z) = z + eps sign(z), sign(0) = +1: placed
    at the output z of a linear map, the gradient-times-input of the network is LRP-epsilon
    (R_i = x_i sum_j w_ji R_j / stab(z_j) with R_j = z_j g_j)."""

    @staticmethod
    def forward(ctx, z, eps):
        ctx.save_for_backward(z)
        ctx.eps = eps
        return z.clone()

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * z / (z + ctx.eps * torch.where(z >= 0, 1.0, -1.0).to(z.dtype)), None


def cp_lrp_epsilon(model, x, target, eps=1e-6):
    """CP-LRP (Ali et al. 2022) with LRP-epsilon on every linear map of torchvision's ConvNeXt,
    written without Zennit and without attrib, in float64: the relevance at the input is
    x * d logit_target / dx of a re-implementation of the forward in which
      - LayerNorm's sigma = sqrt(var + eps_ln) is detached (the mean is not): LayerNorm is the
        linear map gamma (x - mean) / sigma + beta, and LRP-epsilon treats it as one;
      - every linear map's output z (Conv2d, Linear, LayerNorm, layer scale, the average pool and
        the residual sum) passes _EpsilonScale (the epsilon rule; at the residual sum it splits
        R in proportion to the two inputs);
      - GELU is z * (gelu(z) / z).detach(): relevance passes it unchanged;
      - permutes and flatten move values.
    Seed: d logit_target = 1, so the output relevance is the logit (LRP's head convention)."""
    from torchvision.models.convnext import CNBlock, LayerNorm2d
    E = lambda z: _EpsilonScale.apply(z, eps)  # noqa: E731

    def layer_norm(mod, t):  # over the last axis
        mu = t.mean(-1, keepdim=True)
        sigma = (t - mu).pow(2).mean(-1, keepdim=True).add(mod.eps).sqrt().detach()
        return E((t - mu) / sigma * mod.weight + mod.bias)

    def layer_norm2d(mod, t):
        return layer_norm(mod, t.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def block(b, t):
        dw, _, norm, fc1, act, fc2, _ = b.block
        h = layer_norm(norm, E(dw(t)).permute(0, 2, 3, 1))
        h = E(fc1(h))
        h = h * (act(h) / h).detach()
        h = E(fc2(h)).permute(0, 3, 1, 2)
        return E(E(b.layer_scale * h) + t)

    h = x
    for stage in model.features:
        for m in stage:
            if isinstance(m, CNBlock):
                h = block(m, h)
            elif isinstance(m, LayerNorm2d):
                h = layer_norm2d(m, h)
            elif isinstance(m, nn.Conv2d):
                h = E(m(h))
            else:
                raise TypeError(type(m))
    norm, flatten, linear = model.classifier
    return E(linear(flatten(layer_norm2d(norm, E(model.avgpool(h))))))


def extra_references(name, m64, x, target, logits):
    """References beyond the common ones (name -> tensors, manifest info)."""
    if name != "convnext_tiny":
        return {}, {}
    x64 = x.double().requires_grad_(True)
    out = cp_lrp_epsilon(m64, x64, target)
    forward_gap = float((out - logits).abs().max() / logits.abs().max())
    if forward_gap > 1e-12:
        raise RuntimeError("convnext_tiny: the CP-LRP forward differs from the model by %.1e" % forward_gap)
    out[0, target].backward()
    rel = (x64 * x64.grad).detach()
    return {"lrp.cp_epsilon": rel}, {"cp_lrp": {
        "lrp.cp_epsilon": {"sum": float(rel.sum()), "logit": float(logits[0, target]), "epsilon": 1e-6,
                           "forward_gap": float("%.1e" % forward_gap),
                           "how": "detach-based float64 PyTorch, no Zennit (cp_lrp_epsilon)"}}}


# ------------------------------------------- DeepLIFT re-implemented in float64 (no Captum)
NEAR_ZERO = 1e-7  # |dx| below this: the slope is the derivative at the reference (kundajelab)


class _Elementwise(torch.autograd.Function):
    """y = f(t) elementwise, with the backward back(t, g) of the rule being re-implemented."""

    @staticmethod
    def forward(ctx, t, f, back):
        ctx.save_for_backward(t)
        ctx.back = back
        return f(t)

    @staticmethod
    def backward(ctx, g):
        t, = ctx.saved_tensors
        return ctx.back(t, g), None, None


class _ElementwiseModule(nn.Module):
    def __init__(self, f, back):
        super().__init__()
        self.f, self.back = f, back

    def forward(self, t):
        return _Elementwise.apply(t, self.f, self.back)


def relu(t):
    return t.clamp(min=0)


def relu_derivative(t):
    return (t > 0).double()


def rescale(f, derivative):
    """DeepLIFT's Rescale on the batch [x; x0]: both halves get dy/dx of the x half, or the
    derivative at the reference x0 where |dx| < NEAR_ZERO."""
    def back(t, g):
        a, a0 = t.chunk(2)
        dx = a - a0
        slope = torch.where(dx.abs() >= NEAR_ZERO, (f(a) - f(a0)) / dx, derivative(a0))
        return g * torch.cat([slope, slope])
    return back


def hardswish(t):
    return t * (t + 3).clamp(0, 6) / 6


def hardswish_derivative(t):  # PyTorch's values at the kinks
    return torch.where(t < -3, torch.zeros_like(t), torch.where(t <= 3, t / 3 + 0.5, torch.ones_like(t)))


def hardsigmoid(t):
    return (t + 3).clamp(0, 6) / 6


def hardsigmoid_derivative(t):  # 1/6 exactly (torch 1.13's backward uses the float 1.0f / 6.0f)
    return ((t > -3) & (t < 3)).double() / 6


# activation module -> (f, f') in float64
ACTIVATIONS = {nn.ReLU: (relu, relu_derivative), nn.Hardswish: (hardswish, hardswish_derivative),
               nn.Hardsigmoid: (hardsigmoid, hardsigmoid_derivative)}


class _MaxPoolRule(torch.autograd.Function):
    """Max pooling on the batch [x; x0]. backward, with g = the multipliers of the x half:
    cross_max: (ym - y0) g to argmax(x) and (y - ym) g to argmax(x0), ym = max(y, y0), divided by dx
               (accumulated where windows overlap; the plain gradient where |dx| < NEAR_ZERO)
    gradient:  g to argmax(x) (the ordinary gradient of the x half)."""

    @staticmethod
    def forward(ctx, t, pool, rule):
        y, idx = pool(t)
        ctx.save_for_backward(t, y, idx)
        ctx.rule = rule
        return y

    @staticmethod
    def backward(ctx, g):
        t, y, idx = ctx.saved_tensors
        a, a0 = t.chunk(2)
        (y1, y0), (ia, ib), g1 = y.chunk(2), idx.chunk(2), g.chunk(2)[0]

        def scatter(index, v):
            out = torch.zeros_like(a).flatten(2)
            return out.scatter_add_(2, index.flatten(2), v.flatten(2)).view_as(a)

        plain = scatter(ia, g1)
        if ctx.rule == "gradient":
            m = plain
        else:
            ym = torch.max(y1, y0)
            num = scatter(ia, (ym - y0) * g1) + scatter(ib, (y1 - ym) * g1)
            dx = a - a0
            m = torch.where(dx.abs() >= NEAR_ZERO, num / dx.where(dx != 0, torch.ones_like(dx)), plain)
        return torch.cat([m, m]), None, None


class _MaxPoolModule(nn.Module):
    def __init__(self, m, rule):
        super().__init__()
        f = torch.nn.functional.max_pool1d if isinstance(m, nn.MaxPool1d) else torch.nn.functional.max_pool2d
        self.pool = lambda t: f(t, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, True)
        self.rule = rule

    def forward(self, t):
        return _MaxPoolRule.apply(t, self.pool, self.rule)


def replace_modules(model, make):
    """Replaces every child module c of model for which make(c) is not None by make(c)."""
    for parent in list(model.modules()):
        for k, child in parent.named_children():
            new = make(child)
            if new is not None:
                setattr(parent, k, new)
    return model


def deeplift_float64(model, x, target, maxpool, patch=None):
    """DeepLIFT Rescale against the all-zero baseline, written out without Captum: every nn.ReLU
    (and nn.Hardswish / nn.Hardsigmoid, computed exactly in float64) gets the Rescale rule, every
    nn.MaxPool1d/2d the rule above, patch(model) (if given) puts the product rule where two
    activations are multiplied, every other op keeps its gradient (the multiplier of a linear
    op), and the model runs once on [x; 0]. Returns the contributions m (.) (x - 0) and the
    summation-to-delta gap relative to |f(x) - f(0)|."""
    m = reference_model(model)

    def make(child):
        if type(child) in ACTIVATIONS:
            f, derivative = ACTIVATIONS[type(child)]
            return _ElementwiseModule(f, rescale(f, derivative))
        if isinstance(child, (nn.MaxPool1d, nn.MaxPool2d)):
            return _MaxPoolModule(child, maxpool)
        return None

    replace_modules(m, make)
    if patch is not None:
        patch(m)
    both = torch.cat([x, torch.zeros_like(x)]).requires_grad_(True)
    out = m(both)
    out[:, target].sum().backward()
    contrib = (both.grad[:1] * x).detach()
    delta = float(out[0, target] - out[1, target])
    return contrib, abs(float(contrib.sum()) - delta) / max(abs(delta), 1e-12)


def family(name, build, shape):
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    torch.manual_seed(0)
    model = randomise(build(), gen)
    x = (2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1).float()
    files = {name + ".onnx": export(model, x, False), name + "_preserve.onnx": export(model, x, True)}

    m64 = reference_model(model)
    x64 = x.double().requires_grad_(True)
    logits = m64(x64)
    target = int(logits.abs().argmax())  # the most decisive logit, so that seeds are not ~0
    logits[0, target].backward()
    tensors = {"input": x, "logits": logits.detach(), "input_grad": x64.grad}
    with torch.no_grad():
        err = float((model(x).double() - logits).abs().max() / logits.abs().max())
    info = {
        "config": " ".join(build.__doc__.split()) if build.__doc__ else GenomicsConv1d.__doc__,
        "input_shape": list(shape), "target": target, "logits": [float(v) for v in logits[0]],
        "torch_float32_error": float("%.3e" % err),
        "files": {n: describe(b) for n, b in files.items()},
    }

    extra, extra_info = extra_references(name, m64, x, target, logits.detach())
    tensors.update(extra)
    info.update(extra_info)

    canonizers = zennit_canonizers(name, m64)
    if callable(canonizers):
        rel = lrp(m64, x.double(), target, float(logits[0, target]), preset_composites(canonizers))
        tensors.update(rel)
        info["zennit"] = {k: {"sum": float(v.sum())} for k, v in rel.items()}
    else:
        info["zennit"] = "not computed: " + canonizers

    try:
        attr, delta = deeplift(reference_model(model), x.double(), target)
        delta_rel = delta / max(abs(float(logits[0, target])), 1e-12)
    except RuntimeError as e:
        if name in CAPTUM_OK:
            raise
        attr, delta_rel = None, str(e).split(".")[0]
    if name in CAPTUM_OK:
        # Captum's hooks lose its max-pool rule where a max-pool takes a hooked ReLU's output: both
        # register a hook on that tensor, the ReLU's (registered first, in its forward) records the
        # max-pool's plain gradient before the max-pool's hook replaces it. So Captum computes
        # DeepLIFT with plain-gradient max-pools there; the cross-max reference is re-implemented.
        cross, gap = deeplift_float64(model, x.double(), target, "cross_max")
        if gap > 1e-10:
            raise RuntimeError("%s: float64 cross-max DeepLIFT misses summation-to-delta by %.1e" % (name, gap))
        tensors["deeplift.cross_max"] = cross
        plain, _ = deeplift_float64(model, x.double(), target, "gradient")
        vs_plain = float((attr - plain).abs().max() / plain.abs().max())
        info["deeplift_float64"] = {"cross_max": {"summation_gap": float("%.1e" % gap), "baseline": "zeros"},
                                    "captum_vs_plain_gradient_max_pools": float("%.1e" % vs_plain)}
        why = ("every max-pool takes a ReLU module's output, so Captum's max-pool rule is lost (hook order) and "
               "Captum equals DeepLIFT with plain-gradient max-pools to %.0e" % vs_plain if vs_plain < 1e-12 else
               "Captum differs from DeepLIFT with plain-gradient max-pools by %.1e: its max-pool rule is lost where a "
               "max-pool takes a ReLU module's output (hook order) and applied elsewhere, where max_unpool "
               "overwrites instead of adding in overlapping windows (Captum issue #1276)" % vs_plain)
        if delta_rel > 1e-8:
            info["captum"] = "not stored: Captum runs but misses summation-to-delta by %.1e of the logit; %s" % (
                delta_rel, why)
        else:
            tensors["deeplift"] = attr
            info["captum"] = {"deeplift": {"convergence_delta": float("%.3e" % delta), "baseline": "zeros",
                                           "rule": why}}
    else:
        info["captum"] = "not stored: %s (%s)" % (CAPTUM_WHY_NOT[name], (
            "Captum raises: %s" % delta_rel if attr is None else
            "Captum runs, summation-to-delta gap %.1e of the logit" % delta_rel))
    meta = {"family": name, "target": str(target), "input_shape": json.dumps(list(shape)),
            "regenerate": REGENERATE}
    info["references"] = sorted(tensors)
    return files, tensors, meta, info


# -------------------------------- fmnist_mobile: references for every rule family (issue #14)
RECTGRAD_Q = 98  # attrib's RectGrad default percentile


class _Product(torch.autograd.Function):
    """a * b (b broadcast over a) with the rule's backward back(a, b, g) -> (da, db)."""

    @staticmethod
    def forward(ctx, a, b, back):
        ctx.save_for_backward(a, b)
        ctx.back = back
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da, db = ctx.back(a, b, g)
        return da, db, None


def signal_take_all(a, b, g):
    """LRP at a product of a signal a and a gate b: all relevance to a, none to b."""
    return g, torch.zeros_like(b)


def product_rule(a, b, g):
    """DeepLIFT on the batch [x; x0]: m_a = m (b + b0) / 2, m_b = m (a + a0) / 2 (summed over
    b's broadcast axes), the Shapley split of the product (sums exactly to the product's delta)."""
    (a1, a0), (b1, b0), g1 = a.chunk(2), b.chunk(2), g.chunk(2)[0]
    ma = g1 * (b1 + b0) / 2
    mb = (g1 * (a1 + a0) / 2).sum_to_size(b1.shape)
    return torch.cat([ma, ma]), torch.cat([mb, mb])


def mobile_structure(model, product=torch.mul, add=None):
    """Rewires FmnistMobile's two-input ops: every SE gate product x * gate as product(x, gate),
    every residual sum as add(block, x, body(x)) (default: plain x + body(x))."""
    from train_fashion_mnist import InvertedResidual, SqueezeExcite
    for mod in list(model.modules()):
        if isinstance(mod, SqueezeExcite):
            mod.forward = (lambda se: lambda x: product(x, se.gate(se.fc2(se.relu(se.fc1(se.pool(x)))))))(mod)
        elif isinstance(mod, InvertedResidual) and mod.residual and add is not None:
            mod.forward = (lambda blk: lambda x: add(blk, x, blk.body(x)))(mod)
    return model


def zennit_mobile(m64):
    """The model as Zennit needs it to compute attrib's LRP semantics (docs/rules.md): residual
    sums as zennit.layer.Sum modules (Norm rule in every composite), SE products signal-take-all
    (the gate branch gets no relevance); activations are Zennit's Pass, BatchNorm is merged by
    SequentialMergeBatchNorm (every conv-BN pair is in one nn.Sequential)."""
    from zennit.layer import Sum
    m = copy.deepcopy(m64)
    mobile_structure(m, lambda x, g: _Product.apply(x, g, signal_take_all),
                     lambda blk, x, y: blk.sum(torch.stack([x, y], -1)))
    from train_fashion_mnist import InvertedResidual
    for mod in list(m.modules()):
        if isinstance(mod, InvertedResidual) and mod.residual:
            mod.sum = Sum()
    return m


def rule_composites(canonizers):
    """One LRP rule on every convolution and dense layer (attrib's LrpZ{}, LrpEpsilon{},
    LrpWSquare{}, LrpFlat{}), the rule's stabiliser in Norm at sums and average pools (for w2 and
    flat the pools spread uniformly, as Flat does; their 1/n taps make W^2 uniform too)."""
    from zennit.composites import LayerMapComposite
    from zennit.layer import Sum
    from zennit.rules import Epsilon, Flat, Norm, Pass, WSquare
    from zennit.types import Activation, AvgPool, Convolution

    def make(rule, norm, pool):
        return lambda: LayerMapComposite(
            layer_map=[(Activation, Pass()), (Sum, norm), (AvgPool, pool), (Convolution, rule),
                       (nn.Linear, rule)], canonizers=canonizers())
    return {
        "lrp.z": make(Epsilon(epsilon=0.0), Norm(stabilizer=0.0), Norm(stabilizer=0.0)),
        "lrp.epsilon": make(Epsilon(epsilon=1e-6), Norm(stabilizer=1e-6), Norm(stabilizer=1e-6)),
        "lrp.w2": make(WSquare(stabilizer=0.0, zero_params=["bias"]), Norm(stabilizer=0.0), Flat(stabilizer=0.0)),
        "lrp.flat": make(Flat(stabilizer=0.0), Norm(stabilizer=0.0), Flat(stabilizer=0.0)),
    }


def rectified_backward(mode):
    """The backward of a ReLU (z its input) for Guided BP (1[z > 0] max(0, g)), Deconvnet
    (max(0, g), no forward mask) and RectGrad (1[z > 0] 1[a g > tau] g, tau the RECTGRAD_Q-th
    percentile of a g per sample over the layer's units, TensorFlow's 'nearest' order statistic:
    index round((n - 1)(1 - q / 100)) of the scores sorted in descending order)."""
    def back(z, g):
        if mode == "guided_backprop":
            return (z > 0).double() * g.clamp(min=0)
        if mode == "deconvnet":
            return g.clamp(min=0)
        s = (z.clamp(min=0) * g).flatten(1)
        n = s.shape[1]
        k = int(round((n - 1) * (1 - RECTGRAD_Q / 100.0)))
        tau = s.sort(dim=1, descending=True).values[:, k].view(-1, *([1] * (z.dim() - 1)))
        return torch.where((z > 0) & (z.clamp(min=0) * g > tau), g, torch.zeros_like(g))
    return back


def guided_family(m64, x, target, mode):
    """Guided BP / Deconvnet / RectGrad in float64 torch: the modified backward at every nn.ReLU
    (SE units included); hard-swish and hard-sigmoid pass the exact gradient f'(z) g (docs/rules.md
    table: they are not rectifiers), products and sums their gradient. One-hot seed."""
    m = copy.deepcopy(m64)

    def make(child):
        if isinstance(child, nn.ReLU):
            return _ElementwiseModule(relu, rectified_backward(mode))
        if type(child) in ACTIVATIONS:
            f, derivative = ACTIVATIONS[type(child)]
            return _ElementwiseModule(f, lambda t, g, d=derivative: d(t) * g)
        return None

    replace_modules(m, make)
    xg = x.clone().requires_grad_(True)
    m(xg)[0, target].backward()
    return xg.grad.detach()


def mobile_rule_references(m64, x, target):
    """Every rule family's float64 reference on one image x [1, 1, H, W] for the target logit."""
    from zennit.canonizers import SequentialMergeBatchNorm
    with torch.no_grad():
        logit = float(m64(x)[0, target])
    zm = zennit_mobile(m64)
    canonizers = lambda: [SequentialMergeBatchNorm()]  # noqa: E731
    out = lrp(zm, x, target, logit, preset_composites(canonizers, low=0.0, high=1.0, excitation_pass=True))
    out.update(lrp(zm, x, target, logit, rule_composites(canonizers)))
    contrib, gap = deeplift_float64(m64, x, target, "cross_max",
                                    lambda m: mobile_structure(m, lambda a, b: _Product.apply(a, b, product_rule)))
    if gap > 1e-10:
        raise RuntimeError("fmnist_mobile: float64 DeepLIFT misses summation-to-delta by %.1e" % gap)
    out["deeplift.rescale"] = contrib
    for mode in ("guided_backprop", "deconvnet", "rectgrad"):
        out[mode] = guided_family(m64, x, target, mode)
    _, captum_delta = deeplift(reference_model(m64), x, target)
    captum = ("not stored: Captum 0.7.0's DeepLift runs but misses summation-to-delta by %.1e of the logit (%s)"
              % (captum_delta / abs(logit), CAPTUM_WHY_NOT["mobilenet_v3_small"]))
    return out, gap, captum


def fmnist_mobile():
    """References for the shipped models/fmnist_mobile.onnx from its trained float32 weights."""
    from train_fashion_mnist import DATA, FmnistMobile, load_split
    weights, _ = read_safetensors(os.path.join(ROOT, "models", "fmnist_mobile.safetensors"))
    model = FmnistMobile()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    m64 = model.double().eval()
    x_test, y_test = load_split("t10k", DATA)
    indices = [int((y_test == c).nonzero()[0]) for c in range(10)]
    images = x_test[indices].double().requires_grad_(True)
    logits = m64(images)
    logits.gather(1, y_test[indices].view(-1, 1)).sum().backward()
    # another size: the first image placed in a 36x32 canvas (H, W are symbolic in the ONNX file)
    other = torch.nn.functional.pad(x_test[indices[:1]].double(), (2, 2, 6, 2)).requires_grad_(True)
    logits_other = m64(other)
    logits_other[0, 0].backward()
    # images and other/input are float32 values (pixel / 255 in float32, zero padding): stored as F32
    tensors = {"images": images.detach().float(), "labels": y_test[indices].double(), "logits": logits.detach(),
               "input_grad": images.grad, "other/input": other.detach().float(), "other/logits": logits_other.detach(),
               "other/input_grad": other.grad}
    # every rule family on one image (the first; its true class): the rules/ keys
    explained = 0
    x = images[explained:explained + 1].detach().clone()
    assert torch.equal(images.detach().float().double(), images.detach())
    refs, gap, captum = mobile_rule_references(m64, x, int(y_test[indices[explained]]))
    tensors.update({"rules/" + k: v for k, v in refs.items()})
    meta = {"model": "models/fmnist_mobile.onnx (output probabilities = softmax of these logits)",
            "images": "first t10k test image of each class, pixel / 255",
            "input_grad": "d logits[n, labels[n]] / d images[n]",
            "other": "images[0] zero-padded (top 6, bottom 2, left 2, right 2) to 36x32; gradient of logit 0",
            "indices": json.dumps(indices), "regenerate": REGENERATE,
            "rules": "rules/<key>: references for images[%d], target labels[%d]: lrp.<preset> Zennit 0.5.1's "
                     "composites (SequentialMergeBatchNorm, exact merge, EpsilonGammaBox low 0 high 1, "
                     "ExcitationBackprop with Pass on activations as its other composites), lrp.z / "
                     "lrp.epsilon / lrp.w2 / lrp.flat one Zennit rule everywhere (rule_composites); Zennit sees "
                     "residual sums as Sum modules and SE products signal-take-all (zennit_mobile); "
                     "deeplift.rescale float64 DeepLIFT Rescale with the product rule at SE gates, zero "
                     "baseline (summation gap %.1e); guided_backprop, deconvnet, rectgrad (q %d) float64 torch "
                     "(guided_family). Captum: %s" % (explained, explained, gap, RECTGRAD_Q, captum)}
    return tensors, meta


def build(only=None):
    torch.set_num_threads(1)
    files, refs, manifest = {}, {}, OrderedDict()
    for name, (builder, shape) in FAMILIES.items():
        if only and name not in only:
            continue
        f, tensors, meta, info = family(name, builder, shape)
        files.update(f)
        refs[name] = (tensors, meta)
        manifest[name] = info
        print("%-20s target %d, onnx %6.0f + %6.0f kB, references %s" % (
            name, info["target"], len(f[name + ".onnx"]) / 1e3, len(f[name + "_preserve.onnx"]) / 1e3,
            ", ".join(info["references"])), flush=True)
    if not only or "fmnist_mobile" in only:
        refs["fmnist_mobile"] = fmnist_mobile()
    if not only:  # the manifest describes every family
        files["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    elif manifest:  # --only families: their entries replaced, the others kept
        with open(os.path.join(OUT, "manifest.json")) as f:
            merged = json.load(f, object_pairs_hook=OrderedDict)
        merged.update(manifest)
        order = [n for n in FAMILIES if n in merged] + [n for n in merged if n not in FAMILIES]
        files["manifest.json"] = (json.dumps(OrderedDict((n, merged[n]) for n in order), indent=1) + "\n").encode()
    return files, refs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zennit", required=True, help="Zennit 0.5.1's src/ directory")
    ap.add_argument("--captum", required=True, help="directory holding Captum 0.7.0's captum/ package")
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="only these families (or fmnist_mobile); their manifest.json entries are replaced, the "
                         "others kept")
    args = ap.parse_args()
    sys.path[:0] = [args.zennit, args.captum]
    import captum
    import zennit
    if getattr(captum, "__version__", "") != "0.7.0":
        print("warning: Captum %s, the fixtures were made with 0.7.0" % captum.__version__)
    print("zennit from %s" % os.path.dirname(zennit.__file__))
    files, refs = build(args.only)
    bad = []
    for n, blob in files.items():
        path = os.path.join(OUT, n)
        if args.check:
            if not os.path.exists(path) or open(path, "rb").read() != blob:
                bad.append(n)
        else:
            os.makedirs(OUT, exist_ok=True)
            with open(path, "wb") as f:
                f.write(blob)
    for name, (tensors, meta) in refs.items():
        path = os.path.join(OUT, name + ".safetensors")
        if args.check:
            old, old_meta = read_safetensors(path)
            new = {k: v.detach().numpy() if hasattr(v, "detach") else v for k, v in tensors.items()}
            if set(old) != set(new) or any(not np.array_equal(old[k], new[k]) for k in new) or old_meta != meta:
                bad.append(name + ".safetensors")
        else:
            write_safetensors(path, tensors, meta)
    if args.check:
        print("differs: " + ", ".join(bad) if bad else "tests/onnx/data/zoo is up to date")
        return 1 if bad else 0
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("tests/onnx/data/zoo: %d files, %.2f MB" % (len(os.listdir(OUT)), total / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())

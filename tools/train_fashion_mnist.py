#!/usr/bin/python3
"""Train the Fashion-MNIST models shipped in models/ and export them for attrib.

    nice -n 10 /usr/bin/python3 tools/train_fashion_mnist.py small     # fmnist_small (~10 min)
    nice -n 10 /usr/bin/python3 tools/train_fashion_mnist.py vgg       # fmnist_vgg   (~40 min)
    nice -n 5 /usr/bin/python3 tools/train_fashion_mnist.py mobile --threads 1   # fmnist_mobile
    /usr/bin/python3 tools/train_fashion_mnist.py samples              # models/fmnist_samples only

Needs Debian's python3-torch (1.13) and dataset-fashion-mnist (the IDX .gz files under
/usr/share/datasets/fashion-mnist). CPU only, two threads, fixed seeds; the numbers in
models/README.md come from one run of this script. Both models use only layers attrib has
(Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear, Dropout) and their module names are
attrib's node names, so the state_dict keys are attrib's parameter names
(include/attrib/models/fashion.hpp builds the same graphs).

Outputs per model <m>:
  models/<m>.safetensors  F32 parameters (num_batches_tracked left out); __metadata__ holds the
                          test accuracy on all 10,000 test images and on the first 1,000, the
                          training time, epochs, seed and the input convention
  models/<m>.onnx         opset 13, eval mode, BatchNorm kept as BatchNormalization nodes,
                          input "input" [N, 1, H, W], output "logits" [N, 10], dynamic batch
and models/fmnist_samples.safetensors: the first test image of every class (images [10,1,28,28]
in [0,1], labels, test-set indices) plus PyTorch reference results on them (logits of both
models, the small model's input gradient of the true class) that the C++ tests compare to.

fmnist_mobile (MobileNetV3-style: depthwise convs, SE with HardSigmoid gates, hard-swish, BN) is
exported in the deployed form: a trailing Softmax (output "probabilities") and symbolic H, W;
its float64 references come from tools/make_zoo_fixtures.py, not from the samples file.
"""

import argparse
import gzip
import os
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def read_idx(path):
    """numpy array of an IDX file (ubyte data only), plain or gzip-compressed."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\0\0" or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError("%s: %d data bytes, dims %s" % (path, data.size, dims))
    return data.reshape(dims)


def load_split(split, data_dir):
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % split))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % split))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # [N, 1, 28, 28] in [0, 1]
    return x, torch.from_numpy(labels.astype(np.int64))


def fmnist_small():
    """conv-BN-ReLU-pool twice, two dense layers; [N, 1, 28, 28] -> 10 logits."""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 16, 3, padding=1)), ("bn1", nn.BatchNorm2d(16)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 32, 3, padding=1)), ("bn2", nn.BatchNorm2d(32)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 7 * 7, 64)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(64, 10)),
    ]))


VGG_WIDTHS = (8, 16, 32, 32)
VGG_HIDDEN = 256


class FmnistVgg(nn.Module):
    """VGG-style: 4 blocks of 2 x (3x3 conv, BN, ReLU) + 2x2 max-pool, 3 dense layers;
    [N, 1, 32, 32] (28x28 zero-padded by 2) -> 10 logits. torchvision's naming: features.N,
    flatten, classifier.N."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 1
        for w in VGG_WIDTHS:
            for _ in range(2):
                layers += [nn.Conv2d(cin, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
                cin = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(cin * 2 * 2, VGG_HIDDEN), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(VGG_HIDDEN, VGG_HIDDEN), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(VGG_HIDDEN, 10))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class SqueezeExcite(nn.Module):
    """MobileNetV3's squeeze-and-excitation: global average pool, 1x1 conv, ReLU, 1x1 conv,
    HardSigmoid gate, channel-wise product with the input."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))


def conv_bn_act(cin, cout, k, stride=1, groups=1, act=nn.Hardswish):
    """Conv (no bias, 'same' padding) - BatchNorm - activation (none if act is None)."""
    layers = [("conv", nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)),
              ("bn", nn.BatchNorm2d(cout))]
    if act is not None:
        layers.append(("act", act()))
    return nn.Sequential(OrderedDict(layers))


class InvertedResidual(nn.Module):
    """MobileNetV3 block: 1x1 expansion (if wider), depthwise kxk, optional SE, linear 1x1
    projection; identity shortcut when stride 1 and cin == cout."""

    def __init__(self, cin, expanded, cout, k, stride, se, act):
        super().__init__()
        layers = []
        if expanded != cin:
            layers.append(("expand", conv_bn_act(cin, expanded, 1, act=act)))
        layers.append(("depthwise", conv_bn_act(expanded, expanded, k, stride, expanded, act)))
        if se:
            layers.append(("se", SqueezeExcite(expanded, max(8, expanded // 4))))
        layers.append(("project", conv_bn_act(expanded, cout, 1, act=None)))
        self.body = nn.Sequential(OrderedDict(layers))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


# cin, expanded, cout, kernel, stride, SE, activation (MobileNetV3-small's first blocks, narrower)
MOBILE_SETTING = [
    (16, 16, 16, 3, 2, True, nn.ReLU),
    (16, 64, 24, 3, 2, False, nn.ReLU),
    (24, 72, 24, 3, 1, False, nn.ReLU),
    (24, 96, 40, 5, 2, True, nn.Hardswish),
    (40, 120, 40, 5, 1, True, nn.Hardswish),
    (40, 120, 48, 5, 1, True, nn.Hardswish),
]


class FmnistMobile(nn.Module):
    """MobileNetV3-style: stem 3x3 conv-BN-hardswish, six inverted-residual blocks (depthwise
    convs, SE with HardSigmoid gates, ReLU / hard-swish), 1x1 head conv, global average pool,
    Linear-hardswish-Dropout-Linear; [N, 1, H, W] -> 10 logits for any H, W >= 8 (trained at 28).
    ``softmax`` (off in training) appends a Softmax for the ONNX export."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn_act(1, 16, 3)
        self.blocks = nn.Sequential(*[InvertedResidual(*s) for s in MOBILE_SETTING])
        self.head = conv_bn_act(48, 192, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Linear(192, 128), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(128, 10))
        self.softmax = False

    def forward(self, x):
        y = self.classifier(self.flatten(self.pool(self.head(self.blocks(self.stem(x))))))
        return F.softmax(y, dim=1) if self.softmax else y


def pad32(x):
    return F.pad(x, (2, 2, 2, 2))


# name -> (constructor, input transform, input size, epochs, learning rate)
MODELS = {
    "fmnist_small": (fmnist_small, lambda x: x, 28, 6, 2e-3),
    "fmnist_vgg": (FmnistVgg, pad32, 32, 4, 2e-3),
    "fmnist_mobile": (FmnistMobile, lambda x: x, 28, 5, 3e-3),
}


@torch.no_grad()
def predict(model, x, prep, batch=1000):
    model.eval()
    return torch.cat([model(prep(x[i:i + batch])).argmax(1) for i in range(0, len(x), batch)])


def train(name, data_dir, epochs=None, out_dir=None, limit=None):
    make, prep, size, default_epochs, lr = MODELS[name]
    epochs = epochs or default_epochs
    torch.manual_seed(0)
    np.random.seed(0)
    model = make()
    x_train, y_train = load_split("train", data_dir)
    x_test, y_test = load_split("t10k", data_dir)
    if limit:  # smoke tests only
        x_train, y_train = x_train[:limit], y_train[:limit]
    batch = 128
    steps = epochs * ((len(x_train) + batch - 1) // batch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(1)
    start, cpu_start = time.time(), time.process_time()
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(prep(x_train[idx])), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = (predict(model, x_test, prep) == y_test).float().mean().item()
        print("%s epoch %d/%d: loss %.4f, test accuracy %.4f, %.0f s" %
              (name, epoch + 1, epochs, total / len(x_train), acc, time.time() - t0), flush=True)
    seconds, cpu_seconds = time.time() - start, time.process_time() - cpu_start
    model.eval()
    pred = predict(model, x_test, prep)
    correct = (pred == y_test)
    acc_all, acc_1k = correct.float().mean().item(), correct[:1000].float().mean().item()
    print("%s: test accuracy %.4f (10,000 images), %.4f (first 1,000), training %.0f s (%.0f s CPU)" %
          (name, acc_all, acc_1k, seconds, cpu_seconds), flush=True)

    out_dir = out_dir or os.path.join(ROOT, "models")
    state = OrderedDict((k, v.detach().float().contiguous()) for k, v in model.state_dict().items()
                        if not k.endswith("num_batches_tracked"))
    metadata = {
        "model": name,
        "input": "[N, 1, %d, %d] float, pixel / 255 in [0, 1]%s" %
                 (size, size, "; 28x28 images zero-padded by 2 on every side" if size == 32 else ""),
        "output": "[N, 10] logits; classes " + ", ".join(CLASSES),
        "test_accuracy_10000": "%.4f" % acc_all,
        "test_correct_10000": str(int(correct.sum())),
        "test_accuracy_first_1000": "%.4f" % acc_1k,
        "test_correct_first_1000": str(int(correct[:1000].sum())),
        "epochs": str(epochs),
        "train_seconds": "%.0f" % seconds,
        "train_cpu_seconds": "%.0f" % cpu_seconds,
        "threads": str(torch.get_num_threads()),
        "seed": "0",
        "torch": torch.__version__,
        "script": "tools/train_fashion_mnist.py",
    }
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), state, metadata)
    export_onnx(model, name, size, os.path.join(out_dir, name + ".onnx"))
    return model


def export_onnx(model, name, size, path):
    model.eval()
    dummy = torch.zeros(1, 1, size, size)
    output, axes = "logits", {"input": {0: "N"}}
    if isinstance(model, FmnistMobile):  # deployed-model form: trailing Softmax, any H and W
        model.softmax, output, axes = True, "probabilities", {"input": {0: "N", 2: "H", 3: "W"}}
    axes[output] = {0: "N"}
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convolutions and
    # rename the weights); the model is in eval mode, so they are inference BatchNorms.
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"], output_names=[output],
                      dynamic_axes=axes, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    model.softmax = False


def load_model(name, out_dir):
    from fixtures import read_safetensors
    tensors, _ = read_safetensors(os.path.join(out_dir, name + ".safetensors"))
    model = MODELS[name][0]()
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError("%s: missing %s, unexpected %s" % (name, missing, unexpected))
    return model.eval()


def write_samples(data_dir, out_dir):
    """First test image of each class, with PyTorch reference outputs of both shipped models."""
    x_test, y_test = load_split("t10k", data_dir)
    indices = [int((y_test == c).nonzero()[0]) for c in range(10)]
    images, labels = x_test[indices].contiguous(), y_test[indices]
    tensors = {
        "images": images.double(),  # exact k / 255 for double users; float loads round to nearest
        "labels": labels.float(),
        "indices": torch.tensor(indices, dtype=torch.float32),
    }
    metadata = {
        "content": "first test image of each class (t10k), classes 0-9 in order; images in [0, 1]",
        "classes": ", ".join(CLASSES),
    }
    for name in ("fmnist_small", "fmnist_vgg"):  # fmnist_mobile: tools/make_zoo_fixtures.py (float64)
        if not os.path.exists(os.path.join(out_dir, name + ".safetensors")):
            print("samples: %s not trained yet, no reference outputs for it" % name)
            continue
        model, prep = load_model(name, out_dir), MODELS[name][1]
        x = prep(images).clone().requires_grad_(True)
        logits = model(x)
        logits.gather(1, labels.view(-1, 1)).sum().backward()  # d logit[label] / d input, per image
        tensors["logits." + name] = logits.detach()
        tensors["gradient." + name] = x.grad.detach()
        metadata["reference." + name] = "logits and input gradient of the true class (eval mode, float32)"
    write_safetensors(os.path.join(out_dir, "fmnist_samples.safetensors"), tensors, metadata)
    print("samples: indices", indices)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["small", "vgg", "mobile", "all", "samples"])
    p.add_argument("--data", default=DATA, help="directory with the Fashion-MNIST .gz files")
    p.add_argument("--epochs", type=int, default=None, help="override the default epoch count")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(ROOT, "models"), help="output directory")
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only (smoke test)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.what in ("small", "all"):
        train("fmnist_small", args.data, args.epochs, args.out, args.limit)
    if args.what in ("vgg", "all"):
        train("fmnist_vgg", args.data, args.epochs, args.out, args.limit)
    if args.what in ("mobile", "all"):
        train("fmnist_mobile", args.data, args.epochs, args.out, args.limit)
    if args.what != "mobile":
        write_samples(args.data, args.out)


if __name__ == "__main__":
    main()

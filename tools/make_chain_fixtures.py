#!/usr/bin/python3
"""Oracle for the "learned" matrix-chain family and the singular-value ratios of the shipped
VGG-style Fashion-MNIST model (rules-spec sections 5 and 6), written with numpy only from the
weights file — independently of attrib's C++.

    /usr/bin/python3 tools/make_chain_fixtures.py            # writes tests/data/chain_learned.safetensors
    /usr/bin/python3 tools/make_chain_fixtures.py --check    # recomputes and compares

Steps, as the notebook (convergence_simulation.ipynb, pattern_attr.ipynb) does them on VGG-16:
1. Fold every BatchNorm into the convolution before it (W'_c = W_c * gamma_c / sqrt(var_c + eps)).
2. Centre tap of each kernel in Keras orientation (c_in, c_out): conv weight[:, :, kh//2, kw//2].T;
   fc1 (input = flattened 32 x 2 x 2 map, CHW order) -> rows of the position (2//2, 2//2);
   other dense layers W.T.
3. Backward chain = reversed, transposed matrices; X_0 = 32 x 10 start rows (numpy seed 0, stored);
   X_k = X_{k-1} M_k, clipped at 0 after every product when relu is set. Metric after each step:
   rows normalised, |cosine| over the lower triangle including the diagonal, zero rows dropped, mean.
   The same for |M_k| (entry-wise absolute value: a positive chain, which must converge).
4. sigma1/sigma2 per layer matrix (forward order; +inf for a rank-1 1 x c matrix) and of the product M_2 ... M_L.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "fmnist_vgg.safetensors")
OUT = os.path.join(ROOT, "tests", "data", "chain_learned.safetensors")

CONVS = [0, 3, 7, 10, 14, 17, 21, 24]  # features.<i> convolutions; features.<i+1> is their BatchNorm
DENSE = [0, 3, 6]                      # classifier.<i>
EPS = 1e-5


def centre_taps(t):
    ms = []
    for i in CONVS:
        w = t[f"features.{i}.weight"].astype(np.float64)
        g = t[f"features.{i + 1}.weight"].astype(np.float64)
        var = t[f"features.{i + 1}.running_var"].astype(np.float64)
        w = w * (g / np.sqrt(var + EPS))[:, None, None, None]
        kh, kw = w.shape[2], w.shape[3]
        ms.append(w[:, :, kh // 2, kw // 2].T.copy())
    channels = ms[-1].shape[1]
    for k, i in enumerate(DENSE):
        w = t[f"classifier.{i}.weight"].astype(np.float64)
        if k == 0:
            side = int(round(np.sqrt(w.shape[1] // channels)))
            w4 = w.reshape(w.shape[0], channels, side, side)
            ms.append(w4[:, :, side // 2, side // 2].T.copy())
        else:
            ms.append(w.T.copy())
    return ms


def metric(x):
    n = np.linalg.norm(x, axis=1)
    keep = n > 0
    if not keep.any():
        return float("nan")  # every row clipped to zero
    x = x[keep] / n[keep][:, None]
    g = np.abs(x @ x.T)
    return float(g[np.tril_indices(g.shape[0])].mean())


def chain(x0, mats, relu):
    x = x0.copy()
    out = [metric(x)]
    for m in mats:
        x = x @ m
        if relu:
            x = np.maximum(x, 0)
        out.append(metric(x))
    return np.array(out)


def ratio(m):
    if min(m.shape) < 2:  # rank <= 1 (the 1 x 8 first layer of a grey-scale model): sigma2 = 0
        return np.inf
    s = np.linalg.svd(m, compute_uv=False)
    return s[0] / s[1]


def build():
    t, _ = read_safetensors(MODEL)
    fwd = centre_taps(t)
    back = [m.T for m in reversed(fwd)]
    x0 = np.random.default_rng(0).standard_normal((32, back[0].shape[0]))
    prod = fwd[1]
    for m in fwd[2:]:
        prod = prod @ m
    return {
        "x0": x0,
        "relu": chain(x0, back, True),
        "linear": chain(x0, back, False),
        "abs": chain(x0, [np.abs(m) for m in back], False),
        "layer_ratio": np.array([ratio(m) for m in fwd]),
        "product_ratio": np.array([ratio(prod)]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="recompute and compare with the committed file")
    a = ap.parse_args()
    data = build()
    meta = {"source": "tools/make_chain_fixtures.py", "model": "models/fmnist_vgg.safetensors"}
    if a.check:
        old, _ = read_safetensors(OUT)
        with np.errstate(invalid="ignore"):  # inf - inf and nan entries compare as equal below
            worst = max(float(np.max(np.abs(np.nan_to_num(old[k] - v, nan=0.0)))) for k, v in data.items())
        print(f"max difference {worst:.3g}")
        sys.exit(0 if worst < 1e-12 else 1)
    write_safetensors(OUT, data, meta)
    for k, v in data.items():
        if k != "x0":
            print(k, np.array2string(v, precision=4, max_line_width=200))


if __name__ == "__main__":
    main()

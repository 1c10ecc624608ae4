#!/usr/bin/env python3
"""Regenerates tests/data/ssim.safetensors: the paper's "flipped SSIM" (rules-spec section 4.2)
computed with numpy only, written from the formulas (not from attrib's C++ code).

How to run (numpy only; scipy / scikit-image are used for a cross-check if importable):

    /usr/bin/python3 tools/make_ssim_fixtures.py           # writes the file
    /usr/bin/python3 tools/make_ssim_fixtures.py --check   # regenerates in memory, compares

Formulas (When Explanations Lie, when_explanations_lie.py + skimage 0.16.2 compare_ssim):
    normalize_sanity(x, p=99.5):  hi = np.percentile(x, p), lo = np.percentile(x, 100 - p)
                                  clip((x - hi) / (lo - hi), 0, 1)
    ssim(a, b), win 5, sample covariance, K1 0.01, K2 0.03, data_range 2:
        u = uniform_filter(., 5)  (scipy.ndimage, mode 'reflect')
        ux, uy, uxx, uyy, uxy = u(a), u(b), u(a a), u(b b), u(a b);  c = 25 / 24
        vx = c (uxx - ux^2), vy = c (uyy - uy^2), vxy = c (uxy - ux uy)
        S = (2 ux uy + C1)(2 vxy + C2) / ((ux^2 + uy^2 + C1)(vx + vy + C2)),  C1 = 0.02^2, C2 = 0.06^2
        mean of S[2:-2, 2:-2]
    ssim_flipped(x, y) = max(ssim(n(x), n(y)), ssim(n(x), n(-y)))

scipy's uniform_filter(x, 5, mode='reflect') is separable: a 1-D running mean along every axis
in turn; 'reflect' extends the signal half-sample symmetrically (d c b a | a b c d | d c b a),
i.e. index -1 -> 0, -2 -> 1, n -> n - 1, n + 1 -> n - 2. Implemented below with np.pad(...,
mode='symmetric'), which is the same extension.

Stored: for each case k, maps x<k>, y<k> (H x W, float64), and the expected values
    n_x<k> = normalize_sanity(x<k>), ssim<k> = ssim(n(x), n(y)), flipped<k> = ssim_flipped(x, y),
    filter<k> = uniform_filter(x<k>, 5) (full map, borders included).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "ssim.safetensors")


def uniform_filter_reflect(x, size=5):
    r = size // 2
    out = np.asarray(x, dtype=np.float64)
    for axis in range(out.ndim):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="symmetric")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for k in range(size):
            acc += np.take(p, np.arange(k, k + n), axis=axis)
        out = acc / size
    return out


def normalize_sanity(x, p=99.5):
    hi = np.percentile(x, p)
    lo = np.percentile(x, 100 - p)
    return np.clip((x - hi) / (lo - hi), 0, 1)


def ssim(a, b, win=5, k1=0.01, k2=0.03, data_range=2.0):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    npix = win ** a.ndim
    c = npix / (npix - 1)
    f = lambda z: uniform_filter_reflect(z, win)  # noqa: E731
    ux, uy = f(a), f(b)
    uxx, uyy, uxy = f(a * a), f(b * b), f(a * b)
    vx = c * (uxx - ux * ux)
    vy = c * (uyy - uy * uy)
    vxy = c * (uxy - ux * uy)
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    pad = (win - 1) // 2
    return s[pad:-pad, pad:-pad].mean()


def ssim_flipped(x, y):
    nx = normalize_sanity(x)
    return max(ssim(nx, normalize_sanity(y)), ssim(nx, normalize_sanity(-y)))


def cases():
    rng = np.random.RandomState(8)
    out = []
    # 1: independent Gaussian maps (non-square); 2: y = -x + noise (flip wins); 3: heavy tails
    # (percentile clipping active); 4: smooth x, y = 3 x + small noise; 5: 5 x 5 (one window);
    # 6: small n where the reflection wraps more than once in the filter (3 x 7, filter only)
    x = rng.randn(12, 15)
    out.append((x, rng.randn(12, 15)))
    x = rng.randn(10, 10)
    out.append((x, -x + 0.3 * rng.randn(10, 10)))
    x = rng.standard_cauchy((16, 9))
    out.append((x, x + rng.standard_cauchy((16, 9))))
    g = np.add.outer(np.sin(np.arange(11) / 2.0), np.cos(np.arange(13) / 3.0))
    out.append((g, 3 * g + 0.05 * rng.randn(11, 13)))
    x = rng.randn(5, 5)
    out.append((x, rng.randn(5, 5)))
    return out


def build():
    t = {}
    for k, (x, y) in enumerate(cases()):
        t["x%d" % k] = x
        t["y%d" % k] = y
        t["n_x%d" % k] = normalize_sanity(x)
        t["ssim%d" % k] = np.array([ssim(normalize_sanity(x), normalize_sanity(y))])
        t["flipped%d" % k] = np.array([ssim_flipped(x, y)])
        t["filter%d" % k] = uniform_filter_reflect(x)
    small = np.random.RandomState(9).randn(3, 7)
    t["small"] = small
    t["filter_small"] = uniform_filter_reflect(small)
    return t


def cross_check(t):
    try:
        from scipy.ndimage import uniform_filter
    except ImportError:
        print("scipy not installed: cross-check of the filter skipped")
        return
    for k in [n for n in t if n.startswith("filter")]:
        src = t["small"] if k == "filter_small" else t["x" + k[len("filter"):]]
        assert np.allclose(uniform_filter(src, 5, mode="reflect"), t[k], rtol=0, atol=1e-12), k
    print("scipy uniform_filter agrees")


def main():
    t = build()
    cross_check(t)
    if "--check" in sys.argv:
        old, _ = read_safetensors(OUT)
        worst = max(float(np.max(np.abs(old[k] - t[k]))) for k in t)
        print("max |difference| to the stored file: %g" % worst)
        sys.exit(0 if worst == 0 else 1)
    write_safetensors(OUT, t, {"generator": "tools/make_ssim_fixtures.py"})
    for k in sorted(n for n in t if n.startswith("ssim") or n.startswith("flipped")):
        print(k, float(t[k][0]))


if __name__ == "__main__":
    main()

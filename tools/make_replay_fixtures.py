#!/usr/bin/env python3
"""Regenerates tests/data/replay.safetensors: Captum's sampling methods run on a small float64
network, with every random draw Captum made recorded, read by tests/methods/test_replay.cpp, which
replays the same draws through attrib's user-given-draw options and must reproduce Captum's
attributions to rounding error.

How to run (torch, numpy and the pure-Python Captum 0.7.0 sources, tag v0.7.0 of pytorch/captum):

    /usr/bin/python3 tools/make_replay_fixtures.py --captum <captum>           # writes the file
    /usr/bin/python3 tools/make_replay_fixtures.py --captum <captum> --check   # compares

The draws are recorded by wrapping the random functions Captum calls (no re-implementation of its
sampling): torch.normal (NoiseTunnel's noise), numpy.random.choice and numpy.random.uniform
(GradientShap's baselines and alphas), torch.randperm (ShapleyValueSampling's permutations).

Network "mlp": fc1 Linear(6, 10) - Tanh - fc2 Linear(10, 4), float64, seeded; input x [2, 6],
targets [1, 3]. Keys:
    fc1.weight, fc1.bias, fc2.weight, fc2.bias           parameters
    x, baseline [1, 6], background [5, 6]
    ig/nodes, ig/weights [20]    Captum's Gauss-Legendre quadrature on [0, 1] (n_steps = 20)
    ig/attr [2, 6], ig/delta [2] IntegratedGradients(method="gausslegendre", baselines=baseline)
    sg/noise [2 * 5, 6]          NoiseTunnel(Saliency(abs=False)) smoothgrad, nt_samples 5, stdevs 0.3
    sg/attr [2, 6]
    gs/index [2 * 7], gs/alpha [2 * 7], gs/attr [2, 6]   GradientShap(n_samples 7, stdevs 0), background
    sv/mask [1, 6], sv/perm [6, 4], sv/attr [2, 6]   ShapleyValueSampling(n_samples 6,
                                 feature_mask = 4 groups, baselines = baseline)
Integers (indices, mask, permutations) are stored as F64 (exact). Two of Captum's results are
float32 although the model is float64: NoiseTunnel draws its noise in float32 (torch.tensor(0.3)
as the standard deviation), and ShapleyValueSampling accumulates in a float32 tensor, so sv/attr
carries float32 rounding (the test's tolerance says so).
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_or_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "tests", "data", "replay.safetensors")
TARGETS = [1, 3]


class Recorder:
    """Wraps `owner.name` so that every value it returns is appended to `values`."""

    def __init__(self, owner, name):
        self.owner, self.name, self.values = owner, name, []
        self.original = getattr(owner, name)

    def __enter__(self):
        def wrapped(*args, **kwargs):
            out = self.original(*args, **kwargs)
            self.values.append(out)
            return out
        setattr(self.owner, self.name, wrapped)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.original)


def make(captum_attr):
    torch.manual_seed(7)
    np.random.seed(7)
    model = torch.nn.Sequential()
    model.add_module("fc1", torch.nn.Linear(6, 10))
    model.add_module("act1", torch.nn.Tanh())
    model.add_module("fc2", torch.nn.Linear(10, 4))
    model = model.double().eval()
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(2, 6, generator=gen, dtype=torch.float64) * 2 - 1
    baseline = torch.rand(1, 6, generator=gen, dtype=torch.float64) * 0.5 - 0.25
    background = torch.rand(5, 6, generator=gen, dtype=torch.float64) * 2 - 1
    t = {k: v.detach().clone() for k, v in model.state_dict().items()}
    t.update(x=x, baseline=baseline, background=background)

    from captum.attr._utils.approximation_methods import approximation_parameters
    steps, alphas = approximation_parameters("gausslegendre")
    ig = captum_attr.IntegratedGradients(model)
    attr, delta = ig.attribute(x, baselines=baseline, target=TARGETS, n_steps=20, method="gausslegendre",
                               return_convergence_delta=True)
    t["ig/nodes"] = torch.tensor(alphas(20), dtype=torch.float64)
    t["ig/weights"] = torch.tensor(steps(20), dtype=torch.float64)
    t["ig/attr"], t["ig/delta"] = attr.detach(), delta.detach()

    nt = captum_attr.NoiseTunnel(captum_attr.Saliency(model))
    with Recorder(torch, "normal") as rec:
        attr = nt.attribute(x, nt_type="smoothgrad", nt_samples=5, stdevs=0.3, target=TARGETS, abs=False)
    assert len(rec.values) == 1
    t["sg/noise"], t["sg/attr"] = rec.values[0].detach(), attr.detach()

    gs = captum_attr.GradientShap(model)
    with Recorder(np.random, "choice") as choice, Recorder(np.random, "uniform") as uniform:
        attr = gs.attribute(x, baselines=background, n_samples=7, stdevs=0.0, target=TARGETS)
    assert len(choice.values) == 1 and len(uniform.values) == 1
    t["gs/index"] = torch.tensor(np.asarray(choice.values[0]), dtype=torch.float64)
    t["gs/alpha"] = torch.tensor(np.asarray(uniform.values[0]), dtype=torch.float64)
    t["gs/attr"] = attr.detach()

    mask = torch.tensor([[0, 0, 1, 2, 2, 3]])
    sv = captum_attr.ShapleyValueSampling(model)
    with Recorder(torch, "randperm") as perm:
        attr = sv.attribute(x, baselines=baseline, target=TARGETS, n_samples=6, feature_mask=mask)
    assert len(perm.values) == 6
    t["sv/mask"], t["sv/perm"] = mask.double(), torch.stack(perm.values).double()
    t["sv/attr"] = attr.detach()
    meta = {"targets": ",".join(map(str, TARGETS)),
            "captum": captum_attr.__name__ + " " + __import__("captum").__version__,
            "regenerate": "/usr/bin/python3 tools/make_replay_fixtures.py --captum <captum-0.7.0> (torch 1.13, float64)"}
    return t, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captum", required=True, help="path of a Captum 0.7.0 source tree")
    ap.add_argument("--check", action="store_true", help="regenerate in memory and compare")
    args = ap.parse_args()
    sys.path.insert(0, args.captum)
    import captum.attr as captum_attr
    tensors, meta = make(captum_attr)
    ok, _ = write_or_check(PATH, tensors, meta, args.check)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

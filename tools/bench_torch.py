#!/usr/bin/python3
"""Single-thread PyTorch reference timings for docs/performance.md.

Measures torchvision VGG-16 and ResNet-50 (random weights, eval mode, float32, batch 1,
224x224, torch.set_num_threads(1)): forward, and forward + input-gradient backward of one
logit. Prints one line per measurement (median CPU time of N runs, seconds) so that the C++
benchmarks' numbers can be put beside them.

Run:  /usr/bin/python3 tools/bench_torch.py [--repeats 5]
Needs Debian's python3-torch and python3-torchvision (tools only; CI does not run this).
"""
import argparse
import statistics
import time

import torch
import torchvision


def median_time(fn, repeats):
    """Median CPU time of the process (comparable with Google Benchmark's cpu_time on a busy machine)."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, threads {torch.get_num_threads()}")
    for name, ctor in (("vgg16", torchvision.models.vgg16), ("resnet50", torchvision.models.resnet50)):
        model = ctor().eval()
        x = torch.randn(1, 3, 224, 224)

        def fwd():
            with torch.no_grad():
                model(x)

        def grad():
            xi = x.clone().requires_grad_(True)
            model(xi)[0, 3].backward()

        tf = median_time(fwd, args.repeats)
        tg = median_time(grad, args.repeats)
        print(f"{name} forward_s {tf:.4f} forward_and_gradient_s {tg:.4f} backward_only_s {tg - tf:.4f}")


if __name__ == "__main__":
    main()

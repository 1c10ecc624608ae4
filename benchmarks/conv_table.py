#!/usr/bin/env python3
"""Markdown table of bench_conv results: GFLOP/s of Conv2d and of the plain Eigen GEMM with the
same (M, N, K), and their ratio, per VGG-16 layer. Reads Google Benchmark's JSON output
(medians when the run had repetitions)."""
import json
import sys


def main(path):
    runs = json.load(open(path))
    res = {}
    for b in runs["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        res[b.get("run_name", b["name"])] = b
    layers = [n.split("/")[1] for n in res if n.startswith("forward/") and n.endswith("/attrib")]
    print("| layer | M | N | K | fwd ours | fwd GEMM | fwd ratio | bwd ours | bwd GEMM | bwd ratio "
          "| workspace MB | whole-image im2col ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for l in layers:
        f, fg = res[f"forward/{l}/attrib"], res[f"forward/{l}/eigen_gemm"]
        b, bg = res[f"backward/{l}/attrib"], res[f"backward/{l}/eigen_gemm"]
        im = res.get(f"im2col/{l}")
        cells = [l, int(f["M"]), int(f["N"]), int(f["K"])]
        for ours, ref in ((f, fg), (b, bg)):
            cells += [f"{ours['GFLOP/s']:.1f}", f"{ref['GFLOP/s']:.1f}", f"{100 * ours['GFLOP/s'] / ref['GFLOP/s']:.0f} %"]
        cells.append(f"{max(f.get('workspace_MB', 0), b.get('workspace_MB', 0)):.1f}")
        cells.append(f"{im['cpu_time']:.2f}" if im else "")
        print("| " + " | ".join(str(c) for c in cells) + " |")
    def total(kind, impl):  # milliseconds (the benchmarks report in ms)
        return sum(res[f"{kind}/{l}/{impl}"]["cpu_time"] for l in layers)

    print()
    print(f"All {len(layers)} layers: forward {total('forward', 'attrib'):.1f} ms (GEMM alone {total('forward', 'eigen_gemm'):.1f} ms), "
          f"backward {total('backward', 'attrib'):.1f} ms (GEMM alone {total('backward', 'eigen_gemm'):.1f} ms); "
          f"{runs['context'].get('eigen_simd', '?')}, Eigen {runs['context'].get('eigen', '?')}, "
          f"{runs['context'].get('eigen_threads', '?')} thread.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench_conv.json")

#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/, docs/reliability.md).

Small valid (and a few almost-valid) files, written from the format descriptions with the
standard library only, plus copies of the repository's own small test files; about 150 KB in
all. Seeds are starting points for libFuzzer's mutations and are replayed as CTest tests.

    python3 tools/make_fuzz_corpus.py           # rewrite the corpora
    python3 tools/make_fuzz_corpus.py --check   # exit 1 if a committed seed differs
"""

import argparse
import gzip
import json
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def npy(descr, shape, values, fortran=False, version=1):
    dims = "(%d,)" % shape[0] if len(shape) == 1 else "(%s)" % ", ".join(str(d) for d in shape)
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", dims)
    length_bytes = 2 if version == 1 else 4
    pad = -(10 + length_bytes - 2 + len(header) + 1) % 64
    header += " " * pad + "\n"
    fmt = {"<f4": "<%df", "<f8": "<%dd", ">f4": ">%df", "<i8": "<%dq"}[descr]
    data = struct.pack(fmt % len(values), *values)
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes), stored in that order."""
    header, offset, data = {}, 0, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def png(width, height, color_type, depth, rows, palette=None):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", palette)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def small_onnx_models():
    """Tiny graphs (a few hundred bytes) for the ops the importer folds or converts; built with
    Debian's python3-onnx. Without it, the committed files are kept (and --check skips them)."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return {}
    F, I = TensorProto.FLOAT, TensorProto.INT64

    def model(nodes, inputs, output, inits):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, F, d) for n, d in inputs],
                                  [helper.make_tensor_value_info(output, F, None)], inits)
        m = helper.make_model(graph, producer_name="attrib-fuzz-seed", opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 7
        return m.SerializeToString()

    def t(name, kind, dims, vals):
        return helper.make_tensor(name, kind, dims, vals)

    n = helper.make_node
    return {
        # flatten to [N, C*H*W] with C*H*W computed from Shape -> Gather -> Mul/Div/Sub -> Unsqueeze -> Concat
        "fold_shape_arith.onnx": model(
            [n("Shape", ["x"], ["s"]), n("Gather", ["s", "i0"], ["b"], axis=0), n("Gather", ["s", "i1"], ["c"], axis=0),
             n("Gather", ["s", "i2"], ["h"], axis=0), n("Mul", ["c", "h"], ["ch"]), n("Mul", ["ch", "h"], ["chw"]),
             n("Div", ["chw", "one"], ["d"]), n("Sub", ["d", "zero"], ["e"]),
             n("Unsqueeze", ["b", "ax0"], ["bu"]), n("Unsqueeze", ["e", "ax0"], ["eu"]),
             n("Concat", ["bu", "eu"], ["shape"], axis=0),
             n("Reshape", ["x", "shape"], ["f"]), n("Gemm", ["f", "w", "c3"], ["y"], transB=1)],
            [("x", [1, 2, 2, 2])], "y",
            [t("i0", I, [], [0]), t("i1", I, [], [1]), t("i2", I, [], [2]), t("one", I, [], [1]),
             t("zero", I, [], [0]), t("ax0", I, [1], [0]),
             t("w", F, [3, 8], [0.1 * k for k in range(24)]), t("c3", F, [3], [0, 1, -1])]),
        # Conv with pads, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten, MatMul + Add
        "conv_pools.onnx": model(
            [n("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1], kernel_shape=[3, 3]),
             n("Relu", ["c"], ["r"]), n("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             n("AveragePool", ["p"], ["a"], kernel_shape=[1, 1]), n("GlobalAveragePool", ["a"], ["g"]),
             n("Flatten", ["g"], ["f"], axis=1), n("MatMul", ["f", "w"], ["m"]), n("Add", ["m", "b"], ["y"])],
            [("x", [1, 1, 4, 4])], "y",
            [t("k", F, [2, 1, 3, 3], [(-1) ** k * 0.25 for k in range(18)]), t("kb", F, [2], [0.5, -0.5]),
             t("w", F, [2, 3], [1, 2, 3, -1, -2, -3]), t("b", F, [3], [0.1, 0.2, 0.3])]),
        # ConstantOfShape, Slice, Pad (merged into the Conv), Transpose, Cast, BatchNormalization,
        # a residual Add of two activations, Flatten, Softmax at the end (dropped)
        "pad_slice_bn.onnx": model(
            [n("ConstantOfShape", ["pshape"], ["zeros"], value=t("v", I, [1], [1])),
             n("Slice", ["zeros", "st", "en"], ["ones"]), n("Mul", ["ones", "mask"], ["pads0"]),
             n("Cast", ["pads0"], ["pads"], to=I),
             n("Pad", ["x", "pads"], ["xp"], mode="constant"),
             n("Conv", ["xp", "k"], ["c"], kernel_shape=[3, 3]),
             n("BatchNormalization", ["c", "sc", "bi", "mu", "va"], ["bn"], epsilon=1e-5),
             n("Relu", ["bn"], ["r"]), n("Add", ["r", "c"], ["res"]),
             n("Transpose", ["res"], ["tr"], perm=[0, 1, 2, 3]), n("GlobalAveragePool", ["tr"], ["g"]),
             n("Flatten", ["g"], ["sq"], axis=1), n("Softmax", ["sq"], ["y"], axis=1)],
            [("x", [1, 1, 3, 3])], "y",
            [t("pshape", I, [1], [10]), t("st", I, [1], [1]), t("en", I, [1], [9]), t("mask", I, [8], [0, 0, 1, 1, 0, 0, 1, 1]),
             t("k", F, [2, 1, 3, 3], [0.1 * k - 0.9 for k in range(18)]), t("sc", F, [2], [1, 2]),
             t("bi", F, [2], [0, 1]), t("mu", F, [2], [0.5, 0]), t("va", F, [2], [1, 4])]),
    }


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def seeds():
    s = {}
    s["npy"] = {
        "f4_2x3.npy": npy("<f4", [2, 3], [0.0, 1.0, -2.5, 3.0, float("inf"), float("nan")]),
        "f8_4.npy": npy("<f8", [4], [1.0, -1.0, 1e-300, 1e300]),
        "f4_scalar.npy": npy("<f4", [], [7.0]),
        "f4_rank4.npy": npy("<f4", [1, 1, 2, 2], [1, 2, 3, 4]),
        "f8_v2.npy": npy("<f8", [2], [0.5, 0.25], version=2),
        "f4_empty.npy": npy("<f4", [0, 3], []),
        "f4_bigendian.npy": npy(">f4", [2], [1.0, 2.0]),
        "i8.npy": npy("<i8", [2], [1, 2]),
        "f4_fortran.npy": npy("<f4", [2, 2], [1, 2, 3, 4], fortran=True),
    }
    s["safetensors"] = {
        "f32_f64.safetensors": safetensors([("a", "F32", [2], f32(1.0, -2.0)),
                                            ("b", "F64", [1, 2], struct.pack("<2d", 0.5, float("nan")))]),
        "metadata.safetensors": safetensors([("w", "F32", [2, 1, 1, 1], f32(3.0, 4.0))], {"format": "pt"}),
        "scalar_and_i64.safetensors": safetensors([("s", "F32", [], f32(1.5)),
                                                   ("n", "I64", [1], struct.pack("<q", 7))]),
        "empty_tensor.safetensors": safetensors([("e", "F32", [0, 4], b"")]),
        "no_tensors.safetensors": safetensors([]),
    }
    chain = os.path.join(ROOT, "tests", "data", "chain_learned.safetensors")
    with open(chain, "rb") as f:
        s["safetensors"]["chain_learned.safetensors"] = f.read()
    images = idx([2, 3, 3], range(0, 255, 15)[:18])
    labels = idx([4], [0, 9, 3, 255])
    s["idx"] = {  # first byte: bit 0 = gzip the rest in the harness, bits 1-2 = max_items (-1, 0, 1, 3)
        "images_plain": b"\x00" + images,
        "labels_plain": b"\x00" + labels,
        "images_harness_gzip": b"\x01" + images,
        "labels_first_item": b"\x04" + labels,
        "images_gzip_stream": b"\x00" + gzip.compress(images, mtime=0),
        "labels_gzip_stream_three": b"\x06" + gzip.compress(labels, mtime=0),
        "rank4_empty": b"\x00" + idx([0, 2, 2, 2], []),
    }
    grey = png(2, 2, 0, 8, [b"\x00\xff", b"\x80\x40"])
    rgb = png(3, 2, 2, 8, [bytes(range(9)), bytes(range(100, 109))])
    rgba = png(1, 1, 6, 8, [b"\x10\x20\x30\x40"])
    grey16 = png(2, 1, 0, 16, [b"\x12\x34\xff\xff"])
    palette = png(2, 2, 3, 8, [b"\x00\x01", b"\x01\x00"], palette=b"\xff\x00\x00\x00\x00\xff")
    heat = bytes([1, 2, 1, 4, 4]) + f32(*[float(i - 8) for i in range(16)]) + bytes([0])
    heat_nan = bytes([1, 3, 1, 3, 2, 2]) + f32(1.0, float("nan"), 2.0, -1.0) * 3 + bytes([8]) + struct.pack(">d", 50.0)
    overlay = bytes([2, 2, 1, 2, 2]) + f32(0.0, 0.5, 1.0, 0.25) + bytes([1, 2, 2]) + f32(1.0, -1.0, 0.5, 0.0) + \
        bytes([2 | 32, 0]) + struct.pack(">dd", 0.0, 1.0)
    grid = bytes([3, 2, 3, 2, 2]) + f32(*[0.1 * i for i in range(12)]) + struct.pack(">dd", 0.0, 1.0) + \
        bytes([2, 2, 2, 4, 2, 2]) + b"\x05row 1" + b"\x05row 2" + b"\x05col A" + b"\x0blong col B!" + bytes([0, 2, 0, 1])
    s["image"] = {  # first byte: 0 PNG (then desired channels), 1 heatmap, 2 overlay, 3 input_image + grid
        "png_grey": b"\x00\x00" + grey,
        "png_rgb_to_grey": b"\x00\x01" + rgb,
        "png_rgba": b"\x00\x04" + rgba,
        "png_grey16": b"\x00\x00" + grey16,
        "png_palette": b"\x00\x03" + palette,
        "heatmap_4x4": heat,
        "heatmap_nan": heat_nan,
        "overlay_2x2": overlay,
        "grid_2x2": grid,
    }
    s["onnx"] = small_onnx_models()
    for name in ("cnn.onnx", "cnn_bn.onnx", "resnet.onnx", "unsupported.onnx"):
        with open(os.path.join(ROOT, "tests", "onnx", "data", name), "rb") as f:
            s["onnx"][name] = f.read()
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed seeds, write nothing")
    args = parser.parse_args()
    bad = 0
    for target, files in seeds().items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(files.items()):
            path = os.path.join(d, name)
            if args.check:
                if not os.path.exists(path):
                    print("missing:", path)
                    bad += 1
                    continue
                with open(path, "rb") as f:
                    if f.read() != data:
                        print("differs:", path)
                        bad += 1
            else:
                with open(path, "wb") as f:
                    f.write(data)
    if not args.check:
        print("wrote", sum(len(f) for f in seeds().values()), "seeds under", CORPUS)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

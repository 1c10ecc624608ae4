#!/usr/bin/env python3
"""Writes models/samples/*.png: four of the bundled Fashion-MNIST test images
(models/fmnist_samples.safetensors, F32 [10, 1, 28, 28] in [0, 1]) as 28x28 grey PNGs, the
inputs of the README's `attrib report` command. Needs only the standard library.
Run: python3 tools/make_sample_pngs.py"""
import json
import pathlib
import struct
import zlib

root = pathlib.Path(__file__).resolve().parent.parent
names = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
keep = [9, 1, 8, 7]  # ankle boot, trouser, bag, sneaker


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


blob = (root / "models" / "fmnist_samples.safetensors").read_bytes()
n = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + n])
meta = header["images"]
assert meta["dtype"] == "F32" and meta["shape"] == [10, 1, 28, 28], meta
begin, end = meta["data_offsets"]
values = struct.unpack("<%df" % (10 * 784), blob[8 + n + begin:8 + n + end])
out = root / "models" / "samples"
out.mkdir(exist_ok=True)
for i in keep:
    pixels = [min(255, max(0, round(v * 255))) for v in values[i * 784:(i + 1) * 784]]
    rows = [pixels[y * 28:(y + 1) * 28] for y in range(28)]
    (out / f"{names[i]}.png").write_bytes(png(28, 28, rows))
    print("wrote", out / f"{names[i]}.png")

"""Writing and reading safetensors files for attrib's test fixtures, from the format description.

There is no Python ``safetensors`` package in this environment and none is needed: the format is

    8 bytes    unsigned little-endian header length N
    N bytes    UTF-8 JSON: {"name": {"dtype": "F64", "shape": [2, 3], "data_offsets": [begin, end]},
                            ..., "__metadata__": {"key": "value", ...}}
               padded with spaces (here: to a multiple of 8 bytes)
    rest       the data buffer; offsets are relative to its start, little-endian, C order,
               tensors contiguous without holes.

``write_safetensors`` takes numpy arrays or torch tensors; names are written sorted so that the
same input always gives the same bytes. Fixtures use float64 unless a test needs otherwise.
"""

import json
import os
import struct

import numpy as np

# numpy dtype -> safetensors dtype
_DTYPES = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def _to_numpy(value):
    """A numpy array from a numpy array, a torch tensor or anything np.asarray accepts."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def write_safetensors(path, tensors, metadata=None):
    """Write ``tensors`` (dict name -> numpy array or torch tensor) and optional string ``metadata``."""
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata must map str to str")
    header = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__" or not name:
            raise ValueError("invalid tensor name %r" % name)
        array = _to_numpy(tensors[name])
        dtype = array.dtype.newbyteorder("=")
        if dtype not in _DTYPES:
            raise TypeError("tensor %r: dtype %s has no safetensors equivalent here" % (name, array.dtype))
        data = np.ascontiguousarray(array, dtype=dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": _DTYPES[dtype],
            "shape": [int(d) for d in array.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in chunks:
            f.write(data)


def read_safetensors(path):
    """(dict name -> numpy array, metadata dict) of a safetensors file; for checking fixtures."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _NUMPY[info["dtype"]].newbyteorder("<")
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(info["shape"]).copy()
    return tensors, metadata


def write_or_check(path, tensors, metadata, check):
    """Writes a fixture file, or with ``check`` compares it with the committed one (same names,
    bit-identical values, same metadata). Prints one line; returns (ok, bytes written)."""
    if check:
        old, old_meta = read_safetensors(path)
        new = {n: _to_numpy(t) for n, t in tensors.items()}
        same = set(old) == set(new) and all(np.array_equal(old[n], new[n]) for n in new)
        same = same and old_meta == metadata
        print("  %s: %s" % (path, "unchanged" if same else "DIFFERS"))
        return same, 0
    write_safetensors(path, tensors, metadata)
    size = os.path.getsize(path)
    print("  wrote %s (%d tensors, %.0f kB)" % (path, len(tensors), size / 1e3))
    return True, size

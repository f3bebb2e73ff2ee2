#!/usr/bin/env python3
"""Times the PDQ reference (`pdqhash.compute`, Meta's C++ through its Python binding) on the .ppm
files of a directory, in one process on one thread, as `bulwark bench --pdq DIR` times Bulwark's:
from pixels (NumPy RGB arrays already in memory; the binding's own luma step is included, as it is
part of `pdqhash.compute`) and from file bytes (Pillow decode + `convert("RGB")` included).

Usage: scripts/bench-pdq-reference.py DIR [--iterations N]
"""
import argparse
import io
import os
import statistics
import time

import numpy as np
import pdqhash
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    names = sorted(f for f in os.listdir(args.directory) if f.endswith(".ppm"))
    if not names:
        raise SystemExit(f"no .ppm files in {args.directory}")
    files = []
    for name in names:
        with open(os.path.join(args.directory, name), "rb") as f:
            files.append(f.read())

    def decode(data):
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))

    images = [decode(f) for f in files]
    megapixels = sum(a.shape[0] * a.shape[1] for a in images) / 1e6
    checksum = 0
    for a in images:  # warm-up
        checksum += pdqhash.compute(a)[1]
    pixel_runs, file_runs = [], []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        for a in images:
            checksum += pdqhash.compute(a)[1]
        pixel_runs.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        for f in files:
            checksum += pdqhash.compute(decode(f))[1]
        file_runs.append(time.perf_counter() - t1)
    n = len(images)

    def line(label, runs):
        median = statistics.median(runs)
        return (f"{label}: {n / median:.2f} images/s, {median * 1000 / n:.2f} ms/image "
                f"(median of {len(runs)}; best {n / min(runs):.2f} images/s)")

    print(f"pdqhash {pdqhash.__version__} on one thread: {n} images, {megapixels:.2f} megapixels, {args.iterations} iterations")
    print(line("from pixels (decode excluded)", pixel_runs))
    print(line("from file bytes (decode included)", file_runs))
    print(f"checksum {checksum}")


if __name__ == "__main__":
    main()

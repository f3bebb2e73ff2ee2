#!/usr/bin/env python3
"""Compares Bulwark's PDQ hashes of HEIC and AVIF images with the reference's.

Each JPEG and PNG under DIR (by default ../shared/data/pdq, the shared test images) is written as
a HEIC with pillow-heif (its own libheif 1.23 and x265) and as an AVIF with Pillow's own AVIF
(libavif), at --quality, into a temporary directory. The reference hash of each is pdqhash's
(Meta's C++ PDQ) of the pixels pillow-heif or Pillow decode; Bulwark's is `bulwark hash`'s
(libheif 1.15 with Debian's libde265 and dav1d). Prints one JSON line per format: files, hashes
identical, the largest distance, the distances that are not zero, and the largest difference of
PDQ quality; the sizes must agree.

Usage: scripts/heif-reference.py [--bulwark .build/release/bulwark] [--quality 80] [DIR]

Needs Pillow, NumPy and pdqhash (scripts/setup.sh installs them) and pillow-heif (`pip install
pillow-heif==1.9.0`; the test suite does not need it).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pdqhash
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def reference(path):
    with Image.open(path) as im:
        pixels = np.asarray(im.convert("RGB"))
    bits, quality = pdqhash.compute(pixels)
    value = "".join("%x" % int("".join(str(b) for b in bits[i:i + 4]), 2) for i in range(0, 256, 4))
    return value, quality, pixels


def main():
    parser = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("dir", nargs="?", default=os.path.join(root, "..", "shared", "data", "pdq"))
    parser.add_argument("--bulwark", default=os.path.join(root, ".build", "release", "bulwark"))
    parser.add_argument("--quality", type=int, default=80)
    args = parser.parse_args()
    sources = sorted(
        os.path.join(d, f) for d, _, files in os.walk(args.dir) for f in files
        if f.lower().endswith((".jpg", ".jpeg", ".png")))
    with tempfile.TemporaryDirectory() as tmp:
        made = {"heic": [], "avif": []}
        for n, source in enumerate(sources):
            with Image.open(source) as im:
                rgb = im.convert("RGB")
                for ext in made:
                    path = os.path.join(tmp, "%03d.%s" % (n, ext))
                    rgb.save(path, quality=args.quality)
                    made[ext].append(path)
        for ext, paths in made.items():
            out = subprocess.run([args.bulwark, "hash", *paths], capture_output=True, text=True, check=True).stdout
            ours = {}
            for line in out.splitlines():
                row = json.loads(line)
                ours[row["path"]] = row
            identical, worst, differences, apart = 0, 0, [], []
            for path in paths:
                value, quality, pixels = reference(path)
                row = ours[path]
                distance = bin(int(value, 16) ^ int(row["pdq"], 16)).count("1")
                identical += distance == 0
                if distance:
                    apart.append(distance)
                worst = max(worst, distance)
                assert (row["width"], row["height"]) == (pixels.shape[1], pixels.shape[0]), path
                differences.append(abs(quality - row["quality"]))
            print(json.dumps({
                "format": ext, "files": len(paths), "identical": identical, "largest_distance": worst,
                "distances_not_zero": sorted(apart),
                "largest_quality_difference": max(differences)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

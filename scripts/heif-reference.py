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

With --as-they-are, the HEIF files under DIR (.heic, .heif, .hif, .avif) are compared as they are,
one line per file: the distance, both qualities and both sizes, or what each side said when it
did not decode. Both sides take luminance as the binding does (`bulwark hash --luma float64`:
some generated ramps hash differently with the C++ reference's Float32 luminance). pillow-heif's
source package carries camera and edge-case files: `pip download pillow-heif==1.9.0 --no-binary
:all: --no-deps`, unpack it, and give its tests/images.

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


def files_under(root, suffixes):
    """The files under `root` whose names end in one of `suffixes` (any case), sorted."""
    return sorted(
        os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.lower().endswith(suffixes))


def distance(a, b):
    """Bits apart of two PDQ hashes in hex."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    parser = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("dir", nargs="?", default=os.path.join(root, "..", "shared", "data", "pdq"))
    parser.add_argument("--bulwark", default=os.path.join(root, ".build", "release", "bulwark"))
    parser.add_argument("--quality", type=int, default=80)
    parser.add_argument("--as-they-are", action="store_true")
    args = parser.parse_args()
    if args.as_they_are:
        return as_they_are(args)
    sources = files_under(args.dir, (".jpg", ".jpeg", ".png"))
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
                bits = distance(value, row["pdq"])
                identical += bits == 0
                if bits:
                    apart.append(bits)
                worst = max(worst, bits)
                assert (row["width"], row["height"]) == (pixels.shape[1], pixels.shape[0]), path
                differences.append(abs(quality - row["quality"]))
            print(json.dumps({
                "format": ext, "files": len(paths), "identical": identical, "largest_distance": worst,
                "distances_not_zero": sorted(apart),
                "largest_quality_difference": max(differences)}))
    return 0


def as_they_are(args):
    paths = files_under(args.dir, (".heic", ".heif", ".hif", ".avif"))
    for path in paths:
        out = subprocess.run([args.bulwark, "hash", "--luma", "float64", path], capture_output=True, text=True).stdout
        ours = json.loads(out.splitlines()[0]) if out.strip() else {"error": {"message": "no output"}}
        try:
            value, quality, pixels = reference(path)
            theirs = {"pdq": value, "quality": quality, "width": pixels.shape[1], "height": pixels.shape[0]}
        except Exception as error:  # what Pillow says of a file it does not read
            theirs = {"error": "%s: %s" % (type(error).__name__, str(error)[:120])}
        row = {"file": os.path.relpath(path, args.dir)}
        if "pdq" in ours and "pdq" in theirs:
            row["distance"] = distance(ours["pdq"], theirs["pdq"])
            row["quality"] = [ours["quality"], theirs["quality"]]
            row["size"] = ["%dx%d" % (ours["width"], ours["height"]), "%dx%d" % (theirs["width"], theirs["height"])]
        else:
            row["bulwark"] = ours.get("error", ours.get("pdq"))
            row["reference"] = theirs.get("error", theirs.get("pdq"))
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

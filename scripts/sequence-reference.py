#!/usr/bin/env python3
"""Reference PDQ hashes of animated AVIFs (HEIF image sequences) for the media tests, from
`pdqhash` (Meta's C++ code) on the pixels Pillow gives for each frame (`Image.open(f)`,
`seek(n)`, `convert("RGB")`; Pillow's AVIF support is libavif's, which reads the sequence).

From the seven photos under DATA/reg-test-input/labelme-subset (default ../shared/data/pdq beside
the repository, in sorted order), writes into OUT with Pillow's AVIF writer (quality 80):
  - seq-N.avif, N = 0...5: three frames, photo N, photo N + 1 (fitted to photo N's size), photo N
    mirrored left to right;
  - title-card.avif: a flat grey frame first, then photo 6: what matters is not in the first
    picture.
Prints one JSON line per file:

  {"path", "width", "height", "frames": [{"pdq", "quality", "ppm"}, ...]}

with pdqhash's own (float64) luminance, one entry per frame Pillow shows, and its pixels written
beside the file as a PPM. The Swift tests read
each file's frames and expect them near these (libheif gives the primary image, FFmpeg's
libraries the sequence's frames).

Usage: scripts/sequence-reference.py --out DIR [--data DIR]
"""
import argparse
import glob
import json
import os
import sys

try:
    import numpy as np
    import pdqhash
    from PIL import Image, ImageOps, features
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"sequence-reference: {e}; run scripts/setup.sh (it installs pdqhash, numpy and Pillow)")


def to_hex(bits):
    return "%064x" % int("".join("1" if b else "0" for b in bits), 2)


def frames(path):
    out = []
    with Image.open(path) as im:
        for n in range(getattr(im, "n_frames", 1)):
            im.seek(n)
            rgb = im.convert("RGB")
            bits, quality = pdqhash.compute(np.asarray(rgb))
            ppm = f"{path}.frame-{n}.ppm"
            rgb.save(ppm)
            out.append({"pdq": to_hex(bits), "quality": int(quality), "ppm": ppm})
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "pdq"))
    args = parser.parse_args()
    if not features.check("avif"):
        sys.exit("sequence-reference: this Pillow has no AVIF support; pip install 'pillow>=11.3'")
    photos = sorted(glob.glob(os.path.join(args.data, "reg-test-input", "labelme-subset", "*.jpg")))
    if len(photos) < 7:
        sys.exit(f"sequence-reference: {len(photos)} photos under {args.data}/reg-test-input/labelme-subset, not 7")
    os.makedirs(args.out, exist_ok=True)
    written = []
    for n in range(6):
        a = Image.open(photos[n]).convert("RGB")
        b = Image.open(photos[n + 1]).convert("RGB").resize(a.size)
        path = os.path.join(args.out, f"seq-{n}.avif")
        a.save(path, save_all=True, append_images=[b, ImageOps.mirror(a)], duration=400, quality=80)
        written.append((path, a.size))
    photo = Image.open(photos[6]).convert("RGB")
    path = os.path.join(args.out, "title-card.avif")
    Image.new("RGB", photo.size, (128, 128, 128)).save(path, save_all=True, append_images=[photo], duration=1000, quality=80)
    written.append((path, photo.size))
    for path, (w, h) in written:
        print(json.dumps({"path": path, "width": w, "height": h, "frames": frames(path)}))


if __name__ == "__main__":
    main()

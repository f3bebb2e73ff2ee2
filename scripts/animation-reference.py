#!/usr/bin/env python3
"""Reference PDQ hashes of animations (GIF, WebP and PNG) for the media tests, from `pdqhash` (Meta's C++
code) on the pixels Pillow gives for each frame (`Image.open(f)`, `seek(n)`, `convert("RGB")`, as
HMA and the pdqhash tools read images).

From the first 12 JPEGs under DATA (default ../shared/data/pdq beside the repository, in sorted
order), writes into OUT five animations of three frames each, the image, its mirror image, then
the image again: a 256-colour interlaced GIF (Pillow's adaptive palette), a 32-colour GIF whose
first frame is not interlaced (Pillow writes its later frames as the rectangle that changed), and a
lossy animated WebP (quality 80); and two animated PNGs by Pillow's writer: RGB (its later frames
the rectangle that changed) and a 64-colour palette whose index 0 is transparent, each frame drawn
over the one before (blend 1). Prints one JSON line per file:

  {"path", "width", "height", "pdq", "quality", "frames": [{"pdq", "quality"}, ...]}

with pdqhash's own (float64) luminance; "pdq" and "quality" are the first frame's, "frames" every
frame's. The Swift tests decode each file and expect the same hashes and qualities, bit for bit.

Usage: scripts/animation-reference.py --out DIR [--data DIR]
"""
import argparse
import glob
import json
import os
import sys

try:
    import numpy as np
    import pdqhash
    from PIL import Image, PngImagePlugin
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"animation-reference: {e}; run scripts/setup.sh (it installs pdqhash, numpy and Pillow)")


def to_hex(bits):
    return "%064x" % int("".join("1" if b else "0" for b in bits), 2)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "pdq"))
    args = parser.parse_args()
    sources = sorted(glob.glob(os.path.join(args.data, "**", "*.jpg"), recursive=True))[:12]
    if len(sources) < 12:
        sys.exit(f"animation-reference: fewer than 12 JPEGs under {args.data}")
    os.makedirs(args.out, exist_ok=True)
    for i, source in enumerate(sources):
        image = Image.open(source).convert("RGB")
        mirror = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        palette = image.quantize(64)
        files = {
            f"{i:02d}-interlaced.gif": lambda p: image.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(
                p, save_all=True, append_images=[mirror.quantize(256), image.quantize(256)], duration=80),
            f"{i:02d}-sequential.gif": lambda p: image.quantize(32).save(
                p, save_all=True, append_images=[mirror.quantize(32), image.quantize(32)], duration=80, interlace=0),
            f"{i:02d}-lossy.webp": lambda p: image.save(
                p, save_all=True, append_images=[mirror, image], duration=80, quality=80),
            f"{i:02d}-rgb.png": lambda p: image.save(
                p, save_all=True, append_images=[mirror, image], duration=80, compress_level=1),
            f"{i:02d}-palette-over.png": lambda p: palette.save(
                p, save_all=True, append_images=[mirror.quantize(palette=palette), palette], duration=80,
                blend=PngImagePlugin.Blend.OP_OVER, transparency=0, compress_level=1),
        }
        for name, write in files.items():
            path = os.path.join(args.out, name)
            write(path)
            frames = []
            with Image.open(path) as im:
                assert im.n_frames == 3, path
                for n in range(im.n_frames):
                    im.seek(n)
                    pixels = np.ascontiguousarray(np.asarray(im.convert("RGB")), dtype=np.uint8)
                    bits, quality = pdqhash.compute(pixels)
                    frames.append({"pdq": to_hex(bits), "quality": int(quality)})
                    if n == 0:
                        width, height = int(pixels.shape[1]), int(pixels.shape[0])
            row = {"path": path, "width": width, "height": height,
                   "pdq": frames[0]["pdq"], "quality": frames[0]["quality"], "frames": frames}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

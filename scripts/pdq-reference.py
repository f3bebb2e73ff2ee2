#!/usr/bin/env python3
"""Reference PDQ hashes for the PDQ conformance test, from the `pdqhash` package (Meta's C++ code).

For every JPEG, PNG and WebP under DATA (default ../shared/data/pdq beside the repository), and for
a few generated images with edge-case sizes, writes the image's RGB pixels (Pillow's
`convert("RGB")`, no EXIF orientation) as a binary PPM (P6, maxval 255) into OUT, then prints one
JSON line per image:

  {"name", "ppm", "width", "height",
   "float64": {"pdq", "quality", "dihedral": [8 hex], "dihedral_quality"},
   "float32": {...the same keys...},
   "exif_orientation": N, "oriented": {"pdq", "quality"}}

the last two only for files with an EXIF orientation tag: the float32-luma hash of the pixels after
Pillow's `ImageOps.exif_transpose`, for checking that orientation is applied as Pillow applies it.

computed by `pdqhash.compute` and `pdqhash.compute_dihedral` on exactly those pixels. The two
differ only in how luminance reaches the C++ code: `pdqhash` computes it with NumPy in float64 and
rounds it to float32 ("float64"); the C++ reference's own `fillFloatLumaFromRGB` computes it in
float32 ("float32"), which is reproduced by handing `pdqhash` an array whose products with the luma
coefficients are taken in float32. Everything after the luminance is Meta's compiled C++ code in
both. The Swift test hashes the PPM files in both luma modes and expects the same hashes, bit for bit.

Usage: scripts/pdq-reference.py --out DIR [--data DIR]
"""
import argparse
import json
import os
import sys

try:
    import numpy as np
    import pdqhash
    from PIL import Image, ImageOps
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"pdq-reference: {e}; run scripts/setup.sh (it installs pdqhash, numpy and Pillow)")


def to_hex(bits):
    # pdqhash returns bit 255 first, as the reference's hex prints it.
    return "%064x" % int("".join("1" if b else "0" for b in bits), 2)


class Float32Luma(np.ndarray):
    """Pixels whose products with `pdqhash`'s luma coefficients are taken in float32, so that
    `R*0.299 + G*0.587 + B*0.114` is evaluated as the C++ reference's float arithmetic does:
    float32 coefficient times float32 sample, summed left to right in float32."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, np.ndarray) else x for x in inputs]
        if ufunc is np.multiply and method == "__call__" and len(plain) == 2:
            a, b = plain
            array, coefficient = (a, b) if isinstance(a, np.ndarray) else (b, a)
            return np.float32(coefficient) * array.astype(np.float32)
        return getattr(ufunc, method)(*plain, **kwargs)


def reference(pixels):
    bits, quality = pdqhash.compute(pixels)
    dihedral, dihedral_quality = pdqhash.compute_dihedral(pixels)
    return {
        "pdq": to_hex(bits),
        "quality": int(quality),
        "dihedral": [to_hex(b) for b in dihedral],
        "dihedral_quality": int(dihedral_quality),
    }


def generated():
    """Seeded synthetic images: sizes that take the reference's special and boundary paths."""
    rng = np.random.default_rng(20240531)
    sizes = [(64, 64), (5, 5), (4, 9), (5, 200), (127, 129), (128, 128), (129, 257), (1000, 7), (333, 512)]
    for h, w in sizes:
        noise = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        yield f"generated/noise-{w}x{h}", noise
        yy, xx = np.mgrid[0:h, 0:w]
        ramp = np.stack([(xx * 255 // max(1, w - 1)), (yy * 255 // max(1, h - 1)), ((xx + yy) % 256)], axis=-1)
        yield f"generated/ramp-{w}x{h}", ramp.astype(np.uint8)
    yield "generated/flat-100x80", np.full((80, 100, 3), 128, dtype=np.uint8)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "pdq"))
    args = parser.parse_args()
    if not os.path.isdir(args.data):
        sys.exit(f"pdq-reference: no image directory at {args.data}")
    os.makedirs(args.out, exist_ok=True)

    images = []
    for dirpath, _, files in os.walk(args.data):
        for f in sorted(files):
            if f.lower().endswith((".jpg", ".jpeg", ".png", ".webp")):
                path = os.path.join(dirpath, f)
                with Image.open(path) as im:
                    pixels = np.asarray(im.convert("RGB"))
                    orientation = im.getexif().get(0x0112)
                    oriented = None
                    if orientation is not None:
                        oriented = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(im).convert("RGB")))
                images.append((os.path.relpath(path, args.data), pixels, orientation, oriented))
    images.sort(key=lambda x: x[0])
    images.extend((name, pixels, None, None) for name, pixels in generated())

    for name, pixels, orientation, oriented in images:
        pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
        ppm = os.path.join(args.out, name.replace("/", "__") + ".ppm")
        Image.fromarray(pixels, "RGB").save(ppm, format="PPM")
        row = {
            "name": name,
            "ppm": ppm,
            "width": int(pixels.shape[1]),
            "height": int(pixels.shape[0]),
            "float64": reference(pixels),
            "float32": reference(pixels.view(Float32Luma)),
        }
        if orientation is not None:
            bits, quality = pdqhash.compute(oriented.view(Float32Luma))
            row["exif_orientation"] = int(orientation)
            row["oriented"] = {"pdq": to_hex(bits), "quality": int(quality)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the small decoder fixtures in Tests/BulwarkMediaTests/Fixtures (committed; rerun only to
change them). Each image NAME.EXT comes with NAME.EXT.ppm: Pillow's `convert("RGB")` of it, the
pixels the decoder is expected to produce (exactly for lossless formats, closely for JPEG).

Also orient-N.jpg for N = 1..8: the same picture stored as EXIF orientation N expects, so that all
eight look the same once the orientation is applied.

Needs Pillow and NumPy (scripts/setup.sh installs them).
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "BulwarkMediaTests", "Fixtures")


def pattern(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([(x * 11) % 256, (y * 15) % 256, (x * y * 7 + 3) % 256], axis=-1).astype(np.uint8)


def raw_png(path, width, height, color_type, bit_depth, rows):
    """A PNG written by hand, for what Pillow cannot write (16-bit RGB)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def save(name, image, **options):
    path = os.path.join(OUT, name)
    image.save(path, **options)
    expected(name)


def expected(name):
    path = os.path.join(OUT, name)
    with Image.open(path) as im:
        im.convert("RGB").save(path + ".ppm", format="PPM")


def main():
    os.makedirs(OUT, exist_ok=True)
    w, h = 23, 17
    rgb = pattern(w, h)
    base = Image.fromarray(rgb, "RGB")
    alpha = Image.fromarray(((np.arange(w * h).reshape(h, w) * 5) % 256).astype(np.uint8), "L")

    save("rgb.png", base)
    rgba = base.copy()
    rgba.putalpha(alpha)
    save("rgba.png", rgba)
    save("grey.png", base.convert("L"))
    la = base.convert("L")
    la.putalpha(alpha)
    save("grey-alpha.png", la.convert("LA"))
    save("palette.png", base.quantize(16))
    save("palette-transparent.png", base.quantize(16), transparency=3)
    save("bilevel.png", base.convert("1"))

    # 16-bit: each sample v becomes v*256 + (x % 200), so its high byte stays v.
    y, x = np.mgrid[0:h, 0:w]
    wide = rgb.astype(np.uint32) * 256 + (x % 200)[..., None]
    raw_png(os.path.join(OUT, "rgb16.png"), w, h, 2, 16, [wide[i].astype(">u2").tobytes() for i in range(h)])
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb16.png.ppm"), format="PPM")  # the high bytes
    grey = rgb[:, :, 0]
    wide_grey = grey.astype(np.uint32) * 256 + (x % 200)
    raw_png(os.path.join(OUT, "grey16.png"), w, h, 0, 16, [wide_grey[i].astype(">u2").tobytes() for i in range(h)])
    Image.fromarray(grey, "L").convert("RGB").save(os.path.join(OUT, "grey16.png.ppm"), format="PPM")

    # PPM with maxval 65535 and PGM, by hand: samples v*256 + (x % 200) again.
    with open(os.path.join(OUT, "rgb16.ppm"), "wb") as f:
        f.write(b"P6\n# sixteen bits\n%d %d\n65535\n" % (w, h) + wide.astype(">u2").tobytes())
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb16.ppm.ppm"), format="PPM")
    with open(os.path.join(OUT, "grey.pgm"), "wb") as f:
        f.write(b"P5 %d %d 255\n" % (w, h) + grey.tobytes())
    Image.fromarray(grey, "L").convert("RGB").save(os.path.join(OUT, "grey.pgm.ppm"), format="PPM")

    save("lossless.webp", base, lossless=True)
    save("lossless-alpha.webp", rgba, lossless=True)
    save("lossy.webp", base, quality=90)

    save("rgb.jpg", base, quality=95)
    save("grey.jpg", base.convert("L"), quality=95)
    save("cmyk.jpg", base.convert("CMYK"), quality=95)
    save("progressive.jpg", base, quality=95, progressive=True)

    # A picture that is not symmetric, stored as each EXIF orientation expects.
    pw, ph = 48, 32
    picture = np.zeros((ph, pw, 3), dtype=np.uint8)
    picture[:, :, 0] = np.linspace(0, 255, pw, dtype=np.uint8)[None, :]
    picture[:, :, 1] = np.linspace(0, 255, ph, dtype=np.uint8)[:, None]
    picture[:8, :16, 2] = 255
    upright = Image.fromarray(picture, "RGB")
    # The inverse of the transform a viewer applies for each orientation.
    stored = {
        1: upright,
        2: upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        3: upright.transpose(Image.Transpose.ROTATE_180),
        4: upright.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        5: upright.transpose(Image.Transpose.TRANSPOSE),
        6: upright.transpose(Image.Transpose.ROTATE_90),
        7: upright.transpose(Image.Transpose.TRANSVERSE),
        8: upright.transpose(Image.Transpose.ROTATE_270),
    }
    for n, im in stored.items():
        exif = Image.Exif()
        exif[0x0112] = n
        im.save(os.path.join(OUT, f"orient-{n}.jpg"), quality=98, exif=exif.tobytes(), subsampling=0)
    upright.save(os.path.join(OUT, "orient-upright.ppm"), format="PPM")


if __name__ == "__main__":
    main()

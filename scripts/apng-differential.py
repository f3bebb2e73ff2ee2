#!/usr/bin/env python3
"""Random animated PNGs and the frames Pillow shows of them, for a differential test of
`ImageDecoder.forEachFrame` (FrameTests.randomAnimatedPNGsGiveTheFramesPillowShows).

Writes COUNT animated PNGs into OUT from SEED: each of a random colour type and bit depth (grey 1,
2, 4 or 8 bits; grey with alpha, RGB and RGBA at 8 or 16; a palette at 1, 2, 4 or 8 bits, with or
without tRNS; grey and RGB with a tRNS value), 1 to 40 pixels a side, 2 to 5 frames, each later
frame a random rectangle with a random disposal (0 to 3, 3 being no method, as Pillow takes it)
and blend, its data in one or two fdAT chunks; the IDAT image a frame or a default image. Every
third file also has an interlaced twin (Adam7, its frames too), NAME-interlaced.png, the same
samples: Pillow 13 cannot read an interlaced animated PNG (a TypeError as it loads the first
frame), so the twin is expected to give the frames Pillow shows of the file that is not
interlaced. For each
file, Pillow's `seek(n)` and `convert("RGB")` of every frame is written as NAME.frame-n.ppm, and
one JSON line printed: {"path", "frames", "colour_type", "bit_depth", "interlaced"?}; a file Pillow cannot read
is printed with "error" and no frames.

16-bit grey is left out: Pillow reads it as 32-bit integers whose RGB conversion clips, where
Bulwark keeps the high byte (docs/pdq.md).

Usage: scripts/apng-differential.py --out DIR [--count N] [--seed S]
"""
import argparse
import json
import os
import random
import struct
import sys
import zlib

try:
    from PIL import Image
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"apng-differential: {e}; run scripts/setup.sh (it installs Pillow)")

KINDS = [(0, 1), (0, 2), (0, 4), (0, 8), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def packed(values, depth):
    """One scanline's samples as bytes (big-endian, several to a byte below 8 bits)."""
    if depth < 8:
        per = 8 // depth
        data = bytearray()
        for i in range(0, len(values), per):
            byte = 0
            for j in range(per):
                v = values[i + j] if i + j < len(values) else 0
                byte |= v << (8 - depth * (j + 1))
            data.append(byte)
        return bytes(data)
    if depth == 8:
        return bytes(values)
    return b"".join(struct.pack(">H", v) for v in values)


def rows(rng, w, h, colour_type, depth, palette_size, interlaced):
    """Filter-0 scanlines of random samples (often repeated, so that transparent values occur),
    in Adam7's seven passes when `interlaced` (an empty pass has no scanline)."""
    channels = CHANNELS[colour_type]
    top = (palette_size - 1) if colour_type == 3 else (1 << depth) - 1
    choices = [rng.randint(0, top) for _ in range(4)] + [0, top]
    grid = [[rng.choice(choices) if rng.random() < 0.5 else rng.randint(0, top) for _ in range(w * channels)] for _ in range(h)]
    if not interlaced:
        lines = [b"\x00" + packed(row, depth) for row in grid]
    else:
        lines = []
        for x0, y0, dx, dy in ADAM7:
            for y in range(y0, h, dy):
                values = [v for x in range(x0, w, dx) for v in grid[y][x * channels:(x + 1) * channels]]
                if values:
                    lines.append(b"\x00" + packed(values, depth))
    return zlib.compress(b"".join(lines), 6)


def write(path, rng, interlaced):
    colour_type, depth = rng.choice(KINDS)
    w, h = rng.randint(1, 40), rng.randint(1, 40)
    palette_size = rng.randint(1, 1 << depth) if colour_type == 3 else 0
    seq = [0]

    def fctl(x, y, fw, fh):
        data = struct.pack(">IIIIIHHBB", seq[0], fw, fh, x, y, 1, 10, rng.randint(0, 3), rng.randint(0, 1))
        seq[0] += 1
        return chunk(b"fcTL", data)

    later = rng.randint(1, 4)
    default_is_frame = rng.random() < 0.7
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 1 if interlaced else 0))
    out += chunk(b"acTL", struct.pack(">II", later + (1 if default_is_frame else 0), 0))
    if colour_type == 3:
        out += chunk(b"PLTE", bytes(rng.randint(0, 255) for _ in range(3 * palette_size)))
        if rng.random() < 0.7:
            out += chunk(b"tRNS", bytes(rng.choice([0, 255, rng.randint(0, 255)]) for _ in range(rng.randint(1, palette_size))))
    elif colour_type in (0, 2) and rng.random() < 0.6:
        top = (1 << depth) - 1
        out += chunk(b"tRNS", b"".join(struct.pack(">H", rng.choice([0, top, rng.randint(0, top)])) for _ in range(CHANNELS[colour_type])))
    if default_is_frame:
        out += fctl(0, 0, w, h)
    out += chunk(b"IDAT", rows(rng, w, h, colour_type, depth, palette_size, interlaced))
    for _ in range(later):
        fw, fh = rng.randint(1, w), rng.randint(1, h)
        x, y = rng.randint(0, w - fw), rng.randint(0, h - fh)
        out += fctl(x, y, fw, fh)
        data = rows(rng, fw, fh, colour_type, depth, palette_size, interlaced)
        parts = [data] if rng.random() < 0.7 or len(data) < 2 else [data[: len(data) // 2], data[len(data) // 2:]]
        for part in parts:
            out += chunk(b"fdAT", struct.pack(">I", seq[0]) + part)
            seq[0] += 1
    out += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)
    return colour_type, depth


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        path = os.path.join(args.out, f"{i:04d}.png")
        colour_type, depth = write(path, random.Random(args.seed * 1_000_003 + i), False)
        row = {"path": path, "colour_type": colour_type, "bit_depth": depth}
        if i % 3 == 0:
            # The same file interlaced: the same samples from the same random state.
            twin = os.path.join(args.out, f"{i:04d}-interlaced.png")
            write(twin, random.Random(args.seed * 1_000_003 + i), True)
            row["interlaced"] = twin
        try:
            with Image.open(path) as im:
                n = im.n_frames
                for k in range(n):
                    im.seek(k)
                    im.convert("RGB").save(f"{path}.frame-{k}.ppm", format="PPM")
                row["frames"] = n
        except Exception as e:  # noqa: BLE001 - any failure of Pillow's is reported, not raised
            row["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

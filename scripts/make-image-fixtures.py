#!/usr/bin/env python3
"""Writes the small decoder fixtures in Tests/BulwarkMediaTests/Fixtures (committed; rerun only to
change them). Each image NAME.EXT comes with NAME.EXT.ppm: Pillow's `convert("RGB")` of it, the
pixels the decoder is expected to produce (exactly for lossless formats, closely for JPEG).

Also orient-N.jpg for N = 1..8: the same picture stored as EXIF orientation N expects, so that all
eight look the same once the orientation is applied.

Needs Pillow and NumPy (scripts/setup.sh installs them); the HEIF fixtures (`heif_fixtures`,
`python3 scripts/make-image-fixtures.py --heif` writes only those) need pillow-heif too
(`pip install pillow-heif==1.9.0`, which brings its own libheif 1.23 and x265; the tests do not
need it): lossy.heic, turned.heic (stored turned, with an `irot` box, as pillow-heif writes
EXIF orientation 6), irot-first.heic, ten-bit.heic (10 bits a sample) and lossy.avif (Pillow's
own AVIF, libavif), each with the pixels pillow-heif or Pillow decode; and sequence.avif, an
animated AVIF by Pillow alone (`--sequence` writes only it), with Pillow's frames; and
images.heic, three pictures in one HEIC (`--collection` writes only it), with pillow-heif's.
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


def raw_apng(path, size, color_type, frames, bit_depth=8, first=None, plte=None, trns=None, split=False):
    """An animated PNG written by hand, for what Pillow's writer does not choose: each disposal and
    blend, a default image that is not a frame, partial frames, fdAT data in two chunks.
    `first` is the IDAT image (its fcTL given by `first[1]`, or None when it is a default image:
    first = (rows, None)); `frames` are the later frames as (x, y, width, height, disposal, blend,
    rows), each row the bytes of its samples."""
    seq = [0]

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    def fctl(x, y, w, h, disposal, blend):
        data = struct.pack(">IIIIIHHBB", seq[0], w, h, x, y, 1, 10, disposal, blend)
        seq[0] += 1
        return chunk(b"fcTL", data)

    def compressed(rows):
        return zlib.compress(b"".join(b"\x00" + row for row in rows), 9)

    width, height = size
    rows, control = first
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    out += chunk(b"acTL", struct.pack(">II", len(frames) + (1 if control else 0), 0))
    if plte is not None:
        out += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    if control:
        out += fctl(0, 0, width, height, *control)
    out += chunk(b"IDAT", compressed(rows))
    for x, y, w, h, disposal, blend, frame_rows in frames:
        out += fctl(x, y, w, h, disposal, blend)
        data = compressed(frame_rows)
        parts = [data[:len(data) // 2], data[len(data) // 2:]] if split else [data]
        for part in parts:
            out += chunk(b"fdAT", struct.pack(">I", seq[0]) + part)
            seq[0] += 1
    out += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def lzw_uncompressed(indices, min_code_size):
    """GIF image data that LZW-decodes to `indices`: every index its own code, a clear code often
    enough that the code width never grows (valid for any decoder, compression aside)."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    codes = []
    run = (1 << width) - (1 << min_code_size) - 2  # codes a decoder adds before the width grows
    for i, v in enumerate(indices):
        if i % run == 0:
            codes.append(clear)
        codes.append(v)
    codes.append(end)
    bits, nbits, out = 0, 0, bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code_size])
    for i in range(0, len(out), 255):
        chunk = out[i:i + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes(blocks + b"\x00")


def raw_gif(path, screen, frames, global_palette=None, trailer=True):
    """A GIF written by hand, for what Pillow does not write: a first frame placed inside or past
    the logical screen, a transparent index, a local colour table, indices past the table's end.
    Each frame: (left, top, width, height, indices, local_palette or None, transparent or None),
    and optionally its disposal method (a graphic control extension is written when either is set)."""
    out = bytearray(b"GIF89a")
    flags = 0
    if global_palette:
        bits = (len(global_palette) // 3).bit_length() - 1
        flags = 0x80 | (bits - 1)
    out += struct.pack("<HHBBB", screen[0], screen[1], flags, 0, 0)
    if global_palette:
        out += bytes(global_palette)
    for left, top, width, height, indices, local, transparent, *rest in frames:
        disposal = rest[0] if rest else None
        if transparent is not None or disposal is not None:
            flags = (1 if transparent is not None else 0) | ((disposal or 0) << 2)
            out += b"\x21\xf9\x04" + bytes([flags]) + struct.pack("<H", 10) + bytes([transparent or 0]) + b"\x00"
        flags = 0
        if local:
            bits = (len(local) // 3).bit_length() - 1
            flags = 0x80 | (bits - 1)
        out += b"," + struct.pack("<HHHHB", left, top, width, height, flags)
        if local:
            out += bytes(local)
        out += lzw_uncompressed(indices, max(2, max(indices, default=0).bit_length()))
    if trailer:
        out += b";"
    with open(path, "wb") as f:
        f.write(out)


def save(name, image, **options):
    path = os.path.join(OUT, name)
    image.save(path, **options)
    expected(name)


def expected(name):
    """The first frame as Pillow shows it (NAME.ppm) and, for an animation, each later frame n
    after `seek(n)` (NAME.frame-n.ppm)."""
    path = os.path.join(OUT, name)
    with Image.open(path) as im:
        im.convert("RGB").save(path + ".ppm", format="PPM")
        for n in range(1, getattr(im, "n_frames", 1)):
            im.seek(n)
            im.convert("RGB").save(path + ".frame-%d.ppm" % n, format="PPM")


def heif_fixtures():
    import pillow_heif

    pillow_heif.register_heif_opener()
    # A smooth picture: on `pattern`'s single-pixel colour changes the chroma, stored at half
    # resolution, is rebuilt differently by each libheif version (up to 41 apart when turned).
    y, x = np.mgrid[0:24, 0:32]
    smooth = np.stack(
        [128 + 90 * np.sin(x / 4.0 + y / 9.0), 128 + 90 * np.cos(y / 5.0), 128 + 90 * np.sin((x + y) / 7.0)], -1)
    base = Image.fromarray(smooth.round().astype(np.uint8), "RGB")
    save("lossy.heic", base, quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    save("turned.heic", base, quality=90, exif=exif.tobytes())
    save("lossy.avif", base, quality=90)
    # Turned, with no crop (128 x 64, whole coding blocks), and its `irot` listed before its size
    # (`ispe`), as a Sony camera writes it: libheif 1.15 states the size unturned, 128 x 64, and
    # decodes it turned, 64 x 128, as pillow-heif does.
    y, x = np.mgrid[0:64, 0:128]
    wide = np.stack(
        [128 + 90 * np.sin(x / 8.0 + y / 9.0), 128 + 90 * np.cos(y / 10.0), 128 + 90 * np.sin((x + y) / 14.0)], -1)
    save("irot-first.heic", Image.fromarray(wide.round().astype(np.uint8), "RGB"), quality=90, exif=exif.tobytes())
    path = os.path.join(OUT, "irot-first.heic")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    with open(path, "wb") as f:
        f.write(turn_listed_first(data))
    expected("irot-first.heic")
    # 10 bits a sample, 160 x 144 (three rows of x265's 64-pixel coding blocks, written with
    # wavefront parallel processing, so that the decoder's worker threads each take rows): two
    # bytes a sample in the decoder's planes.
    y, x = np.mgrid[0:144, 0:160]
    deep = np.stack(
        [512 + 400 * np.sin(x / 11.0 + y / 13.0), 512 + 400 * np.cos(y / 17.0), 512 + 400 * np.sin((x + y) / 19.0)], -1)
    samples = (deep.round().astype(np.uint16) << 6).astype("<u2")  # pillow-heif takes 16-bit samples, high bits first
    pillow_heif.from_bytes(mode="RGB;16", size=(160, 144), data=samples.tobytes()).save(
        os.path.join(OUT, "ten-bit.heic"), quality=90)
    expected("ten-bit.heic")


def sequence_fixture():
    """sequence.avif: an animated AVIF (an image sequence beside its primary image) of three
    smooth 48 x 32 pictures, by Pillow's own AVIF writer (libavif), with Pillow's frames."""
    y, x = np.mgrid[0:32, 0:48]
    pictures = []
    for k in range(3):
        rgb = np.stack(
            [128 + 90 * np.sin(x / (4.0 + k) + y / 9.0), 128 + 90 * np.cos(y / (5.0 + 2 * k) + k),
             128 + 90 * np.sin((x + y) / 7.0 - k)], -1)
        pictures.append(Image.fromarray(rgb.round().astype(np.uint8), "RGB"))
    save("sequence.avif", pictures[0], save_all=True, append_images=pictures[1:], duration=200, quality=90)


def collection_fixture():
    """images.heic: three pictures in one HEIF file (top-level images, as a burst or a
    collection is stored; the first is the primary image), 32 x 24, 40 x 24 and 24 x 32, by
    pillow-heif, with the frames pillow-heif shows."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    pictures = []
    for k, (w, h) in enumerate([(32, 24), (40, 24), (24, 32)]):
        y, x = np.mgrid[0:h, 0:w]
        rgb = np.stack(
            [128 + 90 * np.sin(x / (4.0 + k) + y / 9.0), 128 + 90 * np.cos(y / (5.0 + k) - k),
             128 + 90 * np.sin((x - y) / 7.0 + k)], -1)
        pictures.append(Image.fromarray(rgb.round().astype(np.uint8), "RGB"))
    save("images.heic", pictures[0], save_all=True, append_images=pictures[1:], quality=90)


def boxes(data, start, end):
    """The ISO base media boxes from `start` to `end`: (type, offset, size, header size)."""
    while start < end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[start + 8:start + 16])[0], 16
        size = size or end - start
        yield kind.decode("latin-1"), start, size, header
        start += size


def box(data, path, start=0, end=None):
    """The box at `path` (a list of types, from the file's top level): (offset, size, header)."""
    for kind, offset, size, header in boxes(data, start, len(data) if end is None else end):
        if kind == path[0]:
            if len(path) == 1:
                return offset, size, header
            body = offset + header + (4 if kind == "meta" else 0)  # meta is a full box
            return box(data, path[1:], body, offset + size)
    raise ValueError("no %s box" % "/".join(path))


def turn_listed_first(data):
    """The file with each item's `irot` association moved to the front of its list in `ipma`
    (the same bytes, reordered within each item's list)."""
    offset, size, header = box(data, ["meta", "iprp", "ipco"])
    properties = [kind for kind, _, _, _ in boxes(data, offset + header, offset + size)]
    offset, size, header = box(data, ["meta", "iprp", "ipma"])
    at = offset + header
    version, flags = data[at], int.from_bytes(data[at + 1:at + 4], "big")
    count = struct.unpack(">I", data[at + 4:at + 8])[0]
    at += 8
    width, mask = (2, 0x7FFF) if flags & 1 else (1, 0x7F)
    for _ in range(count):
        at += 2 if version < 1 else 4
        n = data[at]
        at += 1
        entries = [bytes(data[at + i * width:at + (i + 1) * width]) for i in range(n)]
        turn = [e for e in entries if properties[(int.from_bytes(e, "big") & mask) - 1] == "irot"]
        rest = [e for e in entries if properties[(int.from_bytes(e, "big") & mask) - 1] != "irot"]
        data[at:at + n * width] = b"".join(turn + rest)
        at += n * width
    return data


def main():
    import sys

    if sys.argv[1:] == ["--heif"]:
        heif_fixtures()
        sequence_fixture()
        collection_fixture()
        return
    if sys.argv[1:] == ["--sequence"]:
        sequence_fixture()
        return
    if sys.argv[1:] == ["--collection"]:
        collection_fixture()
        return
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

    # GIF: the first frame as Pillow shows it.
    save("palette.gif", base.quantize(64))  # Pillow interlaces a GIF whose sides are 16 or more
    save("palette-sequential.gif", base.quantize(64), interlace=0)
    save("grey.gif", base.convert("L"))  # an identity grey ramp: Pillow opens it as grey
    second = Image.fromarray(255 - rgb, "RGB").quantize(64)
    save("animated.gif", base.quantize(64), save_all=True, append_images=[second], duration=100, loop=0)
    # The screen 23×17 with an 8-colour global table; the first frame 10×6 at (15, 13), reaching
    # past the screen (the canvas grows to 25×19), with a 4-colour local table, transparent index
    # 2 (the canvas around the frame), and indices 4-7 past its table (black); a second frame that
    # is not read.
    global_palette = [v for k in range(8) for v in (200 - 20 * k, 30 * k, 100)]
    local = [255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 250]
    frame = [(x + 2 * y) % 8 for y in range(6) for x in range(10)]
    raw_gif(os.path.join(OUT, "offset-transparent.gif"), (w, h),
            [(15, 13, 10, 6, frame, local, 2), (0, 0, 4, 4, [1] * 16, None, None)], global_palette)
    expected("offset-transparent.gif")
    # Frames drawn over each other (23×17 screen, background index 5, the same 8-colour table):
    # 0 the whole screen; 1 a 9×7 patch at (2, 3) whose index 2 is transparent (the canvas shows
    # through), disposed of by 2 (its rectangle filled with index 2's colour); 2 a 5×5 patch at
    # (12, 8) with no transparency, disposed of by 2 (the background index's colour); 3 a 6×4
    # patch at (0, 0), disposed of by 3 (put back as it was); 4 a 4×4 patch at (17, 11) whose
    # extension says no disposal (Pillow keeps 3 from before); 5 a 3×3 patch at (1, 12).
    patch = lambda fw, fh, a: [(a + x + 3 * y) % 8 for y in range(fh) for x in range(fw)]
    raw_gif(os.path.join(OUT, "disposal.gif"), (w, h), [
        (0, 0, w, h, [(x * 3 + y) % 8 for y in range(h) for x in range(w)], None, None, 1),
        (2, 3, 9, 7, patch(9, 7, 1), None, 2, 2),
        (12, 8, 5, 5, patch(5, 5, 4), None, None, 2),
        (0, 0, 6, 4, patch(6, 4, 6), None, None, 3),
        (17, 11, 4, 4, patch(4, 4, 3), None, None, 0),
        (1, 12, 3, 3, [7] * 9, None, None),
    ], global_palette)
    with open(os.path.join(OUT, "disposal.gif"), "r+b") as f:
        f.seek(11)
        f.write(bytes([5]))  # the screen's background colour index
    expected("disposal.gif")
    # A later frame with no pixels (0×0; its data only an end code) between two that have some.
    # Pillow cannot load that frame ("tile cannot extend outside image"): only the first frame's
    # .ppm is written, and the test spells out the rest.
    raw_gif(os.path.join(OUT, "empty-frame.gif"), (w, h), [
        (0, 0, w, h, [(x + y) % 8 for y in range(h) for x in range(w)], None, None),
        (5, 5, 0, 0, [], None, None),
        (2, 2, 3, 3, [6] * 9, None, None),
    ], global_palette)
    with Image.open(os.path.join(OUT, "empty-frame.gif")) as im:
        im.convert("RGB").save(os.path.join(OUT, "empty-frame.gif.ppm"), format="PPM")
    # A later frame larger than the screen (100×100 on 23×17): cut to the canvas (Pillow grows the
    # canvas instead, so only the first frame's .ppm is written).
    raw_gif(os.path.join(OUT, "large-frame.gif"), (w, h), [
        (0, 0, w, h, [(x + y) % 8 for y in range(h) for x in range(w)], None, None),
        (0, 0, 100, 100, [1] * 10000, None, None),
    ], global_palette)
    with Image.open(os.path.join(OUT, "large-frame.gif")) as im:
        im.convert("RGB").save(os.path.join(OUT, "large-frame.gif.ppm"), format="PPM")
    # Pillow's own optimised animation: a later frame is only the rectangle that changed, with
    # its unchanged pixels transparent.
    changed = rgb.copy()
    changed[4:9, 6:15] = 255 - changed[4:9, 6:15]
    third = rgb.copy()
    third[10:16, 1:5] = (0, 0, 0)
    first = base.quantize(64)
    save("optimised.gif", first, save_all=True, append_images=[
        Image.fromarray(changed, "RGB").quantize(palette=first), Image.fromarray(third, "RGB").quantize(palette=first)],
        duration=100)
    # A title card first (one flat colour, too flat for PDQ), then the picture, then its negative:
    # what a file built to slip past first-frame hashing looks like.
    card = Image.new("RGB", (w, h), (40, 40, 40)).quantize(64)
    save("title-card.gif", card, save_all=True, append_images=[base.quantize(64), second], duration=100)
    # No colour table at all: indices are grey values; around the frame, index 0.
    raw_gif(os.path.join(OUT, "no-palette.gif"), (w, h), [(3, 2, 16, 12, [(x * 13 + y * 7) % 256 for y in range(12) for x in range(16)], None, None)])
    expected("no-palette.gif")
    # A global table that is the identity grey ramp (entry k = (k, k, k)) of 4 entries, and indices
    # up to 15: Pillow opens it as grey, so an index past the table is its grey value, not black.
    raw_gif(os.path.join(OUT, "grey-ramp.gif"), (8, 4), [(0, 0, 8, 4, [(x + y * 8) % 16 for y in range(4) for x in range(8)], None, None)],
            [v for k in range(4) for v in (k, k, k)])
    expected("grey-ramp.gif")

    # Animated: a WebP and a PNG (APNG) of two frames, the second the first's negative. The console
    # shows neither playing (StillImage); Pillow's first frame is beside each.
    save("animated.webp", base, save_all=True, append_images=[Image.fromarray(255 - rgb, "RGB")], duration=100, lossless=True)
    save("animated.png", base, save_all=True, append_images=[Image.fromarray(255 - rgb, "RGB")], duration=100)
    # Animated WebP with alpha (a ramp, 0 to 255, over the first frame) and lossy.
    second_rgba = Image.fromarray(255 - rgb, "RGB").convert("RGBA")
    save("animated-alpha.webp", rgba, save_all=True, append_images=[second_rgba], duration=100, lossless=True, exact=True)
    save("animated-lossy.webp", base, save_all=True, append_images=[Image.fromarray(255 - rgb, "RGB")], duration=100, quality=90)

    # Animated PNGs written by hand: every disposal and blend, over a 23×17 canvas.
    def block(w, h, channels, f):
        return [bytes(v for x in range(w) for v in f(x, y)[:channels]) for y in range(h)]

    # RGBA. The first frame's disposal 2 is taken as 1 (nothing was there before it), so frame 1
    # is drawn over a cleared canvas. Frame 1 (blend 1, alpha ramp) stays; frame 2 (blend 0, half
    # transparent) is put back to what was under it; frame 3 (blend 1) is cleared; frame 4
    # covers the canvas at alpha 0 on its left half, so what the disposals left shows there.
    def sample(x, y, k):
        return ((x * 37 + k * 50) % 256, (y * 23 + k * 90) % 256, (x * y + k * 30) % 256, (x * 40 + y * 16) % 256)

    raw_apng(os.path.join(OUT, "apng-rgba.png"), (w, h), 6, [
        (2, 3, 8, 6, 0, 1, block(8, 6, 4, lambda x, y: sample(x, y, 1))),
        (10, 8, 10, 5, 2, 0, block(10, 5, 4, lambda x, y: sample(x, y, 2)[:3] + ((0 if x < 5 else 255),))),
        (12, 2, 6, 6, 1, 1, block(6, 6, 4, lambda x, y: sample(x, y, 3))),
        (0, 0, w, h, 0, 1, block(w, h, 4, lambda x, y: sample(x, y, 4)[:3] + ((0 if x < 12 else 128),))),
    ], first=(block(w, h, 4, lambda x, y: sample(x, y, 0)[:3] + (255,)), (2, 0)), split=True)
    expected("apng-rgba.png")
    # Palette of 16 at 4 bits, with partial tRNS alphas (Pillow mixes the indices themselves); the
    # IDAT image is a default image, not a frame control's, yet Pillow's frame 0; frame 1 (blend 1)
    # is put back (disposal 2), frame 2 drawn over what it left.
    palette = [v for k in range(16) for v in (k * 16, 255 - k * 16, (k * 40) % 256)]
    alphas = [255, 0, 128, 64, 200, 255, 10, 255]
    def packed(w, h, f):
        return [bytes((f(x, y) << 4) | f(x + 1, y) for x in range(0, w, 2)) for y in range(h)]
    raw_apng(os.path.join(OUT, "apng-palette.png"), (w + 1, h), 3, [
        (4, 2, 12, 8, 2, 1, packed(12, 8, lambda x, y: (x + y) % 8)),
        (6, 4, 10, 10, 0, 1, packed(10, 10, lambda x, y: (x * y + 3) % 16)),
    ], bit_depth=4, first=(packed(w + 1, h, lambda x, y: (x + 2 * y) % 16), None), plte=palette, trns=alphas)
    expected("apng-palette.png")
    # RGB with a tRNS colour: where a blend-1 frame has that colour, the canvas shows through.
    key = (10, 20, 30)
    raw_apng(os.path.join(OUT, "apng-rgb-key.png"), (w, h), 2, [
        (3, 3, 14, 9, 1, 1, block(14, 9, 3, lambda x, y: key if (x + y) % 3 == 0 else sample(x, y, 5)[:3])),
        (0, 0, w, h, 0, 1, block(w, h, 3, lambda x, y: key if x < 15 else sample(x, y, 6)[:3])),
    ], first=(block(w, h, 3, lambda x, y: sample(x, y, 7)[:3]), (0, 0)), trns=[0, key[0], 0, key[1], 0, key[2]])
    expected("apng-rgb-key.png")
    # Grey and alpha: a blend-1 frame over the first, which is cleared (disposal 1) first.
    raw_apng(os.path.join(OUT, "apng-grey-alpha.png"), (w, h), 4, [
        (5, 1, 9, 12, 0, 1, block(9, 12, 2, lambda x, y: ((x * 29) % 256, (y * 21) % 256))),
    ], first=(block(w, h, 2, lambda x, y: ((x * 7 + y) % 256, 255)), (1, 0)))
    expected("apng-grey-alpha.png")

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
    heif_fixtures()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes still PNG, WebP and JPEG files whose metadata names an orientation in each of the ways
Pillow reads one, and beside each the pixels Pillow's `ImageOps.exif_transpose` gives
(`NAME.ppm`), for `OrientationTests` to compare Bulwark's decoder against.

Usage: scripts/orientation-reference.py --out DIR

Prints one JSON line per file: {"name", "file", "ppm", "width", "height", "lossy"}. With
--hashes, each file Pillow turns also has "pdq" and "quality", pdqhash's (Meta's C++ PDQ) of the
pixels `exif_transpose` gives, and "stored_pdq" and "stored_quality", pdqhash's of the pixels as
stored, as python-threatexchange's `pdq_from_file` (HMA's photo hasher) hashes a file: opened
with Pillow, not turned.

The files are made here, at test time, from a small synthetic picture: nothing is committed.
The ways covered: a PNG's `eXIf` chunk (before and after the image data, with and without an
"Exif" prefix, big-endian, a long integer, twice), its `tEXt` chunk keyed `exif`, ImageMagick's
"Raw profile type exif" in `tEXt`, `zTXt` and compressed `iTXt`, XMP in `iTXt`, `zTXt` and `tEXt`
(attribute and element forms); a WebP's `EXIF` and `XMP ` chunks; a JPEG's XMP segment and its
second EXIF segment; and the rules between them (an EXIF tag of 1 or 0 turns nothing and hides
the XMP; EXIF without the tag lets the XMP speak; values past 8 turn nothing).
"""
import argparse
import io
import json
import os
import struct
import warnings
import zlib

from PIL import Image, ImageOps

WIDTH, HEIGHT = 24, 12


def picture():
    """Blocks of flat colour, so that a JPEG keeps them within a step or two, and no two
    turnings of it are alike."""
    im = Image.new("RGB", (WIDTH, HEIGHT))
    for y in range(HEIGHT):
        for x in range(WIDTH):
            bx, by = x // 8, y // 4
            im.putpixel((x, y), ((bx * 97 + by * 31) % 256, (by * 83 + 40) % 256, (bx * 53 + by * 149 + 20) % 256))
    return im


def tiff(entries, little=True):
    """A TIFF structure with one directory of (tag, type, count, 4 bytes of value) entries."""
    e = "<" if little else ">"
    out = (b"II" if little else b"MM") + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        out += struct.pack(e + "HHI", tag, kind, count) + value
    return out + struct.pack(e + "I", 0)


def short(v, little=True):
    return struct.pack("<HH" if little else ">HH", v, 0)


def orientation(v, little=True):
    return tiff([(0x0112, 3, 1, short(v, little))], little)


MODEL_ONLY = tiff([(0x0110, 2, 4, b"cam\0")])  # an EXIF block with no orientation tag


def xmp(v, element=False):
    inner = f"<tiff:Orientation>{v}</tiff:Orientation>" if element else f'tiff:Orientation="{v}"'
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" {"" if element else inner}>'
        f'{inner if element else ""}</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode()


def raw_profile(exif):
    data = b"Exif\0\0" + exif
    return f"\nexif\n{len(data):8d}\n{data.hex()}\n".encode()


# PNG


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(before=(), after=()):
    buf = io.BytesIO()
    picture().save(buf, "PNG")
    data = buf.getvalue()
    out, i = data[:8], 8
    while i < len(data):
        n = struct.unpack(">I", data[i : i + 4])[0]
        kind = data[i + 4 : i + 8]
        if kind == b"IDAT":
            out += b"".join(chunk(k, d) for k, d in before)
        if kind == b"IEND":
            out += b"".join(chunk(k, d) for k, d in after)
        out += data[i : i + 12 + n]
        i += 12 + n
    return out


def itxt(key, text, compressed=False):
    body = zlib.compress(text) if compressed else text
    return (b"iTXt", key + b"\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0" + body)


def ztxt(key, text):
    return (b"zTXt", key + b"\0\0" + zlib.compress(text))


def text(key, value):
    return (b"tEXt", key + b"\0" + value)


# WebP


def webp(exif=None, xmp_packet=None):
    buf = io.BytesIO()
    picture().save(buf, "WEBP", lossless=True)
    data = buf.getvalue()
    assert data[12:16] == b"VP8L"
    image = data[12:]
    flags = (0x08 if exif is not None else 0) | (0x04 if xmp_packet is not None else 0)
    vp8x = struct.pack("<B3x", flags) + (WIDTH - 1).to_bytes(3, "little") + (HEIGHT - 1).to_bytes(3, "little")

    def riff_chunk(kind, payload):
        return kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")

    body = b"WEBP" + riff_chunk(b"VP8X", vp8x) + image
    if exif is not None:
        body += riff_chunk(b"EXIF", exif)
    if xmp_packet is not None:
        body += riff_chunk(b"XMP ", xmp_packet)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# JPEG


def jpeg(*segments):
    buf = io.BytesIO()
    picture().resize((WIDTH * 4, HEIGHT * 4), Image.NEAREST).save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    app1 = b"".join(b"\xff\xe1" + struct.pack(">H", len(s) + 2) + s for s in segments)
    return data[:2] + app1 + data[2:]


XMP_SEGMENT = b"http://ns.adobe.com/xap/1.0/\0"


def cases():
    for v in range(1, 9):
        yield f"png-exif-{v}.png", png([(b"eXIf", orientation(v))])
    yield "png-exif-after-image-data-6.png", png(after=[(b"eXIf", orientation(6))])
    yield "png-exif-prefixed-6.png", png([(b"eXIf", b"Exif\0\0" + orientation(6))])
    yield "png-exif-big-endian-8.png", png([(b"eXIf", orientation(8, little=False))])
    yield "png-exif-long-5.png", png([(b"eXIf", tiff([(0x0112, 4, 1, struct.pack("<I", 5))]))])
    yield "png-exif-twice-6-then-3.png", png([(b"eXIf", orientation(6)), (b"eXIf", orientation(3))])
    yield "png-exif-0.png", png([(b"eXIf", orientation(0))])
    yield "png-exif-9.png", png([(b"eXIf", orientation(9))])
    yield "png-text-exif-7.png", png([text(b"exif", b"Exif\0\0" + orientation(7))])
    yield "png-raw-profile-text-6.png", png([text(b"Raw profile type exif", raw_profile(orientation(6)))])
    yield "png-raw-profile-ztxt-8.png", png([ztxt(b"Raw profile type exif", raw_profile(orientation(8)))])
    # 800,000 hex digits from a stream of about a thousand bytes: inflated in growing room.
    yield "png-raw-profile-ztxt-large-5.png", png(
        [ztxt(b"Raw profile type exif", raw_profile(orientation(5) + bytes(400_000)))])
    yield "png-raw-profile-itxt-3.png", png(
        after=[itxt(b"Raw profile type exif", raw_profile(orientation(3)), compressed=True)])
    yield "png-exif-wins-over-raw-profile.png", png(
        [(b"eXIf", orientation(6)), text(b"Raw profile type exif", raw_profile(orientation(3)))])
    yield "png-xmp-itxt-6.png", png([itxt(b"XML:com.adobe.xmp", xmp(6))])
    yield "png-xmp-itxt-compressed-element-8.png", png([itxt(b"XML:com.adobe.xmp", xmp(8, element=True), True)])
    yield "png-xmp-ztxt-5.png", png(after=[ztxt(b"XML:com.adobe.xmp", xmp(5))])
    yield "png-xmp-text-2.png", png([text(b"XML:com.adobe.xmp", xmp(2))])
    yield "png-exif-1-hides-xmp-8.png", png([(b"eXIf", orientation(1)), itxt(b"XML:com.adobe.xmp", xmp(8))])
    yield "png-exif-without-tag-lets-xmp-6.png", png([(b"eXIf", MODEL_ONLY), itxt(b"XML:com.adobe.xmp", xmp(6))])
    yield "png-exif-and-xmp-both-7-and-3.png", png([(b"eXIf", orientation(7)), itxt(b"XML:com.adobe.xmp", xmp(3))])
    yield "png-no-metadata.png", png()

    yield "webp-exif-6.webp", webp(exif=orientation(6))
    yield "webp-exif-prefixed-8.webp", webp(exif=b"Exif\0\0" + orientation(8))
    yield "webp-exif-big-endian-3.webp", webp(exif=orientation(3, little=False))
    yield "webp-xmp-5.webp", webp(xmp_packet=xmp(5))
    yield "webp-exif-1-hides-xmp-8.webp", webp(exif=orientation(1), xmp_packet=xmp(8))
    yield "webp-exif-without-tag-lets-xmp-7.webp", webp(exif=MODEL_ONLY, xmp_packet=xmp(7))

    yield "jpeg-exif-6.jpg", jpeg(b"Exif\0\0" + orientation(6))
    yield "jpeg-xmp-8.jpg", jpeg(XMP_SEGMENT + xmp(8))
    yield "jpeg-exif-without-tag-lets-xmp-5.jpg", jpeg(b"Exif\0\0" + MODEL_ONLY, XMP_SEGMENT + xmp(5))
    yield "jpeg-second-exif-segment-not-read.jpg", jpeg(b"Exif\0\0" + MODEL_ONLY, b"Exif\0\0" + orientation(6))
    yield "jpeg-last-xmp-segment-read.jpg", jpeg(XMP_SEGMENT + xmp(6), XMP_SEGMENT + b"<x:xmpmeta/>")
    yield "jpeg-xmp-element-7.jpg", jpeg(XMP_SEGMENT + xmp(7, element=True))


def bad_crc(data):
    """The PNG `data` with the CRC of its eXIf chunk changed."""
    i = data.index(b"eXIf") + 4
    n = struct.unpack(">I", data[i - 8 : i - 4])[0]
    return data[: i + n] + bytes(b ^ 0xFF for b in data[i + n : i + n + 4]) + data[i + n + 4 :]


def apng(before=()):
    buf = io.BytesIO()
    frames = [picture(), ImageOps.invert(picture())]
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=100)
    data = buf.getvalue()
    i = data.index(b"IDAT") - 4
    while data[i + 4 : i + 8] != b"acTL" and i > 8:
        i -= 1
    return data[:i] + b"".join(chunk(k, d) for k, d in before) + data[i:]


def unturned_cases():
    """Files Bulwark decodes as stored, not turned, where Pillow refuses them, reads them
    otherwise, or turns only the frame it shows (an animation)."""
    yield "png-exif-bad-crc-6.png", bad_crc(png([(b"eXIf", orientation(6))]))
    yield "png-raw-profile-past-the-limit-6.png", png(
        [ztxt(b"Raw profile type exif", raw_profile(orientation(6) + bytes(600_000)))])
    yield "png-raw-profile-not-hex-6.png", png(
        [text(b"Raw profile type exif", raw_profile(orientation(6)).replace(b"\n457869", b"\n45zz69"))])
    yield "png-exif-cut-directory.png", png([(b"eXIf", orientation(6)[:12])])
    yield "png-exif-not-tiff.png", png([(b"eXIf", b"not a tiff structure")])
    yield "png-xmp-itxt-unknown-method-6.png", png([(b"iTXt", b"XML:com.adobe.xmp\0\1\7\0\0" + xmp(6))])
    yield "webp-exif-not-tiff.webp", webp(exif=b"II*\0\xff\xff\xff\x7f")
    yield "jpeg-exif-cut-directory.jpg", jpeg(b"Exif\0\0" + orientation(6)[:12])
    yield "apng-exif-6.png", apng([(b"eXIf", orientation(6))])


def pdq(image):
    """pdqhash's hash (hex) and quality of an RGB image."""
    import numpy
    import pdqhash

    bits, quality = pdqhash.compute(numpy.asarray(image))
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:064x}", int(quality)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--hashes", action="store_true", help="add pdqhash's hashes as shown and as stored")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data", for the cut blocks
    for name, data in cases():
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(data)
        with Image.open(path) as im:
            shown = ImageOps.exif_transpose(im).convert("RGB")
        ppm = path + ".ppm"
        shown.save(ppm, format="PPM")
        row = {"name": name, "file": path, "ppm": ppm, "width": shown.width, "height": shown.height,
               "lossy": name.endswith(".jpg")}
        if args.hashes:
            with Image.open(path) as im:
                stored = im.convert("RGB")
            row["pdq"], row["quality"] = pdq(shown)
            row["stored_pdq"], row["stored_quality"] = pdq(stored)
        print(json.dumps(row), flush=True)
    for name, data in unturned_cases():
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            with Image.open(path) as im:
                stored = im.convert("RGB")
                pillow = "turned" if ImageOps.exif_transpose(im).size != im.size or ImageOps.exif_transpose(im).convert("RGB").tobytes() != stored.tobytes() else "not turned"
        except Exception as error:  # noqa: BLE001 - what Pillow does is recorded, not judged
            stored, pillow = None, f"refused ({type(error).__name__})"
        if stored is None:
            stored = picture() if not name.endswith(".jpg") else None
        if stored is None:
            with Image.open(io.BytesIO(jpeg())) as im:
                stored = im.convert("RGB")
        ppm = path + ".ppm"
        stored.save(ppm, format="PPM")
        row = {"name": name, "file": path, "ppm": ppm, "width": stored.width, "height": stored.height,
               "lossy": name.endswith(".jpg"), "unturned": True, "pillow": pillow}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

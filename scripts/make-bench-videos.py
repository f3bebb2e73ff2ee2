#!/usr/bin/env python3
"""Videos for `bulwark bench --pdq DIR`: a minute (by default) of slow pans and zooms over shared
images, a new image every 5 s, as a platform's uploads look: H.264 in MP4 at 1080p, 720p and 480p,
VP9 in WebM at 720p, 30 frames a second, each encoder's default quality. Not used by the tests.

Needs PyAV (`av`), numpy and Pillow (scripts/setup.sh installs them).

Usage: scripts/make-bench-videos.py --out DIR [--seconds 60] [--data DIR] [--only NAME] [--keyint N]
"""
import argparse
import glob
import os
import sys

try:
    import av
    import numpy as np
    from PIL import Image
except ImportError as e:
    sys.exit(f"make-bench-videos: {e}; run scripts/setup.sh")

av.logging.set_level(av.logging.PANIC)


def frames(sources, size, seconds, fps):
    """Each source for 5 s, cropped ever tighter and moving across it (a pan and a zoom)."""
    w, h = size
    per = 5 * fps
    for n in range(seconds * fps):
        image = sources[(n // per) % len(sources)]
        t = (n % per) / per
        zoom = 1.0 - 0.25 * t
        cw, ch = image.width * zoom, image.width * zoom * h / w
        ch = min(ch, image.height * zoom)
        cw = ch * w / h
        x = (image.width - cw) * t
        y = (image.height - ch) * (1 - t) / 2
        yield image.resize(size, Image.Resampling.BILINEAR, box=(x, y, x + cw, y + ch))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "pdq"))
    parser.add_argument("--only", help="write this video alone (1080p-h264.mp4, ...)")
    parser.add_argument("--keyint", type=int, default=0,
                        help="a key frame every N frames (as phones record: 30, a second); default the encoder's")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sources = [Image.open(p).convert("RGB") for p in sorted(glob.glob(os.path.join(args.data, "**", "*.jpg"), recursive=True))[::7][:12]]
    fps = 30
    for name, fmt, codec, size in [
        ("1080p-h264.mp4", "mp4", "libx264", (1920, 1080)),
        ("720p-h264.mp4", "mp4", "libx264", (1280, 720)),
        ("480p-h264.mp4", "mp4", "libx264", (854, 480)),
        ("720p-vp9.webm", "webm", "libvpx-vp9", (1280, 720)),
    ]:
        if args.only and args.only != name:
            continue
        path = os.path.join(args.out, name)
        out = av.open(path, "w", format=fmt)
        options = {"deadline": "realtime", "cpu-used": "8"} if codec == "libvpx-vp9" else {}
        if args.keyint and codec == "libx264":
            options["x264-params"] = f"keyint={args.keyint}:min-keyint={args.keyint}"
        elif args.keyint:
            options["g"] = str(args.keyint)
        stream = out.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for n, image in enumerate(frames(sources, size, args.seconds, fps)):
            frame = av.VideoFrame.from_image(image)
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

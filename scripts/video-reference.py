#!/usr/bin/env python3
"""Videos and reference PDQ hashes of their frames for the media tests, from `pdqhash` (Meta's C++
code) on the frames PyAV (FFmpeg) decodes, converted to RGB as `frame.to_ndarray(format="rgb24")`
gives them.

From 3 shared JPEGs under DATA (default ../shared/data/pdq beside the repository: the first ones in
sorted order of PDQ quality 80 or more at 320x240, more than 64 bits apart), writes into OUT one video per codec Bulwark
decodes (H.264 and MPEG-4 Part 2 in MP4, VP8 and VP9 in WebM, H.265 and AV1 in Matroska), 320x240,
each showing a flat grey title card for 2 s and one frame, picture A until 4 s, A's mirror image for
2 s, picture B for 3 s and picture C for 1 s, at various frame rates; one at half a frame a second (the same
without C, B for 4 s: five frames, 2 s apart); and a long one (250 s at 1 frame a second, 64x48). For each, the frames at each whole second as Bulwark
samples them: frame k is the first whose time, counted from the first frame's, is at least k
seconds (at least k x S seconds for the long one, S = 3); and two with a key frame every 2 s
(H.264 in MP4, VP9 in WebM, and that VP9 as a live recording writes it, without cues or a
duration; 40 s of small pictures), for stills read from a key frame. Prints one JSON line per video:

  {"path", "codec", "width", "height", "seconds_per_frame",
   "frames": [{"time", "pdq", "quality", "shows"}, ...]}

"shows" is the pdqhash of the picture on screen at the frame's time (the title card's is that of the
flat grey image), at the video's size, before encoding. Also writes an audio-only WebM (no video
stream), printed as {"path", "codec": null}.

Needs PyAV (`av`), pdqhash, numpy and Pillow (scripts/setup.sh installs them).

With --frames, also writes each of those frames as PyAV gives it, beside its video: NAME.frame-K.ppm.

Usage: scripts/video-reference.py --out DIR [--data DIR] [--only NAME] [--frames]
       (NAME: h264.mp4, ...; that video alone)
"""
import argparse
import fractions
import glob
import json
import os
import sys

try:
    import av
    import numpy as np
    import pdqhash
    from PIL import Image
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"video-reference: {e}; run scripts/setup.sh (it installs av, pdqhash, numpy and Pillow)")

av.logging.set_level(av.logging.PANIC)
os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1: errors only


def to_hex(bits):
    return "%064x" % int("".join("1" if b else "0" for b in bits), 2)


def pdq(rgb):
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return to_hex(bits), int(quality)


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


F = fractions.Fraction


class Pipe:
    """A file written as a pipe is: no seeking back, so a Matroska muxer writes neither cues (its
    index) nor a duration, as a browser recording a live WebM does."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data)
        return len(data)


def write(path, container, codec, fps, scenes, size, options=None, pix_fmt="yuv420p", live=False):
    """Encodes `scenes` ([(picture, seconds)]) at `fps` frames a second (a Fraction); `live`:
    through a `Pipe`."""
    if live:
        with open(path, "wb") as file:
            return write_to(Pipe(file), container, codec, fps, scenes, size, options, pix_fmt)
    write_to(path, container, codec, fps, scenes, size, options, pix_fmt)


def write_to(path, container, codec, fps, scenes, size, options, pix_fmt):
    out = av.open(path, "w", format=container)
    stream = out.add_stream(codec, rate=fps, options=options or {})
    stream.width, stream.height = size
    stream.pix_fmt = pix_fmt
    stream.time_base = 1 / fps
    n = 0
    for picture, seconds in scenes:
        for _ in range(int(F(seconds) * fps)):
            frame = av.VideoFrame.from_image(picture)
            frame.pts = n
            n += 1
            for packet in stream.encode(frame):
                out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


# Display matrices as an MP4 track states them ((p, q) -> (a p + c q + x, b p + d q + y), 16.16
# fixed point), each with the PIL transpose that undoes it: the video stores the picture undone,
# so that the matrix applied shows it upright. (name, a, b, c, d, rotation clockwise, mirrored, undo)
TURNS = [
    ("turned-90.mp4", 0, 1, -1, 0, 90, False, "ROTATE_90"),  # a phone held upright
    ("turned-180.mp4", -1, 0, 0, -1, 180, False, "ROTATE_180"),
    ("turned-270.mp4", 0, -1, 1, 0, 270, False, "ROTATE_270"),
    ("mirrored.mp4", -1, 0, 0, 1, 0, True, "FLIP_LEFT_RIGHT"),
    ("transposed.mp4", 0, 1, 1, 0, 270, True, "TRANSPOSE"),
    # 30 degrees clockwise: not a right angle, so not applied (the picture is stored upright).
    ("turned-30.mp4", 0.866025, 0.5, -0.5, 0.866025, 0, False, None),
]


def set_track_matrix(path, a, b, c, d, width, height):
    """Rewrites the matrix of the MP4's only track header (`tkhd`) in place; width and height are
    the coded picture's."""
    data = bytearray(open(path, "rb").read())
    at = data.find(b"tkhd")
    if at < 0 or data.find(b"tkhd", at + 4) >= 0:
        sys.exit(f"video-reference: {path} has no single tkhd box")
    version = data[at + 4]
    matrix = at + 4 + 4 + (32 if version == 1 else 20) + 8 + 8
    one = 1 << 16
    x = (width if a < 0 else 0) + (height if c < 0 else 0)
    y = (width if b < 0 else 0) + (height if d < 0 else 0)
    values = [round(v * one) for v in (a, b, 0, c, d, 0, x, y)] + [1 << 30]
    for i, v in enumerate(values):
        data[matrix + 4 * i:matrix + 4 * i + 4] = (v & 0xFFFFFFFF).to_bytes(4, "big")
    open(path, "wb").write(data)


def sampled(path, seconds_per_frame):
    """The frame at each multiple of `seconds_per_frame`, as PyAV decodes and converts them."""
    frames = []
    with av.open(path) as video:
        origin = None
        for frame in video.decode(video=0):
            time = float(frame.pts * frame.time_base)
            origin = time if origin is None else origin
            time -= origin
            while time + 1e-3 >= len(frames) * seconds_per_frame:
                frames.append((time, frame.to_ndarray(format="rgb24")))
    return frames


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "pdq"))
    parser.add_argument("--only", help="write this video alone")
    parser.add_argument("--frames", action="store_true", help="also write PyAV's frames, NAME.frame-K.ppm")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    wanted = lambda name: args.only is None or args.only == name
    size = (320, 240)
    pictures, hashes = [], []
    for source in sorted(glob.glob(os.path.join(args.data, "**", "*.jpg"), recursive=True)):
        picture = Image.open(source).convert("RGB").resize(size, Image.Resampling.BILINEAR)
        h, quality = pdq(np.asarray(picture))
        if quality >= 80 and all(distance(h, other) > 64 for other in hashes):
            pictures.append(picture)
            hashes.append(h)
        if len(pictures) == 3:
            break
    if len(pictures) < 3:
        sys.exit(f"video-reference: fewer than 3 distinct JPEGs under {args.data}")
    a, b, c = pictures
    grey = Image.new("RGB", size, (128, 128, 128))
    mirror = a.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    def scenes(fps):
        # The title card lasts one frame past 2 s, so that the frame at 2 s is still the title
        # card and the one after it is not: a frame taken late would show A.
        return [(grey, 2 + 1 / F(fps)), (a, 2 - 1 / F(fps)), (mirror, 2), (b, 3), (c, 1)]

    videos = [
        ("h264.mp4", "mp4", "libx264", 25, None, scenes(25)),
        ("mpeg4.mp4", "mp4", "mpeg4", 25, None, scenes(25)),
        ("vp8.webm", "webm", "libvpx", 20, None, scenes(20)),
        ("vp9.webm", "webm", "libvpx-vp9", 30, None, scenes(30)),
        ("hevc.mkv", "matroska", "libx265", 24, {"x265-params": "log-level=none"}, scenes(24)),
        ("av1.mkv", "matroska", "libsvtav1", 25, {"svtav1-params": "log-level=0"}, scenes(25)),
        ("slow-h264.mp4", "mp4", "libx264", F(1, 2), None, [(grey, 2), (a, 2), (mirror, 2), (b, 4)]),
    ]

    def on_screen(scenes, time):
        start = 0
        for picture, seconds in scenes:
            if time < start + seconds - 1e-3:
                return picture
            start += seconds
        return scenes[-1][0]

    def reference(path, codec, size, shown):
        """Prints the video's line: its frame at each second, with PyAV's frames beside it when
        --frames."""
        frames = []
        for k, (time, rgb) in enumerate(sampled(path, 1)):
            if args.frames:
                with open(f"{path}.frame-{k}.ppm", "wb") as f:
                    f.write(b"P6\n%d %d\n255\n" % (rgb.shape[1], rgb.shape[0]) + rgb.tobytes())
            h, q = pdq(rgb)
            frames.append({"time": round(time, 6), "pdq": h, "quality": q,
                           "shows": pdq(np.asarray(on_screen(shown, time)))[0]})
        print(json.dumps({"path": path, "codec": codec, "width": size[0], "height": size[1], "seconds_per_frame": 1,
                          "frames": frames}))

    for name, container, codec, fps, options, shown in videos:
        if not wanted(name):
            continue
        path = os.path.join(args.out, name)
        write(path, container, codec, fractions.Fraction(fps), shown, size, options)
        reference(path, codec, size, shown)
    # Turned: a lossless H.264 video (4:4:4, so each pixel is converted alone and a turn commutes
    # with the conversion) of A, B and C a second each, and the same stored turned or mirrored with
    # a track matrix that puts it back upright. Each turned one's frames are expected to be the
    # upright one's frames as PyAV gives them; "pyav_rotation" is what PyAV (FFmpeg 8) reads of the
    # matrix (counterclockwise degrees, FFmpeg's convention), a check on the matrix written.
    lossless = {"qp": "0", "preset": "ultrafast"}
    upright_scenes = [(a, 1), (b, 1), (c, 1)]
    upright = os.path.join(args.out, "upright.mp4")
    if wanted("upright.mp4") or any(wanted(t[0]) for t in TURNS):
        write(upright, "mp4", "libx264", F(5), upright_scenes, size, lossless, "yuv444p")
        frames = []
        for k, (time, rgb) in enumerate(sampled(upright, 1)):
            with open(f"{upright}.frame-{k}.ppm", "wb") as f:
                f.write(b"P6\n%d %d\n255\n" % (rgb.shape[1], rgb.shape[0]) + rgb.tobytes())
            h, q = pdq(rgb)
            frames.append({"time": round(time, 6), "pdq": h, "quality": q, "shows": pdq(np.asarray(on_screen(upright_scenes, time)))[0]})
        print(json.dumps({"path": upright, "codec": "libx264", "width": size[0], "height": size[1],
                          "seconds_per_frame": 1, "frames": frames}))
    for name, ma, mb, mc, md, rotation, mirrored, undo in TURNS:
        if not wanted(name):
            continue
        path = os.path.join(args.out, name)
        stored = [(p.transpose(getattr(Image.Transpose, undo)) if undo else p, s) for p, s in upright_scenes]
        write(path, "mp4", "libx264", F(5), stored, stored[0][0].size, lossless, "yuv444p")
        set_track_matrix(path, ma, mb, mc, md, *stored[0][0].size)
        with av.open(path) as video:
            frame = next(video.decode(video=0))
            pyav_rotation = getattr(frame, "rotation", None)
        print(json.dumps({"path": path, "codec": "libx264", "width": size[0], "height": size[1],
                          "seconds_per_frame": 1, "upright": upright, "rotation": rotation, "mirrored": mirrored,
                          "pyav_rotation": pyav_rotation, "frames": []}))
    # Key frames every 2 s (50 frames at 25 a second, with B-frames in H.264): 40 small random
    # pictures a second each, for the console's stills of later frames, which move to the key
    # frame before the frame instead of decoding from the start; the VP9 also as a live
    # recording writes it (no cues, no duration).
    keyed_rng = np.random.default_rng(11)
    for name, container, codec, options, live in [
        ("keyed-h264.mp4", "mp4", "libx264", {"g": "50", "x264-params": "keyint=50:min-keyint=50:scenecut=0"}, False),
        ("keyed-vp9.webm", "webm", "libvpx-vp9", {"g": "50"}, False),
        ("keyed-vp9-live.webm", "webm", "libvpx-vp9", {"g": "50"}, True),
    ]:
        if not wanted(name):
            continue
        keyed_scenes = [(Image.fromarray(keyed_rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((64, 48)), 1) for _ in range(40)]
        path = os.path.join(args.out, name)
        write(path, container, codec, fractions.Fraction(25), keyed_scenes, (64, 48), options, live=live)
        reference(path, codec, (64, 48), keyed_scenes)
    # The long one: 250 pictures of a second each, small; sampled every 3 s.
    if not wanted("long-h264.mp4"):
        return
    small = (64, 48)
    rng = np.random.default_rng(7)
    long_scenes = [(Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize(small), 1) for _ in range(250)]
    path = os.path.join(args.out, "long-h264.mp4")
    write(path, "mp4", "libx264", fractions.Fraction(1), long_scenes, small)
    frames = []
    for k, (time, rgb) in enumerate(sampled(path, 3)):
        h, q = pdq(rgb)
        frames.append({"time": round(time, 6), "pdq": h, "quality": q,
                       "shows": pdq(np.asarray(long_scenes[min(3 * k, 249)][0]))[0]})
    print(json.dumps({"path": path, "codec": "libx264", "width": small[0], "height": small[1], "seconds_per_frame": 3,
                      "frames": frames}))
    # No video stream: Opus audio only.
    path = os.path.join(args.out, "audio-only.webm")
    out = av.open(path, "w", format="webm")
    stream = out.add_stream("libopus", rate=48000)
    samples = np.zeros((1, 960 * 50), dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = 48000
    for packet in stream.encode(frame):
        out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    print(json.dumps({"path": path, "codec": None}))


if __name__ == "__main__":
    main()

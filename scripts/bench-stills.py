#!/usr/bin/env python3
"""Times the console's stills of a video (or an animation) as `bulwark media-decoder` makes them:
asks one child for frames 0 to N-1 one after the other, as the console would, and prints each
frame's time and a digest of the PNG (or the answer line when it is not shown), then the total.
Given two binaries (`--before`), runs both and says whether every still is the same bytes.

Usage: scripts/bench-stills.py VIDEO [--frames N] [--only K,K,...] [--bin PATH] [--before PATH]
       (default --bin: .build/release/bulwark; VIDEO from scripts/make-bench-videos.py, say)
"""
import argparse
import hashlib
import os
import struct
import subprocess
import sys
import time


def stills(binary, data, frames):
    """[(frame, seconds, digest, size)] for each frame asked of one decoder child, in order."""
    child = subprocess.Popen([binary, "media-decoder", "--max-bytes", str(max(len(data), 1))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = []
    for n in frames:
        start = time.monotonic()
        # The request header: 8 bytes of length, 1 for a still, 3 zeros, 4 bytes of frame number.
        child.stdin.write(struct.pack("<QB3xI", len(data), 1, n) + data)
        child.stdin.flush()
        line = b""
        while not line.endswith(b"\n"):
            byte = child.stdout.read(1)
            if not byte:
                sys.exit(f"bench-stills: {binary} media-decoder ended at frame {n}")
            line += byte
        body = child.stdout.read(int(line.split()[1])) if line.startswith(b"png ") else line
        out.append((n, time.monotonic() - start, hashlib.sha256(body).hexdigest()[:16], len(body)))
    child.stdin.close()
    child.wait()
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--only", help="these frames alone, comma-separated, each asked of a new child")
    parser.add_argument("--bin", default=os.path.join(root, ".build", "release", "bulwark"))
    parser.add_argument("--before", help="another bulwark binary to compare with")
    args = parser.parse_args()
    data = open(args.video, "rb").read()
    binaries = [args.bin] + ([args.before] if args.before else [])
    results = {}
    for binary in binaries:
        if args.only:
            got = [stills(binary, data, [int(k)])[0] for k in args.only.split(",")]
        else:
            got = stills(binary, data, range(args.frames))
        results[binary] = got
        print(f"== {binary}")
        for n, seconds, digest, size in got:
            print(f"frame {n}: {seconds * 1000:.0f} ms, {size} bytes, {digest}")
        print(f"total {sum(g[1] for g in got):.1f} s")
    if args.before:
        same = [a[2] for a in results[args.bin]] == [b[2] for b in results[args.before]]
        print("every still the same bytes" if same else "STILLS DIFFER")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""ThreatExchange's vPDQ hash of each video given, as HMA stores and shares it: one line per video,
the signal string (a JSON array of "hex,quality,seconds" strings, the seconds written with three
significant digits as python-threatexchange writes them), from `vpdq.computeHash` (Meta's C++
hasher through Debian's FFmpeg) at a frame a second.

The banks' vPDQ tests bank these, as a partner's hash list would hold them, and match Bulwark's
own hashes of the videos against them. Needs vpdq (`scripts/setup.sh --references` builds it).

Usage: scripts/vpdq-reference.py VIDEO...
"""
import json
import sys

try:
    import vpdq
except ImportError as e:  # the test reports this message as its failure
    sys.exit(f"vpdq-reference: {e}; run scripts/setup.sh --references (it builds vpdq)")

if len(sys.argv) < 2:
    sys.exit(__doc__)
for path in sys.argv[1:]:
    features = vpdq.computeHash(path, seconds_per_hash=1.0)
    if not features:
        sys.exit(f"vpdq-reference: {path}: vpdq gave no frames")
    print(json.dumps([f"{f.hex},{f.quality},{f.timestamp:.3}" for f in features]))

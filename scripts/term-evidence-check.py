#!/usr/bin/env python3
"""Do the words a verdict names (evidence of kind `term`) carry its score?

For every item the classifier flags with `term` evidence, scans the item again twice: without
the first word named, and without one word not named (drawn at random, seeded). Reports how
often taking out the named word lowers the score, how often it lowers it more than taking out
the other word, and how often the item falls below the review threshold either way.

    python3 scripts/term-evidence-check.py [--bulwark PATH] FILE.jsonl ...

Offsets in the evidence count Unicode scalars, as Python's str indexes do.
"""
import argparse
import json
import random
import statistics
import subprocess
import tempfile


def scan(bulwark, items):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
        path = f.name
    out = subprocess.run([bulwark, "scan", path], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def words(text):
    """(start, end) of each run of non-space characters."""
    spans, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        j = i
        while j < len(text) and not text[j].isspace():
            j += 1
        spans.append((i, j))
        i = j
    return spans


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--bulwark", default=".build/release/bulwark")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--review", type=float, default=0.55)
    args = parser.parse_args()
    random.seed(args.seed)

    items = []
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            items += [{"id": d["id"], "text": d["text"]} for d in map(json.loads, filter(str.strip, f))]
    verdicts = scan(args.bulwark, items)

    variants, cases = [], []
    for item, verdict in zip(items, verdicts):
        terms = [e for e in verdict["evidence"] if e["kind"] == "term"]
        if not terms:
            continue
        text = item["text"]
        named = [(e["start"], e["end"]) for e in terms]
        top = named[0]
        others = [w for w in words(text) if not any(s < w[1] and w[0] < e for s, e in named)]
        variants.append({"id": item["id"] + "#named", "text": text[: top[0]] + text[top[1]:]})
        other = random.choice(others) if others else None
        if other:
            variants.append({"id": item["id"] + "#other", "text": text[: other[0]] + text[other[1]:]})
        cases.append((item["id"], verdict["score"], other is not None))
    scores = {v["id"]: v["score"] for v in scan(args.bulwark, variants)}

    n = len(cases)
    if n == 0:
        print("no item has term evidence")
        return
    named_drop = [score - scores[i + "#named"] for i, score, _ in cases]
    paired = [(score - scores[i + "#named"], score - scores[i + "#other"]) for i, score, has in cases if has]
    lowered = sum(d > 0 for d in named_drop)
    larger = sum(a > b for a, b in paired)
    below_named = sum(scores[i + "#named"] < args.review for i, _, _ in cases)
    below_other = sum(scores[i + "#other"] < args.review for i, _, has in cases if has)
    print(f"{len(items)} items scanned, {n} with term evidence")
    print(f"without the first word named: score lower for {lowered} ({100 * lowered / n:.1f}%), "
          f"median drop {statistics.median(named_drop):.4f}, mean {statistics.mean(named_drop):.4f}; "
          f"below review {below_named}")
    others = [b for _, b in paired]
    print(f"without a word not named ({len(paired)} items): median drop {statistics.median(others):.4f}, "
          f"mean {statistics.mean(others):.4f}; below review {below_other}")
    print(f"the named word's drop larger: {larger} of {len(paired)} ({100 * larger / len(paired):.1f}%)")


if __name__ == "__main__":
    main()

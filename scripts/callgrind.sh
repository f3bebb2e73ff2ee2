#!/bin/bash
# Instructions per item of decode + scan + encode under callgrind (repeatable on a loaded machine).
#
# valgrind 3.19 (Debian 12) aborts while reading the symbols of the toolchain's lib_FoundationICU.so,
# which `bulwark` links, so this builds a small harness from the release objects of BulwarkCore and
# BulwarkText (no Foundation) that does what `bulwark scan` does per item, and prints a checksum of
# the encoded verdicts (equal checksums: byte-identical output). Needs a release build first
# (`swift build -c release --product bulwark`).
#
#   scripts/callgrind.sh CORPUS.jsonl     (e.g. from `bulwark bench --items 20000 --write-corpus`)
#
# Per item: (Ir of CORPUS - Ir of its first line alone) / (items - 1); the one-line run is the cost
# of loading the models.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$1
R=.build/x86_64-unknown-linux-gnu/release
out=${TMPDIR:-/tmp}/bulwark-callgrind
mkdir -p "$out/m" "$out/hints"
# CTextKernels: a module map beside its header lets swiftc import it; its C file is compiled
# apart and linked in.
printf 'module CTextKernels {\n    header "%s/Sources/CTextKernels/include/CTextKernels.h"\n    export *\n}\n' "$PWD" \
    > "$out/hints/module.modulemap"
clang -O2 -c Sources/CTextKernels/halves.c -I Sources/CTextKernels/include -o "$out/halves.o"
swiftc -O -wmo -parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny \
    -enable-upcoming-feature MemberImportVisibility -enable-upcoming-feature InternalImportsByDefault \
    -module-name BulwarkText -I $R/Modules -I "$out/hints" -emit-module -emit-module-path "$out/m/BulwarkText.swiftmodule" \
    -c Sources/BulwarkText/*.swift -o "$out/BulwarkText.o" 2> >(grep -v '^warning' >&2 || true)
swiftc -O -swift-version 6 -I "$out/m" -I "$out/hints" -I $R/Modules scripts/callgrind/harness.swift $R/BulwarkCore.build/*.o \
    "$out/BulwarkText.o" "$out/halves.o" -o "$out/harness"
head -1 "$corpus" > "$out/one.jsonl"
items=$(wc -l < "$corpus")
"$out/harness" "$corpus" "$PWD"
ir() { valgrind --tool=callgrind --callgrind-out-file="$out/$2" "$out/harness" "$1" "$PWD" 2>&1 | sed -n 's/.*refs: *//p' | tr -d ,; }
all=$(ir "$corpus" callgrind.all)
one=$(ir "$out/one.jsonl" callgrind.one)
echo "items $items; Ir $all (loading alone $one); per item $(( (all - one) / (items - 1) ))"
echo "profile: callgrind_annotate $out/callgrind.all"

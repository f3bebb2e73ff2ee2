#!/usr/bin/env bash
# Coverage-guided fuzzing of Bulwark's parsers of untrusted bytes with libFuzzer (docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [SECONDS]      (default 60 seconds)
#
# TARGET is one of: image-decoder, video-decoder, decoder-wire, pdq-hasher, signal-file, pdq-index, bank-snapshot,
# bank-log-line, json-syntax, text-engine, semantic.
#
# Builds the Fuzz/ package (its own package: none of it enters the main build or `swift test`)
# with libFuzzer and AddressSanitizer, seeds .build/fuzz-corpus/TARGET (kept between runs, never
# committed) from the repository's fixtures or from small valid files the library writes, runs one
# fuzzing job for SECONDS and prints libFuzzer's summary. Inputs that crash, leak, time out or run
# out of memory are written to .build/fuzz-artifacts/TARGET/ and the script exits non-zero.
# Repeatable from a clean clone; extra arguments after SECONDS go to libFuzzer.
#
# FUZZ_CONFIGURATION=debug builds at -Onone instead of -O (release): the same checks (Swift's bounds,
# overflow and precondition traps stay in -O builds; the libraries use no `assert`), but 10 to 30
# times slower, so that large legitimate inputs hit the 10-second timeout (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The text engine's target loads the repository's lexicons and models from here.
export BULWARK_HOME=$ROOT

TARGETS=(image-decoder video-decoder decoder-wire pdq-hasher signal-file pdq-index bank-snapshot bank-log-line json-syntax text-engine semantic)
usage() {
    echo "usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags...]; TARGET: ${TARGETS[*]}" >&2
    exit 2
}
[ $# -ge 1 ] || usage
TARGET=$1
shift
DURATION=${1:-60}
[ $# -ge 1 ] && shift
[[ " ${TARGETS[*]} " == *" $TARGET "* ]] || usage
[[ "$DURATION" =~ ^[0-9]+$ ]] || usage

SCRATCH=$ROOT/.build/fuzz
PACKAGE=$ROOT/Fuzz
# SwiftPM names a path dependency after its directory, so in a checkout whose directory is called
# "fuzz" the dependency `..` would be the same package as Fuzz/ itself. There, build from a tree of
# hard links to the sources under .build (same files, same inodes: builds stay incremental).
if [ "$(basename "$ROOT" | tr '[:upper:]' '[:lower:]')" = fuzz ]; then
    STAGE=$ROOT/.build/fuzz-stage/bulwark
    rm -rf "$STAGE/Sources" "$STAGE/Fuzz/Sources" "$STAGE/Package.swift" "$STAGE/Fuzz/Package.swift"
    mkdir -p "$STAGE/Fuzz"
    cp -al "$ROOT/Package.swift" "$ROOT/Sources" "$STAGE/"
    cp -al "$ROOT/Fuzz/Package.swift" "$ROOT/Fuzz/Sources" "$STAGE/Fuzz/"
    PACKAGE=$STAGE/Fuzz
fi

CONFIGURATION=${FUZZ_CONFIGURATION:-release}
[[ "$CONFIGURATION" == debug || "$CONFIGURATION" == release ]] || usage
echo "fuzz: building fuzz-$TARGET ($CONFIGURATION, -sanitize=fuzzer,address)"
# Swift code gets libFuzzer's coverage and ASan through -sanitize; the C shim through
# -fsanitize=fuzzer-no-link (libFuzzer's main is linked once, by swiftc).
# SwiftPM keeps the file list of a path dependency's targets until its manifest changes, so a
# file added to a target of the main package would be left out of this build: touch both manifests
# (the main package's alone was not always enough).
touch Package.swift "$PACKAGE/Package.swift"
# A failed build must not run the binary an earlier build left.
if ! swift build --package-path "$PACKAGE" --scratch-path "$SCRATCH" -c "$CONFIGURATION" --product "fuzz-$TARGET" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address 2>&1 |
    { grep -v "Cannot export local symbol" >&2 || true; }; then
    echo "fuzz: the build failed" >&2
    exit 1
fi
BIN=$SCRATCH/$CONFIGURATION/fuzz-$TARGET
[ -x "$BIN" ] || { echo "fuzz: the build failed" >&2; exit 1; }

CORPUS=$ROOT/.build/fuzz-corpus/$TARGET
ARTIFACTS=$ROOT/.build/fuzz-artifacts/$TARGET
LOGS=$ROOT/.build/fuzz-logs/$TARGET
mkdir -p "$CORPUS" "$ARTIFACTS" "$LOGS"

# The text engine's and the semantic targets read the models that scripts/setup.sh exports.
if [ "$TARGET" = text-engine ] || [ "$TARGET" = semantic ]; then
    if [ ! -s .bulwark/models/langid.bin ] || { [ "$TARGET" = semantic ] && [ ! -s .bulwark/models/use-m3.bin ]; }; then
        scripts/setup.sh >&2
    fi
fi

# Seeds (copied again each run; libFuzzer names its own corpus files by their SHA-1).
case $TARGET in
    image-decoder | pdq-hasher)
        cp Tests/BulwarkMediaTests/Fixtures/* "$CORPUS/"
        # Still PNG, WebP and JPEG files whose metadata names an orientation (EXIF, XMP, text chunks).
        ORIENTED=$(mktemp -d)
        python3 scripts/orientation-reference.py --out "$ORIENTED" >/dev/null ||
            { echo "fuzz: writing the oriented seeds failed" >&2; exit 1; }
        for f in "$ORIENTED"/*; do case $f in *.ppm) ;; *) cp "$f" "$CORPUS/oriented-$(basename "$f")" ;; esac; done
        rm -rf "$ORIENTED"
        # A few small images of the shared PDQ data (JPEG; the PNG and WebP there are large).
        SHARED=$ROOT/../shared/data/pdq
        for image in misc-images/small.jpg misc-images/wee.jpg bridge-mods/square-128x128.jpg \
            bridge-mods/shrink-a-lot.jpg reg-test-input/labelme-subset/q0003.jpg; do
            if [ -f "$SHARED/$image" ]; then
                cp "$SHARED/$image" "$CORPUS/shared-$(basename "$image")"
            else
                echo "fuzz: $SHARED/$image not found, not seeded" >&2
            fi
        done
        ;;
    video-decoder)
        # Small videos of every container and codec the decoder reads (PyAV, scripts/setup.sh).
        python3 scripts/video-reference.py --out "$CORPUS" >/dev/null ||
            { echo "fuzz: writing the seed videos failed" >&2; exit 1; }
        ;;
    *)
        # Small valid files written by the library itself (see the target's seeds()).
        BULWARK_FUZZ_SEEDS=$CORPUS "$BIN" >/dev/null 2>&1 ||
            { echo "fuzz: writing the seeds failed" >&2; exit 1; }
        ;;
esac
echo "fuzz: corpus $CORPUS: $(find "$CORPUS" -type f | wc -l) files; running for $DURATION s"

# One job (-jobs=1: libFuzzer runs it as a child process logging to fuzz-0.log in the current
# directory), ASan's leak check on, limits as in docs/fuzzing.md.
LOG=$LOGS/fuzz-0.log
rm -f "$LOG"
status=0
# Swift's own crash backtracer is turned off: libFuzzer reports the crash and saves the input, and
# the backtracer reading memory under ASan is itself reported as an overflow.
# Leaks in libraries Bulwark does not build that are known findings are passed over
# (Fuzz/lsan-suppressions.txt); every other leak stops the run.
# ASan fills the whole of each allocation (by default only its first 4 KiB), as the decoder
# process's M_PERTURB does (finding 13): memory a decoder leaves unwritten reads the same each time.
(cd "$LOGS" && SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="max_malloc_fill_size=2147483648" \
    LSAN_OPTIONS="suppressions=$ROOT/Fuzz/lsan-suppressions.txt" "$BIN" -max_total_time="$DURATION" -rss_limit_mb=2048 -timeout=10 -jobs=1 \
    -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" "$@" "$CORPUS" >"$LOGS/driver.log" 2>&1) || status=$?

echo "---- libFuzzer, last lines of $LOG"
grep -v '^"' "$LOG" | grep -v "dictionary. ######" | tail -n 10 || true
inited=$(grep -E '^#[0-9]+[[:space:]]+INITED' "$LOG" | tail -n 1 || true)
last=$(grep -E '^#[0-9]+' "$LOG" | tail -n 1 || true)
runs=$(grep -Eo '^Done [0-9]+ runs in [0-9]+ second' "$LOG" | tail -n 1 || true)
echo "---- summary"
echo "target:  $TARGET ($CONFIGURATION build, $DURATION s requested)"
echo "done:    ${runs:-no 'Done' line: see $LOG}"
echo "start:   ${inited:-none}"
echo "last:    ${last:-none}"
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|slowest_unit_time_sec|peak_rss_mb)' "$LOG" | sed 's/^/stat:    /' || true
echo "corpus:  $(find "$CORPUS" -type f | wc -l) files, $(cat "$CORPUS"/* | wc -c) bytes in $CORPUS"
found=$(grep -Eo "Test unit written to [^ ]+" "$LOG" | sed 's/Test unit written to //' | tr '\n' ' ' || true)
if [ "$status" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|^SUMMARY: |Test unit written to' "$LOG"; then
    echo "FOUND:   libFuzzer stopped with status $status; inputs: ${found:-see $LOG}"
    grep -E '^==[0-9]+==ERROR|^SUMMARY: |fuzz invariant broken|Fatal error|ALARM|out-of-memory|leak' "$LOG" | head -n 5
    exit 1
fi
echo "clean:   no crash, leak, timeout or out-of-memory"

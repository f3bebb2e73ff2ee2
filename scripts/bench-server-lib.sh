# Sourced (from the project's root) by the bench scripts that start a `serve`: a scratch
# directory $WORK, the release build $BIN, and $SERVER (set it to the server's pid), killed with
# $WORK removed when the script exits.
WORK=$(mktemp -d)
swift build -c release --product bulwark 2>&1 | grep -E "error|Build" || true
BIN="$(swift build -c release --show-bin-path)/bulwark"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

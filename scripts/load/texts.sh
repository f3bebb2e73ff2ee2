# Sourced by the load scripts (bench-api.sh, bench-capacity.sh, soak.sh): the texts wrk posts
# through scripts/load/ingest.lua, one JSON-encoded string a line, from `bulwark bench`'s corpus
# (20,000 short posts mixed as on a platform; wrk cycles through them).
#   write_load_texts BULWARK_BINARY OUT.txt     (also leaves the corpus beside it, OUT.jsonl)
# BULWARK_LOAD_ITEMS=N writes N posts instead, and BULWARK_LOAD_CORPUS_ARGS adds options of
# `bulwark bench` (e.g. "--repost-share 0.1"): wrk sends each post again once it has sent them
# all, and the mix repeats its texts, so with `--model full` the encoder's kept embeddings would
# answer most of a long run; a corpus larger than the run with its own share of reposts does not.
write_load_texts() {
    local corpus="${2%.txt}.jsonl"
    # shellcheck disable=SC2086
    "$1" bench --write-corpus "$corpus" --items "${BULWARK_LOAD_ITEMS:-20000}" ${BULWARK_LOAD_CORPUS_ARGS:-} >/dev/null
    python3 -c '
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        out.write(json.dumps(json.loads(line)["text"]) + "\n")
' "$corpus" "$2"
}

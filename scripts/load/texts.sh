# Sourced by the load scripts (bench-api.sh, bench-capacity.sh, soak.sh): the texts wrk posts
# through scripts/load/ingest.lua, one JSON-encoded string a line, from `bulwark bench`'s corpus
# (20,000 short posts mixed as on a platform).
#   write_load_texts BULWARK_BINARY OUT.txt     (also leaves the corpus beside it, OUT.jsonl)
write_load_texts() {
    local corpus="${2%.txt}.jsonl"
    "$1" bench --write-corpus "$corpus" --items 20000 >/dev/null
    python3 -c '
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        out.write(json.dumps(json.loads(line)["text"]) + "\n")
' "$corpus" "$2"
}

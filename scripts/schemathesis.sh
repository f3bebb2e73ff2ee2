#!/usr/bin/env bash
# schemathesis (PyPI) against the served OpenAPI document: no 5xx and every response as the
# document says, with an admin, a reviewer, a lead, an auditor and an authority key (their routes differ).
#   scripts/schemathesis.sh [EXAMPLES_PER_OPERATION=25] [DATABASE (default: a new SQLite file; an empty
#   postgres:// database works too)]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install -q "schemathesis==4.32.5"
swift build --product bulwark 2>&1 | grep -E "error|Build complete" || true
BIN="$(swift build --show-bin-path)/bulwark"
WORK=$(mktemp -d)
PORT=18097
DB="${2:-$WORK/st.db}"
"$BIN" serve --database "$DB" --banks "$WORK/banks" --port $PORT > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
# serve prints the other roles' keys for a new database (only while it has none); a lead's, for
# the referral routes, is made once it has started.
LEAD=$("$BIN" keys create --database "$DB" --name schemathesis-lead --role lead | awk '{print $NF}')
for role in admin reviewer lead auditor authority; do
    # The API key's line (the console's sign-in lines below it name the same roles).
    if [ "$role" = lead ]; then KEY=$LEAD; else KEY=$(grep -E "^ +$role +bwk_" "$WORK/serve.log" | awk '{print $2}'); fi
    echo "== schemathesis with the $role key" >&2
    st run "http://127.0.0.1:$PORT/openapi.json" -H "Authorization: Bearer $KEY" \
        -c not_a_server_error,response_schema_conformance -n "${1:-25}"
done

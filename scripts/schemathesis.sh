#!/usr/bin/env bash
# Fuzz the OpenAPI with schemathesis against a real server on a throwaway SQLite database: no input may produce a 500.
# One worker: on Python 3.11 the ast module keeps its recursion depth in state shared by threads, and two workers
# parsing at once (hypothesis reads lambda sources) fail with "AST constructor recursion depth mismatch".
# The token revocations and refresh are left out: the fuzzer would end the very token it calls with.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOME_DIR=$(mktemp -d)
PORT=${RAPPORT_FUZZ_PORT:-18731}
PASSWORD="Fuzz-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export RAPPORT_HOME=$HOME_DIR
unset DATABASE_URL
$BIN/rapport migrate -v 0
$BIN/rapport createuser fuzz@rapport.example --password "$PASSWORD" --workspace fuzz --role admin >/dev/null
printf 'external_id,first_name,last_name,email,twitter,organisation\nf1,Ann,Berg,ann@example.se,annb,Volvo\nf2,Bo,Holm,bo@example.se,,IKEA\n' > "$HOME_DIR/seed.csv"
$BIN/rapport contacts import "$HOME_DIR/seed.csv" --workspace fuzz >/dev/null
$BIN/rapport serve --port "$PORT" >"$HOME_DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.25; done
TOKEN=$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\": \"fuzz@rapport.example\", \"password\": \"$PASSWORD\"}" | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["token"])')
$BIN/schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --checks not_a_server_error --max-examples "${RAPPORT_FUZZ_EXAMPLES:-25}" --workers 1 --seed 1 \
  --phases examples,coverage,fuzzing --generation-allow-x00 true --request-timeout 30 \
  --exclude-operation-id-regex 'revoke_current_token|revoke_one_token|refresh_current_token' \
  -H "Authorization: Bearer $TOKEN" --no-color

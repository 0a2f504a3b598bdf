#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis 4: starts the
# `server` on a free port with a fresh SQLite database and a bootstrap admin, creates
# a physician through the API, and runs every check (`--checks all`) with positive and
# negative data (`--mode all`) and the stateful phase, once with the admin's token and
# once with the physician's. Fails on any failure the baseline
# (.ci/schemathesis-baseline.json, each entry with its reason) does not account for,
# and on any panic in the server log. The server is stopped by its pid on exit.
#
# CI (.ci/run) builds the release binary once and hands it over in SERVER_BIN, so
# the document is checked against the server as it is deployed; run by hand without
# SERVER_BIN, it builds and uses the debug one.
#
# Variables:
#   XIAXIANG_SCHEMATHESIS_EXAMPLES  examples per operation (default 30)
#   XIAXIANG_SCHEMATHESIS_VENV      where to keep the virtualenv
#                                   (default /tmp/xiaxiang-schemathesis4-venv)
#   XIAXIANG_SCHEMATHESIS_BASELINE  the baseline file (default
#                                   .ci/schemathesis-baseline.json)
#   XIAXIANG_SCHEMATHESIS_SEED      the seed (default 20260331; CI keeps the default)
#   XIAXIANG_SCHEMATHESIS_DATA_CHECKS  0: leave out the two data checks (default: run them)
#   SERVER_BIN                      the server binary (default: build and use the
#                                   debug one of CARGO_TARGET_DIR or target/)
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
examples="${XIAXIANG_SCHEMATHESIS_EXAMPLES:-30}"
baseline="${XIAXIANG_SCHEMATHESIS_BASELINE:-.ci/schemathesis-baseline.json}"
seed="${XIAXIANG_SCHEMATHESIS_SEED:-20260331}"
venv="${XIAXIANG_SCHEMATHESIS_VENV:-/tmp/xiaxiang-schemathesis4-venv}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "schemathesis: installing $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r .ci/schemathesis-requirements.txt
fi

if [ -z "${SERVER_BIN:-}" ]; then
    cargo build --quiet -p server --bin server
    SERVER_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/server"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/xiaxiang-schemathesis.XXXXXX")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
phone=13900000001
password=schemathesis-admin-1
physician_phone=13900000002
physician_password=schemathesis-physician-1
server_pid=""

stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap stop_server EXIT

# Abuse limits high enough that generated traffic is judged by the handlers, not
# refused up front; tokens long-lived so that none expires during the run.
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
    DATABASE_URL="sqlite://$work/schemathesis.db" \
    CHECKIN_LISTEN="127.0.0.1:$port" \
    CHECKIN_JWT_SECRET="schemathesis-jwt-secret-0123456789abcdef" \
    CHECKIN_BOOTSTRAP_ADMIN_PHONE="$phone" \
    CHECKIN_BOOTSTRAP_ADMIN_PASSWORD="$password" \
    CHECKIN_ARGON2_MEMORY_KIB=1024 CHECKIN_ARGON2_ITERATIONS=1 \
    CHECKIN_ACCESS_TOKEN_TTL_SECONDS=86400 \
    CHECKIN_LOGIN_MAX_FAILURES=1000000 CHECKIN_LOGIN_MAX_FAILURES_PER_IP=1000000 \
    CHECKIN_RATE_CHECKIN_PER_IP=1000000 CHECKIN_RATE_CHECKIN_PER_ACCOUNT=1000000 \
    CHECKIN_RATE_LOGIN_PER_IP=1000000 \
    RUST_LOG=warn RUST_BACKTRACE=1 \
    "$SERVER_BIN" serve >"$work/stdout.log" 2>"$work/server.log" &
server_pid=$!

for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "server exited"; exit 1; }
    sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

# POSTs a JSON body with a bearer token (or none); prints the answer's body.
post() {
    local bearer=$1 path=$2 body=$3
    curl -fsS -H 'Content-Type: application/json' ${bearer:+-H "Authorization: Bearer $bearer"} \
        -d "$body" "$base$path"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)[\"$1\"])"; }
login() { post "" /api/v1/auth/login "{\"phone\":\"$1\",\"password\":\"$2\"}" | field access_token; }

token="$(login "$phone" "$password")"

# A physician of a hospital in a county, who has set their own password (until then
# every request of theirs is 403 `password_change_required`).
post "$token" /api/v1/jurisdictions '{"code":"350000","name":"福建省","level":"province"}' >/dev/null
post "$token" /api/v1/jurisdictions \
    '{"code":"350800","name":"龙岩市","level":"city","parent_code":"350000"}' >/dev/null
post "$token" /api/v1/jurisdictions \
    '{"code":"350881","name":"漳平市","level":"county","parent_code":"350800"}' >/dev/null
hospital="$(post "$token" /api/v1/organizations \
    '{"name":"漳平市医院","kind":"hospital","jurisdiction_code":"350881"}' | field id)"
post "$token" /api/v1/users "{\"role\":\"physician\",\"name\":\"测试医师\",\"phone\":\"$physician_phone\",\
\"password\":\"$physician_password-0\",\"organization_id\":\"$hospital\"}" >/dev/null
first="$(login "$physician_phone" "$physician_password-0")"
curl -fsS -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $first" \
    -d "{\"current_password\":\"$physician_password-0\",\"new_password\":\"$physician_password\"}" \
    "$base/api/v1/auth/password"
physician_token="$(login "$physician_phone" "$physician_password")"

# The two data checks (a schema-valid request refused, a schema-violating one taken)
# run too. Generation is repeatable: the seed drives Hypothesis, and no example
# database is kept (`--generation-database none`: a database replays failing examples
# of earlier runs on the same machine, so a run depended on the runs before it).
# `--generation-deterministic` is not used: it implies no database too, but a seed
# then no longer varies the run (schemathesis 4.32.5 prints "Seed: not used").
# Measured 2026-12-06 (debug server, shared 2 cores, about 23,700 cases a run): seed
# 20260331 found nothing outside the baseline (721 s); seeds 1 and 2 each found two
# cases (780 s, 340 s), fixed or baselined with their reason; seed 1 again found a
# 413 as a refusal (now expected, .ci/schemathesis.toml) (docs/testing.md).
# XIAXIANG_SCHEMATHESIS_DATA_CHECKS=0 leaves the two data checks out, to look at the
# other checks alone while a new rule is being stated.
data_checks=()
if [ "${XIAXIANG_SCHEMATHESIS_DATA_CHECKS:-1}" = "0" ]; then
    data_checks=(--exclude-checks positive_data_acceptance,negative_data_rejection)
fi

requests_total=0
run_schemathesis() {
    local who=$1 bearer=$2
    shift 2
    local report="$work/report-$who.json"
    local rc=0
    PYTHONPATH="$root/.ci" SCHEMATHESIS_HOOKS=schemathesis_hooks \
        "$venv/bin/st" --config-file .ci/schemathesis.toml run "$base/api/v1/openapi.json" \
        --checks all "${data_checks[@]}" \
        --mode all \
        --phases examples,coverage,fuzzing,stateful \
        --header "Authorization: Bearer $bearer" \
        --max-examples "$examples" \
        --seed "$seed" \
        --generation-database none \
        --suppress-health-check all \
        --request-timeout 20 \
        --workers 1 \
        --baseline "$baseline" ${XIAXIANG_SCHEMATHESIS_BASELINE_UPDATE:+--baseline-update} \
        --report json --report-json-path "$report" \
        --no-color "$@" || rc=$?
    local generated
    generated="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["test_cases"]["generated"])' "$report" 2>/dev/null || echo 0)"
    requests_total=$((requests_total + generated))
    return "$rc"
}

started=$(date +%s)
status=0
# Logout ends every access token of its user (the session version moves), so it runs
# on its own after the rest, with a token of its own.
run_schemathesis admin "$token" --exclude-path /api/v1/auth/logout || status=$?
run_schemathesis physician "$physician_token" --exclude-path /api/v1/auth/logout || status=$?
run_schemathesis logout "$(login "$phone" "$password")" --include-path /api/v1/auth/logout || status=$?
echo "schemathesis: $requests_total test cases in $(($(date +%s) - started)) s"

stop_server
if grep -n "panicked" "$work/server.log"; then
    echo "schemathesis: the server panicked; log: $work/server.log"
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "schemathesis: every check passed (or is in the baseline), no panic"
    rm -rf "$work"
else
    echo "schemathesis: failed (status $status); server log and reports kept in $work"
fi
exit "$status"

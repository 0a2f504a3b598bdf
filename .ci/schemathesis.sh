#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis: starts a debug
# `server` on a free port with a fresh SQLite database and a bootstrap admin, logs in,
# and sends generated requests to every documented operation with the admin's token.
# Fails on any 5xx answer, any status code, content type or body the document does
# not describe, and on any panic in the server
# log. The server is stopped by its pid on exit.
#
# Variables:
#   XIAXIANG_SCHEMATHESIS_EXAMPLES  examples per operation (default 25)
#   XIAXIANG_SCHEMATHESIS_CHECKS    schemathesis checks (default: no 5xx, and status codes,
#                                   content types and bodies as documented)
#   XIAXIANG_SCHEMATHESIS_VENV      where to keep the virtualenv
#                                   (default /tmp/xiaxiang-schemathesis-venv)
set -euo pipefail

SCHEMATHESIS_VERSION=3.39.16
# Newer Hypothesis releases changed internals this schemathesis line relies on.
HYPOTHESIS_VERSION=6.131.14
examples="${XIAXIANG_SCHEMATHESIS_EXAMPLES:-25}"
checks="${XIAXIANG_SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}"
venv="${XIAXIANG_SCHEMATHESIS_VENV:-/tmp/xiaxiang-schemathesis-venv}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" ||
    ! "$venv/bin/python" -c "import hypothesis, sys; sys.exit(hypothesis.__version__ != '$HYPOTHESIS_VERSION')" 2>/dev/null; then
    echo "schemathesis: installing $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
fi

cargo build --quiet -p server --bin server
server_bin="$root/target/debug/server"

work="$(mktemp -d "${TMPDIR:-/tmp}/xiaxiang-schemathesis.XXXXXX")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
phone=13900000001
password=schemathesis-admin-1
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
    "$server_bin" serve >"$work/stdout.log" 2>"$work/server.log" &
server_pid=$!

for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "server exited"; exit 1; }
    sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

token="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$phone\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

# Logout ends every access token of its user (the session version moves), so it runs
# on its own after the rest, with a token of its own.
run_schemathesis() {
    local bearer=$1
    shift
    PYTHONPATH="$root/.ci" SCHEMATHESIS_HOOKS=schemathesis_hooks \
        "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
        --checks "$checks" \
        --header "Authorization: Bearer $bearer" \
        --hypothesis-max-examples "$examples" \
        --hypothesis-deadline 300000 \
        --hypothesis-suppress-health-check all \
        --hypothesis-seed 20260331 \
        --experimental=openapi-3.1 \
        --request-timeout 20000 \
        --workers 2 \
        --no-color "$@"
}

status=0
run_schemathesis "$token" --exclude-path /api/v1/auth/logout || status=$?
logout_token="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$phone\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
run_schemathesis "$logout_token" --include-path /api/v1/auth/logout || status=$?

stop_server
if grep -n "panicked" "$work/server.log"; then
    echo "schemathesis: the server panicked; log: $work/server.log"
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "schemathesis: no server error, no panic"
    rm -rf "$work"
else
    echo "schemathesis: failed (status $status); server log kept in $work/server.log"
fi
exit "$status"

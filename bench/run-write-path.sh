#!/bin/bash
# The check-in write path against the durable-write floor (issue 24), in one script.
#
# For each build (A/B alternating when BASE_BIN is set) and each number of requests
# in flight: a fresh database, the server, the floor (../shared/bench/floor) with a
# fresh file, then one loadgen run (healthz, floor, check-in + check-out, each
# DURATION s, the same bodies and workers), and the attendance writer's CPU per
# check-in or check-out read from /proc. Prints one BENCHMARKS.md table row per run.
#
#   bench/run-write-path.sh                   # SQLite, this build, 8 16 64 in flight
#   BASE_BIN=/work/server-base ROUNDS=2 bench/run-write-path.sh
#   DB=postgres PG_URL=postgres://postgres@127.0.0.1:45432/postgres \
#     REDIS_URL=redis://127.0.0.1:6379/ INFLIGHT="8 16" bench/run-write-path.sh
#
# Needs release builds: `cargo build --release -p server -p xiaxiang-bench` and the
# floor (`CARGO_TARGET_DIR=/tmp/floor-target cargo build --release --manifest-path
# ../shared/bench/floor/Cargo.toml`).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
SERVER_BIN=${SERVER_BIN:-$target/release/server}
LOADGEN_BIN=${LOADGEN_BIN:-$target/release/loadgen}
FLOOR_BIN=${FLOOR_BIN:-/tmp/floor-target/release/floor}
BASE_BIN=${BASE_BIN:-}
DB=${DB:-sqlite}
INFLIGHT=${INFLIGHT:-"8 16 64"}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-15}
SITES=${SITES:-200}
PHYSICIANS=${PHYSICIANS:-24000}
WORK=${WORK:-/tmp/write-path-bench}
PORT=${PORT:-18082}
FLOOR_PORT=${FLOOR_PORT:-18900}

export CHECKIN_BOOTSTRAP_ADMIN_PHONE=13800000000 CHECKIN_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-pw
export CHECKIN_QR_PERIOD_SECONDS=5 CHECKIN_ARGON2_MEMORY_KIB=64 CHECKIN_ARGON2_ITERATIONS=1
export CHECKIN_RATE_CHECKIN_PER_IP=1000000 CHECKIN_RATE_LOGIN_PER_IP=100000 CHECKIN_LOGIN_MAX_FAILURES_PER_IP=100000 RUST_LOG=warn

ticks_per_s=$(getconf CLK_TCK)
# utime + stime (clock ticks) of the server's thread named $2, 0 if none.
thread_ticks() {
  local total=0 t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "$t/stat")))
  done
  echo $total
}

run_one() { # build-name binary in-flight
  local name=$1 bin=$2 n=$3 dir=$WORK/$1-$DB-$3 db_url server floor out
  rm -rf "$dir"; mkdir -p "$dir/sqlite"
  if [ "$DB" = postgres ]; then
    local dbname=write_path_$$_$RANDOM
    psql "$PG_URL" -qc "CREATE DATABASE $dbname" >/dev/null || return 1
    db_url=${PG_URL%/*}/$dbname
    export REDIS_URL CHECKIN_REDIS_PREFIX=wp$RANDOM:
  else
    db_url=sqlite://$dir/sqlite/xiaxiang.db
  fi
  CHECKIN_LISTEN=127.0.0.1:$PORT DATABASE_URL=$db_url "$bin" >"$dir/server.log" 2>&1 &
  server=$!
  FLOOR_LISTEN=127.0.0.1:$FLOOR_PORT FLOOR_DB=$dir/floor.db "$FLOOR_BIN" >"$dir/floor.log" 2>&1 &
  floor=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  out=$dir/loadgen.txt
  timeout 600 "$LOADGEN_BIN" --url "http://127.0.0.1:$PORT" --floor-url "http://127.0.0.1:$FLOOR_PORT" \
    --sites "$SITES" --physicians "$PHYSICIANS" --duration "$DURATION" --concurrency "$n" >"$out" 2>&1 &
  local loadgen=$!
  until grep -q "provisioning took" "$out" 2>/dev/null || ! kill -0 $loadgen 2>/dev/null; do sleep 0.2; done
  local before; before=$(thread_ticks $server attendance-writ)
  if [ -n "${PERF:-}" ]; then # profile the check-in phase (after healthz and floor)
    until grep -q "^POST /floor" "$out" 2>/dev/null || ! kill -0 $loadgen 2>/dev/null; do sleep 0.2; done
    sleep 2; perf record -F 499 -g -p $server -o "$dir/perf.data" -- sleep 10 >/dev/null 2>&1
  fi
  wait $loadgen
  local after; after=$(thread_ticks $server attendance-writ)
  kill $server $floor 2>/dev/null; wait $server $floor 2>/dev/null
  local requests writer_us row all
  requests=$(awk '/^check-in \+ check-out: [0-9]+ requests/{print $4; exit}' "$out")
  writer_us=$(python3 -c "r=int('${requests:-0}' or 0); print(round(($after-$before)*1e6/$ticks_per_s/r) if r and $after>0 else '-')")
  all=$(awk -F': ' '/^every answer 201/{print $2}' "$out")
  row=$(sed -n 's/^row: //p' "$out")
  [ -n "$row" ] || { echo "| $name | run failed, see $out |"; tail -5 "$out"; return 1; }
  echo "| $name | $DB | ${row#| } $all | $writer_us |"
  if [ "$DB" = postgres ]; then psql "$PG_URL" -qc "DROP DATABASE $dbname" >/dev/null; fi
  [ -n "${KEEP:-}" ] || rm -rf "$dir/sqlite" "$dir/floor.db"*
}

echo "| build | database | in flight | healthz req/s | floor req/s | check-in + check-out req/s | p50 ms | p99 ms | check-in/floor | check-in/healthz | load avg | every answer 201 | writer µs/attempt |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
for round in $(seq "$ROUNDS"); do
  for n in $INFLIGHT; do
    if [ -n "$BASE_BIN" ]; then run_one before "$BASE_BIN" "$n"; fi
    run_one after "$SERVER_BIN" "$n"
  done
done

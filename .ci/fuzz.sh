#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input (kiosk QR payloads, geofence JSON) with
# cargo-fuzz for SECONDS each (default 60). Installs cargo-fuzz if missing. cargo-fuzz
# needs nightly flags; on the stable toolchain RUSTC_BOOTSTRAP=1 unlocks them.
# Exits non-zero on any crash; the crashing input is left under fuzz/artifacts/.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Seeds: well-formed inputs so the fuzzer starts from the interesting shapes.
mkdir -p corpus/qr_payload corpus/geofence_json
printf 'XX1.AAAAAAAAAAAAAAAAAAAAAA.r.0.AAAAAAAAAAAAAAAAAAAAAA' >corpus/qr_payload/seed-shape
printf '%s' '{"type":"circle","center":{"lat":25.291,"lon":117.412},"radius_m":150,"crs":"gcj02"}' \
    >corpus/geofence_json/circle
printf '%s' '{"type":"Polygon","coordinates":[[[117.41,25.29],[117.42,25.29],[117.42,25.30],[117.41,25.30],[117.41,25.29]],[[117.412,25.292],[117.414,25.292],[117.414,25.294],[117.412,25.292]]],"crs":"bd09"}' \
    >corpus/geofence_json/polygon-with-hole
printf '%s' '{"type":"MultiPolygon","coordinates":[[[[117.41,25.29],[117.42,25.29],[117.42,25.30],[117.41,25.29]]],[[[117.50,25.29],[117.52,25.29],[117.52,25.30],[117.50,25.29]]]]}' \
    >corpus/geofence_json/multipolygon

for target in qr_payload geofence_json; do
    echo "fuzz: $target for ${seconds}s"
    # -max_len bounds inputs near the API's body limit for fences; QR payloads are short.
    max_len=4096
    [ "$target" = qr_payload ] && max_len=256
    cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1
done
echo "fuzz: no crash in ${seconds}s per target"

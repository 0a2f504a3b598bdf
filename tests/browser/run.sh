#!/usr/bin/env bash
# Browser tests in headless Chromium: the supervisor console (/console), the clinic's
# wall screen (/kiosk) and the physician's phone page (/m/).
#
#   cargo build -p server && bash tests/browser/run.sh
#   BROWSER_UPDATE_SCREENSHOTS=1 bash tests/browser/run.sh   # also refresh docs/screenshots/
#   BROWSER_TESTS=mobile.test.mjs bash tests/browser/run.sh  # only these files
#
# Builds nothing: runs target/debug/server (or $SERVER_BIN) on a free loopback port
# with a fresh SQLite database (scheduler off, so no visit is auto-closed mid-test; kiosk
# codes rotating every $BROWSER_QR_PERIOD_SECONDS, default 15, so the phone test waits
# little for the next code), seeds a small world through the HTTP API (a county, a
# township health center with a circular fence, a hospital, a supervisor, four
# physicians with assignments, a kiosk, one check-in with a mock location, which
# raises an open `mock_location` anomaly, and one physician with yesterday's service
# credited as a day), then runs `npm test` here with the world in
# env vars. Installs Chromium and a Chinese font with apt, and the npm devDependencies
# (playwright-core, jsqr, pngjs, exceljs) with `npm ci`, when missing. Under CI=true a missing
# browser is a failure, never a skip. Screenshots go to test-artifacts/browser/. The
# server is stopped by pid on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/tests/browser"
SERVER_BIN="${SERVER_BIN:-$ROOT/target/debug/server}"
ARTIFACTS="${CONSOLE_ARTIFACTS:-$ROOT/test-artifacts/browser}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf 'browser: %s\n' "$*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

# ---- prerequisites ------------------------------------------------------------
[[ -x $SERVER_BIN ]] || die "$SERVER_BIN not found; run 'cargo build -p server' first"
command -v node >/dev/null 2>&1 || die "node is required (Node.js 20 or newer)"
command -v npm >/dev/null 2>&1 || die "npm is required"
command -v curl >/dev/null 2>&1 || die "curl is required"

as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

apt_install() {
	command -v apt-get >/dev/null 2>&1 || return 1
	local attempt
	for attempt in 1 2 3 4; do
		if as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
			-o Acquire::Retries=3 update >&2 &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
				-o Acquire::Retries=3 install -y --no-install-recommends "$@" >&2; then
			return 0
		fi
		log "apt-get install $* failed (attempt $attempt); retrying in $((attempt * 10))s"
		sleep $((attempt * 10))
	done
	return 1
}

have_font() { dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; }

if [[ ! -x $CHROMIUM ]] || ! have_font; then
	log "installing chromium and fonts-wqy-zenhei with apt-get"
	apt_install chromium fonts-wqy-zenhei || log "apt-get could not install chromium/fonts-wqy-zenhei"
fi
if [[ ! -x $CHROMIUM ]]; then
	if [[ ${CI:-} == true ]]; then
		die "no Chromium at $CHROMIUM and it could not be installed (CI=true: not skipping)"
	fi
	log "SKIP: no Chromium at $CHROMIUM (install Debian's chromium, or set CHROMIUM)"
	exit 0
fi
have_font || log "warning: fonts-wqy-zenhei missing; Chinese text will render as boxes in screenshots"
"$CHROMIUM" --version >&2 || die "$CHROMIUM does not run"

if [[ ! -f $HERE/node_modules/playwright-core/package.json ||
	$HERE/package-lock.json -nt $HERE/node_modules/.package-lock.json ]]; then
	log "npm ci (playwright-core, jsqr, pngjs, exceljs; playwright-core never downloads a browser of its own)"
	(cd "$HERE" && npm ci --no-audit --no-fund) || die "npm ci failed"
fi

# ---- server ---------------------------------------------------------------------
WORK=$(mktemp -d /tmp/xiaxiang-browser.XXXXXX)
SERVER_PID=""
cleanup() {
	local rc=$?
	trap - EXIT
	set +e
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID"
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
	fi
	if [[ $rc -ne 0 && -f $WORK/server.log ]]; then
		log "server log (last 60 lines):"
		tail -n 60 "$WORK/server.log" >&2
	fi
	[[ -f $WORK/server.log ]] && mkdir -p "$ARTIFACTS" && cp "$WORK/server.log" "$ARTIFACTS/server.log"
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
BASE="http://127.0.0.1:$PORT"
ADMIN_PHONE=13800000000
ADMIN_PASSWORD='browser-admin-pass'
PASSWORD='browser-test-pass'
QR_PERIOD_SECONDS=${BROWSER_QR_PERIOD_SECONDS:-15}

log "starting $SERVER_BIN on $BASE"
CHECKIN_LISTEN="127.0.0.1:$PORT" \
	DATABASE_URL="sqlite://$WORK/console.db" \
	CHECKIN_BOOTSTRAP_ADMIN_PHONE="$ADMIN_PHONE" \
	CHECKIN_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
	CHECKIN_SCHEDULER_INTERVAL_SECONDS=0 \
	CHECKIN_QR_PERIOD_SECONDS="$QR_PERIOD_SECONDS" \
	RUST_LOG="${RUST_LOG:-info}" NO_COLOR=1 \
	"$SERVER_BIN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 150); do
	if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then
		break
	fi
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start-up"
	sleep 0.2
done
curl -fsS -o /dev/null "$BASE/readyz" || die "the server was not ready after 30 s"

# ---- seed -------------------------------------------------------------------------
# `api METHOD PATH TOKEN [BODY]` prints the response body; anything but 2xx fails.
api() {
	local method=$1 path=$2 token=$3 body=${4:-} status
	local args=(-sS -X "$method" -o "$WORK/response" -w '%{http_code}' -H 'Accept: application/json')
	[[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
	[[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	status=$(curl "${args[@]}" "$BASE$path") || die "seed: $method $path: curl failed"
	if [[ $status != 2* ]]; then
		log "seed: $method $path -> $status: $(head -c 600 "$WORK/response")"
		return 1
	fi
	cat "$WORK/response"
}
# `field PATH` reads one member (dotted path, numbers index arrays) of the JSON on stdin.
field() {
	node -e '
let text = "";
process.stdin.on("data", (d) => (text += d)).on("end", () => {
  let v = JSON.parse(text);
  for (const k of process.argv[1].split(".")) v = v == null ? undefined : v[k];
  if (v == null) { console.error("no member " + process.argv[1] + " in " + text.slice(0, 300)); process.exit(3); }
  process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
});' "$1"
}
uuid() { cat /proc/sys/kernel/random/uuid; }

log "seeding a world through the API"
login() { api POST /api/v1/auth/login "" "{\"phone\":\"$1\",\"password\":\"$2\"}" | field access_token; }
ADMIN=$(login "$ADMIN_PHONE" "$ADMIN_PASSWORD")
# An account the administrator created with a typed password must set its own before
# anything else (403 password_change_required): the seed sets another and then the
# same one again, so the tests sign in with $PASSWORD as before.
own_password() {
	local token
	token=$(login "$1" "$PASSWORD")
	api POST /api/v1/auth/password "$token" "{\"current_password\":\"$PASSWORD\",\"new_password\":\"$PASSWORD-own\"}" >/dev/null
	token=$(login "$1" "$PASSWORD-own")
	api POST /api/v1/auth/password "$token" "{\"current_password\":\"$PASSWORD-own\",\"new_password\":\"$PASSWORD\"}" >/dev/null
}

api POST /api/v1/jurisdictions "$ADMIN" '{"code":"350000","name":"福建省","level":"province"}' >/dev/null
api POST /api/v1/jurisdictions "$ADMIN" '{"code":"350800","name":"龙岩市","level":"city","parent_code":"350000"}' >/dev/null
api POST /api/v1/jurisdictions "$ADMIN" '{"code":"350881","name":"漳平市","level":"county","parent_code":"350800"}' >/dev/null

SITE_LAT=25.2910
SITE_LON=117.4120
SITE_RADIUS_M=150
SITE_ID=$(api POST /api/v1/organizations "$ADMIN" "{\"name\":\"溪南镇卫生院\",\"kind\":\"township_health_center\",\"jurisdiction_code\":\"350881\",\"geofence\":{\"type\":\"circle\",\"center\":{\"lat\":$SITE_LAT,\"lon\":$SITE_LON},\"radius_m\":$SITE_RADIUS_M,\"crs\":\"wgs84\"}}" | field id)
HOSPITAL_ID=$(api POST /api/v1/organizations "$ADMIN" '{"name":"漳平市医院","kind":"hospital","jurisdiction_code":"350881"}' | field id)
# A village clinic nobody is assigned to: the coverage view must still list it (全覆盖).
EMPTY_CLINIC_NAME='后山村卫生室'
api POST /api/v1/organizations "$ADMIN" "{\"name\":\"$EMPTY_CLINIC_NAME\",\"kind\":\"village_clinic\",\"jurisdiction_code\":\"350881\",\"geofence\":{\"type\":\"circle\",\"center\":{\"lat\":25.3050,\"lon\":117.4300},\"radius_m\":100,\"crs\":\"wgs84\"}}" >/dev/null
PROGRAM_ID=$(api POST /api/v1/programs "$ADMIN" '{"name":"漳平市医师下基层","jurisdiction_code":"350881","requirements":[{"period":"month","min_days":1}]}' | field id)

SUPERVISOR_PHONE=13900000001
PHYSICIAN_PHONE=13700000002
PHYSICIAN_NAME='林志远'
api POST /api/v1/users "$ADMIN" "{\"role\":\"supervisor\",\"name\":\"陈督查\",\"phone\":\"$SUPERVISOR_PHONE\",\"password\":\"$PASSWORD\",\"jurisdiction_code\":\"350800\"}" >/dev/null
own_password "$SUPERVISOR_PHONE"
PHYSICIAN_ID=$(api POST /api/v1/users "$ADMIN" "{\"role\":\"physician\",\"name\":\"$PHYSICIAN_NAME\",\"phone\":\"$PHYSICIAN_PHONE\",\"password\":\"$PASSWORD\",\"organization_id\":\"$HOSPITAL_ID\",\"title\":\"主治医师\"}" | field id)
own_password "$PHYSICIAN_PHONE"

# Dates in the site's zone; the window spans the whole day so the test runs at any hour.
START_DATE=$(TZ=Asia/Shanghai date -d '-7 days' +%F)
END_DATE=$(TZ=Asia/Shanghai date -d '+60 days' +%F)
assign() { api POST /api/v1/assignments "$ADMIN" "{\"physician_id\":\"$1\",\"site_id\":\"$SITE_ID\",\"program_id\":\"$PROGRAM_ID\",\"mode\":\"circuit\",\"start_date\":\"$START_DATE\",\"end_date\":\"$END_DATE\",\"window_start\":\"00:00\",\"window_end\":\"23:59\"}" >/dev/null; }
assign "$PHYSICIAN_ID"

# The phone page's physician (/m/) and the one who checks in with the kiosk screenshot:
# each starts with no visit and no bound device.
MOBILE_PHONE=13700000003
MOBILE_NAME='王晓明'
MOBILE_ID=$(api POST /api/v1/users "$ADMIN" "{\"role\":\"physician\",\"name\":\"$MOBILE_NAME\",\"phone\":\"$MOBILE_PHONE\",\"password\":\"$PASSWORD\",\"organization_id\":\"$HOSPITAL_ID\",\"title\":\"副主任医师\"}" | field id)
own_password "$MOBILE_PHONE"
assign "$MOBILE_ID"
KIOSK_PHYSICIAN_PHONE=13700000004
KIOSK_PHYSICIAN_ID=$(api POST /api/v1/users "$ADMIN" "{\"role\":\"physician\",\"name\":\"张海\",\"phone\":\"$KIOSK_PHYSICIAN_PHONE\",\"password\":\"$PASSWORD\",\"organization_id\":\"$HOSPITAL_ID\"}" | field id)
own_password "$KIOSK_PHYSICIAN_PHONE"
assign "$KIOSK_PHYSICIAN_ID"

KIOSK_TOKEN=$(api POST "/api/v1/organizations/$SITE_ID/kiosks" "$ADMIN" '{}' | field token)
QR_PAYLOAD=$(api GET /api/v1/kiosk/code "$KIOSK_TOKEN" | field payload)

PHYSICIAN=$(login "$PHYSICIAN_PHONE" "$PASSWORD")
# 40 m north-east of the fence centre, inside the fence, but from a mock provider.
CHECKIN=$(api POST /api/v1/attendance/check-in "$PHYSICIAN" "{\"client_event_id\":\"$(uuid)\",\"qr_payload\":\"$QR_PAYLOAD\",\"device_id\":\"lin-phone-01\",\"location\":{\"lat\":25.29125,\"lon\":117.41228,\"accuracy_m\":12,\"crs\":\"wgs84\",\"is_mock\":true}}")
log "check-in: $CHECKIN"
[[ $(field verdict <<<"$CHECKIN") == flagged ]] || die "the mock check-in was not flagged"

# A physician with a credited day, for the service record (考核登记表) and the visit export:
# yesterday's offline check-in with yesterday's printed code, left open; today's live
# check-in closes it (missing_checkout) and opens today's. A supervisor dismissing both
# of yesterday's anomalies grants the check-out up to the end of the daily window.
CREDITED_PHONE=13700000005
CREDITED_NAME='周文华'
CREDITED_ID=$(api POST /api/v1/users "$ADMIN" "{\"role\":\"physician\",\"name\":\"$CREDITED_NAME\",\"phone\":\"$CREDITED_PHONE\",\"password\":\"$PASSWORD\",\"organization_id\":\"$HOSPITAL_ID\",\"title\":\"主任医师\"}" | field id)
own_password "$CREDITED_PHONE"
assign "$CREDITED_ID"
YESTERDAY=$(TZ=Asia/Shanghai date -d '-1 day' +%F)
DAILY_CODE=$(api GET "/api/v1/organizations/$SITE_ID/daily-codes?from=$YESTERDAY&days=1" "$ADMIN" | field codes.0.payload)
CREDITED=$(login "$CREDITED_PHONE" "$PASSWORD")
api POST /api/v1/attendance/check-in "$CREDITED" "{\"client_event_id\":\"$(uuid)\",\"qr_payload\":\"$DAILY_CODE\",\"device_id\":\"zhou-phone-01\",\"offline\":true,\"scanned_at\":\"${YESTERDAY}T09:00:00+08:00\",\"location\":{\"lat\":25.29090,\"lon\":117.41190,\"accuracy_m\":10,\"crs\":\"wgs84\",\"is_mock\":false}}" >/dev/null
api POST /api/v1/attendance/check-in "$CREDITED" "{\"client_event_id\":\"$(uuid)\",\"qr_payload\":\"$(api GET /api/v1/kiosk/code "$KIOSK_TOKEN" | field payload)\",\"device_id\":\"zhou-phone-01\",\"location\":{\"lat\":25.29110,\"lon\":117.41210,\"accuracy_m\":10,\"crs\":\"wgs84\",\"is_mock\":false}}" >/dev/null
for id in $(api GET "/api/v1/anomalies?status=open&physician_id=$CREDITED_ID" "$ADMIN" | node -e 'let t="";process.stdin.on("data",(d)=>(t+=d)).on("end",()=>console.log(JSON.parse(t).items.map((a)=>a.id).join(" ")))'); do
	api POST "/api/v1/anomalies/$id/review" "$ADMIN" '{"decision":"dismiss","note":"seeded: the day was served"}' >/dev/null
done
CREDITED_DAYS=$(api GET "/api/v1/physicians/$CREDITED_ID/service-record" "$ADMIN" | field cumulative_credited_days)
[[ $CREDITED_DAYS != 0 ]] || die "the seeded physician has no credited day"
log "credited physician $CREDITED_ID: $CREDITED_DAYS day(s)"

ANOMALY_ID=$(api GET '/api/v1/anomalies?status=open&kind=mock_location' "$ADMIN" | field items.0.id)
log "seeded: site $SITE_ID, physician $PHYSICIAN_ID, open anomaly $ANOMALY_ID"

# ---- the tests ------------------------------------------------------------------------
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
export CONSOLE_BASE_URL="$BASE"
export CONSOLE_PHONE="$SUPERVISOR_PHONE"
export CONSOLE_PASSWORD="$PASSWORD"
export CONSOLE_SITE_ID="$SITE_ID"
export CONSOLE_SITE_NAME='溪南镇卫生院'
export CONSOLE_PHYSICIAN_ID="$PHYSICIAN_ID"
export CONSOLE_PHYSICIAN_NAME="$PHYSICIAN_NAME"
export CONSOLE_ANOMALY_ID="$ANOMALY_ID"
export CONSOLE_EMPTY_CLINIC_NAME="$EMPTY_CLINIC_NAME"
export CONSOLE_CREDITED_PHYSICIAN_ID="$CREDITED_ID"
export CONSOLE_CREDITED_PHYSICIAN_NAME="$CREDITED_NAME"
export CONSOLE_CREDITED_PHYSICIAN_PHONE="$CREDITED_PHONE"
export CONSOLE_ARTIFACTS="$ARTIFACTS"
export BROWSER_BASE_URL="$BASE"
export BROWSER_ADMIN_PHONE="$ADMIN_PHONE"
export BROWSER_ADMIN_PASSWORD="$ADMIN_PASSWORD"
export BROWSER_KIOSK_TOKEN="$KIOSK_TOKEN"
export BROWSER_SITE_LAT="$SITE_LAT"
export BROWSER_SITE_LON="$SITE_LON"
export BROWSER_SITE_RADIUS_M="$SITE_RADIUS_M"
export BROWSER_MOBILE_PHONE="$MOBILE_PHONE"
export BROWSER_MOBILE_NAME="$MOBILE_NAME"
export BROWSER_MOBILE_PHYSICIAN_ID="$MOBILE_ID"
export BROWSER_KIOSK_PHYSICIAN_PHONE="$KIOSK_PHYSICIAN_PHONE"

log "npm test (Chromium: $CHROMIUM)"
set +e
if [[ -n ${BROWSER_TESTS:-} ]]; then
	# One file or a few while working on them, e.g. BROWSER_TESTS=mobile.test.mjs.
	# shellcheck disable=SC2086
	(cd "$HERE" && timeout -k 10s "${BROWSER_TEST_TIMEOUT:-600s}" node --test --test-reporter=spec --test-concurrency=1 $BROWSER_TESTS)
else
	(cd "$HERE" && timeout -k 10s "${BROWSER_TEST_TIMEOUT:-600s}" npm test)
fi
status=$?
set -e
if [[ $status -eq 0 ]]; then
	log "passed; screenshots in ${ARTIFACTS#"$ROOT"/}/"
	if [[ ${BROWSER_UPDATE_SCREENSHOTS:-} == 1 ]]; then
		# The README's pictures: the wall screen, a phone checking in, its month, the console.
		mkdir -p "$ROOT/docs/screenshots"
		for pair in kiosk.png:kiosk.png m-04-checked-in.png:mobile-check-in.png \
			m-07-summary.png:mobile-summary.png 02-detail.png:console-review.png \
			07-sentences.png:console-sentences.png 08-report.png:console-report.png \
			09-dashboard.png:console-dashboard.png 10-visit.png:console-visit.png \
			11-coverage.png:console-coverage.png 12-service-record.png:console-service-record.png; do
			[[ -f $ARTIFACTS/${pair%%:*} ]] || continue
			cp "$ARTIFACTS/${pair%%:*}" "$ROOT/docs/screenshots/${pair#*:}"
		done
		log "copied the README screenshots to docs/screenshots/"
	fi
else
	log "FAILED (exit $status); screenshots in ${ARTIFACTS#"$ROOT"/}/"
fi
exit "$status"

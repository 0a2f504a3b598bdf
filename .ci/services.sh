#!/usr/bin/env bash
# Throwaway PostgreSQL + Redis for the Xiaxiang test suite.
#
# By hand:
#   eval "$(bash .ci/services.sh start)"   # prints the two `export` lines
#   cargo test --workspace                 # now runs against PostgreSQL + Redis
#   bash .ci/services.sh stop              # stops exactly what `start` started
#   bash .ci/services.sh status | env | install
#
# From another script: `source .ci/services.sh` and use xs_install_if_missing,
# xs_start_all, xs_print_exports, xs_dump_logs, xs_stop_all.
#
# Everything `start` creates is recorded in a state directory
# ($XIAXIANG_SERVICES_STATE, default /tmp/xiaxiang-services); `stop` reads it
# and stops the processes by pid, then removes the temp dirs and the state dir.
#
# Environment knobs (all optional):
#   XIAXIANG_SERVICES_STATE  state dir (default /tmp/xiaxiang-services)
#   XIAXIANG_PG_BINDIR       PostgreSQL bin dir (default: detected under
#                            /usr/lib/postgresql, preferring 15)
#   XIAXIANG_SERVICE_WAIT    seconds to wait for each service (default 60)
#
# Ports 5432 and 6379 are never used, so a cluster/daemon started by the Debian
# packages (or anything else) does not matter and is never touched.
#
# Logging goes to stderr; stdout carries only the export lines.

XS_STATE_DEFAULT=/tmp/xiaxiang-services
XS_AVOID_PORTS=(5432 6379)

xs_log() { printf '[services] %s\n' "$*" >&2; }
xs_die() {
	xs_log "ERROR: $*"
	exit 1
}

xs_state_dir() { printf '%s\n' "${XIAXIANG_SERVICES_STATE:-$XS_STATE_DEFAULT}"; }

xs_state_init() {
	local d
	d=$(xs_state_dir)
	if [[ -L $d ]]; then
		xs_log "state dir $d is a symlink; refusing to use it"
		return 1
	fi
	mkdir -p "$d" || return 1
	if [[ ! -O $d ]]; then
		xs_log "state dir $d is not owned by $(id -un); refusing to use it"
		return 1
	fi
	chmod 700 "$d"
}

xs_state_set() { printf '%s\n' "$2" >"$(xs_state_dir)/$1"; }

xs_state_get() {
	local f
	f="$(xs_state_dir)/$1"
	if [[ -f $f ]]; then
		head -n 1 "$f"
	fi
	return 0
}

# Run a command as root: directly when we are root, otherwise through sudo
# (non-interactive under CI, since there is no stdin there).
xs_as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		if [[ ${CI:-} == true || ! -t 0 ]]; then
			sudo -n "$@"
		else
			sudo "$@"
		fi
	else
		xs_log "need root for: $* (not root and sudo is not available)"
		return 1
	fi
}

# PostgreSQL refuses to run as root, so as root we run it as `postgres`;
# as a normal user we simply run it as ourselves.
xs_pg_owner() {
	if [[ $EUID -eq 0 ]]; then
		printf 'postgres\n'
	else
		id -un
	fi
}

# Run a command as the PostgreSQL owner, from a directory it can read
# (the checkout may live under /root, which `postgres` cannot enter).
xs_as_pg() {
	local owner=$1
	shift
	if [[ $owner == "$(id -un)" ]]; then
		(cd / && "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$owner" -- "$@")
	elif command -v sudo >/dev/null 2>&1; then
		(cd / && sudo -n -u "$owner" -- "$@")
	else
		local q
		printf -v q '%q ' "$@"
		(cd / && su -s /bin/sh "$owner" -c "$q")
	fi
}

# ---------------------------------------------------------------- discovery

# PostgreSQL bin dir: $XIAXIANG_PG_BINDIR, else /usr/lib/postgresql/15/bin,
# else the highest version under /usr/lib/postgresql that has initdb.
xs_pg_bindir() {
	if [[ -n ${XIAXIANG_PG_BINDIR:-} ]]; then
		if [[ -x $XIAXIANG_PG_BINDIR/initdb ]]; then
			printf '%s\n' "$XIAXIANG_PG_BINDIR"
			return 0
		fi
		xs_log "XIAXIANG_PG_BINDIR=$XIAXIANG_PG_BINDIR has no initdb"
		return 1
	fi
	local base=/usr/lib/postgresql v best=''
	if [[ -x $base/15/bin/initdb ]]; then
		printf '%s\n' "$base/15/bin"
		return 0
	fi
	[[ -d $base ]] || return 1
	while IFS= read -r v; do
		if [[ -x $base/$v/bin/initdb && -x $base/$v/bin/pg_ctl ]]; then
			best=$v
		fi
	done < <(find "$base" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V)
	[[ -n $best ]] || return 1
	printf '%s\n' "$base/$best/bin"
}

xs_services_installed() {
	local bindir
	bindir=$(xs_pg_bindir 2>/dev/null) || return 1
	[[ -x $bindir/pg_ctl && -x $bindir/pg_isready ]] || return 1
	if [[ $EUID -eq 0 ]]; then
		id postgres >/dev/null 2>&1 || return 1
	fi
	command -v redis-server >/dev/null 2>&1 || return 1
	command -v redis-cli >/dev/null 2>&1 || return 1
}

# apt-get with retries for transient failures (mirror hiccups, dpkg lock).
xs_apt_get() {
	local attempt max=5
	for ((attempt = 1; attempt <= max; attempt++)); do
		if xs_as_root env DEBIAN_FRONTEND=noninteractive apt-get -q \
			-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 "$@" >&2; then
			return 0
		fi
		if ((attempt < max)); then
			xs_log "apt-get $* failed (attempt $attempt/$max); retrying in $((attempt * 10))s"
			sleep $((attempt * 10))
		fi
	done
	xs_log "apt-get $* failed after $max attempts"
	return 1
}

xs_install_if_missing() {
	if xs_services_installed; then
		xs_log "PostgreSQL ($(xs_pg_bindir)) and Redis ($(command -v redis-server)) already installed"
		return 0
	fi
	if [[ -n ${XIAXIANG_PG_BINDIR:-} ]] && ! xs_pg_bindir >/dev/null; then
		return 1
	fi
	command -v apt-get >/dev/null 2>&1 || {
		xs_log "PostgreSQL/Redis missing and apt-get is not available; install them by hand"
		return 1
	}
	xs_log "installing postgresql and redis-server with apt-get"
	xs_apt_get update || return 1
	xs_apt_get install -y --no-install-recommends postgresql redis-server || return 1
	xs_services_installed || {
		xs_log "PostgreSQL/Redis still not usable after apt-get install"
		return 1
	}
}

# ---------------------------------------------------------------- ports

xs_port_excluded() {
	local p=$1 x
	for x in "${XS_AVOID_PORTS[@]}" "${@:2}"; do
		[[ $p == "$x" ]] && return 0
	done
	return 1
}

# Print a free TCP port on 127.0.0.1, not 5432/6379 and not any of "$@".
xs_free_port() {
	local p i
	if command -v python3 >/dev/null 2>&1; then
		for ((i = 0; i < 20; i++)); do
			p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) || break
			if [[ $p =~ ^[0-9]+$ ]] && ! xs_port_excluded "$p" "$@"; then
				printf '%s\n' "$p"
				return 0
			fi
		done
	fi
	# No python3 (e.g. a minimal Debian image): probe with bash's /dev/tcp,
	# below the kernel's ephemeral range. A refused connection means free.
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		xs_port_excluded "$p" "$@" && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	xs_log "could not find a free port"
	return 1
}

# ---------------------------------------------------------------- postgres

xs_start_postgres() {
	local bindir owner dir port attempt wait=${XIAXIANG_SERVICE_WAIT:-60} i
	bindir=$(xs_pg_bindir) || {
		xs_log "no PostgreSQL found under /usr/lib/postgresql"
		return 1
	}
	owner=$(xs_pg_owner)
	dir=$(mktemp -d /tmp/xiaxiang-pg.XXXXXX) || return 1
	# Record before anything else so that stop can clean up a partial start.
	xs_state_set pg_dir "$dir"
	xs_state_set pg_owner "$owner"
	xs_state_set pg_bindir "$bindir"
	if [[ $owner != "$(id -un)" ]]; then
		chown "$owner:" "$dir" || return 1
	fi

	xs_log "initdb ($bindir) into $dir as $owner"
	xs_as_pg "$owner" "$bindir/initdb" -D "$dir" -A trust -U postgres \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 || {
		cat "$dir.initdb.log" >&2
		rm -f "$dir.initdb.log"
		return 1
	}
	rm -f "$dir.initdb.log"

	for attempt in 1 2 3; do
		port=$(xs_free_port "$(xs_state_get redis_port)") || return 1
		xs_log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt)"
		if xs_as_pg "$owner" "$bindir/pg_ctl" -D "$dir" \
			-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			-l "$dir/log" -t "$wait" start -w >&2; then
			break
		fi
		port=''
		tail -n 20 "$dir/log" >&2 2>/dev/null || true
	done
	[[ -n $port ]] || {
		xs_log "PostgreSQL did not start"
		return 1
	}
	xs_state_set pg_port "$port"
	xs_state_set pg_pid "$(head -n 1 "$dir/postmaster.pid")"

	for ((i = 0; i < wait; i++)); do
		if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
			xs_log "PostgreSQL ready on port $port (pid $(xs_state_get pg_pid))"
			return 0
		fi
		sleep 1
	done
	xs_log "PostgreSQL on port $port not ready after ${wait}s"
	tail -n 50 "$dir/log" >&2 2>/dev/null || true
	return 1
}

# True while pid exists and is not a zombie (in containers PID 1 may never
# reap the daemonized postgres/redis, and kill -0 succeeds on zombies).
xs_alive() {
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	kill -0 "$1" 2>/dev/null || return 1
	local stat=''
	if [[ -r /proc/$1/stat ]]; then
		stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
		stat=${stat##*) }
		[[ ${stat:0:1} != Z ]] || return 1
	fi
	return 0
}

xs_pid_is() { # pid comm-prefix: alive and (where /proc says) named so
	xs_alive "$1" || return 1
	local comm=''
	if [[ -r /proc/$1/comm ]]; then
		comm=$(<"/proc/$1/comm")
		[[ $comm == "$2"* ]] || return 1
	fi
	return 0
}

xs_wait_gone() { # pid seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		xs_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

xs_stop_postgres() {
	local dir owner bindir pid
	dir=$(xs_state_get pg_dir)
	[[ -n $dir ]] || return 0
	owner=$(xs_state_get pg_owner)
	bindir=$(xs_state_get pg_bindir)
	pid=$(xs_state_get pg_pid)
	if [[ -f $dir/postmaster.pid && -n $bindir && -n $owner ]]; then
		xs_log "stopping PostgreSQL (pid ${pid:-?}, $dir)"
		xs_as_pg "$owner" "$bindir/pg_ctl" -D "$dir" stop -m fast -w -t 30 >&2 ||
			xs_log "pg_ctl stop failed"
	fi
	if xs_pid_is "$pid" postgres && ! xs_wait_gone "$pid" 10; then
		xs_log "PostgreSQL pid $pid still alive; sending SIGQUIT/SIGKILL"
		kill -QUIT "$pid" 2>/dev/null || true
		xs_wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
		xs_wait_gone "$pid" 5 || xs_log "could not stop PostgreSQL pid $pid"
	fi
	rm -rf -- "$dir" "$dir.initdb.log"
	rm -f "$(xs_state_dir)"/pg_*
}

# ---------------------------------------------------------------- redis

xs_start_redis() {
	local dir port attempt pid='' wait=${XIAXIANG_SERVICE_WAIT:-60} i
	command -v redis-server >/dev/null 2>&1 || {
		xs_log "redis-server not found"
		return 1
	}
	dir=$(mktemp -d /tmp/xiaxiang-redis.XXXXXX) || return 1
	xs_state_set redis_dir "$dir"

	for attempt in 1 2 3; do
		port=$(xs_free_port "$(xs_state_get pg_port)") || return 1
		xs_log "starting Redis on 127.0.0.1:$port (attempt $attempt)"
		rm -f "$dir/redis.pid"
		redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
			--save '' --appendonly no --pidfile "$dir/redis.pid" --dir "$dir" \
			--logfile "$dir/redis.log" >&2 || {
			tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
			continue
		}
		# The daemon writes its pidfile right after forking.
		for ((i = 0; i < 100; i++)); do
			[[ -s $dir/redis.pid ]] && break
			sleep 0.1
		done
		pid=$(head -n 1 "$dir/redis.pid" 2>/dev/null || true)
		if [[ -n $pid ]]; then
			xs_state_set redis_pid "$pid"
			xs_state_set redis_port "$port"
			break
		fi
		# No pidfile: most likely the port was taken and the daemon exited.
		tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
	done
	[[ -n $pid ]] || {
		xs_log "Redis did not start"
		return 1
	}

	for ((i = 0; i < wait * 2; i++)); do
		if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
			xs_log "Redis ready on port $port (pid $pid)"
			return 0
		fi
		xs_alive "$pid" || break
		sleep 0.5
	done
	xs_log "Redis on port $port not answering"
	tail -n 50 "$dir/redis.log" >&2 2>/dev/null || true
	return 1
}

xs_stop_redis() {
	local dir pid
	dir=$(xs_state_get redis_dir)
	[[ -n $dir ]] || return 0
	pid=$(xs_state_get redis_pid)
	if [[ -z $pid && -s $dir/redis.pid ]]; then
		pid=$(head -n 1 "$dir/redis.pid")
	fi
	if xs_pid_is "$pid" redis; then
		xs_log "stopping Redis (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		if ! xs_wait_gone "$pid" 15; then
			xs_log "Redis pid $pid ignored SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			xs_wait_gone "$pid" 5 || xs_log "could not stop Redis pid $pid"
		fi
	fi
	rm -rf -- "$dir"
	rm -f "$(xs_state_dir)"/redis_*
}

# ---------------------------------------------------------------- all

xs_postgres_url() { printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$(xs_state_get pg_port)"; }
xs_redis_url() { printf 'redis://127.0.0.1:%s/\n' "$(xs_state_get redis_port)"; }

xs_print_exports() {
	printf 'export XIAXIANG_TEST_POSTGRES_URL=%q\n' "$(xs_postgres_url)"
	printf 'export XIAXIANG_TEST_REDIS_URL=%q\n' "$(xs_redis_url)"
}

# True when both services recorded in the state dir are alive and answering.
xs_running() {
	local bindir port pid
	bindir=$(xs_state_get pg_bindir)
	port=$(xs_state_get pg_port)
	[[ -n $bindir && -n $port ]] || return 1
	"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres || return 1
	pid=$(xs_state_get redis_pid)
	port=$(xs_state_get redis_port)
	[[ -n $port ]] && xs_pid_is "$pid" redis || return 1
	[[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]
}

xs_start_all() {
	xs_state_init || return 1
	xs_start_postgres || return 1
	xs_start_redis || return 1
}

xs_stop_all() {
	local d
	d=$(xs_state_dir)
	[[ -d $d ]] || return 0
	xs_stop_redis
	xs_stop_postgres
	rm -rf -- "$d"
}

xs_dump_logs() {
	local dir
	dir=$(xs_state_get pg_dir)
	if [[ -n $dir && -f $dir/log ]]; then
		xs_log "---- last lines of PostgreSQL log ($dir/log) ----"
		tail -n 100 "$dir/log" >&2 || true
	fi
	dir=$(xs_state_get redis_dir)
	if [[ -n $dir && -f $dir/redis.log ]]; then
		xs_log "---- last lines of Redis log ($dir/redis.log) ----"
		tail -n 100 "$dir/redis.log" >&2 || true
	fi
}

xs_status() {
	local d
	d=$(xs_state_dir)
	if [[ ! -d $d ]]; then
		xs_log "not started (no state dir $d)"
		return 1
	fi
	xs_log "PostgreSQL: pid $(xs_state_get pg_pid), port $(xs_state_get pg_port), dir $(xs_state_get pg_dir)"
	xs_log "Redis:      pid $(xs_state_get redis_pid), port $(xs_state_get redis_port), dir $(xs_state_get redis_dir)"
	if xs_running; then
		xs_log "both running"
		xs_print_exports
	else
		xs_log "not (fully) running; run: bash $0 stop"
		return 1
	fi
}

# ---------------------------------------------------------------- CLI

# EXIT trap for `start`: if starting failed half-way, undo what was started.
xs_start_failed() {
	local rc=$?
	trap - EXIT
	if [[ $rc -ne 0 ]]; then
		set +e
		xs_dump_logs
		xs_stop_all
	fi
	exit "$rc"
}

xs_main() {
	set -euo pipefail
	local cmd=${1:-}
	case $cmd in
	start)
		if [[ -d $(xs_state_dir) ]]; then
			if xs_running; then
				xs_log "already running (state in $(xs_state_dir))"
				xs_print_exports
				return 0
			fi
			xs_log "stale state in $(xs_state_dir); cleaning it up first"
			xs_stop_all
		fi
		xs_install_if_missing
		# On failure, undo whatever part was started.
		trap xs_start_failed EXIT
		xs_start_all
		trap - EXIT
		xs_log "started; state in $(xs_state_dir). Stop with: bash $0 stop"
		xs_print_exports
		;;
	stop) xs_stop_all ;;
	status) xs_status ;;
	env)
		xs_running || xs_die "services are not running; run: bash $0 start"
		xs_print_exports
		;;
	install) xs_install_if_missing ;;
	*)
		printf 'usage: %s start|stop|status|env|install\n' "$0" >&2
		# shellcheck disable=SC2016 # literal $(...) in the usage text
		printf '  eval "$(bash %s start)"   then   bash %s stop\n' "$0" "$0" >&2
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	xs_main "$@"
fi

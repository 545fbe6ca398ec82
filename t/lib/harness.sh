# shellcheck shell=bash
# harness.sh: TAP helpers and throw-away PostgreSQL, parley and nginx for integration tests.
#
# Source it from a t/NNNN-topic.t script:
#	. "$top_srcdir/t/lib/harness.sh"
# Everything a test starts lives under the temp folder $T and is stopped, and
# $T removed, when the test exits, also when it fails or is interrupted.
# Set PARLEY_TEST_KEEP=1 to keep $T for a post-mortem.
# With a parley built by ./configure --enable-sanitizers, every AddressSanitizer,
# LeakSanitizer or UndefinedBehaviorSanitizer report of any process the test ran
# fails the test (see "Sanitizers" below and docs/fuzzing.md).
#
# TAP:      plan N; ok STATUS DESC; check DESC CMD...; is GOT WANT DESC; isnt; like GOT
#           REGEX DESC; unlike; diag TEXT; skip WHY [N]; skip_all WHY; bail WHY; done_testing
# Services: pg_start, pg_stop, pg_restart, sql QUERY (psql on the test database),
#           count_rows TABLE, parley_migrate, parley_start [ARGS], parley_stop,
#           parley_workers, nginx_start, nginx_stop, track PID (stop it at exit too);
#           db_start (pg_start and parley_migrate), stack_start [ARGS] (all of them)
# HTTP:     http METHOD PATH [CURL ARGS] sets STATUS BODY HEADERS ($BODY_FILE,
#           $HEADERS_FILE); header NAME; location; cookie_jar_reset
# Helpers:  requires CMD [PACKAGE], wait_for TENTHS CMD..., free_port, now_ms
# Variables: T, top_srcdir, top_builddir, PARLEY_BIN, PARLEY_SOCK, PARLEY_PID,
#           DATABASE_URL/PGHOST/PGPORT/PGDATABASE (after pg_start), HTTP_PORT and
#           BASE_URL (after nginx_start), WORKERS and THREADS (read by parley_start).

set -u

# Run by hand (not from make check), find the trees from this file's location.
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
PARLEY_BIN=${PARLEY_BIN:-$top_builddir/parley}
export top_srcdir top_builddir PARLEY_BIN

# Messages from the tools below must be in English (tests match them), text UTF-8.
export LC_ALL=C.UTF-8

T=$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX") || {
	echo "Bail out! cannot create a temp folder"
	exit 1
}
export T

##
# Sanitizers: with a sanitized parley, each process the test runs (parley serve, its
# workers, every parley command, the sanitized test helpers) writes its AddressSanitizer
# and LeakSanitizer reports to its own file $T/sanitizer/report.PID instead of a stderr
# that is often a log nobody reads, or /dev/null. UndefinedBehaviorSanitizer cannot
# follow (gcc links it as a second runtime that always writes to stderr), so its
# reports are searched for in the files the test left in $T, parley.log among them.
# done_testing (and the exit trap, for reports made later) turns any report into a
# failed test with the report as diagnostics.
##
_harness_san_dir=$T/sanitizer
_harness_san_seen=0
# Matches an error report, never a mere warning.
_harness_san_re='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Sanitizer CHECK failed|LeakSanitizer has encountered a fatal error'
if [ -f "$PARLEY_BIN" ] && grep -aqm1 __asan_init "$PARLEY_BIN" 2>/dev/null; then
	_harness_sanitized=1
	mkdir -p "$_harness_san_dir"
	# halt_on_error: an invalid access ends the process, as it would crash for real
	# (UBSan is built with -fno-sanitize-recover, so it ends the process too).
	# detect_leaks: each process that ends through exit() is checked for leaks; one
	# that is SIGKILLed, or ends by _exit(), only if it runs the check itself.
	# No log_path in UBSAN_OPTIONS: with gcc it would take over ASan's, not move UBSan's.
	# Settings given by the person running the tests come last and win.
	ASAN_OPTIONS="log_path=$_harness_san_dir/report:detect_leaks=1:abort_on_error=0:halt_on_error=1:handle_abort=1:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export ASAN_OPTIONS UBSAN_OPTIONS
else
	_harness_sanitized=0
fi

_tap_n=0
_tap_failed=0
_tap_planned=
_harness_pids=()
_harness_pgbase=
PARLEY_PID=
NGINX_PID=
PG_BINDIR=${PG_BINDIR:-}
HTTP_PORT=
BASE_URL=

##
# TAP
##

# plan N: announce how many tests will run.
plan() {
	_tap_planned=$1
	echo "1..$1"
}

# ok STATUS DESC: one test result; STATUS is an exit status (0 passes).
ok() {
	local rc=$1 desc
	shift
	# A bare "#" would start a TAP directive.
	desc=${*//#/\\#}
	_tap_n=$((_tap_n + 1))
	if [ "$rc" -eq 0 ] 2>/dev/null; then
		echo "ok $_tap_n - $desc"
		return 0
	fi
	echo "not ok $_tap_n - $desc"
	_tap_failed=$((_tap_failed + 1))
	return 1
}

# check DESC CMD ARGS...: runs the command; passes when it exits 0.
check() {
	local desc=$1
	shift
	"$@"
	ok $? "$desc"
}

# is GOT WANT DESC: string equality.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "     got: '$1'"
	diag "expected: '$2'"
	return 1
}

# isnt GOT UNWANTED DESC: string inequality.
isnt() {
	if [ "$1" != "$2" ]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "     got: '$1'"
	diag "expected anything else"
	return 1
}

# like GOT REGEX DESC: bash (extended) regular expression match.
like() {
	if [[ $1 =~ $2 ]]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "                  '${1:0:2000}'"
	diag "doesn't match '$2'"
	return 1
}

# unlike GOT REGEX DESC: the opposite of like.
unlike() {
	if ! [[ $1 =~ $2 ]]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "                  '${1:0:2000}'"
	diag "matches '$2'"
	return 1
}

# diag TEXT...: a TAP comment (each line prefixed with "# ").
diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# skip WHY [COUNT]: records COUNT (default 1) skipped tests.
skip() {
	local why=$1 count=${2:-1} i
	for ((i = 0; i < count; i++)); do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP $why"
	done
}

# skip_all WHY: the whole test does not apply here; exits.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# requires CMD [PACKAGE]: skips the whole test when CMD is not installed (PACKAGE: the
# Debian package that has it, CMD's own name by default).
requires() {
	command -v "$1" >/dev/null 2>&1 || skip_all "$1 is not installed (apt-get install ${2:-$1})"
}

# bail WHY: something the rest depends on failed; exits.
bail() {
	echo "Bail out! $*"
	_harness_show_logs
	exit 255
}

# done_testing: prints the plan if none was given; exits non-zero on failure.
done_testing() {
	if [ "$_harness_sanitized" = 1 ]; then
		# Leaks are reported when a process exits: end them all first.
		_harness_stop_tracked 100
	fi
	_harness_sanitizer_check
	if [ -z "$_tap_planned" ]; then
		echo "1..$_tap_n"
	elif [ "$_tap_planned" -ne "$_tap_n" ]; then
		diag "planned $_tap_planned tests but ran $_tap_n"
		exit 1
	fi
	if [ "$_tap_failed" -gt 0 ]; then
		diag "failed $_tap_failed of $_tap_n tests"
		_harness_show_logs
		exit 1
	fi
	exit 0
}

# The sanitizer reports made since the last call, as one failed test with the
# reports as diagnostics; silent when there is none. Searches the report files and
# the files the test wrote in $T (logs, captured output: UBSan's reports, and those
# of a process given its own ASAN_OPTIONS), only when the binary is sanitized.
_harness_sanitizer_check() {
	local files=() f n
	[ "$_harness_sanitized" = 1 ] || return 0
	for f in "$_harness_san_dir"/report.* "$T"/*; do
		[ -f "$f" ] && [ -s "$f" ] && files+=("$f")
	done
	[ "${#files[@]}" -gt 0 ] || return 0
	n=$(cat "${files[@]}" 2>/dev/null | grep -Ec "$_harness_san_re")
	[ "${n:-0}" -gt "$_harness_san_seen" ] || return 0
	_harness_san_seen=$n
	ok 1 "no AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report"
	while IFS= read -r f; do
		diag "--- sanitizer report in $f (first 80 lines):"
		diag "$(head -n 80 "$f")"
	done < <(grep -lE "$_harness_san_re" "${files[@]}" 2>/dev/null)
	return 1
}

# Tails of the logs of what we started, so a failure explains itself in test-suite.log.
_harness_show_logs() {
	local f
	for f in "$T/parley.log" "$T/nginx/error.log" "${_harness_pgbase:+$_harness_pgbase/log}"; do
		if [ -z "$f" ] || [ ! -s "$f" ]; then
			continue
		fi
		diag "--- last lines of $f:"
		diag "$(tail -n 25 "$f")"
	done
}

##
# Processes and cleanup
##

# track PID: stop this process (and its process group) at exit.
track() {
	_harness_pids+=("$1")
}

# Stops a process and its process group: SIGTERM, up to $2 tenths of a second, then SIGKILL.
_harness_kill() {
	local pid=$1 tenths=${2:-50} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < tenths; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# _harness_stop_tracked TENTHS: stops every tracked process, each given TENTHS to end.
_harness_stop_tracked() {
	local pid
	for pid in "${_harness_pids[@]}"; do
		_harness_kill "$pid" "$1"
	done
	_harness_pids=()
}

_harness_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$_harness_sanitized" = 1 ]; then
		# A sanitized process takes longer to drain and to check itself for leaks.
		_harness_stop_tracked 100
	else
		_harness_stop_tracked 30
	fi
	_harness_pg_ctl stop -m immediate >/dev/null 2>&1
	# Reports of processes that ended after done_testing, or when it was not reached.
	if ! _harness_sanitizer_check; then
		[ "$rc" -ne 0 ] || rc=1
	fi
	if [ "${PARLEY_TEST_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
		[ -n "$_harness_pgbase" ] && [ "$_harness_pgbase" != "$T/pg" ] && rm -rf "$_harness_pgbase"
	fi
	# An exit trap's own status is lost unless it calls exit.
	exit "$rc"
}

trap _harness_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for TENTHS CMD ARGS...: polls CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
	local tenths=$1 i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# now_ms: the wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# free_port: prints a TCP port no socket uses (checked against /proc/net/tcp*), below the
# kernel's range of ports for outgoing connections, so that a client's connection made
# meanwhile (wrk, curl, nginx to an upstream) cannot take it before the server binds it.
free_port() {
	local port hex used low=32768 span
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
	[ "$low" -gt 12000 ] 2>/dev/null || low=32768
	span=$((low - 10000))
	used=$(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	for _ in $(seq 1 200); do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % span))
		printf -v hex '%04X' "$port"
		case $'\n'"$used"$'\n' in
		*$'\n'"$hex"$'\n'*) continue ;;
		esac
		echo "$port"
		return 0
	done
	return 1
}

##
# PostgreSQL: a private cluster reachable only through a unix socket in its folder
##

PG_PORT=5432
_harness_pg_bindir() {
	local d
	# Debian keeps the server tools out of PATH; newest version first.
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -rn) \
	    "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# The cluster's owner: PostgreSQL refuses to run as root.
_harness_pg_user() {
	if [ "$(id -u)" -ne 0 ]; then
		id -un
	elif id postgres >/dev/null 2>&1; then
		echo postgres
	else
		echo nobody
	fi
}

_harness_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$(_harness_pg_user)" -- "$@"
	else
		"$@"
	fi
}

_harness_pg_ctl() {
	[ -n "$_harness_pgbase" ] && [ -d "$_harness_pgbase/data" ] || return 0
	_harness_pg_as "$PG_BINDIR/pg_ctl" -D "$_harness_pgbase/data" -l "$_harness_pgbase/log" -w -t 30 "$@"
}

# pg_start: initdb, start, create database "parley"; exports DATABASE_URL, PGHOST, PGPORT, PGDATABASE.
pg_start() {
	local pguser me
	PG_BINDIR=$(_harness_pg_bindir) || bail "PostgreSQL server binaries not found (install postgresql)"
	export PG_BINDIR
	pguser=$(_harness_pg_user)
	me=$(id -un)
	if [ -z "$_harness_pgbase" ]; then
		_harness_pgbase=$T/pg
		mkdir -p "$_harness_pgbase"
		if [ "$(id -u)" -eq 0 ]; then
			# The cluster's owner must reach $T; if TMPDIR is private to root, use /tmp.
			chmod 0711 "$T"
			chown "$pguser" "$_harness_pgbase"
			if ! runuser -u "$pguser" -- test -w "$_harness_pgbase"; then
				rm -rf "$_harness_pgbase"
				_harness_pgbase=$(mktemp -d /tmp/parley-pg.XXXXXX) || bail "mktemp failed"
				chown "$pguser" "$_harness_pgbase"
			fi
		fi
	fi
	PGSOCKDIR=$_harness_pgbase
	export PGSOCKDIR
	if [ ! -d "$_harness_pgbase/data" ]; then
		# The superuser is named like the user running the tests, so libpq's default works.
		_harness_pg_as "$PG_BINDIR/initdb" -D "$_harness_pgbase/data" -U "$me" -A trust \
		    -E UTF8 --locale=C.UTF-8 --no-sync >"$T/pg.log" 2>&1 || {
			diag "$(tail -n 20 "$T/pg.log")"
			bail "initdb failed"
		}
		cat >>"$_harness_pgbase/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$_harness_pgbase'
		port = $PG_PORT
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 100
		shared_buffers = 16MB
		EOF
	fi
	_harness_pg_ctl start >>"$T/pg.log" 2>&1 || {
		diag "$(tail -n 20 "$T/pg.log")"
		bail "PostgreSQL did not start"
	}
	PGHOST=$_harness_pgbase
	PGPORT=$PG_PORT
	PGDATABASE=parley
	DATABASE_URL="postgresql:///parley?host=$_harness_pgbase&port=$PG_PORT"
	export PGHOST PGPORT PGDATABASE DATABASE_URL
	if ! "$PG_BINDIR/psql" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'parley'" 2>>"$T/pg.log" | grep -q 1; then
		"$PG_BINDIR/createdb" parley >>"$T/pg.log" 2>&1 || bail "createdb parley failed"
	fi
}

# pg_stop: stops the cluster (fast shutdown: open connections are cut).
pg_stop() {
	_harness_pg_ctl stop -m fast >>"$T/pg.log" 2>&1
}

# pg_restart: starts the stopped cluster again, on the same socket and port.
pg_restart() {
	_harness_pg_ctl start >>"$T/pg.log" 2>&1
}

# pg_server_log: prints the path of the server's own log (what log_statement and friends write).
pg_server_log() {
	echo "$_harness_pgbase/log"
}

# pg_log_statements: from now on the server logs every statement (to pg_server_log) after
# its virtual transaction, "[vxid N/M] ": statements sent together before one sync share an
# implicit transaction, so a shared id shows they went in one round trip.
pg_log_statements() {
	sql "ALTER SYSTEM SET log_statement = 'all'" >/dev/null &&
	    sql "ALTER SYSTEM SET log_line_prefix = '[vxid %v] '" >/dev/null &&
	    sql "SELECT pg_reload_conf()" >/dev/null || bail "cannot turn on statement logging"
	sleep 0.5
}

# statement_vxid STATEMENT LINES: the virtual transaction of the last execution of the
# prepared statement named STATEMENT (an extended regular expression) in LINES of that log.
statement_vxid() {
	grep -E "execute $1:" <<<"$2" | tail -n 1 | sed -E 's/^\[vxid ([^]]*)\].*/\1/'
}

# sql QUERY [PSQL ARGS...]: runs one query against the test database; prints rows unaligned.
sql() {
	local q=$1
	shift
	"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -Atq "$@" -c "$q"
}

# count_rows TABLE: how many rows TABLE has.
count_rows() {
	sql "SELECT count(*) FROM $1"
}

##
# parley
##

# parley_migrate [ARGS]: `parley migrate up` against DATABASE_URL; output in $T/migrate.log.
parley_migrate() {
	if "$PARLEY_BIN" migrate up "$@" >>"$T/migrate.log" 2>&1; then
		return 0
	fi
	diag "parley migrate up failed:"
	diag "$(tail -n 20 "$T/migrate.log")"
	return 1
}

PARLEY_SOCK=$T/parley.sock
export PARLEY_SOCK

_harness_sock_id() {
	stat -c '%i' "$PARLEY_SOCK" 2>/dev/null
}

# parley_start [ARGS]: `parley serve` on unix:$PARLEY_SOCK in the background; waits until it serves.
# Its stdout and stderr go to $T/parley.log. Sets PARLEY_PID (the supervisor).
parley_start() {
	local before i
	[ -x "$PARLEY_BIN" ] || bail "$PARLEY_BIN is not built"
	before=$(_harness_sock_id)
	# Its own process group, so cleanup reaches the workers even if the supervisor died.
	PARLEY_SECURE_COOKIES=0 setsid "$PARLEY_BIN" serve --listen "unix:$PARLEY_SOCK" \
	    --workers "${WORKERS:-2}" --threads "${THREADS:-4}" "$@" >>"$T/parley.log" 2>&1 </dev/null &
	PARLEY_PID=$!
	export PARLEY_PID
	track "$PARLEY_PID"
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$PARLEY_PID" 2>/dev/null; then
			diag "parley serve exited during start:"
			diag "$(tail -n 20 "$T/parley.log")"
			return 1
		fi
		if [ -S "$PARLEY_SOCK" ] && [ "$(_harness_sock_id)" != "$before" ]; then
			# Workers accept from the supervisor's socket; with nginx up, prove it end to end.
			if [ -z "$NGINX_PID" ] || curl -fsS -o /dev/null --max-time 2 "$BASE_URL/healthz" 2>/dev/null; then
				return 0
			fi
		fi
		sleep 0.1
	done
	diag "parley serve did not become ready in 10 s:"
	diag "$(tail -n 20 "$T/parley.log")"
	return 1
}

# parley_stop: SIGTERM, up to 10 s to drain, then SIGKILL. Returns serve's exit status.
parley_stop() {
	local pid=$PARLEY_PID i rc
	[ -n "$pid" ] || return 0
	PARLEY_PID=
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "parley serve ignored SIGTERM for 10 s; killing it"
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	# Leftover workers in its group are a bug, but must not outlive the test.
	kill -KILL -- "-$pid" 2>/dev/null
	return "$rc"
}

# parley_workers: the worker PIDs of the running parley, one per line.
parley_workers() {
	pgrep -P "$PARLEY_PID"
}

# db_start: pg_start, then parley_migrate; bails when the migrations fail.
db_start() {
	pg_start
	parley_migrate || bail "migrations failed"
}

# stack_start [ARGS]: db_start, nginx_start and parley_start ARGS (which reads WORKERS,
# THREADS and parley's settings from the environment); bails when any of them fails.
stack_start() {
	db_start
	nginx_start
	parley_start "$@" || bail "parley did not start"
}

##
# nginx in front of parley, on loopback
##

# nginx_conf PORT: writes $T/nginx/nginx.conf for the given port.
nginx_conf() {
	local port=$1 user_line='' params=/etc/nginx/fastcgi_params mime=/etc/nginx/mime.types
	# As root, workers would run as nobody and could not reach root's socket in $T.
	[ "$(id -u)" -eq 0 ] && user_line="user root;"
	mkdir -p "$T/nginx"
	{
		cat <<-EOF
		# Written by t/lib/harness.sh for one test run.
		$user_line
		daemon off;
		master_process on;
		worker_processes 1;
		pid $T/nginx/nginx.pid;
		error_log $T/nginx/error.log info;
		events { worker_connections 1024; }
		http {
		EOF
		[ -r "$mime" ] && echo "	include $mime;"
		cat <<-EOF
			default_type application/octet-stream;
			access_log $T/nginx/access.log;
			client_body_temp_path $T/nginx/client_body;
			fastcgi_temp_path $T/nginx/fastcgi;
			proxy_temp_path $T/nginx/proxy;
			uwsgi_temp_path $T/nginx/uwsgi;
			scgi_temp_path $T/nginx/scgi;
			# Bigger than parley's own 1 MiB limit, so parley's 413 is what tests see.
			client_max_body_size 2m;
			map \$http_x_request_id \$parley_request_id {
				"" \$request_id;
				default \$http_x_request_id;
			}
			# Each idle kept connection holds a parley thread: stay well below
			# WORKERS x THREADS (8 by default), or new connections wait.
			upstream parley {
				server unix:$PARLEY_SOCK;
				keepalive 4;
			}
			server {
				listen 127.0.0.1:$port;
				server_name localhost;
				location /static/ {
					alias $top_srcdir/static/;
				}
				location = /nginx-ok {
					return 200 "ok";
				}
				location / {
		EOF
		if [ -r "$params" ]; then
			echo "			include $params;"
		else
			cat <<-'EOF'
					fastcgi_param QUERY_STRING $query_string;
					fastcgi_param REQUEST_METHOD $request_method;
					fastcgi_param CONTENT_TYPE $content_type;
					fastcgi_param CONTENT_LENGTH $content_length;
					fastcgi_param SCRIPT_NAME $fastcgi_script_name;
					fastcgi_param REQUEST_URI $request_uri;
					fastcgi_param DOCUMENT_URI $document_uri;
					fastcgi_param SERVER_PROTOCOL $server_protocol;
					fastcgi_param REQUEST_SCHEME $scheme;
					fastcgi_param GATEWAY_INTERFACE CGI/1.1;
					fastcgi_param REMOTE_ADDR $remote_addr;
					fastcgi_param REMOTE_PORT $remote_port;
					fastcgi_param SERVER_ADDR $server_addr;
					fastcgi_param SERVER_PORT $server_port;
					fastcgi_param SERVER_NAME $server_name;
			EOF
		fi
		cat <<-'EOF'
					fastcgi_param HTTP_X_REQUEST_ID $parley_request_id;
					fastcgi_keep_conn on;
					fastcgi_buffers 16 16k;
					fastcgi_read_timeout 300s;
					fastcgi_pass parley;
				}
			}
		}
		EOF
	} >"$T/nginx/nginx.conf"
}

# nginx_start: nginx on 127.0.0.1:$HTTP_PORT (a free port); exports HTTP_PORT, BASE_URL.
nginx_start() {
	local i
	command -v nginx >/dev/null 2>&1 || bail "nginx not found (install nginx-light)"
	for _ in 1 2 3 4 5; do
		HTTP_PORT=$(free_port) || bail "no free TCP port"
		BASE_URL=http://127.0.0.1:$HTTP_PORT
		export HTTP_PORT BASE_URL
		nginx_conf "$HTTP_PORT"
		: >"$T/nginx/error.log"
		setsid nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" </dev/null >>"$T/nginx/stderr.log" 2>&1 &
		NGINX_PID=$!
		track "$NGINX_PID"
		for ((i = 0; i < 50; i++)); do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			if curl -sS -o /dev/null --max-time 2 "$BASE_URL/nginx-ok" 2>/dev/null; then
				return 0
			fi
			sleep 0.1
		done
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
		# Someone took the port between our check and the bind: try another.
		grep -q 'Address already in use' "$T/nginx/error.log" "$T/nginx/stderr.log" 2>/dev/null && continue
		break
	done
	diag "nginx did not start:"
	diag "$(cat "$T/nginx/stderr.log" "$T/nginx/error.log" 2>/dev/null | tail -n 20)"
	bail "nginx did not start"
}

# nginx_stop: stops nginx (SIGQUIT lets it finish open requests).
nginx_stop() {
	local pid=$NGINX_PID
	[ -n "$pid" ] || return 0
	NGINX_PID=
	kill -QUIT "$pid" 2>/dev/null
	wait_for 50 eval "! kill -0 $pid 2>/dev/null"
	_harness_kill "$pid" 10
}

##
# HTTP through nginx
##

COOKIE_JAR=$T/cookies
BODY_FILE=$T/http.body
HEADERS_FILE=$T/http.headers
# Set by http() for the test scripts that source this file.
# shellcheck disable=SC2034
STATUS='' BODY='' HEADERS=''

: >"$COOKIE_JAR"
export COOKIE_JAR

# cookie_jar_reset: forget every cookie (a new, anonymous client).
cookie_jar_reset() {
	: >"$COOKIE_JAR"
}

# http METHOD PATH [CURL ARGS...]: one request through nginx, no redirects followed.
# Sets STATUS ("000" when the connection failed), BODY, HEADERS (CRs removed) and
# the files $BODY_FILE and $HEADERS_FILE. Returns curl's exit status.
http() {
	local method=$1 path=$2 rc mflag jar_new="$COOKIE_JAR.$BASHPID"
	shift 2
	case $method in
	HEAD) mflag=(-I) ;;
	*) mflag=(-X "$method") ;;
	esac
	: >"$BODY_FILE"
	: >"$HEADERS_FILE"
	# The jar is written to a new file and renamed into place: a curl of the test running
	# in the background that reads the jar meanwhile sees the old one or the new one,
	# never a half-written file (which would sign it out).
	# shellcheck disable=SC2034
	STATUS=$(curl -sS "${mflag[@]}" -o "$BODY_FILE" -D "$HEADERS_FILE" -w '%{http_code}' \
	    -b "$COOKIE_JAR" -c "$jar_new" --max-time "${HTTP_TIMEOUT:-30}" \
	    "$@" "$BASE_URL$path" 2>"$T/http.err")
	rc=$?
	[ ! -f "$jar_new" ] || mv -f "$jar_new" "$COOKIE_JAR"
	# shellcheck disable=SC2034
	BODY=$(cat "$BODY_FILE")
	# shellcheck disable=SC2034
	HEADERS=$(tr -d '\r' <"$HEADERS_FILE")
	[ "$rc" -eq 0 ] || diag "curl $method $path: $(cat "$T/http.err")"
	return "$rc"
}

# header NAME: prints the value of a response header of the last http call (case-insensitive).
header() {
	awk -v want="$(echo "$1" | tr '[:upper:]' '[:lower:]')" '
		{ sub(/\r$/, "") }
		index($0, ":") {
			name = tolower(substr($0, 1, index($0, ":") - 1))
			if (name == want) {
				v = substr($0, index($0, ":") + 1)
				sub(/^[ \t]+/, "", v)
				sub(/[ \t]+$/, "", v)
				found = v
			}
		}
		END { if (found != "") print found; else exit 1 }
	' "$HEADERS_FILE"
}

# location: the Location header of the last answer.
location() {
	header Location
}

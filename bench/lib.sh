# shellcheck shell=bash
# bench/lib.sh: what the bench scripts share: a throw-away PostgreSQL and parley (through
# t/lib/harness.sh, which also cleans everything up at exit), an nginx set up for measuring,
# wrk runs with the CPU time per request of each process involved, and parley's memory.
#
# Source it from a bench script:   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Results: bench_wrk NAME ... leaves R[NAME.rps], R[NAME.p99] and so on (see bench_wrk);
# bench_record KEY VALUE appends "KEY<TAB>VALUE" to $BENCH_RESULTS when that is set
# (bench/all.sh collects those lines into the table of bench/README.md).
# Not tests: nothing here passes or fails on a figure.
# shellcheck disable=SC2046 # lists of PIDs are split into arguments on purpose

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$bench_dir/.." && pwd)}
# shellcheck source=../t/lib/harness.sh
. "$top_srcdir/t/lib/harness.sh"
set -o pipefail

declare -A R=()
BENCH_HZ=$(getconf CLK_TCK)
NGINX_WORKERS=${NGINX_WORKERS:-1}

# bench_die MESSAGE: stops the bench (the harness's exit trap cleans up).
bench_die() {
	echo "bench: $*" >&2
	[ -s "$T/parley.log" ] && tail -n 20 "$T/parley.log" >&2
	exit 1
}

# bench_need TOOL...: stops with the Debian package to install when a tool is missing.
bench_need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || bench_die "$tool is not installed (apt-get install $tool)"
	done
	[ -x "$PARLEY_BIN" ] || bench_die "$PARLEY_BIN is not built (run make)"
}

# bench_record KEY VALUE: one result line for bench/all.sh.
bench_record() {
	[ -n "${BENCH_RESULTS:-}" ] && printf '%s\t%s\n' "$1" "$2" >>"$BENCH_RESULTS"
	return 0
}

##
# Processes and their CPU time
##

# bench_children PID: PID and its children, space-separated.
bench_children() {
	echo "$1" $(pgrep -P "$1" | tr '\n' ' ')
}
parley_pids() { bench_children "$PARLEY_PID"; }
worker_pids() { pgrep -P "$PARLEY_PID" | tr '\n' ' '; }
nginx_pids() { bench_children "$BENCH_NGINX_PID"; }
# The PostgreSQL server and its backends, when the bench started one.
postgres_pids() {
	local pm
	[ -n "${PGHOST:-}" ] && [ -r "$PGHOST/data/postmaster.pid" ] || return 0
	pm=$(head -n 1 "$PGHOST/data/postmaster.pid")
	bench_children "$pm"
}

# bench_cpu PID...: "USER SYSTEM CSW" clock ticks used so far by these processes (all their
# threads; a thread that has exited is counted in its process's total) and their context
# switches. One cat and one awk whatever the number of processes: forks are slow on small VMs.
bench_cpu() {
	local pid files=()
	for pid in "$@"; do
		[ -r "/proc/$pid/stat" ] && files+=("/proc/$pid/stat" /proc/"$pid"/task/*/status)
	done
	[ "${#files[@]}" -gt 0 ] || { echo "0 0 0"; return 0; }
	cat "${files[@]}" 2>/dev/null | awk '
		/^[0-9]+ \(/ {
			# After the ")" that ends the command name: state is the 1st field, utime the 12th.
			sub(/.*\) /, ""); split($0, f, " "); u += f[12]; k += f[13]; next
		}
		/ctxt_switches:/ { c += $2 }
		END { print u + 0, k + 0, c + 0 }'
}

# bench_per_req "U0 S0 C0" "U1 S1 C1" REQUESTS: "US SYS% CSW": CPU microseconds per request,
# the kernel's share of them, and context switches per request.
bench_per_req() {
	awk -v a="$1" -v b="$2" -v hz="$BENCH_HZ" -v r="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		u = y[1] - x[1]; k = y[2] - x[2]; c = y[3] - x[3]
		if (r == 0) { print "- - -"; exit }
		printf "%.1f %d %.2f\n", (u + k) * 1e6 / hz / r, (u + k) ? 100 * k / (u + k) : 0, c / r
	}'
}

# bench_pss_kb PID...: proportional set size summed over these processes, in kB.
bench_pss_kb() {
	local pid sum=0 v
	for pid in "$@"; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# bench_mb KB: "12.3".
bench_mb() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

##
# Services
##

# bench_parley_start [ARGS]: parley serve with $WORKERS and $THREADS (harness's parley_start),
# access lines going to $T/parley.log as they would to a journal.
bench_parley_start() {
	PARLEY_LOG_LEVEL=${PARLEY_LOG_LEVEL:-warn} parley_start "$@" || bench_die "parley serve did not start"
}

# bench_nginx_start: nginx on 127.0.0.1 (exports BASE_URL) in front of parley's socket, set up as
# nginx.conf.example (kept FastCGI connections, buffering on, the request id), but without an
# access log, and with `location = /direct { return 200 }` as the ceiling to compare with.
# KEEPALIVE: idle FastCGI connections nginx keeps (each holds a parley thread while idle).
bench_nginx_start() {
	local port user_line='' conf=$T/bnginx/nginx.conf i
	mkdir -p "$T/bnginx"
	[ "$(id -u)" -eq 0 ] && user_line="user root;"
	port=$(free_port) || bench_die "no free TCP port"
	cat >"$conf" <<-EOF
	$user_line
	daemon off;
	worker_processes $NGINX_WORKERS;
	pid $T/bnginx/nginx.pid;
	error_log $T/bnginx/error.log warn;
	events { worker_connections 4096; }
	http {
		access_log off;
		client_body_temp_path $T/bnginx/body;
		fastcgi_temp_path $T/bnginx/fastcgi;
		proxy_temp_path $T/bnginx/proxy;
		uwsgi_temp_path $T/bnginx/uwsgi;
		scgi_temp_path $T/bnginx/scgi;
		client_max_body_size 2m;
		map \$http_x_request_id \$parley_request_id {
			"" \$request_id;
			default \$http_x_request_id;
		}
		upstream parley {
			server unix:$PARLEY_SOCK;
			keepalive ${KEEPALIVE:-32};
		}
		server {
			listen 127.0.0.1:$port;
			location = /direct {
				default_type text/plain;
				return 200 "ok\n";
			}
			location /static/ {
				alias $top_srcdir/static/;
			}
			location / {
				include /etc/nginx/fastcgi_params;
				fastcgi_param HTTP_X_REQUEST_ID \$parley_request_id;
				fastcgi_keep_conn on;
				fastcgi_buffering ${FASTCGI_BUFFERING:-on};
				fastcgi_read_timeout 300s;
				fastcgi_pass parley;
			}
		}
	}
	EOF
	setsid nginx -p "$T/bnginx" -c "$conf" </dev/null >"$T/bnginx/stderr.log" 2>&1 &
	BENCH_NGINX_PID=$!
	track "$BENCH_NGINX_PID"
	BASE_URL=http://127.0.0.1:$port
	export BASE_URL
	for ((i = 0; i < 100; i++)); do
		curl -fsS -o /dev/null --max-time 2 "$BASE_URL/healthz" 2>/dev/null && return 0
		kill -0 "$BENCH_NGINX_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/bnginx/stderr.log" "$T/bnginx/error.log" >&2 2>/dev/null
	bench_die "nginx in front of parley does not answer /healthz"
}

# bench_db: a private PostgreSQL cluster with parley's schema (exports DATABASE_URL).
bench_db() {
	pg_start
	# The harness's cluster is sized for tests: allow a connection per parley thread (up to
	# 2 x 48 in streams.sh) and give it the cache a small server would have.
	if ! sql "ALTER SYSTEM SET max_connections = 200" >/dev/null ||
	    ! sql "ALTER SYSTEM SET shared_buffers = '128MB'" >/dev/null; then
		bench_die "cannot configure PostgreSQL"
	fi
	pg_stop
	pg_restart || bench_die "PostgreSQL did not restart"
	# shellcheck disable=SC2119 # no arguments for migrate
	parley_migrate || bench_die "parley migrate up failed"
}

##
# wrk
##

# bench_wrk NAME CONNECTIONS SECONDS URL [WRK ARGS...]: one wrk run, with the CPU time per
# request of nginx, the parley workers, PostgreSQL and wrk itself. Sets R[NAME.rps], .p99,
# .p50, .reqs, .errors (socket errors and non-2xx/3xx answers, "" when none), .statuses
# (parley's answers by status, "200:1234 303:5"), and .nginx, .workers, .pg, .wrk as
# "US SYS% CSW" (see bench_per_req).
bench_wrk() {
	local name=$1 conns=$2 secs=$3 url=$4 out
	local n0 w0 p0 n1 w1 p1 l0 wk threads=${WRK_THREADS:-1}
	shift 4
	[ "$conns" -lt "$threads" ] && threads=$conns
	n0=$(bench_cpu $(nginx_pids))
	w0=$(bench_cpu $(worker_pids))
	p0=$(bench_cpu $(postgres_pids))
	l0=$(wc -l <"$T/parley.log")
	# In a subshell whose `times` then reports wrk's own CPU time (user, system) alone.
	(
		${BENCH_WRK_PREFIX:-} wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency "$@" "$url" \
		    >"$T/wrk.$name" 2>&1
		rc=$?
		times >"$T/wrk.$name.times"
		exit "$rc"
	) || { cat "$T/wrk.$name" >&2; bench_die "wrk failed ($name)"; }
	wk=$(awk -v hz="$BENCH_HZ" 'NR == 2 {
		for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s[i] = (t[1] * 60 + t[2]) * hz }
		printf "%.0f %.0f 0\n", s[1], s[2] }' "$T/wrk.$name.times")
	n1=$(bench_cpu $(nginx_pids))
	w1=$(bench_cpu $(worker_pids))
	p1=$(bench_cpu $(postgres_pids))
	out=$(cat "$T/wrk.$name")
	# What parley answered, from its access lines ("200:1234 303:5"): wrk only flags non-2xx/3xx.
	R[$name.statuses]=$(tail -n +"$((l0 + 1))" "$T/parley.log" |
	    awk '$3 == "access" { n[$6]++ } END { for (s in n) printf "%s:%d\n", s, n[s] }' | sort | tr '\n' ' ')
	R[$name.statuses]=${R[$name.statuses]% }
	R[$name.reqs]=$(awk '/requests in/ { print $1 }' <<<"$out")
	R[$name.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	R[$name.p50]=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	R[$name.p99]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	R[$name.errors]=$(awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "%s%s", sep, $0; sep = "; " }' <<<"$out")
	R[$name.nginx]=$(bench_per_req "$n0" "$n1" "${R[$name.reqs]}")
	R[$name.workers]=$(bench_per_req "$w0" "$w1" "${R[$name.reqs]}")
	R[$name.pg]=$(bench_per_req "$p0" "$p1" "${R[$name.reqs]}")
	R[$name.wrk]=$(bench_per_req "0 0 0" "$wk" "${R[$name.reqs]}")
	return 0
}

# bench_ms P99: wrk's "12.34ms" / "1.20s" / "850.00us" as milliseconds ("12.3").
bench_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.1f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000 }
		else print "-"
	}'
}

# bench_share A B: A / B as a percentage ("23.4").
bench_share() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "-" }'
}

# bench_cpu_cell "US SYS% CSW": "42.0 us (77% sys, 2.0 csw)".
bench_cpu_cell() {
	local us sys csw
	read -r us sys csw <<<"$1"
	if [ "$us" = - ]; then
		echo "-"
	elif [ "$csw" = 0.00 ] || [ -z "$csw" ]; then
		echo "$us us ($sys% sys)"
	else
		echo "$us us ($sys% sys, $csw csw)"
	fi
}

# bench_machine: one line: CPU model, cores, kernel, date.
bench_machine() {
	local model
	model=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
	[ -n "$model" ] || model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
	echo "$model, $(nproc) cores, Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

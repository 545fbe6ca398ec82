#!/bin/bash
# bench/healthz.sh: what FastCGI costs. In one run, wrk on loopback measures nginx
# answering `return 200` itself, then /healthz through nginx and FastCGI to parley,
# and prints requests per second, p99 latency, their ratio, the CPU time per
# request of nginx, the parley workers and wrk, and parley's idle memory (PSS).
#
# usage: bench/healthz.sh            (from the source tree, after `make`)
# environment: DURATION (10 s per run), CONNECTIONS (32), WRK_THREADS (1),
#              WORKERS (2), THREADS (16), NGINX_WORKERS (1), PARLEY_BIN (./parley)
# Not a test: the numbers depend on the machine. bench/README.md records some.

# shellcheck disable=SC2046 # lists of PIDs are split into arguments on purpose
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARLEY_BIN=${PARLEY_BIN:-$top/parley}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-16}
NGINX_WORKERS=${NGINX_WORKERS:-1}

for tool in wrk nginx curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
[ -x "$PARLEY_BIN" ] || { echo "bench: $PARLEY_BIN is not built (run make)" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench.XXXXXX")
chmod 0711 "$D"
parley_pid=
nginx_pid=
cleanup() {
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
	[ -n "$parley_pid" ] && kill -TERM "$parley_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hz=$(getconf CLK_TCK)

# cpu_ticks PID...: "USER SYSTEM" clock ticks used so far by these processes (zombies included).
cpu_ticks() {
	local u=0 k=0 pid rest f
	for pid in "$@"; do
		rest=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		# Fields after the ")" that ends the command name: state is the 1st, utime the 12th.
		read -ra f <<<"${rest##*) }"
		u=$((u + f[11]))
		k=$((k + f[12]))
	done
	echo "$u $k"
}

# per_req "U0 S0" "U1 S1" REQUESTS: CPU microseconds per request, and the kernel's share.
per_req() {
	awk -v a="$1" -v b="$2" -v hz="$hz" -v r="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		u = y[1] - x[1]; k = y[2] - x[2]
		if (u + k == 0) { print "0.0"; exit }
		printf "%.1f (%d%% sys)", (u + k) * 1e6 / hz / r, 100 * k / (u + k)
	}'
}

# pss_kb PID...: proportional set size summed over these processes, in kB.
pss_kb() {
	local pid sum=0 v
	for pid in "$@"; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

parley_pids() { echo "$parley_pid" $(pgrep -P "$parley_pid"); }
worker_pids() { pgrep -P "$parley_pid" | tr '\n' ' '; }
nginx_pids() { echo "$nginx_pid" $(pgrep -P "$nginx_pid"); }

# A kept-alive FastCGI connection holds one parley thread while idle, so more open
# connections than threads would make the extra ones wait (see README.md).
if [ "$CONNECTIONS" -gt $((WORKERS * THREADS)) ]; then
	echo "bench: note: CONNECTIONS ($CONNECTIONS) > WORKERS x THREADS ($((WORKERS * THREADS))): expect stalls" >&2
fi

# The server under test. /healthz needs no database.
PARLEY_LOG_LEVEL=warn "$PARLEY_BIN" serve --listen "unix:$D/parley.sock" \
    --workers "$WORKERS" --threads "$THREADS" 2>"$D/parley.log" &
parley_pid=$!

port=$(( (RANDOM % 20000) + 30000 ))
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$D/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes $NGINX_WORKERS;
pid $D/nginx.pid;
error_log $D/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $D/body;
	fastcgi_temp_path $D/fastcgi;
	proxy_temp_path $D/proxy;
	uwsgi_temp_path $D/uwsgi;
	scgi_temp_path $D/scgi;
	upstream parley {
		server unix:$D/parley.sock;
		keepalive $CONNECTIONS;
	}
	server {
		listen 127.0.0.1:$port;
		location = /direct {
			default_type text/plain;
			return 200 "ok\n";
		}
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param HTTP_X_REQUEST_ID \$request_id;
			fastcgi_keep_conn on;
			fastcgi_buffering off;
			fastcgi_pass parley;
		}
	}
}
EOF
nginx -p "$D" -c "$D/nginx.conf" 2>"$D/nginx.err" &
nginx_pid=$!

base=http://127.0.0.1:$port
for _ in $(seq 1 100); do
	curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "$base/healthz" || { echo "bench: parley behind nginx does not answer" >&2; cat "$D/parley.log" "$D/nginx.err" >&2; exit 1; }

sleep 1
idle_pss=$(pss_kb $(parley_pids))
nproc_parley=$(parley_pids | wc -w)

# bench NAME PATH: one wrk run; sets the results in NAME_* variables.
bench() {
	local name=$1 path=$2 wrk_pid n0 w0 wk state rest out
	local -a f
	n0=$(cpu_ticks $(nginx_pids))
	w0=$(cpu_ticks $(worker_pids))
	wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$base$path" >"$D/wrk.$name" 2>&1 &
	wrk_pid=$!
	# Read wrk's CPU time once it has finished but before it is reaped.
	wk="0 0"
	for (( ; ; )); do
		rest=$(cat "/proc/$wrk_pid/stat" 2>/dev/null) || break
		read -ra f <<<"${rest##*) }"
		wk="${f[11]} ${f[12]}"
		state=${f[0]}
		[ "$state" = Z ] && break
		sleep 0.05
	done
	wait "$wrk_pid" || { cat "$D/wrk.$name" >&2; exit 1; }
	local n1 w1
	n1=$(cpu_ticks $(nginx_pids))
	w1=$(cpu_ticks $(worker_pids))
	out=$(cat "$D/wrk.$name")
	local reqs rps p99 errors
	reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
	printf -v "${name}_reqs" '%s' "$reqs"
	printf -v "${name}_rps" '%s' "$rps"
	printf -v "${name}_p99" '%s' "$p99"
	printf -v "${name}_errors" '%s' "$errors"
	printf -v "${name}_nginx_us" '%s' "$(per_req "$n0" "$n1" "$reqs")"
	printf -v "${name}_workers_us" '%s' "$(per_req "$w0" "$w1" "$reqs")"
	printf -v "${name}_wrk_us" '%s' "$(per_req "0 0" "$wk" "$reqs")"
}

# A short warm-up of both paths (connections, caches), then the measured runs.
DURATION_SAVED=$DURATION
DURATION=2
bench warm /direct
bench warm /healthz
DURATION=$DURATION_SAVED
bench direct /direct
bench fcgi /healthz
busy_pss=$(pss_kb $(parley_pids))

# shellcheck disable=SC2154 # set by bench() through printf -v
{
	echo "parley $("$PARLEY_BIN" version 2>/dev/null | awk '{ print $2 }'), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r)"
	echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s; nginx workers: $NGINX_WORKERS; parley --workers $WORKERS --threads $THREADS"
	echo
	echo "CPU time per request in microseconds (and the kernel's share of it):"
	printf '%-22s %10s %9s %17s %17s %17s\n' "" "req/s" "p99" "nginx" "parley workers" "wrk"
	printf '%-22s %10s %9s %17s %17s %17s\n' "nginx return 200" "$direct_rps" "$direct_p99" "$direct_nginx_us" "-" "$direct_wrk_us"
	printf '%-22s %10s %9s %17s %17s %17s\n' "/healthz via FastCGI" "$fcgi_rps" "$fcgi_p99" "$fcgi_nginx_us" "$fcgi_workers_us" "$fcgi_wrk_us"
	echo
	echo "ratio (FastCGI / nginx alone): $(awk -v a="$fcgi_rps" -v b="$direct_rps" 'BEGIN { printf "%.2f", a / b }')"
	echo "parley memory (PSS, $nproc_parley processes): idle $((idle_pss / 1024)).$(((idle_pss % 1024) * 10 / 1024)) MB, after the runs $((busy_pss / 1024)).$(((busy_pss % 1024) * 10 / 1024)) MB"
	[ -z "$direct_errors$fcgi_errors" ] || echo "errors: $direct_errors $fcgi_errors"
}

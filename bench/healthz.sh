#!/bin/bash
# bench/healthz.sh: what FastCGI costs. In one run, wrk on loopback measures nginx answering
# `return 200` itself, then /healthz through nginx and FastCGI to parley, alternately REPEAT
# times, and prints requests per second, p99 latency, their ratio, and the CPU time and context
# switches per request of nginx, the parley workers and wrk; and parley's memory (PSS) idle.
#
# usage: bench/healthz.sh            (from the source tree, after `make`)
# environment: DURATION (10 s per run), REPEAT (3 pairs of runs), CONNECTIONS (32),
#              WRK_THREADS (1), WORKERS (2), THREADS (16), NGINX_WORKERS (1),
#              KEEPALIVE (idle FastCGI connections nginx keeps: CONNECTIONS),
#              PIN ("WRK_CPUS NGINX_CPUS PARLEY_CPUS" for taskset, e.g. "0 1 1"; none by default),
#              PARLEY_BIN (./parley)
# Not a test: the numbers depend on the machine. bench/README.md records some.
# shellcheck disable=SC2046,SC2119 # PID lists are split on purpose; helpers take no script arguments

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${DURATION:-10}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-16}
KEEPALIVE=${KEEPALIVE:-$CONNECTIONS}
export WORKERS THREADS KEEPALIVE

bench_need wrk nginx curl

# A kept-alive FastCGI connection holds one parley thread while it waits for its next request,
# so more open connections than threads make the extra ones wait (see README.md).
if [ "$CONNECTIONS" -gt $((WORKERS * THREADS)) ]; then
	echo "bench: note: CONNECTIONS ($CONNECTIONS) > WORKERS x THREADS ($((WORKERS * THREADS))): expect stalls" >&2
fi

# /healthz needs no database.
bench_parley_start
sleep 1
idle_pss=$(bench_pss_kb $(parley_pids))
nproc_parley=$(parley_pids | wc -w)
bench_nginx_start

if [ -n "${PIN:-}" ]; then
	read -r pin_wrk pin_nginx pin_parley <<<"$PIN"
	for pid in $(nginx_pids); do taskset -a -p -c "$pin_nginx" "$pid" >/dev/null; done
	for pid in $(parley_pids); do taskset -a -p -c "$pin_parley" "$pid" >/dev/null; done
	BENCH_WRK_PREFIX="taskset -c $pin_wrk"
fi

# Warm-up of both paths (connections, caches), then the measured runs, alternating so that
# whatever else the machine does weighs on both alike.
bench_wrk warm "$CONNECTIONS" 2 "$BASE_URL/direct"
bench_wrk warm "$CONNECTIONS" 2 "$BASE_URL/healthz"
ratios=()
for ((i = 1; i <= REPEAT; i++)); do
	bench_wrk "direct$i" "$CONNECTIONS" "$DURATION" "$BASE_URL/direct"
	bench_wrk "fcgi$i" "$CONNECTIONS" "$DURATION" "$BASE_URL/healthz"
	ratios+=("$(awk -v a="${R[fcgi$i.rps]}" -v b="${R[direct$i.rps]}" 'BEGIN { printf "%.2f", a / b }') $i")
done
busy_pss=$(bench_pss_kb $(parley_pids))
# The run with the median ratio stands for the whole.
med=$(printf '%s\n' "${ratios[@]}" | sort -n | awk -v n="$REPEAT" 'NR == int((n + 1) / 2) { print $2 }')

bench_machine
echo "parley $("$PARLEY_BIN" version 2>/dev/null | awk '{ print $2 }'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
echo "wrk -t${WRK_THREADS:-1} -c$CONNECTIONS -d${DURATION}s; nginx workers: $NGINX_WORKERS, keepalive $KEEPALIVE; parley --workers $WORKERS --threads $THREADS${PIN:+; pinned (wrk nginx parley): $PIN}"
echo
echo "CPU time per request in microseconds (the kernel's share, context switches per request):"
printf '%-4s %-18s %8s %9s  %-30s %-30s %s\n' run "" "req/s" "p99" "nginx" "parley workers" "wrk"
for ((i = 1; i <= REPEAT; i++)); do
	for n in direct fcgi; do
		label="nginx return 200"
		[ $n = fcgi ] && label="/healthz via FastCGI"
		printf '%-4s %-18s %8s %9s  %-30s %-30s %s\n' "$i" "$label" "${R[$n$i.rps]}" "${R[$n$i.p99]}" \
		    "$(bench_cpu_cell "${R[$n$i.nginx]}")" "$(bench_cpu_cell "${R[$n$i.workers]}")" \
		    "$(bench_cpu_cell "${R[$n$i.wrk]}")"
		[ -z "${R[$n$i.errors]}" ] || echo "     errors: ${R[$n$i.errors]}"
	done
done
echo
echo "ratio (FastCGI / nginx alone), per run: $(printf '%s\n' "${ratios[@]}" | awk '{ printf "%s%s", sep, $1; sep = ", " }'); median $(printf '%s\n' "${ratios[@]}" | sort -n | awk -v n="$REPEAT" 'NR == int((n + 1) / 2) { print $1 }')"
# CPU per request of everything involved, nginx alone against the FastCGI path: the ratio the
# throughputs would have on a machine doing nothing else, where CPU time is all that counts.
cpu_ratio() {
	awk -v a="${R[direct$1.nginx]} ${R[direct$1.wrk]}" -v b="${R[fcgi$1.nginx]} ${R[fcgi$1.workers]} ${R[fcgi$1.wrk]}" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		printf "%.1f us / %.1f us = %.2f", x[1] + x[4], y[1] + y[4] + y[7], (x[1] + x[4]) / (y[1] + y[4] + y[7]) }'
}
echo "CPU per request, all processes (nginx alone / FastCGI path), per run: $(for ((i = 1; i <= REPEAT; i++)); do printf '%s%s' "$([ "$i" -gt 1 ] && echo '; ')" "$(cpu_ratio "$i")"; done)"
echo "parley memory (PSS, $nproc_parley processes): idle $(bench_mb "$idle_pss") MB, after the runs $(bench_mb "$busy_pss") MB"

bench_record healthz.direct.rps "${R[direct$med.rps]}"
bench_record healthz.direct.p99 "$(bench_ms "${R[direct$med.p99]}")"
bench_record healthz.fcgi.rps "${R[fcgi$med.rps]}"
bench_record healthz.fcgi.p99 "$(bench_ms "${R[fcgi$med.p99]}")"
bench_record healthz.ratio "$(awk -v a="${R[fcgi$med.rps]}" -v b="${R[direct$med.rps]}" 'BEGIN { printf "%.2f", a / b }')"
bench_record healthz.ratios "$(printf '%s\n' "${ratios[@]}" | awk '{ printf "%s%s", sep, $1; sep = ", " }')"
for part in nginx workers wrk; do
	bench_record "healthz.direct.cpu.$part" "$(bench_cpu_cell "${R[direct$med.$part]}")"
	bench_record "healthz.fcgi.cpu.$part" "$(bench_cpu_cell "${R[fcgi$med.$part]}")"
done
bench_record healthz.cpu_ratio "$(cpu_ratio "$med")"
bench_record pss.idle "$(bench_mb "$idle_pss")"
bench_record pss.idle.procs "$nproc_parley"
exit 0

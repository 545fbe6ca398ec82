#!/bin/bash
# bench/streams.sh: STREAMS answers streaming at once from a slow OpenAI-compatible upstream
# (t/fake_openai), and meanwhile wrk on /healthz and on a conversation page: their p99 with
# the streams running against the same without them. Streams hold a thread each, not a worker.
#
# usage: bench/streams.sh            (from the source tree, after `make` and `make check`
#                                     or `make t/fake_openai`)
# environment: STREAMS (64), CHUNKS (80 chunks per answer), CHUNK_MS (250 ms between them:
#              an answer takes CHUNKS x CHUNK_MS), DURATION (5 s per wrk run), CONNECTIONS
#              (8 wrk connections), WORKERS (2), THREADS (48), KEEPALIVE (16), PARLEY_BIN
# Not a test: the numbers depend on the machine. bench/README.md records some.
# shellcheck disable=SC2046,SC2119 # PID lists are split on purpose; helpers take no script arguments

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../t/lib/accounts.sh
. "$top_srcdir/t/lib/accounts.sh"

STREAMS=${STREAMS:-64}
CHUNKS=${CHUNKS:-80}
CHUNK_MS=${CHUNK_MS:-250}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-8}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-48}
KEEPALIVE=${KEEPALIVE:-16}
export WORKERS THREADS KEEPALIVE
FAKE=${FAKE_OPENAI:-$top_builddir/t/fake_openai}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

bench_need wrk nginx curl jq
[ -x "$FAKE" ] || bench_die "$FAKE is not built (make t/fake_openai)"
# Streams, the wrk connections and nginx's idle kept connections each hold a thread.
if [ $((STREAMS + CONNECTIONS + KEEPALIVE)) -gt $((WORKERS * THREADS)) ]; then
	echo "bench: note: STREAMS + CONNECTIONS + KEEPALIVE > WORKERS x THREADS: expect waits" >&2
fi

# The slow upstream: each answer is CHUNKS words, CHUNK_MS apart.
"$FAKE" -P "$T/fake.port" -s "$T/script" -l "$T/fake.requests" >/dev/null 2>"$T/fake.log" &
track $!
wait_for 50 test -s "$T/fake.port" || bench_die "fake_openai did not start"
PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$(cat "$T/fake.port")/v1"
PARLEY_OPENAI_MODELS=fake-1
PARLEY_OPENAI_API_KEY=sk-bench
export PARLEY_OPENAI_BASE_URL PARLEY_OPENAI_MODELS PARLEY_OPENAI_API_KEY
words=$(seq -f 'w%g' 1 "$CHUNKS" | tr '\n' ' ')
printf 'slow:%s:%s\n' "$CHUNK_MS" "${words% }" >"$T/script"
answer_s=$(awk -v c="$CHUNKS" -v ms="$CHUNK_MS" 'BEGIN { printf "%.0f", c * ms / 1000 }')
[ "$answer_s" -ge $((2 * DURATION + 9)) ] ||
    echo "bench: note: answers last ${answer_s} s, shorter than the runs meant to overlap them" >&2

bench_db
bench_parley_start
bench_nginx_start

register_user bench@example.com 'correct horse battery staple' 'Bench Person' >/dev/null ||
    bench_die "cannot register the bench user"
TOKEN=$(api_token bench) || bench_die "cannot make an API token"
SESSION=$(awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR")
# Each stream in its own conversation, as STREAMS people would; one more with a few builtin
# answers for the page measured meanwhile.
mapfile -t convs < <(sql "INSERT INTO conversations (user_id, title, default_model)
    SELECT '$USER_ID', 'Stream ' || i, 'openai/fake-1' FROM generate_series(1, $STREAMS) i RETURNING id")
[ "${#convs[@]}" = "$STREAMS" ] || bench_die "cannot make the conversations"
PAGE_CONV=$(sql "INSERT INTO conversations (user_id, title) VALUES ('$USER_ID', 'Page') RETURNING id")
for p in 'add a task to buy groceries' 'what are my tasks' 'hello' 'list my pending tasks'; do
	bearer "$TOKEN" POST "/api/v1/conversations/$PAGE_CONV/messages" -H 'Content-Type: application/json' \
	    --data-binary "$(jq -cn --arg c "$p" '{content: $c}')" >/dev/null
	[ "$STATUS" = 201 ] || bench_die "POST a message: $STATUS $BODY"
done
echo "wrk.headers[\"Cookie\"] = \"parley_session=$SESSION\"" >"$T/cookie.lua"

streaming() {
	sql "SELECT count(*) FROM messages WHERE status = 'streaming'"
}

# Quiet: the same runs with nothing else going on.
echo "measuring without streams..." >&2
bench_wrk warm "$CONNECTIONS" 2 "$BASE_URL/healthz"
bench_wrk warm "$CONNECTIONS" 2 "$BASE_URL/chat/$PAGE_CONV" -s "$T/cookie.lua"
bench_wrk quiet_hz "$CONNECTIONS" "$DURATION" "$BASE_URL/healthz"
bench_wrk quiet_page "$CONNECTIONS" "$DURATION" "$BASE_URL/chat/$PAGE_CONV" -s "$T/cookie.lua"

# The streams: one curl for all (--parallel), so they start together.
echo "starting $STREAMS streams of $answer_s s..." >&2
args=(-Z --parallel-immediate --parallel-max "$STREAMS")
for ((i = 0; i < STREAMS; i++)); do
	[ "$i" -gt 0 ] && args+=(--next)
	args+=(-sS -N -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'
	    --max-time $((answer_s + 60)) --data-binary "{\"content\": \"stream $i\", \"stream\": true}"
	    -o "$T/s$i" "$BASE_URL/api/v1/conversations/${convs[$i]}/messages")
done
t0=$(date +%s.%N)
curl "${args[@]}" 2>"$T/curl.err" &
curl_pid=$!
track "$curl_pid"
peak=0
for _ in $(seq 1 50); do
	n=$(streaming)
	[ "$n" -gt "$peak" ] && peak=$n
	[ "$n" -ge "$STREAMS" ] && break
	sleep 0.1
done
# What the streams cost by themselves: 3 s of them alone.
w0=$(bench_cpu $(worker_pids))
p0=$(bench_cpu $(postgres_pids))
n0=$(bench_cpu $(nginx_pids))
s0=$(date +%s.%N)
sleep 3
w1=$(bench_cpu $(worker_pids))
p1=$(bench_cpu $(postgres_pids))
n1=$(bench_cpu $(nginx_pids))
s1=$(date +%s.%N)
alone=$(streaming)
bench_wrk busy_hz "$CONNECTIONS" "$DURATION" "$BASE_URL/healthz"
n=$(streaming)
[ "$n" -gt "$peak" ] && peak=$n
during_hz=$n
bench_wrk busy_page "$CONNECTIONS" "$DURATION" "$BASE_URL/chat/$PAGE_CONV" -s "$T/cookie.lua"
during_page=$(streaming)
wait "$curl_pid"
t1=$(date +%s.%N)

done_ok=0
for ((i = 0; i < STREAMS; i++)); do
	st=$(awk '/^event: / { ev = $2 } /^data: / { if (ev == "done") print substr($0, 7) }' "$T/s$i" |
	    jq -r .status 2>/dev/null)
	[ "$st" = complete ] && done_ok=$((done_ok + 1))
done
stored=$(sql "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'complete'
    AND content = '${words% }'")
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
# CPU of the streams alone, as a share of one core and per chunk relayed.
cpu_share() {
	awk -v a="$1" -v b="$2" -v hz="$BENCH_HZ" -v t0="$s0" -v t1="$s1" -v n="$alone" -v ms="$CHUNK_MS" 'BEGIN {
		split(a, x, " "); split(b, y, " "); cpu = (y[1] + y[2] - x[1] - x[2]) / hz
		printf "%.0f%% of a core", 100 * cpu / (t1 - t0)
		if (n > 0) printf " (%.0f us per chunk)", cpu * 1e6 / ((t1 - t0) * n * 1000 / ms) }'
}

bench_machine
echo "parley $("$PARLEY_BIN" version 2>/dev/null | awk '{ print $2 }'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'); parley --workers $WORKERS --threads $THREADS; nginx keepalive $KEEPALIVE"
echo "$STREAMS streams, each $CHUNKS chunks ${CHUNK_MS} ms apart (${answer_s} s); wrk -c$CONNECTIONS -d${DURATION}s"
echo
printf '%-42s %8s %9s %9s  %s\n' "" "req/s" "p50" "p99" "parley answered"
for n in quiet_hz busy_hz quiet_page busy_page; do
	case $n in
	quiet_hz) label="/healthz, no streams" ;;
	busy_hz) label="/healthz, $during_hz answers streaming" ;;
	quiet_page) label="/chat/{id} page, no streams" ;;
	busy_page) label="/chat/{id} page, $during_page answers streaming" ;;
	esac
	printf '%-42s %8s %9s %9s  %s\n' "$label" "${R[$n.rps]}" "${R[$n.p50]}" "${R[$n.p99]}" "${R[$n.statuses]}"
	[ -z "${R[$n.errors]}" ] || echo "    errors: ${R[$n.errors]}"
done
echo
echo "peak answers streaming at once: $peak of $STREAMS; ended with done/complete: $done_ok; stored whole: $stored"
echo "all streams finished ${wall} s after they started (each answer takes ${answer_s} s)"
echo "CPU of $alone streams alone (3 s): parley workers $(cpu_share "$w0" "$w1"), PostgreSQL $(cpu_share "$p0" "$p1"), nginx $(cpu_share "$n0" "$n1")"
echo "goal: /healthz p99 under 50 ms while they stream"

bench_record streams.n "$STREAMS"
bench_record streams.peak "$peak"
bench_record streams.done "$done_ok"
bench_record streams.stored "$stored"
bench_record streams.answer_s "$answer_s"
bench_record streams.wall_s "$wall"
bench_record streams.cpu "parley workers $(cpu_share "$w0" "$w1"), PostgreSQL $(cpu_share "$p0" "$p1"), nginx $(cpu_share "$n0" "$n1")"
for n in quiet_hz busy_hz quiet_page busy_page; do
	bench_record "streams.$n.rps" "${R[$n.rps]}"
	bench_record "streams.$n.p99" "$(bench_ms "${R[$n.p99]}")"
	bench_record "streams.$n.errors" "${R[$n.errors]}"
	bench_record "streams.$n.statuses" "${R[$n.statuses]}"
done
exit 0

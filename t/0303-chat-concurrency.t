#!/usr/bin/env bash
# 0303-chat-concurrency.t: 64 answers streaming at once from a slow provider hold a thread
# each, never a whole worker: /healthz and the API keep answering meanwhile, and every
# answer is completed and stored.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"

N=64
fake_serve sk-test-secret
words=""
for i in $(seq 1 32); do words="$words w$i"; done
words=${words# }
# 32 chunks 400 ms apart: each answer takes about 13 s, so all 64 overlap even
# when this machine is slow to start them.
printf 'slow:400:%s\n' "$words" >"$T/script"

WORKERS=2 THREADS=48 stack_start

register_user alice@example.com 'correct horse battery' Alice || bail "cannot register alice"

# Each stream in its own conversation, as 64 people would (made in one statement: quicker).
mapfile -t convs < <(sql "INSERT INTO conversations (user_id, default_model)
    SELECT '$USER_ID', 'openai/fake-1' FROM generate_series(1, $N) RETURNING id")
is "${#convs[@]}" "$N" "$N conversations to stream into"

# One curl for all of them (--parallel), so they start together rather than one
# process start apart.
args=(-Z --parallel-immediate --parallel-max $N)
for i in $(seq 1 $N); do
	[ "$i" -gt 1 ] && args+=(--next)
	args+=(-sS -N -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json'
	    --max-time 60 --data-binary "{\"content\": \"stream $i\", \"stream\": true}"
	    -o "$T/s$i" "$BASE_URL/api/v1/conversations/${convs[$((i - 1))]}/messages")
done
curl "${args[@]}" 2>"$T/curl.err" &
CURL_PID=$!

# While they stream: /healthz every 50 ms, and how many answers are being written.
streaming() {
	sql "SELECT count(*) FROM messages WHERE status = 'streaming'"
}
peak=0 checks=0 bad=0 slowest=0
for _ in $(seq 1 40); do
	out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$BASE_URL/healthz")
	code=${out% *}
	t=${out#* }
	checks=$((checks + 1))
	[ "$code" = 200 ] || bad=$((bad + 1))
	ms=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
	[ "$ms" -gt "$slowest" ] && slowest=$ms
	n=$(streaming)
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.05
done
diag "healthz: $checks checks, slowest ${slowest} ms; peak of $peak answers streaming at once"
is "$bad" 0 "every /healthz answered 200 while $N answers streamed"
ok "$( [ "$slowest" -lt 2000 ]; echo $?)" "and within a generous bound (slowest ${slowest} ms)"
# Nearly all at once: a loaded machine may start the last few late, but every
# one of them must still be served while the others hold their threads.
ok "$( [ "$peak" -ge $((N * 7 / 8)) ]; echo $?)" "at least $((N * 7 / 8)) of $N answers were being written at the same time (peak $peak)"

http GET /api/v1/conversations -H "X-CSRF-Token: $CSRF"
is "$STATUS" 200 "the API answers while they stream"

wait "$CURL_PID"
done_ok=0
for i in $(seq 1 $N); do
	st=$(awk '/^event: / { ev = $2 } /^data: / { if (ev == "done") print substr($0, 7) }' "$T/s$i" |
	    jq -r .status 2>/dev/null)
	[ "$st" = complete ] && done_ok=$((done_ok + 1))
done
is "$done_ok" "$N" "every stream ended with done, complete"
is "$(sql "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'complete' AND content = '$words'")" "$N" \
    "and every answer is stored whole"

done_testing

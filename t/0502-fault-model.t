#!/usr/bin/env bash
# 0502-fault-model.t: a model provider that misbehaves (t/fake_openai): refused connections,
# 500s, a stream cut half way, a stall, a chunk that is not JSON, an answer far too long.
# Each leaves the person's message stored, a clear error (or, for the long answer, a bounded
# answer with a note), and a healthy worker. Then: browsers that leave mid-stream, and a
# model that stalls while nobody listens, do not keep threads busy for ever.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"

WORKERS=2
THREADS=4
MAX_ANSWER=16384

: >"$T/script"
fake_serve sk-test-secret
export PARLEY_LLM_IDLE_TIMEOUT=2
export PARLEY_LLM_CONNECT_TIMEOUT=2
export PARLEY_LLM_MAX_ANSWER=$MAX_ANSWER

stack_start

register_user model@example.com 'correct horse battery' Modeller || bail "cannot register"
api POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
[ "$STATUS" = 201 ] || bail "cannot make a conversation: $STATUS $BODY"
conv=$(jget .id)
workers_at_start=$(parley_workers | sort | tr '\n' ' ')

# healthy WHAT: the worker pool still serves: /healthz, and a normal answer from the model.
healthy() {
	local what=$1
	http GET /healthz --max-time 5
	is "$STATUS $BODY" "200 ok" "after $what: /healthz answers"
	script "text:All good again."
	api POST "/api/v1/conversations/$conv/messages" '{"content": "are you there?"}'
	is "$STATUS $(jget .assistant_message.status) $(jget .assistant_message.content)" \
	    "201 complete All good again." "after $what: the next question is answered normally"
}

# fault WHAT CONTENT ERROR-REGEX [nocheck]: sends CONTENT (not streamed), checks what was
# stored, then (unless told not to) that the server is healthy.
fault() {
	local what=$1 content=$2 want=$3 t0 t1
	t0=$(date +%s)
	api POST "/api/v1/conversations/$conv/messages" "$(jq -cn --arg c "$content" '{content: $c}')" \
	    --max-time 30
	t1=$(date +%s)
	is "$STATUS" 201 "$what: the exchange is answered (201), in $((t1 - t0)) s"
	is "$(jget .user_message.content)" "$content" "$what: the person's message is stored"
	is "$(jget .assistant_message.status)" error "$what: the answer is marked as an error"
	like "$(jget .assistant_message.error)" "$want" "$what: with a clear message"
	is "$(sql "SELECT count(*) FROM messages WHERE role = 'user' AND content = '$content'")" 1 \
	    "$what: the message is in the database"
	[ "${4:-}" = nocheck ] || healthy "$what"
}

##
# Each fault, answered as JSON
##
script "status:500"
fault "500 twice" "fault: server error" "HTTP 500"

script "cut:one two three four five six seven eight"
fault "a stream cut half way" "fault: cut" "stopped half way"

script "stall-mid:10"
fault "a stall" "fault: stall" "stopped answering \\(no data for 2 s\\)"

script "malformed"
fault "a chunk that is not JSON" "fault: malformed" "could not read"

script "close"
fault "a connection closed without answer" "fault: close" "closed the connection"

kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
fault "a refused connection" "fault: refused" "could not be reached" nocheck
fake_start "$PORT"
is "$(cat "$T/fake.port")" "$PORT" "the fake provider is back on its port"
healthy "a refused connection"

# Far too long: bounded, cut, with a note; not an error.
script "huge:200000"
api POST "/api/v1/conversations/$conv/messages" '{"content": "fault: huge"}' --max-time 30
is "$STATUS" 201 "a huge answer: the exchange is answered (201)"
is "$(jget .user_message.content)" "fault: huge" "a huge answer: the person's message is stored"
len=$(jget '.assistant_message.content | length')
ok "$([ "$len" -le $((MAX_ANSWER + 100)) ] && [ "$len" -ge $((MAX_ANSWER / 2)) ]; echo $?)" \
    "a huge answer is bounded by PARLEY_LLM_MAX_ANSWER ($len characters kept of 200000)"
like "$(jget .assistant_message.content)" "answer cut: too long" "and ends with a note saying it was cut"
db_len=$(sql "SELECT length(content) FROM messages WHERE id = '$(jget .assistant_message.id)'")
is "$db_len" "$len" "the stored answer is the bounded one"
healthy "a huge answer"

##
# The same faults, streamed: the stream ends with an error event, not a hang
##
for step in "cut:alpha beta gamma delta epsilon zeta" "malformed" "stall-mid:10"; do
	script "$step"
	http POST "/api/v1/conversations/$conv/messages" -N --max-time 30 -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' \
	    --data-binary "$(jq -cn --arg c "stream ${step%%:*}" '{content: $c, stream: true}')"
	printf '%s\n' "$BODY" >"$T/events"
	is "$STATUS $(sse_names "$T/events" | sed 's/\(,delta\)*//g')" "200 start,error" \
	    "streamed ${step%%:*}: start, then an error event"
	like "$(sse_data "$T/events" error)" '"message"' "streamed ${step%%:*}: the error event carries a message"
	is "$(sql "SELECT count(*) FROM messages WHERE content = 'stream ${step%%:*}'")" 1 \
	    "streamed ${step%%:*}: the person's message is stored"
done
healthy "the streamed faults"
is "$(parley_workers | sort | tr '\n' ' ')" "$workers_at_start" "no worker died or was replaced through all of it"

##
# Disconnects mid-stream and stalls with nobody listening: threads come back
##
N=$((WORKERS * THREADS))
# One conversation per concurrent answer: a conversation writes one answer at a time.
convs=()
for i in $(seq 1 "$N"); do
	api POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
	[ "$STATUS" = 201 ] || bail "cannot make a conversation: $STATUS $BODY"
	convs+=("$(jget .id)")
done
# streams PREFIX SECONDS OUT: one streamed question in each conversation at once, each
# browser leaving after SECONDS; OUT: where curl's summaries go (or /dev/null).
streams() {
	local prefix=$1 secs=$2 out=$3 i pids=()
	for i in $(seq 1 "$N"); do
		curl -sS -N --max-time "$secs" -o "$T/$prefix.$i" \
		    -w '%{http_code} %{time_starttransfer} %{time_total}\n' \
		    -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
		    --data-binary "{\"content\": \"$prefix $i\", \"stream\": true}" \
		    "$BASE_URL/api/v1/conversations/${convs[$((i - 1))]}/messages" >>"$out" 2>/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# Slow answers (about 3 s each), all browsers gone after 1 s.
words=$(seq -s ' ' 1 20)
script "slow:150:$words"
streams leave 1 /dev/null
is "$(sql "SELECT count(*) FROM messages WHERE content LIKE 'leave %'")" "$N" \
    "$N questions were stored before their browsers left"
wait_for 200 none_streaming
ok $? "the answers whose browsers left are finished in the background"
is "$(sql "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'complete'
    AND content = '$words'")" "$N" "all $N of them complete and stored"

# A model that stalls, with every browser gone: the idle timeout ends each answer.
script "stall:60"
streams stall 1 /dev/null
wait_for 200 none_streaming
ok $? "stalled answers with nobody listening end (no answer left streaming)"
is "$(sql "SELECT count(*) FROM messages a WHERE a.role = 'assistant' AND a.status = 'error'
    AND a.error LIKE '%stopped answering%' AND a.created_at >= (SELECT min(created_at)
    FROM messages WHERE content LIKE 'stall %')")" "$N" "each ended with the stall error"

# Every thread is free: N answers that each hold a thread for 1.5 s all start at once.
script "slow:100:$(seq -s ' ' 1 15)"
streams together 20 "$T/together"
diag "status, first byte and total seconds of $N concurrent streams:"
diag "$(cat "$T/together")"
is "$(awk '$1 == 200' "$T/together" | wc -l)" "$N" "all $N concurrent streams answered 200"
is "$(grep -l '^event: done' "$T"/together.* | wc -l)" "$N" "and all $N ended with their done event"
# A thread still held by an earlier answer would make one of them wait for another to end (1.5 s).
late=$(awk '$2 >= 1.4' "$T/together")
is "$late" "" "all $N began within 1.4 s: every thread ($WORKERS workers x $THREADS) was free"
http GET /healthz
is "$STATUS" 200 "and the server is healthy"

##
# Clients that stop reading a big answer do not hold threads, with nginx buffering on
##
# nginx must take whole answers off Parley's hands: with `fastcgi_buffering off` for every
# route, a client that stops reading keeps its thread blocked in a write for up to Parley's
# 30-second send timeout, and WORKERS x THREADS such clients stop the site for everyone
# (/healthz took 41 s here). With buffering on (nginx's default, and nginx.conf.example's),
# nginx spools the answer and the thread is free at once; streamed answers still go out
# chunk by chunk, because Parley sends `X-Accel-Buffering: no` on them.
grep -q 'fastcgi_buffering off' "$T/nginx/nginx.conf" && bail "the test nginx must buffer answers"
# About 10 MB of tasks: far more than the kernel's socket buffers hold.
sql "INSERT INTO tasks (user_id, title, description)
    SELECT '$USER_ID', 'big ' || i, repeat('d', 10000) FROM generate_series(1, 1000) i"
SESSION=$(awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR")
big_served() {
	grep -c ' access GET /api/v1/tasks 200 ' "$T/parley.log"
}
served_before=$(big_served)
readers=()
for i in $(seq 1 "$N"); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP_PORT" || bail "cannot connect to nginx"
	printf 'GET /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\nCookie: parley_session=%s\r\n\r\n' \
	    "$SESSION" >&"$fd"
	readers+=("$fd")
done
# Building the answers takes a few seconds (several more in a sanitized build on a busy
# machine), and takes every thread meanwhile. Parley logs an answer once it has handed the
# whole of it over, so wait for those lines: a thread stuck writing to a client that stopped
# reading would not log before its 30-second send timeout, so 20 s still tells them apart.
handed_over() {
	[ "$(big_served)" -ge $((served_before + N)) ]
}
t0=$(date +%s)
wait_for 200 handed_over
ok $? "the $N big answers were all handed over to nginx in $(($(date +%s) - t0)) s, though nobody reads them"
curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 60 "$BASE_URL/healthz" >"$T/h.w" 2>/dev/null
read -r h_status h_time <"$T/h.w"
diag "with $N clients not reading 10 MB answers: /healthz $h_status in $h_time s"
ok "$([ "$h_status" = 200 ] && awk -v t="$h_time" 'BEGIN { exit !(t < 2) }'; echo $?)" \
    "$N clients that stop reading a 10 MB answer do not block the site (/healthz in $h_time s)"
http GET /api/v1/me --max-time 10
is "$STATUS" 200 "and signed-in requests are served"
script "slow:300:$(seq -s ' ' 1 10)"
curl -sS -N --max-time 30 -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"content": "buffered nginx", "stream": true}' \
    "$BASE_URL/api/v1/conversations/${convs[0]}/messages" 2>/dev/null |
    while IFS= read -r line; do
	case $line in event:*) echo "$(date +%s%N) $line" ;; esac
    done >"$T/timed"
first=$(awk '$3 == "delta" { print $1; exit }' "$T/timed")
last=$(awk '$3 == "done" { print $1 }' "$T/timed")
ok "$([ -n "$first" ] && [ -n "$last" ] && [ $(((last - first) / 1000000)) -ge 1500 ]; echo $?)" \
    "with buffering on, a streamed answer still arrives as it is written ($(((${last:-0} - ${first:-0}) / 1000000)) ms from first delta to done)"
for fd in "${readers[@]}"; do
	exec {fd}>&-
done

done_testing

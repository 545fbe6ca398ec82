#!/usr/bin/env bash
# 0316-db-pool.t: PARLEY_DB_CONNECTIONS, the PostgreSQL connections a worker's threads share.
# Under a load of more requests at once than threads, a worker holds no more connections
# than the setting (and with 0, a connection per thread, as before); every request still
# answers and everything is stored. An answer streaming from a model, someone following
# it, and "stop" each use a connection of their own while the pool serves everyone else,
# and give it back at the end. Signing in (which hashes passwords without holding a
# connection) works with a pool of one. A setting that is not a number from 0 to 1024
# stops parley from starting, with a message that names it.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"

fake_serve sk-test-secret
echo "text:Hello" >"$T/script"

db_start
# Every connection is logged (pg_server_log), with its application_name: what parley opened
# is counted exactly there, and what it holds at a moment in pg_stat_activity.
sql "ALTER SYSTEM SET log_connections = on" >/dev/null && sql "SELECT pg_reload_conf()" >/dev/null ||
    bail "cannot turn on connection logging"
sleep 0.3
# The pool of case 1 below, for 8 threads.
POOL=2
PARLEY_DB_CONNECTIONS=$POOL WORKERS=1 THREADS=8 parley_start ||
    bail "parley did not start"
nginx_start

register_user pool@example.com 'correct horse battery staple' 'Pool Person' >/dev/null ||
    bail "cannot register"
OWNER_ID=$USER_ID
TOKEN=$(api_token pool) || bail "cannot make an API token"

# api calls (t/lib/accounts.sh) carry $TOKEN alone.
API_TOKEN=$TOKEN

# parley_conns: how many connections parley holds to PostgreSQL now.
parley_conns() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'parley'"
}
# conns_are N: passes when parley holds N connections.
conns_are() {
	[ "$(parley_conns)" = "$1" ]
}

# opened: how many connections parley has opened since the last mark_opened.
mark_opened() {
	OPENED_MARK=$(wc -l <"$(pg_server_log)")
}
opened() {
	tail -n +"$((OPENED_MARK + 1))" "$(pg_server_log)" |
	    grep -c 'connection authorized: .*application_name=parley$'
}
OPENED_MARK=0

# sampler_start: counts parley's connections every 50 ms in the background, one count a
# line in $T/samples, until sampler_stop (or at most about a minute).
sampler_start() {
	: >"$T/samples"
	rm -f "$T/sampler.stop"
	(
		for _ in $(seq 1 1000); do
			[ -e "$T/sampler.stop" ] && break
			parley_conns >>"$T/samples" 2>/dev/null
			sleep 0.05
		done
	) &
	SAMPLER_PID=$!
	track "$SAMPLER_PID"
	# Its first count, so the load cannot end before the sampler begins.
	wait_for 50 test -s "$T/samples"
}
# sampler_stop: ends the sampler; sets SAMPLES (how many counts) and PEAK (the highest).
sampler_stop() {
	touch "$T/sampler.stop"
	wait "$SAMPLER_PID" 2>/dev/null
	SAMPLES=$(grep -c '^[0-9][0-9]*$' "$T/samples")
	PEAK=$(grep '^[0-9][0-9]*$' "$T/samples" | sort -n | tail -n 1)
}

# Twelve conversations with the builtin model, made in one statement.
NCONV=12
ROUNDS=4
mapfile -t convs < <(sql "INSERT INTO conversations (user_id, title, default_model)
    SELECT '$OWNER_ID', 'Load ' || i, 'builtin/parley' FROM generate_series(1, $NCONV) i
    RETURNING id")
[ "${#convs[@]}" = "$NCONV" ] || bail "cannot make the conversations"

# load_round TAG: 24 requests at once through nginx, from one curl (--parallel) so that they
# start together: in each conversation, a question to the builtin model (which adds a task)
# and a read of its messages as JSON. Each answer's status goes to $T/codes.TAG, each read's
# body to $T/get.TAG.N.
load_round() {
	local tag=$1 args=(-Z --parallel-immediate --parallel-max $((NCONV * 2))) i
	for i in "${!convs[@]}"; do
		[ "$i" -gt 0 ] && args+=(--next)
		args+=(-sS -o /dev/null -w '%{http_code}\n' --max-time 30
		    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'
		    --data-binary "{\"content\": \"add a task to check pool $tag $i\"}"
		    "$BASE_URL/api/v1/conversations/${convs[$i]}/messages")
		args+=(--next -sS -o "$T/get.$tag.$i" -w '%{http_code}\n' --max-time 30
		    -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/conversations/${convs[$i]}/messages")
	done
	curl "${args[@]}" >>"$T/codes.$tag" 2>>"$T/curl.err"
}

# load NAME: ROUNDS rounds of load_round; sets ANSWERS (how many requests were answered)
# OK (how many with 2xx) and READS_OK (how many reads were a JSON list of messages).
load() {
	local r f
	ANSWERS=0 OK=0 READS_OK=0
	for r in $(seq 1 "$ROUNDS"); do
		: >"$T/codes.$1$r"
		load_round "$1$r"
		ANSWERS=$((ANSWERS + $(grep -c . "$T/codes.$1$r")))
		OK=$((OK + $(grep -c '^2[0-9][0-9]$' "$T/codes.$1$r")))
		for f in "$T/get.$1$r".*; do
			[ -f "$f" ] && jq -e '.items | type == "array"' "$f" >/dev/null 2>&1 &&
			    READS_OK=$((READS_OK + 1))
		done
	done
}

messages() { sql "SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE title LIKE 'Load %')"; }
load_tasks() { sql "SELECT count(*) FROM tasks WHERE title LIKE 'Check pool %'"; }

##
# 1. A pool of 2 for 8 threads, 24 requests at once: never more than 2 connections
#    (set POOL=8 above to see this fail)
##
N=$((NCONV * 2 * ROUNDS))
POSTS=$((NCONV * ROUNDS))
sampler_start
load p
sampler_stop
is "$ANSWERS" "$N" "pool of $POOL: all $N requests were answered"
is "$OK" "$N" "... every one with 2xx"
is "$READS_OK" "$POSTS" "... every read a list of messages"
ok "$([ "$SAMPLES" -ge 5 ]; echo $?)" "the connections were counted during the load ($SAMPLES counts)"
ok "$([ "$PEAK" -ge 1 ] && [ "$PEAK" -le 2 ]; echo $?)" "parley never held more than 2 connections (at most $PEAK)" ||
    diag "counts: $(sort -n "$T/samples" | uniq -c | awk '{ printf "%s%s connections %s times", sep, $2, $1; sep = ", " }')"
ok "$([ "$(opened)" -le 2 ]; echo $?)" "since it started (registering included), parley opened no more than 2 connections in all ($(opened))"
is "$(messages)" "$((POSTS * 2))" "every question and its answer were stored"
is "$(load_tasks)" "$POSTS" "... and every task the answers added"
# Not a test: past 250 ms a request uses a connection of its own, which a very slow
# machine could make happen; the log tells.
diag "warnings of requests that found no pooled connection free in time: $(grep -c 'no pooled connection' "$T/parley.log")"

##
# 2. The same load with PARLEY_DB_CONNECTIONS=0: a connection per thread, as before
##
parley_stop
wait_for 50 conns_are 0 || bail "the old workers' connections did not close"
PARLEY_DB_CONNECTIONS=0 WORKERS=1 THREADS=8 parley_start || bail "parley did not restart"
mark_opened
sampler_start
load z
sampler_stop
is "$OK" "$N" "without a pool: all $N requests answered 2xx"
ok "$([ "$PEAK" -gt 2 ]; echo $?)" "... and parley held more than 2 connections (up to $PEAK, one per thread that served)"
ok "$([ "$PEAK" -le 8 ]; echo $?)" "... but never more than its 8 threads"
ok "$([ "$(opened)" -gt 2 ]; echo $?)" "... having opened more than 2 ($(opened))"
is "$(messages)" "$((POSTS * 4))" "... and every exchange was stored"

##
# 3. Streams, followers and stop with a pool of 1 for 4 threads
##
parley_stop
wait_for 50 conns_are 0 || bail "the old workers' connections did not close"
PARLEY_DB_CONNECTIONS=1 WORKERS=1 THREADS=4 parley_start || bail "parley did not restart"

words=""
for i in $(seq 1 40); do words="$words w$i"; done
words=${words# }
# 40 chunks 250 ms apart: about 10 s, long enough for what is done meanwhile.
echo "slow:250:$words" >"$T/script"
api POST /api/v1/conversations '{"title": "Streaming", "default_model": "openai/fake-1"}'
S=$(jget .id)
stream_post "$S" '{"content": "count for me", "stream": true}' "$T/s1" --max-time 60
wait_for 100 grep -q '^event: delta' "$T/s1" || bail "the stream did not start: $(cat "$T/s1" "$T/s1.err")"
aid=$(sse_data "$T/s1" start | jq -r .assistant_message.id)

# Meanwhile, ordinary requests go through the pool.
api GET /api/v1/conversations
is "$STATUS" 200 "while an answer streams, the conversations list answers 200"
like "$BODY" '"Streaming"' "... with the streaming conversation"
like "$BODY" '"Load 1"' "... and the others"
api GET "/api/v1/conversations/${convs[0]}/messages"
is "$STATUS" 200 "... a conversation's messages answer 200"
is "$(jget '.items | length')" "$((ROUNDS * 4))" "... all $((ROUNDS * 4)) of them"
like "$(jget '.items[-1].content')" "Check pool z$ROUNDS 0" "... the newest answer last"
api POST "/api/v1/conversations/${convs[1]}/messages" '{"content": "add a task to call the pool man"}'
is "$STATUS" 201 "... a question to the builtin model answers 201"
like "$(jget .assistant_message.content)" 'Call the pool man' "... with the answer"
api GET "/api/v1/conversations/$S/messages/$aid"
is "$(jget .status)" streaming "... and the answer is still being written"

wait_for 50 conns_are 2
is "$(parley_conns)" 2 "while it streams, parley holds 2 connections: the pooled one and the stream's own"
is "$(msg_status "$aid")" streaming "... (the answer still streaming when they were counted)"

# Someone follows the answer from another connection: notifications reach them too.
curl -sS -N --max-time 60 -H "Authorization: Bearer $TOKEN" \
    "$BASE_URL/api/v1/conversations/$S/messages/$aid/events" >"$T/f1" 2>"$T/f1.err" &
FOLLOW_PID=$!
wait_for 50 grep -q '^event: start' "$T/f1"
api GET /api/v1/conversations
is "$STATUS" 200 "while one streams and another follows, the list still answers 200"

wait "$BG_PID"
wait "$FOLLOW_PID"
is "$(sse_data "$T/s1" done | jq -r .status)" complete "the stream ends with done, complete"
is "$(sse_text "$T/s1")" "$words" "... its deltas the whole text"
is "$(sse_data "$T/f1" done | jq -r .status)" complete "the follower also got done, complete"
is "$(sse_text "$T/f1")" "$words" "... and the whole text"
api GET "/api/v1/conversations/$S/messages/$aid"
is "$(jget .content)" "$words" "the answer is stored whole"
is "$(jget .response.tokens_completion)" 40 "... with the provider's usage"
wait_for 50 conns_are 1
is "$(parley_conns)" 1 "once they end, the stream's and the follower's own connections are closed"

# A question to the model without a stream: it too waits on a connection of its own.
# streaming_in CONV: passes when an answer in CONV is being written.
streaming_in() {
	[ "$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$1' AND status = 'streaming'")" = 1 ]
}
echo "slow:250:a b c d e f g h" >"$T/script"
curl -sS --max-time 60 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"content": "once more", "stream": false}' -o "$T/w1" -w '%{http_code}' \
    "$BASE_URL/api/v1/conversations/$S/messages" >"$T/w1.code" 2>"$T/w1.err" &
W_PID=$!
wait_for 100 streaming_in "$S" || bail "the answer without a stream was not begun: $(cat "$T/w1.err")"
wait_for 50 conns_are 2
is "$(parley_conns)" 2 "while a question without a stream waits for the model, parley holds 2 connections"
wait "$W_PID"
is "$(cat "$T/w1.code")" 201 "... and it answers 201"
is "$(jq -r .assistant_message.content "$T/w1")" "a b c d e f g h" "... with the whole answer"

# Stop while it streams.
long=""
for i in $(seq 1 60); do long="$long word$i"; done
echo "slow:200:${long# }" >"$T/script"
stream_post "$S" '{"content": "talk for a long time", "stream": true}' "$T/s2" --max-time 60
wait_for 100 grep -q '^event: start' "$T/s2" || bail "the stream did not start: $(cat "$T/s2.err")"
aid=$(sse_data "$T/s2" start | jq -r .assistant_message.id)
wait_for 100 eval '[ "$(grep -c "^event: delta" "$T/s2")" -ge 3 ]'
is "$(upstream_conns)" 1 "while it streams, parley holds a request to the model"
api POST "/api/v1/conversations/$S/messages/$aid/stop" '{}'
is "$STATUS" 200 "stop answers 200 under a pool of 1"
is "$(jget .status)" stopped "... the answer is stopped"
partial=$(jget .content)
like "$partial" '^word1 word2 word3' "... its partial text kept"
unlike "$partial" 'word60' "... and partial"
wait "$BG_PID"
is "$(sse_data "$T/s2" done | jq -r .status)" stopped "the writer's stream ends with done, stopped"
wait_for 50 eval '[ "$(upstream_conns)" -eq 0 ]'
is "$(upstream_conns)" 0 "the request to the model ended"
is "$(msg_status "$aid")" stopped "the stored answer is stopped"
wait_for 50 conns_are 1
is "$(parley_conns)" 1 "afterwards parley is back to its one pooled connection"

# A request held up in the database (here by a lock on the tasks) keeps the one pooled
# connection: the others wait a quarter second for it, then use one of their own.
mkfifo "$T/lock.fifo"
"$PG_BINDIR/psql" -X -q <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
track $!
exec 7>"$T/lock.fifo"
echo "SET idle_in_transaction_session_timeout = '30s'; BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE;" >&7
tasks_locked() {
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'tasks'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]
}
# waiting_on_lock: passes when one of parley's connections waits for a lock.
waiting_on_lock() {
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'parley' AND wait_event_type = 'Lock'")" = 1 ]
}
wait_for 50 tasks_locked || bail "cannot lock the tasks: $(cat "$T/lock.out")"
curl -sS --max-time 60 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"content": "add a task to wait for the lock"}' -o "$T/k1" -w '%{http_code}' \
    "$BASE_URL/api/v1/conversations/${convs[2]}/messages" >"$T/k1.code" 2>"$T/k1.err" &
K_PID=$!
wait_for 100 waiting_on_lock || bail "the question did not reach the lock"
mark_opened
api GET /api/v1/conversations
is "$STATUS" 200 "while the only pooled connection is held up, another request still answers 200"
like "$BODY" '"Streaming"' "... with the list"
is "$(opened)" 1 "... on a connection of its own"
like "$(grep 'no pooled connection came free' "$T/parley.log" | tail -n 1)" \
    'warn.*raise PARLEY_DB_CONNECTIONS' "... and the log warns that the pool was too small"
check "... while the other was still held up" waiting_on_lock
echo "COMMIT;" >&7
exec 7>&-
wait "$K_PID"
is "$(cat "$T/k1.code")" 201 "once the lock is gone, the held-up question answers 201"
like "$(jq -r .assistant_message.content "$T/k1")" 'Wait for the lock' "... with its answer"
wait_for 50 conns_are 1
is "$(parley_conns)" 1 "... and parley is back to its one pooled connection"

##
# 4. Signing up and in, several at once, with a pool of 1
##
M=6
mark_opened
# As separate people in the background, each with its own jar and files.
pids=()
for i in $(seq 1 $M); do
	(
		COOKIE_JAR=$T/jar.$i BODY_FILE=$T/reg.$i.body HEADERS_FILE=$T/reg.$i.headers
		: >"$COOKIE_JAR"
		register_user "person$i@example.com" "password number $i" "Person $i" >/dev/null 2>&1
		echo "$STATUS" >"$T/registered.$i"
	) &
	pids+=($!)
done
wait "${pids[@]}"
got=$(cat "$T"/registered.* | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $2, $1; sep = " " }')
is "$got" "201x$M" "$M people registering at once all get 201"
is "$(sql "SELECT count(*) FROM users WHERE email LIKE 'person%@example.com'")" "$M" "... and all $M accounts exist"

# sign_in I [PASSWORD TAG]: person I signs in with the form as a browser does, in a fresh
# jar of its own (named after TAG); then /api/v1/me. Prints both statuses and the email.
sign_in() {
	local i=$1 tag=${3:-$1} csrf
	COOKIE_JAR=$T/jar.in.$tag BODY_FILE=$T/in.$tag.body HEADERS_FILE=$T/in.$tag.headers
	: >"$COOKIE_JAR"
	http GET /login >/dev/null 2>&1
	csrf=$(csrf_from_jar)
	http POST /login --data-urlencode "csrf_token=$csrf" --data-urlencode "email=person$i@example.com" \
	    --data-urlencode "password=${2:-password number $i}" >/dev/null 2>&1
	local form=$STATUS
	http GET /api/v1/me >/dev/null 2>&1
	echo "$form $STATUS $(jq -r .email <"$BODY_FILE" 2>/dev/null)"
}
pids=()
for i in $(seq 1 $M); do
	(sign_in "$i" >"$T/in.$i") &
	pids+=($!)
done
(sign_in 1 'not the password' wrong >"$T/in.wrong") &
pids+=($!)
wait "${pids[@]}"
bad=0
for i in $(seq 1 $M); do
	[ "$(cat "$T/in.$i")" = "303 200 person$i@example.com" ] || {
		bad=$((bad + 1))
		diag "sign-in $i: $(cat "$T/in.$i")"
	}
done
is "$bad" 0 "$M people signing in at once through the form all get in, each as themselves"
like "$(cat "$T/in.wrong")" '^401 401' "... while a wrong password at the same time is refused"
# Not a test, as in case 1: more than 0 means a request found the pooled connection busy
# for 250 ms while the others hashed passwords.
diag "connections opened while signing up and in: $(opened)"

##
# 5. A setting that is not a number from 0 to 1024
##
for bad in -1 abc 1025 '2 ' 1.5; do
	out=$(PARLEY_DB_CONNECTIONS=$bad timeout 10 "$PARLEY_BIN" serve \
	    --listen "unix:$T/other.sock" --workers 1 2>&1 </dev/null)
	rc=$?
	ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "serve refuses to start with PARLEY_DB_CONNECTIONS='$bad'"
	like "$out" 'PARLEY_DB_CONNECTIONS: expected a whole number from 0 to 1024' "... and says what is wrong"
done
ok "$([ ! -e "$T/other.sock" ]; echo $?)" "... leaving no socket behind"
printf 'PARLEY_DB_CONNECTIONS=many\n' >"$T/bad.conf"
out=$(timeout 10 "$PARLEY_BIN" --config "$T/bad.conf" config 2>&1)
rc=$?
ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a config file with a bad value is refused too"
like "$out" 'bad.conf:1: PARLEY_DB_CONNECTIONS' "... naming the file, line and setting"
is "$(env -u PARLEY_DB_CONNECTIONS "$PARLEY_BIN" config | grep '^PARLEY_DB_CONNECTIONS=')" \
    PARLEY_DB_CONNECTIONS=4 "the default is 4"
is "$(PARLEY_DB_CONNECTIONS=0 "$PARLEY_BIN" config | grep '^PARLEY_DB_CONNECTIONS=')" \
    PARLEY_DB_CONNECTIONS=0 "0 is accepted"
is "$(PARLEY_DB_CONNECTIONS=1024 "$PARLEY_BIN" config | grep '^PARLEY_DB_CONNECTIONS=')" \
    PARLEY_DB_CONNECTIONS=1024 "... and so is 1024"

done_testing

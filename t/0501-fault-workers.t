#!/usr/bin/env bash
# 0501-fault-workers.t: the supervisor under load.
# - kill -9 of a worker: it is replaced within a second, and every other request keeps
#   succeeding (only the few in flight on the killed worker may fail, with 502);
# - SIGHUP: templates are reloaded under load with no failed request, and a broken template
#   is refused while the site keeps serving the last good ones;
# - SIGTERM: the supervisor lets an answer being streamed finish, then exits 0.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

requires wrk
requires pgrep procps
. "$top_srcdir/t/lib/fake_openai.sh"

WORKERS=2
THREADS=4

fake_serve sk-test-secret

# A copy of the templates, to change under the running server.
cp -R "$top_srcdir/templates" "$T/templates"
export PARLEY_TEMPLATES_DIR=$T/templates

stack_start

register_user load@example.com 'correct horse battery' Loader || bail "cannot register"
SESSION=$(jar_session)
[ -n "$SESSION" ] || bail "no session cookie in the jar"
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"title": "a task to look at"}'
[ "$STATUS" = 201 ] || bail "cannot add a task: $STATUS"
TASK=$(jq -r .id <<<"$BODY")

# Page views and API reads: all idempotent, so any failure is the server's.
cat >"$T/mix" <<EOF
3 GET /tasks
2 GET /account
1 GET /chat
3 GET /api/v1/tasks
2 GET /api/v1/tasks/$TASK
1 GET /api/v1/me
1 GET /healthz
EOF

# load SECONDS CONNECTIONS OUT: a wrk run with t/lib/load.lua in the background; sets LOAD_PID.
load() {
	LOAD_MIX=$T/mix LOAD_COOKIE="parley_session=$SESSION" LOAD_CSRF=$CSRF \
	    wrk -t2 -c"$2" -d"$1"s --timeout 10s -s "$top_srcdir/t/lib/load.lua" "$BASE_URL" \
	    >"$3" 2>&1 &
	LOAD_PID=$!
	track "$LOAD_PID"
}
# tally FILE CODE: how many answers had that status in a wrk run.
tally() {
	awk -v c="$2" '$1 == "status" && $2 == c { n = $3 } END { print n + 0 }' "$1"
}
# statuses FILE: "CODE:N ..." of a wrk run, for messages.
statuses() {
	awk '$1 == "status" { printf "%s%s:%s", sep, $2, $3; sep = " " }' "$1"
}
socket_errors() {
	awk '$1 == "socket-errors" { print $2 }' "$1"
}
##
# kill -9 of a worker under load
##
mapfile -t before < <(parley_workers)
is "${#before[@]}" "$WORKERS" "parley runs $WORKERS workers"
load 8 16 "$T/wrk.kill"
sleep 3
victim=${before[0]}
# Seconds since boot, as /proc/PID/stat counts a process's start: timing from the kernel's
# own clock, so a slow poll on a busy machine does not count against parley.
killed_at=$(awk '{ print $1 }' /proc/uptime)
kill -KILL "$victim"
replaced() {
	local pids
	pids=$(parley_workers)
	! grep -qx "$victim" <<<"$pids" && [ "$(wc -l <<<"$pids")" -eq "$WORKERS" ]
}
wait_for 50 replaced
ok $? "the killed worker is replaced"
newcomer=$(parley_workers | grep -vxF -f <(printf '%s\n' "${before[@]}") | head -n 1)
hz=$(getconf CLK_TCK)
took=$(awk -v k="$killed_at" -v hz="$hz" '{ sub(/.*\) /, ""); printf "%d", ($20 / hz - k) * 1000 }' \
    "/proc/$newcomer/stat" 2>/dev/null)
diag "the new worker $newcomer started ${took:-?} ms after the kill"
ok "$([ -n "$took" ] && [ "$took" -le 1000 ]; echo $?)" "within a second (${took:-?} ms)"
like "$(cat "$T/parley.log")" "worker $victim killed by signal 9" "the supervisor logs which worker died and how"
wait "$LOAD_PID"
diag "load during the kill: $(statuses "$T/wrk.kill")"
n200=$(tally "$T/wrk.kill" 200)
n502=$(tally "$T/wrk.kill" 502)
ok "$([ "$n200" -gt 0 ]; echo $?)" "requests kept succeeding under load ($n200 answered 200)"
ok "$([ "$n502" -le "$THREADS" ]; echo $?)" \
    "at most the $THREADS requests in flight on the killed worker failed ($n502 answered 502)"
others=$(awk '$1 == "status" && $2 != 200 && $2 != 502' "$T/wrk.kill")
is "$others" "" "no other status than 200 (and those 502s)"
is "$(awk '$1 == "status-other" { print $2 }' "$T/wrk.kill")" 0 "every answer was tallied"
is "$(socket_errors "$T/wrk.kill")" 0 "no socket error or timeout"
http GET /api/v1/tasks/"$TASK"
is "$STATUS" 200 "after the kill, a request is served normally"

##
# SIGHUP: templates reloaded under load
##
marker="Reloaded-$RANDOM-$RANDOM"
http GET /tasks
unlike "$BODY" "$marker" "the marker is not on the tasks page yet"
load 8 16 "$T/wrk.hup"
sleep 2
sed -i "s|<h1>Tasks</h1>|<h1>Tasks $marker</h1>|" "$T/templates/tasks.mustache"
grep -q "$marker" "$T/templates/tasks.mustache" || bail "cannot change the copied template"
mapfile -t gen1 < <(parley_workers)
kill -HUP "$PARLEY_PID"
seen() {
	curl -fsS --max-time 3 -b "parley_session=$SESSION" "$BASE_URL/tasks" 2>/dev/null | grep -q "$marker"
}
wait_for 50 seen
ok $? "after SIGHUP, the changed template is used"
wait "$LOAD_PID"
diag "load during the reload: $(statuses "$T/wrk.hup")"
ok "$([ "$(tally "$T/wrk.hup" 200)" -gt 0 ]; echo $?)" "requests were served during the reload"
others=$(awk '$1 == "status" && $2 != 200' "$T/wrk.hup")
is "$others" "" "no request failed during the reload (every answer 200)"
is "$(socket_errors "$T/wrk.hup")" 0 "no socket error or timeout during the reload"
old_gone() {
	local p
	for p in "${gen1[@]}"; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	[ "$(parley_workers | wc -l)" -eq "$WORKERS" ]
}
wait_for 100 old_gone
ok $? "the old workers left and $WORKERS new ones serve"

# A broken template is refused; the last good ones stay in use.
printf '{{#never_closed}}\n' >>"$T/templates/tasks.mustache"
mapfile -t gen2 < <(parley_workers)
kill -HUP "$PARLEY_PID"
wait_for 50 grep -q "reload refused" "$T/parley.log"
ok $? "a reload with a broken template is refused (and logged)"
http GET /tasks
is "$STATUS" 200 "the site keeps serving"
like "$BODY" "$marker" "with the last good templates"
is "$(parley_workers | sort | tr '\n' ' ')" "$(printf '%s\n' "${gen2[@]}" | sort | tr '\n' ' ')" \
    "the workers were not replaced"

##
# SIGTERM drains an answer being streamed
##
http POST /api/v1/conversations -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"default_model": "openai/fake-1"}'
[ "$STATUS" = 201 ] || bail "cannot make a conversation: $STATUS $BODY"
conv=$(jq -r .id <<<"$BODY")
words="one two three four five six seven eight nine ten"
echo "slow:300:$words" >"$T/script"
curl -sS -N --max-time 30 -o "$T/stream" -w '%{http_code}' -b "$COOKIE_JAR" \
    -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"content": "count to ten, slowly", "stream": true}' \
    "$BASE_URL/api/v1/conversations/$conv/messages" >"$T/stream.status" 2>"$T/stream.err" &
stream_pid=$!
track "$stream_pid"
wait_for 100 grep -qs "^event: delta" "$T/stream"
ok $? "the answer started streaming"
serve_pid=$PARLEY_PID
kill -TERM "$serve_pid"
t0=$(now_ms)
wait "$stream_pid"
is "$(cat "$T/stream.status")" 200 "the streamed answer in flight at SIGTERM completes (200)"
like "$(cat "$T/stream")" "event: done" "it ends with its done event"
text=$(awk '/^event: / { ev = $2 } /^data: / { if (ev == "delta") print substr($0, 7) }' "$T/stream" | jq -j .content)
is "$text" "$words" "with the whole text"
wait_for 150 eval "! kill -0 $serve_pid 2>/dev/null"
ok $? "parley serve exits after the drain"
wait "$serve_pid"
is "$?" 0 "with status 0"
diag "serve exited $(($(now_ms) - t0)) ms after SIGTERM"
PARLEY_PID=
is "$(sql "SELECT status || ' ' || content FROM messages WHERE role = 'assistant' ORDER BY created_at DESC LIMIT 1")" \
    "complete $words" "the answer is stored complete"
is "$(pgrep -g "$serve_pid" | grep -vx "$serve_pid" | wc -l)" 0 "no worker is left behind"

done_testing

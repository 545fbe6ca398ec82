#!/usr/bin/env bash
# 0520-load.t: a bounded wrk run at 64 connections over a mix of page views, API reads and
# writes (t/lib/load.lua). It must end with no socket error and no answer outside 2xx/3xx,
# no worker lost, and worker memory after the run within 10% of before (no growth per
# request). A full 60 seconds (LOAD_SECONDS shortens it for a quick look).
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

requires wrk
requires pgrep procps

DURATION=${LOAD_SECONDS:-60}
CONNECTIONS=64
WORKERS=2
THREADS=8

stack_start

register_user load@example.com 'correct horse battery' Loader || bail "cannot register"
SESSION=$(jar_session)
[ -n "$SESSION" ] || bail "no session cookie in the jar"
# Something on every page: tasks, a conversation with an answer, a proposal with sections.
for i in $(seq 1 20); do
	api POST /api/v1/tasks "{\"title\": \"seed task $i\", \"description\": \"to be **done**\"}"
done
TASK=$(jq -r .id <<<"$BODY")
api POST /api/v1/conversations '{}'
CONV=$(jq -r .id <<<"$BODY")
api POST "/api/v1/conversations/$CONV/messages" '{"content": "list my tasks"}'
[ "$STATUS" = 201 ] || bail "cannot chat: $STATUS $BODY"
api POST /api/v1/proposals '{"title": "Load test proposal"}'
PROP=$(jq -r .id <<<"$BODY")
for f in client_name project_title project_goals timeline deliverables technologies; do
	api POST "/api/v1/proposals/$PROP/answers" "{\"field\": \"$f\", \"answer\": \"An answer for $f\"}"
done
[ "$STATUS" = 201 ] || bail "cannot fill the proposal: $STATUS $BODY"

# The mix: WEIGHT METHOD PATH [BODY] (t/lib/load.lua). About a third page views, half API
# reads, the rest writes. Writes update rather than add where they can, so the pages do not
# grow during the run and memory figures compare like with like.
cat >"$T/mix" <<EOF
6 GET /tasks
3 GET /chat
3 GET /chat/$CONV
3 GET /proposals/$PROP
2 GET /account
2 GET /usage
1 GET /login
8 GET /api/v1/tasks
4 GET /api/v1/tasks/$TASK
4 GET /api/v1/me
4 GET /api/v1/conversations/$CONV/messages
4 GET /api/v1/proposals/$PROP
3 GET /api/v1/usage
2 GET /api/v1/models
1 GET /healthz
6 PATCH /api/v1/tasks/$TASK {"title": "renamed {n}", "completed": false}
2 PATCH /api/v1/conversations/$CONV {"title": "Conversation {n}"}
2 PUT /api/v1/proposals/$PROP/sections/objectives {"content": "## Objectives {n}\n\n- one\n- two"}
2 POST+DELETE /api/v1/tasks {"title": "load task {n}"}
EOF

# worker_kib: the workers' memory in KiB: proportional set size (PSS, shared pages split
# fairly between the processes sharing them) where the kernel has it, else RSS.
worker_kib() {
	local pid total=0 v
	for pid in $(parley_workers); do
		v=$(awk '/^Pss:/ { print $2; exit }' "/proc/$pid/smaps_rollup" 2>/dev/null)
		[ -n "$v" ] || v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
# The same once the workers have been idle for over a second: an idle worker gives its
# freed memory back to the system (src/worker.c), so what remains is what it still holds.
idle_kib() {
	sleep 2.5
	worker_kib
}
run_wrk() {
	LOAD_MIX=$T/mix LOAD_COOKIE="parley_session=$SESSION" LOAD_CSRF=$CSRF \
	    wrk -t2 -c"$CONNECTIONS" -d"$1"s --timeout 10s --latency \
	    -s "$top_srcdir/t/lib/load.lua" "$BASE_URL" >"$2" 2>&1
}

# A warm-up with the same mix: the first thousands of requests of a mixed load grow each
# thread's malloc arena and caches, buffers and database connection (prepared statements) to
# their working size, in steps that flatten out. "Before" is taken once that growth has
# stopped (at least 30 s, then until a 5-second round adds under 1%, at most 75 s): every
# thread has by then prepared its statements and grown its buffers, so what the run adds is
# growth per request.
warm=0
prev=0
cur=0
for _ in $(seq 1 15); do
	run_wrk 5 "$T/wrk.warm" || break
	warm=$((warm + 5))
	cur=$(idle_kib)
	[ "$warm" -ge 30 ] && [ $((cur * 100)) -le $((prev * 101)) ] && break
	prev=$cur
done
ok "$([ "$cur" -gt 0 ]; echo $?)" "a warm-up of $warm s with the same mix (worker memory then $cur KiB)"
workers_before=$(parley_workers | sort | tr '\n' ' ')
mem_before=$(idle_kib)

run_wrk "$DURATION" "$T/wrk.out"
ok $? "wrk ran for $DURATION s at $CONNECTIONS connections"
mem_busy=$(worker_kib)
mem_after=$(idle_kib)
diag "$(grep -E 'Requests/sec|Latency|Socket errors|Non-2xx|requests in|50%|99%' "$T/wrk.out")"
diag "answers by status: $(awk '$1 == "status" { printf "%s:%s ", $2, $3 }' "$T/wrk.out")"

total=$(awk '$1 == "requests" { print $2 }' "$T/wrk.out")
ok "$([ "${total:-0}" -gt 0 ]; echo $?)" "requests were served (${total:-0})"
is "$(awk '$1 == "socket-errors" { print $2 }' "$T/wrk.out")" 0 "no socket error (connect, read, write or timeout)"
bad=$(awk '$1 == "status" && ($2 < 200 || $2 >= 400) { printf "%s:%s ", $2, $3 }' "$T/wrk.out")
is "$bad" "" "no answer outside 2xx and 3xx"
is "$(awk '$1 == "status-other" { print $2 }' "$T/wrk.out")" 0 "every answer was counted"
unlike "$(cat "$T/wrk.out")" "Non-2xx or 3xx responses" "wrk saw no non-2xx/3xx answer either"
for code in 200 201; do
	ok "$([ "$(awk -v c=$code '$1 == "status" && $2 == c { print $3 }' "$T/wrk.out")" -gt 0 ] 2>/dev/null; echo $?)" \
	    "the mix really ran: some $code answers"
done
is "$(parley_workers | sort | tr '\n' ' ')" "$workers_before" "no worker died or was replaced"

diag "worker memory (PSS, KiB): before $mem_before, at the end of the run $mem_busy, after $mem_after"
limit=$((mem_before * 110 / 100))
ok "$([ "$mem_before" -gt 0 ] && [ "$mem_after" -le "$limit" ]; echo $?)" \
    "worker memory after the run is within 10% of before ($mem_before -> $mem_after KiB, limit $limit)"

# The writes all landed, and the pages still show.
http GET "/api/v1/tasks/$TASK"
like "$(jq -r .title <<<"$BODY")" '^renamed [0-9]+-[0-9]+$' "the writes under load were stored"
http GET /tasks
is "$STATUS" 200 "the tasks page still answers after the run"
is "$(grep -c 'access .* 5[0-9][0-9] ' "$T/parley.log")" 0 "parley logged no 5xx answer"

done_testing

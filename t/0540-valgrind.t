#!/usr/bin/env bash
# 0540-valgrind.t: `parley serve` under valgrind's memcheck answers one request of every
# route in src/routes.c (pages, form posts with their CSRF token, API reads and writes, a
# streamed answer, a followed answer stopped half way, answers from the builtin model and
# from t/fake_openai, the exports, logout last), then error paths (404, 405, 413, 415, bad
# JSON and forms, 422s, other people's rows, provider faults, a browser that leaves
# mid-stream) and a reload (SIGHUP). It stops on SIGTERM, and valgrind reports, for the
# supervisor and each worker, no invalid access and no memory definitely or indirectly lost.
# ("Still reachable" is fine: what the process holds until exit, like the templates.)
#
# Valgrind makes parley 20-50 times slower: one worker with three threads (a writer, a
# follower and a stop at once), generous timeouts, and few password hashes.
# Set PARLEY_TEST_KEEP=1 to keep $T/vg.PID, valgrind's report of each process.
# shellcheck disable=SC2016,SC2119,SC2317 # eval'd and wait_for's conditions; optional arguments
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/content.sh"
. "$top_srcdir/t/lib/pages.sh"

requires valgrind
# AddressSanitizer's shadow memory and valgrind cannot share a process; that build's
# tests already check the same things with ASan and LeakSanitizer.
if grep -aqm1 __asan_init "$PARLEY_BIN" 2>/dev/null; then
	skip_all "parley is built with --enable-sanitizers; valgrind needs a plain build"
fi
. "$top_srcdir/t/lib/fake_openai.sh"

REAL_BIN=$PARLEY_BIN
# Under valgrind one request can take seconds (a password hash, six proposal sections).
HTTP_TIMEOUT=180
# Generous, so valgrind's slowness never turns into a timeout or an unfinished drain.
# The idle timeout stays short, for the stalled provider below (its clock is the
# provider's silence, which valgrind does not stretch).
export PARLEY_DRAIN_TIMEOUT=120 PARLEY_LLM_IDLE_TIMEOUT=3 PARLEY_LLM_CONNECT_TIMEOUT=30

##
# The fake model provider
##
: >"$T/script"
fake_serve sk-test-valgrind

##
# parley under valgrind
##
db_start
nginx_start

# The harness runs $PARLEY_BIN; make that valgrind around the real binary. The workers are
# forks of the supervisor (no exec), so valgrind follows them, each with its own log file.
cat >"$T/vgparley" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --track-fds=no --trace-children=no \\
    --child-silent-after-fork=no --num-callers=30 --log-file='$T/vg.%p' '$REAL_BIN' "\$@"
EOF
chmod +x "$T/vgparley"
PARLEY_BIN=$T/vgparley

# vg_start: like parley_start (one worker of three threads), with the time valgrind needs.
vg_start() {
	local i
	PARLEY_SECURE_COOKIES=0 setsid "$PARLEY_BIN" serve --listen "unix:$PARLEY_SOCK" \
	    --workers 1 --threads 3 >>"$T/parley.log" 2>&1 </dev/null &
	PARLEY_PID=$!
	track "$PARLEY_PID"
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$PARLEY_PID" 2>/dev/null || break
		if [ -S "$PARLEY_SOCK" ] && curl -fsS -o /dev/null --max-time 10 "$BASE_URL/healthz" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	diag "parley serve under valgrind did not become ready in 120 s:"
	diag "$(tail -n 20 "$T/parley.log")"
	return 1
}
t0=$(date +%s)
vg_start || bail "parley did not start under valgrind"
diag "parley ready under valgrind after $(($(date +%s) - t0)) s"

##
# Requests, and the routes they reach
##
# Every route of the table, as "METHOD /pattern", and as a regular expression for paths.
mapfile -t ROUTES < <(grep -oE '^[[:space:]]*\{ "[A-Z]+",[[:space:]]+"/[^"]*"' "$top_srcdir/src/routes.c" |
    sed -E 's/^[[:space:]]*\{ "([A-Z]+)",[[:space:]]+"([^"]*)"/\1 \2/')
[ "${#ROUTES[@]}" -gt 50 ] || bail "cannot read the route table in src/routes.c"
mapfile -t ROUTE_RES < <(printf '%s\n' "${ROUTES[@]}" |
    sed -E 's/^[A-Z]+ //; s/[.]/\\./g; s/\{[a-z]+\}/[^\/]+/g; s/^/^/; s/$/$/')
declare -A HIT=()

# mark METHOD PATH: records which routes of the table a request reached.
mark() {
	local method=$1 path=${2%%\?*} i
	for i in "${!ROUTES[@]}"; do
		[ "${ROUTES[$i]%% *}" = "$method" ] && [[ $path =~ ${ROUTE_RES[$i]} ]] && HIT[${ROUTES[$i]}]=1
	done
	return 0
}

# req WANT METHOD PATH [CURL ARGS...]: one request; passes when it answers WANT.
req() {
	local want=$1 method=$2 path=$3
	shift 3
	http "$method" "$path" "$@"
	is "$STATUS" "$want" "$method $path answers $want" || diag "body: ${BODY:0:300}"
	[ "$want" -lt 400 ] && mark "$method" "$path"
	return 0
}
# form WANT PATH FIELD=VALUE...: a form post as a browser sends it, with the CSRF token.
form() {
	local want=$1 path=$2 args=() kv
	shift 2
	for kv in "csrf_token=$CSRF" "$@"; do
		args+=(--data-urlencode "$kv")
	done
	req "$want" POST "$path" "${args[@]}"
}
# api WANT METHOD PATH [JSON [CURL ARGS...]]: an API call with the CSRF token.
api() {
	local want=$1 method=$2 path=$3
	shift 3
	if [ $# -ge 1 ]; then
		local json=$1
		shift
		req "$want" "$method" "$path" -H "X-CSRF-Token: $CSRF" \
		    -H 'Content-Type: application/json' --data-binary "$json" "$@"
	else
		req "$want" "$method" "$path" -H "X-CSRF-Token: $CSRF"
	fi
}
# location_id: the id in the Location of the last answer (/things/ID...).
location_id() {
	header Location | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1
}

##
# Signed out; a person who signs up and in through the forms (Bob)
##
req 200 GET /healthz
req 200 GET /readyz
req 303 GET /
COOKIE_JAR=$T/jar.bob
req 200 GET /register
CSRF=$(csrf_from_jar)
form 303 /register email=bob@example.com name=Bob password='bob password 1'
BOB=$(sql "SELECT id FROM users WHERE email = 'bob@example.com'")
COOKIE_JAR=$T/jar.bob2
req 200 GET /login
CSRF=$(csrf_from_jar)
form 303 /login email=bob@example.com password='bob password 1'
COOKIE_JAR=$T/jar.bob
req 200 GET /account
CSRF=$(page_csrf)
[ -n "$CSRF" ] || bail "no CSRF token on the account page"
req 200 GET /account/export
is "$(jget .user.email)" bob@example.com "the export holds the account"
form 303 /account/name name='Robert <Bob>'
form 303 /account/tokens token_name='Backup script'
tok_id=$(sql "SELECT id FROM api_tokens WHERE user_id = '$BOB'")
form 303 "/account/tokens/$tok_id/revoke"
bob2=$(sql "SELECT id FROM auth_sessions WHERE user_id = '$BOB' ORDER BY created_at DESC LIMIT 1")
form 303 "/account/sessions/$bob2/end"
form 303 /account/sessions/others
form 303 /account/password current_password='bob password 1' new_password='bob password 2'
form 303 /account/delete password='bob password 2'
is "$(sql "SELECT count(*) FROM users WHERE email = 'bob@example.com'")" 0 "Bob's account is deleted"

##
# Through the JSON API (Alice): accounts and tokens
##
COOKIE_JAR=$T/jar.alice2
register_user alice@example.com 'alice password' Alice || bail "cannot register alice"
mark POST /api/v1/auth/register
api 204 POST /api/v1/auth/logout
COOKIE_JAR=$T/jar.alice
http POST /api/v1/auth/login -H 'Content-Type: application/json' \
    --data-binary '{"email": "alice@example.com", "password": "alice password"}'
is "$STATUS" 200 "POST /api/v1/auth/login answers 200"
mark POST /api/v1/auth/login
CSRF=$(jget .csrf_token)
ALICE_CSRF=$CSRF
api 200 GET /api/v1/me
api 201 POST /api/v1/tokens '{"name": "laptop"}'
TOKEN=$(jget .token)
token_id=$(jget .id)
api 200 GET /api/v1/tokens
bearer "$TOKEN" GET /api/v1/tasks
is "$STATUS" 200 "a bearer token reads the API"
api 204 DELETE "/api/v1/tokens/$token_id"

##
# Tasks
##
api 201 POST /api/v1/tasks '{"title": "Buy milk", "description": "Two litres"}'
task=$(jget .id)
api 200 GET '/api/v1/tasks?q=milk&completed=false'
is "$(jget '.items | length')" 1 "the task is found"
api 200 GET "/api/v1/tasks/$task"
api 200 PATCH "/api/v1/tasks/$task" '{"title": "Buy oat milk", "completed": true}'
api 204 DELETE "/api/v1/tasks/$task"
req 200 GET /tasks
form 303 /tasks title='Call <Bob>' description='About the party' filter=all
task=$(sql "SELECT id FROM tasks WHERE title = 'Call <Bob>'")
req 200 GET "/tasks/$task/edit"
form 303 "/tasks/$task/edit" title='Call Bob' description='' filter=all
form 303 "/tasks/$task/toggle" completed=1 filter=pending
req 200 GET "/tasks/$task/delete"
form 303 "/tasks/$task/delete" filter=all

##
# Chat with the builtin model: JSON, streamed, followed, regenerated
##
api 200 GET /api/v1/models
api 201 POST /api/v1/conversations '{"title": "Errands", "default_model": "builtin/parley"}'
conv=$(jget .id)
api 200 GET /api/v1/conversations
api 200 GET "/api/v1/conversations/$conv"
api 200 PATCH "/api/v1/conversations/$conv" '{"title": "Errands and more"}'
api 201 POST "/api/v1/conversations/$conv/messages" '{"content": "add a task to water the plants"}'
mid=$(jget .assistant_message.id)
is "$(jget .assistant_message.status)" complete "the builtin model answers"
# Twice: once its statements are prepared, the task list is read along with the context.
for i in 1 2; do
	api 201 POST "/api/v1/conversations/$conv/messages" '{"content": "what are my tasks?"}'
	like "$(jget .assistant_message.content)" 'Water the plants' "a listing question, read ahead ($i)"
done
api 200 POST "/api/v1/conversations/$conv/messages" '{"content": "what are my tasks"}' \
    -N -H 'Accept: text/event-stream'
printf '%s\n' "$BODY" >"$T/b1"
like "$(sse_names "$T/b1")" '^start(,delta)+,done$' "the streamed answer: start, deltas, done"
like "$(sse_data "$T/b1" 'done' | jq -r .content)" 'Water the plants' "and it lists the new task"
# Again and again, so that threads that have seen the session read along with its check;
# and questions without their CSRF token, whose context and task list are read along with
# the check, kept, and then not used (a 403).
for i in 1 2 3 4; do
	api 200 GET "/api/v1/conversations/$conv/messages"
	req 403 POST "/api/v1/conversations/$conv/messages" -H 'Content-Type: application/json' \
	    --data-binary '{"content": "what are my tasks?"}'
done
api 200 GET "/api/v1/conversations/$conv/messages/$mid"
req 200 GET "/api/v1/conversations/$conv/messages/$mid/events" -N
like "$(printf '%s\n' "$BODY" | awk '/^event: / { printf "%s,", $2 }')" '^start,delta,done,$' \
    "following an ended answer: all of it at once"
api 200 POST "/api/v1/conversations/$conv/messages/$mid/stop"
api 201 POST "/api/v1/conversations/$conv/regenerate" '{}'
api 200 GET /api/v1/usage

##
# Chat with the OpenAI-compatible provider: text, tool calls, a followed stream stopped
##
api 201 POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
oconv=$(jget .id)
script "text:Hello from the fake model"
api 201 POST "/api/v1/conversations/$oconv/messages" '{"content": "hello?"}'
is "$(jget .assistant_message.content)" "Hello from the fake model" "the provider's answer is stored"
script 'tool:add_task:{"title":"Buy bread"}' "text:I added **Buy bread**."
api 201 POST "/api/v1/conversations/$oconv/messages" '{"content": "add bread"}'
is "$(jget .assistant_message.content)" "I added **Buy bread**." "a tool call, then the answer"
is "$(sql "SELECT count(*) FROM tasks WHERE title = 'Buy bread'")" 1 "the tool call added the task"

script "slow:300:$(seq -s ' ' 1 100)"
curl -sS -N --max-time 170 -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"content": "count to a hundred", "stream": true}' \
    "$BASE_URL/api/v1/conversations/$oconv/messages" >"$T/s1" 2>&1 &
writer=$!
wait_for 600 eval '[ "$(grep -c "^event: delta" "$T/s1")" -ge 2 ]' || bail "the stream did not start"
aid=$(sse_data "$T/s1" start | jq -r .assistant_message.id)
curl -sS -N --max-time 170 -b "$COOKIE_JAR" \
    "$BASE_URL/api/v1/conversations/$oconv/messages/$aid/events" >"$T/f1" 2>&1 &
follower=$!
wait_for 600 grep -q '^event: delta' "$T/f1" || diag "the follower got no delta"
mark GET "/api/v1/conversations/$oconv/messages/$aid/events"
api 200 POST "/api/v1/conversations/$oconv/messages/$aid/stop"
is "$(jget .status)" stopped "the stopped answer is marked stopped"
wait "$writer" "$follower"
is "$(sse_data "$T/s1" 'done' | jq -r .status)" stopped "the writer's stream ends, stopped"
is "$(sse_data "$T/f1" 'done' | jq -r .status)" stopped "and so does the follower's"

# The client's error paths: each fault leaves the question stored and an error answer.
for step in "status:500" "malformed" "cut:one two three four five six" "stall-mid:30" "close"; do
	script "$step"
	api 201 POST "/api/v1/conversations/$oconv/messages" "$(jq -cn --arg c "fault ${step%%:*}" '{content: $c}')"
	is "$(jget .assistant_message.status)" error "provider fault ${step%%:*}: the answer is an error"
done
script "cut:alpha beta gamma delta"
api 200 POST "/api/v1/conversations/$oconv/messages" '{"content": "streamed cut", "stream": true}' -N
is "$(printf '%s\n' "$BODY" | awk '/^event: / { printf "%s,", $2 }' | sed 's/\(delta,\)*//g')" \
    "start,error," "a streamed answer cut half way ends with an error event"
script "huge:300000"
api 201 POST "/api/v1/conversations/$oconv/messages" '{"content": "say a lot"}'
like "$(jget .assistant_message.content)" 'answer cut: too long' "a huge answer is bounded and cut with a note"
# A browser that leaves mid-stream: the answer is finished in the background.
script "slow:100:$(seq -s ' ' 1 20)"
curl -sS -N --max-time 1 -o /dev/null -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"content": "leaving early", "stream": true}' \
    "$BASE_URL/api/v1/conversations/$oconv/messages" 2>/dev/null
wait_for 1200 none_streaming
is "$(sql "SELECT status FROM messages WHERE conversation_id = '$oconv' AND role = 'assistant'
    ORDER BY created_at DESC LIMIT 1")" complete "an answer whose browser left is completed"
api 204 DELETE "/api/v1/conversations/$oconv"

##
# Chat pages
##
req 200 GET /chat
form 303 /chat model=builtin/parley title='Plans <&> more'
pconv=$(location_id)
req 200 GET "/chat/$pconv"
form 303 "/chat/$pconv/messages" content='add a task to call the plumber'
pmid=$(sql "SELECT id FROM messages WHERE conversation_id = '$pconv' AND role = 'assistant'")
req 200 GET "/chat/$pconv/messages/$pmid?fragment=1"
like "$BODY" 'plumber' "the answer's fragment shows it"
form 303 "/chat/$pconv/messages/$pmid/stop"
form 303 "/chat/$pconv/rename" title='Renamed'
form 303 "/chat/$pconv/model" model=openai/fake-1
script "text:Answered again"
form 303 "/chat/$pconv/regenerate"
is "$(sql "SELECT content FROM messages WHERE conversation_id = '$pconv' AND role = 'assistant'
    ORDER BY created_at DESC LIMIT 1")" "Answered again" "regenerated by the provider"
form 422 "/chat/$pconv/messages" 'content=   '
form 422 /chat model=nobody/nothing
form 303 "/chat/$pconv/delete"
req 200 GET /usage

##
# Proposals: the wizard through the API (the builtin model writes six sections), pages
##
req 200 GET /proposals
form 303 /proposals
p1=$(location_id)
req 200 GET "/proposals/$p1"
form 303 "/proposals/$p1/answers" field=client_name 'answer=Smith & <Sons>' action=next
api 201 POST /api/v1/proposals '{"title": "Pitch"}'
p2=$(jget .id)
api 200 GET /api/v1/proposals
api 200 GET "/api/v1/proposals/$p2"
fields=(client_name project_title project_goals timeline deliverables technologies)
answers=("Acme Bakery" "Website redesign" $'A faster site\nOnline orders' "Launch in Q3"
    $'Designs\nOnline ordering' "WordPress, Stripe")
for i in 0 1 2 3 4 5; do
	api 201 POST "/api/v1/proposals/$p2/answers" \
	    "$(jq -cn --arg f "${fields[$i]}" --arg a "${answers[$i]}" '{field: $f, answer: $a}')"
done
is "$(jget .progress)" 100 "six answers complete the proposal"
api 200 PATCH "/api/v1/proposals/$p2" '{"title": "Acme: the new website"}'
api 200 GET "/api/v1/proposals/$p2/sections"
is "$(jget '.items | length')" 6 "the builtin model wrote six sections"
api 200 GET "/api/v1/proposals/$p2/sections/objectives"
api 200 PUT "/api/v1/proposals/$p2/sections/objectives" '{"content": "## Aims\n\n- Sell **more** cakes"}'
api 200 POST "/api/v1/proposals/$p2/sections/timeline/regenerate"
api 200 POST "/api/v1/proposals/$p2/preview" '{"content": "**bold** <script>x</script>"}'
form 303 "/proposals/$p2/sections/objectives" $'content=## Aims\n\n- Sell *more* cakes' action=save
form 303 "/proposals/$p2/sections/technology/regenerate"
form 303 "/proposals/$p2/regenerate" which=outdated
form 422 "/proposals/$p1/answers" field=project_title answer= action=next
api 422 PUT "/api/v1/proposals/$p2/sections/objectives" '{"content": 42}'
form 303 "/proposals/$p2/settings" 'title=Acme website' model=openai/fake-1
script "text:Written by the provider."
api 200 POST "/api/v1/proposals/$p2/sections/next_steps/regenerate"
is "$(jget .content)" "Written by the provider." "the provider writes a section"
script "status:500"
api 502 POST "/api/v1/proposals/$p2/sections/next_steps/regenerate"
form 303 "/proposals/$p2/status" status=completed
req 200 GET "/proposals/$p2/export.md"
like "$BODY" 'Sell \*more\* cakes' "the export has the edited section"
req 200 GET "/proposals/$p1/delete"
form 303 "/proposals/$p1/delete"
api 204 DELETE "/api/v1/proposals/$p2"

##
# Error paths
##
req 404 GET /no-such-page
req 405 DELETE /tasks
req 404 GET /api/v1/tasks/not-a-uuid
api 400 POST /api/v1/tasks '{"title": "broken'
req 415 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" --data-urlencode title=form
head -c $((1536 * 1024)) /dev/zero | tr '\0' 'x' >"$T/big"
req 413 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary "@$T/big"
api 400 POST /api/v1/tasks "$(printf '%.0s[' {1..200})"
http POST /tasks --data-urlencode title=nocsrf
is "$STATUS" 403 "a form post without its CSRF token answers 403"
req 200 HEAD /healthz
form 422 /tasks title='   '
api 422 POST /api/v1/tasks '{"title": 42}'
api 422 POST /api/v1/proposals '{"title": 5}'
api 422 POST "/api/v1/conversations/$conv/messages" '{"content": ""}'
api 422 PATCH "/api/v1/conversations/$conv" '{"default_model": "openai/missing"}'
form 422 /account/name name='   '
form 422 /account/password current_password='not my password' new_password='brand new password'
printf '{"title": "caf\xe9"}' >"$T/latin1.json"
req 400 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary "@$T/latin1.json"
req 400 POST /tasks --data "csrf_token=$CSRF&title=a%00b"
req 400 POST /tasks --data "csrf_token=$CSRF&title=100%"
req 400 GET "/api/v1/tasks?completed=%FF"
# Cookie headers written by hand: no cookie jar.
SESSION=$(jar_session)
many=$(for i in $(seq 1 300); do printf 'junk%d=%d; ' "$i" "$i"; done)
COOKIE_JAR=$T/jar.none
req 200 GET /api/v1/me -H "Cookie: parley_session=$SESSION; $many"
req 401 GET /api/v1/me -H "Cookie: parley_session=$(printf 'f%.0s' {1..4000})"
COOKIE_JAR=$T/jar.alice
# Another person: everything of Alice's is a 404 for Carol.
COOKIE_JAR=$T/jar.carol
register_user carol@example.com 'carol password' Carol || bail "cannot register carol"
req 404 GET "/api/v1/conversations/$conv"
req 404 GET "/chat/$conv"
api 404 PATCH "/api/v1/conversations/$conv" '{"title": "mine"}'
form 404 "/chat/$conv/messages" content=hello
req 404 GET "/proposals/$p1"
COOKIE_JAR=$T/jar.alice
CSRF=$ALICE_CSRF
# Signed out: the login and register forms' error paths.
COOKIE_JAR=$T/jar.anon
req 200 GET /login
CSRF=$(csrf_from_jar)
form 401 /login email=alice@example.com password=wrong-password
form 422 /register email=not-an-email name=Nobody password=long-enough-pw
COOKIE_JAR=$T/jar.alice
CSRF=$ALICE_CSRF

##
# A reload (SIGHUP): the supervisor loads the templates again and replaces its worker
##
first_worker=$(pgrep -P "$PARLEY_PID")
kill -HUP "$PARLEY_PID"
replaced() {
	local w
	w=$(pgrep -P "$PARLEY_PID")
	[ -n "$w" ] && [ "$w" != "$first_worker" ]
}
wait_for 1200 replaced
ok $? "after SIGHUP a new worker replaces the first one"
req 200 GET /tasks

# Signing out, last.
req 200 GET /account
CSRF=$(page_csrf)
form 303 /logout
http GET /api/v1/me
is "$STATUS" 401 "signed out"

##
# Every route was reached
##
missing=()
for r in "${ROUTES[@]}"; do
	[ -n "${HIT[$r]:-}" ] || missing+=("$r")
done
is "${#missing[@]}" 0 "all ${#ROUTES[@]} routes of src/routes.c were requested"
[ "${#missing[@]}" -eq 0 ] || diag "not requested: $(printf '%s; ' "${missing[@]}")"

##
# Stop, then read valgrind's reports
##
pid=$PARLEY_PID
PARLEY_PID=
t0=$(date +%s)
kill -TERM "$pid"
if ! wait_for 1800 eval "! kill -0 $pid 2>/dev/null"; then
	diag "parley serve under valgrind did not stop in 180 s; killing it"
	kill -KILL -- "-$pid" 2>/dev/null
fi
wait "$pid"
is "$?" 0 "parley serve drains and exits 0 on SIGTERM ($(($(date +%s) - t0)) s under valgrind)"
# Leftover workers in its group would be a bug, but must not outlive the test.
kill -KILL -- "-$pid" 2>/dev/null

logs=("$T"/vg.*)
is "${#logs[@]}" 3 "valgrind reported on three processes: the supervisor and its two workers (none died)"
for f in "${logs[@]}"; do
	p=${f##*.}
	if [ "$p" = "$pid" ]; then who="the supervisor ($p)"; else who="the worker ($p)"; fi
	# "ERROR SUMMARY: N errors" counts invalid accesses and, with --errors-for-leak-kinds,
	# definite and indirect leaks; no summary at all means the process never finished.
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f")
	lost=$(awk '$2 ~ /^(definitely|indirectly)$/ && $3 == "lost:" { gsub(",", "", $4); n += $4 }
	    END { print n + 0 }' "$f")
	is "$errors" 0 "$who: ERROR SUMMARY: 0 errors (no invalid access, no leak)"
	is "$lost" 0 "$who: 0 bytes definitely or indirectly lost"
	! grep -q 'Process terminating with default action' "$f"
	ok $? "$who: ended normally, not by a signal"
	if [ "$errors" != 0 ] || [ "$lost" != 0 ]; then
		diag "valgrind's report for $who:"
		diag "$(sed -E 's/^==[0-9]+== ?//' "$f" | grep -v '^$' | head -n 300)"
	fi
	diag "$who: $(grep -E 'in use at exit|definitely lost|indirectly lost|still reachable' "$f" |
	    sed -E 's/^==[0-9]+== +//' | tr '\n' ';')"
done

done_testing

#!/bin/bash
# 0001-serve.t: `parley serve` behind nginx: health, routing errors, request ids,
# the access log, input limits, signals, dying workers, and a database that
# goes away and comes back.
# shellcheck disable=SC2119 # harness functions take optional arguments
# shellcheck disable=SC2317 # functions run through check and wait_for
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

[ -x "$PARLEY_BIN" ] || skip_all "parley is not built"
command -v nginx >/dev/null 2>&1 || skip_all "nginx is not installed"

WORKERS=2
THREADS=4

# codes_of N PATH: N sequential requests; prints each status code on its own line.
codes_of() {
	local n=$1 path=$2 i
	for ((i = 0; i < n; i++)); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$BASE_URL$path"
	done
}

# all_200 FILE: every line of FILE is 200 (and there is at least one).
all_200() {
	[ -s "$1" ] && ! grep -qv '^200$' "$1"
}

# readyz_ok: /readyz answers 200.
readyz_ok() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/readyz")" = 200 ]
}

# worker_count: how many workers the running supervisor has.
worker_count() {
	parley_workers | wc -l
}

pg_start
parley_migrate || diag "migrations failed; continuing with the checks that need none"
nginx_start
parley_start || bail "parley serve did not start"

##
# Answers
##

http GET /healthz
is "$STATUS" 200 "/healthz answers 200"
is "$BODY" "ok" "/healthz says ok"
like "$(header Content-Type)" '^text/plain' "/healthz is plain text"

http GET /readyz
is "$STATUS" 200 "/readyz answers 200 while the database is up"

http GET /
is "$STATUS" 303 "/ sends a visitor who is not signed in elsewhere"
like "$(header Location)" '^(https?://[^/]+)?/login' "namely to /login"

http GET /login
is "$STATUS" 200 "/login answers 200"
like "$(header Content-Type)" '^text/html' "/login is HTML"
like "$BODY" '<!(DOCTYPE|doctype) html' "it is a whole HTML document"
like "$BODY" '<header' "it has the layout's header"
like "$BODY" '<main' "it has the layout's main part"
like "$BODY" '<footer' "it has the layout's footer"
like "$BODY" 'href="/static/app\.css' "it links the stylesheet under /static"
http GET /static/app.css
is "$STATUS" 200 "the stylesheet is served (by nginx) at /static/app.css"

http GET /no-such-page
is "$STATUS" 404 "an unknown path answers 404"
like "$(header Content-Type)" '^text/html' "a page's 404 is HTML"
http GET /api/v1/no-such-thing
is "$STATUS" 404 "an unknown API path answers 404"
like "$BODY" '"error"' "an API 404 is a JSON error"

http POST /healthz -d x=1
is "$STATUS" 405 "a wrong method answers 405"
like "$(header Allow)" 'GET' "the 405 names the allowed methods in Allow"
http DELETE /
is "$STATUS" 405 "DELETE / answers 405"

is "$(worker_count)" "$WORKERS" "serve runs --workers $WORKERS worker processes"

##
# Request ids and the access log
##

http GET /healthz -H "X-Request-Id: t0001-given-id"
is "$(header X-Request-Id)" "t0001-given-id" "a given X-Request-Id is echoed"
http GET /healthz
id1=$(header X-Request-Id)
like "$id1" '^[0-9a-zA-Z_.-]{16,64}$' "without one, the response still carries an id"
http GET /healthz
isnt "$(header X-Request-Id)" "$id1" "each request gets its own id"
http GET /healthz -H "X-Request-Id: bad id with spaces"
like "$(header X-Request-Id)" '^[0-9a-f]{32}$' "an X-Request-Id with odd characters is replaced by a new one"

http GET '/no-such-page?x=1' -H "X-Request-Id: t0001-log-404"
http GET /healthz -H "X-Request-Id: t0001-log-200"
sleep 0.2
line=$(grep -e 'id=t0001-log-404' "$T/parley.log")
is "$(grep -c -e 'id=t0001-log-404' "$T/parley.log")" 1 "one access-log line per request"
like "$line" 'GET /no-such-page 404 [0-9]+us' "the line has method, path (no query), status and duration"
like "$(grep -e 'id=t0001-log-200' "$T/parley.log")" 'GET /healthz 200 [0-9]+us' "a 200 is logged too"

##
# Bad input
##

# Well-formed forms (x=aaa...), one byte over the limit and exactly at it.
{ printf 'x='; head -c 1048575 /dev/zero | tr '\0' a; } >"$T/big"
{ printf 'x='; head -c 1048574 /dev/zero | tr '\0' a; } >"$T/limit"
http GET /healthz -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$T/big"
is "$STATUS" 413 "a body one byte over 1 MiB answers 413"
isnt "$(header X-Request-Id)" "" "the 413 comes from parley, not from nginx"
http GET /healthz -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$T/limit"
is "$STATUS" 200 "a body of exactly 1 MiB is accepted"
http POST /login -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$T/big"
is "$STATUS" 413 "a form posted with a body over 1 MiB answers 413"

http GET '/login?q=%zz'
is "$STATUS" 400 "invalid percent-encoding in the query answers 400"
http GET '/login?q=%ff%fe'
is "$STATUS" 400 "invalid UTF-8 in the query answers 400"
http GET '/healthz'
is "$STATUS" 200 "and the server still answers"

##
# The database goes away and comes back while serving
##

pg_stop
http GET /readyz
is "$STATUS" 503 "/readyz answers 503 while the database is down"
http GET /healthz
is "$STATUS" 200 "/healthz still answers 200 without the database"
kill -0 "$PARLEY_PID" 2>/dev/null
ok $? "the server keeps running"
pg_restart || bail "PostgreSQL did not restart"
wait_for 50 readyz_ok
ok $? "/readyz answers 200 again once the database is back"
codes_of 20 /readyz >"$T/after-restart"
check "every thread reconnects: 20 /readyz in a row all answer 200" all_200 "$T/after-restart"

##
# A second server on the same socket
##

out=$(timeout 10 "$PARLEY_BIN" serve --listen "unix:$PARLEY_SOCK" --workers 1 2>&1 </dev/null)
rc=$?
ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a second serve on a busy socket path exits with an error"
like "$out" 'in use' "and says the socket is in use"
http GET /healthz
is "$STATUS" 200 "the first server keeps its socket"

##
# SIGHUP: a reload without dropped requests
##

old_workers=$(parley_workers | sort | tr '\n' ' ')
codes_of 60 /healthz >"$T/hup-codes" &
loop=$!
sleep 0.3
kill -HUP "$PARLEY_PID"
wait "$loop"
is "$(wc -l <"$T/hup-codes")" 60 "60 requests ran across the reload"
check "every request during the reload answered 200" all_200 "$T/hup-codes"
replaced() {
	local now
	now=$(parley_workers | sort | tr '\n' ' ')
	[ "$(worker_count)" -eq "$WORKERS" ] || return 1
	for p in $now; do
		case " $old_workers " in *" $p "*) return 1 ;; esac
	done
}
wait_for 50 replaced
ok $? "after SIGHUP a new set of $WORKERS workers serves"
http GET /login
is "$STATUS" 200 "pages render after the reload"

##
# A worker killed outright is replaced
##

victim=$(parley_workers | head -n 1)
kill -KILL "$victim"
t0=$(now_ms)
back() {
	[ "$(worker_count)" -eq "$WORKERS" ] && ! parley_workers | grep -qx "$victim"
}
wait_for 20 back
elapsed=$(($(now_ms) - t0))
ok $? "a killed worker is replaced"
ok "$([ "$elapsed" -le 1100 ]; echo $?)" "within a second (took ${elapsed} ms)"
codes_of 20 /healthz >"$T/kill-codes"
check "requests keep succeeding after the kill (20 in a row)" all_200 "$T/kill-codes"

##
# SIGTERM: a clean, bounded stop
##

sock_pid=$PARLEY_PID
t0=$(now_ms)
parley_stop
rc=$?
elapsed=$(($(now_ms) - t0))
is "$rc" 0 "SIGTERM makes serve exit 0"
ok "$([ "$elapsed" -le 5000 ]; echo $?)" "within 5 s (took ${elapsed} ms)"
ok "$([ -z "$(pgrep -g "$sock_pid")" ]; echo $?)" "no worker is left behind"
ok "$([ ! -e "$PARLEY_SOCK" ]; echo $?)" "the socket file is removed"

##
# Refusals at start
##

out=$(PARLEY_TEMPLATES_DIR=$T/no-such-templates timeout 10 "$PARLEY_BIN" serve \
    --listen "unix:$T/other.sock" --workers 1 2>&1 </dev/null)
rc=$?
ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "serve refuses to start without its templates folder"
like "$out" 'no-such-templates' "and names the folder in its error"
ok "$([ ! -e "$T/other.sock" ]; echo $?)" "and leaves no socket behind"

out=$(timeout 10 "$PARLEY_BIN" serve --listen "unix:$T/other.sock" --workers 0 2>&1 </dev/null)
rc=$?
ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "serve refuses --workers 0"
like "$out" 'workers' "and says what is wrong"

##
# The database is down at start
##

pg_stop
parley_start
ok $? "serve starts while the database is down"
http GET /healthz
is "$STATUS" 200 "/healthz answers 200"
http GET /readyz
is "$STATUS" 503 "/readyz answers 503"
pg_restart || bail "PostgreSQL did not restart"
wait_for 50 readyz_ok
ok $? "/readyz answers 200 once the database is up"
parley_stop
is "$?" 0 "and serve still stops cleanly"

done_testing

#!/usr/bin/env bash
# 0530-scale-out.t: two `parley serve` instances (think: two hosts) on two sockets behind one
# nginx and one PostgreSQL.
# - a migration started from both at once applies each file exactly once;
# - a person signs up through instance A and keeps working through instance B: the session,
#   the CSRF token, tasks, conversations and sign-out hold across instances;
# - behind one round-robin upstream, both instances serve that person's requests;
# - an answer streamed by A can be followed through B (LISTEN/NOTIFY in PostgreSQL);
# - with A stopped, the upstream keeps serving through B.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

FAKE=${FAKE_OPENAI:-$top_builddir/t/fake_openai}
requires nginx nginx-light
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# Without the fake, only the checks that follow an answer are skipped (fake_openai.sh would
# skip the whole test).
if [ -x "$FAKE" ]; then
	. "$top_srcdir/t/lib/fake_openai.sh"
	fake_serve sk-test-secret
fi

pg_start

##
# A migration run from both hosts at once applies once
##
# Hold the migrations' advisory lock for a moment, so both runs surely start before either
# can go on; then let go and see what each did.
LOCK_KEY=$(sed -nE 's/^#define[[:space:]]+MIGRATE_LOCK_KEY[[:space:]]+"([0-9]+)".*/\1/p' "$top_srcdir/src/migrate.c")
[ -n "$LOCK_KEY" ] || LOCK_KEY=8097880764185783655
sql "SELECT pg_advisory_lock($LOCK_KEY), pg_sleep(2), pg_advisory_unlock($LOCK_KEY)" >/dev/null &
holder=$!
sleep 0.5
"$PARLEY_BIN" migrate up >"$T/migrate.a" 2>&1 &
mig_a=$!
"$PARLEY_BIN" migrate up >"$T/migrate.b" 2>&1 &
mig_b=$!
wait "$mig_a"
rc_a=$?
wait "$mig_b"
rc_b=$?
wait "$holder"
is "$rc_a $rc_b" "0 0" "two migration runs started at once both succeed"
nfiles=$(find "$top_srcdir/sql/migrations" -name '*.up.sql' | wc -l)
applied=$(cat "$T/migrate.a" "$T/migrate.b" | grep -c '^applying .* done')
is "$applied" "$nfiles" "each of the $nfiles migrations was applied by exactly one of them"
like "$(cat "$T/migrate.a" "$T/migrate.b")" "waiting for another migration run" "the runs waited for each other"
like "$(cat "$T/migrate.a" "$T/migrate.b")" "nothing to do" "and the second found nothing left to do"
is "$(sql "SELECT count(*) || ' ' || count(DISTINCT version) FROM schema_migrations")" "$nfiles $nfiles" \
    "schema_migrations records each version once"
diag "$(cat "$T/migrate.a" "$T/migrate.b")"

##
# Two instances, one nginx
##
# instance NAME: `parley serve` on unix:$T/NAME.sock, logging to $T/NAME.log; sets PID_NAME.
instance() {
	local name=$1 i
	PARLEY_SECURE_COOKIES=0 setsid "$PARLEY_BIN" serve --listen "unix:$T/$name.sock" \
	    --workers 1 --threads 4 >>"$T/$name.log" 2>&1 </dev/null &
	eval "PID_$name=$!"
	track "$!"
	for ((i = 0; i < 100; i++)); do
		[ -S "$T/$name.sock" ] && return 0
		sleep 0.1
	done
	diag "$(tail -n 20 "$T/$name.log")"
	return 1
}
instance a || bail "instance a did not start"
instance b || bail "instance b did not start"

PORT_A=$(free_port)
PORT_B=$(free_port)
PORT_LB=$(free_port)
[ "$PORT_A" != "$PORT_B" ] && [ "$PORT_B" != "$PORT_LB" ] && [ "$PORT_A" != "$PORT_LB" ] ||
    bail "free_port gave the same port twice; run again"
mkdir -p "$T/ngx"
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user root;"
fcgi='include /etc/nginx/fastcgi_params;
		fastcgi_param HTTP_X_REQUEST_ID $parley_request_id;
		fastcgi_keep_conn on;
		fastcgi_read_timeout 60s;'
cat >"$T/ngx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log info;
events { worker_connections 256; }
http {
	access_log $T/ngx/access.log;
	client_body_temp_path $T/ngx/client_body;
	fastcgi_temp_path $T/ngx/fastcgi;
	proxy_temp_path $T/ngx/proxy;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	map \$http_x_request_id \$parley_request_id {
		"" \$request_id;
		default \$http_x_request_id;
	}
	# The two app hosts, as nginx.conf.example shows them; round robin.
	upstream parley_both {
		server unix:$T/a.sock max_fails=1 fail_timeout=10s;
		server unix:$T/b.sock max_fails=1 fail_timeout=10s;
	}
	upstream parley_a { server unix:$T/a.sock; }
	upstream parley_b { server unix:$T/b.sock; }
	server {
		listen 127.0.0.1:$PORT_A;
		location / { $fcgi fastcgi_pass parley_a; }
	}
	server {
		listen 127.0.0.1:$PORT_B;
		location / { $fcgi fastcgi_pass parley_b; }
	}
	server {
		listen 127.0.0.1:$PORT_LB;
		location / {
			$fcgi
			fastcgi_next_upstream error timeout;
			fastcgi_pass parley_both;
		}
	}
}
EOF
[ -r /etc/nginx/fastcgi_params ] || skip_all "no /etc/nginx/fastcgi_params"
setsid nginx -p "$T/ngx" -c "$T/ngx/nginx.conf" </dev/null >"$T/ngx/stderr.log" 2>&1 &
track $!
up() {
	curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null
}
wait_for 100 up "$PORT_A" && wait_for 50 up "$PORT_B" && wait_for 50 up "$PORT_LB" ||
    bail "nginx did not start: $(cat "$T/ngx/stderr.log" "$T/ngx/error.log" 2>/dev/null | tail -n 5)"
via() {
	BASE_URL=http://127.0.0.1:$1
}

##
# Sign up through A, keep working through B
##
via "$PORT_A"
register_user roam@example.com 'correct horse battery' Roamer || bail "cannot register through A"
ok 0 "a person signs up through instance A"
via "$PORT_B"
http GET /api/v1/me
is "$STATUS $(jq -r .email <<<"$BODY")" "200 roam@example.com" "instance B knows the session A created"
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"title": "written through B"}'
is "$STATUS" 201 "B accepts a write with the CSRF token A handed out"
via "$PORT_A"
http GET /tasks
is "$STATUS" 200 "A shows the tasks page"
like "$BODY" "written through B" "with the task written through B"
http POST /tasks --data-urlencode "csrf_token=$CSRF" --data-urlencode "title=written through A's form"
is "$STATUS" 303 "A takes a form post"
via "$PORT_B"
http GET /api/v1/tasks
is "$(jq -r '[.items[].title] | sort | join("|")' <<<"$BODY")" "written through A's form|written through B" \
    "B lists both tasks"
http POST /api/v1/conversations -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary '{}'
CONV=$(jq -r .id <<<"$BODY")
http POST "/api/v1/conversations/$CONV/messages" -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"content": "add a task to water the plants"}'
is "$STATUS" 201 "B answers a chat message"
via "$PORT_A"
http GET "/chat/$CONV"
like "$BODY" "water the plants" "A shows that conversation"
grep -q 'access POST /api/v1/tasks 201' "$T/b.log"
ok $? "B's log has the write"
grep -q 'access GET /tasks 200' "$T/a.log"
ok $? "A's log has the page view"

##
# One upstream, round robin: both instances serve the same session
##
via "$PORT_LB"
bad=0
for i in $(seq 1 20); do
	case $((i % 4)) in
	0) http POST /api/v1/tasks -H "X-Request-Id: roam-$i" -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' --data-binary "{\"title\": \"lb $i\"}" ;;
	1) http GET /tasks -H "X-Request-Id: roam-$i" ;;
	*) http GET /api/v1/me -H "X-Request-Id: roam-$i" ;;
	esac
	[[ $STATUS =~ ^20[01]$ ]] || { bad=$((bad + 1)); diag "request $i through the upstream: $STATUS"; }
done
is "$bad" 0 "20 requests of one session through the upstream all succeed"
na=$(grep -c 'id=roam-' "$T/a.log")
nb=$(grep -c 'id=roam-' "$T/b.log")
diag "instance A served $na of them, instance B $nb"
ok "$([ "$na" -gt 0 ] && [ "$nb" -gt 0 ] && [ $((na + nb)) -eq 20 ]; echo $?)" \
    "both instances served that session's requests ($na + $nb)"

##
# An answer written by A, followed through B
##
if [ -x "$FAKE" ]; then
	echo "slow:200:$(seq -s ' ' 1 12)" >"$T/script"
	via "$PORT_A"
	http POST /api/v1/conversations -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	    --data-binary '{"default_model": "openai/fake-1"}'
	CONV2=$(jq -r .id <<<"$BODY")
	curl -sS -N --max-time 30 -o "$T/writer.sse" -b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' --data-binary '{"content": "count", "stream": true}' \
	    "$BASE_URL/api/v1/conversations/$CONV2/messages" 2>/dev/null &
	writer=$!
	wait_for 100 grep -qs '^event: start' "$T/writer.sse"
	MID=$(awk '/^event: start/ { s = 1; next } s && /^data: / { print substr($0, 7); exit }' "$T/writer.sse" |
	    jq -r .assistant_message.id)
	via "$PORT_B"
	t0=$(date +%s%N)
	curl -sS -N --max-time 30 -o "$T/follower.sse" -b "$COOKIE_JAR" \
	    "$BASE_URL/api/v1/conversations/$CONV2/messages/$MID/events" 2>/dev/null
	t1=$(date +%s%N)
	wait "$writer"
	followed=$(awk '/^event: / { ev = $2 } /^data: / { if (ev == "delta") print substr($0, 7) }' "$T/follower.sse" | jq -j .content)
	is "$followed" "$(seq -s ' ' 1 12)" "B follows the answer A is writing, to the last word"
	like "$(cat "$T/follower.sse")" "event: done" "and sees it end"
	ok "$(grep -c '^event: delta' "$T/follower.sse" | awk '{ exit !($1 >= 3) }'; echo $?)" \
	    "in several steps as it grows ($(grep -c '^event: delta' "$T/follower.sse") deltas)"
	diag "following through B took $(((t1 - t0) / 1000000)) ms"
	grep -q "access GET /api/v1/conversations/$CONV2/messages/$MID/events 200" "$T/b.log"
	ok $? "the follow was served by B"
else
	skip "t/fake_openai is not built" 4
fi

##
# Sign out through B ends the session on A too
##
via "$PORT_B"
logout_user
ok $? "signing out through B"
via "$PORT_A"
http GET /api/v1/me
is "$STATUS" 401 "A no longer knows the session"

##
# One instance down: the upstream carries on through the other
##
via "$PORT_A"
login_user roam@example.com 'correct horse battery' || bail "cannot sign in again"
# shellcheck disable=SC2154 # set by instance() through eval
kill -TERM "$PID_a"
wait_for 100 eval "! kill -0 $PID_a 2>/dev/null"
ok $? "instance A is stopped"
via "$PORT_LB"
bad=0
for i in $(seq 1 10); do
	if [ $((i % 2)) -eq 0 ]; then
		http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
		    --data-binary "{\"title\": \"after A $i\"}"
	else
		http GET /api/v1/tasks
	fi
	[[ $STATUS =~ ^20[01]$ ]] || { bad=$((bad + 1)); diag "request $i with A down: $STATUS"; }
done
is "$bad" 0 "with A down, every request through the upstream succeeds (B serves them)"
is "$(sql "SELECT count(*) FROM tasks WHERE title LIKE 'after A %'")" 5 "and every write is stored"

done_testing

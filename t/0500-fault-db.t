#!/usr/bin/env bash
# 0500-fault-db.t: PostgreSQL stopped for a few seconds under a steady load of writes.
# Two writers add tasks through the API (one with an API token, one with the session cookie
# and its CSRF token) while the database goes away and comes back. Meanwhile requests answer
# 503 quickly (no hang), pages that need no database keep working, the service comes back by
# itself, and every write that was answered 201 is in the database afterwards.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

# How long the writers run, when the database stops, and for how long (seconds).
RUN=14
STOP_AT=3
OUTAGE=4

WORKERS=2 THREADS=4 stack_start

register_user writer@example.com 'correct horse battery' Writer || bail "cannot register"
TOKEN=$(api_token fault-db) || bail "cannot make an API token"
[ -n "$TOKEN" ] || bail "empty API token"

# writer NAME UNTIL_MS AUTH-ARGS...: adds tasks titled NAME-1, NAME-2, ... until UNTIL_MS.
# Each line of $T/NAME.log: title status seconds id ("-" when none) started_ms.
writer() {
	local name=$1 until=$2 i=0 out status secs id t0
	shift 2
	while [ "$(now_ms)" -lt "$until" ]; do
		i=$((i + 1))
		t0=$(now_ms)
		: >"$T/$name.body"
		out=$(curl -sS -o "$T/$name.body" -w '%{http_code} %{time_total}' --max-time 3 \
		    -H 'Content-Type: application/json' "$@" \
		    --data-binary "{\"title\": \"$name-$i\"}" "$BASE_URL/api/v1/tasks" 2>/dev/null)
		status=${out%% *}
		secs=${out#* }
		[ -n "$status" ] || status=000
		id=-
		[ "$status" = 201 ] && id=$(jq -r '.id // "-"' "$T/$name.body" 2>/dev/null)
		echo "$name-$i $status $secs ${id:--} $t0" >>"$T/$name.log"
		# A steady, not frantic, load: the point is many writes around the outage.
		sleep 0.05
	done
}

start=$(now_ms)
until=$((start + RUN * 1000))
writer tok "$until" -H "Authorization: Bearer $TOKEN" &
track $!
tok_pid=$!
# Its own copy of the cookies: `http` below rewrites $COOKIE_JAR after every request, and a
# writer reading it at that moment would find it empty (and be told to sign in).
cp "$COOKIE_JAR" "$T/jar.cookies"
writer jar "$until" -b "$T/jar.cookies" -H "X-CSRF-Token: $CSRF" &
track $!
jar_pid=$!

sleep "$STOP_AT"
before=$(cat "$T/tok.log" "$T/jar.log" 2>/dev/null | awk '$2 == 201' | wc -l)
ok "$([ "$before" -gt 0 ]; echo $?)" "writes succeed before the outage ($before so far)"

pg_stop || bail "PostgreSQL did not stop"
down_at=$(now_ms)
diag "PostgreSQL stopped at +$(((down_at - start) / 1000)) s"

# While the database is away: what a person sees.
sleep 1
http GET /api/v1/tasks --max-time 3
is "$STATUS" 503 "an API read during the outage answers 503"
is "$(jq -r .error.code <<<"$BODY" 2>/dev/null)" unavailable "with a JSON error saying the database is unavailable"
http GET /tasks --max-time 3
is "$STATUS" 503 "a page during the outage answers 503"
like "$BODY" "<html" "as an HTML error page"
like "$BODY" "[Dd]atabase" "that says what is wrong"
http GET /readyz --max-time 3
is "$STATUS" 503 "/readyz reports the database is not ready"
http GET /healthz --max-time 3
is "$STATUS" 200 "/healthz keeps answering (it needs no database)"

# Restart exactly OUTAGE seconds after the stop.
rest=$((OUTAGE * 1000 - ($(now_ms) - down_at)))
[ "$rest" -gt 0 ] && sleep "$(printf '%d.%03d' $((rest / 1000)) $((rest % 1000)))"
pg_restart || bail "PostgreSQL did not start again"
up_at=$(now_ms)
diag "PostgreSQL back at +$(((up_at - start) / 1000)) s"

# No restart of parley: the service must come back by itself.
back() {
	curl -fsS -o /dev/null --max-time 3 -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/tasks"
}
wait_for 50 back
ok $? "the service is back by itself once the database is (no restart of parley)"
diag "first good read $(($(now_ms) - up_at)) ms after the database came back"
http GET /readyz --max-time 3
is "$STATUS" 200 "/readyz is ready again"

wait "$tok_pid" "$jar_pid"
cat "$T/tok.log" "$T/jar.log" >"$T/all.log"
total=$(wc -l <"$T/all.log")
n201=$(awk '$2 == 201' "$T/all.log" | wc -l)
n503=$(awk '$2 == 503' "$T/all.log" | wc -l)
diag "$total writes: $n201 answered 201, $n503 answered 503"
awk '{ n[$2]++ } END { for (s in n) printf "status %s: %d\n", s, n[s] }' "$T/all.log" | sort | while read -r l; do diag "$l"; done

ok "$([ "$n503" -gt 0 ]; echo $?)" "writes during the outage were refused with 503 ($n503)"
others=$(awk '$2 != 201 && $2 != 503' "$T/all.log")
is "$others" "" "every write was answered 201 or 503: no 500, no timeout, no dropped connection"
slow=$(awk '$2 == 503 && $3 >= 1.0' "$T/all.log")
is "$slow" "" "every 503 came within a second (no hang)"
diag "slowest 503: $(awk '$2 == 503 { if ($3 > m) m = $3 } END { print m + 0 }' "$T/all.log") s"
# Each writer ran until the end: the last writes of each came after the restart.
for w in tok jar; do
	is "$(tail -n 1 "$T/$w.log" | awk '{ print $2 }')" 201 "the $w writer's last write succeeded again"
done
after=$(awk -v t="$up_at" '$2 == 201 && $5 > t' "$T/all.log" | wc -l)
ok "$([ "$after" -gt 0 ]; echo $?)" "writes were acknowledged after the outage too ($after)"

# Every acknowledged write is stored, with the title it was acknowledged for.
awk '$2 == 201 { print $4 " " $1 }' "$T/all.log" | sort >"$T/acked"
sql "SELECT id || ' ' || title FROM tasks WHERE title ~ '^(tok|jar)-[0-9]+\$'" | sort >"$T/stored"
missing=$(comm -23 "$T/acked" "$T/stored")
is "$missing" "" "every write answered 201 is in the database ($(wc -l <"$T/acked") checked)"
is "$(grep -c '^- ' "$T/acked")" 0 "every 201 carried the new task's id"
# Refused writes may have committed just as the connection was cut, but no write appears twice.
dups=$(sql "SELECT title FROM tasks GROUP BY title HAVING count(*) > 1")
is "$dups" "" "no task was stored twice"

# And the person can go on working normally.
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"title": "after the storm"}'
is "$STATUS" 201 "a new task after the outage is created"
http GET /tasks
is "$STATUS" 200 "the tasks page shows again"
like "$BODY" "after the storm" "with the new task"

done_testing

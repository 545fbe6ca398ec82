#!/bin/bash
# bench/mixed.sh: a mixed load through nginx for DURATION seconds at CONNECTIONS connections:
# page views, API reads and writes by USERS people (signed in by cookie for pages and form
# posts, by API token for the API). Prints throughput, latency (wrk's, and parley's own per kind
# of request from its access lines), every status parley answered (goal: no error and no
# answer outside 2xx/3xx), and the workers' memory before and after (goal: within 10%).
#
# The mix, per 100 requests: 20 GET /chat/{id}, 10 GET /tasks, 5 GET /chat (pages); 20 GET the
# newest 50 messages, 10 GET /api/v1/tasks, 5 GET /api/v1/conversations (API reads); 15 task
# churn (POST /api/v1/tasks, or DELETE of a task made so), 7 PATCH a task, 5 POST a message to
# the builtin model, 3 POST /tasks/{id}/toggle as the page's form does (writes). The writes
# leave what the pages show the same size (tasks made are deleted again; a conversation page
# shows its newest 50 messages), so memory before and after compare like with like.
#
# usage: bench/mixed.sh              (from the source tree, after `make`)
# environment: DURATION (60 s), WARMUP (at most 120 s of the same load first), CONNECTIONS (64),
#              USERS (8), WRK_THREADS (1), WORKERS (2),
#              THREADS (48), KEEPALIVE (32), NGINX_WORKERS (1), PARLEY_BIN (./parley)
# Not a test: the numbers depend on the machine. bench/README.md records some.
# shellcheck disable=SC2046,SC2119 # PID lists are split on purpose; helpers take no script arguments

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../t/lib/accounts.sh
. "$top_srcdir/t/lib/accounts.sh"

DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
USERS=${USERS:-8}
WARMUP=${WARMUP:-120}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-48}
KEEPALIVE=${KEEPALIVE:-32}
export WORKERS THREADS KEEPALIVE

bench_need wrk nginx curl jq
if [ $((CONNECTIONS + KEEPALIVE)) -gt $((WORKERS * THREADS)) ]; then
	echo "bench: note: CONNECTIONS + KEEPALIVE > WORKERS x THREADS: expect waits" >&2
fi
bench_db
bench_parley_start
bench_nginx_start

# ---- USERS people, each with tasks and a conversation of 12 exchanges with the builtin model.
echo "seeding $USERS people..." >&2
lua_users=
for ((u = 1; u <= USERS; u++)); do
	COOKIE_JAR=$T/jar.$u
	: >"$COOKIE_JAR"
	register_user "mixed$u@example.com" 'correct horse battery staple' "Person $u" >/dev/null ||
	    bench_die "cannot register user $u"
	token=$(api_token mixed) || bench_die "cannot make an API token"
	session=$(awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR")
	mapfile -t tasks < <(sql "INSERT INTO tasks (user_id, title, completed)
	    SELECT '$USER_ID', 'Seeded task ' || i, i % 3 = 0 FROM generate_series(1, 12) i RETURNING id")
	conv=$(sql "INSERT INTO conversations (user_id, title) VALUES ('$USER_ID', 'Mixed $u') RETURNING id")
	args=()
	for ((i = 0; i < 12; i++)); do
		[ "$i" -gt 0 ] && args+=(--next)
		case $((i % 4)) in
		0) c='what are my tasks' ;; 1) c='add a task to call the plumber' ;;
		2) c='hello! what can you do?' ;; 3) c='show completed tasks' ;;
		esac
		args+=(-sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token"
		    -H 'Content-Type: application/json' --data-binary "{\"content\": \"$c\"}"
		    "$BASE_URL/api/v1/conversations/$conv/messages")
	done
	codes=$(curl "${args[@]}" | sort | uniq -c | tr -s ' ')
	[ "$codes" = " 12 201" ] || bench_die "posting the seed messages answered:$codes"
	lua_users+="  { uid = \"$USER_ID\", token = \"$token\", session = \"$session\", csrf = \"$CSRF\","
	lua_users+=" conv = \"$conv\", tasks = { $(printf '"%s", ' "${tasks[@]}")} },"$'\n'
done
sql "ANALYZE" >/dev/null

cat >"$T/mixed.lua" <<EOF
-- Written by bench/mixed.sh: the request mix (see there).
local users = {
$lua_users}
local byuid = {}
for _, u in ipairs(users) do byuid[u.uid] = u end
local made = {}		-- tasks made by the churn, to delete
local n = 0
math.randomseed(os.time())

local function api(method, path, u, body)
  local h = { ["Authorization"] = "Bearer " .. u.token }
  if body then h["Content-Type"] = "application/json" end
  return wrk.format(method, path, h, body)
end

local function page(method, path, u, body)
  local h = { ["Cookie"] = "parley_session=" .. u.session }
  if body then h["Content-Type"] = "application/x-www-form-urlencoded" end
  return wrk.format(method, path, h, body)
end

request = function()
  n = n + 1
  local u = users[math.random(#users)]
  local x = math.random(100)
  if x <= 20 then return page("GET", "/chat/" .. u.conv, u)
  elseif x <= 30 then return page("GET", "/tasks", u)
  elseif x <= 35 then return page("GET", "/chat", u)
  elseif x <= 55 then return api("GET", "/api/v1/conversations/" .. u.conv .. "/messages?limit=50", u)
  elseif x <= 65 then return api("GET", "/api/v1/tasks", u)
  elseif x <= 70 then return api("GET", "/api/v1/conversations", u)
  elseif x <= 85 then
    if #made > 0 and math.random(2) == 1 then
      local t = table.remove(made, 1)
      return api("DELETE", "/api/v1/tasks/" .. t.id, t.u)
    end
    return api("POST", "/api/v1/tasks", u, '{"title": "Mixed load task ' .. n .. '"}')
  elseif x <= 92 then
    local t = u.tasks[math.random(#u.tasks)]
    return api("PATCH", "/api/v1/tasks/" .. t, u,
      math.random(2) == 1 and '{"completed": true}' or '{"completed": false}')
  elseif x <= 97 then
    return api("POST", "/api/v1/conversations/" .. u.conv .. "/messages", u, '{"content": "what are my tasks?"}')
  else
    local t = u.tasks[math.random(#u.tasks)]
    return page("POST", "/tasks/" .. t .. "/toggle", u, "csrf_token=" .. u.csrf)
  end
end

-- A task made by the churn: remember it for a later DELETE.
response = function(status, headers, body)
  if status == 201 and body and body:find('"completed"', 1, true) and not body:find('"user_message"', 1, true) then
    local id = body:match('"id":%s*"([0-9a-f%-]+)"')
    local uid = body:match('"user_id":%s*"([0-9a-f%-]+)"')
    if id and uid and byuid[uid] then table.insert(made, { id = id, u = byuid[uid] }) end
  end
end
EOF

# worker_mem: "PSS_KB RSS_KB" summed over the workers.
worker_mem() {
	local pid pss=0 rss=0 a b
	for pid in $(worker_pids); do
		read -r a b < <(awk '/^Pss:/ { p = $2 } /^Rss:/ { r = $2 } END { print p + 0, r + 0 }' \
		    "/proc/$pid/smaps_rollup" 2>/dev/null)
		pss=$((pss + ${a:-0}))
		rss=$((rss + ${b:-0}))
	done
	echo "$pss $rss"
}
counts() {
	sql "SELECT (SELECT count(*) FROM tasks) || ' tasks, ' || (SELECT count(*) FROM messages) || ' messages'"
}

# A warm-up with the same load: the first requests grow each thread's malloc arena, buffers
# and database connection to their working size, in steps that flatten out (with 96 threads
# that takes a minute or two). "Before" is taken once a 10-second round grew the workers'
# RSS by less than 2% (or after WARMUP s). Each figure is taken after 2.5 s of quiet: a worker
# idle for a second gives the memory its threads freed back to the system (src/worker.c), so
# what is measured is what the workers still hold, not the high-water mark of their arenas.
echo "warming up (at most $WARMUP s), then $DURATION s of mixed load..." >&2
warm=0 prev=0 rss0=0
while [ "$warm" -lt "$WARMUP" ]; do
	bench_wrk warm "$CONNECTIONS" 10 "$BASE_URL/" -s "$T/mixed.lua"
	warm=$((warm + 10))
	sleep 2.5
	read -r _ rss0 <<<"$(worker_mem)"
	[ "$prev" -gt 0 ] && [ $((rss0 * 100)) -le $((prev * 102)) ] && break
	prev=$rss0
done
sleep 2.5
read -r pss0 rss0 <<<"$(worker_mem)"
before=$(counts)
l0=$(wc -l <"$T/parley.log")
# The workers' RSS every 10 s meanwhile: growth that stops is warm-up, growth that goes on a leak.
(
	while sleep 10; do
		read -r _ r <<<"$(worker_mem)"
		printf '%s ' "$(bench_mb "$r")"
	done
) >"$T/mixed.rss" 2>/dev/null &
sampler=$!
bench_wrk mixed "$CONNECTIONS" "$DURATION" "$BASE_URL/" -s "$T/mixed.lua"
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
busy_rss=$(worker_mem | cut -d' ' -f2)
sleep 2.5
read -r pss1 rss1 <<<"$(worker_mem)"
backends=$(sql "SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'")
after=$(counts)

# Parley's own time per kind of request, from its access lines of the run.
tail -n +"$((l0 + 1))" "$T/parley.log" | awk '$3 == "access" {
	m = $4; p = $5; sub(/\?.*/, "", p)
	gsub(/[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+/, "{id}", p)
	d = $7; sub(/us$/, "", d)
	print m " " p "\t" d "\t" $6
}' >"$T/mixed.times"
by_kind() {
	sort -t $'\t' -k1,1 -k2,2n "$T/mixed.times" | awk -F '\t' '
	function flush(   i50, i99) {
		if (k == "") return
		i50 = int(c * 0.5 + 0.5); if (i50 < 1) i50 = 1
		i99 = int(c * 0.99 + 0.5); if (i99 < 1) i99 = 1
		printf "  %-44s %7d %8.1f %8.1f   %s\n", k, c, v[i50] / 1000, v[i99] / 1000, st
	}
	$1 != k { flush(); k = $1; c = 0; st = ""; delete s }
	{ v[++c] = $2; if (!($3 in s)) { s[$3] = 1; st = st (st == "" ? "" : " ") $3 } }
	END { flush() }'
}

bench_machine
echo "parley $("$PARLEY_BIN" version 2>/dev/null | awk '{ print $2 }'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), PostgreSQL $(sql 'SHOW server_version' | awk '{ print $1 }')"
echo "wrk -t${WRK_THREADS:-1} -c$CONNECTIONS -d${DURATION}s; $USERS people; parley --workers $WORKERS --threads $THREADS; nginx keepalive $KEEPALIVE"
echo
echo "requests: ${R[mixed.reqs]} (${R[mixed.rps]}/s); latency p50 ${R[mixed.p50]}, p99 ${R[mixed.p99]}"
echo "wrk errors: ${R[mixed.errors]:-none}"
echo "parley answered: ${R[mixed.statuses]}"
echo "CPU per request: nginx $(bench_cpu_cell "${R[mixed.nginx]}"), parley workers $(bench_cpu_cell "${R[mixed.workers]}"), PostgreSQL $(bench_cpu_cell "${R[mixed.pg]}")"
echo "data: before $before; after $after"
echo "worker memory (PSS / RSS, both workers): before $(bench_mb "$pss0") / $(bench_mb "$rss0") MB, after $(bench_mb "$pss1") / $(bench_mb "$rss1") MB ($(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }') RSS)"
echo "  after a warm-up of $warm s; RSS every 10 s during the run: $(cat "$T/mixed.rss")MB, at its end $(bench_mb "$busy_rss") MB; threads holding a database connection: $backends"
echo
echo "parley's own time per kind of request, in ms:"
printf '  %-44s %7s %8s %8s   %s\n' "" "count" "p50" "p99" "statuses"
by_kind

bad=$(tr ' ' '\n' <<<"${R[mixed.statuses]}" | awk -F: '$1 !~ /^[23]/ { n += $2 } END { print n + 0 }')
bench_record mixed.reqs "${R[mixed.reqs]}"
bench_record mixed.rps "${R[mixed.rps]}"
bench_record mixed.p50 "$(bench_ms "${R[mixed.p50]}")"
bench_record mixed.p99 "$(bench_ms "${R[mixed.p99]}")"
bench_record mixed.errors "${R[mixed.errors]}"
bench_record mixed.statuses "${R[mixed.statuses]}"
bench_record mixed.bad "$bad"
bench_record mixed.rss0 "$(bench_mb "$rss0")"
bench_record mixed.rss1 "$(bench_mb "$rss1")"
bench_record mixed.pss0 "$(bench_mb "$pss0")"
bench_record mixed.pss1 "$(bench_mb "$pss1")"
bench_record mixed.rss_change "$(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')"
bench_record mixed.duration "$DURATION"
bench_record mixed.warmup "$warm"
bench_record mixed.connections "$CONNECTIONS"
exit 0

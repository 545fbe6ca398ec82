#!/bin/bash
# bench/chat.sh: the chat's everyday requests through nginx, each as a share of /healthz in
# the same run: the JSON of a conversation's newest 50 messages, the page of a conversation
# (its newest 50 messages: 25 answers with their receipts), the page of a conversation whose
# newest 50 messages are all answers, and posting a message to the builtin model; with p99.
#
# usage: bench/chat.sh               (from the source tree, after `make`)
# environment: DURATION (10 s per run), CONNECTIONS (32), WRK_THREADS (1), WORKERS (2),
#              THREADS (16), NGINX_WORKERS (1), EXCHANGES (60: question and answer pairs
#              seeded through the API), PARLEY_BIN (./parley), ONLY (the runs to make, of
#              json page page50 post; /healthz is always measured), HOLD (1: once seeded,
#              print the addresses and credentials and wait for Enter, to profile by hand)
# Not a test: the numbers depend on the machine. bench/README.md records some.
# shellcheck disable=SC2046,SC2119 # PID lists are split on purpose; helpers take no script arguments

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../t/lib/accounts.sh
. "$top_srcdir/t/lib/accounts.sh"

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-16}
KEEPALIVE=${KEEPALIVE:-$CONNECTIONS}
EXCHANGES=${EXCHANGES:-60}
[ "$EXCHANGES" -ge 25 ] || EXCHANGES=25	# the pages and the JSON show the newest 50 messages
export WORKERS THREADS KEEPALIVE

bench_need wrk nginx curl jq
bench_db
bench_parley_start
bench_nginx_start

# ---- the data: one person, a few tasks, a conversation of $EXCHANGES exchanges made
# through the API, so every answer is the builtin model's own, rendered once when stored.
echo "seeding: $EXCHANGES exchanges with the builtin model..." >&2
register_user bench@example.com 'correct horse battery staple' 'Bench Person' >/dev/null ||
    bench_die "cannot register the bench user"
TOKEN=$(api_token bench) || bench_die "cannot make an API token"
SESSION=$(awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR")
for t in 'Buy groceries' 'Call Alice about the **offsite**' 'Send the invoice' 'Review pull request #42' \
    'Book flights to Lisbon' 'Renew the passport' 'Water the plants' 'Write the quarterly report'; do
	bearer "$TOKEN" POST /api/v1/tasks -H 'Content-Type: application/json' \
	    --data-binary "$(jq -cn --arg t "$t" '{title: $t}')" >/dev/null
	[ "$STATUS" = 201 ] || bench_die "POST /api/v1/tasks: $STATUS $BODY"
done

# new_conv TITLE: prints the id of a new conversation (builtin model).
new_conv() {
	bearer "$TOKEN" POST /api/v1/conversations -H 'Content-Type: application/json' \
	    --data-binary "$(jq -cn --arg t "$1" '{title: $t}')" >/dev/null
	[ "$STATUS" = 201 ] || bench_die "POST /api/v1/conversations: $STATUS $BODY"
	jq -r .id <<<"$BODY"
}
CONV=$(new_conv 'Planning the week')
phrases=('what are my tasks' 'hello! what can you do?' 'list my pending tasks' 'show completed tasks'
    'remind me to send the invoice' 'what are my tasks?' 'can you write me a poem?' 'list my tasks please')
# One curl for all of them, one after the other (a process per request is slow on a small VM).
args=()
for ((i = 0; i < EXCHANGES; i++)); do
	[ "$i" -gt 0 ] && args+=(--next)
	args+=(-sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN"
	    -H 'Content-Type: application/json'
	    --data-binary "$(jq -cn --arg c "${phrases[$((i % ${#phrases[@]}))]}" '{content: $c}')"
	    "$BASE_URL/api/v1/conversations/$CONV/messages")
done
codes=$(curl "${args[@]}" | sort | uniq -c | tr -s ' ')
[ "$codes" = " $EXCHANGES 201" ] || bench_die "posting the seed messages answered:$codes"
# A conversation whose newest 50 messages are all answers: copies of the answers above (text,
# stored HTML, receipt and actions), as the issue's "page showing 50 rendered answers".
ANSWERS=$(new_conv 'Fifty answers')
sql "CREATE TEMP TABLE cp AS
	SELECT id AS old_id, gen_random_uuid() AS new_id, row_number() OVER (ORDER BY created_at) AS n
	FROM (SELECT id, created_at FROM messages WHERE conversation_id = '$CONV' AND role = 'assistant'
	      ORDER BY created_at DESC LIMIT 50) m;
    INSERT INTO messages (id, conversation_id, role, content, content_html, model, actions, created_at)
	SELECT cp.new_id, '$ANSWERS', 'assistant', m.content, m.content_html, m.model, m.actions,
	       now() - (100 - cp.n) * interval '1 second'
	FROM cp JOIN messages m ON m.id = cp.old_id;
    INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion, tokens_total,
	    completion_time_ms, time_to_first_token_ms, tokens_estimated)
	SELECT cp.new_id, r.model_used, r.tokens_prompt, r.tokens_completion, r.tokens_total,
	       r.completion_time_ms, r.time_to_first_token_ms, r.tokens_estimated
	FROM cp JOIN responses r ON r.message_id = cp.old_id;
    ANALYZE" >/dev/null || bench_die "cannot copy the answers"
# Conversations to post into during the write run, one per connection as people would.
mapfile -t post_convs < <(sql "INSERT INTO conversations (user_id, title, default_model)
    SELECT '$USER_ID', 'Posting ' || i, 'builtin/parley' FROM generate_series(1, $CONNECTIONS) i RETURNING id")

# Sanity: what is measured answers as it should.
http GET "/chat/$CONV"
[ "$STATUS" = 200 ] || bench_die "GET /chat/$CONV: $STATUS"
page_answers=$(grep -o 'class="receipt"' "$BODY_FILE" | wc -l)
page_bytes=$(wc -c <"$BODY_FILE")
http GET "/chat/$ANSWERS"
answers_page_answers=$(grep -o 'class="receipt"' "$BODY_FILE" | wc -l)
answers_page_bytes=$(wc -c <"$BODY_FILE")
bearer "$TOKEN" GET "/api/v1/conversations/$CONV/messages?limit=50"
[ "$(jq '.items | length' <<<"$BODY")" = 50 ] || bench_die "the messages JSON does not hold 50 messages"
json_bytes=${#BODY}

# ---- wrk scripts: the credentials each request carries.
cat >"$T/get_bearer.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
EOF
cat >"$T/get_cookie.lua" <<EOF
wrk.headers["Cookie"] = "parley_session=$SESSION"
EOF
{
	echo "local convs = {"
	printf '  "%s",\n' "${post_convs[@]}"
	echo "}"
	cat <<EOF
local i = 0
local headers = { ["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json" }
local body = '{"content": "what are my tasks?"}'
request = function()
  i = i % #convs + 1
  return wrk.format("POST", "/api/v1/conversations/" .. convs[i] .. "/messages", headers, body)
end
EOF
} >"$T/post.lua"

if [ "${HOLD:-0}" = 1 ]; then
	cat >&2 <<EOF
held: parley $BASE_URL (workers: $(worker_pids)), PostgreSQL backends: $(postgres_pids)
  messages JSON:  wrk -c$CONNECTIONS -d10s -s $T/get_bearer.lua $BASE_URL/api/v1/conversations/$CONV/messages?limit=50
  page, 50 msgs:  wrk -c$CONNECTIONS -d10s -s $T/get_cookie.lua $BASE_URL/chat/$CONV
  50 answers:     wrk -c$CONNECTIONS -d10s -s $T/get_cookie.lua $BASE_URL/chat/$ANSWERS
  posting:        wrk -c$CONNECTIONS -d10s -s $T/post.lua $BASE_URL/
press Enter to measure
EOF
	read -r _
fi

# runs NAME: whether ONLY (empty: every run) names this run.
runs() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

# ---- the runs: /healthz first, then each read, then the writes.
echo "measuring..." >&2
C=$CONNECTIONS
bench_wrk warm "$C" 2 "$BASE_URL/healthz"
bench_wrk healthz "$C" "$DURATION" "$BASE_URL/healthz"
bench_wrk warm "$C" 2 "$BASE_URL/api/v1/conversations/$CONV/messages?limit=50" -s "$T/get_bearer.lua"
runs json && bench_wrk json "$C" "$DURATION" "$BASE_URL/api/v1/conversations/$CONV/messages?limit=50" -s "$T/get_bearer.lua"
runs page && bench_wrk page "$C" "$DURATION" "$BASE_URL/chat/$CONV" -s "$T/get_cookie.lua"
runs page50 && bench_wrk page50 "$C" "$DURATION" "$BASE_URL/chat/$ANSWERS" -s "$T/get_cookie.lua"
runs post && bench_wrk post "$C" "$DURATION" "$BASE_URL/" -s "$T/post.lua"
bench_wrk healthz2 "$C" "$DURATION" "$BASE_URL/healthz"
posted=$(sql "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.title LIKE 'Posting %' AND m.role = 'assistant' AND m.status = 'complete'")

bench_machine
echo "parley $("$PARLEY_BIN" version 2>/dev/null | awk '{ print $2 }'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), PostgreSQL $(sql 'SHOW server_version')"
echo "wrk -t${WRK_THREADS:-1} -c$C -d${DURATION}s; nginx workers: $NGINX_WORKERS; parley --workers $WORKERS --threads $THREADS"
echo
echo "CPU time per request in microseconds (the kernel's share, context switches per request):"
printf '%-40s %7s %7s %8s  %-30s %-30s %-30s %s\n' "" "req/s" "share" "p99" "nginx" "parley workers" "PostgreSQL" "wrk"
row() {
	local name=$1 label=$2
	printf '%-40s %7s %7s %8s  %-30s %-30s %-30s %s\n' "$label" "${R[$name.rps]}" \
	    "$(bench_share "${R[$name.rps]}" "${R[healthz.rps]}")%" "${R[$name.p99]}" \
	    "$(bench_cpu_cell "${R[$name.nginx]}")" "$(bench_cpu_cell "${R[$name.workers]}")" \
	    "$(bench_cpu_cell "${R[$name.pg]}")" "$(bench_cpu_cell "${R[$name.wrk]}")"
	[ -z "${R[$name.errors]}" ] || echo "    errors: ${R[$name.errors]}"
	[[ ${R[$name.statuses]} =~ ^20[01]:[0-9]+$ ]] || echo "    parley answered: ${R[$name.statuses]}"
}
row healthz "/healthz"
runs json && row json "messages JSON, newest 50 ($json_bytes B)"
runs page && row page "/chat/{id}: 50 msgs, $page_answers answers ($page_bytes B)"
runs page50 && row page50 "/chat/{id}: $answers_page_answers answers ($answers_page_bytes B)"
runs post && row post "POST a message, builtin model"
row healthz2 "/healthz again"
echo
echo "goals: messages JSON >= 15% of /healthz, page of 50 answers >= 10%, posting >= 5%"
runs post && echo "answers stored by the POST run: $posted (wrk counted ${R[post.reqs]} requests)"

bench_record chat.healthz.rps "${R[healthz.rps]}"
bench_record chat.healthz.p99 "$(bench_ms "${R[healthz.p99]}")"
for n in json page page50 post; do
	runs "$n" || continue
	bench_record "chat.$n.rps" "${R[$n.rps]}"
	bench_record "chat.$n.share" "$(bench_share "${R[$n.rps]}" "${R[healthz.rps]}")"
	bench_record "chat.$n.p99" "$(bench_ms "${R[$n.p99]}")"
	bench_record "chat.$n.errors" "${R[$n.errors]}"
	bench_record "chat.$n.statuses" "${R[$n.statuses]}"
done
bench_record chat.page.answers "$page_answers"
bench_record chat.page50.answers "$answers_page_answers"
exit 0

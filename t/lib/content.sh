# shellcheck shell=bash
# content.sh: what people make in parley, through the JSON API, for integration tests:
# chat messages (plain and streamed) and proposal answers, and how stored answers stand.
# Source it after accounts.sh: the requests go through api (cookie jar and $CSRF, or
# $API_TOKEN) and leave the answer in STATUS and BODY.
#
# Chat:      say CONV TEXT [MODEL], chat_about_ferns TITLE, stream_post CONV JSON OUT [CURL ARGS], msg_status ID,
#            none_streaming
# Proposals: answer ID FIELD TEXT, answer_all ID

# say CONV TEXT [MODEL]: posts a message (to MODEL, else the conversation's model) and
# waits for the answer; the exchange's JSON is in BODY.
say() {
	if [ $# -ge 3 ]; then
		api POST "/api/v1/conversations/$1/messages" \
		    "$(jq -cn --arg c "$2" --arg m "$3" '{content: $c, model: $m}')"
	else
		api POST "/api/v1/conversations/$1/messages" "$(jq -cn --arg c "$2" '{content: $c}')"
	fi
}

# chat_about_ferns TITLE: a new conversation TITLE in which the builtin model was asked to
# add a task to water the ferns, then to list the tasks; its id in CONV. Bails when
# either question is not answered.
chat_about_ferns() {
	local q
	api POST /api/v1/conversations "$(jq -cn --arg t "$1" '{title: $t}')"
	CONV=$(jget .id)
	for q in 'add a task to water the ferns' 'what are my tasks'; do
		say "$CONV" "$q"
		[ "$STATUS" = 201 ] || bail "posting answered $STATUS"
	done
}

# stream_post CONV JSON OUT [CURL ARGS]: POSTs a message (JSON, with "stream": true) in the
# background, as the current person or with $API_TOKEN alone; its events go to OUT, curl's
# complaints to OUT.err. Sets BG_PID.
stream_post() {
	local conv=$1 json=$2 out=$3 auth
	shift 3
	if [ -n "${API_TOKEN:-}" ]; then
		auth=(-H "Authorization: Bearer $API_TOKEN")
	else
		auth=(-b "$COOKIE_JAR" -H "X-CSRF-Token: $CSRF")
	fi
	curl -sS -N "${auth[@]}" -H 'Content-Type: application/json' \
	    --data-binary "$json" "$@" "$BASE_URL/api/v1/conversations/$conv/messages" \
	    >"$out" 2>"$out.err" &
	# shellcheck disable=SC2034 # read by the test that called it
	BG_PID=$!
}

# msg_status ID: the stored status of message ID (streaming, complete, stopped, error).
msg_status() {
	sql "SELECT status FROM messages WHERE id = '$1'"
}

# none_streaming: passes when no stored answer is being written any more.
none_streaming() {
	[ "$(sql "SELECT count(*) FROM messages WHERE status = 'streaming'")" -eq 0 ]
}

# answer ID FIELD TEXT: answers one question of proposal ID (POST /answers).
answer() {
	api POST "/api/v1/proposals/$1/answers" "$(jq -cn --arg f "$2" --arg a "$3" '{field: $f, answer: $a}')"
}

# answer_all ID: the six answers of a proposal for Acme Bakery, which then writes its
# sections; stops at the first that fails, and the last response stays in BODY.
answer_all() {
	answer "$1" client_name "Acme Bakery" &&
	    answer "$1" project_title "Website redesign" &&
	    answer "$1" project_goals "Customers can order cakes online" &&
	    answer "$1" timeline "Design 3 weeks, build 6 weeks" &&
	    answer "$1" deliverables "Online ordering, staff training" &&
	    answer "$1" technologies "WordPress, Stripe"
}

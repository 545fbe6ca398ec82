#!/usr/bin/env bash
# 0315-signin-reads.t: the chat's three busiest requests (a conversation's messages as JSON,
# its page, a question to the builtin model) send their first reads to PostgreSQL in the same
# round trip as the check of the session or API token, made for the person that session or
# token was the last time on this thread. They are used only when the check names that same
# person: a token or session that now belongs to someone else, a revoked token and a
# signed-out session show nothing of the person the reads were made for.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/content.sh"

# One thread: every request meets the same connection and the same memory of sign-ins.
WORKERS=1 THREADS=1 stack_start

OWNER_JAR=$T/jar.owner
STRANGER_JAR=$T/jar.stranger
COOKIE_JAR=$OWNER_JAR register_user owner@example.com 'correct horse battery staple' 'Owner Person' \
    >/dev/null || bail "cannot register the owner"
OWNER_ID=$USER_ID
OWNER_CSRF=$CSRF
TOKEN=$(COOKIE_JAR=$OWNER_JAR api_token reading) || bail "no token for the owner"
COOKIE_JAR=$STRANGER_JAR register_user stranger@example.com 'correct horse battery staple' \
    'Stranger' >/dev/null || bail "cannot register the stranger"
STRANGER_ID=$USER_ID

# api calls (t/lib/accounts.sh) carry $TOKEN alone.
API_TOKEN=$TOKEN

chat_about_ferns "Owner chat"
C=$CONV
api POST /api/v1/conversations '{"title": "Owner asks"}'
P=$(jq -r .id <<<"$BODY")
COOKIE_JAR=$STRANGER_JAR http POST /api/v1/conversations -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"title": "Stranger chat"}'
S=$(jq -r .id <<<"$BODY")
[ -n "$S" ] && [ "$S" != null ] || bail "the stranger has no conversation: $STATUS $BODY"

# Every statement logged with its virtual transaction: a shared one means one round trip.
pg_log_statements
log=$(pg_server_log)

# logged CMD...: runs CMD, then sets LINES to what PostgreSQL logged meanwhile.
logged() {
	local mark
	mark=$(wc -l <"$log")
	"$@"
	sleep 0.3
	LINES=$(tail -n +"$((mark + 1))" "$log")
}

# vxid_of STATEMENT: the virtual transaction of STATEMENT's last execution in LINES.
vxid_of() {
	statement_vxid "$1" "$LINES"
}

# runs_of STATEMENT: how many times STATEMENT ran in LINES.
runs_of() {
	grep -cE "execute $1:" <<<"$LINES"
}

# with_check STATEMENT CHECK LABEL: passes when STATEMENT ran in LINES in the same
# transaction (round trip) as the check CHECK.
with_check() {
	local v
	v=$(vxid_of "$1")
	if [ -z "$v" ]; then
		ok 1 "$3 (no $1 in the log)"
		return
	fi
	is "$v" "$(vxid_of "$2")" "$3"
}

# ---- the messages as JSON, with a token
msgs() { api GET "/api/v1/conversations/$C/messages$1"; }
msgs ''
msgs ''
logged msgs ''
is "$STATUS" 200 "the messages answer 200"
is "$(jq '.items | length' <<<"$BODY")" 4 "... all four of them"
like "$BODY" 'Water the ferns' "... the answer's text among them"
isnt "$(vxid_of token_get)" "" "the token's check was logged"
with_check chat_msg_list token_get "the messages were read in the token check's round trip"
is "$(runs_of chat_msg_list)" 1 "... and read once"
logged msgs '?limit=2'
is "$(jq '.items | length' <<<"$BODY")" 2 "a page of two"
is "$(jq .has_more <<<"$BODY")" true "... with more before it"
with_check chat_msg_list token_get "... read in the same round trip too"
first=$(jq -r '.items[0].id' <<<"$BODY")
msgs "?limit=2&before=$first"	# prepares the statement of a page before a message
logged msgs "?limit=2&before=$first"
is "$(jq '.items | length' <<<"$BODY")" 2 "the page before it"
is "$(jq .has_more <<<"$BODY")" false "... which is the first"
with_check chat_msg_list_before token_get "... also read with the check"
logged msgs '?limit=0'
is "$STATUS" 422 "a limit of 0 is still a 422"
is "$(runs_of 'chat_msg_list[a-z_]*')" 0 "... with nothing read along with the check"

# ---- the page, with the session cookie
page() { COOKIE_JAR=$OWNER_JAR http GET "/chat/$1"; }
page "$C"
page "$C"
logged page "$C"
is "$STATUS" 200 "the page answers 200"
is "$(grep -c 'class="msg ' "$BODY_FILE")" 4 "... with the four messages"
is "$(grep -c '<li data-conversation-id=' "$BODY_FILE")" 2 "... and the owner's two conversations in the sidebar"
isnt "$(vxid_of session_get)" "" "the session's check was logged"
with_check chat_conv_list session_get "the sidebar was read in the session check's round trip"
with_check chat_msg_page session_get "... and the messages too"
is "$(runs_of chat_conv_list)" 1 "... each read once"
head_page() { COOKIE_JAR=$OWNER_JAR http HEAD "/chat/$1"; }
logged head_page "$C"
is "$STATUS" 200 "HEAD of the page answers 200"
with_check chat_msg_page session_get "... its reads sent with the check too"

# ---- a question to the builtin model
# ask QUESTION: posts QUESTION to $P with the owner's token; ANSWER is the answer's text.
ask() {
	api POST "/api/v1/conversations/$P/messages" "$(jq -cn --arg c "$1" '{content: $c}')"
	ANSWER=$(jq -r .assistant_message.content <<<"$BODY")
}
ask 'what are my tasks?'
logged ask 'what are my tasks?'
is "$STATUS" 201 "a listing question answers 201"
like "$ANSWER" 'Water the ferns' "... with the task list"
with_check chat_exchange_context token_get "the context was read in the token check's round trip"
with_check 'tasks_list_[a-z]*' token_get "... and the task list too"
is "$(runs_of chat_exchange_context)" 1 "... each read once"
logged ask 'add a task to call the vet'
like "$ANSWER" 'Call the vet' "a question that adds a task adds it"
with_check chat_exchange_context token_get "... its context read with the check"
is "$(runs_of 'tasks_list_[a-z]*')" 0 "... and no task list read"
ask 'what are my tasks?'
like "$ANSWER" 'Call the vet' "the next list shows the task just added"
logged api POST "/api/v1/conversations/$P/messages" '{"content": "what are my tasks?", "stream": false}'
is "$STATUS" 201 "a question with \"stream\": false is answered whole"
with_check chat_exchange_context token_get "... its context read with the check too"
logged api POST "/api/v1/conversations/$P/messages" '{"content": "what are my tasks?", "stream": true}'
is "$STATUS" 200 "a streamed question still streams"
like "$BODY" 'event: done' "... to its end"
is "$(runs_of chat_exchange_context)" 0 "... and reads no context made for an answer written at once"
logged api POST "/api/v1/conversations/$P/messages" '{"content": "   "}'
is "$STATUS" 422 "a blank question is a 422"
is "$(runs_of chat_exchange_context)" 0 "... for which nothing is read along with the check"
logged api POST "/api/v1/conversations/$P/messages" '{"content": "hi", "model": "builtin/nothing"}'
is "$STATUS" 422 "a question to an unknown model is a 422"
is "$(runs_of chat_exchange_context)" 0 "... with nothing read along either"

# ---- the token now belongs to someone else: what was read for the owner is thrown away
sql "UPDATE api_tokens SET user_id = '$STRANGER_ID' WHERE user_id = '$OWNER_ID'" >/dev/null
logged msgs ''
is "$STATUS" 404 "a token moved to another person no longer reads the owner's messages"
unlike "$BODY" 'ferns' "... and shows none of them"
is "$(runs_of chat_msg_list)" 2 "... the read made for the owner thrown away and made again"
api GET "/api/v1/conversations/$S/messages"
is "$STATUS" 200 "the token reads its new owner's conversation"
api GET /api/v1/me
like "$BODY" 'stranger@example.com' "... as its new owner"
ask 'what are my tasks?'
is "$STATUS" 404 "... and cannot ask in the owner's conversation"
unlike "$BODY" 'ferns' "... which shows none of the owner's tasks"
sql "UPDATE api_tokens SET user_id = '$OWNER_ID' WHERE user_id = '$STRANGER_ID'" >/dev/null
msgs ''
is "$STATUS" 200 "given back, the token reads the owner's messages again"

# ---- the session now belongs to someone else
sql "UPDATE auth_sessions SET user_id = '$STRANGER_ID' WHERE user_id = '$OWNER_ID'" >/dev/null
logged page "$S"
is "$STATUS" 200 "a session moved to another person shows that person's conversation"
like "$(cat "$BODY_FILE")" 'Stranger chat' "... in a sidebar of theirs"
unlike "$(cat "$BODY_FILE")" 'Owner chat' "... not the owner's, read ahead for the owner and thrown away"
is "$(runs_of chat_conv_list)" 2 "... and read again for its new owner"
page "$C"
is "$STATUS" 404 "the owner's conversation is then a 404"
unlike "$(cat "$BODY_FILE")" 'ferns' "... that shows none of it"
sql "UPDATE auth_sessions SET user_id = '$OWNER_ID' WHERE user_id = '$STRANGER_ID'" >/dev/null
page "$C"
is "$STATUS" 200 "given back, the session shows the owner's page again"

# ---- a revoked token and a signed-out session
sql "UPDATE api_tokens SET revoked = true WHERE user_id = '$OWNER_ID'" >/dev/null
logged msgs ''
is "$STATUS" 401 "a revoked token is a 401"
unlike "$BODY" 'ferns' "... that shows nothing"
with_check chat_msg_list token_get "... though the messages were read along with its check"
logged msgs ''
is "$STATUS" 401 "a revoked token stays a 401"
is "$(runs_of chat_msg_list)" 0 "... and nothing is read along with its check any more: the thread forgot it"
ask 'what are my tasks?'
is "$STATUS" 401 "... for questions too"
unlike "$BODY" 'ferns' "... without the task list"
cp "$OWNER_JAR" "$T/jar.signed-in"
CSRF=$OWNER_CSRF COOKIE_JAR=$OWNER_JAR logout_user || bail "cannot sign out"
# old_page: the page with the session cookie of before the sign-out (as a second tab still has).
old_page() {
	cp "$T/jar.signed-in" "$T/jar.old"
	COOKIE_JAR=$T/jar.old http GET "/chat/$C"
}
logged old_page
is "$STATUS" 303 "a signed-out session is sent to sign in"
unlike "$(cat "$BODY_FILE")" 'ferns' "... and shown nothing"
with_check chat_conv_list session_get "... though the page's reads went along with its check"
logged old_page
is "$STATUS" 303 "... again"
is "$(runs_of chat_conv_list)" 0 "... with nothing read along any more: the thread forgot that session"

# ---- without prepared statements (a transaction-pooling PgBouncer) nothing is read along
parley_stop
COOKIE_JAR=$OWNER_JAR login_user owner@example.com 'correct horse battery staple' >/dev/null &&
    bail "signing in with parley stopped worked"
PARLEY_DB_PREPARE=0 WORKERS=1 THREADS=1 parley_start
COOKIE_JAR=$OWNER_JAR login_user owner@example.com 'correct horse battery staple' >/dev/null ||
    bail "cannot sign in again"
page "$C"
page "$C"
logged page "$C"
is "$STATUS" 200 "without prepared statements the page answers 200"
is "$(grep -c 'class="msg ' "$BODY_FILE")" 4 "... with its four messages"
# Unprepared statements are logged as "execute <unnamed>": found by their text.
conv_list_sql='ORDER BY c.updated_at DESC, c.id DESC LIMIT'
session_sql='FROM auth_sessions s JOIN users u'
is "$(grep -c "$conv_list_sql" <<<"$LINES")" 1 "... read once"
session_vxid=$(grep "$session_sql" <<<"$LINES" | tail -n 1 | sed -E 's/^\[vxid ([^]]*)\].*/\1/')
list_vxid=$(grep "$conv_list_sql" <<<"$LINES" | tail -n 1 | sed -E 's/^\[vxid ([^]]*)\].*/\1/')
isnt "$session_vxid" "" "the session's check was logged"
isnt "$list_vxid" "$session_vxid" "... and the sidebar read after it, not along with it"

done_testing

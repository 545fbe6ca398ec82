#!/usr/bin/env bash
# 0314-chat-page-reads.t: the conversation page reads its sidebar and its messages in one
# round trip to PostgreSQL (libpq's pipeline mode), as a question to the builtin model that
# it answers with the task list reads that list along with the conversation's context; and
# the page stays right when that cannot work:
# a statement whose result type changed under it, a backend that was terminated, a server
# restart, a conversation that is not the person's, an unknown page anchor, a
# conversation too old for the sidebar.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/content.sh"

# One thread: every page load uses the same connection, whose statements are then prepared.
WORKERS=1 THREADS=1 stack_start

register_user pages@example.com 'correct horse battery staple' 'Page Person' >/dev/null ||
    bail "cannot register"
TOKEN=$(api_token reading) || bail "cannot make an API token"

# api calls (t/lib/accounts.sh) carry $TOKEN alone.
API_TOKEN=$TOKEN

chat_about_ferns "Reading in one trip"
C=$CONV
api POST /api/v1/conversations '{"title": "Second chat"}'

# page_ok LABEL: GET /chat/$C shows the $chats conversations in the sidebar and all four
# messages.
chats=2
page_ok() {
	http GET "/chat/$C"
	is "$STATUS" 200 "$1: the page answers 200"
	is "$(grep -c '<li data-conversation-id=' "$BODY_FILE")" "$chats" "$1: ... with the $chats conversations in the sidebar"
	is "$(grep -c 'class="msg ' "$BODY_FILE")" 4 "$1: ... and the four messages"
	like "$(cat "$BODY_FILE")" 'Water the ferns' "$1: ... the answer's text among them"
}

page_ok "first load"

# Every statement logged with its virtual transaction: reads that were pipelined share one.
pg_log_statements
log=$(pg_server_log)

# logged_load LABEL: page_ok LABEL, then sets list_vxid, msgs_vxid and session_vxid: the
# virtual transaction the sidebar's, the messages' and the session's reads of it ran in.
logged_load() {
	local mark lines
	mark=$(wc -l <"$log")
	page_ok "$1"
	sleep 0.3
	lines=$(tail -n +"$((mark + 1))" "$log")
	list_vxid=$(statement_vxid chat_conv_list "$lines")
	msgs_vxid=$(statement_vxid chat_msg_page "$lines")
	session_vxid=$(statement_vxid session_get "$lines")
}

logged_load "a load once the statements are prepared"
isnt "$list_vxid" "" "the sidebar's read was logged"
is "$msgs_vxid" "$list_vxid" "the sidebar and the messages were read in one round trip (one implicit transaction)"
is "$session_vxid" "$list_vxid" "... with the session's check, once this thread has seen that session (t/0315)"

# post_logged LABEL CONTENT: posts CONTENT to $P (a conversation of its own, so $C's page
# keeps its four messages) through the API, then sets context_vxid,
# tasks_vxid (the task list's read, "" when there was none) and answer (its text).
post_logged() {
	local mark lines
	mark=$(wc -l <"$log")
	api POST "/api/v1/conversations/$P/messages" "$(jq -cn --arg c "$2" '{content: $c}')"
	is "$STATUS" 201 "$1: posting answers 201"
	answer=$(jq -r .assistant_message.content <<<"$BODY")
	sleep 0.3
	lines=$(tail -n +"$((mark + 1))" "$log")
	context_vxid=$(statement_vxid chat_exchange_context "$lines")
	tasks_vxid=$(statement_vxid 'tasks_list_[a-z]*' "$lines")
}

api POST /api/v1/conversations '{"title": "Asking"}'
P=$(jq -r .id <<<"$BODY")
chats=3
api POST /api/v1/tasks '{"title": "Feed the cat"}'
post_logged "what are my tasks" 'What are my tasks?'
isnt "$context_vxid" "" "the conversation's context was read"
is "$tasks_vxid" "$context_vxid" "the task list was read in the same round trip as the context"
like "$answer" 'Water the ferns' "... and the answer lists the tasks"
like "$answer" 'Feed the cat' "... the one added just before included"
post_logged "a done task" 'mark feed the cat as done'
like "$answer" 'Feed the cat' "the builtin model completes a task"
post_logged "pending tasks" 'list my pending tasks'
like "$answer" 'Water the ferns' "pending tasks show the pending one"
unlike "$answer" 'Feed the cat' "... and not the one just completed"
# The first list of pending tasks prepared its statement; now it can go in the pipeline.
post_logged "pending tasks again" 'what tasks are pending?'
is "$tasks_vxid" "$context_vxid" "a list of pending tasks is read along with the context too"
like "$answer" 'Water the ferns' "... showing the pending task"
unlike "$answer" 'Feed the cat' "... and not the completed one"
post_logged "completed tasks" 'show completed tasks'
like "$answer" 'Feed the cat' "completed tasks show the one just completed"
unlike "$answer" 'Water the ferns' "... and not the pending one"
post_logged "no list" 'add a task to call the vet'
isnt "$context_vxid" "" "a question that adds a task reads the context"
is "$tasks_vxid" "" "... but no task list"
like "$answer" 'Call the vet' "... and adds the task"

# A task list that cannot be read fails neither the context nor the post: the list tool
# tries again itself and the answer says it could not read the tasks.
sql "ALTER TABLE tasks RENAME TO tasks_away" >/dev/null || bail "cannot hide the tasks table"
post_logged "tasks unreadable" 'what are my tasks?'
like "$answer" "couldn't read your tasks" "... with an answer that says the list could not be read"
unlike "$answer" 'Water the ferns' "... and no list"
sql "ALTER TABLE tasks_away RENAME TO tasks" >/dev/null || bail "cannot bring the tasks table back"
post_logged "tasks back" 'what are my tasks?'
like "$answer" 'Water the ferns' "once the table is back the list is read again"

# The read-ahead thrown away: another person's conversation, and one whose model is not the
# builtin one (the question then goes to that model: here one this server does not know,
# whose failure is stored as the answer).
register_user stranger@example.com 'correct horse battery staple' 'Stranger' >/dev/null ||
    bail "cannot register the stranger"
stranger=$(api_token stranger) || bail "no token for the stranger"
login_user pages@example.com 'correct horse battery staple' >/dev/null || bail "cannot sign in again"
bearer "$stranger" POST "/api/v1/conversations/$P/messages" -H 'Content-Type: application/json' \
    --data-binary '{"content": "what are my tasks?"}'
is "$STATUS" 404 "asking for the list in another person's conversation is a 404"
unlike "$BODY" 'Water the ferns' "... that shows none of the owner's tasks"
sql "UPDATE conversations SET default_model = 'openai/not-configured' WHERE id = '$P'" >/dev/null
api POST "/api/v1/conversations/$P/messages" '{"content": "what are my tasks?"}'
is "$STATUS" 201 "a listing question to a conversation of another model is posted"
is "$(jq -r .assistant_message.status <<<"$BODY")" error "... and answered by that model (here: a stored failure)"
unlike "$(jq -r .assistant_message.content <<<"$BODY")" 'Water the ferns' "... not by the builtin model's list"
sql "UPDATE conversations SET default_model = 'builtin/parley' WHERE id = '$P'" >/dev/null

# A column's type changes under the prepared statements: the pipelined reads fail with
# "cached plan must not change result type", and the page reads them again one by one.
sql "ALTER TABLE conversations ALTER COLUMN message_count TYPE bigint" >/dev/null ||
    bail "cannot change the column type"
page_ok "after a column's type changed"
sql "ALTER TABLE conversations ALTER COLUMN message_count TYPE integer" >/dev/null ||
    bail "cannot change the column type back"
page_ok "after it changed back"
logged_load "the next load"
is "$msgs_vxid" "$list_vxid" "... which is one round trip again"

# The thread's backend is terminated between two loads.
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = 'parley' AND pid <> pg_backend_pid() AND backend_type = 'client backend'" >/dev/null
page_ok "after its database connection was terminated"

# The server restarts between two loads: at most one answer tells the person to retry.
pg_stop
pg_restart || bail "PostgreSQL did not restart"
http GET "/chat/$C"
first=$STATUS
ok "$([[ $first == 200 || $first == 503 ]]; echo $?)" "right after a restart the page answers 200 or 503 (got $first)"
page_ok "after the restart"

# Another person's conversation, an unknown one, a bad anchor: 404, as before.
register_user other@example.com 'correct horse battery staple' 'Other Person' >/dev/null ||
    bail "cannot register the other person"
http GET "/chat/$C"
is "$STATUS" 404 "another person's conversation is a 404"
unlike "$(cat "$BODY_FILE")" 'Water the ferns' "... showing none of its messages"
http GET "/chat/00000000-0000-4000-8000-000000000000"
is "$STATUS" 404 "an unknown conversation is a 404"
http GET /chat
api_other=$(api_token other) || bail "no token for the other person"
bearer "$api_other" POST /api/v1/conversations -H 'Content-Type: application/json' --data-binary '{"title": "Empty one"}'
E=$(jq -r .id <<<"$BODY")
http GET "/chat/$E"
is "$STATUS" 200 "an empty conversation of one's own answers 200"
like "$(cat "$BODY_FILE")" 'Empty one' "... with its title"
http GET "/chat/$E?before=00000000-0000-4000-8000-000000000000"
is "$STATUS" 404 "an anchor that is no message of the conversation is a 404"

# A conversation older than the sidebar's 100 is still shown, with the right title.
sql "INSERT INTO conversations (user_id, title, default_model, updated_at)
     SELECT user_id, 'Filler ' || i, 'builtin/parley', now() + i * interval '1 minute'
     FROM conversations, generate_series(1, 100) i WHERE id = '$E'" >/dev/null
http GET "/chat/$E"
is "$STATUS" 200 "a conversation outside the sidebar's 100 answers 200"
like "$(grep -o '<h1[^>]*>[^<]*' "$BODY_FILE")" 'Empty one' "... under its own title"
is "$(grep -c '<li data-conversation-id=' "$BODY_FILE")" 100 "... beside a sidebar of 100"

done_testing

#!/usr/bin/env bash
# 0313-chat-counts.t: what the chat's faster paths must not change for people: a
# conversation list's message_count and last_message_at stay right through sending,
# streaming, regenerating, deleting and messages written by SQL (kept on the row since
# migration 0004, also across migrating down and up); a question and the builtin
# model's answer stored at once read back exactly as before; the messages JSON
# carries any text unchanged; an API token's last_used_at still moves, at most once
# a minute.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

register_user counts@example.com 'correct horse battery staple' 'Count Person' >/dev/null ||
    bail "cannot register"
TOKEN=$(api_token counting) || bail "cannot make an API token"

# api calls (t/lib/accounts.sh) carry $TOKEN alone.
API_TOKEN=$TOKEN

# listed CONV: "message_count|last_message_at" of CONV in the conversation list.
listed() {
	api GET "/api/v1/conversations?limit=200"
	jq -r --arg c "$1" '.items[] | select(.id == $c) | "\(.message_count)|\(.last_message_at)"' <<<"$BODY"
}

# newest CONV: the created_at of CONV's newest message, as the API shows it.
newest() {
	api GET "/api/v1/conversations/$1/messages?limit=1"
	jq -r '.items[-1].created_at // "null"' <<<"$BODY"
}

##
# Counts
##

api POST /api/v1/conversations '{}'
C=$(jget .id)
is "$(listed "$C")" "0|null" "a new conversation lists 0 messages and no last message"

api POST "/api/v1/conversations/$C/messages" '{"content": "add a task to buy groceries"}'
is "$STATUS" 201 "posting to the builtin model answers 201"
user_id=$(jget .user_message.id)
answer=$(jget .assistant_message)
like "$(grep -i '^location:' <<<"$HEADERS")" "/api/v1/conversations/$C/messages/$(jget .assistant_message.id)" \
    "the Location header names the stored answer"
is "$(jget '.user_message.created_at < .assistant_message.created_at')" true \
    "the question sorts before its answer"
is "$(jget '.assistant_message | [.status, .role, .model, .response.model_used, (.actions | length > 0)] | @tsv')" \
    "$(printf 'complete\tassistant\tbuiltin/parley\tbuiltin/parley\ttrue')" \
    "the answer is complete, with its receipt and the task it added"
api GET "/api/v1/conversations/$C/messages/$(jq -r .id <<<"$answer")"
is "$(jq -cS . <<<"$BODY")" "$(jq -cS . <<<"$answer")" "the answer reads back exactly as it was returned"
api GET "/api/v1/conversations/$C"
is "$(jget .title)" "add a task to buy groceries" "the first exchange still names the conversation"
is "$(listed "$C")" "2|$(newest "$C")" "after one exchange: 2 messages, the last one the answer"

api POST "/api/v1/conversations/$C/messages" '{"content": "what are my tasks?"}'
is "$(jget '.user_message.id != "'"$user_id"'"')" true "a second exchange stores a new question"
is "$(listed "$C")" "4|$(newest "$C")" "after two exchanges: 4 messages"

http POST "/api/v1/conversations/$C/messages" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -H 'Accept: text/event-stream' \
    --data-binary '{"content": "list my pending tasks"}'
like "$BODY" "event: done" "a streamed answer ends with done"
is "$(listed "$C")" "6|$(newest "$C")" "after a streamed exchange: 6 messages"

before=$(newest "$C")
api POST "/api/v1/conversations/$C/regenerate" '{}'
is "$STATUS" 201 "regenerate answers 201"
is "$(listed "$C")" "6|$(newest "$C")" "regenerating replaces the answer: still 6 messages"
isnt "$(newest "$C")" "$before" "the last message is the new answer"

last=$(newest "$C")
sql "INSERT INTO messages (conversation_id, role, content, created_at)
    VALUES ('$C', 'user', 'written by SQL', now() + interval '1 hour'),
           ('$C', 'user', 'older, by SQL', now() - interval '1 day')" >/dev/null
is "$(listed "$C")" "8|$(newest "$C")" "messages inserted by SQL are counted"
sql "DELETE FROM messages WHERE conversation_id = '$C' AND content LIKE '%by SQL'" >/dev/null
is "$(listed "$C")" "6|$last" "deleting the newest message brings back the one before"

# A message written with an earlier time (an import, the demo data) counts, but does not
# make the conversation look active now.
sql "UPDATE conversations SET updated_at = now() - interval '3 days' WHERE id = '$C'" >/dev/null
sql "INSERT INTO messages (conversation_id, role, content, created_at)
    VALUES ('$C', 'user', 'imported by SQL', now() - interval '2 days')" >/dev/null
is "$(sql "SELECT updated_at > now() - interval '2 days 1 minute' AND updated_at < now() - interval '1 day' FROM conversations WHERE id = '$C'")" t \
    "a back-dated message moves updated_at to its own time, not to now"
sql "DELETE FROM messages WHERE conversation_id = '$C' AND content LIKE '%by SQL'" >/dev/null

http GET "/chat/$C"
like "$BODY" "· 6 messages ·" "the sidebar shows the count"

api POST /api/v1/conversations '{}'
D=$(jget .id)
api POST "/api/v1/conversations/$D/messages" '{"content": "hello"}'
sql "UPDATE messages SET conversation_id = '$D' WHERE id = '$user_id'" >/dev/null
is "$(listed "$C")|$(listed "$D")" "5|$(newest "$C")|3|$(newest "$D")" \
    "a message moved by SQL is counted where it went"
http GET "/chat/$D"
like "$BODY" "· 3 messages ·" "the page of that conversation shows it too"

api DELETE "/api/v1/conversations/$C"
is "$STATUS" 204 "a conversation is deleted"
is "$(listed "$C")" "" "and no longer listed"
is "$(listed "$D")" "3|$(newest "$D")" "the other keeps its count"

# Down to the schema before 0004 (that one and every later one) and up again: the counts
# are made again from the rows.
steps=$(find "$top_srcdir/sql/migrations" -name '*.up.sql' -printf '%f\n' | awk '$0 >= "0004"' | wc -l)
"$PARLEY_BIN" migrate down "$steps" >"$T/down.log" 2>&1
ok $? "migrating down to before 0004 works ($steps steps)"
is "$(sql "SELECT count(*) FROM information_schema.columns
    WHERE table_name = 'conversations' AND column_name = 'message_count'")" 0 "... and the count column is gone"
sql "INSERT INTO messages (conversation_id, role, content) VALUES ('$D', 'user', 'while down')" >/dev/null
"$PARLEY_BIN" migrate up >"$T/up.log" 2>&1
ok $? "migrating up again works"
is "$(sql "SELECT message_count FROM conversations WHERE id = '$D'")" 4 \
    "the count is filled in from the messages when the column comes back"

##
# Text through the messages JSON
##

text=$'quotes " and \\ backslash, a / slash, tab\there, new\nline, \x01 control, é 😀 <b>&amp;</b>'
api POST /api/v1/conversations '{}'
E=$(jget .id)
api POST "/api/v1/conversations/$E/messages" "$(jq -cn --arg c "$text" '{content: $c}')"
is "$STATUS" 201 "a message with awkward characters is accepted"
api GET "/api/v1/conversations/$E/messages"
is "$(jget '.items[0].content')" "$text" "the messages JSON gives the text back unchanged"
is "$(jget '.items | length')|$(jget .has_more)" "2|false" "a page of two messages, nothing older"
is "$(jget '.items[1].response | keys_unsorted | join(",")')" \
    "model_used,tokens_prompt,tokens_completion,tokens_total,completion_time_ms,time_to_first_token_ms,tokens_estimated,created_at" \
    "the receipt keeps its fields"
like "$(jget '.items[0].created_at')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' \
    "times are written as before"

##
# The token's last use
##

token_used() {
	http GET /api/v1/tokens
	jq -r '.items[] | select(.name == "counting") | .last_used_at' <<<"$BODY"
}
first=$(token_used)
like "$first" '^[0-9]{4}-' "using a token records when"
api GET /api/v1/conversations
is "$(token_used)" "$first" "using it again within a minute does not write it again"
sql "UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE name = 'counting'" >/dev/null
old=$(token_used)
api GET /api/v1/conversations
is "$STATUS" 200 "the token still works"
new=$(token_used)
is "$([[ $new > $old ]] && echo later)" later "a minute later, using it moves last_used_at again"
sql "UPDATE api_tokens SET revoked = true WHERE name = 'counting'" >/dev/null
api GET /api/v1/conversations
is "$STATUS" 401 "a revoked token is refused"

done_testing

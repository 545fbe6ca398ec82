#!/usr/bin/env bash
# 0300-chat-api.t: the chat JSON API with the builtin model: conversations, messages,
# paging, rename, default model, delete, search, usage, validation, regenerate, the
# assistant's task phrases, Markdown safety, and one person never seeing another's chats.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/content.sh"

stack_start

http GET /api/v1/conversations
is "$STATUS" 401 "conversations need a login"

two_people Alice Bob

##
# Models
##
api GET /api/v1/models
is "$STATUS" 200 "GET /models answers"
is "$(jget '.items[0].id')" builtin/parley "builtin/parley is offered"
is "$(jget '.items[0].default')" true "and is the default"

##
# Conversations
##
api GET /api/v1/conversations
is "$STATUS" 200 "a new account lists its conversations"
is "$(jget '.items | length')" 0 "and has none"

api POST /api/v1/conversations '{}'
is "$STATUS" 201 "POST creates a conversation (201)"
c1=$(jget .id)
like "$c1" "$uuid_re" "with a UUID id"
is "$(jget .title)" "New conversation" "an untitled conversation is called New conversation"
is "$(jget .default_model)" builtin/parley "its model is the default"
like "$(jget .created_at)" "$time_re" "created_at is an ISO time"
is "$(header Location)" "/api/v1/conversations/$c1" "Location names it"
is "$(jget 'keys | sort | @json')" '["created_at","default_model","id","title","updated_at"]' \
    "a conversation has exactly the documented fields"

api POST /api/v1/conversations '{"title": "  Planning  ", "default_model": "builtin/parley"}'
is "$STATUS" 201 "POST with a title and model"
c2=$(jget .id)
is "$(jget .title)" Planning "the title is trimmed"

api POST /api/v1/conversations '{"default_model": "openai/nope"}'
is "$STATUS" 422 "an unknown default model is refused (422)"
like "$(jget .error.fields.default_model)" "not available" "naming the field"
api POST /api/v1/conversations "{\"title\": \"$(printf 't%.0s' {1..201})\"}"
is "$STATUS" 422 "a 201-character title is refused"
api GET /api/v1/conversations
is "$(jget '.items | length')" 2 "refused POSTs created nothing"

api GET "/api/v1/conversations/$c1"
is "$STATUS" 200 "GET one conversation"
is "$(jget .id)" "$c1" "it is the one asked for"
api GET /api/v1/conversations/not-a-uuid
is "$STATUS" 404 "a malformed id is not found"
api GET /api/v1/conversations/00000000-0000-0000-0000-000000000000
is "$STATUS" 404 "an unknown id is not found"

##
# Messages with the builtin model
##
say "$c1" "Add a task to buy groceries"
is "$STATUS" 201 "posting a message answers 201 once the answer is stored"
is "$(jget .user_message.role)" user "with the user message"
is "$(jget .user_message.content)" "Add a task to buy groceries" "as sent"
is "$(jget .assistant_message.role)" assistant "and the assistant message"
is "$(jget .assistant_message.status)" complete "which is complete"
like "$(jget .assistant_message.content)" "[Bb]uy groceries" "and says what it added"
like "$(jget .assistant_message.content_html)" "<p>" "with rendered HTML"
is "$(jget .assistant_message.model)" builtin/parley "the answering model is recorded"
is "$(jget .assistant_message.actions[0].note)" "Added task: Buy groceries" \
    "the action is recorded with a note"
is "$(jget .assistant_message.actions[0].tool)" add_task "and its tool"
is "$(jget .assistant_message.response.model_used)" builtin/parley "the response names the model"
is "$(jget .assistant_message.response.tokens_estimated)" true "builtin token counts are estimates"
ok "$(jq -e '.assistant_message.response | .tokens_prompt > 0 and .tokens_completion > 0 and .tokens_total == .tokens_prompt + .tokens_completion' <<<"$BODY" >/dev/null; echo $?)" \
    "tokens are counted (prompt + completion = total)"
ok "$(jq -e '.assistant_message.response.completion_time_ms >= 0 and (.assistant_message.response.time_to_first_token_ms >= 0)' <<<"$BODY" >/dev/null; echo $?)" \
    "times are recorded"
is "$(jget '.assistant_message | keys | sort | @json')" \
    '["actions","content","content_html","conversation_id","created_at","error","id","model","response","role","status"]' \
    "a message has the documented fields"
is "$(jget '.assistant_message.response | keys | sort | @json')" \
    '["completion_time_ms","created_at","model_used","time_to_first_token_ms","tokens_completion","tokens_estimated","tokens_prompt","tokens_total"]' \
    "a response has the documented fields"
a1=$(jget .assistant_message.id)
like "$(header Location)" "/api/v1/conversations/$c1/messages/$a1" "Location names the answer"

api GET /api/v1/tasks
is "$(jget '[.items[].title] | @json')" '["Buy groceries"]' "the task is on the list"

api GET "/api/v1/conversations/$c1"
is "$(jget .title)" "Add a task to buy groceries" "the first exchange named the conversation"

# The builtin assistant by phrases.
say "$c1" "add task: call Alice"
like "$(jget .assistant_message.content)" "[Cc]all Alice" "'add task: call Alice' adds it"
say "$c1" "remind me to send the invoice"
is "$(jget .assistant_message.actions[0].note)" "Added task: Send the invoice" "'remind me to' adds a task"
say "$c1" "what are my tasks"
like "$(jget .assistant_message.content)" "Buy groceries" "'what are my tasks' lists them"
like "$(jget .assistant_message.content)" "Send the invoice" "all of them"
is "$(jget '.assistant_message.actions | length')" 0 "listing changes nothing"
say "$c1" "list my pending tasks"
like "$(jget .assistant_message.content)" "Send the invoice" "'list my pending tasks' lists the pending ones"
say "$c1" "mark buy groceries as done"
is "$(jget .assistant_message.actions[0].note)" "Completed task: Buy groceries" "'mark X as done' completes it"
say "$c1" "show completed tasks"
like "$(jget .assistant_message.content)" "Buy groceries" "'show completed tasks' shows it"
say "$c1" "rename task call Alice to call Alice back"
like "$(jget .assistant_message.actions[0].note)" "Renamed task: Call Alice" "'rename task X to Y' renames"
say "$c1" "delete the task buy groceries"
is "$(jget .assistant_message.actions[0].note)" "Deleted task: Buy groceries" "'delete the task X' deletes it"
api GET /api/v1/tasks
is "$(jget '[.items[].title] | sort | @json')" '["Call Alice back","Send the invoice"]' \
    "the task list shows what the assistant did"
say "$c1" "What is the capital of France?"
like "$(jget .assistant_message.content)" "tasks" "anything else gets the help text"

##
# Markdown safety: text that looks like HTML stays text
##
say "$c1" 'add a task to check <script>alert(1)</script> and <img src=x onerror=alert(2)> and [x](javascript:alert(3))'
is "$STATUS" 201 "a message full of markup is answered"
html=$(jget .assistant_message.content_html)
unlike "$html" "<script" "no <script> tag in the stored HTML"
unlike "$html" "<img" "no <img> tag in the stored HTML"
unlike "$html" 'href="javascript' "no javascript: link in the stored HTML"

##
# Validation: nothing stored
##
api GET "/api/v1/conversations/$c1/messages?limit=200"
count=$(jget '.items | length')
api POST "/api/v1/conversations/$c1/messages" '{"content": ""}'
is "$STATUS" 422 "an empty message is refused (422)"
like "$(jget .error.fields.content)" "empty" "naming the content"
api POST "/api/v1/conversations/$c1/messages" '{"content": "   \n "}'
is "$STATUS" 422 "a message of white space is refused"
api POST "/api/v1/conversations/$c1/messages" '{}'
is "$STATUS" 422 "a message without content is refused"
api POST "/api/v1/conversations/$c1/messages" '{"content": 5}'
is "$STATUS" 422 "a numeric content is refused"
long=$(head -c 32001 /dev/zero | tr '\0' 'a')
api POST "/api/v1/conversations/$c1/messages" "{\"content\": \"$long\"}"
is "$STATUS" 422 "a 32,001-character message is refused"
like "$(jget .error.message)" "32,000" "with the limit in the message"
api POST "/api/v1/conversations/$c1/messages" '{"content": "hello", "model": "openai/missing"}'
is "$STATUS" 422 "an unknown model is refused (422)"
like "$(jget .error.fields.model)" "not available" "naming the model field"
api GET "/api/v1/conversations/$c1/messages?limit=200"
is "$(jget '.items | length')" "$count" "refused messages stored nothing"
long=$(head -c 32000 /dev/zero | tr '\0' 'b')
api POST "/api/v1/conversations/$c1/messages" "{\"content\": \"$long\"}"
is "$STATUS" 201 "a 32,000-character message is accepted"

api POST "/api/v1/conversations/$c1/messages" '{"content": "hi", "model": "builtin/parley"}'
is "$(jget .user_message.model)" builtin/parley "a per-message model is stored on the user message"

##
# Paging
##
api POST /api/v1/conversations '{"title": "Long one"}'
cl=$(jget .id)
for i in 1 2 3 4 5 6; do
	say "$cl" "hello number $i" >/dev/null
done
api GET "/api/v1/conversations/$cl/messages"
is "$(jget '.items | length')" 12 "the messages are all there"
is "$(jget '.items[0].content')" "hello number 1" "oldest first"
is "$(jget '[.items[].role] | unique | @json')" '["assistant","user"]' "questions and answers"
api GET "/api/v1/conversations/$cl/messages?limit=4"
is "$(jget '[.items[] | select(.role == "user") | .content] | @json')" \
    '["hello number 5","hello number 6"]' "limit=4 gives the newest four, oldest first"
is "$(jget .has_more)" true "and says there is more"
oldest=$(jget '.items[0].id')
api GET "/api/v1/conversations/$cl/messages?limit=4&before=$oldest"
is "$(jget '[.items[] | select(.role == "user") | .content] | @json')" \
    '["hello number 3","hello number 4"]' "before= gives the page before"
oldest=$(jget '.items[0].id')
api GET "/api/v1/conversations/$cl/messages?limit=4&before=$oldest"
is "$(jget '.items | length')" 4 "and the first page"
is "$(jget .has_more)" false "which is the last"
oldest=$(jget '.items[0].id')
api GET "/api/v1/conversations/$cl/messages?limit=4&before=$oldest"
is "$(jget '.items | length')" 0 "before the first message there is nothing"
api GET "/api/v1/conversations/$cl/messages?limit=0"
is "$STATUS" 422 "limit=0 is refused"
api GET "/api/v1/conversations/$cl/messages?limit=201"
is "$STATUS" 422 "limit=201 is refused"
api GET "/api/v1/conversations/$cl/messages?before=$a1"
is "$STATUS" 404 "before= a message of another conversation is not found"
api GET "/api/v1/conversations/$cl/messages?before=nope"
is "$STATUS" 404 "a malformed before= is not found"

##
# The list, rename, default model, search
##
api GET /api/v1/conversations
is "$(jget '[.items[].id] | @json')" "[\"$cl\",\"$c1\",\"$c2\"]" "most recently active first"
say "$c2" "hello there" >/dev/null
api GET /api/v1/conversations
is "$(jget '.items[0].id')" "$c2" "a new message moves a conversation to the top"
api GET "/api/v1/conversations/$c2"
is "$(jget .title)" Planning "a conversation created with a title keeps it"

api PATCH "/api/v1/conversations/$c1" '{"title": "Groceries and more"}'
is "$STATUS" 200 "PATCH renames"
is "$(jget .title)" "Groceries and more" "to the new title"
api PATCH "/api/v1/conversations/$c1" '{"title": ""}'
is "$STATUS" 422 "an empty title is refused"
api PATCH "/api/v1/conversations/$c1" "{\"title\": \"$(printf 't%.0s' {1..201})\"}"
is "$STATUS" 422 "a 201-character title is refused"
api PATCH "/api/v1/conversations/$c1" "{\"title\": \"$(printf 't%.0s' {1..200})\"}"
is "$STATUS" 200 "a 200-character title is accepted"
api PATCH "/api/v1/conversations/$c1" '{"default_model": "openai/missing"}'
is "$STATUS" 422 "an unknown default model is refused"
api PATCH "/api/v1/conversations/$c1" '{"default_model": "builtin/parley", "title": "Weekly shopping"}'
is "$STATUS" 200 "PATCH both fields"
is "$(jget '[.title, .default_model] | @json')" '["Weekly shopping","builtin/parley"]' "both changed"

api POST /api/v1/conversations '{}'
c3=$(jget .id)
api PATCH "/api/v1/conversations/$c3" '{"title": "My own name"}'
say "$c3" "please list my tasks" >/dev/null
api GET "/api/v1/conversations/$c3"
is "$(jget .title)" "My own name" "a renamed conversation keeps its name after the first exchange"

api POST /api/v1/conversations '{}'
c4=$(jget .id)
say "$c4" "  Could you please tell me, in detail, what my tasks are today?" >/dev/null
api GET "/api/v1/conversations/$c4"
is "$(jget .title)" "Could you please tell me, in…" "a long first message gives a title of its first six words"

api GET '/api/v1/conversations?q=shopping'
is "$(jget '[.items[].id] | @json')" "[\"$c1\"]" "search finds a conversation by a word in its title"
is "$(jget '.items[0].snippet')" null "with no snippet when only the title matched"
api GET '/api/v1/conversations?q=number'
is "$(jget '[.items[].id] | @json')" "[\"$cl\"]" "search finds a conversation by a word in a message"
like "$(jget '.items[0].snippet')" "number" "with a snippet of the message"
api GET '/api/v1/conversations?q=HELLO%20NUMBER'
is "$(jget '.items | length')" 1 "search is case-insensitive and takes several words"
api GET '/api/v1/conversations?q=zebra'
is "$(jget '.items | length')" 0 "a word nowhere finds nothing"
api GET '/api/v1/conversations?q=%21%21'
is "$STATUS" 200 "a query without words answers"
is "$(jget '.items | length')" 0 "with nothing"

##
# Regenerate
##
api GET "/api/v1/conversations/$c2/messages"
last=$(jget '.items[-1].id')
n_before=$(jget '.items | length')
api POST "/api/v1/conversations/$c2/regenerate" '{}'
is "$STATUS" 201 "regenerate answers 201"
is "$(jget .user_message.content)" "hello there" "answering the last user message again"
isnt "$(jget .assistant_message.id)" "$last" "with a new answer"
api GET "/api/v1/conversations/$c2/messages"
is "$(jget '.items | length')" "$n_before" "the old answer is gone"
is "$(sql "SELECT count(*) FROM messages WHERE id = '$last'")" 0 "from the database too"
api POST /api/v1/conversations '{}'
cempty=$(jget .id)
api POST "/api/v1/conversations/$cempty/regenerate" '{}'
is "$STATUS" 409 "regenerating in an empty conversation is a conflict"

##
# Usage
##
api GET /api/v1/usage
is "$STATUS" 200 "GET /usage answers"
is "$(jget '.items[0].model')" builtin/parley "usage is per model"
answers=$(sql "SELECT count(*) FROM responses")
is "$(jget '.items[0].answers')" "$answers" "counting every answer"
is "$(jget '.items[0].sources | [.chat.answers, .proposals.answers] | join(",")')" "$answers,0" \
    "all of them chat answers, none proposal sections"
ok "$(jq -e '.items[0] | .tokens_total == .tokens_prompt + .tokens_completion and .tokens_total > 0' <<<"$BODY" >/dev/null; echo $?)" \
    "with token sums"
ok "$(jq -e '.items[0] | .p95_completion_time_ms >= 0 and .avg_completion_time_ms >= 0' <<<"$BODY" >/dev/null; echo $?)" \
    "and average and 95th-percentile times"
is "$(jget '.daily | length')" 30 "daily tokens for 30 days"
is "$(jget '.daily[-1].date')" "$(date -u +%F)" "ending today"
is "$(jget '.daily[-1].tokens_total')" "$(jget '.items[0].tokens_total')" "today holds all of today's tokens"
is "$(jget '.daily[0].tokens_total')" 0 "a day without answers is 0"

##
# Another person sees none of it
##
api GET "/api/v1/conversations/$c1/messages"
mid=$(jget '.items[1].id')
as B
api GET /api/v1/conversations
is "$(jget '.items | length')" 0 "bob lists no conversations"
api GET '/api/v1/conversations?q=shopping'
is "$(jget '.items | length')" 0 "and finds none of alice's"
api GET /api/v1/usage
is "$(jget '.items | length')" 0 "and has no usage"
api GET "/api/v1/conversations/$c1"
is "$STATUS" 404 "GET alice's conversation: 404"
api PATCH "/api/v1/conversations/$c1" '{"title": "mine"}'
is "$STATUS" 404 "PATCH alice's conversation: 404"
api DELETE "/api/v1/conversations/$c1"
is "$STATUS" 404 "DELETE alice's conversation: 404"
api GET "/api/v1/conversations/$c1/messages"
is "$STATUS" 404 "GET alice's messages: 404"
api POST "/api/v1/conversations/$c1/messages" '{"content": "hi"}'
is "$STATUS" 404 "POST to alice's conversation: 404"
api POST "/api/v1/conversations/$c1/regenerate" '{}'
is "$STATUS" 404 "regenerate alice's answer: 404"
api GET "/api/v1/conversations/$c1/messages/$mid"
is "$STATUS" 404 "GET alice's message: 404"
api GET "/api/v1/conversations/$c1/messages/$mid/events"
is "$STATUS" 404 "follow alice's answer: 404"
api POST "/api/v1/conversations/$c1/messages/$mid/stop" '{}'
is "$STATUS" 404 "stop alice's answer: 404"
as A
api GET "/api/v1/conversations/$c1"
is "$(jget .title)" "Weekly shopping" "alice's conversation is untouched"
api GET "/api/v1/conversations/$c1/messages/$mid"
is "$STATUS" 200 "and alice still reads her message"

##
# Delete: messages and responses go too
##
n_msgs=$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$c1'")
ok "$([ "$n_msgs" -gt 0 ]; echo $?)" "the conversation has messages ($n_msgs)"
api DELETE "/api/v1/conversations/$c1"
is "$STATUS" 204 "DELETE answers 204"
api GET "/api/v1/conversations/$c1"
is "$STATUS" 404 "the conversation is gone"
is "$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$c1'")" 0 "its messages are gone"
is "$(sql "SELECT count(*) FROM responses WHERE message_id = '$a1'")" 0 "their responses are gone"
api DELETE "/api/v1/conversations/$c1"
is "$STATUS" 404 "deleting it again: 404"

done_testing

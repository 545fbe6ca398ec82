#!/usr/bin/env bash
# 0310-chat-pages.t: the chat pages through nginx, as a browser without JavaScript uses them:
# the list and search, a new chat, sending (the POST waits for the answer, then 303 to it),
# the answer with its receipt and task actions, rename, default model, regenerate, stop,
# delete, CSRF on every form, escaping, and other people's conversations as 404s.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

# A second model is offered so the default can change; nothing listens on its address,
# so an answer from it fails at once: that is the error path below.
export PARLEY_OPENAI_MODELS=offline-model
export PARLEY_OPENAI_BASE_URL=http://127.0.0.1:9/v1
export PARLEY_OPENAI_API_KEY=sk-test-never-shown

stack_start

# post_nocsrf PATH FIELD=VALUE...: the same form post without the token.
post_nocsrf() {
	local path=$1 kv args=(--data-urlencode "x=1")
	shift
	for kv in "$@"; do
		args+=(--data-urlencode "$kv")
	done
	http POST "$path" "${args[@]}"
}

# msg_ids ROLE: the ids of the messages of ROLE in the last page, in order.
msg_ids() {
	grep -o "<li class=\"msg $1[^>]*data-message-id=\"[0-9a-f-]*\"" <<<"$BODY" |
	    sed 's/.*data-message-id="\([0-9a-f-]*\)"/\1/'
}

# h1: the conversation's title as the page shows it.
h1() {
	sed -n 's/.*<h1 id="conversation-title"[^>]*>\(.*\)<\/h1>.*/\1/p' <<<"$BODY"
}

##
# Signed out
##
http GET /chat
like "$STATUS" '^30[23]$' "/chat without a login redirects"
like "$(location)" '^/login\?next=' "to the login page"

two_people Alice Bob

##
# First use
##
http GET /chat
is "$STATUS" 200 "/chat answers 200"
like "$BODY" 'aria-current="page">Chat<' "the Chat link in the navigation is current"
like "$BODY" 'data-empty="first"' "no conversations yet: the first-use hint"
like "$BODY" '<option value="builtin/parley" selected>' "the new-chat model picker defaults to builtin/parley"
like "$BODY" '<option value="openai/offline-model">' "and offers the configured models"

##
# New chat
##
post_nocsrf /chat model=builtin/parley
is "$STATUS" 403 "a new chat without the CSRF token is refused"
http GET /api/v1/conversations
is "$(jq '.items | length' <<<"$BODY")" 0 "and made nothing"

post /chat model=nobody/nothing
is "$STATUS" 422 "an unknown model is refused"
like "$BODY" 'id="new-chat-model-error"' "with the error by the model picker"

post /chat model=builtin/parley 'title=<b>Plans</b> & "more"'
is "$STATUS" 303 "a new chat answers 303"
like "$(location)" "^/chat/$uuid_pat\$" "to the new conversation"
CONV=$(location | sed 's|^/chat/||')

http GET "/chat/$CONV"
is "$STATUS" 200 "the conversation page answers 200"
is "$(h1)" '&lt;b&gt;Plans&lt;/b&gt; &amp; &quot;more&quot;' "its title is shown escaped"
unlike "$BODY" '<b>Plans</b>' "never as markup"
like "$BODY" '<ol class="messages" role="log" aria-live="polite" aria-busy="false"' \
    "the messages are a polite live region, not busy"
like "$BODY" 'data-empty>' "an empty conversation invites the first message"
like "$BODY" '<script src="/static/chat.js" defer></script>' "chat.js is loaded, deferred"
like "$BODY" "data-csrf=\"$CSRF\"" "with the CSRF token in a data attribute"
unlike "$BODY" '<script>' "and no inline script"
like "$BODY" '<form method="post" action="/chat/'"$CONV"'/regenerate" data-regenerate hidden>' \
    "nothing to regenerate yet"

##
# Other people
##
as B
http GET "/chat/$CONV"
is "$STATUS" 404 "another person's conversation is a 404"
post "/chat/$CONV/messages" content=hello
is "$STATUS" 404 "they cannot post to it"
post "/chat/$CONV/rename" title=Mine
is "$STATUS" 404 "nor rename it"
post "/chat/$CONV/model" model=builtin/parley
is "$STATUS" 404 "nor change its model"
post "/chat/$CONV/regenerate"
is "$STATUS" 404 "nor regenerate in it"
post "/chat/$CONV/delete"
is "$STATUS" 404 "nor delete it"
http GET /chat
unlike "$BODY" "/chat/$CONV" "their list does not show it"
as A
http GET /chat/not-a-conversation
is "$STATUS" 404 "an address that is not a conversation id is a 404"

##
# Sending without JavaScript
##
post_nocsrf "/chat/$CONV/messages" content=hello
is "$STATUS" 403 "sending without the CSRF token is refused"

post "/chat/$CONV/messages" 'content=   '
is "$STATUS" 422 "an empty message is refused"
like "$BODY" 'id="field-content-error"' "with the error under the composer"
like "$BODY" 'aria-invalid="true"' "and the field marked invalid"

post "/chat/$CONV/messages" content=hello model=nobody/nothing
is "$STATUS" 422 "an unknown model for one message is refused"
like "$BODY" '>hello</textarea>' "what was typed is kept"

post "/chat/$CONV/messages" 'content=add a task to buy milk' model=builtin/parley
is "$STATUS" 303 "sending answers 303 once the answer is written"
like "$(location)" "^/chat/$CONV#$uuid_pat\$" "to the new answer in the conversation"
ANSWER=$(location | sed 's|.*#||')

http GET "/chat/$CONV"
is "$(msg_ids assistant | tail -n 1)" "$ANSWER" "the answer is on the page, under its id"
like "$BODY" '<div class="msg-body">add a task to buy milk</div>' "the question is there"
unlike "$BODY" 'asked builtin/parley' "the conversation's own model is not marked as an override"
like "$BODY" '<div class="markdown">' "the answer is shown as rendered Markdown"
like "$BODY" '<li>Added task: [Bb]uy milk</li>' "the task it added is listed under it"
like "$BODY" '<dl class="receipt"' "with its receipt"
like "$BODY" '<dt>Model</dt> <dd>builtin/parley</dd>' "naming the model"
like "$BODY" '<dd>[0-9]+ prompt / [0-9]+ completion / [0-9]+ total \(estimated\)</dd>' \
    "the tokens, marked as estimated"
like "$BODY" '<dt>First token</dt> <dd>[0-9.]+ m?s</dd>' "the time to the first token"
like "$BODY" '<dt>Total time</dt> <dd>[0-9.]+ m?s</dd>' "the total time"
like "$BODY" '<dt>Speed</dt> <dd>([0-9.]+ tokens/s|–)</dd>' "and the speed"
like "$BODY" 'data-regenerate>' "the last answer can be regenerated"
http GET /api/v1/tasks
like "$(jq -r '.items[].title' <<<"$BODY")" '^[Bb]uy milk$' "the task is really on the list"

post "/chat/$CONV/messages" $'content=<script>alert(1)</script>\nsecond <line>'
is "$STATUS" 303 "a message with markup is sent"
http GET "/chat/$CONV"
like "$BODY" $'<div class="msg-body">&lt;script&gt;alert\\(1\\)&lt;/script&gt;\nsecond &lt;line&gt;</div>' \
    "a person's message is escaped text with its line break kept"
unlike "$BODY" '<script>alert' "its markup never reaches the page"
is "$(msg_ids user | wc -l)" 2 "two questions"
is "$(msg_ids assistant | wc -l)" 2 "two answers, oldest first"

# A per-message model that fails: the question stays, the answer shows the error.
post "/chat/$CONV/messages" 'content=are you there?' model=openai/offline-model
is "$STATUS" 303 "a message to a model that cannot be reached still ends in a 303"
FAILED=$(location | sed 's|.*#||')
http GET "/chat/$CONV"
like "$BODY" 'asked openai/offline-model' "the question shows the model it asked"
like "$BODY" "<li class=\"msg assistant error\" id=\"$FAILED\"" "the failed answer is marked as an error"
like "$BODY" '<p class="msg-error"><strong>The answer failed:</strong> [^<]+</p>' "with what went wrong"
unlike "$BODY" 'sk-test-never-shown' "never with the API key"
like "$BODY" '<div class="msg-body">are you there\?</div>' "the question is kept"

##
# The fragment chat.js swaps in, and a message's address
##
http GET "/chat/$CONV/messages/$ANSWER?fragment=1"
is "$STATUS" 200 "a message's fragment answers 200"
like "$BODY" "^<li class=\"msg assistant\" id=\"$ANSWER\"" "it is the message's <li> alone"
unlike "$BODY" '<html' "without the layout"
like "$BODY" '<dl class="receipt"' "with the receipt"
http GET "/chat/$CONV/messages/$ANSWER"
is "$STATUS" 303 "a message's address without ?fragment"
is "$(location)" "/chat/$CONV#$ANSWER" "leads to it in the conversation"
as B
http GET "/chat/$CONV/messages/$ANSWER?fragment=1"
is "$STATUS" 404 "another person's message is a 404"
as A

##
# An answer being written, and a stopped one
##
sql "INSERT INTO messages (conversation_id, role, content, model, status)
     VALUES ('$CONV', 'user', 'write slowly', NULL, 'complete')" >/dev/null
LIVE=$(sql "INSERT INTO messages (conversation_id, role, content, model, status)
     VALUES ('$CONV', 'assistant', 'Half an <answer>', 'builtin/parley', 'streaming') RETURNING id" | head -n 1)
http GET "/chat/$CONV"
like "$BODY" 'role="log" aria-live="polite" aria-busy="true"' "while an answer streams the log is busy"
like "$BODY" "<li class=\"msg assistant streaming\" id=\"$LIVE\"[^>]*data-status=\"streaming\"" \
    "the answer being written is shown as streaming"
like "$BODY" '<div class="stream-text" data-stream-text>Half an &lt;answer&gt;</div>' \
    "with its text so far, as plain text"
like "$BODY" "<form method=\"post\" action=\"/chat/$CONV/messages/$LIVE/stop\" data-stop-form>" \
    "and a Stop button for it"
like "$BODY" 'data-regenerate hidden>' "no regenerating while it streams"
post_nocsrf "/chat/$CONV/messages/$LIVE/stop"
is "$STATUS" 403 "stopping without the CSRF token is refused"
is "$(sql "SELECT stop_requested FROM messages WHERE id = '$LIVE'")" f "and asked nothing"
sql "UPDATE messages SET status = 'stopped', content_html = '<p>Half an answer</p>' WHERE id = '$LIVE'" >/dev/null
http GET "/chat/$CONV"
like "$BODY" '<p class="stopped">Stopped: this answer was cut short.</p>' "a stopped answer is marked stopped"
like "$BODY" 'aria-busy="false"' "and the log is no longer busy"
post "/chat/$CONV/messages/$LIVE/stop"
is "$STATUS" 303 "stopping an answer that has ended answers 303"
is "$(location)" "/chat/$CONV?msg=stopped#$LIVE" "back to it"

##
# Regenerate
##
post_nocsrf "/chat/$CONV/regenerate"
is "$STATUS" 403 "regenerating without the CSRF token is refused"
post "/chat/$CONV/regenerate"
is "$STATUS" 303 "regenerating answers 303"
NEW=$(location | sed 's|.*#||')
like "$NEW" "^$uuid_pat\$" "to the new answer"
http GET "/chat/$CONV"
isnt "$NEW" "$LIVE" "it is a new answer"
unlike "$BODY" "id=\"$LIVE\"" "the old last answer is gone"
is "$(msg_ids assistant | tail -n 1)" "$NEW" "the new one is last"
like "$BODY" '<dl class="receipt"' "with a receipt"

##
# Rename and default model
##
post_nocsrf "/chat/$CONV/rename" title=Sneaky
is "$STATUS" 403 "renaming without the CSRF token is refused"
post "/chat/$CONV/rename" 'title=   '
is "$STATUS" 422 "an empty title is refused"
like "$BODY" 'id="field-title-error"' "with the error by the field"
like "$BODY" '<details class="conversation-settings card" open>' "the settings stay open to show it"
post "/chat/$CONV/rename" 'title=Groceries <& plans>'
is "$STATUS" 303 "renaming answers 303"
is "$(location)" "/chat/$CONV?msg=renamed" "back to the conversation"
http GET "$(location)"
is "$(h1)" 'Groceries &lt;&amp; plans&gt;' "the new title is shown, escaped"
like "$BODY" '<title>Groceries &lt;&amp; plans&gt; · Parley</title>' "also in the window title"
like "$BODY" 'Conversation renamed.' "with a confirmation"

post_nocsrf "/chat/$CONV/model" model=openai/offline-model
is "$STATUS" 403 "changing the model without the CSRF token is refused"
post "/chat/$CONV/model" model=nobody/nothing
is "$STATUS" 422 "an unknown default model is refused"
post "/chat/$CONV/model" model=openai/offline-model
is "$STATUS" 303 "changing the default model answers 303"
http GET "/chat/$CONV"
like "$BODY" 'Default model: <span data-default-model>openai/offline-model</span>' "the new default is shown"
like "$BODY" '<option value="openai/offline-model" selected>' "and chosen in the pickers"
post "/chat/$CONV/model" model=builtin/parley

##
# A conversation named by its first exchange
##
post /chat model=builtin/parley
CONV2=$(location | sed 's|^/chat/||')
post "/chat/$CONV2/messages" 'content=What are my tasks?'
is "$STATUS" 303 "a first message in a new chat"
http GET "/chat/$CONV2"
like "$(h1)" '[Ww]hat are my tasks' "names the conversation after it"
like "$BODY" '[Bb]uy milk' "and the builtin assistant lists the task"

##
# A long conversation is shown 50 messages at a time
##
post /chat model=builtin/parley 'title=Long one'
CONV3=$(location | sed 's|^/chat/||')
sql "INSERT INTO messages (conversation_id, role, content, created_at)
     SELECT '$CONV3', 'user', 'note number ' || n, now() - (100 - n) * interval '1 minute'
     FROM generate_series(1, 60) AS n" >/dev/null
http GET "/chat/$CONV3"
is "$(msg_ids user | wc -l)" 50 "a long conversation shows its newest 50 messages"
like "$BODY" '<div class="msg-body">note number 11</div>' "from the 11th"
like "$BODY" '<div class="msg-body">note number 60</div>.*<form class="composer"' "to the newest, just above the composer"
EARLIER=$(grep -o 'href="/chat/[^"]*?before=[0-9a-f-]*" rel="prev"' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/')
like "$EARLIER" "^/chat/$CONV3\?before=$uuid_pat\$" "with a link to the earlier ones"
http GET "$EARLIER"
is "$(msg_ids user | wc -l)" 10 "which shows the 10 before them"
like "$BODY" '<div class="msg-body">note number 1</div>' "back to the first"
unlike "$BODY" 'rel="prev"' "with no earlier ones left"
like "$BODY" 'rel="next">Show the newest messages<' "and a way back to the newest"

##
# The list and search
##
http GET /chat
like "$BODY" "href=\"/chat/$CONV2\".*href=\"/chat/$CONV\"" "conversations are listed most recently active first"
unlike "$BODY" 'data-empty="first"' "no first-use hint any more"
http GET '/chat?q=milk'
is "$STATUS" 200 "searching answers 200"
like "$BODY" "href=\"/chat/$CONV\"" "a search finds words in messages"
like "$BODY" '<p role="status" data-search-status>[0-9]+ conversations? match(es)? “milk”.</p>' \
    "and says how many matched"
like "$BODY" 'value="milk"' "the search box keeps the words"
http GET '/chat?q=Groceries'
like "$BODY" "href=\"/chat/$CONV\"" "a search finds words in titles"
unlike "$BODY" "href=\"/chat/$CONV2\"" "and only the conversations that have them"
http GET '/chat?q=%3Cscript%3Ezebra'
like "$BODY" 'No conversation matches “&lt;script&gt;zebra”.' "no results says so, escaped"
unlike "$BODY" '<script>zebra' "never echoing markup"
as B
http GET '/chat?q=milk'
unlike "$BODY" "href=\"/chat/$CONV\"" "another person's search does not find it"
as A

##
# Delete
##
post_nocsrf "/chat/$CONV/delete"
is "$STATUS" 403 "deleting without the CSRF token is refused"
http GET "/chat/$CONV"
like "$BODY" "data-confirm=\"[^\"]+\"" "the delete form asks for confirmation"
post "/chat/$CONV/delete"
is "$STATUS" 303 "deleting answers 303"
is "$(location)" "/chat?msg=deleted" "back to the list"
http GET "$(location)"
like "$BODY" 'Conversation deleted.' "with a confirmation"
unlike "$BODY" "href=\"/chat/$CONV\"" "it is gone from the list"
http GET "/chat/$CONV"
is "$STATUS" 404 "and its page is a 404"
is "$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$CONV'")" 0 "its messages are gone"

unlike "$(cat "$T/parley.log")" 'sk-test-never-shown' "the API key never reaches the log"

done_testing

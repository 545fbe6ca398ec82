#!/usr/bin/env bash
# 0302-chat-openai.t: chat through the API with an OpenAI-compatible provider (t/fake_openai):
# the request parley sends (model, history, tools, stream), text and usage stored, a tool call
# that adds a task, retries and failures (the person's message is always kept), a malformed
# stream, a stall, Markdown that must not turn into live HTML, and the API key kept out of logs.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"

KEY=sk-test-secret
fake_serve "$KEY"
export PARLEY_LLM_IDLE_TIMEOUT=2
export PARLEY_LOG_LEVEL=debug

stack_start

register_user alice@example.com 'correct horse battery' Alice || bail "cannot register alice"

api GET /api/v1/models
is "$(jget '[.items[].id] | @json')" '["builtin/parley","openai/fake-1"]' "the configured model is offered"

api POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
is "$STATUS" 201 "a conversation with the OpenAI model"
conv=$(jget .id)

##
# The request, the text and the usage
##
script "text:Four, of course."
say "$conv" "What is 2+2?"
is "$STATUS" 201 "the answer is stored (201)"
is "$(jget .assistant_message.content)" "Four, of course." "the streamed text is stored whole"
is "$(jget .assistant_message.model)" openai/fake-1 "the answering model is recorded"
is "$(jget .assistant_message.response.tokens_completion)" 3 "the provider's completion tokens are stored"
is "$(jget .assistant_message.response.tokens_estimated)" false "and are not estimates"
ok "$(jq -e '.assistant_message.response | .tokens_prompt > 0 and .tokens_total == .tokens_prompt + .tokens_completion' <<<"$BODY" >/dev/null; echo $?)" \
    "prompt and total tokens are stored"
R=$(fake_request 1)
like "$R" '"model":"fake-1"' "the model is sent without its openai/ prefix"
like "$R" '"stream":true' "the request streams"
like "$R" '"include_usage":true' "and asks for usage"
like "$R" '"tools":"add_task,list_tasks,complete_task,delete_task,update_task"' "the task tools are offered"
like "$R" '"last_user":"What is 2\+2\?"' "the question comes last"
like "$R" 'Alice' "the system prompt names the person"

script "text:Five."
say "$conv" "And 2+3?"
R=$(fake_request 1)
like "$R" '"roles":"system,(system,)?user,assistant,user"' "the history goes in order: question, answer, question"
like "$R" 'Four, of course' "with the earlier answer"
like "$R" '"last_user":"And 2\+3\?"' "and the new question last"

script "text:Per message."
api POST /api/v1/conversations '{}'
cb=$(jget .id)
api POST "/api/v1/conversations/$cb/messages" '{"content": "use the fake", "model": "openai/fake-1"}'
is "$(jget .assistant_message.model)" openai/fake-1 "a per-message model overrides the builtin default"
like "$(fake_request 1)" '"model":"fake-1"' "and is the one asked"

api PATCH "/api/v1/conversations/$cb" '{"default_model": "openai/fake-1"}'
is "$(jget .default_model)" openai/fake-1 "the default model can be changed"
script "text:From the new default."
say "$cb" "who answers now?"
is "$(jget .assistant_message.model)" openai/fake-1 "and the next message is answered by it"
is "$(jget .user_message.model)" null "without an override on the message"
api PATCH "/api/v1/conversations/$cb" '{"default_model": "builtin/parley"}'
say "$cb" "and now?"
is "$(jget .assistant_message.model)" builtin/parley "changing it back takes effect too"

##
# A tool call that adds a task
##
script 'tool:add_task:{"title":"Buy milk"}' "text:I added **Buy milk**."
say "$conv" "Please add buy milk to my list"
is "$(jget .assistant_message.content)" "I added **Buy milk**." "the answer after the tool round"
like "$(jget .assistant_message.content_html)" "<strong>Buy milk</strong>" "rendered from Markdown"
is "$(jget .assistant_message.actions[0].note)" "Added task: Buy milk" "the action is recorded"
is "$(fake_requests)" 2 "two requests: the call and the answer"
like "$(fake_request 2)" '"role":"tool"' "the tool result went back to the model"
api GET /api/v1/tasks
is "$(jget '[.items[].title] | @json')" '["Buy milk"]' "GET /api/v1/tasks shows the new task"

##
# Failures: the person's message is always kept
##
script "status:500" "text:Recovered"
say "$conv" "try once more"
is "$(jget .assistant_message.status)" complete "500 then success: the retry answers"
is "$(jget .assistant_message.content)" Recovered "with the text"
is "$(fake_requests)" 2 "after exactly one retry"

script "status:500" "status:500" "text:never"
say "$conv" "this will fail"
is "$STATUS" 201 "500 twice: the exchange is still stored (201)"
is "$(jget .assistant_message.status)" error "the answer is an error"
like "$(jget .assistant_message.error)" "HTTP 500" "with a clear message"
is "$(jget .user_message.content)" "this will fail" "the user's message is kept"
failed_id=$(jget .assistant_message.id)
api GET "/api/v1/conversations/$conv/messages"
is "$(jget '.items[-2].content')" "this will fail" "the message list keeps the question"
is "$(jget '.items[-1].status')" error "and shows the error"

script "status:500" "status:500"
http POST "/api/v1/conversations/$conv/messages" -N -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"content": "fail streaming", "stream": true}'
printf '%s\n' "$BODY" >"$T/e1"
is "$(sse_names "$T/e1")" "start,error" "streamed failure: start, then error"
is "$(sse_data "$T/e1" error | jq -r .error.code)" model_error "the error event says what failed"
is "$(sse_data "$T/e1" error | jq -r .assistant_message.status)" error "and carries the stored answer"

script "text:Next time it works."
say "$conv" "are you back?"
is "$(jget .assistant_message.status)" complete "after a failure the conversation goes on"
unlike "$(fake_request 1)" 'HTTP 500' "and the failed answer is not sent as history"

script "malformed"
say "$conv" "malformed please"
is "$(jget .assistant_message.status)" error "a malformed stream is an error"
is "$(jget .assistant_message.content)" Hello "the text before it is kept"
like "$(jget .assistant_message.error)" "could not read" "with a clear message"

script "stall:6"
t0=$(date +%s)
say "$conv" "stall please"
elapsed=$(( $(date +%s) - t0 ))
is "$(jget .assistant_message.status)" error "a stalled provider is an error"
like "$(jget .assistant_message.error)" "stopped answering" "with a clear message"
ok "$( [ "$elapsed" -lt 6 ]; echo $?)" "after the idle timeout, not the stall ($elapsed s)"

http GET /healthz
is "$STATUS" 200 "the workers stay healthy after the failures"

##
# Regenerate replaces the failed answer
##
script "text:Regenerated answer."
api POST "/api/v1/conversations/$conv/regenerate" '{}'
is "$STATUS" 201 "regenerate answers 201"
is "$(jget .user_message.content)" "stall please" "answering the last question again"
is "$(jget .assistant_message.content)" "Regenerated answer." "with the new text"
is "$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$conv' AND content = 'stall please'")" 1 \
    "the question is not duplicated"

##
# Markdown safety
##
script 'text:Look <script>alert(1)</script> here <img src=x onerror=alert(2)> and [click](javascript:alert(3)) ok'
say "$conv" "show me markup"
is "$(jget .assistant_message.content)" 'Look <script>alert(1)</script> here <img src=x onerror=alert(2)> and [click](javascript:alert(3)) ok' \
    "the raw answer is stored as written"
html=$(jget .assistant_message.content_html)
unlike "$html" "<script" "no <script> tag in content_html"
unlike "$html" "onerror" "no onerror attribute in content_html"
unlike "$html" "javascript:" "no javascript: link in content_html"
like "$html" "click" "the link text is kept"

##
# Secrets
##
api GET "/api/v1/conversations/$conv/messages/$failed_id"
is "$STATUS" 200 "a failed answer can be read back"
like "$(fake_request 1)" "\"authorization\":\"Bearer $KEY\"" "the key is sent to the provider"
unlike "$(cat "$T/parley.log")" "$KEY" "the API key is never in parley's log"

done_testing

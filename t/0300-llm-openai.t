#!/bin/bash
# 0300-llm-openai.t: the OpenAI-compatible model client (llm_complete with openai/<id>) against
# t/fake_openai: the request's shape, streamed text and usage, tool calls that change tasks,
# retries, malformed and cut streams, stalls, oversize answers, stops, and a key kept out of logs.
# shellcheck disable=SC2119 # harness functions take optional arguments
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/fake_openai.sh"

DRIVER=${LLM_DRIVER:-$top_builddir/t/llm_driver}
[ -x "$DRIVER" ] || skip_all "t/llm_driver is not built"

KEY="sk-test-$RANDOM$RANDOM-never-log-me"
fake_start

# Not fake_use: a base URL that ends in a slash, and two models.
export PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1/"
export PARLEY_OPENAI_API_KEY="$KEY"
export PARLEY_OPENAI_MODELS="fake-model, other-model"
export PARLEY_LOG_LEVEL=debug
LOG=$T/parley.log
: >"$LOG"

# ask [-u USER] [-n] [-c MS] MODEL MESSAGE...: one llm_complete; its result in $T/out.
ask() {
	"$DRIVER" "$@" >"$T/out" 2>>"$LOG"
}
# f KEY: a field of the last result.
f() {
	sed -n "s/^$1: //p" "$T/out" | head -n 1
}

db_start
ANN=$(sql "INSERT INTO users (email, name, password_hash) VALUES ('ann@example.com', 'Ann', 'x') RETURNING id")
BOB=$(sql "INSERT INTO users (email, name, password_hash) VALUES ('bob@example.com', 'Bob', 'x') RETURNING id")
[ -n "$ANN" ] && [ -n "$BOB" ] || bail "cannot create users"
tasks_of() {
	sql "SELECT coalesce(string_agg(title || ':' || CASE WHEN completed THEN 'done' ELSE 'open' END, ',' ORDER BY title), '') FROM tasks WHERE user_id = '$1'"
}

##
# A streamed answer and the request that asked for it
##
script "text:Hello streamed world"
ask openai/fake-model "What is 2+2?" "4" "Purple elephant question"
is "$(f status)" ok "text: the answer is ok"
is "$(f text)" "Hello streamed world" "text: the whole text is kept"
is "$(f streamed)" "Hello streamed world" "text: the deltas add up to the text"
is "$(f deltas)" 3 "text: it arrived in three deltas, as sent"
is "$(f tokens_prompt)/$(f tokens_completion)/$(f tokens_total)/$(f tokens_estimated)" "28/3/31/false" \
    "text: the provider's usage is stored, not estimated"
like "$(f ttft_ms)" '^[0-9]+$' "text: time to first token measured"
is "$(fake_requests)" 1 "text: one request"
R=$(fake_request 1)
like "$R" '"path":"/v1/chat/completions"' "request: POST {base_url}/chat/completions (trailing slash handled)"
like "$R" '"model":"fake-model"' "request: the model without the openai/ prefix"
like "$R" '"roles":"system,user,assistant,user"' "request: a system prompt, then the history in order"
like "$R" '"last_user":"Purple elephant question"' "request: the question comes last"
like "$R" '"content":"You are Parley.s assistant[^"]*Markdown[^"]*add_task' \
    "request: the system prompt asks for Markdown and names the tools"
like "$R" '"stream":true' "request: stream is true"
like "$R" '"include_usage":true' "request: stream_options.include_usage is true"
like "$R" '"tools":"add_task,list_tasks,complete_task,delete_task,update_task"' \
    "request: the five task tools are offered"
like "$R" "\"authorization\":\"Bearer $KEY\"" "request: the API key goes in the Authorization header"

script "text:No tools"
ask -n openai/fake-model "Just talk"
unlike "$(fake_request 1)" '"tools"' "request: no tools when none are offered"

script "text:Keyless"
PARLEY_OPENAI_API_KEY="" ask openai/fake-model "Local server"
is "$(f status)/$(f text)" "ok/Keyless" "request: a server without a key is fine"
like "$(fake_request 1)" '"authorization":null' "request: no Authorization header without a key"

##
# Tool calls
##
script 'tool:add_task:{"title":"Buy milk"}' "text:I added it."
ask -u "$ANN" openai/fake-model "Add buy milk"
is "$(f status)" ok "tool: the answer is ok"
is "$(f text)" "I added it." "tool: the text of the last round is the answer"
is "$(f note)" "Added task: Buy milk" "tool: the note for people"
is "$(tasks_of "$ANN")" "Buy milk:open" "tool: the task was added for the owner"
is "$(tasks_of "$BOB")" "" "tool: and for nobody else"
is "$(fake_requests)" 2 "tool: a second request carries the result"
R=$(fake_request 2)
like "$R" '"roles":"system,user,assistant,tool"' "tool: assistant turn with the call, then a tool message"
like "$R" '"tool_calls":\[\{"id":"call_1","type":"function","function":\{"name":"add_task","arguments":"\{\\"title\\":\\"Buy milk\\"\}"' \
    "tool: the call's fragments were joined and sent back whole"
like "$R" '"role":"tool","tool_call_id":"call_1","content":"\{\\"ok\\":true' "tool: the result answers the call by id"
is "$(f tokens_prompt)/$(f tokens_completion)" "42/4" "tool: usage summed over both rounds"

script 'tool:add_task:{"title": "Broken' "text:Sorry."
ask -u "$ANN" openai/fake-model "Add something"
is "$(f status)" ok "tool, bad JSON: the answer still comes"
like "$(fake_request 2)" 'not a valid JSON object; nothing was done' "tool, bad JSON: the model is told, nothing runs"
is "$(tasks_of "$ANN")" "Buy milk:open" "tool, bad JSON: no task added"

script 'tool:add_task:{"title": 42}' "text:Sorry."
ask -u "$ANN" openai/fake-model "Add a number"
like "$(fake_request 2)" 'add_task needs .{1,8}title.{1,8}, a string' "tool, wrong type: an error result for the model"
is "$(tasks_of "$ANN")" "Buy milk:open" "tool, wrong type: no task added"

sql "INSERT INTO tasks (user_id, title) VALUES ('$ANN', 'Call Bob'), ('$ANN', 'Call Bobby'), ('$BOB', 'Secret plan')" >/dev/null
script 'tool:complete_task:{"title":"call"}' "text:Which one?"
ask -u "$ANN" openai/fake-model "Complete call"
like "$(fake_request 2)" 'candidates' "tool, ambiguous: the candidates go back to the model"
is "$(tasks_of "$ANN")" "Buy milk:open,Call Bob:open,Call Bobby:open" "tool, ambiguous: nothing changed"
is "$(f note)" "" "tool, ambiguous: no note"

script 'tool:complete_task:{"title":"buy milk"}|list_tasks:{}' "text:Done."
ask -u "$ANN" openai/fake-model "Done with milk, and what is left?"
is "$(tasks_of "$ANN")" "Buy milk:done,Call Bob:open,Call Bobby:open" "tool: complete_task by title"
like "$(fake_request 2)" '"roles":"system,user,assistant,tool,tool"' "tool: two calls in one round, two tool messages"
like "$(fake_request 2)" '"tool_call_id":"call_2","content":"\{\\"ok\\":true,\\"status\\":\\"all\\",\\"count\\":3' \
    "tool: the second call lists the tasks"

script 'tool:delete_task:{"title":"secret plan"}' "text:Not found."
ask -u "$ANN" openai/fake-model "Delete the secret plan"
like "$(fake_request 2)" 'No task matches' "tool: another user's task is not found"
is "$(tasks_of "$BOB")" "Secret plan:open" "tool: and stays"

steps=()
for _ in 1 2 3 4 5 6; do steps+=('tool:list_tasks:{}'); done
script "${steps[@]}"
ask -u "$ANN" openai/fake-model "Loop forever"
is "$(f status)" error "tool rounds: a model that only calls tools ends in an error"
like "$(f error)" "kept asking for tools" "tool rounds: a clear message"
is "$(fake_requests)" 6 "tool rounds: five rounds of calls, then one request for words"
like "$(fake_request 5)" '"tool_choice":"auto"' "tool rounds: tools allowed up to round five"
like "$(fake_request 6)" '"tool_choice":"none"' "tool rounds: the last request asks for an answer"

##
# Failures and retries
##
script "status:500" "text:Recovered"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)" "ok/Recovered" "500 then success: the retry answers"
is "$(fake_requests)" 2 "500 then success: exactly one retry"
like "$(tail -n 5 "$LOG")" "trying again in [0-9]+ ms" "500 then success: the retry is logged"
like "$(f time_ms)" '^([5-9][0-9][0-9]|1[0-9][0-9][0-9])$' "500 then success: after a backoff of 0.5 to 1 s"

script "status:429" "text:Later"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)" "ok/Later" "429 then success: retried too"

script "status:500" "status:500" "text:never"
ask openai/fake-model "Hi"
is "$(f status)" error "500 twice: an error"
is "$(f error)" "The model provider answered with an error (HTTP 500)." "500 twice: a clear message"
is "$(fake_requests)" 2 "500 twice: no third try"

script "status:400" "text:never"
ask openai/fake-model "Hi"
is "$(f status)/$(fake_requests)" "error/1" "400: no retry for a request the provider refuses"

script "status:401"
ask openai/fake-model "Hi"
like "$(f error)" "refused the request \(HTTP 401\): check the API key" "401: says to check the key"

script "close" "text:After a reset"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)" "ok/After a reset" "a connection closed without an answer is retried"

script "malformed"
ask openai/fake-model "Hi"
is "$(f status)" error "malformed chunk: an error"
is "$(f error)" "The model provider sent an answer Parley could not read." "malformed chunk: a clear message"
is "$(f text)" "Hello" "malformed chunk: the text before it is kept"

script "error-event"
ask openai/fake-model "Hi"
is "$(f error)" "The model provider reported an error while answering." "error in the stream: a clear message"
like "$(tail -n 3 "$LOG")" "the fake is overloaded" "error in the stream: the provider's words are logged"

script "cut:one two three four five six"
ask openai/fake-model "Hi"
is "$(f status)" error "cut stream: an error"
is "$(f error)" "The model's answer stopped half way." "cut stream: a clear message"
is "$(f text)" "one two three " "cut stream: the text so far is kept"

script "stall:8"
PARLEY_LLM_IDLE_TIMEOUT=2 ask openai/fake-model "Hi"
is "$(f error)" "The model stopped answering (no data for 2 s)." "stall: the idle timeout"
ok "$(($(f time_ms) < 5000 ? 0 : 1))" "stall: given up within the limit ($(f time_ms) ms)"
is "$(fake_requests)" 1 "stall: not retried"

script "stall-mid:8"
PARLEY_LLM_IDLE_TIMEOUT=2 ask openai/fake-model "Hi"
is "$(f error)/$(f text)" "The model stopped answering (no data for 2 s)./Hello" "stall after text: the text is kept"

script "slow:400:a b c d e f g h i j"
PARLEY_LLM_TOTAL_TIMEOUT=2 ask openai/fake-model "Hi"
is "$(f error)" "The model took too long to answer (over 2 s)." "total timeout: a clear message"

script "huge:100000"
PARLEY_LLM_MAX_ANSWER=4096 ask openai/fake-model "Hi"
is "$(f status)" truncated "huge answer: truncated"
like "$(f text)" '\\n\\n\(answer cut: too long\)$' "huge answer: a note says it was cut"
ok "$(($(f text | wc -c) < 4200 ? 0 : 1))" "huge answer: bounded by PARLEY_LLM_MAX_ANSWER"
is "$(f streamed)" "$(f text)" "huge answer: the note is streamed too"

script "slow:200:one two three four five six seven eight nine ten"
ask -c 700 openai/fake-model "Hi"
is "$(f status)" stopped "stop: the answer ends as stopped"
like "$(f text)" '^one two ' "stop: the text so far is kept"
unlike "$(f text)" 'ten' "stop: and nothing after the stop"

CLOSED=$(free_port)
PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$CLOSED/v1" ask openai/fake-model "Hi"
is "$(f error)" "The model provider could not be reached (connection refused)." "refused connection: a clear message"
is "$(f status)" error "refused connection: an error"

##
# Other servers' ways
##
script "json:Plain answer"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)/$(f tokens_estimated)" "ok/Plain answer/false" "a server that does not stream is understood"

script "crlf:Hello over CRLF"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)" "ok/Hello over CRLF" "CRLF lines, comments, keep-alives and split writes"

script "nodone:Finished anyway"
ask openai/fake-model "Hi"
is "$(f status)/$(f text)" "ok/Finished anyway" "a finish_reason without [DONE] is a complete answer"

script "nousage:No usage"
ask openai/fake-model "Hi"
is "$(f tokens_estimated)" true "no usage reported: the tokens are estimated"
ok "$(($(f tokens_prompt) > 0 && $(f tokens_completion) > 0 ? 0 : 1))" "no usage reported: estimates are not zero"

script "text:never"
ask openai/not-offered "Hi"
is "$(f error)/$(fake_requests)" "The model openai/not-offered is not available./0" "an unlisted model is refused without a request"

##
# Secrets and privacy
##
if grep -q -- "$KEY" "$LOG" "$T/out"; then
	ok 1 "logs: the API key never appears in Parley's log"
else
	ok 0 "logs: the API key never appears in Parley's log"
fi
if grep -q "Purple elephant" "$LOG"; then
	ok 1 "logs: message contents are not logged"
else
	ok 0 "logs: message contents are not logged"
fi
like "$(cat "$LOG")" "llm: model=openai/fake-model status=ok tokens=" "logs: one line per answer with model, status and tokens"

done_testing

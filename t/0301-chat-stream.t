#!/usr/bin/env bash
# 0301-chat-stream.t: streamed answers as Server-Sent Events: the event order, following an
# answer from a second connection while it is written, a browser that leaves mid-answer (the
# answer is still completed and stored), and "stop" (the upstream request ends, the partial
# text is kept).
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"

fake_serve sk-test-secret

stack_start

register_user alice@example.com 'correct horse battery' Alice || bail "cannot register alice"

##
# The builtin model streamed: start, delta..., done
##
api POST /api/v1/conversations '{}'
conv=$(jget .id)
http POST "/api/v1/conversations/$conv/messages" -N -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"content": "add a task to water the plants", "stream": true}'
is "$STATUS" 200 "a streamed answer answers 200"
like "$(header Content-Type)" "^text/event-stream" "as text/event-stream"
printf '%s\n' "$BODY" >"$T/b1"
like "$(sse_names "$T/b1")" '^start(,delta)+,done$' "events come in order: start, delta..., done"
start=$(sse_data "$T/b1" start)
is "$(jq -r .user_message.content <<<"$start")" "add a task to water the plants" "start carries the user message"
is "$(jq -r .assistant_message.status <<<"$start")" streaming "and the answer being written"
aid=$(jq -r .assistant_message.id <<<"$start")
done_ev=$(sse_data "$T/b1" done)
is "$(jq -r .id <<<"$done_ev")" "$aid" "done carries the same answer"
is "$(jq -r .status <<<"$done_ev")" complete "stored complete"
is "$(jq -r .response.model_used <<<"$done_ev")" builtin/parley "with its response"
is "$(jq -r '.actions[0].note' <<<"$done_ev")" "Added task: Water the plants" "and its actions"
is "$(sse_text "$T/b1")" "$(jq -r .content <<<"$done_ev")" "the deltas add up to the stored text"

http POST "/api/v1/conversations/$conv/messages" -N -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' -H 'Accept: text/event-stream' \
    --data-binary '{"content": "what are my tasks"}'
printf '%s\n' "$BODY" >"$T/b2"
like "$(sse_names "$T/b2")" '^start(,delta)+,done$' "Accept: text/event-stream also streams"

# Following an answer that has ended: everything at once.
http GET "/api/v1/conversations/$conv/messages/$aid/events" -N
is "$STATUS" 200 "following an ended answer answers 200"
printf '%s\n' "$BODY" >"$T/f0"
is "$(sse_names "$T/f0")" "start,delta,done" "with start, one delta and done"
is "$(sse_text "$T/f0")" "$(jq -r .content <<<"$done_ev")" "the delta is the whole text"

http POST "/api/v1/conversations/$conv/messages/$aid/stop" -H "X-CSRF-Token: $CSRF"
is "$STATUS" 200 "stopping an answer that has ended answers 200"
is "$(jget .status)" complete "and changes nothing"

##
# Follow from a second connection while the answer is written
##
words="one two three four five six seven eight nine ten eleven twelve"
script "slow:250:$words"
api POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
conv=$(jget .id)
stream_post "$conv" '{"content": "count for me", "stream": true}' "$T/s1"
wait_for 50 grep -q '^event: start' "$T/s1" || bail "the stream did not start"
aid=$(sse_data "$T/s1" start | jq -r .assistant_message.id)
wait_for 50 grep -q '^event: delta' "$T/s1"
curl -sS -N -b "$COOKIE_JAR" "$BASE_URL/api/v1/conversations/$conv/messages/$aid/events" >"$T/f1" 2>&1 &
FOLLOW_PID=$!
wait "$BG_PID"
wait "$FOLLOW_PID"
like "$(sse_names "$T/s1")" '^start(,delta)+,done$' "the writer's stream: start, deltas, done"
is "$(sse_text "$T/s1")" "$words" "the writer's deltas are the whole text"
like "$(sse_names "$T/f1")" '^start,delta(,delta)+,done$' "the follower got the text so far, then more deltas, then done"
is "$(sse_text "$T/f1")" "$words" "the follower's deltas add up to the whole text"
is "$(sse_data "$T/f1" done | jq -r .status)" complete "and done carries the stored answer"
api GET "/api/v1/conversations/$conv/messages/$aid"
is "$(jget .content)" "$words" "the streamed text is stored whole"
is "$(jget .response.tokens_completion)" 12 "with the provider's usage"
is "$(jget .response.tokens_estimated)" false "not estimated"

##
# A browser that leaves mid-answer: the answer is still finished and stored
##
script "slow:200:$words"
stream_post "$conv" '{"content": "count again", "stream": true}' "$T/s2" --max-time 1
wait "$BG_PID"
like "$(cat "$T/s2")" 'event: start' "the client saw the start before leaving"
unlike "$(cat "$T/s2")" 'event: done' "and left before the end"
aid=$(sse_data "$T/s2" start | jq -r .assistant_message.id)
wait_for 100 eval '[ "$(msg_status "$aid")" = complete ]'
is "$(msg_status "$aid")" complete "the answer was completed anyway"
api GET "/api/v1/conversations/$conv/messages/$aid"
is "$(jget .content)" "$words" "and stored whole"
like "$(jget .content_html)" "^<p>one two" "with its HTML"
is "$(jget .response.tokens_completion)" 12 "and its usage"

##
# Stop: the upstream request ends, the partial text is kept
##
long=""
for i in $(seq 1 60); do long="$long word$i"; done
script "slow:200:${long# }"
stream_post "$conv" '{"content": "talk for a long time", "stream": true}' "$T/s3"
wait_for 50 grep -q '^event: start' "$T/s3" || bail "the stream did not start"
aid=$(sse_data "$T/s3" start | jq -r .assistant_message.id)
wait_for 50 eval '[ "$(grep -c "^event: delta" "$T/s3")" -ge 3 ]'
is "$(upstream_conns)" 1 "while it streams, parley holds a request to the provider"
t0=$(date +%s)
http POST "/api/v1/conversations/$conv/messages/$aid/stop" -H "X-CSRF-Token: $CSRF"
is "$STATUS" 200 "stop answers 200 once the answer has ended"
is "$(jget .status)" stopped "the answer is stopped"
partial=$(jget .content)
like "$partial" '^word1 word2 word3' "the partial text is kept"
unlike "$partial" 'word60' "and it is partial"
is "$(jget .response.model_used)" openai/fake-1 "the stopped answer has its response"
wait "$BG_PID"
ok "$( [ "$(( $(date +%s) - t0 ))" -lt 5 ]; echo $?)" "well before the 12 s the whole answer takes"
is "$(sse_data "$T/s3" done | jq -r .status)" stopped "the writer's stream ends with done, status stopped"
wait_for 30 eval '[ "$(upstream_conns)" -eq 0 ]'
is "$(upstream_conns)" 0 "the upstream request ended"
sleep 0.5
api GET "/api/v1/conversations/$conv/messages/$aid"
is "$(jget .content)" "$partial" "nothing is added after the stop"

# Stopping affects only that answer.
script "slow:100:a b c d e f g h"
api POST /api/v1/conversations '{"default_model": "openai/fake-1"}'
other=$(jget .id)
stream_post "$other" '{"content": "short one", "stream": true}' "$T/s4"
wait_for 50 grep -q '^event: start' "$T/s4"
wait "$BG_PID"
is "$(sse_data "$T/s4" done | jq -r .status)" complete "another answer written after a stop completes"

##
# An answer whose writer died (its worker crashed) does not stream for ever
##
dead=$(sql "INSERT INTO messages (conversation_id, role, content, model, status, writer_seen_at)
    VALUES ('$other', 'user', 'are you there?', NULL, 'complete', now() - interval '3 minutes'),
           ('$other', 'assistant', 'Half an', 'openai/fake-1', 'streaming', now() - interval '2 minutes')
    RETURNING id" | tail -n 1)
http GET "/api/v1/conversations/$other/messages/$dead/events" -N
printf '%s\n' "$BODY" >"$T/d1"
is "$(sse_names "$T/d1")" "start,delta,error" "following it: start, what there is, then an error"
is "$(sse_data "$T/d1" error | jq -r .assistant_message.status)" error "it is marked failed"
api GET "/api/v1/conversations/$other/messages/$dead"
is "$(jget .content)" "Half an" "its text is kept"
like "$(jget .error)" "interrupted" "with a clear message"
is "$(jget .content_html)" "<p>Half an</p>" "and its HTML"

dead=$(sql "INSERT INTO messages (conversation_id, role, content, model, status, writer_seen_at)
    VALUES ('$other', 'assistant', 'Another half', 'openai/fake-1', 'streaming', now() - interval '2 minutes')
    RETURNING id")
script "text:Fresh answer."
api POST "/api/v1/conversations/$other/regenerate" '{}'
is "$STATUS" 201 "regenerate replaces an answer whose writer died"
is "$(jget .assistant_message.content)" "Fresh answer." "with a new one"
is "$(sql "SELECT count(*) FROM messages WHERE id = '$dead'")" 0 "the dead one is gone"

live=$(sql "INSERT INTO messages (conversation_id, role, content, model, status)
    VALUES ('$other', 'assistant', 'Being written', 'openai/fake-1', 'streaming') RETURNING id")
api POST "/api/v1/conversations/$other/regenerate" '{}'
is "$STATUS" 409 "regenerate refuses while an answer is being written"
sql "DELETE FROM messages WHERE id = '$live'" >/dev/null

done_testing

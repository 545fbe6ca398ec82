#!/usr/bin/env bash
# 0402-proposals-openai.t: proposal sections written by an OpenAI-compatible model (t/fake_openai):
# one request per section with a prompt built from the answers, the text and usage stored, and
# a failing model leaving the previous text in place with a clear message, by API and by page.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"

fake_serve sk-test-proposals
export PARLEY_LLM_IDLE_TIMEOUT=2
unset PARLEY_DEFAULT_MODEL

stack_start

register_user carol@example.com 'correct horse battery' || bail "cannot register carol"

##
# All six sections, one request each
##
api POST /api/v1/proposals '{"model": "openai/fake-1"}'
is "$STATUS" 201 "a proposal written by openai/fake-1"
is "$(jget .model)" "openai/fake-1" "keeps its model"
P=$(jget .id)

script "text:The summary, written by the model." "text:Objective **one** and two." \
    "text:## Scope and deliverables\n\n- Online ordering\n- Staff training" \
    "text:Milestones: design, then build." "text:WordPress and Stripe, explained." \
    "text:Sign, then start."
answer_all "$P"
is "$STATUS" 201 "the sixth answer is recorded"
is "$(jget '.write_error // "none"')" none "with no error"
is "$(fake_requests)" 6 "one request per section"
is "$(for i in 1 2 3 4 5 6; do fake_request "$i" | jq -r .model; done | sort -u)" "fake-1" "each to the proposal's model"
is "$(for i in 1 2 3 4 5 6; do fake_request "$i" | jq -r .roles; done | sort -u)" "system,user" \
    "each with the system message and one request"
is "$(for i in 1 2 3 4 5 6; do fake_request "$i" | jq -r '.tools // "none"'; done | sort -u)" none "and no task tools"
like "$(fake_request 1 | jq -r .last_user)" 'Write the "Executive summary" section' "request 1 asks for the executive summary"
like "$(fake_request 4 | jq -r .last_user)" 'Write the "Timeline and milestones" section' "request 4 for the timeline"
like "$(fake_request 4 | jq -r .last_user)" 'periods' "asking for milestones from the periods"
like "$(fake_request 6 | jq -r .last_user)" 'Write the "Next steps" section' "request 6 for the next steps"
R=$(fake_request 2 | jq -r .last_user)
like "$R" 'Client:
  Acme Bakery' "the prompt carries the client"
like "$R" 'Goals:
  Customers can order cakes online' "the goals"
like "$R" 'Timeline:
  Design 3 weeks, build 6 weeks' "the timeline"
like "$R" 'Technologies:
  WordPress, Stripe' "and the technologies"

api GET "/api/v1/proposals/$P/sections"
is "$(jget '[.items[].section_name] | join(",")')" \
    "executive_summary,objectives,scope_and_deliverables,timeline,technology,next_steps" "six sections"
is "$(jget '.items[0].content')" "The summary, written by the model." "each holds the model's text"
is "$(jget '.items[1].content')" "Objective **one** and two." "in order"
is "$(jget '.items[2].content')" $'- Online ordering\n- Staff training' \
    "a heading that repeats the section's title is dropped"
is "$(jget '[.items[].model_used] | unique | join(",")')" "openai/fake-1" "written by openai/fake-1"
is "$(sql "SELECT count(*), min(tokens_prompt), bool_and(tokens_completion > 0), bool_or(tokens_estimated),
    bool_and(status = 'ok') FROM proposal_usage WHERE session_id = '$P'")" "6|14|t|f|t" \
    "the usage of the six requests is recorded as the provider reported it"

##
# Regenerating one section
##
script "text:A better objective."
api POST "/api/v1/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 200 "regenerate one section"
is "$(jget .content)" "A better objective." "with the model's new text"
is "$(fake_requests)" 1 "one request"
like "$(fake_request 1 | jq -r .last_user)" 'Write the "Objectives" section' "for that section"
api GET "/api/v1/proposals/$P/sections"
is "$(jget '.items[0].content')" "The summary, written by the model." "the other sections are unchanged"

##
# A failing model keeps the previous text
##
api GET "/api/v1/proposals/$P/sections/objectives"
T0=$(jget .last_updated)
script "status:500"
api POST "/api/v1/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 502 "a failing model is a 502"
is "$(jget .error.code)" model_failed "with its own error code"
like "$(jget .error.message)" 'Objectives section could not be written' "a clear message"
like "$(jget .error.message)" 'previous text is kept' "that says the text is kept"
api GET "/api/v1/proposals/$P/sections/objectives"
is "$(jget .content)" "A better objective." "the previous text is in place"
is "$(jget .last_updated)" "$T0" "and not touched"
is "$(sql "SELECT count(*) FROM proposal_usage WHERE session_id = '$P' AND status = 'error' AND error <> ''")" 1 \
    "the failed request is recorded with its error"

script "status:500"
post "/proposals/$P/sections/timeline/regenerate"
is "$STATUS" 502 "the page's Regenerate with a failing model answers 502"
like "$BODY" 'Timeline and milestones section could not be regenerated' "the page says what failed"
like "$BODY" 'Milestones: design, then build\.' "and shows the previous text"

script "malformed"
api POST "/api/v1/proposals/$P/sections/technology/regenerate"
is "$STATUS" 502 "a broken stream is a failure too"
api GET "/api/v1/proposals/$P/sections/technology"
is "$(jget .content)" "WordPress and Stripe, explained." "and keeps the previous text"

script "text:"
api POST "/api/v1/proposals/$P/sections/technology/regenerate"
is "$STATUS" 502 "an empty answer is a failure"
api GET "/api/v1/proposals/$P/sections/technology"
is "$(jget .content)" "WordPress and Stripe, explained." "and keeps the previous text"

##
# A failure while writing the first time, then the missing sections
##
api POST /api/v1/proposals '{"model": "openai/fake-1"}'
P2=$(jget .id)
script "text:Summary one." "status:500"
answer_all "$P2"
is "$STATUS" 201 "the sixth answer is still recorded when writing fails"
like "$(jget .write_error)" 'Objectives section could not be written' "the answer says which section failed"
is "$(jget .progress)" 100 "progress is 100"
api GET "/api/v1/proposals/$P2/sections"
is "$(jget '[.items[].section_name] | join(",")')" executive_summary "the sections before the failure are kept"
http GET "/proposals/$P2"
like "$BODY" 'data-missing>' "the page offers to write the missing sections"
is "$(grep -c 'This section has not been written yet' <<<"$BODY")" 5 "and shows which are missing"

script "text:Written at last."
post "/proposals/$P2/regenerate" which=missing
is "$(header Location)" "/proposals/$P2?msg=regenerated" "Write the missing sections answers 303"
is "$(fake_requests)" 5 "one request for each missing section"
api GET "/api/v1/proposals/$P2/sections"
is "$(jget '.items | length')" 6 "all six are written now"
is "$(jget '.items[0].content')" "Summary one." "the one written before is kept"

##
# Back to the builtin model
##
script "text:should not be asked"
api PATCH "/api/v1/proposals/$P2" '{"model": null}'
is "$(jget .model)" null "the model goes back to the default"
api POST "/api/v1/proposals/$P2/sections/scope_and_deliverables/regenerate"
is "$(jget .model_used)" "builtin/parley" "which is builtin/parley here"
is "$(fake_requests)" 0 "and asks no remote model"
api PATCH "/api/v1/proposals/$P2" '{"model": "openai/unknown"}'
is "$STATUS" 422 "a model the configuration does not offer is a 422"

grep -q 'sk-test-proposals' "$T/parley.log" && ok 1 "the API key stays out of the log" || ok 0 "the API key stays out of the log"

done_testing

#!/usr/bin/env bash
# 0312-usage-proposals.t: proposal sections count in usage (GET /api/v1/usage and the /usage page)
# next to chat answers: per model answers, failures, tokens, average and 95th-percentile times,
# the per-source split and the days, failed section requests counted like failed chat answers
# (apart, out of the times, their tokens kept), and nobody sees another person's proposals.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/fake_openai.sh"
. "$top_srcdir/t/lib/content.sh"
. "$top_srcdir/t/lib/pages.sh"

fake_serve sk-test-usage
export PARLEY_LLM_IDLE_TIMEOUT=2
unset PARLEY_DEFAULT_MODEL

stack_start

# proposal MODEL: a new proposal with all six answers (writing its sections); its id in $P.
proposal() {
	api POST /api/v1/proposals "$(jq -cn --arg m "$1" '{model: $m}')"
	P=$(jget .id)
	answer_all "$P"
}
# stored COLUMN MODEL [WHERE]: the sum of COLUMN over the current person's chat answers and
# proposal requests with MODEL (MODEL % for all), as the store holds them.
stored() {
	sql "SELECT coalesce(sum(x), 0) FROM (
	     SELECT r.$1 AS x FROM responses r JOIN messages m ON m.id = r.message_id
	     JOIN conversations c ON c.id = m.conversation_id
	     WHERE c.user_id = '$USER_ID' AND r.model_used LIKE '$2' ${3:-}
	     UNION ALL SELECT p.$1 FROM proposal_usage p
	     WHERE p.user_id = '$USER_ID' AND p.model_used LIKE '$2' ${3:-}) s"
}
# fmt N: 12345 -> 12,345, as the page writes counts.
fmt() {
	sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"
}
# rowhead MODEL: the text of a model row's header cell.
rowhead() {
	tr -d '\n' <<<"$BODY" | grep -o "<tr data-model=\"$1\"><th scope=\"row\">.*" | sed 's|</th>.*||'
}

two_people Alice Bob

##
# Proposals alone
##
as B
proposal builtin/parley
is "$(jget '.write_error // "none"')" none "bob's builtin proposal is written"
is "$(sql "SELECT count(*) FROM proposal_usage WHERE user_id = '$USER_B' AND status = 'ok'")" 6 \
    "its six sections are recorded as usage"
api GET /api/v1/usage
is "$STATUS" 200 "GET /api/v1/usage answers 200"
is "$(jget '[.items[].model] | join(",")')" builtin/parley "proposal sections alone give a usage row"
is "$(jget '.items[0].answers')" 6 "six answers: one per section"
is "$(jget '.items[0].errors')" 0 "no errors"
is "$(jget '.items[0].tokens_total')" "$(stored tokens_total builtin/parley)" "their tokens are counted"
ok "$(jq -e '.items[0] | .tokens_total == .tokens_prompt + .tokens_completion and .tokens_total > 0' \
    <<<"$BODY" >/dev/null; echo $?)" "prompt and completion tokens add up"
is "$(jget '.items[0].estimated')" true "the builtin model's counts are estimates"
is "$(jget '.items[0].sources | [.chat.answers, .proposals.answers, .proposals.errors] | join(",")')" "0,6,0" \
    "the split says they are all proposal sections"
is "$(jget '.totals | [.answers, .sources.proposals.answers, .sources.chat.answers] | join(",")')" "6,6,0" \
    "and so do the totals"
is "$(jget '.daily[-1].answers')" 6 "today's answers include the sections"
is "$(jget '.daily[-1].tokens_total')" "$(stored tokens_total %)" "and today's tokens their tokens"

http GET /usage
unlike "$BODY" 'No answers yet' "the usage page is not empty with proposals only"
is "$(cell builtin/parley answers)" 6 "the page counts the six sections"
like "$(rowhead builtin/parley)" '\(includes 6 proposal sections\)' "and says they are proposal sections"
like "$BODY" 'Answers are chat answers and proposal sections' "the page says what it counts"
like "$(svg)" "<desc id=\"usage-chart-desc\">$(fmt "$(stored tokens_total %)") tokens in 6 answers" \
    "the chart counts the sections and their tokens"

##
# Chat answers and proposal sections together, some of them failing
##
as A
api POST /api/v1/conversations '{}'
CONV=$(jget .id)
say "$CONV" "what are my tasks?"
is "$(jget .assistant_message.status)" complete "alice's builtin chat answer"
script "text:Hello from the fake model."
say "$CONV" "hello" openai/fake-1
is "$(jget .assistant_message.status)" complete "a chat answer by openai/fake-1"
script "status:500" "status:500"
say "$CONV" "this will fail" openai/fake-1
is "$(jget .assistant_message.status)" error "and one that fails"

proposal builtin/parley
is "$(jget '.write_error // "none"')" none "alice's builtin proposal is written"
script "text:Summary one." "status:500"
proposal openai/fake-1
like "$(jget '.write_error // "none"')" 'could not be written' "her openai/fake-1 proposal fails after one section"
is "$(sql "SELECT string_agg(status, ',' ORDER BY created_at) FROM proposal_usage
           WHERE user_id = '$USER_A' AND model_used = 'openai/fake-1'")" "ok,error" \
    "one section request succeeded and one failed"
PFAKE=$P

# Known times and tokens, so averages and percentiles can be checked: failures are slow and
# must stay out of the times; the failed section's tokens must still count.
sql "UPDATE responses r SET completion_time_ms = CASE WHEN m.status = 'error' THEN 90000 ELSE 1000 END,
     time_to_first_token_ms = CASE WHEN m.status = 'error' THEN 9000 ELSE 100 END
     FROM messages m WHERE m.id = r.message_id AND r.model_used = 'openai/fake-1'" >/dev/null
sql "UPDATE proposal_usage SET completion_time_ms = CASE WHEN status = 'error' THEN 90000 ELSE 3000 END,
     time_to_first_token_ms = CASE WHEN status = 'error' THEN 9000 ELSE 300 END
     WHERE session_id = '$PFAKE'" >/dev/null
sql "UPDATE proposal_usage SET tokens_prompt = 40, tokens_completion = 2, tokens_total = 42
     WHERE session_id = '$PFAKE' AND status = 'error'" >/dev/null

api GET /api/v1/usage
is "$STATUS" 200 "alice's usage"
B=$(jq -c '.items[] | select(.model == "builtin/parley")' <<<"$BODY")
F=$(jq -c '.items[] | select(.model == "openai/fake-1")' <<<"$BODY")
is "$(jq -r .answers <<<"$B")" 7 "builtin/parley: one chat answer and six sections"
is "$(jq -r '.sources | [.chat.answers, .proposals.answers] | join(",")' <<<"$B")" "1,6" \
    "split into chat and proposals (bob's sections are not among them)"
is "$(jq -r .tokens_prompt <<<"$B")" "$(stored tokens_prompt builtin/parley)" "its prompt tokens cover both"
is "$(jq -r .tokens_completion <<<"$B")" "$(stored tokens_completion builtin/parley)" "its completion tokens too"
is "$(jq -r .tokens_total <<<"$B")" "$(stored tokens_total builtin/parley)" "and its total tokens"
is "$(jq -r .sources.proposals.tokens_total <<<"$B")" \
    "$(sql "SELECT sum(tokens_total) FROM proposal_usage WHERE user_id = '$USER_A' AND model_used = 'builtin/parley'")" \
    "the proposals' share of the tokens"
is "$(jq -r .answers <<<"$F")" 2 "openai/fake-1: the chat answer and the section that worked"
is "$(jq -r .errors <<<"$F")" 2 "the failed chat answer and the failed section are errors"
is "$(jq -r '.sources | [.chat.answers, .chat.errors, .proposals.answers, .proposals.errors] | join(",")' <<<"$F")" \
    "1,1,1,1" "one of each per source"
is "$(jq -r .tokens_total <<<"$F")" "$(stored tokens_total openai/fake-1)" "failed requests' tokens count"
ok "$(jq -e '.tokens_prompt >= 40 and .sources.proposals.tokens_total >= 42' <<<"$F" >/dev/null; echo $?)" \
    "the failed section's tokens among them"
is "$(jq -r .avg_completion_time_ms <<<"$F")" 2000 "the average time is of the two answers only"
is "$(jq -r .p95_completion_time_ms <<<"$F")" 2900 "so is the 95th percentile"
is "$(jq -r .avg_time_to_first_token_ms <<<"$F")" 200 "and the time to the first token"
is "$(jget '.totals | [.answers, .sources.chat.answers, .sources.proposals.answers, .sources.proposals.errors] | join(",")')" \
    "9,2,7,1" "totals: nine answers, seven of them sections, one failed section apart"
is "$(jget .totals.tokens_total)" "$(stored tokens_total %)" "total tokens cover everything alice used"
is "$(jget '.daily[-1].answers')" 9 "today has the nine answers"
is "$(jget '.daily[-1].tokens_total')" "$(stored tokens_total %)" "and every token"
ALICE_TOTAL=$(jget .totals.tokens_total)

http GET /usage
is "$(cell builtin/parley answers)" 7 "the page: builtin/parley's seven answers"
like "$(rowhead builtin/parley)" '\(includes 6 proposal sections\)' "six of them proposal sections"
is "$(cell builtin/parley tokens_total)" "$(fmt "$(stored tokens_total builtin/parley)")" "with their tokens"
is "$(cell openai/fake-1 answers)" 2 "openai/fake-1's two answers"
like "$(rowhead openai/fake-1)" '\(includes 1 proposal section\)</span> <span class="small muted">\(2 failed\)' \
    "one a proposal section, and both failures noted"
is "$(cell openai/fake-1 avg_time)" "2.0 s" "the average time leaves the failures out"
is "$(cell openai/fake-1 p95_time)" "2.9 s" "the 95th percentile too"
is "$(cell openai/fake-1 avg_ttft)" "200 ms" "and the first-token time"
is "$(cell all answers)" 9 "the totals row counts chat answers and sections"
is "$(cell all tokens_total)" "$(fmt "$ALICE_TOTAL")" "and all their tokens"
like "$(svg)" "<desc id=\"usage-chart-desc\">$(fmt "$ALICE_TOTAL") tokens in 9 answers" \
    "the chart: every token and answer of the last 30 days"
TODAY=$(date -u +%Y-%m-%d)
like "$(tr -d '\n' <<<"$BODY" | grep -o "<time datetime=\"$TODAY\">[^<]*</time></th><td class=\"num\">[0-9]*<")" \
    '>9<$' "today's row in the data table has the nine"

http GET '/usage?model=openai/fake-1'
like "$(svg)" "<desc id=\"usage-chart-desc\">$(fmt "$(stored tokens_total openai/fake-1)") tokens in 2 answers" \
    "one model's chart includes its proposal sections"

# Sections written three days ago land on that day.
sql "UPDATE proposal_usage SET created_at = now() - interval '3 days'
     WHERE user_id = '$USER_A' AND model_used = 'builtin/parley'" >/dev/null
OLD=$(sql "SELECT sum(tokens_total) FROM proposal_usage WHERE user_id = '$USER_A' AND model_used = 'builtin/parley'")
api GET /api/v1/usage
is "$(jget '.daily[-4] | [.date, .answers, .tokens_total] | join(",")')" \
    "$(date -u -d '3 days ago' +%Y-%m-%d),6,$OLD" "sections from three days ago are on their day"
is "$(jget '.daily[-1].answers')" 3 "and no longer today"
http GET /usage
like "$(tr -d '\n' <<<"$BODY" | grep -o "<time datetime=\"$(date -u -d '3 days ago' +%Y-%m-%d)\">[^<]*</time></th><td class=\"num\">[0-9]*<")" \
    '>6<$' "the page's table agrees"
like "$(svg)" "<desc id=\"usage-chart-desc\">[^<]*the busiest day was $(date -u -d '3 days ago' '+%b %-d, %Y')" \
    "and the busiest day is the one with the sections"

##
# Nobody sees another person's proposals
##
as B
api GET /api/v1/usage
is "$(jget '[.items[].model] | join(",")')" builtin/parley "bob sees none of alice's models"
is "$(jget '.totals | [.answers, .sources.chat.answers, .sources.proposals.answers] | join(",")')" "6,0,6" \
    "and only his own six sections"
is "$(jget .totals.tokens_total)" "$(stored tokens_total %)" "and his own tokens"
http GET /usage
unlike "$BODY" 'openai/fake-1' "his page does not show alice's model"
is "$(cell all answers)" 6 "nor her answers"

# A proposal's usage goes with it.
as A
api DELETE "/api/v1/proposals/$PFAKE"
is "$STATUS" 204 "alice deletes her openai/fake-1 proposal"
api GET /api/v1/usage
is "$(jq -r '.items[] | select(.model == "openai/fake-1") | [.answers, .errors, .sources.proposals.answers] | join(",")' <<<"$BODY")" \
    "1,1,0" "its sections no longer count; her chat answers do"

done_testing

#!/usr/bin/env bash
# 0311-usage.t: the /usage page through nginx: its empty state, the figures per model (matching
# what was stored for each answer), tokens per day for the last 30 days as a well-formed SVG
# chart with text alternatives and a data table, the chart for one model, and privacy.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/pages.sh"

# A second model whose answers fail at once (nothing listens there): they count as errors.
export PARLEY_OPENAI_MODELS=offline-model
export PARLEY_OPENAI_BASE_URL=http://127.0.0.1:9/v1

stack_start

# Sums a column of the current person's responses ($1: tokens_total, ...), by model ($2).
stored_sum() {
	sql "SELECT coalesce(sum(r.$1), 0) FROM responses r JOIN messages m ON m.id = r.message_id
	     JOIN conversations c ON c.id = m.conversation_id
	     WHERE c.user_id = '$USER_ID' AND r.model_used = '$2'"
}

fmt() {
	printf "%'d" "$1" 2>/dev/null || printf '%d' "$1"
}

http GET /usage
like "$STATUS" '^30[23]$' "/usage without a login redirects"

two_people Alice Bob

##
# Nothing yet
##
http GET /usage
is "$STATUS" 200 "/usage answers 200"
like "$BODY" 'aria-current="page">Usage<' "the Usage link in the navigation is current"
like "$BODY" '<h2>No answers yet</h2>' "with no answers, the empty state"
like "$BODY" 'in a chat or as a proposal section' "which says proposal sections count too"
unlike "$BODY" '<svg' "and no chart"

##
# Some answers
##
post /chat model=builtin/parley
CONV=$(header Location | sed 's|^/chat/||')
for q in 'add a task to buy milk' 'what are my tasks?' 'hello there, what can you do?'; do
	post "/chat/$CONV/messages" "content=$q"
	[ "$STATUS" = 303 ] || diag "sending '$q': HTTP $STATUS"
done
post "/chat/$CONV/messages" 'content=anyone there?' model=openai/offline-model
is "$STATUS" 303 "an answer that fails is stored too"

http GET /usage
is "$STATUS" 200 "/usage with answers answers 200"
unlike "$BODY" 'No answers yet' "no empty state"
is "$(cell builtin/parley answers)" 3 "three answers by the builtin model"
is "$(cell builtin/parley tokens_prompt)" "$(fmt "$(stored_sum tokens_prompt builtin/parley)")" \
    "its prompt tokens are the sum of its answers'"
is "$(cell builtin/parley tokens_completion)" "$(fmt "$(stored_sum tokens_completion builtin/parley)")" \
    "its completion tokens too"
is "$(cell builtin/parley tokens_total)" "$(fmt "$(stored_sum tokens_total builtin/parley)")" \
    "and its total tokens"
like "$(cell builtin/parley avg_time)" '^[0-9.]+ m?s$' "an average answer time"
like "$(cell builtin/parley p95_time)" '^[0-9.]+ m?s$' "a 95th-percentile answer time"
like "$BODY" '<tr data-model="openai/offline-model">' "the failing model has its row"
is "$(cell openai/offline-model answers)" 0 "with no answers counted"
like "$BODY" '\(1 failed\)' "and its failure noted"
like "$BODY" 'builtin/parley <span class="badge badge-muted"[^>]*>estimated</span>' \
    "estimated counts are marked"
is "$(cell all answers)" 3 "the totals row counts every answer"
unlike "$BODY" 'proposal section\)' "no row claims proposal sections when there are none"

##
# The chart
##
SVG=$(svg)
isnt "$SVG" "" "the page has an SVG chart"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout - <<<"$SVG" 2>"$T/xmllint.err"
	ok $? "the SVG is well-formed XML"
	[ -s "$T/xmllint.err" ] && diag "$(cat "$T/xmllint.err")"
else
	grep -q '^<svg xmlns="http://www.w3.org/2000/svg"[^>]*>.*</svg>$' <<<"$SVG"
	ok $? "the SVG is one element (xmllint is not installed)"
fi
like "$SVG" '^<svg xmlns="http://www.w3.org/2000/svg" viewBox="[0-9 ]+"[^>]* role="img" aria-labelledby="usage-chart-title usage-chart-desc">' \
    "it is an image labelled by its title and description"
like "$SVG" '<title id="usage-chart-title">Tokens per day, last 30 days</title>' "with a title"
like "$SVG" '<desc id="usage-chart-desc">[0-9,]+ tokens in 3 answers over the last 30 days' \
    "and a description giving the figures"
is "$(grep -o '<g class="chart-day">' <<<"$SVG" | wc -l)" 30 "one bar per day for 30 days"
unlike "$SVG" '(fill|stroke)="#' "no colours written in: classes follow the colour scheme"
TODAY=$(date -u +%Y-%m-%d)
last_day=$(grep -o '<g class="chart-day">.*' <<<"$SVG" | sed 's/<g class="chart-day">/\n&/g' | tail -n 1)
like "$last_day" '<rect class="chart-bar" [^>]*height="[0-9.]+"/>' "today's bar is drawn"
like "$last_day" "<title>[A-Z][a-z]+ [0-9]+: $(fmt "$(( $(stored_sum tokens_total builtin/parley) + $(stored_sum tokens_total openai/offline-model) ))") tokens" \
    "and its tooltip gives today's tokens"
like "$BODY" '<figcaption id="usage-chart-caption">[0-9,]+ tokens in 3 answers' "the figure has a caption"
like "$BODY" "<th scope=\"row\"><time datetime=\"$TODAY\">" "the data table has today"
is "$(tr -d '\n' <<<"$BODY" | grep -o '<table class="table" data-days-table>.*' | grep -o '<time datetime=' | wc -l)" 30 \
    "and a row for each of the 30 days"
like "$(tr -d '\n' <<<"$BODY" | grep -o '<tbody><tr><th scope="row"><time datetime="[0-9-]*">[^<]*</time></th><td class="num">[0-9]*<' | tail -n 1)" \
    "datetime=\"$TODAY\">.*<td class=\"num\">3<\$" "newest day first, with its 3 answers"

# An answer from three days ago lands on its own day.
OLD=$(sql "SELECT r.id FROM responses r JOIN messages m ON m.id = r.message_id
          WHERE m.status = 'complete' ORDER BY r.created_at LIMIT 1")
sql "UPDATE responses SET created_at = now() - interval '3 days' WHERE id = '$OLD'" >/dev/null
THEN=$(date -u -d '3 days ago' +%Y-%m-%d)
http GET /usage
like "$(tr -d '\n' <<<"$BODY" | grep -o "<time datetime=\"$THEN\">[^<]*</time></th><td class=\"num\">[0-9]*<")" \
    '>1<$' "an older answer is counted on its day"
like "$(svg)" '<desc id="usage-chart-desc">[^<]*the busiest day was ' "the description names the busiest day"

# An answer from before the 30 days is in the table, not in the chart.
sql "UPDATE responses SET created_at = now() - interval '40 days' WHERE id = '$OLD'" >/dev/null
http GET /usage
is "$(cell builtin/parley answers)" 3 "answers from long ago still count per model"
like "$(svg)" '<desc id="usage-chart-desc">[0-9,]+ tokens in 2 answers' "but not in the last 30 days"

##
# One model's chart
##
http GET '/usage?model=builtin/parley'
like "$BODY" '<a href="/usage\?model=builtin%2Fparley#per-day-heading" aria-current="page">builtin/parley</a>' \
    "the chart can show one model"
like "$(svg)" '<title id="usage-chart-title">Tokens per day, last 30 days: builtin/parley</title>' \
    "and says which"
http GET '/usage?model=openai/offline-model'
like "$(svg)" '<desc id="usage-chart-desc">No tokens in the last 30 days \(UTC\) with openai/offline-model.</desc>' \
    "a model with only failures has nothing in its chart"
http GET '/usage?model=%3Cscript%3Ex'
is "$STATUS" 200 "an unknown model in the address"
like "$BODY" '<a href="/usage#per-day-heading" aria-current="page">All models</a>' "shows all models"
unlike "$BODY" '<script>x' "and is never echoed"

##
# Privacy
##
as B
http GET /usage
like "$BODY" '<h2>No answers yet</h2>' "another person's usage is not shown"
unlike "$BODY" 'builtin/parley</th>' "not even its models"

done_testing

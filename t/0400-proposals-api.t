#!/usr/bin/env bash
# 0400-proposals-api.t: /api/v1/proposals through nginx: the whole wizard by API
# (progress, history, changing an answer, the six sections), editing and
# regenerating one section, status, export, bad input, and isolation between people.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/content.sh"

stack_start

# section_contents ID: "name=sha" for every section, one per line (to compare states).
section_contents() {
	api GET "/api/v1/proposals/$1/sections" >/dev/null
	jq -r '.items[] | "\(.section_name)=\(.content | @base64)"' <<<"$BODY" |
	    while IFS='=' read -r n c; do echo "$n=$(printf '%s' "$c" | sha1sum | cut -c1-12)"; done
}

##
# Without a login
##
http GET /api/v1/proposals
is "$STATUS" 401 "the proposal list needs a login"
is "$(jget .error.code)" unauthorized "and says so in the error shape"

two_people

##
# Create
##
api GET /api/v1/proposals
is "$STATUS" 200 "GET /api/v1/proposals answers 200"
is "$(jget '.items | length')" 0 "a new account has no proposals"

api POST /api/v1/proposals '{}'
is "$STATUS" 201 "POST /api/v1/proposals creates a proposal (201)"
P=$(jget .id)
like "$P" "$uuid_re" "its id is a UUID"
is "$(header Location)" "/api/v1/proposals/$P" "Location points at it"
is "$(jget .title)" "Untitled proposal" "without a title it is called Untitled proposal"
is "$(jget .progress)" 0 "progress starts at 0"
is "$(jget .status)" active "status starts active"
is "$(jget '.history | length')" 0 "the history starts empty"
is "$(jget .next_question.field)" client_name "the first question is the client's name"
is "$(jget .next_question.question)" "Who is the proposal for?" "asked in words"
is "$(jget .model)" null "the model is the configured default (null)"
is "$(jget '[.client_name, .project_title, .project_goals, .timeline, .deliverables, .technologies] | map(. == null) | all')" true \
    "all six answers start empty"

api POST /api/v1/proposals '{"title": "Pitch for Globex"}'
is "$STATUS" 201 "POST with a title"
is "$(jget .title)" "Pitch for Globex" "keeps the title"
P2=$(jget .id)

api POST /api/v1/proposals '{"title": 5}'
is "$STATUS" 422 "a title that is not a string is a 422"
api POST /api/v1/proposals '{"title": "   "}'
is "$STATUS" 422 "an empty title is a 422"
api POST /api/v1/proposals "$(jq -cn --arg t "$(printf 'x%.0s' $(seq 1 201))" '{title: $t}')"
is "$STATUS" 422 "a 201-character title is a 422"
api POST /api/v1/proposals '{"model": "nope/unknown"}'
is "$STATUS" 422 "an unknown model is a 422"
like "$(jget .error.message)" 'not available' "with a message that says the model is not available"
api POST /api/v1/proposals '[1, 2]'
is "$STATUS" 422 "a body that is not an object is a 422"
api GET /api/v1/proposals
is "$(jget '.items | length')" 2 "the refused creations made nothing"

##
# The wizard, answer by answer
##
fields=(client_name project_title project_goals timeline deliverables technologies)
answers=(
	"Acme Bakery"
	"Website redesign"
	$'A faster, mobile-friendly site\nCustomers can order cakes online\nOpening hours and prices are easy to find'
	"Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3"
	$'Designs for the home and menu pages\nOnline ordering for custom cakes\nTraining for the shop\'s staff'
	"WordPress, WooCommerce, Stripe, Cloudflare"
)
progress=(17 33 50 67 83 100)
for i in 0 1 2 3 4 5; do
	answer "$P" "${fields[$i]}" "${answers[$i]}"
	is "$STATUS" 201 "answer $((i + 1)) (${fields[$i]}) is recorded (201)"
	is "$(jget .progress)" "${progress[$i]}" "progress after $((i + 1)) answers is ${progress[$i]}"
	is "$(jget ".${fields[$i]}")" "${answers[$i]}" "the ${fields[$i]} column holds the answer"
	is "$(jget '.history | length')" $((i + 1)) "the history has $((i + 1)) entries"
	is "$(jget '.history[-1] | [.field, .answer] | join("|")')" "${fields[$i]}|${answers[$i]}" \
	    "the newest history entry is this answer"
	if [ "$i" -lt 5 ]; then
		is "$(jget .next_question.field)" "${fields[$((i + 1))]}" "the next question is ${fields[$((i + 1))]}"
		api GET "/api/v1/proposals/$P/sections"
		is "$(jget '.items | length')" 0 "no sections are written before the sixth answer"
	fi
done
is "$(jget .next_question)" null "after six answers there is no next question"
like "$(jget '.history[0].answered_at')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "history entries carry the time"
is "$(jget '.history[0].question')" "Who is the proposal for?" "and the question asked"
is "$(jget '.history[2].question')" "What should the project achieve?" "for every answer"
is "$(jget .title)" "Website redesign for Acme Bakery" "the title follows the project and the client"
is "$(jget '.write_error // "none"')" none "writing the sections reported no error"
is "$(sql "SELECT progress FROM proposal_sessions WHERE id = '$P'")" 100 "progress is stored in the database"

##
# The six sections
##
api GET "/api/v1/proposals/$P/sections"
is "$STATUS" 200 "GET sections answers 200"
is "$(jget '[.items[].section_name] | join(",")')" \
    "executive_summary,objectives,scope_and_deliverables,timeline,technology,next_steps" \
    "the sixth answer wrote all six sections, in document order"
is "$(jget '[.items[] | select((.content | length) > 80)] | length')" 6 "every section has real text"
is "$(jget '[.items[] | select(.last_updated | test("^[0-9]{4}-"))] | length')" 6 "every section has last_updated"
is "$(jget '[.items[] | .model_used] | unique | join(",")')" "builtin/parley" "written by builtin/parley"

api GET "/api/v1/proposals/$P/sections/scope_and_deliverables"
is "$STATUS" 200 "GET one section"
is "$(jget '[keys[]] | map(select(. == "section_name" or . == "content" or . == "last_updated")) | length')" 3 \
    "it has section_name, content and last_updated"
SCOPE=$(jget .content)
like "$SCOPE" $'\n- Designs for the home and menu pages\n- Online ordering for custom cakes\n' "the deliverables become a list"
like "$SCOPE" 'Acme Bakery' "the scope names the client"

api GET "/api/v1/proposals/$P/sections/timeline"
TL=$(jget .content)
like "$TL" '1\. \*\*Discovery\*\*: 2 weeks \(weeks 1–2\)' "the timeline's periods become milestones (Discovery, weeks 1–2)"
like "$TL" '3\. \*\*Build\*\*: 6 weeks \(weeks 6–11\)' "laid end to end (Build, weeks 6–11)"
like "$TL" 'Launch\*\*: completed in Q3' "a quarter is a target"
like "$TL" 'about 11 weeks' "with the total"

api GET "/api/v1/proposals/$P/sections/technology"
TECH=$(jget .content)
like "$TECH" '- \*\*WordPress\*\* [a-z]' "each technology is a list entry with a sentence of approach"
like "$TECH" '- \*\*Stripe\*\* .*payments' "Stripe is for payments"

api GET "/api/v1/proposals/$P/sections/executive_summary"
SUM=$(jget .content)
like "$SUM" 'Acme Bakery' "the summary names the client"
like "$SUM" 'Website redesign' "and the project"
unlike "$SUM" 'Discovery 2 weeks, design 3 weeks' "it is not a dump of the raw answers"

api GET "/api/v1/proposals/$P/sections/pricing"
is "$STATUS" 422 "an unknown section name is a 422"
api GET "/api/v1/proposals/$P2/sections/objectives"
is "$STATUS" 404 "a section not written yet is a 404"

# The builtin writer is deterministic: the same answers give the same text.
api POST "/api/v1/proposals/$P/sections/scope_and_deliverables/regenerate"
is "$STATUS" 200 "regenerating a section answers 200"
is "$(jget .content)" "$SCOPE" "builtin/parley writes the same text from the same answers"

##
# Editing and regenerating one section leaves the others alone
##
before=$(section_contents "$P")
api GET "/api/v1/proposals/$P/sections/objectives"
OBJ_TIME=$(jget .last_updated)
sleep 0.05
api PUT "/api/v1/proposals/$P/sections/objectives" '{"content": "## Our aims\n\n- Sell **more** cakes online\n"}'
is "$STATUS" 200 "PUT a section answers 200"
is "$(jget '.content == "## Our aims\n\n- Sell **more** cakes online\n"')" true "the new Markdown is stored as sent"
is "$(jget .model_used)" null "an edited section has no model"
isnt "$(jget .last_updated)" "$OBJ_TIME" "its last_updated moved"
after=$(section_contents "$P")
is "$(diff <(echo "$before") <(echo "$after") | grep -c '^[<>]')" 2 "only that section changed"
is "$(grep -v '^objectives=' <<<"$after")" "$(grep -v '^objectives=' <<<"$before")" "the other five are unchanged"

before=$after
api POST "/api/v1/proposals/$P/sections/technology/regenerate"
is "$STATUS" 200 "regenerate another section"
after=$(section_contents "$P")
is "$(grep -v '^technology=' <<<"$after")" "$(grep -v '^technology=' <<<"$before")" \
    "regenerating one section leaves the others (and the edit) unchanged"
api GET "/api/v1/proposals/$P/sections/objectives"
like "$(jget .content)" 'Sell \*\*more\*\* cakes' "the edited section keeps the edit"

api POST "/api/v1/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 200 "regenerating the edited section"
like "$(jget .content)" 'these three objectives' "replaces the edit with text from the answers"
is "$(jget .model_used)" "builtin/parley" "written by the model again"

api PUT "/api/v1/proposals/$P/sections/objectives" '{"content": 42}'
is "$STATUS" 422 "content that is not a string is a 422"
api PUT "/api/v1/proposals/$P/sections/objectives" '{"content": "  "}'
is "$STATUS" 422 "empty content is a 422"
api PUT "/api/v1/proposals/$P/sections/objectives" '{}'
is "$STATUS" 422 "missing content is a 422"
api PUT "/api/v1/proposals/$P/sections/budget" '{"content": "x"}'
is "$STATUS" 422 "PUT to an unknown section is a 422"
api POST "/api/v1/proposals/$P/sections/budget/regenerate"
is "$STATUS" 422 "regenerating an unknown section is a 422"
api GET "/api/v1/proposals/$P/sections/objectives"
like "$(jget .content)" 'these three objectives' "the refused writes changed nothing"

##
# Going back and changing an answer
##
answer "$P" technologies "WordPress, WooCommerce, Stripe, Cloudflare"
is "$STATUS" 200 "the same answer again answers 200"
is "$(jget '.history | length')" 6 "and adds no history entry"
is "$(jget '.outdated_sections | length')" 0 "nothing is outdated"

before=$(section_contents "$P")
answer "$P" technologies "WordPress, WooCommerce, Mollie, Cloudflare"
is "$STATUS" 200 "changing an answer answers 200 (not 201)"
is "$(jget .technologies)" "WordPress, WooCommerce, Mollie, Cloudflare" "the new answer is stored"
is "$(jget '.history | length')" 7 "a changed answer adds a history entry"
is "$(jget '[.history[] | select(.field == "technologies") | .answer] | join(" / ")')" \
    "WordPress, WooCommerce, Stripe, Cloudflare / WordPress, WooCommerce, Mollie, Cloudflare" \
    "the old answer stays in the history: nothing is lost"
is "$(jget .progress)" 100 "progress stays 100"
is "$(jget '.outdated_sections | join(",")')" "executive_summary,technology" \
    "the sections written from the technologies are outdated"
is "$(section_contents "$P")" "$before" "changing an answer does not rewrite any section by itself"

api POST "/api/v1/proposals/$P/sections/technology/regenerate"
like "$(jget .content)" 'Mollie' "regenerating picks up the new answer"
api GET "/api/v1/proposals/$P"
is "$(jget '.outdated_sections | join(",")')" "executive_summary" "and that section is no longer outdated"

answer "$P" client_name "Acme Bakery Ltd"
is "$(jget .title)" "Website redesign for Acme Bakery Ltd" "a title the answers gave follows them"
is "$(jget '.outdated_sections | length')" 6 "the client's name is in every section"

##
# Bad answers
##
hist=$(jget '.history | length')
answer "$P" client_name ""
is "$STATUS" 422 "an empty answer is a 422"
like "$(jget .error.fields.answer)" 'required' "naming the answer field"
answer "$P" client_name $'  \n\t '
is "$STATUS" 422 "a blank answer is a 422"
answer "$P" budget "10,000 EUR"
is "$STATUS" 422 "an unknown field is a 422"
like "$(jget .error.fields.field)" 'client_name' "the message lists the fields"
api POST "/api/v1/proposals/$P/answers" '{"field": 3, "answer": "x"}'
is "$STATUS" 422 "a field that is not a string is a 422"
api POST "/api/v1/proposals/$P/answers" '{"field": "timeline", "answer": ["2 weeks"]}'
is "$STATUS" 422 "an answer that is not a string is a 422"
api POST "/api/v1/proposals/$P/answers" '{"answer": "x"}'
is "$STATUS" 422 "a missing field is a 422"
api POST "/api/v1/proposals/$P/answers" '"client_name"'
is "$STATUS" 422 "a body that is not an object is a 422"
answer "$P" project_goals "$(printf 'a%.0s' $(seq 1 5001))"
is "$STATUS" 422 "a 5,001-character answer is a 422"
api GET "/api/v1/proposals/$P"
is "$(jget '.history | length')" "$hist" "bad answers changed nothing"
is "$(jget .client_name)" "Acme Bakery Ltd" "the stored answer is as it was"

answer "$P2" client_name "$(printf 'é%.0s' $(seq 1 5000))"
is "$STATUS" 201 "an answer of exactly 5,000 characters (multi-byte) is fine, client name included"
is "$(jget '.client_name | length')" 5000 "and stored whole"
is "$(jget .title)" "Pitch for Globex" "a title the person chose does not follow the answers"

##
# How builtin/parley reads timelines, goals, lists and technologies
##
api POST /api/v1/proposals '{}'
P3=$(jget .id)
answer "$P3" client_name "globex corp"
answer "$P3" project_title "Data <platform> & *more*"
answer "$P3" project_goals "Increase online orders by 20%. Reduce support calls; Launch before summer"
answer "$P3" timeline "About 3 weeks starting in March"
answer "$P3" deliverables "API, admin dashboard, mobile app and documentation"
answer "$P3" technologies $'- React Native\n- PostgreSQL\n- Frobnicator'
is "$(jget .progress)" 100 "a second proposal, answered"

api GET "/api/v1/proposals/$P3/sections/objectives"
like "$(jget .content)" $'1\\. Increase online orders by 20%\\.\n2\\. Reduce support calls\\.\n3\\. Launch before summer\\.' \
    "goals are split at sentences and semicolons, one objective each"
api GET "/api/v1/proposals/$P3/sections/scope_and_deliverables"
like "$(jget .content)" $'- API\n- Admin dashboard\n- Mobile app\n- Documentation' \
    "a comma list with a final \"and\" is split into deliverables"
like "$(jget .content)" 'scope of \*\*Data \\<platform\\> & \\\*more\\\*\*\*' "Markdown in an answer is escaped, not obeyed"
api GET "/api/v1/proposals/$P3/sections/technology"
like "$(jget .content)" $'- \\*\\*React Native\\*\\* powers the mobile app' "a list of technologies, each with its role"
like "$(jget .content)" '\*\*Frobnicator\*\* is part of the stack' "an unknown one still gets a sentence"
api GET "/api/v1/proposals/$P3/sections/timeline"
like "$(jget .content)" 'agreed with globex corp: about 3 weeks starting in March\.' \
    "a timeline without stages stays a sentence"
unlike "$(jget .content)" '^1\.' "with no milestone list"

# timeline_case ANSWER REGEX DESC: the timeline section written from ANSWER matches REGEX.
timeline_case() {
	answer "$P3" timeline "$1" >/dev/null
	api POST "/api/v1/proposals/$P3/sections/timeline/regenerate"
	like "$(jget .content)" "$2" "$3"
}
timeline_case $'Phase 1: research (4 weeks)\nPhase 2: build - 3 months\nPhase 3: rollout in Q1 2026' \
    $'1\\. \\*\\*Phase 1 – Research\\*\\*: 4 weeks\n2\\. \\*\\*Phase 2 – Build\\*\\*: 3 months\n3\\. \\*\\*Phase 3 – Rollout\\*\\*: completed in Q1 2026' \
    "numbered phases keep their numbers, with weeks, months and a quarter"
like "$(jget .content)" 'about 17 weeks' "mixed units add up in weeks"
timeline_case "Design 2-3 weeks then build 6 weeks" \
    $'1\\. \\*\\*Design\\*\\*: 2–3 weeks \\(weeks 1–3\\)\n2\\. \\*\\*Build\\*\\*: 6 weeks \\(weeks 4–9\\)' \
    "a range and \"then\" are understood"
timeline_case "3 months of development, 1 month of testing, launch" \
    $'1\\. \\*\\*Development\\*\\*: 3 months \\(months 1–3\\)\n2\\. \\*\\*Testing\\*\\*: 1 month \\(month 4\\)\n3\\. \\*\\*Launch\\*\\*\n' \
    "\"N months of X\" names the milestone X, and a stage without a period is kept"

##
# Title and status
##
api PATCH "/api/v1/proposals/$P" '{"title": "Acme: the new website"}'
is "$STATUS" 200 "PATCH the title"
is "$(jget .title)" "Acme: the new website" "renamed"
answer "$P" project_title "Website relaunch"
is "$(jget .title)" "Acme: the new website" "a chosen title stays when the answers change"
api PATCH "/api/v1/proposals/$P" '{}'
is "$STATUS" 200 "an empty PATCH is fine"
api PATCH "/api/v1/proposals/$P" '{"status": "done"}'
is "$STATUS" 422 "an unknown status is a 422"
api PATCH "/api/v1/proposals/$P" '{"status": true}'
is "$STATUS" 422 "a status that is not a string is a 422"
api PATCH "/api/v1/proposals/$P" '{"title": ""}'
is "$STATUS" 422 "an empty title is a 422"
api PATCH "/api/v1/proposals/$P" '{"title": null}'
is "$STATUS" 422 "a null title is a 422"

api PATCH "/api/v1/proposals/$P" '{"status": "completed"}'
is "$STATUS" 200 "mark completed"
is "$(jget .status)" completed "status is completed"
before=$(section_contents "$P")
answer "$P" timeline "Two weeks"
is "$STATUS" 409 "answers to a completed proposal are refused (409)"
like "$(jget .error.message)" '[Rr]eopen' "with a message that says to reopen it"
api PUT "/api/v1/proposals/$P/sections/objectives" '{"content": "x"}'
is "$STATUS" 409 "section edits are refused"
api POST "/api/v1/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 409 "regenerating is refused"
api PATCH "/api/v1/proposals/$P" '{"title": "Other"}'
is "$STATUS" 409 "renaming a completed proposal is refused"
is "$(section_contents "$P")" "$before" "nothing changed while completed"
api GET "/api/v1/proposals/$P/sections"
is "$STATUS" 200 "a completed proposal can still be read"
api PATCH "/api/v1/proposals/$P" '{"status": "active"}'
is "$STATUS" 200 "reopen"
is "$(jget .status)" active "status is active again"
answer "$P" timeline "Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3, support 3 months"
is "$STATUS" 200 "answers work again after reopening"

##
# Export
##
api POST "/api/v1/proposals/$P/sections/objectives/regenerate" >/dev/null
http GET "/proposals/$P/export.md"
is "$STATUS" 200 "export answers 200"
is "$(header Content-Type)" "text/markdown; charset=utf-8" "as text/markdown; charset=utf-8"
is "$(header Content-Disposition)" 'attachment; filename="website-relaunch.md"' \
    "as an attachment named after the project"
is "$(head -n 1 "$BODY_FILE")" "# Acme: the new website" "the file starts with the title"
like "$BODY" $'\\*\\*Client:\\*\\* Acme Bakery Ltd' "it names the client"
is "$(grep '^## ' "$BODY_FILE" | tr '\n' '|')" \
    "## Executive summary|## Objectives|## Scope and deliverables|## Timeline and milestones|## Technology approach|## Next steps|" \
    "it has the six sections in order"
like "$BODY" 'these three objectives' "with their current text"

##
# Usage
##
is "$(sql "SELECT count(*) >= 6, bool_and(model_used = 'builtin/parley'), bool_and(tokens_estimated), bool_and(tokens_total > 0)
    FROM proposal_usage WHERE session_id = '$P'")" "t|t|t|t" "every section written is recorded in proposal_usage"

##
# Preview
##
api POST "/api/v1/proposals/$P/preview" '{"content": "**bold** <script>alert(1)</script>\n\n[x](javascript:alert(1))"}'
is "$STATUS" 200 "preview answers 200"
like "$(jget .html)" '<strong>bold</strong>' "it renders Markdown"
unlike "$(jget .html)" '<script|javascript:' "in safe mode: no script, no javascript: link"

##
# Isolation: Bob sees none of it
##
as B
api GET /api/v1/proposals
is "$(jget '.items | length')" 0 "Bob's list is empty"
for route in "GET /api/v1/proposals/$P" "PATCH /api/v1/proposals/$P {\"title\":\"mine\"}" \
    "DELETE /api/v1/proposals/$P" "POST /api/v1/proposals/$P/answers {\"field\":\"client_name\",\"answer\":\"Bob\"}" \
    "GET /api/v1/proposals/$P/sections" "GET /api/v1/proposals/$P/sections/objectives" \
    "GET /api/v1/proposals/$P/sections/pricing" \
    "PUT /api/v1/proposals/$P/sections/objectives {\"content\":\"mine\"}" \
    "POST /api/v1/proposals/$P/sections/objectives/regenerate" \
    "POST /api/v1/proposals/$P/preview {\"content\":\"x\"}" \
    "GET /proposals/$P" "GET /proposals/$P/export.md" "GET /proposals/$P/delete"; do
	read -r m path body <<<"$route"
	if [ -n "$body" ]; then api "$m" "$path" "$body"; else api "$m" "$path"; fi
	is "$STATUS" 404 "Bob: $m $path is a 404"
done
api GET /api/v1/proposals/not-a-uuid
is "$STATUS" 404 "a malformed id is a 404"
as A
api GET "/api/v1/proposals/$P"
is "$(jget .title)" "Acme: the new website" "Alice's proposal is untouched"

##
# Delete
##
api DELETE "/api/v1/proposals/$P"
is "$STATUS" 204 "DELETE answers 204"
api GET "/api/v1/proposals/$P"
is "$STATUS" 404 "the proposal is gone"
is "$(sql "SELECT count(*) FROM proposal_sections WHERE session_id = '$P'")" 0 "its sections went with it"
api DELETE "/api/v1/proposals/$P"
is "$STATUS" 404 "deleting it again is a 404"
api GET /api/v1/proposals
is "$(jget '[.items[].id] | sort | join(",")')" "$(printf '%s\n' "$P2" "$P3" | sort | paste -sd,)" \
    "the other proposals remain"

done_testing

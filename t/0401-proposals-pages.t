#!/usr/bin/env bash
# 0401-proposals-pages.t: the /proposals pages through nginx, as a browser without
# JavaScript uses them: the wizard step by step with Back, Next and "Save and finish
# later", the written document, editing with a preview, regenerating, changed answers,
# completing and reopening, settings, deleting, and other people's proposals.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# api_get PATH: a JSON read as the current person (the state behind the pages), in $BODY.
api_get() {
	http GET "$1"
}

# progress_shown: the "N% answered" of the last wizard page.
progress_shown() {
	sed -n 's/.*data-progress>\([0-9]*\)% answered<.*/\1/p' <<<"$BODY" | head -n 1
}

# answer_box: the value of the wizard's answer control in the last page (input or textarea).
answer_box() {
	local v
	v=$(sed -n 's/.*<input id="answer" name="answer"[^>]* value="\([^"]*\)".*/\1/p' <<<"$BODY")
	if [ -z "$v" ]; then
		v=$(tr '\n' '\a' <<<"$BODY" | sed -n 's/.*<textarea id="answer"[^>]*>\([^<]*\)<\/textarea>.*/\1/p' | tr '\a' '\n')
	fi
	printf '%s' "$v"
}

##
# Signed out
##
http GET /proposals
like "$STATUS" '^30[23]$' "/proposals without a login redirects"
like "$(location)" '^/login\?next=(%2F|/)proposals' "to the login page, coming back to /proposals"

two_people

##
# The list, empty, and a new proposal
##
http GET /proposals
is "$STATUS" 200 "/proposals answers 200"
like "$BODY" '<h1>Proposals</h1>' "it is the proposals page"
like "$BODY" 'aria-current="page">Proposals<' "the Proposals link in the navigation is current"
like "$BODY" 'No proposals yet' "a first-use hint when there are none"
like "$BODY" '>New proposal</button>' "with a New proposal button"

http POST /proposals --data-urlencode "csrf_token="
is "$STATUS" 403 "creating without the CSRF token is refused"
post /proposals
is "$STATUS" 303 "New proposal answers 303"
like "$(location)" '^/proposals/[0-9a-f-]{36}$' "to the new proposal"
P=$(location | sed 's|.*/||')

##
# Step by step
##
http GET "/proposals/$P"
is "$STATUS" 200 "the new proposal opens"
like "$BODY" 'Step 1 of 6' "at step 1 of 6"
like "$BODY" 'Who is the proposal for\?' "with the first question"
like "$BODY" 'class="hint" id="answer-hint">The client' "a hint"
like "$BODY" 'class="wizard-example"[^>]*>.*Acme Bakery' "and an example"
is "$(progress_shown)" 0 "0% answered"
like "$BODY" '<progress class="progress" max="100" value="0"' "with a progress bar at 0"
unlike "$BODY" 'value="back"' "no Back on the first step"
like "$BODY" 'Save and finish later' "Save and finish later is offered"
like "$BODY" 'name="field" value="client_name"' "the form answers client_name"
like "$BODY" '<li aria-current="step"><span>Client</span>' "the step list marks the current step"

post "/proposals/$P/answers" field=client_name "answer=" action=next
is "$STATUS" 422 "Next without an answer is refused"
like "$BODY" 'Please answer the question' "with the reason in the page"
like "$BODY" 'aria-invalid="true"' "and the field marked invalid"
api_get "/api/v1/proposals/$P"
is "$(jget '.history | length')" 0 "nothing was saved"

post "/proposals/$P/answers" field=client_name "answer=Smith & <Sons>" action=next
is "$STATUS" 303 "Next with an answer answers 303"
is "$(location)" "/proposals/$P?step=2" "to step 2"
http GET "$(location)"
like "$BODY" 'Step 2 of 6' "step 2 of 6"
like "$BODY" 'What is the project called\?' "asks for the project's name"
is "$(progress_shown)" 17 "17% answered"
like "$BODY" '<li class="done"><a href="/proposals/'"$P"'\?step=1">Client</a>' "step 1 is done and can be reopened"
like "$BODY" 'value="back"' "Back is offered"
like "$BODY" 'Smith &amp; &lt;Sons&gt;' "the title from the answer is escaped in the page"
unlike "$BODY" '<Sons>' "never raw"

post "/proposals/$P/answers" field=project_title "answer=Website redesign" action=save
is "$STATUS" 303 "Save and finish later answers 303"
is "$(location)" "/proposals?msg=saved" "back to the list"
http GET "$(location)"
like "$BODY" 'Your answers are saved' "with a confirmation"
like "$BODY" "href=\"/proposals/$P\">Website redesign for Smith &amp; &lt;Sons&gt;</a>" \
    "the list shows the title the answers gave"
like "$BODY" 'class="meter-fill pct-33"' "with a progress bar at 33%"
like "$BODY" 'data-status>Active<' "and the status"

http GET "/proposals/$P"
like "$BODY" 'Step 3 of 6' "opening it again resumes at the first open step"
post "/proposals/$P/answers" field=project_goals "answer=" action=back
is "$(location)" "/proposals/$P?step=2" "Back with an empty answer goes back without saving"
api_get "/api/v1/proposals/$P"
is "$(jget .progress)" 33 "progress is unchanged"

http GET "/proposals/$P?step=1"
like "$BODY" 'Step 1 of 6' "an earlier step can be reopened"
is "$(answer_box)" "Smith &amp; &lt;Sons&gt;" "showing its answer"
post "/proposals/$P/answers" field=client_name "answer=Acme Bakery" action=next
is "$(location)" "/proposals/$P?step=2" "changing it goes on to the next step"
api_get "/api/v1/proposals/$P"
is "$(jget .client_name)" "Acme Bakery" "the answer is changed"
is "$(jget '[.history[] | .answer] | join("|")')" "Smith & <Sons>|Website redesign|Acme Bakery" \
    "and the history keeps every answer"
is "$(jget .title)" "Website redesign for Acme Bakery" "the title follows"

http GET "/proposals/$P?step=3"
like "$BODY" '<textarea id="answer"' "longer answers get a text area"
post "/proposals/$P/answers" field=project_goals $'answer=A faster, mobile-friendly site\nCustomers can order cakes online' action=next
is "$(location)" "/proposals/$P?step=4" "step 3 -> 4"
post "/proposals/$P/answers" field=timeline "answer=Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3" action=next
is "$(location)" "/proposals/$P?step=5" "step 4 -> 5"
post "/proposals/$P/answers" field=deliverables $'answer=Designs for the home and menu pages\nOnline ordering for custom cakes' action=next
is "$(location)" "/proposals/$P?step=6" "step 5 -> 6"
http GET "/proposals/$P?step=6"
like "$BODY" 'Step 6 of 6' "the last step"
like "$BODY" 'Finish and write the proposal' "finishes the wizard"
post "/proposals/$P/answers" field=technologies "answer=WordPress, Stripe" action=next
is "$STATUS" 303 "the sixth answer answers 303"
is "$(location)" "/proposals/$P?msg=written" "to the written proposal"

##
# The document
##
http GET "$(location)"
is "$STATUS" 200 "the document page answers 200"
like "$BODY" 'your proposal is written' "with a confirmation"
like "$BODY" '<article class="doc"' "the whole document is shown"
like "$BODY" '<h1 id="doc-title">Website redesign for Acme Bakery</h1>' "with its title"
like "$BODY" 'Prepared for Acme Bakery' "and the client"
is "$(grep -o '<h2 id="heading-[a-z_]*">[^<]*</h2>' <<<"$BODY" | sed 's/<[^>]*>//g' | tr '\n' '|')" \
    "Executive summary|Objectives|Scope and deliverables|Timeline and milestones|Technology approach|Next steps|" \
    "the six sections, in order"
like "$BODY" '<li><strong>Discovery</strong>: 2 weeks \(weeks 1–2\)</li>' "rendered from Markdown"
is "$(grep -c 'class="section-meta">Last updated' <<<"$BODY")" 6 "each section shows when it was last updated"
is "$(grep -c '<details class="section-edit"' <<<"$BODY")" 6 "each section can be edited in place"
is "$(grep -c 'Regenerate this section' <<<"$BODY")" 6 "and regenerated on its own"
before_doc=${BODY%%<article class=\"doc\"*}
is "$(grep -o '<form' <<<"$before_doc" | wc -l)" "$(grep -o '</form>' <<<"$before_doc" | wc -l)" \
    "the document is not inside a form (it prints)"
like "$BODY" "href=\"/proposals/$P/export.md\"" "Export is offered"
like "$BODY" '>Mark completed</button>' "Mark completed is offered"
unlike "$BODY" 'data-outdated' "nothing is outdated"

##
# Editing a section, with a preview
##
api_get "/api/v1/proposals/$P/sections/objectives"
OBJ=$(jget .content)
post "/proposals/$P/sections/objectives" "content=**Preview me** please" action=preview
is "$STATUS" 200 "Preview answers the page"
like "$BODY" 'data-preview><p><strong>Preview me</strong> please</p>' "with the draft rendered in the preview"
like "$BODY" '<details class="section-edit" open>' "the editor stays open"
like "$BODY" '\*\*Preview me\*\* please</textarea>' "with the draft in the box"
api_get "/api/v1/proposals/$P/sections/objectives"
is "$(jget .content)" "$OBJ" "a preview saves nothing"

post "/proposals/$P/sections/objectives" "content=$(printf 'x%.0s' $(seq 1 100001))" action=save
is "$STATUS" 422 "an overlong section is refused"
like "$BODY" 'at most 100000 characters' "with the reason next to the box"

post "/proposals/$P/sections/objectives" $'content=## Aims\n\n- Sell *more* cakes' action=save
is "$STATUS" 303 "Save section answers 303"
is "$(location)" "/proposals/$P?msg=section_saved#section-objectives" "back to that section"
http GET "/proposals/$P"
like "$BODY" '<h2>Aims</h2>' "the edited section is rendered"
like "$BODY" 'edited by hand' "and marked as edited"

post "/proposals/$P/sections/nope" "content=x"
is "$STATUS" 422 "an unknown section is a 422"

post "/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 303 "Regenerate this section answers 303"
is "$(location)" "/proposals/$P?msg=section_regenerated#section-objectives" "back to that section"
api_get "/api/v1/proposals/$P/sections/objectives"
is "$(jget .content)" "$OBJ" "the section is written from the answers again"

##
# Changing an answer later offers to regenerate what depends on it
##
http GET "/proposals/$P?step=6"
like "$BODY" 'Step 6 of 6' "a written proposal's answers can be reopened"
is "$(answer_box)" "WordPress, Stripe" "with the answer in the box"
like "$BODY" 'data-affects>Changing this answer affects these sections: <span class="badge badge-muted">Executive summary</span> <span class="badge badge-muted">Technology approach</span>' \
    "saying which sections depend on it"
api_get "/api/v1/proposals/$P/sections"
before=$(jq -c '[.items[] | .content]' <<<"$BODY")
post "/proposals/$P/answers" field=technologies "answer=WordPress, Mollie" action=save
is "$(location)" "/proposals/$P?msg=answer_saved" "saving goes back to the document"
api_get "/api/v1/proposals/$P/sections"
is "$(jq -c '[.items[] | .content]' <<<"$BODY")" "$before" "no section was rewritten by itself"
http GET "/proposals/$P?msg=answer_saved"
like "$BODY" 'data-outdated>' "the document offers to regenerate"
like "$BODY" 'written: <span class="badge badge-accent">Executive summary</span> <span class="badge badge-accent">Technology approach</span>' \
    "the sections that depend on the changed answer"
is "$(grep -c 'answers changed since' <<<"$BODY")" 2 "and marks them"
post "/proposals/$P/regenerate" which=outdated
is "$(location)" "/proposals/$P?msg=regenerated" "Regenerate them answers 303"
http GET "$(location)"
unlike "$BODY" 'data-outdated' "nothing is outdated any more"
like "$BODY" '<strong>Mollie</strong>' "the technology section uses the new answer"
post "/proposals/$P/regenerate" which=outdated
is "$(location)" "/proposals/$P?msg=nothing" "with nothing outdated there is nothing to do"
post "/proposals/$P/regenerate" which=everything
is "$STATUS" 422 "an unknown choice is a 422"

##
# Settings
##
post "/proposals/$P/settings" "title=Acme website proposal" model=
is "$(location)" "/proposals/$P?msg=settings" "settings save"
api_get "/api/v1/proposals/$P"
is "$(jget .title)" "Acme website proposal" "the title is changed"
post "/proposals/$P/settings" "title=Acme website proposal" model=nope/model
is "$STATUS" 422 "an unknown model is refused"
like "$BODY" 'is not available' "with the reason"
post "/proposals/$P/settings" "title=" model=
is "$STATUS" 422 "an empty title is refused"

##
# Completed and reopened
##
post "/proposals/$P/status" status=completed
is "$(location)" "/proposals/$P?msg=completed" "Mark completed answers 303"
http GET "$(location)"
like "$BODY" 'data-status>Completed<' "the status shows completed"
like "$BODY" '>Reopen</button>' "Reopen is offered"
like "$BODY" 'reopen it first' "the page says to reopen before changing anything"
unlike "$BODY" '<details class="section-edit"' "no section editors"
unlike "$BODY" 'Regenerate this section' "no regenerate buttons"
http GET "/proposals/$P?step=2"
like "$BODY" 'Reopen it to change its answers' "reopening a step asks to reopen the proposal first"
unlike "$BODY" 'data-wizard-form' "and shows no form"
post "/proposals/$P/answers" field=client_name "answer=Other" action=next
is "$STATUS" 409 "answering is refused (409)"
like "$BODY" 'Reopen it' "with the reason in the page"
post "/proposals/$P/sections/objectives" "content=x" action=save
is "$STATUS" 409 "editing a section is refused (409)"
post "/proposals/$P/sections/objectives/regenerate"
is "$STATUS" 409 "regenerating is refused (409)"
http GET /proposals
like "$BODY" 'data-status>Completed<' "the list shows it completed"
post "/proposals/$P/status" status=active
is "$(location)" "/proposals/$P?msg=reopened" "Reopen answers 303"
api_get "/api/v1/proposals/$P"
is "$(jget .status)" active "the proposal is active again"
post "/proposals/$P/status" status=archived
is "$STATUS" 422 "an unknown status is refused"

# Completed half way (through the API): the page is the document, not a wizard it cannot use.
post /proposals
P2=$(location | sed 's|.*/||')
post "/proposals/$P2/answers" field=client_name "answer=Initech" action=next
http PATCH "/api/v1/proposals/$P2" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary '{"status": "completed"}'
is "$STATUS" 200 "a half-done proposal can be marked completed through the API"
http GET "/proposals/$P2"
like "$BODY" '>Reopen</button>' "its page offers to reopen it"
unlike "$BODY" 'data-wizard-form' "instead of a wizard it could not use"
post "/proposals/$P2/delete"
is "$(location)" "/proposals?msg=deleted" "(and it goes)"

##
# Other people
##
as B
http GET /proposals
unlike "$BODY" "$P" "Bob's list does not show Alice's proposal"
for path in "/proposals/$P/answers field=client_name answer=Bob" "/proposals/$P/status status=completed" \
    "/proposals/$P/settings title=Mine" "/proposals/$P/sections/objectives content=Mine" \
    "/proposals/$P/sections/nope content=Mine" \
    "/proposals/$P/sections/objectives/regenerate" "/proposals/$P/regenerate which=all" \
    "/proposals/$P/delete"; do
	read -r -a words <<<"$path"
	post "${words[@]}"
	is "$STATUS" 404 "Bob: POST ${words[0]} is a 404"
done
http GET "/proposals/$P?step=1"
is "$STATUS" 404 "Bob cannot open a step of it"
as A
api_get "/api/v1/proposals/$P"
is "$(jget '[.title, .status, .client_name] | join("|")')" "Acme website proposal|active|Acme Bakery" \
    "Alice's proposal is untouched"

##
# Delete, with a confirmation
##
http GET "/proposals/$P/delete"
is "$STATUS" 200 "the delete confirmation answers 200"
like "$BODY" 'Delete this proposal\?' "it asks"
like "$BODY" "action=\"/proposals/$P/delete\"" "with the form that deletes"
post "/proposals/$P/delete"
is "$(location)" "/proposals?msg=deleted" "deleting answers 303 to the list"
http GET "$(location)"
like "$BODY" 'Proposal deleted' "with a confirmation"
unlike "$BODY" "$P" "and without the proposal"
http GET "/proposals/$P"
is "$STATUS" 404 "the proposal is gone"

done_testing

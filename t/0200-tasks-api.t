#!/usr/bin/env bash
# 0200-tasks-api.t: /api/v1/tasks through nginx: each action, the filter and order,
# validation, and that one person can never see or touch another's tasks.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# create TITLE: adds a task as the current person; prints its id.
create() {
	api POST /api/v1/tasks "$(jq -cn --arg t "$1" '{title: $t}')" >/dev/null
	jget .id
}

##
# Without a login
##
http GET /api/v1/tasks
is "$STATUS" 401 "the task list needs a login"
is "$(jget .error.code)" unauthorized "and says so in the error shape"

two_people

##
# Create, read, list
##
api GET /api/v1/tasks
is "$STATUS" 200 "a new account lists its tasks"
is "$(jget '.items | length')" 0 "and has none"

api POST /api/v1/tasks '{"title": "  Buy milk  ", "description": "Two litres, oat."}'
is "$STATUS" 201 "POST creates a task (201)"
milk=$(jget .id)
like "$milk" "$uuid_re" "the task has a UUID id"
is "$(jget .title)" "Buy milk" "the title is stored trimmed"
is "$(jget .description)" "Two litres, oat." "the description is stored"
is "$(jget .completed)" false "a new task is not completed"
like "$(jget .created_at)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "created_at is an ISO time"
is "$(jget .updated_at)" "$(jget .created_at)" "updated_at starts as created_at"
is "$(header Location)" "/api/v1/tasks/$milk" "Location names the new task"

api POST /api/v1/tasks '{"title": "Call Bob"}'
is "$STATUS" 201 "a task without a description is created"
call=$(jget .id)
is "$(jget .description)" null "and its description is null"

api GET "/api/v1/tasks/$milk"
is "$STATUS" 200 "GET /tasks/{id} finds the task"
is "$(jget '[.id, .title, .description, .completed] | @json')" \
    "[\"$milk\",\"Buy milk\",\"Two litres, oat.\",false]" "with the fields as stored"

third=$(create "Write report")
api GET /api/v1/tasks
is "$(jget '[.items[].title] | @json')" '["Write report","Call Bob","Buy milk"]' \
    "the list is newest first"
is "$(jget '.items[0] | keys | sort | @json')" \
    '["completed","created_at","description","id","title","updated_at","user_id"]' \
    "each item has the task fields"

##
# Complete, and the order and filters that follow from it
##
api GET "/api/v1/tasks/$third"
before=$(jget .updated_at)
api PATCH "/api/v1/tasks/$third" '{"completed": true}'
is "$STATUS" 200 "PATCH completed: true answers 200"
is "$(jget .completed)" true "the task is completed"
after=$(jget .updated_at)
ok "$([[ $after > $before ]]; echo $?)" "updated_at moved forward ($before -> $after)"

api GET /api/v1/tasks
is "$(jget '[.items[].title] | @json')" '["Call Bob","Buy milk","Write report"]' \
    "completed tasks come after pending ones"
api GET '/api/v1/tasks?completed=true'
is "$(jget '[.items[].title] | @json')" '["Write report"]' "?completed=true lists the completed task only"
api GET '/api/v1/tasks?completed=false'
is "$(jget '[.items[].title] | @json')" '["Call Bob","Buy milk"]' "?completed=false lists the pending ones"
for bad in yes 1 TRUE ''; do
	api GET "/api/v1/tasks?completed=$bad"
	is "$STATUS" 422 "?completed=$bad is refused (422)"
done
like "$(jget .error.message)" "completed.*true or false" "with a message that says what is allowed"

api PATCH "/api/v1/tasks/$third" '{"completed": false}'
is "$(jget .completed)" false "PATCH completed: false makes it pending again"

##
# Update
##
api GET "/api/v1/tasks/$milk"
before=$(jget .updated_at)
api PATCH "/api/v1/tasks/$milk" '{"title": "Buy oat milk", "colour": "red"}'
is "$STATUS" 200 "PATCH title with an unknown field answers 200"
is "$(jget .title)" "Buy oat milk" "the title changed"
is "$(jget .description)" "Two litres, oat." "the description was left alone"
is "$(jget 'has("colour")')" false "the unknown field was ignored"
after=$(jget .updated_at)
ok "$([[ $after > $before ]]; echo $?)" "updated_at moved on a title change"

api PATCH "/api/v1/tasks/$milk" '{"description": "From the corner shop"}'
is "$(jget .description)" "From the corner shop" "PATCH description changes it"
api PATCH "/api/v1/tasks/$milk" '{"description": null}'
is "$(jget .description)" null "description: null clears it"
api PATCH "/api/v1/tasks/$milk" '{"description": "again"}'
api PATCH "/api/v1/tasks/$milk" '{"description": ""}'
is "$(jget .description)" null "an empty description clears it too"

api PATCH "/api/v1/tasks/$milk" '{"title": "Buy milk", "description": "Two", "completed": true}'
is "$(jget '[.title, .description, .completed] | @json')" '["Buy milk","Two",true]' \
    "PATCH can change all three fields at once"

before=$(jget .updated_at)
api PATCH "/api/v1/tasks/$milk" '{}'
is "$STATUS" 200 "an empty PATCH answers 200"
is "$(jget .updated_at)" "$before" "and changes nothing, not even updated_at"
api PATCH "/api/v1/tasks/$milk" '{"completed": true, "title": "Buy milk"}'
is "$(jget .updated_at)" "$before" "setting the values it already has changes nothing either"

##
# Validation: nothing changes when the input is wrong
##
api GET "/api/v1/tasks/$milk"
snapshot=$BODY
check_unchanged() {
	api GET "/api/v1/tasks/$milk"
	is "$BODY" "$snapshot" "$1: the task is unchanged"
}

api PATCH "/api/v1/tasks/$milk" '{"completed": "yes"}'
is "$STATUS" 422 "completed as a string is refused (422)"
is "$(jget .error.code)" invalid "with code invalid"
like "$(jget .error.fields.completed)" "true or false" "naming the completed field"
check_unchanged "completed: \"yes\""

api PATCH "/api/v1/tasks/$milk" '{"completed": 1}'
is "$STATUS" 422 "completed as a number is refused"
api PATCH "/api/v1/tasks/$milk" '{"completed": null}'
is "$STATUS" 422 "completed: null is refused"
api PATCH "/api/v1/tasks/$milk" '{"title": 5}'
is "$STATUS" 422 "a numeric title is refused"
like "$(jget .error.fields.title)" "must be a string" "because it must be a string"
api PATCH "/api/v1/tasks/$milk" '{"description": ["a"]}'
is "$STATUS" 422 "an array description is refused"
api PATCH "/api/v1/tasks/$milk" '{"title": ""}'
is "$STATUS" 422 "an empty title is refused"
api PATCH "/api/v1/tasks/$milk" '{"title": "   "}'
is "$STATUS" 422 "a title of spaces is refused"
api PATCH "/api/v1/tasks/$milk" "{\"title\": \"$(printf 'x%.0s' {1..501})\"}"
is "$STATUS" 422 "a 501-character title is refused"
like "$(jget .error.message)" "at most 500" "with the limit in the message"
api PATCH "/api/v1/tasks/$milk" '{"title": "ok", "completed": "no"}'
is "$STATUS" 422 "one bad field refuses the whole change"
api PATCH "/api/v1/tasks/$milk" '[1, 2]'
is "$STATUS" 422 "a body that is not an object is refused"
check_unchanged "after every refused PATCH"

api GET /api/v1/tasks
count_before=$(jget '.items | length')
api POST /api/v1/tasks '{}'
is "$STATUS" 422 "POST without a title is refused"
like "$(jget .error.fields.title)" "required" "the title is required"
api POST /api/v1/tasks '{"title": ""}'
is "$STATUS" 422 "POST with an empty title is refused"
api POST /api/v1/tasks '{"title": 42}'
is "$STATUS" 422 "POST with a numeric title is refused"
api POST /api/v1/tasks '{"title": true}'
is "$STATUS" 422 "POST with a boolean title is refused"
api POST /api/v1/tasks '{"title": "ok", "description": 7}'
is "$STATUS" 422 "POST with a numeric description is refused"
api POST /api/v1/tasks "{\"title\": \"$(printf 'x%.0s' {1..501})\"}"
is "$STATUS" 422 "POST with a 501-character title is refused"
api POST /api/v1/tasks "{\"title\": \"t\", \"description\": \"$(printf 'd%.0s' {1..10001})\"}"
is "$STATUS" 422 "POST with a 10,001-character description is refused"
like "$(jget .error.fields.description)" "at most 10000" "naming the description limit"
api GET /api/v1/tasks
is "$(jget '.items | length')" "$count_before" "no refused POST created a task"

api POST /api/v1/tasks "{\"title\": \"$(printf 'x%.0s' {1..500})\"}"
is "$STATUS" 201 "a 500-character title is accepted"
long=$(jget .id)
api POST /api/v1/tasks "{\"title\": \"$(printf 'é%.0s' {1..500})\"}"
is "$STATUS" 201 "500 two-byte characters are accepted (characters, not bytes)"
wide=$(jget .id)
api POST /api/v1/tasks '{"title": "Plan trip", "priority": "high", "completed": true}'
is "$STATUS" 201 "POST ignores unknown fields"
is "$(jget '[has("priority"), .completed] | @json')" '[false,false]' \
    "the unknown field is not stored and a new task starts pending"
trip=$(jget .id)

##
# Ids that do not name a task
##
for bad in not-a-uuid 12345 "${milk}x" "${milk:0:35}"; do
	api GET "/api/v1/tasks/$bad"
	is "$STATUS" 404 "GET /tasks/$bad is 404"
done
is "$(jget .error.code)" not_found "with code not_found"
api PATCH /api/v1/tasks/not-a-uuid '{"title": "x"}'
is "$STATUS" 404 "PATCH of a malformed id is 404, not 422"
api DELETE /api/v1/tasks/not-a-uuid
is "$STATUS" 404 "DELETE of a malformed id is 404"
api GET /api/v1/tasks/00000000-0000-4000-8000-000000000000
is "$STATUS" 404 "a well-formed id that does not exist is 404"

##
# Finding by title words (?q=): case-insensitive, every word, all matches
##
more=$(create "Buy more MILK")
api GET '/api/v1/tasks?q=milk'
is "$STATUS" 200 "?q= answers 200"
is "$(jget '[.items[].title] | @json')" '["Buy more MILK","Buy milk"]' \
    "?q=milk finds both milk tasks, case-insensitively, pending first"
api GET '/api/v1/tasks?q=MILK%20more'
is "$(jget '[.items[].title] | @json')" '["Buy more MILK"]' "every word must match, in any order"
api GET '/api/v1/tasks?q=%20buy%20%20MILK%20'
is "$(jget '[.items[].title] | @json')" '["Buy milk","Buy more MILK"]' \
    "a title equal to the words comes first, even when completed"
api GET '/api/v1/tasks?q=milk&completed=false'
is "$(jget '[.items[].title] | @json')" '["Buy more MILK"]' "?q= combines with ?completed="
api GET '/api/v1/tasks?q=%25'
is "$(jget '.items | length')" 0 "a % is a plain character, not a wildcard"
api GET '/api/v1/tasks?q=_'
is "$(jget '.items | length')" 0 "and so is _"
api GET '/api/v1/tasks?q=%20%20'
is "$(jget '.items | length')" 0 "no words find nothing"
api GET '/api/v1/tasks?q=%C3%A9%C3%A9%C3%A9'
is "$(jget '.items[0].id')" "$wide" "non-ASCII words are found"
as B
api GET '/api/v1/tasks?q=milk'
is "$(jget '.items | length')" 0 "Bob's search does not find Alice's tasks"
as A
api DELETE "/api/v1/tasks/$more"

##
# Isolation: Bob cannot see, change or delete Alice's tasks
##
api GET "/api/v1/tasks/$milk"
alice_milk=$BODY
api GET /api/v1/tasks
alice_list=$BODY

as B
api GET /api/v1/tasks
is "$(jget '.items | length')" 0 "Bob's list does not show Alice's tasks"
api GET "/api/v1/tasks/$milk"
is "$STATUS" 404 "Bob gets 404 for Alice's task"
is "$(jget .error.code)" not_found "the same not_found as a missing task"
api PATCH "/api/v1/tasks/$milk" '{"title": "Hacked", "completed": false}'
is "$STATUS" 404 "Bob cannot change Alice's task (404)"
api PATCH "/api/v1/tasks/$milk" '{"title": 5}'
is "$STATUS" 404 "Bob gets 404, not a field error, for a bad change to Alice's task"
api DELETE "/api/v1/tasks/$milk"
is "$STATUS" 404 "Bob cannot delete Alice's task (404)"
api GET '/api/v1/tasks?completed=true'
is "$(jget '.items | length')" 0 "Bob's completed filter shows none of Alice's tasks"
api POST /api/v1/tasks '{"title": "Bob task"}'
bobs=$(jget .id)

as A
api GET "/api/v1/tasks/$milk"
is "$BODY" "$alice_milk" "Alice's task is exactly as it was"
api GET /api/v1/tasks
is "$BODY" "$alice_list" "Alice's list is exactly as it was"
api GET "/api/v1/tasks/$bobs"
is "$STATUS" 404 "and Alice cannot see Bob's task either"

##
# CSRF: a cookie-signed-in write without the token changes nothing
##
http POST /api/v1/tasks -H 'Content-Type: application/json' --data-binary '{"title": "no token"}'
is "$STATUS" 403 "a POST without X-CSRF-Token is refused (403)"
http DELETE "/api/v1/tasks/$call"
is "$STATUS" 403 "a DELETE without X-CSRF-Token is refused (403)"
api GET /api/v1/tasks
is "$BODY" "$alice_list" "and nothing changed"

##
# An API token works without cookies or CSRF token, on the same list
##
tok=$(api_token tasks-test) || bail "cannot make an API token"
bearer "$tok" POST /api/v1/tasks -H 'Content-Type: application/json' --data-binary '{"title": "From a script"}'
is "$STATUS" 201 "a bearer token can add a task without a CSRF token"
scripted=$(jget .id)
bearer "$tok" GET "/api/v1/tasks/$call"
is "$(jget .title)" "Call Bob" "and sees the same person's tasks"
bearer "$tok" DELETE "/api/v1/tasks/$scripted"
is "$STATUS" 204 "and deletes with it"

##
# Delete
##
api DELETE "/api/v1/tasks/$call"
is "$STATUS" 204 "DELETE answers 204"
is "$BODY" "" "with no body"
api GET "/api/v1/tasks/$call"
is "$STATUS" 404 "the deleted task is gone"
api DELETE "/api/v1/tasks/$call"
is "$STATUS" 404 "deleting it again is 404"
api GET /api/v1/tasks
is "$(jget "[.items[].id] | index(\"$call\")")" null "and it is not in the list"
for id in "$long" "$wide" "$trip"; do api DELETE "/api/v1/tasks/$id"; done
api GET /api/v1/tasks
is "$(jget '[.items[].title] | @json')" '["Write report","Buy milk"]' "the rest are still there, in order"

done_testing

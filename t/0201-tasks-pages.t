#!/usr/bin/env bash
# 0201-tasks-pages.t: the /tasks pages through nginx, as a browser without JavaScript
# uses them: plain form posts, POST/redirect/GET back to the same filter, errors in the page.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# task_json ID: the task through the API (as the current person), in $BODY.
task_json() {
	http GET "/api/v1/tasks/$1"
}

# badge NAME: the number shown in the filter link NAME in the last page.
badge() {
	sed -n "s/.*data-count=\"$1\">\\([0-9]*\\)<.*/\\1/p" <<<"$BODY" | head -n 1
}

# titles: the task titles in the last page's list, in order, one per line.
titles() {
	sed -n 's/.*<p class="task-title" id="title-[^"]*">\(.*\)<\/p>.*/\1/p' <<<"$BODY"
}

# first_id: the id of the first task in the last page's list.
first_id() {
	sed -n 's/.*data-task-id="\([0-9a-f-]*\)".*/\1/p' <<<"$BODY" | head -n 1
}

# hidden NAME: whether the element data-empty=NAME carries the hidden attribute.
empty_shown() {
	grep -q "data-empty=\"$1\">" <<<"$BODY"
}

##
# Signed out
##
http GET /tasks
like "$STATUS" '^30[23]$' "/tasks without a login redirects"
like "$(header Location)" '^/login\?next=(%2F|/)tasks' "to the login page, coming back to /tasks"

two_people

##
# First use
##
http GET /tasks
is "$STATUS" 200 "/tasks answers 200"
like "$BODY" '<h1>Tasks</h1>' "it is the tasks page"
like "$BODY" 'aria-current="page">Tasks<' "the Tasks link in the navigation is current"
check "an empty list shows the first-use hint" empty_shown first
like "$BODY" 'Your todo list is empty' "which says the list is empty"
like "$BODY" 'add a task to send the invoice' "and suggests asking the assistant"
unlike "$BODY" 'data-task-id=' "no task is listed"
is "$(badge all)/$(badge pending)/$(badge completed)" 0/0/0 "all counts are 0"
like "$BODY" "name=\"csrf_token\" value=\"$CSRF\"" "the add form carries the CSRF token"
like "$BODY" 'src="/static/tasks.js"' "the page loads tasks.js (no inline script)"
unlike "$BODY" '<script>' "and has no inline script"

##
# Add
##
post /tasks title='  Buy milk ' description='Two litres' filter=all
is "$STATUS" 303 "adding a task answers 303"
like "$(header Location)" '^/tasks\?msg=added#task-[0-9a-f-]{36}$' "back to the list, at the new task"
http GET "$(header Location | sed 's/#.*//')"
like "$BODY" 'role="status">[[:space:]]*<p>Task added.</p>' "the list confirms it"
is "$(titles)" "Buy milk" "the task is listed, trimmed"
like "$BODY" '<p class="task-desc">Two litres</p>' "with its description"
milk=$(first_id)
check "the first-use hint is gone" bash -c '! grep -q "data-empty=\"first\">" <<<"$0"' "$BODY"
is "$(badge all)/$(badge pending)/$(badge completed)" 1/1/0 "the counts show one pending task"

post /tasks title='Call Bob' filter=pending
like "$(header Location)" '^/tasks\?filter=pending&msg=added#task-' "adding from the pending filter returns to it"
post /tasks title='Write report' filter=all
post /tasks title='<script>alert(1)</script>' filter=all
http GET /tasks
like "$BODY" '&lt;script&gt;alert\(1\)&lt;/script&gt;' "titles are HTML-escaped"
unlike "$BODY" '<script>alert' "never raw"
xss=$(first_id)
post "/tasks/$xss/delete"
http GET /tasks
is "$(titles | tr '\n' '|')" "Write report|Call Bob|Buy milk|" "the list is newest first"

##
# Add: errors keep what was typed
##
post /tasks title='   ' description='Keep this text' filter=pending
is "$STATUS" 422 "an empty title re-renders the page with 422"
like "$BODY" 'class="field-error"[^>]*>Title is required.<' "the message is under the title field"
like "$BODY" 'aria-invalid="true"' "the field is marked invalid"
like "$BODY" '<textarea id="new-description"[^>]*>Keep this text</textarea>' "the description is kept"
like "$BODY" 'name="filter" value="pending"' "the filter is kept"
like "$BODY" 'Call Bob' "the list is still shown"

long=$(printf 'x%.0s' {1..501})
post /tasks title="$long" filter=all
is "$STATUS" 422 "a 501-character title is refused with 422"
like "$BODY" 'at most 500 characters' "with the limit in the message"
like "$BODY" "value=\"$long\"" "and the title is kept in the field"
post /tasks title='ok' description="$(printf 'd%.0s' {1..10001})" filter=all
is "$STATUS" 422 "a 10,001-character description is refused"
http GET /api/v1/tasks
is "$(jget '.items | length')" 3 "no refused form created a task"

##
# Toggle, filters and counts
##
post "/tasks/$milk/toggle" completed=1 filter=pending
is "$STATUS" 303 "ticking a task answers 303"
like "$(header Location)" "^/tasks\\?filter=pending&msg=done#task-$milk\$" "back to the same filter"
task_json "$milk"
is "$(jget .completed)" true "the task is completed"

post "/tasks/$milk/toggle" completed=1 filter=pending
task_json "$milk"
is "$(jget .completed)" true "ticking it twice (a double submit) keeps it completed"

http GET /tasks
is "$(titles | tr '\n' '|')" "Write report|Call Bob|Buy milk|" "completed tasks come after pending ones"
like "$BODY" "<li class=\"task done\" id=\"task-$milk\"" "the completed task is marked done"
is "$(badge all)/$(badge pending)/$(badge completed)" 3/2/1 "counts: 3 in all, 2 pending, 1 completed"
like "$BODY" 'href="/tasks" data-filter-link="all" aria-current="page"' "All is the current filter"

http GET '/tasks?filter=pending'
is "$(titles | tr '\n' '|')" "Write report|Call Bob|" "?filter=pending shows the pending tasks only"
like "$BODY" 'data-filter-link="pending" aria-current="page"' "and marks Pending current"
is "$(badge all)/$(badge pending)/$(badge completed)" 3/2/1 "the counts are the same on every filter"
like "$BODY" 'action="/tasks/[0-9a-f-]*/toggle"' "each task has a toggle form"
like "$BODY" 'name="filter" value="pending"' "whose forms carry the filter"
like "$BODY" 'href="/tasks/[0-9a-f-]*/delete\?filter=pending"' "and whose delete links keep it"

http GET '/tasks?filter=completed'
is "$(titles | tr '\n' '|')" "Buy milk|" "?filter=completed shows the completed task only"

http GET '/tasks?filter=bogus'
is "$STATUS" 200 "an unknown filter still shows the page"
is "$(titles | wc -l | tr -d ' ')" 3 "with all tasks"

post "/tasks/$milk/toggle" filter=completed
like "$(header Location)" '^/tasks\?filter=completed&msg=reopened' "a toggle without a state flips the task back"
task_json "$milk"
is "$(jget .completed)" false "the task is pending again"
http GET '/tasks?filter=completed'
check "an empty filter shows its own hint" empty_shown filter
like "$BODY" 'Nothing completed yet' "which says nothing is completed yet"
check "not the first-use hint" bash -c '! grep -q "data-empty=\"first\">" <<<"$0"' "$BODY"

post "/tasks/$milk/toggle" completed=maybe filter=all
is "$STATUS" 422 "a toggle with a nonsense state is refused"

##
# Edit
##
http GET "/tasks/$milk/edit?filter=pending"
is "$STATUS" 200 "the edit page answers 200"
like "$BODY" 'id="edit-title"[^>]*value="Buy milk"' "with the title filled in"
like "$BODY" '<textarea id="edit-description"[^>]*>Two litres</textarea>' "and the description"
like "$BODY" "action=\"/tasks/$milk/edit\"" "posting back to the same address"

task_json "$milk"
before=$(jget .updated_at)
post "/tasks/$milk/edit" title='Buy oat milk' description='From the shop' filter=pending
is "$STATUS" 303 "saving an edit answers 303"
like "$(header Location)" "^/tasks\\?filter=pending&msg=saved#task-$milk\$" "back to the same filter"
task_json "$milk"
is "$(jget '[.title, .description] | @json')" '["Buy oat milk","From the shop"]' "the task is changed"
after=$(jget .updated_at)
ok "$([[ $after > $before ]]; echo $?)" "and updated_at moved"

post "/tasks/$milk/edit" title='Buy oat milk' description='' filter=all
task_json "$milk"
is "$(jget .description)" null "saving an empty description clears it"

post "/tasks/$milk/edit" title='' description='lost?' filter=completed
is "$STATUS" 422 "an empty title on the edit page is refused with 422"
like "$BODY" 'Title is required.' "with the message"
like "$BODY" '<textarea id="edit-description"[^>]*>lost\?</textarea>' "and the typed description kept"
task_json "$milk"
is "$(jget .title)" "Buy oat milk" "the task is unchanged"

##
# Delete (with the confirmation page)
##
http GET "/tasks/$milk/delete?filter=pending"
is "$STATUS" 200 "the delete confirmation page answers 200"
like "$BODY" 'Delete this task\?' "it asks first"
like "$BODY" 'Buy oat milk' "naming the task"
like "$BODY" "<form method=\"post\" action=\"/tasks/$milk/delete\"" "with a form that deletes it"
task_json "$milk"
is "$STATUS" 200 "looking at the confirmation deletes nothing"

post "/tasks/$milk/delete" filter=pending
is "$STATUS" 303 "deleting answers 303"
is "$(header Location)" "/tasks?filter=pending&msg=deleted" "back to the same filter"
task_json "$milk"
is "$STATUS" 404 "the task is gone"
http GET /tasks
is "$(badge all)/$(badge pending)/$(badge completed)" 2/2/0 "and the counts follow"
post "/tasks/$milk/delete" filter=all
is "$STATUS" 404 "deleting it again is a 404 page"
like "$BODY" 'There is no such task' "that says so"

##
# Isolation: Bob gets 404 pages for Alice's tasks, and they do not change
##
http GET /tasks
call=$(sed -n 's/.*data-task-id="\([0-9a-f-]*\)".*/\1/p' <<<"$BODY" | tail -n 1)
task_json "$call"
alice_call=$BODY

as B
http GET /tasks
unlike "$BODY" 'Call Bob|Write report' "Bob's page does not list Alice's tasks"
check "Bob sees the first-use hint" empty_shown first
post "/tasks/$call/toggle" completed=1
is "$STATUS" 404 "Bob cannot tick Alice's task (404)"
http GET "/tasks/$call/edit"
is "$STATUS" 404 "Bob cannot open Alice's task for editing (404)"
post "/tasks/$call/edit" title='Hacked'
is "$STATUS" 404 "Bob cannot save over Alice's task (404)"
post "/tasks/$call/edit" title=''
is "$STATUS" 404 "not even with a field error first"
http GET "/tasks/$call/delete"
is "$STATUS" 404 "Bob cannot see Alice's delete confirmation (404)"
post "/tasks/$call/delete"
is "$STATUS" 404 "Bob cannot delete Alice's task (404)"
post /tasks/not-a-uuid/toggle completed=1
is "$STATUS" 404 "a malformed id is a 404 page"

as A
task_json "$call"
is "$BODY" "$alice_call" "Alice's task is exactly as it was"

##
# CSRF
##
http POST /tasks --data-urlencode 'title=no token'
is "$STATUS" 403 "a form post without csrf_token is refused (403)"
http POST /tasks --data-urlencode 'title=bad token' --data-urlencode 'csrf_token=0000'
is "$STATUS" 403 "a form post with a wrong csrf_token is refused (403)"
http GET /api/v1/tasks
is "$(jget '.items | length')" 2 "and no task was added"

##
# Delete everything: the first-use hint comes back
##
for id in $(jget '.items[].id'); do
	post "/tasks/$id/delete"
done
http GET /tasks
check "an emptied list shows the first-use hint again" empty_shown first
is "$(badge all)" 0 "with a count of 0"

done_testing

#!/bin/bash
# 0301-llm-builtin.t: builtin/parley, the offline assistant, managing a real task list through the
# task tools: add, list, complete, reopen, rename, delete, "which one?", not found, help, and
# never another person's tasks.
# shellcheck disable=SC2119 # harness functions take optional arguments
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

DRIVER=${LLM_DRIVER:-$top_builddir/t/llm_driver}
[ -x "$DRIVER" ] || skip_all "t/llm_driver is not built"

export PARLEY_LOG_LEVEL=info
LOG=$T/parley.log

# say MESSAGE: Ann says it to builtin/parley; the result in $T/out.
say() {
	"$DRIVER" -u "$ANN" builtin/parley "$1" >"$T/out" 2>>"$LOG"
}
# f KEY: a field of the last result (all notes joined with "|" for "note").
f() {
	sed -n "s/^$1: //p" "$T/out" | paste -sd '|' -
}
tasks_of() {
	sql "SELECT coalesce(string_agg(title || ':' || CASE WHEN completed THEN 'done' ELSE 'open' END,
	    ',' ORDER BY title), '') FROM tasks WHERE user_id = '$1'"
}

pg_start
parley_migrate || bail "migrations failed"
ANN=$(sql "INSERT INTO users (email, name, password_hash) VALUES ('ann@example.com', 'Ann', 'x') RETURNING id")
BOB=$(sql "INSERT INTO users (email, name, password_hash) VALUES ('bob@example.com', 'Bob', 'x') RETURNING id")
[ -n "$ANN" ] && [ -n "$BOB" ] || bail "cannot create users"
sql "INSERT INTO tasks (user_id, title) VALUES ('$BOB', 'Buy groceries')" >/dev/null

say "Add a task to buy groceries"
is "$(f status)" ok "add: ok"
is "$(f text)" "Done — I added **Buy groceries** to your tasks." "add: says what it did"
is "$(f note)" "Added task: Buy groceries" "add: the note for the conversation"
is "$(f tools)" "add_task" "add: through the add_task tool"
is "$(tasks_of "$ANN")" "Buy groceries:open" "add: the task is in Ann's list"
is "$(f tokens_estimated)" true "add: tokens are estimated"
is "$(f streamed)" "$(f text)" "add: streamed as written"
ok "$(($(f deltas) > 3 ? 0 : 1))" "add: in several deltas ($(f deltas))"

say "remind me to call Alice"
say "add 'Write report' to my list"
say "todo: water the plants"
is "$(tasks_of "$ANN")" "Buy groceries:open,Call Alice:open,Water the plants:open,Write report:open" \
    "add: other phrasings add tasks too"

say "What are my tasks?"
is "$(f tools)" "list_tasks" "list: through list_tasks"
like "$(f text)" '\*\*To do \(4\)\*\*' "list: counts the pending tasks"
like "$(f text)" '- Write report\\n' "list: names them in a Markdown list"
is "$(f note)" "" "list: no note, nothing changed"

say "mark buy groceries as done"
is "$(f text)" "Nice work — I marked **Buy groceries** as done." "complete: says so"
is "$(f note)" "Completed task: Buy groceries" "complete: the note"
like "$(tasks_of "$ANN")" "Buy groceries:done" "complete: the task is done"
is "$(tasks_of "$BOB")" "Buy groceries:open" "complete: Bob's task of the same name is untouched"

say "show completed tasks"
is "$(f text)" 'You have completed 1 task:\n\n- Buy groceries\n' "list completed: only the done one"

say "what's left?"
unlike "$(f text)" "Buy groceries" "list pending: the done task is not left"

say "I finished buy groceries"
like "$(f text)" "was already done" "complete again: already done"

say "mark buy groceries as not done"
is "$(f note)" "Reopened task: Buy groceries" "reopen: the note"
like "$(tasks_of "$ANN")" "Buy groceries:open" "reopen: pending again"

say "rename call alice to Call Alice about the invoice"
is "$(f text)" "I renamed **Call Alice** to **Call Alice about the invoice**." "rename: says so"
is "$(f note)" "Renamed task: Call Alice → Call Alice about the invoice" "rename: the note"
like "$(tasks_of "$ANN")" "Call Alice about the invoice:open" "rename: the new title is stored"

sql "INSERT INTO tasks (user_id, title) VALUES ('$ANN', 'Call Bob'), ('$ANN', 'Call Bobby')" >/dev/null
before=$(tasks_of "$ANN")
say "complete the task call bob"
is "$(f note)" "Completed task: Call Bob" "several candidates: an exact title decides"
sql "UPDATE tasks SET completed = false WHERE user_id = '$ANN'" >/dev/null
before=$(tasks_of "$ANN")
say "delete the task call"
like "$(f text)" "Which one did you mean\?" "ambiguous: asks which one"
like "$(f text)" '\*\*Call Bobby\*\*' "ambiguous: lists the candidates"
is "$(tasks_of "$ANN")" "$before" "ambiguous: nothing changed"
is "$(f note)" "" "ambiguous: no note"

say "delete the task write report"
is "$(f text)" "I deleted **Write report** from your tasks." "delete: says so"
is "$(f note)" "Deleted task: Write report" "delete: the note"
unlike "$(tasks_of "$ANN")" "Write report" "delete: gone"

say "delete the task fly to the moon"
like "$(f text)" "couldn't find a task matching \*fly to the moon\*" "not found: a friendly answer"

say "hello"
like "$(f text)" "^Hello! I'm Parley's built-in assistant" "hello: a greeting"
is "$(f tools)" "" "hello: no tool"

say "what is the capital of France?"
like "$(f text)" "add a task to buy groceries" "anything else: explains what it can do"

"$DRIVER" -u "$ANN" -n builtin/parley "add a task to sneak in" >"$T/out" 2>>"$LOG"
unlike "$(tasks_of "$ANN")" "Sneak in" "without tools: nothing is added"

is "$(tasks_of "$BOB")" "Buy groceries:open" "Bob's list was never touched"

done_testing

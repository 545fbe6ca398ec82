#!/bin/bash
# 0011-schema.t: the schema's rules hold in PostgreSQL itself: every constraint
# rejects a bad row, deleting a user deletes everything that was theirs, and
# the list queries are served by their indexes.
# shellcheck disable=SC2119 # harness functions take optional arguments
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

[ -x "$PARLEY_BIN" ] || skip_all "parley is not built"
export PARLEY_SQL_DIR=$top_srcdir/sql/migrations

# rejects CONSTRAINT DESC SQL: the statement fails, and the error names CONSTRAINT.
rejects() {
	local cons=$1 desc=$2 out rc
	out=$(sql "$3" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [[ $out == *"$cons"* ]]; then
		ok 0 "$desc"
		return 0
	fi
	ok 1 "$desc"
	diag "expected an error naming $cons; got (exit $rc): $out"
	return 1
}

# accepts DESC SQL: the statement succeeds.
accepts() {
	local out
	if out=$(sql "$2" 2>&1); then
		ok 0 "$1"
		return 0
	fi
	ok 1 "$1"
	diag "$out"
	return 1
}

pg_start
parley_migrate || bail "parley migrate up failed"

##
# users
##

A=$(sql "INSERT INTO users (email, name, username, password_hash)
    VALUES ('Alice@Example.com', 'Alice', 'alice', 'x') RETURNING id")
like "$A" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$' "a user gets a random UUID id"
is "$(sql "SELECT is_active, created_at IS NOT NULL, updated_at IS NOT NULL FROM users WHERE id = '$A'")" \
    "t|t|t" "a new user is active and has created_at and updated_at"
B=$(sql "INSERT INTO users (email, name, password_hash) VALUES ('bob@example.com', 'Bob', 'x') RETURNING id")
accepts "a second user without a username" \
    "INSERT INTO users (email, name, password_hash) VALUES ('carol@example.com', 'Carol', 'x')"
rejects users_email_key "the same email in other case is refused" \
    "INSERT INTO users (email, name, password_hash) VALUES ('alice@EXAMPLE.COM', 'Mallory', 'x')"
rejects users_username_key "the same username in other case is refused" \
    "INSERT INTO users (email, name, username, password_hash) VALUES ('m@example.com', 'M', 'ALICE', 'x')"
rejects users_username_check "a username with @ is refused" \
    "INSERT INTO users (email, name, username, password_hash) VALUES ('m@example.com', 'M', 'm@x', 'x')"
rejects users_email_check "an email without @ is refused" \
    "INSERT INTO users (email, name, password_hash) VALUES ('nobody', 'M', 'x')"
rejects users_name_check "an empty name is refused" \
    "INSERT INTO users (email, name, password_hash) VALUES ('m@example.com', '', 'x')"
rejects "password_hash" "a user without a password hash is refused" \
    "INSERT INTO users (email, name) VALUES ('m@example.com', 'M')"

##
# login sessions, API tokens, login attempts
##

H1=$(printf 'a%.0s' {1..64})
accepts "a login session is stored by its token's hash" \
    "INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at, user_agent, ip)
     VALUES ('$H1', '$A', 'csrf-secret-0123456789', now() + interval '1 day', 'curl', '127.0.0.1')"
rejects auth_sessions_pkey "a second session with the same hash is refused" \
    "INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at)
     VALUES ('$H1', '$B', 'csrf-secret-0123456789', now() + interval '1 day')"
rejects auth_sessions_expiry_check "a session that expires before it starts is refused" \
    "INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at)
     VALUES ('${H1/a/b}', '$A', 'csrf-secret-0123456789', now() - interval '1 second')"
rejects auth_sessions_user_id_fkey "a session of an unknown user is refused" \
    "INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at)
     VALUES ('${H1/a/c}', gen_random_uuid(), 'csrf-secret-0123456789', now() + interval '1 day')"

accepts "an API token is stored by its hash" \
    "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ('$A', 'laptop', '$H1')"
is "$(sql "SELECT revoked, last_used_at IS NULL FROM api_tokens")" "f|t" \
    "a new token is not revoked and was never used"
rejects api_tokens_token_hash_key "two tokens with the same hash are refused" \
    "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ('$B', 'other', '$H1')"
rejects api_tokens_name_check "a token without a name is refused" \
    "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ('$A', '', '${H1/a/d}')"
accepts "a login attempt is recorded" \
    "INSERT INTO login_attempts (login, ip, succeeded) VALUES ('alice@example.com', '127.0.0.1', false)"

##
# conversations, messages, responses
##

CA=$(sql "INSERT INTO conversations (user_id) VALUES ('$A') RETURNING id")
is "$(sql "SELECT title, default_model FROM conversations WHERE id = '$CA'")" \
    "New conversation|builtin/parley" "a conversation has a default title and model"
rejects conversations_title_check "an empty conversation title is refused" \
    "INSERT INTO conversations (user_id, title) VALUES ('$A', '')"
rejects conversations_title_check "a 201-character conversation title is refused" \
    "INSERT INTO conversations (user_id, title) VALUES ('$A', repeat('t', 201))"
rejects conversations_default_model_check "a model id without a provider is refused" \
    "INSERT INTO conversations (user_id, default_model) VALUES ('$A', 'gpt-4o')"

M1=$(sql "INSERT INTO messages (conversation_id, role, content) VALUES ('$CA', 'user', 'hello there')
    RETURNING id")
is "$(sql "SELECT status, model IS NULL FROM messages WHERE id = '$M1'")" "complete|t" \
    "a message is complete by default and has no model override"
rejects messages_role_check "a message with role 'system' is refused" \
    "INSERT INTO messages (conversation_id, role, content) VALUES ('$CA', 'system', 'x')"
rejects messages_status_check "a message with an unknown status is refused" \
    "INSERT INTO messages (conversation_id, role, content, status) VALUES ('$CA', 'user', 'x', 'done')"
rejects messages_conversation_id_fkey "a message in an unknown conversation is refused" \
    "INSERT INTO messages (conversation_id, role, content) VALUES (gen_random_uuid(), 'user', 'x')"

# A question and its answer written in one transaction keep their order.
sql "BEGIN;
    INSERT INTO messages (conversation_id, role, content) VALUES ('$CA', 'user', 'first');
    INSERT INTO messages (conversation_id, role, content, model, status)
        VALUES ('$CA', 'assistant', 'second', 'builtin/parley', 'streaming');
    COMMIT;" >/dev/null
is "$(sql "SELECT string_agg(content, ',' ORDER BY created_at, id) FROM messages
    WHERE conversation_id = '$CA' AND content IN ('first', 'second')")" "first,second" \
    "messages written in one transaction sort in the order they were written"
M2=$(sql "SELECT id FROM messages WHERE content = 'second'")
accepts "a response records an answer's usage" \
    "INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion, tokens_total,
     completion_time_ms, time_to_first_token_ms, tokens_estimated)
     VALUES ('$M2', 'builtin/parley', 10, 5, 15, 12, 3, true)"
rejects responses_message_id_key "a second response for the same message is refused" \
    "INSERT INTO responses (message_id, model_used) VALUES ('$M2', 'builtin/parley')"
rejects responses_tokens_prompt_check "a negative token count is refused" \
    "INSERT INTO responses (message_id, model_used, tokens_prompt) VALUES ('$M1', 'builtin/parley', -1)"

##
# tasks
##

accepts "a 500-character task title is accepted" \
    "INSERT INTO tasks (user_id, title) VALUES ('$A', repeat('t', 500))"
rejects tasks_title_check "a 501-character task title is refused" \
    "INSERT INTO tasks (user_id, title) VALUES ('$A', repeat('t', 501))"
rejects tasks_title_check "an empty task title is refused" \
    "INSERT INTO tasks (user_id, title) VALUES ('$A', '')"
rejects tasks_title_check "a blank task title is refused" \
    "INSERT INTO tasks (user_id, title) VALUES ('$A', E'  \\t ')"
accepts "a 10000-character description is accepted" \
    "INSERT INTO tasks (user_id, title, description) VALUES ('$A', 'long', repeat('d', 10000))"
rejects tasks_description_check "a 10001-character description is refused" \
    "INSERT INTO tasks (user_id, title, description) VALUES ('$A', 'longer', repeat('d', 10001))"
TA=$(sql "INSERT INTO tasks (user_id, title, created_at, updated_at)
    VALUES ('$A', 'Buy milk', now() - interval '1 day', now() - interval '1 day') RETURNING id")
is "$(sql "SELECT completed FROM tasks WHERE id = '$TA'")" f "a new task is not completed"
sql "UPDATE tasks SET completed = true WHERE id = '$TA'" >/dev/null
is "$(sql "SELECT updated_at > now() - interval '1 minute', created_at < now() - interval '1 hour'
    FROM tasks WHERE id = '$TA'")" "t|t" "changing a task moves its updated_at, not its created_at"

##
# proposals
##

PA=$(sql "INSERT INTO proposal_sessions (user_id) VALUES ('$A') RETURNING id")
is "$(sql "SELECT progress, status, history FROM proposal_sessions WHERE id = '$PA'")" "0|active|[]" \
    "a new proposal is active, at 0% with an empty history"
accepts "progress 100 is accepted" "UPDATE proposal_sessions SET progress = 100 WHERE id = '$PA'"
rejects proposal_sessions_progress_check "progress 101 is refused" \
    "UPDATE proposal_sessions SET progress = 101 WHERE id = '$PA'"
rejects proposal_sessions_progress_check "progress -1 is refused" \
    "INSERT INTO proposal_sessions (user_id, progress) VALUES ('$A', -1)"
rejects proposal_sessions_status_check "an unknown proposal status is refused" \
    "INSERT INTO proposal_sessions (user_id, status) VALUES ('$A', 'draft')"
rejects proposal_sessions_history_check "a history that is not a JSON array is refused" \
    "INSERT INTO proposal_sessions (user_id, history) VALUES ('$A', '{}')"
accepts "a proposal section is stored" \
    "INSERT INTO proposal_sections (session_id, section_name, content) VALUES ('$PA', 'objectives', 'x')"
rejects proposal_sections_session_id_section_name_key "a duplicate section name is refused" \
    "INSERT INTO proposal_sections (session_id, section_name, content) VALUES ('$PA', 'objectives', 'y')"
rejects proposal_sections_section_name_check "an unknown section name is refused" \
    "INSERT INTO proposal_sections (session_id, section_name) VALUES ('$PA', 'appendix')"
PB=$(sql "INSERT INTO proposal_sessions (user_id) VALUES ('$B') RETURNING id")
accepts "the same section name in another proposal is fine" \
    "INSERT INTO proposal_sections (session_id, section_name) VALUES ('$PB', 'objectives')"

##
# Deleting a user deletes everything that was theirs, and only that
##

# Bob gets one of everything too, so the cascade can be told apart from a wipe.
CB=$(sql "INSERT INTO conversations (user_id) VALUES ('$B') RETURNING id")
MB=$(sql "INSERT INTO messages (conversation_id, role, content, model) VALUES ('$CB', 'assistant', 'x', 'builtin/parley')
    RETURNING id")
sql "INSERT INTO responses (message_id, model_used) VALUES ('$MB', 'builtin/parley');
    INSERT INTO tasks (user_id, title) VALUES ('$B', 'Bob''s task');
    INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at)
        VALUES ('${H1//a/e}', '$B', 'csrf-secret-0123456789', now() + interval '1 day');" >/dev/null

owned() {
	sql "SELECT (SELECT count(*) FROM auth_sessions WHERE user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM api_tokens WHERE user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM conversations WHERE user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
	        WHERE c.user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM responses r JOIN messages m ON m.id = r.message_id
	        JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM tasks WHERE user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM proposal_sessions WHERE user_id = '$1') || ' ' ||
	    (SELECT count(*) FROM proposal_sections s JOIN proposal_sessions p ON p.id = s.session_id
	        WHERE p.user_id = '$1')"
}
before_b=$(owned "$B")
read -r -a counts_a <<<"$(owned "$A")"
[ "${counts_a[0]}" -ge 1 ] && [ "${counts_a[1]}" -ge 1 ] && [ "${counts_a[3]}" -ge 3 ] &&
    [ "${counts_a[4]}" -ge 1 ] && [ "${counts_a[5]}" -ge 3 ] && [ "${counts_a[7]}" -ge 1 ]
ok $? "Alice owns sessions, tokens, conversations, messages, responses, tasks and proposals (${counts_a[*]})"
accepts "deleting a user works" "DELETE FROM users WHERE id = '$A'"
is "$(sql "SELECT count(*) FROM messages WHERE conversation_id = '$CA'") $(owned "$A")" "0 0 0 0 0 0 0 0 0" \
    "deleting a user deletes their sessions, tokens, conversations, messages, responses, tasks and proposals"
is "$(sql "SELECT count(*) FROM responses WHERE message_id = '$M2'")" 0 "including the responses of their messages"
is "$(owned "$B")" "$before_b" "another user's rows are untouched"

##
# The list queries are served by their indexes, in order, without a sort
##

# plan_of SQL: the plan with sequential scans made unattractive (the tables are tiny here).
plan_of() {
	sql "SET enable_seqscan = off; EXPLAIN (COSTS OFF) $1"
}
# ordered_plan_of SQL: the same, with bitmap scans (which lose the index order) off too.
ordered_plan_of() {
	sql "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN (COSTS OFF) $1"
}
p=$(ordered_plan_of "SELECT * FROM messages WHERE conversation_id = '$CB' ORDER BY created_at DESC, id DESC LIMIT 50")
like "$p" "messages_conversation_created_idx" "the newest messages of a conversation come from their index"
unlike "$p" "Sort" "in order, without a sort"
p=$(ordered_plan_of "SELECT * FROM conversations WHERE user_id = '$B' ORDER BY updated_at DESC, id DESC LIMIT 20")
like "$p" "conversations_user_updated_idx" "a user's newest conversations come from their index"
unlike "$p" "Sort" "in order, without a sort"
like "$(plan_of "SELECT * FROM tasks WHERE user_id = '$B' AND completed = false")" "tasks_user_completed_idx" \
    "a user's open tasks come from the (user_id, completed) index"
like "$(plan_of "DELETE FROM auth_sessions WHERE expires_at < now()")" "auth_sessions_expires_idx" \
    "expired sessions are found by the expires_at index"
like "$(plan_of "SELECT * FROM messages WHERE parley_search_vector(content) @@ plainto_tsquery('simple', 'hello')")" \
    "messages_content_fts_idx" "message search uses the full-text index"
like "$(plan_of "SELECT * FROM conversations WHERE parley_search_vector(title) @@ plainto_tsquery('simple', 'new')")" \
    "conversations_title_fts_idx" "title search uses the full-text index"
sql "INSERT INTO messages (conversation_id, role, content) VALUES ('$CB', 'user', 'Budget for the Acme Bakery website')" >/dev/null
is "$(sql "SELECT count(*) FROM messages WHERE parley_search_vector(content) @@ plainto_tsquery('simple', 'BAKERY budget')")" 1 \
    "search finds a message by its words in any case"
is "$(sql "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'messages_content_fts_idx'")" \
    "fastupdate=off" "the message search index takes new words directly, without a pending list"
accepts "a message longer than a tsvector can hold is still stored and indexed" \
    "INSERT INTO messages (conversation_id, role, content)
     SELECT '$CB', 'user', string_agg(md5(i::text), ' ') FROM generate_series(1, 60000) i"

done_testing

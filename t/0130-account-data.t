#!/usr/bin/env bash
# 0130-account-data.t: the account page's forms through nginx: name, password (other sessions
# end), sessions, API tokens shown once, "download my data", and deleting the account with
# every row it owned.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# in_jar NAME CMD...: runs CMD with that cookie jar, then goes back to the main one
# (and its CSRF token and user id).
in_jar() {
	local saved=$COOKIE_JAR csrf=$CSRF uid=$USER_ID rc
	COOKIE_JAR=$T/jar.$1
	shift
	"$@"
	rc=$?
	COOKIE_JAR=$saved CSRF=$csrf USER_ID=$uid
	return "$rc"
}

# owned ID: how many rows in each table belong to user ID, as "table=n ...".
owned() {
	sql "SELECT 'users=' || (SELECT count(*) FROM users WHERE id = '$1')
	    || ' auth_sessions=' || (SELECT count(*) FROM auth_sessions WHERE user_id = '$1')
	    || ' api_tokens=' || (SELECT count(*) FROM api_tokens WHERE user_id = '$1')
	    || ' conversations=' || (SELECT count(*) FROM conversations WHERE user_id = '$1')
	    || ' messages=' || (SELECT count(*) FROM messages m JOIN conversations c
	        ON c.id = m.conversation_id WHERE c.user_id = '$1')
	    || ' responses=' || (SELECT count(*) FROM responses)
	    || ' tasks=' || (SELECT count(*) FROM tasks WHERE user_id = '$1')
	    || ' proposal_sessions=' || (SELECT count(*) FROM proposal_sessions WHERE user_id = '$1')
	    || ' proposal_sections=' || (SELECT count(*) FROM proposal_sections s
	        JOIN proposal_sessions p ON p.id = s.session_id WHERE p.user_id = '$1')
	    || ' proposal_usage=' || (SELECT count(*) FROM proposal_usage WHERE user_id = '$1')"
}

COOKIE_JAR=$T/jar.bob
register_user bob@example.com 'bob password' Bob >/dev/null
B=$USER_ID
COOKIE_JAR=$T/cookies
register_user alice@example.com 'alice password' Alice >/dev/null || bail "cannot register"
A=$USER_ID
in_jar two login_user alice@example.com 'alice password' >/dev/null

##
# The page
##
http GET /account
is "$STATUS" 200 "the account page loads"
is "$(grep -o 'name="csrf_token" value="[0-9a-f]*"' <<<"$BODY" | sort -u | wc -l)" 1 \
    "every form on it carries the same CSRF token"
like "$BODY" "value=\"$CSRF\"" "the session's own"
like "$BODY" 'alice@example.com' "it shows the email"
is "$(grep -c '<time datetime=' <<<"$BODY")" 5 "it lists two sessions with their times (and the account's)"
like "$BODY" 'This browser' "the current session is marked"
like "$BODY" 'Sign out everywhere else' "with a button to sign out the others"
like "$BODY" 'action="/account/export"|href="/account/export"' "a link to download the data"
like "$BODY" 'action="/account/delete"' "and the delete form"

##
# Name
##
post /account/name name='   '
is "$STATUS" 422 "a blank name is refused (422)"
like "$BODY" 'id="name"[^>]*aria-invalid="true"[^>]*aria-describedby="name-error"' "the field is marked"
http POST /account/name --data-urlencode name=Mallory
is "$STATUS" 403 "changing the name without the CSRF token is refused (403)"
is "$(sql "SELECT name FROM users WHERE id = '$A'")" Alice "and the name is unchanged"
post /account/name name='Alice Cooper'
is "$STATUS" 303 "a new name is saved (303)"
like "$(header Location)" '^/account\?saved=name' "back to the account page"
http GET "$(header Location)"
like "$BODY" 'Your name was saved' "which says so"
like "$BODY" 'value="Alice Cooper"' "and shows it"
http GET /api/v1/me
is "$(jget .name)" "Alice Cooper" "the API sees the new name"

##
# Password
##
hash0=$(sql "SELECT password_hash FROM users WHERE id = '$A'")
post /account/password current_password='not my password' new_password='brand new password'
is "$STATUS" 422 "a wrong current password is refused (422)"
like "$BODY" 'id="current_password-error">The password is not right' "by the current-password field"
unlike "$BODY" 'brand new password|not my password' "no password is sent back"
post /account/password current_password='alice password' new_password=short
is "$STATUS" 422 "a short new password is refused (422)"
is "$(sql "SELECT password_hash FROM users WHERE id = '$A'")" "$hash0" "neither changed the password"
is "$(in_jar two me_status)" 200 "the other session is still signed in"
post /account/password current_password='alice password' new_password='brand new password'
is "$STATUS" 303 "the right current password changes it (303)"
is "$(in_jar two me_status)" 401 "every other session has ended"
is "$(me_status)" 200 "this one goes on"
in_jar three login_user alice@example.com 'alice password' >/dev/null
is "$STATUS" 401 "the old password no longer works"
in_jar three login_user alice@example.com 'brand new password' >/dev/null
is "$STATUS" 200 "the new one does"

##
# Sessions
##
in_jar four login_user alice@example.com 'brand new password' >/dev/null
http GET /account
is "$(grep -c 'action="/account/sessions/[0-9a-f-]*/end"' <<<"$BODY")" 2 \
    "each other session has its own sign-out button"
four=$(sql "SELECT id FROM auth_sessions WHERE user_id = '$A' ORDER BY created_at DESC LIMIT 1")
bob_session=$(sql "SELECT id FROM auth_sessions WHERE user_id = '$B' LIMIT 1")
post "/account/sessions/$bob_session/end"
is "$STATUS" 404 "another person's session cannot be ended (404)"
is "$(in_jar bob me_status)" 200 "and Bob stays signed in"
post "/account/sessions/$four/end"
is "$STATUS" 303 "one session can be signed out (303)"
is "$(in_jar four me_status)" 401 "and it is"
is "$(in_jar three me_status)" 200 "the others are not"
post /account/sessions/others
is "$STATUS" 303 "sign out everywhere else (303)"
is "$(in_jar three me_status)" 401 "ends the other sessions"
is "$(me_status)" 200 "but not this one"
is "$(sql "SELECT count(*) FROM auth_sessions WHERE user_id = '$A'")" 1 "one session left"

##
# API tokens on the page
##
post /account/tokens token_name=''
is "$STATUS" 422 "a token needs a name (422)"
like "$BODY" 'id="token_name"[^>]*aria-invalid="true"' "the field is marked"
post /account/tokens token_name='Backup script'
is "$STATUS" 303 "creating a token from the page (303)"
like "$(header Location)" '^/account\?saved=token' "back to the account page"
http GET /account
tok=$(grep -o 'value="pat_[0-9a-f]*"' <<<"$BODY" | sed 's/value="//; s/"//')
like "$tok" '^pat_[0-9a-f]{64}$' "the new token is shown"
like "$BODY" 'it will not be shown again' "with a warning to copy it now"
like "$(grep -i '^set-cookie: parley_new_token' <<<"$HEADERS")" 'Max-Age=0' "and forgotten by the browser"
http GET /account
unlike "$BODY" "$tok" "a second visit does not show it"
like "$BODY" 'Backup script' "but lists the token by name"
bearer "$tok" GET /api/v1/me
is "$STATUS" 200 "the token works"
tok_id=$(sql "SELECT id FROM api_tokens WHERE user_id = '$A'")
post "/account/tokens/$tok_id/revoke"
is "$STATUS" 303 "revoking it from the page (303)"
bearer "$tok" GET /api/v1/me
is "$STATUS" 401 "and it stops working"
post "/account/tokens/$tok_id/revoke"
is "$STATUS" 404 "revoking it again is a 404"
tok2=$(api_token 'for export')

##
# Download my data
##
conv=$(sql "INSERT INTO conversations (user_id, title) VALUES ('$A', 'Trip plans') RETURNING id")
sql "INSERT INTO messages (conversation_id, role, content) VALUES ('$conv', 'user', 'Where should I go?')"
sql "WITH m2 AS (INSERT INTO messages (conversation_id, role, content, model)
        VALUES ('$conv', 'assistant', 'Try Lisbon.', 'builtin/parley') RETURNING id)
    INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion, tokens_total,
        completion_time_ms) SELECT id, 'builtin/parley', 5, 3, 8, 12 FROM m2"
sql "INSERT INTO tasks (user_id, title) VALUES ('$A', 'Pack bags'), ('$B', 'Bob''s secret task')"
prop=$(sql "INSERT INTO proposal_sessions (user_id, title, client_name)
    VALUES ('$A', 'Website', 'Acme') RETURNING id")
sql "INSERT INTO proposal_sections (session_id, section_name, content)
    VALUES ('$prop', 'executive_summary', 'We build it.')"
sql "INSERT INTO proposal_usage (session_id, user_id, section_name, model_used, tokens_total)
    VALUES ('$prop', '$A', 'executive_summary', 'builtin/parley', 42)"

http GET /account/export
is "$STATUS" 200 "the export downloads"
like "$(header Content-Type)" '^application/json' "as JSON"
like "$(header Content-Disposition)" '^attachment; filename="parley-data-[0-9]{4}-[0-9]{2}-[0-9]{2}\.json"$' \
    "as a file to save"
is "$(jget '.user | [.id, .email, .name] | @json')" "[\"$A\",\"alice@example.com\",\"Alice Cooper\"]" \
    "it holds the account"
is "$(jget '[.tasks[].title] | @json')" '["Pack bags"]' "the person's tasks, and not Bob's"
is "$(jget '.conversations[0].title')" "Trip plans" "the conversations"
is "$(jget '[.conversations[0].messages[] | .role + ": " + .content] | @json')" \
    '["user: Where should I go?","assistant: Try Lisbon."]' "with their messages in order"
is "$(jget '.conversations[0].messages[1].response.tokens_total')" 8 "and each answer's usage"
is "$(jget '.proposals[0] | [.title, .client_name, .sections[0].section_name, .sections[0].content] | @json')" \
    '["Website","Acme","executive_summary","We build it."]' "the proposals with their sections"
is "$(jget '.proposals[0].usage[0] | [.section_name, .tokens_total] | @json')" '["executive_summary",42]' \
    "and the usage of writing them"
is "$(jget '[.api_tokens[].name] | sort | @json')" '["Backup script","for export"]' "the API tokens by name"
is "$(jget '.sessions | length')" 1 "the sessions"
unlike "$BODY" 'password_hash|argon2|token_hash|csrf_secret' "no password hash, token hash or CSRF secret"
unlike "$BODY" "${tok2:-no token}" "and no token"
unlike "$BODY" "Bob" "nothing of Bob's"
in_jar anonymous http GET /account/export
is "$STATUS" 303 "the export needs a login"

##
# Delete the account
##
sql "INSERT INTO login_attempts (login, ip) VALUES ('alice@example.com', '127.0.0.1')"
before=$(owned "$A")
is "$before" "users=1 auth_sessions=1 api_tokens=2 conversations=1 messages=2 responses=1 tasks=1 proposal_sessions=1 proposal_sections=1 proposal_usage=1" \
    "Alice owns rows in every table"
http POST /account/delete --data-urlencode password='brand new password'
is "$STATUS" 403 "deleting without the CSRF token is refused (403)"
post /account/delete password='wrong password'
is "$STATUS" 422 "deleting with a wrong password is refused (422)"
like "$BODY" 'id="delete-password"[^>]*aria-invalid="true"' "the password field is marked"
post /account/delete password=''
is "$STATUS" 422 "deleting without the password is refused (422)"
is "$(owned "$A")" "$before" "nothing was deleted"

post /account/delete password='brand new password'
is "$STATUS" 303 "the right password deletes the account (303)"
is "$(header Location)" "/login?deleted=1" "and goes to the sign-in page"
like "$(grep -i '^set-cookie: parley_session' <<<"$HEADERS")" 'Max-Age=0' "the session cookie is removed"
is "$(owned "$A")" "users=0 auth_sessions=0 api_tokens=0 conversations=0 messages=0 responses=0 tasks=0 proposal_sessions=0 proposal_sections=0 proposal_usage=0" \
    "every row Alice owned is gone"
# Every table with a user_id column, including ones added after this test was written.
owner_tables=$(sql "SELECT table_name FROM information_schema.columns
    WHERE column_name = 'user_id' AND table_schema = current_schema() ORDER BY 1")
left=''
for tbl in $owner_tables; do
	n=$(sql "SELECT count(*) FROM $tbl WHERE user_id = '$A'")
	[ "$n" = 0 ] || left+="$tbl=$n "
done
is "$left" "" "no table with a user_id column ($(echo $owner_tables)) keeps a row of hers"
is "$(sql "SELECT count(*) FROM login_attempts WHERE login = 'alice@example.com'")" 0 \
    "her sign-in attempts too"
is "$(sql "SELECT count(*) FROM tasks WHERE user_id = '$B'") $(sql "SELECT count(*) FROM users")" "1 1" \
    "Bob and his task remain"
http GET /login?deleted=1
like "$BODY" 'were deleted' "the sign-in page confirms the deletion"
login_user alice@example.com 'brand new password' >/dev/null
is "$STATUS" 401 "the account can no longer sign in"
bearer "$tok2" GET /api/v1/me
is "$STATUS" 401 "nor its tokens be used"

done_testing

#!/usr/bin/env bash
# 0140-user-command.t: `parley user add|list|disable|enable|passwd`, and what a disabled
# account can no longer do over HTTP (sign in, use its sessions or its API tokens).
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# user ARGS...: runs `parley user ARGS` with stdin from $IN (default: nothing);
# sets OUT, ERR and RC.
IN=
user() {
	if [ -n "$IN" ]; then
		printf '%s\n' "$IN" | "$PARLEY_BIN" user "$@" >"$T/out" 2>"$T/err"
	else
		"$PARLEY_BIN" user "$@" >"$T/out" 2>"$T/err" </dev/null
	fi
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

##
# Usage
##
user
is "$RC" 2 "parley user without an action exits 2"
like "$ERR" 'usage: parley user add' "and prints the usage"
user frobnicate
is "$RC" 2 "an unknown action exits 2"
user add --email carol@example.com
is "$RC" 2 "add without --name exits 2"

##
# add
##
IN='carol password'
user add --email carol@example.com --name 'Carol Ng' --username carol --password-stdin
is "$RC" 0 "add with --password-stdin exits 0"
like "$OUT" "^added carol@example.com \\($uuid_pat\\)$" "and says what it added"
unlike "$OUT" 'carol password' "without echoing the password"
like "$(sql "SELECT password_hash FROM users WHERE email = 'carol@example.com'")" '^\$argon2id\$' \
    "the password is stored as an Argon2id hash"
login_user carol 'carol password' >/dev/null
is "$STATUS" 200 "the new account signs in over HTTP (by username)"
is "$(jget .user.name)" "Carol Ng" "with the name given"

IN=
user add --email dave@example.com --name Dave
is "$RC" 0 "add without a password on a pipe exits 0"
like "$OUT" $'\npassword: [A-Za-z0-9_-]{24}$' "and prints a generated password"
dave_pw=$(sed -n 's/^password: //p' <<<"$OUT")
login_user dave@example.com "$dave_pw" >/dev/null
is "$STATUS" 200 "which signs in"

IN='another password'
user add --email CAROL@EXAMPLE.COM --name Other --password-stdin
is "$RC" 1 "adding an email that exists (other case) exits 1"
like "$ERR" 'already exists' "and says why"
user add --email erin@example.com --name Erin --username CAROL --password-stdin
is "$RC" 1 "adding a taken username exits 1"
user add --email 'not an email' --name X --password-stdin
is "$RC" 1 "a malformed email exits 1"
like "$ERR" 'valid email' "and says why"
IN=short
user add --email erin@example.com --name Erin --password-stdin
is "$RC" 1 "a short password exits 1"
like "$ERR" 'at least 8' "and says why"
IN=
user add --email erin@example.com --name Erin --password-stdin
is "$RC" 1 "--password-stdin with nothing on stdin exits 1"
is "$(sql "SELECT count(*) FROM users")" 2 "none of these added an account"

# On a terminal the password is asked for, twice, without echo (script(1) makes the terminal).
if command -v script >/dev/null 2>&1; then
	{ sleep 2; printf 'terminal password\n'; sleep 1; printf 'terminal password\n'; sleep 2; } |
	    script -qec "'$PARLEY_BIN' user add --email tty@example.com --name Tty" /dev/null \
	    >"$T/tty.out" 2>&1
	tty_out=$(tr -d '\r' <"$T/tty.out")
	like "$tty_out" $'New password: *\nAgain: *\nadded tty@example.com' \
	    "on a terminal, add asks for the password twice"
	unlike "$tty_out" 'terminal password' "without echoing it"
	login_user tty@example.com 'terminal password' >/dev/null
	is "$STATUS" 200 "and the password typed there signs in"
	sql "DELETE FROM users WHERE email = 'tty@example.com'"
else
	skip "script(1) is not installed: no terminal to test the prompt" 3
fi

##
# list
##
user list
is "$RC" 0 "list exits 0"
like "$OUT" '^ID +EMAIL +USERNAME +STATUS' "with a header"
like "$OUT" 'carol@example\.com +carol +active' "and a line per account"
like "$OUT" 'dave@example\.com +- +active' "a dash for no username"
user list --json
is "$(jq -r '[.items[].email] | @json' <<<"$OUT")" '["carol@example.com","dave@example.com"]' \
    "list --json gives the accounts as JSON"
unlike "$OUT" 'argon2|password' "without password hashes"

##
# disable and enable
##
COOKIE_JAR=$T/jar.carol
login_user carol@example.com 'carol password' >/dev/null
tok=$(api_token carol-script)
http GET /api/v1/me
is "$STATUS" 200 "Carol is signed in"
bearer "$tok" GET /api/v1/me
is "$STATUS" 200 "and her API token works"

COOKIE_JAR=$T/jar.carol2
login_user carol@example.com 'carol password' >/dev/null
COOKIE_JAR=$T/jar.carol
is "$(sql "SELECT count(*) FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'carol@example.com'")" 2 \
    "Carol has two sessions"
user disable Carol@Example.com
is "$RC" 0 "disable exits 0 (email in any case)"
like "$OUT" 'disabled Carol@Example.com; 2 sessions ended' "and says how many sessions it ended"
is "$(sql "SELECT is_active FROM users WHERE email = 'carol@example.com'")" f "the account is marked inactive"
is "$(sql "SELECT count(*) FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'carol@example.com'")" 0 \
    "its sessions are deleted"
http GET /api/v1/me
is "$STATUS" 401 "the session cookie no longer works"
bearer "$tok" GET /api/v1/me
is "$STATUS" 401 "nor the API token"
login_user carol@example.com 'carol password' >/dev/null
is "$STATUS" 403 "the right password cannot sign in (403)"
like "$(jget .error.message)" 'disabled' "and is told the account is disabled"
login_user carol@example.com 'wrong password' >/dev/null
is "$STATUS/$(jget .error.message)" "401/Wrong email or password." \
    "a wrong password learns nothing about the account"
user list
like "$OUT" 'carol@example\.com +carol +disabled' "list shows it disabled"
user disable nobody@example.com
is "$RC" 1 "disabling an unknown email exits 1"
like "$ERR" 'no account' "and says so"

user enable carol@example.com
is "$RC" 0 "enable exits 0"
login_user carol@example.com 'carol password' >/dev/null
is "$STATUS" 200 "the account signs in again"
bearer "$tok" GET /api/v1/me
is "$STATUS" 200 "and its (unrevoked) token works again"

##
# passwd
##
IN='new carol password'
user passwd carol@example.com --password-stdin
is "$RC" 0 "passwd exits 0"
like "$OUT" 'changed the password of carol@example.com; 1 session ended' "and ends the sessions"
http GET /api/v1/me
is "$STATUS" 401 "the session is gone"
login_user carol@example.com 'carol password' >/dev/null
is "$STATUS" 401 "the old password no longer works"
login_user carol@example.com 'new carol password' >/dev/null
is "$STATUS" 200 "the new one does"
user passwd nobody@example.com --password-stdin
is "$RC" 1 "passwd of an unknown email exits 1"
IN=
user passwd dave@example.com
is "$RC" 0 "passwd without a password on a pipe generates one"
dave_pw=$(sed -n 's/^password: //p' <<<"$OUT")
login_user dave@example.com "$dave_pw" >/dev/null
is "$STATUS" 200 "which signs in"

DATABASE_URL="postgresql:///parley?host=$T/nowhere" user list
is "$RC" 1 "without a database, list exits 1"
like "$ERR" 'cannot connect to the database' "and says why"

done_testing

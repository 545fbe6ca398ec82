#!/usr/bin/env bash
# 0120-login-throttle.t: 5 failed logins per account or 20 per address in 15 minutes give
# 429 with Retry-After, kept in PostgreSQL (a restart forgets nothing), and reset by time
# or, for the account, by a successful login.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# login LOGIN PASSWORD: one API login attempt in a fresh cookie jar; sets STATUS.
login() {
	cookie_jar_reset
	http POST /api/v1/auth/login -H 'Content-Type: application/json' \
	    --data-binary "$(jq -cn --arg e "$1" --arg p "$2" '{email: $e, password: $p}')"
}

# fail_n N LOGIN: N wrong-password attempts; passes when each got 401.
fail_n() {
	local n=$1 i statuses=''
	for ((i = 0; i < n; i++)); do
		login "$2" "wrong password $i"
		statuses+="$STATUS "
	done
	[ "$statuses" = "$(printf '401 %.0s' $(seq "$n"))" ] || { diag "statuses: $statuses"; return 1; }
}

# forget_minutes N: moves every recorded attempt N minutes into the past.
forget_minutes() {
	sql "UPDATE login_attempts SET attempted_at = attempted_at - make_interval(mins => $1)"
}

COOKIE_JAR=$T/jar.setup
register_user alice@example.com 'alice password' Alice >/dev/null
sql "UPDATE users SET username = 'alice' WHERE email = 'alice@example.com'"
register_user bob@example.com 'bob password' Bob >/dev/null
COOKIE_JAR=$T/cookies

##
# Per account
##
check "5 wrong passwords for one account each get 401" fail_n 5 alice@example.com
sessions=$(sql "SELECT count(*) FROM auth_sessions")
login alice@example.com 'alice password'
is "$STATUS" 429 "the next attempt, even with the right password, gets 429"
retry=$(header Retry-After)
like "$retry" '^[0-9]+$' "with a Retry-After in seconds"
ok "$([ "${retry:-0}" -gt 840 ] && [ "${retry:-0}" -le 900 ]; echo $?)" \
    "about 15 minutes from the first failure ($retry s)"
is "$(jget .error.code)" throttled "error code throttled"
like "$(jget .error.message)" 'Too many failed sign-in attempts' "with a message that says why"
is "$(sql "SELECT count(*) FROM auth_sessions")" "$sessions" "and no session was started"
login ALICE 'alice password'
is "$STATUS" 429 "the same account by its username is throttled too"
login Alice@Example.COM 'alice password'
is "$STATUS" 429 "and by its email in other letter case"

http GET /login
csrf=$(csrf_from_jar)
http POST /login --data-urlencode csrf_token="$csrf" --data-urlencode email=alice@example.com \
    --data-urlencode password='alice password'
is "$STATUS" 429 "the sign-in form is throttled too (429)"
like "$(header Retry-After)" '^[0-9]+$' "with Retry-After"
like "$BODY" 'role="alert"' "and the message shown in the page"
like "$BODY" 'Try again in 15 minutes' "saying when to try again"

login bob@example.com 'bob password'
is "$STATUS" 200 "another account from the same address still signs in"

parley_stop
parley_start || bail "parley did not restart"
login alice@example.com 'alice password'
is "$STATUS" 429 "after a restart the account is still throttled (kept in PostgreSQL)"

forget_minutes 16
login alice@example.com 'alice password'
is "$STATUS" 200 "once the failures are 15 minutes old, the right password works again"

# A success starts the count again.
check "4 wrong passwords" fail_n 4 alice@example.com
login alice@example.com 'alice password'
is "$STATUS" 200 "the right password still works after 4 failures"
check "4 more wrong passwords after that success get 401" fail_n 4 alice@example.com
login alice@example.com 'alice password'
is "$STATUS" 200 "and the count started again at the success: not throttled"
check "5 wrong passwords" fail_n 5 alice@example.com
login alice@example.com 'alice password'
is "$STATUS" 429 "5 failures since the last success throttle again"

##
# Per address
##
sql "DELETE FROM login_attempts"
all=0
for u in 1 2 3 4; do
	fail_n 5 "nobody$u@example.com" || all=1
done
ok $all "20 wrong logins from one address, spread over 4 unknown names, each get 401"
login bob@example.com 'bob password'
is "$STATUS" 429 "the 21st attempt from that address gets 429, even for another account"
like "$(header Retry-After)" '^[0-9]+$' "with Retry-After"
login nobody9@example.com 'whatever pw'
is "$STATUS" 429 "and for an unknown name"
is "$(sql "SELECT count(*) FROM login_attempts")" 20 "throttled attempts are not counted again"
forget_minutes 16
login bob@example.com 'bob password'
is "$STATUS" 200 "15 minutes later the address may sign in again"

# The success of one's own account does not clear an address's failures.
sql "DELETE FROM login_attempts"
for u in 1 2 3; do fail_n 5 "guess$u@example.com" >/dev/null; done
fail_n 4 guess4@example.com >/dev/null
login bob@example.com 'bob password'
is "$STATUS" 200 "a success after 19 failures from the address"
login guess5@example.com 'wrong password'
is "$STATUS" 401 "the 20th failure still counts"
login bob@example.com 'bob password'
is "$STATUS" 429 "and then the address is throttled, despite the success"

done_testing

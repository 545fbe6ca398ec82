#!/usr/bin/env bash
# 0150-session-expiry.t: idle and absolute expiry of login sessions (PARLEY_SESSION_IDLE,
# PARLEY_SESSION_ABSOLUTE, shortened to seconds here): use keeps a session alive until
# the absolute limit; an idle one ends; an ended one is refused and its cookie cleared.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

db_start
nginx_start

# use_for N: N requests one second apart; prints their statuses.
use_for() {
	local i out=''
	for ((i = 0; i < $1; i++)); do
		sleep 1
		out+="$(me_status) "
	done
	echo "${out% }"
}

##
# Idle expiry
##
PARLEY_SESSION_IDLE=3 parley_start || bail "parley did not start"
register_user ann@example.com 'ann password' Ann >/dev/null || bail "cannot register"
like "$(header Set-Cookie)" 'parley_session=[0-9a-f]{64};.*Max-Age=2592000' \
    "the cookie lives as long as the absolute limit (30 days by default)"
exp0=$(sql "SELECT extract(epoch FROM expires_at - created_at)::int FROM auth_sessions")
is "$exp0" 3 "a new session expires after the idle limit"
is "$(use_for 5)" "200 200 200 200 200" "used every second, it outlives the 3-second idle limit"
ok "$([ "$(sql "SELECT (expires_at > created_at + interval '4 seconds')::int FROM auth_sessions")" = 1 ]; echo $?)" \
    "its expiry moved forward with use"
sleep 4
is "$(me_status)" 401 "left idle for 4 seconds, it has ended"
like "$(header Set-Cookie)" 'parley_session=; .*Max-Age=0' "and the browser is told to forget it"
http GET /account
is "$(header Location)" "/login?next=%2Faccount" "the pages ask for a login again"

login_user ann@example.com 'ann password' >/dev/null
is "$STATUS" 200 "signing in again works"
is "$(count_rows auth_sessions)" 1 "and the expired session row was cleaned up"
parley_stop

##
# Absolute expiry
##
PARLEY_SESSION_IDLE=60 PARLEY_SESSION_ABSOLUTE=4 parley_start || bail "parley did not restart"
cookie_jar_reset
login_user ann@example.com 'ann password' >/dev/null
like "$(header Set-Cookie)" 'Max-Age=4(;|$)' "the cookie's Max-Age is the absolute limit"
# The browser would drop the cookie at Max-Age; send it on regardless, as a thief would.
token=$(awk '$6 == "parley_session" { print $7 }' "$COOKIE_JAR")
statuses=''
for i in 1 2 3 4 5 6; do
	sleep 1
	COOKIE_JAR=$T/jar.raw
	: >"$COOKIE_JAR"
	http GET /api/v1/me -H "Cookie: parley_session=$token"
	statuses+="$STATUS "
done
COOKIE_JAR=$T/cookies
like "$statuses" '^200 200 (200 )*(401 )+$' \
    "in constant use, it still ends at the 4-second absolute limit ($statuses)"

done_testing

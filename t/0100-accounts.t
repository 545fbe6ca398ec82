#!/usr/bin/env bash
# 0100-accounts.t: registering, signing in and out with the HTML forms through nginx:
# field rules, errors in the form, cookies, session rotation, CSRF, next=, headers.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"
. "$top_srcdir/t/lib/pages.sh"

stack_start

# set_cookie NAME: the Set-Cookie line of the last answer for that cookie.
set_cookie() {
	grep -i "^set-cookie: $1=" <<<"$HEADERS" | tail -n 1
}

##
# Before any login
##
http GET /
is "$STATUS" 303 "/ redirects a visitor who is not signed in"
is "$(header Location)" /login "to /login"
like "$(set_cookie parley_csrf)" 'parley_csrf=[0-9a-f]{64}; .*HttpOnly' \
    "a first visit gets an HttpOnly CSRF cookie"

http GET /login
is "$STATUS" 200 "the sign-in page loads"
like "$BODY" '<form[^>]*method="post" action="/login"' "with a form posting to /login"
like "$BODY" 'name="email"' "an email (or username) field"
like "$BODY" 'name="password" type="password"' "a password field"
CSRF=$(csrf_from_jar)
like "$CSRF" '^[0-9a-f]{64}$' "a signed-out CSRF cookie is set before any login"
is "$(page_csrf)" "$CSRF" "and the form carries the same token"

csp=$(header Content-Security-Policy)
like "$csp" "frame-ancestors 'none'" "CSP forbids framing"
like "$csp" "script-src 'self'" "CSP allows only our own scripts"
unlike "$csp" "unsafe-inline" "CSP allows no inline script"
is "$(header X-Content-Type-Options)" nosniff "X-Content-Type-Options: nosniff"
is "$(header Referrer-Policy)" same-origin "Referrer-Policy: same-origin"
unlike "$BODY" '<script>|<script [^>]*>[^<]' "the page has no inline script"

http GET /register
is "$STATUS" 200 "the registration page loads"
for f in email name password username csrf_token; do
	like "$BODY" "name=\"$f\"" "the registration form has a $f field"
done

##
# CSRF on the forms
##
http POST /register --data-urlencode email=nocsrf@example.com --data-urlencode name=No \
    --data-urlencode password=long-enough-pw
is "$STATUS" 403 "registering without a CSRF token is refused (403)"
http POST /register --data-urlencode csrf_token="${CSRF//[0-9]/a}" \
    --data-urlencode email=nocsrf@example.com --data-urlencode name=No \
    --data-urlencode password=long-enough-pw
is "$STATUS" 403 "registering with a wrong CSRF token is refused (403)"
like "$BODY" "Reload the page" "the 403 page says what to do"
is "$(count_rows users)" 0 "and no account was made"

##
# Field rules, shown in the form
##
post /register email=ann@example.com name='Ann <b>Lee</b>' password=seven77
is "$STATUS" 422 "a 7-byte password is refused (422)"
like "$BODY" 'id="password"[^>]*aria-invalid="true"' "the password field is marked invalid"
like "$BODY" 'aria-describedby="password-error' "and points at its message"
like "$BODY" 'id="password-error">[^<]*at least 8 characters' "which says the minimum"
like "$BODY" 'role="alert"' "the errors are announced"
like "$BODY" 'value="ann@example.com"' "the email typed is kept"
like "$BODY" 'value="Ann &lt;b&gt;Lee&lt;/b&gt;"' "the name typed is kept, escaped"
unlike "$BODY" 'seven77' "the password is never sent back"
unlike "$BODY" 'id="email"[^>]*aria-invalid' "the email field is not marked"

long=$(head -c 1025 /dev/zero | tr '\0' 'x')
post /register email=ann@example.com name=Ann password="$long"
is "$STATUS" 422 "a 1025-byte password is refused (422)"
like "$BODY" 'at most 1024 bytes' "with a message saying the maximum"

post /register email=not-an-email name=Ann password=long-enough-pw
is "$STATUS" 422 "a malformed email is refused (422)"
like "$BODY" 'id="email"[^>]*aria-invalid="true"[^>]*aria-describedby="email-error"' \
    "the email field is marked invalid and described"
like "$BODY" 'id="email-error">Enter a valid email' "with a message"

post /register email=ann@example.com name='   ' password=long-enough-pw
is "$STATUS" 422 "a blank name is refused (422)"
like "$BODY" 'id="name-error">Name is required' "with a message by the name field"

post /register email=ann@example.com name=Ann username='bad name!' password=long-enough-pw
is "$STATUS" 422 "a username with spaces or signs is refused (422)"
like "$BODY" 'id="username-error"' "with a message by the username field"
is "$(count_rows users)" 0 "no account was made by any of these"

##
# Registering
##
post /register email=Ann@Example.com name='Ann Lee' username=ann password=12345678
is "$STATUS" 303 "registering with an 8-byte password works (303)"
is "$(header Location)" /chat "and goes to /chat"
cookie=$(set_cookie parley_session)
like "$cookie" 'parley_session=[0-9a-f]{64};' "a session cookie of 32 random bytes is set"
like "$cookie" '; HttpOnly' "HttpOnly"
like "$cookie" '; SameSite=Lax' "SameSite=Lax"
like "$cookie" '; Path=/(;|$)' "Path=/"
unlike "$cookie" '; Secure' "no Secure with PARLEY_SECURE_COOKIES=0 (plain http)"
token1=$(jar_session)
is "$(sql "SELECT count(*) FROM auth_sessions WHERE token_hash = '$token1'")" 0 \
    "the session table does not hold the token itself"
is "$(sql "SELECT count(*) FROM auth_sessions")" 1 "it holds one session row"
like "$(sql "SELECT password_hash FROM users")" '^\$argon2id\$' "the password is stored as an Argon2id hash"
is "$(sql "SELECT email || ' ' || username || ' ' || name FROM users")" "Ann@Example.com ann Ann Lee" \
    "the account has the email, username and name given"

http GET /
is "$(header Location)" /chat "/ sends a signed-in person to /chat"
http GET /account
is "$STATUS" 200 "the account page opens when signed in"
like "$BODY" 'Ann@Example.com' "and shows the account's email"
CSRF=$(page_csrf)
like "$CSRF" '^[0-9a-f]{64}$' "the signed-in pages carry a CSRF token"
http GET /register
is "$STATUS" 303 "/register sends a signed-in person on"

##
# Duplicates, any letter case
##
COOKIE_JAR=$T/jar.other
http GET /register
CSRF=$(csrf_from_jar)
post /register email=ANN@example.COM name=Other password=long-enough-pw
is "$STATUS" 409 "the same email in other letter case is refused (409)"
like "$BODY" 'An account with this email already exists\.' "with the message that says so"
like "$BODY" 'id="email"[^>]*aria-invalid="true"' "by the email field"
post /register email=other@example.com name=Other username=ANN password=long-enough-pw
is "$STATUS" 409 "a username taken in other letter case is refused (409)"
is "$(count_rows users)" 1 "still one account"

##
# Signing out
##
COOKIE_JAR=$T/cookies
http GET /account
CSRF=$(page_csrf)
http POST /logout
is "$STATUS" 403 "signing out without the CSRF token is refused"
http GET /account
is "$STATUS" 200 "and the session goes on"
post /logout
is "$STATUS" 303 "signing out works (303)"
is "$(header Location)" /login "and goes to /login"
like "$(set_cookie parley_session)" 'Max-Age=0' "the session cookie is removed"
is "$(sql "SELECT count(*) FROM auth_sessions")" 0 "the session row is deleted"
post /logout
is "$STATUS/$(header Location)" "303//login" "signing out again, with the lapsed page's token, just goes to /login"
http GET /account
is "$STATUS" 303 "the account page then asks for a login"
is "$(header Location)" "/login?next=%2Faccount" "with next= pointing back"
# old_cookie METHOD PATH: a request carrying only the session cookie $token1.
old_cookie() {
	local jar=$COOKIE_JAR
	COOKIE_JAR=$T/jar.none
	: >"$COOKIE_JAR"
	http "$@" -H "Cookie: parley_session=$token1"
	COOKIE_JAR=$jar
}
old_cookie GET /api/v1/me
is "$STATUS" 401 "the old session token no longer works"

##
# Signing in
##
http GET /login
CSRF=$(csrf_from_jar)
post /login email=ann@example.com password=wrong-password
is "$STATUS" 401 "a wrong password is refused (401)"
like "$BODY" 'Wrong email or password\.' "with the generic message"
like "$BODY" 'value="ann@example.com"' "the login typed is kept"
unlike "$BODY" 'wrong-password' "the password is not sent back"
like "$BODY" 'id="password"[^>]*aria-invalid="true"' "the password field is marked"
post /login email=nobody@example.com password=wrong-password
is "$STATUS" 401 "an unknown email is refused the same way (401)"
like "$BODY" 'Wrong email or password\.' "with the same message"
post /login email=ann@example.com password=
is "$STATUS" 422 "an empty password is a form error (422)"

post /login email=ANN@EXAMPLE.COM password=12345678
is "$STATUS" 303 "the right password signs in, email in any case (303)"
is "$(header Location)" /chat "to /chat"
token2=$(jar_session)
like "$token2" '^[0-9a-f]{64}$' "with a session cookie"
isnt "$token2" "$token1" "a new token at this login"

# Signing in again while signed in replaces the session (rotation).
http GET /login
is "$STATUS" 303 "/login sends a signed-in person on"
http GET /account
CSRF=$(page_csrf)
post /login email=ann password=12345678
is "$STATUS" 303 "the username works as the login name too"
token3=$(jar_session)
isnt "$token3" "$token2" "another login gives another token"
token1=$token2
old_cookie GET /api/v1/me
is "$STATUS" 401 "and the session it replaced is gone"
is "$(sql "SELECT count(*) FROM auth_sessions")" 1 "one session row remains"

##
# next=: back to where the login was asked for, only within the site
##
COOKIE_JAR=$T/jar.next
http GET /account
is "$(header Location)" "/login?next=%2Faccount" "a page that needs a login redirects to /login?next="
http GET "/login?next=%2Faccount"
like "$BODY" 'name="next" value="/account"' "the login form carries next"
CSRF=$(csrf_from_jar)
post /login email=ann@example.com password=12345678 next=/account
is "$(header Location)" /account "after the login it goes back to next"
for bad in //evil.example/x '/\evil.example' https://evil.example/ 'javascript:alert(1)'; do
	cookie_jar_reset
	http GET /login
	CSRF=$(csrf_from_jar)
	post /login email=ann@example.com password=12345678 next="$bad"
	is "$(header Location)" /chat "next=$bad is ignored: it goes to /chat"
done

##
# Secure cookies unless turned off
##
parley_stop
COOKIE_JAR=$T/jar.secure
PARLEY_SECURE_COOKIES=1 setsid "$PARLEY_BIN" serve --listen "unix:$PARLEY_SOCK" --workers 1 \
    --threads 2 >>"$T/parley.log" 2>&1 </dev/null &
PARLEY_PID=$!
track "$PARLEY_PID"
wait_for 100 curl -fs -o /dev/null --max-time 2 "$BASE_URL/healthz" || bail "parley did not restart"
http POST /api/v1/auth/login -H 'Content-Type: application/json' \
    --data-binary '{"email": "ann@example.com", "password": "12345678"}'
is "$STATUS" 200 "signing in works with secure cookies on"
like "$(set_cookie parley_session)" '; Secure' "the session cookie is Secure by default"
like "$(set_cookie parley_session)" '; HttpOnly' "and HttpOnly"

done_testing

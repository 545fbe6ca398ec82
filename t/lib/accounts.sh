# shellcheck shell=bash
# accounts.sh: people for integration tests: sign up, sign in and API tokens over the JSON API.
#
# Source it after harness.sh (it uses http and the current $COOKIE_JAR); it sources json.sh,
# so it skips the test when jq is missing:
#	. "$top_srcdir/t/lib/harness.sh"
#	. "$top_srcdir/t/lib/accounts.sh"
#	register_user alice@example.com 'correct horse battery' Alice
#	http GET /api/v1/me                          # signed in through the cookie jar
#	http POST /api/v1/tokens -H "X-CSRF-Token: $CSRF" ...
# To act as several people, give each their own jar: COOKIE_JAR=$T/jar.alice, or
# person KEY ... and as KEY (two_people for the usual Alice and Bob).
#
# People:   register_user, login_user, logout_user, api_token NAME, person KEY EMAIL
#           PASSWORD [NAME], two_people [NAME_A NAME_B], as KEY
# Requests: api METHOD PATH [JSON] (API_TOKEN set: with that token alone), bearer,
#           bearer_api, post PATH FIELD=VALUE..., me_status
# Cookies:  csrf_from_jar, jar_session

# shellcheck disable=SC2154 # top_srcdir: set by harness.sh
. "$top_srcdir/t/lib/json.sh"

# Set by the helpers below for the scripts that source this file.
# shellcheck disable=SC2034
CSRF='' USER_ID=''

# _accounts_json KEY VALUE...: a JSON object of string values.
_accounts_json() {
	local args=() filter='{' sep=''
	while [ $# -ge 2 ]; do
		args+=(--arg "$1" "$2")
		filter+="$sep\"$1\": \$$1"
		sep=', '
		shift 2
	done
	jq -cn "${args[@]}" "$filter}"
}

# _accounts_signed_in WHAT WANT_STATUS: checks the last answer and exports CSRF and USER_ID.
_accounts_signed_in() {
	if [ "$STATUS" != "$2" ]; then
		diag "$1: HTTP $STATUS: $BODY"
		return 1
	fi
	CSRF=$(jq -r .csrf_token <<<"$BODY")
	USER_ID=$(jq -r .user.id <<<"$BODY")
	export CSRF USER_ID
}

# register_user EMAIL PASSWORD [NAME]: creates the account with POST /api/v1/auth/register;
# leaves the cookie jar signed in and exports CSRF (for X-CSRF-Token) and USER_ID.
# Returns non-zero (after a diag line) when the account could not be made.
register_user() {
	local email=$1 password=$2 name=${3:-Test User}
	http POST /api/v1/auth/register -H 'Content-Type: application/json' \
	    --data-binary "$(_accounts_json email "$email" password "$password" name "$name")" || return 1
	_accounts_signed_in "register_user $email" 201
}

# login_user LOGIN PASSWORD: signs in with POST /api/v1/auth/login (LOGIN: an email or a
# username); leaves the cookie jar signed in and exports CSRF and USER_ID.
login_user() {
	http POST /api/v1/auth/login -H 'Content-Type: application/json' \
	    --data-binary "$(_accounts_json email "$1" password "$2")" || return 1
	_accounts_signed_in "login_user $1" 200
}

# logout_user: POST /api/v1/auth/logout with the current jar and CSRF token.
logout_user() {
	http POST /api/v1/auth/logout -H "X-CSRF-Token: $CSRF" || return 1
	if [ "$STATUS" != 204 ]; then
		diag "logout_user: HTTP $STATUS: $BODY"
		return 1
	fi
}

# api_token NAME: prints a new API token of the signed-in person (cookie jar and $CSRF).
# Run it as tok=$(api_token laptop); it fails (prints nothing) when no token was made.
api_token() {
	http POST /api/v1/tokens -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	    --data-binary "$(_accounts_json name "$1")" >&2 || return 1
	if [ "$STATUS" != 201 ]; then
		diag "api_token $1: HTTP $STATUS: $BODY" >&2
		return 1
	fi
	jq -r .token <<<"$BODY"
}

# api METHOD PATH [JSON]: a JSON API call as the person whose cookie jar and CSRF token are
# current or, when API_TOKEN is set, with that API token alone (bearer_api); JSON, when
# given, is the body.
api() {
	local method=$1 path=$2
	if [ -n "${API_TOKEN:-}" ]; then
		bearer_api "$API_TOKEN" "$@"
		return
	fi
	if [ $# -ge 3 ]; then
		http "$method" "$path" -H "X-CSRF-Token: $CSRF" \
		    -H 'Content-Type: application/json' --data-binary "$3"
	else
		http "$method" "$path" -H "X-CSRF-Token: $CSRF"
	fi
}

# bearer_api TOKEN METHOD PATH [JSON]: the same with only an API token (see bearer).
bearer_api() {
	local token=$1
	shift
	if [ $# -ge 3 ]; then
		bearer "$token" "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"
	else
		bearer "$token" "$1" "$2"
	fi
}

# bearer TOKEN METHOD PATH [CURL ARGS...]: an http call with only the token: no cookies sent or kept.
bearer() {
	local token=$1 jar=$COOKIE_JAR rc
	shift
	COOKIE_JAR=$T/accounts.no-cookies
	: >"$COOKIE_JAR"
	http "$@" -H "Authorization: Bearer $token"
	rc=$?
	COOKIE_JAR=$jar
	return "$rc"
}

# post PATH FIELD=VALUE...: a form post as a browser sends it, with the current $CSRF as its
# csrf_token field (first).
post() {
	local path=$1 args=() kv
	shift
	for kv in "csrf_token=$CSRF" "$@"; do
		args+=(--data-urlencode "$kv")
	done
	http POST "$path" "${args[@]}"
}

# me_status: GET /api/v1/me with the current cookie jar; prints the answer's status.
me_status() {
	http GET /api/v1/me
	echo "$STATUS"
}

# person KEY EMAIL PASSWORD [NAME]: registers someone in a cookie jar of their own,
# $T/jar.KEY, which stays the current one, and keeps their CSRF token and id as CSRF_KEY
# and USER_KEY (for as KEY). Bails when the account cannot be made.
person() {
	local key=$1
	COOKIE_JAR=$T/jar.$key
	register_user "$2" "$3" "${4:-}" || bail "cannot register $2"
	printf -v "CSRF_$key" '%s' "$CSRF"
	printf -v "USER_$key" '%s' "$USER_ID"
}

# two_people [NAME_A NAME_B]: person A, alice@example.com, and person B, bob@example.com
# (named Test User unless told otherwise); then acts as A.
two_people() {
	person A alice@example.com 'correct horse battery' "${1:-}"
	person B bob@example.com 'another good password' "${2:-}"
	as A
}

# as KEY: act as that person: their cookie jar, their CSRF token (CSRF_KEY, "" when unset)
# and, when USER_KEY is set, their USER_ID.
as() {
	local csrf=CSRF_$1 uid=USER_$1
	COOKIE_JAR=$T/jar.$1
	CSRF=${!csrf:-}
	[ -z "${!uid+set}" ] || USER_ID=${!uid}
}

# jar_session: the session token in the current cookie jar ("" when none).
jar_session() {
	awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR"
}

# csrf_from_jar: prints the signed-out CSRF token the server left in the cookie jar
# (what the /login and /register forms carry before anyone signs in).
csrf_from_jar() {
	awk '$6 == "parley_csrf" { v = $7 } END { print v }' "$COOKIE_JAR"
}

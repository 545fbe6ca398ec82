# shellcheck shell=bash
# accounts.sh: people for integration tests: sign up, sign in and API tokens over the JSON API.
#
# Source it after harness.sh (it uses http and the current $COOKIE_JAR); needs jq:
#	. "$top_srcdir/t/lib/harness.sh"
#	. "$top_srcdir/t/lib/accounts.sh"
#	register_user alice@example.com 'correct horse battery' Alice
#	http GET /api/v1/me                          # signed in through the cookie jar
#	http POST /api/v1/tokens -H "X-CSRF-Token: $CSRF" ...
# To act as several people, give each their own jar: COOKIE_JAR=$T/jar.alice.

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
# current; JSON, when given, is the body.
api() {
	local method=$1 path=$2
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

# csrf_from_jar: prints the signed-out CSRF token the server left in the cookie jar
# (what the /login and /register forms carry before anyone signs in).
csrf_from_jar() {
	awk '$6 == "parley_csrf" { v = $7 } END { print v }' "$COOKIE_JAR"
}

#!/usr/bin/env bash
# 0110-accounts-api.t: the JSON API of accounts through nginx: register, login, logout, me,
# personal API tokens, bearer access and revocation, CSRF on cookie writes, and 415s.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

stack_start

# j METHOD PATH JSON [CURL ARGS...]: a JSON request with the current jar (no CSRF header).
j() {
	local method=$1 path=$2 body=$3
	shift 3
	http "$method" "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

##
# Register: what is refused
##
http POST /api/v1/auth/register --data-urlencode email=a@example.com
is "$STATUS" 415 "a form-encoded register is refused (415)"
http POST /api/v1/auth/register
is "$STATUS" 415 "a register without a body is refused (415)"
http POST /api/v1/auth/register -H 'Content-Type: application/json'
is "$STATUS" 400 "an empty JSON body is refused (400)"
j POST /api/v1/auth/register '{"email": "a@example.com",'
is "$STATUS" 400 "malformed JSON is refused (400)"
j POST /api/v1/auth/register '["a@example.com"]'
is "$STATUS" 400 "a JSON array is refused (400)"
j POST /api/v1/auth/register '{"email": "a@example.com", "name": "A", "password": 12345678}'
is "$STATUS" 422 "a password that is not a string is refused (422)"
is "$(jget .error.code)" invalid "error code invalid"
like "$(jget .error.fields.password)" "string" "the password field is named in fields"

for bad in plainaddress 'a@b' 'a b@example.com' 'a@b@example.com' '@example.com' 'a@.example.com' \
    'a@example.' 'a@example..com' 'a.@example.com' '.a@example.com' '<a>@example.com' ' ' ''; do
	j POST /api/v1/auth/register "$(jq -cn --arg e "$bad" '{email: $e, name: "A", password: "long-enough-pw"}')"
	is "$STATUS/$(jget '.error.fields.email != null')" "422/true" "the email '$bad' is refused (422, by field)"
done
local_part=$(head -c 64 /dev/zero | tr '\0' 'a')
domain=$(head -c 186 /dev/zero | tr '\0' 'b')
email255="$local_part@$domain.com"
j POST /api/v1/auth/register "$(jq -cn --arg e "$email255" '{email: $e, name: "A", password: "long-enough-pw"}')"
is "$STATUS" 422 "an email of ${#email255} characters is refused (422)"

j POST /api/v1/auth/register '{"email": "a@example.com", "name": "A", "password": "seven77"}'
is "$STATUS" 422 "a 7-byte password is refused (422)"
like "$(jget .error.fields.password)" "at least 8" "with a message saying the minimum"
pw1025=$(head -c 1025 /dev/zero | tr '\0' 'p')
j POST /api/v1/auth/register "$(jq -cn --arg p "$pw1025" '{email: "a@example.com", name: "A", password: $p}')"
is "$STATUS" 422 "a 1025-byte password is refused (422)"
pw513e=$(printf 'é%.0s' $(seq 513))
j POST /api/v1/auth/register "$(jq -cn --arg p "$pw513e" '{email: "a@example.com", name: "A", password: $p}')"
is "$STATUS" 422 "513 two-byte characters (1026 bytes) are refused: the limit is in bytes"
j POST /api/v1/auth/register '{"email": "a@example.com", "name": "", "password": "long-enough-pw"}'
is "$STATUS/$(jget '.error.fields.name != null')" "422/true" "an empty name is refused (422)"
is "$(count_rows users)" 0 "none of these made an account"

##
# Register and sign in
##
pw1024=$(printf 'é%.0s' $(seq 512))
j POST /api/v1/auth/register "$(jq -cn --arg p "$pw1024" '{email: "Alice@Example.com", name: "Alice", username: "alice", password: $p}')"
is "$STATUS" 201 "registering answers 201 (with a 1024-byte password)"
is "$(jget '.user | keys | sort | @json')" \
    '["created_at","email","id","is_active","name","updated_at","username"]' \
    "the user object has exactly the public fields"
like "$(jget .user.id)" "$uuid_re" "the user id is a UUID"
is "$(jget '[.user.email, .user.username, .user.name, .user.is_active] | @json')" \
    '["Alice@Example.com","alice","Alice",true]' "with the values given"
like "$(jget .user.created_at)" "$time_re" "created_at is an ISO time"
like "$(jget .csrf_token)" '^[0-9a-f]{64}$' "and a csrf_token"
unlike "$BODY" 'argon2|password' "no password or hash in the answer"
like "$(header Set-Cookie)" 'parley_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Lax' "the session cookie is set"
CSRF_REG=$(jget .csrf_token)
alice_id=$(jget .user.id)

http GET /api/v1/me
is "$STATUS" 200 "/me answers for the new account"
is "$(jget .id)" "$alice_id" "with the user object itself"
is "$(jget 'has("password_hash")')" false "never the password hash"

j POST /api/v1/auth/register '{"email": "ALICE@example.COM", "name": "Again", "password": "long-enough-pw"}'
is "$STATUS" 409 "the same email in other letter case is refused (409)"
is "$(jget .error.message)" "An account with this email already exists." "with the message that says so"
j POST /api/v1/auth/register '{"email": "other@example.com", "name": "Other", "username": "ALICE", "password": "long-enough-pw"}'
is "$STATUS" 409 "a taken username in other letter case is refused (409)"
is "$(count_rows users)" 1 "still one account"

cookie_jar_reset
http GET /api/v1/me
is "$STATUS" 401 "/me without a login answers 401"
is "$(jget .error.code)" unauthorized "in the error shape"

j POST /api/v1/auth/login '{"email": "alice@example.com", "password": "wrong password"}'
is "$STATUS" 401 "a wrong password answers 401"
is "$(jget .error.message)" "Wrong email or password." "with the generic message"
j POST /api/v1/auth/login '{"email": "nobody@example.com", "password": "wrong password"}'
is "$STATUS/$(jget .error.message)" "401/Wrong email or password." "an unknown account gets the same answer"
j POST /api/v1/auth/login '{"email": "alice@example.com"}'
is "$STATUS" 422 "a login without a password is a 422"
http POST /api/v1/auth/login --data-urlencode email=alice@example.com --data-urlencode password=x
is "$STATUS" 415 "a form-encoded login is refused (415)"

login_user ALICE "$pw1024"
is "$STATUS" 200 "signing in with the username (any case) answers 200"
is "$(jget .user.id)" "$alice_id" "with the user"
like "$CSRF" '^[0-9a-f]{64}$' "and a CSRF token"
isnt "$CSRF" "$CSRF_REG" "a new session has a new CSRF token"
is "$(count_rows auth_sessions)" 2 "two sessions now: the registration's and this one"

##
# CSRF on cookie-authenticated writes
##
j POST /api/v1/tokens '{"name": "laptop"}'
is "$STATUS" 403 "a cookie write without X-CSRF-Token is refused (403)"
is "$(jget .error.code)" csrf "error code csrf"
j POST /api/v1/tokens '{"name": "laptop"}' -H "X-CSRF-Token: $CSRF_REG"
is "$STATUS" 403 "another session's CSRF token is refused (403)"
j POST /api/v1/tokens '{"name": "laptop"}' -H "X-CSRF-Token: ${CSRF:0:63}"
is "$STATUS" 403 "a cut-short CSRF token is refused (403)"
is "$(count_rows api_tokens)" 0 "and no token was made"

http POST /api/v1/tokens -H "X-CSRF-Token: $CSRF" --data-urlencode name=laptop
is "$STATUS" 415 "a form-encoded token request is refused (415)"
http POST /api/v1/tokens -H "X-CSRF-Token: $CSRF"
is "$STATUS" 415 "a token request without a body is refused (415)"
is "$(count_rows api_tokens)" 0 "still no token"
j POST /api/v1/tokens '{}' -H "X-CSRF-Token: $CSRF"
is "$STATUS/$(jget '.error.fields.name != null')" "422/true" "a token needs a name (422)"
j POST /api/v1/tokens "$(jq -cn --arg n "$(head -c 101 /dev/zero | tr '\0' n)" '{name: $n}')" \
    -H "X-CSRF-Token: $CSRF"
is "$STATUS" 422 "a 101-character token name is refused (422)"

##
# Tokens
##
j POST /api/v1/tokens '{"name": "laptop"}' -H "X-CSRF-Token: $CSRF"
is "$STATUS" 201 "creating a token answers 201"
is "$(jget 'keys | sort | @json')" '["created_at","id","name","token"]' "with id, name, token, created_at"
tok=$(jget .token)
tok_id=$(jget .id)
like "$tok" '^pat_[0-9a-f]{64}$' "the token is 32 random bytes"
is "$(sql "SELECT count(*) FROM api_tokens WHERE token_hash = '$tok' OR token_hash = '${tok#pat_}'")" 0 \
    "only a hash of it is stored"

http GET /api/v1/tokens
is "$STATUS" 200 "listing tokens answers 200"
is "$(jget '.items | length')" 1 "one token"
is "$(jget '.items[0] | keys | sort | @json')" '["created_at","id","last_used_at","name"]' \
    "each item has id, name, created_at, last_used_at"
unlike "$BODY" "$tok" "the list never shows the token"
is "$(jget '.items[0].last_used_at')" null "a token not used yet has no last_used_at"

bearer "$tok" GET /api/v1/me
is "$STATUS" 200 "the token works as Authorization: Bearer"
is "$(jget .id)" "$alice_id" "for its owner"
unlike "$HEADERS" 'parley_session=' "no session cookie is handed out to a bearer"
bearer "$tok" POST /api/v1/tokens -H 'Content-Type: application/json' --data-binary '{"name": "ci"}'
is "$STATUS" 201 "a bearer write needs no CSRF token"
ci_tok=$(jget .token)
ci_id=$(jget .id)
bearer "$tok" POST /api/v1/tokens --data-urlencode name=ci
is "$STATUS" 415 "a bearer write that is not JSON is refused (415)"
http GET /api/v1/tokens
like "$(jget '.items[] | select(.name == "laptop") | .last_used_at')" "$time_re" "using a token sets last_used_at"

bearer "pat_$(head -c 64 /dev/zero | tr '\0' 0)" GET /api/v1/me
is "$STATUS" 401 "an unknown bearer token answers 401"
is "$(header WWW-Authenticate)" Bearer "with WWW-Authenticate: Bearer"
bearer "$tok" POST /api/v1/auth/logout
is "$STATUS" 204 "logout with a bearer token answers 204"
bearer "$tok" GET /api/v1/me
is "$STATUS" 200 "and the token goes on working"

# Another person cannot see or revoke Alice's tokens.
saved_jar=$COOKIE_JAR
COOKIE_JAR=$T/jar.bob
register_user bob@example.com 'bobs password'
http GET /api/v1/tokens
is "$(jget '.items | length')" 0 "another person lists none of Alice's tokens"
http DELETE "/api/v1/tokens/$tok_id" -H "X-CSRF-Token: $CSRF"
is "$STATUS" 404 "revoking another person's token answers 404"
bob_tok=$(api_token bobs)
like "$bob_tok" '^pat_' "api_token prints a new token"
bearer "$bob_tok" DELETE "/api/v1/tokens/$ci_id"
is "$STATUS" 404 "also with a bearer token (404)"
COOKIE_JAR=$saved_jar
login_user alice@example.com "$pw1024" >/dev/null
bearer "$ci_tok" GET /api/v1/me
is "$STATUS" 200 "Alice's token still works"

http DELETE "/api/v1/tokens/$tok_id"
is "$STATUS" 403 "revoking without X-CSRF-Token is refused (403)"
http DELETE "/api/v1/tokens/$tok_id" -H "X-CSRF-Token: $CSRF"
is "$STATUS" 204 "revoking a token answers 204"
bearer "$tok" GET /api/v1/me
is "$STATUS" 401 "a revoked token no longer works (401)"
http GET /api/v1/tokens
is "$(jget '[.items[].name] | @json')" '["ci"]' "and it is no longer listed"
http DELETE "/api/v1/tokens/$tok_id" -H "X-CSRF-Token: $CSRF"
is "$STATUS" 404 "revoking it again answers 404"
http DELETE /api/v1/tokens/not-a-uuid -H "X-CSRF-Token: $CSRF"
is "$STATUS" 404 "a malformed token id answers 404"
bearer "$ci_tok" DELETE "/api/v1/tokens/$ci_id"
is "$STATUS" 204 "a token can revoke itself"
bearer "$ci_tok" GET /api/v1/tokens
is "$STATUS" 401 "and is then refused"

##
# Logout
##
http POST /api/v1/auth/logout
is "$STATUS" 403 "logout without X-CSRF-Token is refused (403)"
http GET /api/v1/me
is "$STATUS" 200 "and the session goes on"
logout_user
is "$STATUS" 204 "logout answers 204"
like "$(header Set-Cookie)" 'parley_session=; .*Max-Age=0' "and removes the cookie"
http GET /api/v1/me
is "$STATUS" 401 "after logout /me answers 401"
http POST /api/v1/auth/logout -H "X-CSRF-Token: $CSRF"
is "$STATUS" 401 "logging out again answers 401"

done_testing

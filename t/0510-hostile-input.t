#!/usr/bin/env bash
# shellcheck disable=SC2034 # CSRF_alice, CSRF_bob... are read indirectly (as, batch)
# 0510-hostile-input.t: what an attacker sends, and what everyone else then sees.
# - SQL injection and HTML/script payloads in every field a person fills in (name, token
#   name, browser user agent, task, conversation, message, proposal title, answers and
#   sections) are stored and given back verbatim by the API, and come out escaped on every
#   page (the raw markup never appears);
# - oversized bodies (413) and fields (422), invalid UTF-8 and NUL bytes (400), deeply nested
#   JSON (400), duplicate parameters (a defined winner), cookie and header bombs, path
#   traversal on every route: each gets a clear answer, never a 500, and changes nothing;
# - the ids of another person's rows, on every route of src/routes.c: 404 every time.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/accounts.sh"

ROUTES=$top_srcdir/src/routes.c
[ -r "$ROUTES" ] || skip_all "src/routes.c is not in the source tree"

stack_start

json_str() {
	jq -cn --arg v "$1" '$v'
}

# One payload with both kinds of attack; short enough for every field (200 characters).
P=$'Robert\'); DROP TABLE tasks; -- \' OR \'1\'=\'1 $1 %s\\ {{csrf_token}} <script>alert(\'x\')</script><img src=x onerror=alert(1)>"><b>bold</b>'
[ "${#P}" -le 200 ] || bail "the payload is too long for the fields (${#P})"
PJ=$(json_str "$P")
# Token names take at most 100 characters.
PT=$'x\'); DROP TABLE api_tokens; -- <script>alert(\'x\')</script><img src=x onerror=alert(1)>'
[ "${#PT}" -le 100 ] || bail "the token payload is too long (${#PT})"
# Markup that must never reach a page as markup.
RAW_RE='<script>alert|<img src=x|<b>bold</b>|onerror=alert\(1\)>'
ESC='&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;b&gt;bold&lt;/b&gt;'

##
# Two people: Alice fills everything with the payload, Bob tries her ids
##
person alice alice@example.com 'correct horse battery' "$P"
ALICE_ID=$USER_ID
person bob bob@example.com 'correct horse battery' Bob
CSRF_anon=
BOB_TOKEN=$(api_token bob-laptop) || bail "no token for Bob"

as alice
api GET /api/v1/me
is "$(jget .name)" "$P" "a name full of SQL and markup is stored verbatim"
# A second session, signed in by a browser whose user agent is the payload.
http POST /api/v1/auth/login -A "$P" -H 'Content-Type: application/json' \
    --data-binary '{"email": "alice@example.com", "password": "correct horse battery"}'
is "$STATUS" 200 "signing in with a hostile user agent works"
CSRF=$(jget .csrf_token)
CSRF_alice=$CSRF
post /account/name "name=$P"
is "$STATUS" 303 "renaming to the payload through the account form is accepted"
api GET /api/v1/me
is "$(jget .name)" "$P" "and stored verbatim"

api POST /api/v1/tokens "{\"name\": $(json_str "$PT")}"
is "$STATUS" 201 "an API token named with the payload"
TOKEN_ID=$(jget .id)
api GET /api/v1/tokens
is "$(jget "[.items[] | select(.id == \"$TOKEN_ID\") | .name][0]")" "$PT" "its name is given back verbatim"

api POST /api/v1/tasks "{\"title\": $PJ, \"description\": $PJ}"
is "$STATUS" 201 "a task with the payload as title and description"
TASK=$(jget .id)
api GET "/api/v1/tasks/$TASK"
is "$(jget .title)|$(jget .description)" "$P|$P" "both are given back verbatim"
post /tasks "title=$P" "description=$P"
is "$STATUS" 303 "the same through the tasks form"
is "$(sql "SELECT count(*) FROM tasks WHERE user_id = '$ALICE_ID' AND title = \$q\$$P\$q\$ AND description = \$q\$$P\$q\$")" 2 \
    "both tasks are stored byte for byte"
is "$(sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('tasks', 'users')")" 2 "no table was dropped"

api POST /api/v1/conversations '{}'
CONV=$(jget .id)
api PATCH "/api/v1/conversations/$CONV" "{\"title\": $PJ}"
is "$STATUS $(jget .title)" "200 $P" "a conversation titled with the payload, given back verbatim"
api POST "/api/v1/conversations/$CONV/messages" "{\"content\": $PJ}"
is "$STATUS" 201 "a message made of the payload is answered"
is "$(jget .user_message.content)" "$P" "the message is stored verbatim"
MSG=$(jget .assistant_message.id)
api POST "/api/v1/conversations/$CONV/messages" "$(jq -cn --arg p "$P" '{content: ("add a task called " + $p)}')"
is "$STATUS" 201 "asking the assistant to add a task named with the payload"
api POST /api/v1/conversations '{}'
CONV2=$(jget .id)
post "/chat/$CONV2/rename" "title=$P"
is "$STATUS" 303 "renaming a conversation to the payload through its form"
api GET "/api/v1/conversations/$CONV2"
is "$(jget .title)" "$P" "stored verbatim"

api POST /api/v1/proposals "{\"title\": $PJ}"
is "$STATUS" 201 "a proposal titled with the payload"
PROP=$(jget .id)
is "$(jget .title)" "$P" "given back verbatim"
for f in client_name project_title project_goals timeline deliverables technologies; do
	api POST "/api/v1/proposals/$PROP/answers" "{\"field\": \"$f\", \"answer\": $PJ}"
	[ "$STATUS" = 201 ] || diag "answer $f: $STATUS $BODY"
done
is "$STATUS" 201 "all six wizard answers are the payload"
api GET "/api/v1/proposals/$PROP"
is "$(jget '[.client_name, .project_title, .project_goals, .timeline, .deliverables, .technologies] | unique | length')|$(jget .client_name)" \
    "1|$P" "every answer is stored verbatim"
api PUT "/api/v1/proposals/$PROP/sections/objectives" "{\"content\": $PJ}"
is "$STATUS $(jget .content)" "200 $P" "a section set to the payload is stored verbatim"
api GET "/api/v1/proposals/$PROP/sections"
is "$(jget '.items | length')" 6 "the sections written from the payload answers exist"

##
# Every page: escaped, never raw
##
pages=(/account /tasks "/tasks/$TASK/edit" "/tasks/$TASK/delete" /chat "/chat/$CONV" "/chat/$CONV2"
	"/chat/$CONV/messages/$MSG?fragment=1" /usage /proposals "/proposals/$PROP" "/proposals/$PROP/delete"
	"/tasks?filter=$(jq -rn --arg p "$P" '$p | @uri')")
for p in "${pages[@]}"; do
	http GET "$p"
	is "$STATUS" 200 "GET ${p:0:60}: 200"
	like "$(header Content-Type)" '^text/html' "GET ${p:0:60}: an HTML page"
	unlike "$BODY" "$RAW_RE" "GET ${p:0:60}: the payload's markup never appears raw"
done
# Where the payload is plain text, its escaped form is what shows.
for p in /account /tasks "/tasks/$TASK/edit" "/tasks/$TASK/delete" /chat "/chat/$CONV" /proposals "/proposals/$PROP"; do
	http GET "$p"
	ok "$(grep -qF -- "$ESC" "$BODY_FILE"; echo $?)" "GET $p shows the payload escaped"
done
http GET /tasks
ok "$(grep -qF -- '{{csrf_token}}' "$BODY_FILE"; echo $?)" "template syntax in data is shown, not run"
http GET /account
ok "$(grep -qF -- 'x&#39;); DROP TABLE api_tokens; -- &lt;script&gt;' "$BODY_FILE"; echo $?)" \
    "the hostile token name shows escaped in the token list"
[ "$(grep -oF -- "$ESC" "$BODY_FILE" | wc -l)" -ge 2 ]
ok $? "the hostile user agent shows escaped in the session list, as does the name"
# The next= of the login page is reflected into the form: signed out, it must be escaped too.
as anon
http GET "/login?next=$(jq -rn --arg p "/\"><script>alert('x')</script>" '$p | @uri')"
is "$STATUS" 200 "the login page with a hostile next= answers 200"
unlike "$BODY" "$RAW_RE" "and does not reflect the markup raw"
# Where signing in sends people next: only ever a path on this site.
COOKIE_JAR=$T/jar.redirect
: >"$COOKIE_JAR"
for next in '//evil.example/' $'/\t/evil.example/' '/\evil.example/' 'https://evil.example/' \
    $'/\n/evil.example' '/%2F%2Fevil.example' ' //evil.example'; do
	: >"$COOKIE_JAR"
	http GET /login
	csrf=$(csrf_from_jar)
	http POST /login --data-urlencode "csrf_token=$csrf" --data-urlencode "email=bob@example.com" \
	    --data-urlencode "password=correct horse battery" --data-urlencode "next=$next"
	loc=$(header Location)
	ok "$([ "$STATUS" = 303 ] && [[ $loc == /* ]] && [[ $loc != //* ]] && [[ $loc != /\\* ]] &&
	    ! [[ $loc =~ [[:cntrl:]] ]]; echo $?)" "signing in with next=$(printf '%q' "$next"): sent to a local path ($loc)"
done
as anon
http GET "/tasks/$(jq -rn '"<script>alert(1)</script>" | @uri')/edit"
unlike "$BODY" "<script>alert" "a 404 page does not reflect the address raw"
as alice
http GET "/proposals/$PROP/export.md"
is "$STATUS" 200 "the Markdown export answers 200"
like "$(header Content-Type)" '^text/markdown' "as text/markdown, which browsers do not run"
is "$(header X-Content-Type-Options)" nosniff "with nosniff, so it is not sniffed as HTML"
http GET /account/export
is "$STATUS" 200 "the account export answers 200"
unlike "$(header Content-Type)" 'text/html' "and is not HTML"
api GET "/api/v1/conversations/$CONV/messages"
unlike "$(jget '[.items[].content_html // empty] | join("")')" "$RAW_RE" \
    "rendered message HTML (Markdown, safe mode) carries no live markup"
api GET "/api/v1/proposals/$PROP/sections"
unlike "$(jget '[.items[].content_html // empty] | join("")')" "$RAW_RE" "nor does rendered section HTML"

##
# Bad bodies and fields: a clear 4xx, nothing changed
##
snapshot() {
	sql "SELECT (SELECT count(*) FROM tasks) || ' ' || (SELECT count(*) FROM conversations) || ' ' ||
	    (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM proposal_sessions) || ' ' ||
	    (SELECT count(*) FROM api_tokens) || ' ' || (SELECT count(*) FROM users) || ' ' ||
	    (SELECT md5(string_agg(title || coalesce(description, ''), ',' ORDER BY id)) FROM tasks)"
}
before=$(snapshot)

# repeat N CHAR: N copies of CHAR.
repeat() {
	head -c "$1" /dev/zero | tr '\0' "$2"
}
# 1.1 MB (over parley's 1 MiB) and 2.1 MB (over nginx's 2 MiB in the test setup).
{ printf '{"title": "'; repeat 1100000 a; printf '"}'; } >"$T/big.json"
{ printf '{"title": "'; repeat 2100000 a; printf '"}'; } >"$T/bigger.json"
{ printf 'csrf_token=%s&title=' "$CSRF"; repeat 1100000 a; } >"$T/big.form"
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary @"$T/big.json"
is "$STATUS $(jget .error.code)" "413 too_large" "a 1.1 MB JSON body: 413 with a JSON error"
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary @"$T/bigger.json"
is "$STATUS" 413 "a 2.1 MB body: 413 (from nginx)"
http POST /tasks --data-binary @"$T/big.form"
is "$STATUS" 413 "a 1.1 MB form: 413"
like "$BODY" "larger than the limit" "with a page that says why"
http POST "/api/v1/conversations/$CONV/messages" -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary @"$T/big.json"
is "$STATUS" 413 "a 1.1 MB chat message: 413"

# Overlong fields, one past each limit: 422 naming the field.
long() {
	repeat "$1" x
}
overlong() {
	local what=$1 method=$2 path=$3 field=$4 body=$5
	api "$method" "$path" "$body"
	is "$STATUS $(jget ".error.fields | has(\"$field\")")" "422 true" "$what one past its limit: 422 naming $field"
}
overlong "a task title" POST /api/v1/tasks title "{\"title\": \"$(long 501)\"}"
overlong "a task description" POST /api/v1/tasks description "{\"title\": \"t\", \"description\": \"$(long 10001)\"}"
overlong "a task title (update)" PATCH "/api/v1/tasks/$TASK" title "{\"title\": \"$(long 501)\"}"
overlong "a conversation title" PATCH "/api/v1/conversations/$CONV" title "{\"title\": \"$(long 201)\"}"
overlong "a message" POST "/api/v1/conversations/$CONV/messages" content "{\"content\": \"$(long 32001)\"}"
overlong "a proposal title" POST /api/v1/proposals title "{\"title\": \"$(long 201)\"}"
overlong "a wizard answer" POST "/api/v1/proposals/$PROP/answers" answer \
    "{\"field\": \"timeline\", \"answer\": \"$(long 5001)\"}"
overlong "a section" PUT "/api/v1/proposals/$PROP/sections/objectives" content "{\"content\": \"$(long 100001)\"}"
overlong "a token name" POST /api/v1/tokens name "{\"name\": \"$(long 101)\"}"
as anon
overlong "a name at sign-up" POST /api/v1/auth/register name \
    "{\"email\": \"long@example.com\", \"password\": \"correct horse battery\", \"name\": \"$(long 201)\"}"
overlong "an email at sign-up" POST /api/v1/auth/register email \
    "{\"email\": \"$(long 250)@example.com\", \"password\": \"correct horse battery\", \"name\": \"N\"}"
overlong "a password at sign-up" POST /api/v1/auth/register password \
    "{\"email\": \"long@example.com\", \"password\": \"$(long 1025)\", \"name\": \"N\"}"
as alice
post /tasks "title=$(long 501)"
is "$STATUS" 422 "an overlong title through the tasks form: 422"
like "$BODY" "at most 500 characters" "with the form showing why"

# Invalid UTF-8 and NUL bytes, in JSON, forms, query strings and addresses.
bad() {
	local what=$1 want=$2
	shift 2
	http "$@"
	is "$STATUS" "$want" "$what: $want"
}
printf '{"title": "caf\xe9"}' >"$T/latin1.json"
printf '{"title": "a\xc0\xafb"}' >"$T/overlong.json"
printf '{"title": "a\xed\xa0\x80b"}' >"$T/surrogate.json"
printf '{"title": "a\x00b"}' >"$T/nul.json"
printf '{"title": "a\\u0000b"}' >"$T/nulesc.json"
for f in latin1 overlong surrogate nul nulesc; do
	bad "a JSON body with $f text" 400 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' --data-binary @"$T/$f.json"
	is "$(jget .error.code)" bad_request "the 400 for $f is a JSON error"
done
# A lone surrogate escape is well-formed JSON; json-c makes it U+FFFD, never invalid UTF-8.
api POST /api/v1/tasks '{"title": "lone \ud800 surrogate"}'
is "$STATUS $(jget .title)" "201 lone $(printf '\xef\xbf\xbd') surrogate" \
    "a lone \\ud800 escape in JSON is stored as U+FFFD"
api DELETE "/api/v1/tasks/$(jget .id)"
is "$STATUS" 204 "(and deleted again)"
bad "a form with %FF" 400 POST /tasks --data "csrf_token=$CSRF&title=caf%E9"
bad "a form with %00" 400 POST /tasks --data "csrf_token=$CSRF&title=a%00b"
bad "a form with a broken escape" 400 POST /tasks --data "csrf_token=$CSRF&title=100%"
bad "a query string with %FF" 400 GET "/api/v1/tasks?completed=%FF"
bad "a query string with %00" 400 GET "/api/v1/tasks?completed=%00"
http GET "/api/v1/tasks/%FF%FE"
ok "$([[ $STATUS =~ ^(400|404)$ ]]; echo $?)" "an address with invalid UTF-8: 400 or 404 ($STATUS)"
http GET "/api/v1/tasks/a%00b"
is "$STATUS" 400 "an address with %00: 400"
printf 'title=a\x00b&csrf_token=%s' "$CSRF" >"$T/nul.form"
bad "a form with a raw NUL byte" 400 POST /tasks --data-binary @"$T/nul.form"
bad "a JSON body that is not JSON" 400 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"title": "x",}'
bad "JSON with trailing garbage" 400 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"title": "x"} {"title": "y"}'

# Too many fields, and field names past the limit.
fields=$(for i in $(seq 1 300); do printf 'f%d=x&' "$i"; done)
bad "a form with 300 fields" 400 POST /tasks --data "csrf_token=$CSRF&${fields}title=x"
bad "a query string with 300 parameters" 400 GET "/api/v1/tasks?${fields}completed=true"
bad "a form field name of 200 bytes" 400 POST /tasks --data "csrf_token=$CSRF&title=x&$(repeat 200 k)=v"

# Deeply nested JSON: refused before any handler looks at it.
nest() {
	printf '%.0s[' $(seq 1 "$1")
	printf '%.0s]' $(seq 1 "$1")
}
nest 100000 >"$T/deep.json"
{ printf '{"title": "deep", "x": '; nest 64; printf '}'; } >"$T/deep64.json"
for route in "POST /api/v1/tasks" "PATCH /api/v1/tasks/$TASK" "POST /api/v1/conversations" \
    "POST /api/v1/conversations/$CONV/messages" "POST /api/v1/proposals/$PROP/answers" "POST /api/v1/auth/login"; do
	http ${route% *} "${route#* }" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	    --data-binary @"$T/deep.json"
	is "$STATUS $(jget .error.code)" "400 bad_request" "100000 levels of JSON to ${route}: 400"
done
http POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary @"$T/deep64.json"
is "$STATUS" 400 "64 levels inside an otherwise good task: 400"
like "$(jget .error.message)" "nested too deeply" "saying why"

# Wrong media types: a clear 415, not a guess.
bad "a form posted to the JSON API" 415 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" --data "title=x"
bad "an XML body to the JSON API" 415 POST /api/v1/tasks -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/xml' --data-binary '<title>x</title>'
bad "a multipart body to a form page" 415 POST /tasks -F "csrf_token=$CSRF" -F "title=x"

is "$(snapshot)" "$before" "none of the refused requests changed anything"

# Duplicate parameters: a defined winner, the same on every route of a kind.
# Forms and query strings: the first value wins. JSON objects: the last member wins
# (json-c, like JavaScript's JSON.parse).
post /tasks "title=first-form" "title=second-form"
is "$STATUS" 303 "a form with the title twice is accepted"
is "$(sql "SELECT title FROM tasks WHERE title LIKE '%-form'")" first-form "the first value wins"
post "/chat/$CONV2/rename" "title=first-form" "title=second-form"
api GET "/api/v1/conversations/$CONV2"
is "$(jget .title)" first-form "the first value wins on another form too"
http POST /tasks --data "title=dup-csrf&csrf_token=$CSRF&csrf_token=forged"
is "$STATUS" 303 "a forged second csrf_token does not override the real first one"
http POST /tasks --data "title=dup-csrf2&csrf_token=forged&csrf_token=$CSRF"
is "$STATUS" 403 "and a forged first one is refused (403)"
api POST /api/v1/tasks '{"title": "first-json", "title": "second-json"}'
is "$STATUS $(jget .title)" "201 second-json" "a JSON body with a member twice: the last wins"
api POST /api/v1/proposals '{"title": "first-json", "title": "second-json"}'
is "$STATUS $(jget .title)" "201 second-json" "the same on another JSON route"
api GET "/api/v1/tasks?completed=true&completed=false"
completed_true=$(jget '[.items[].completed] | unique | join(",")')
is "$STATUS $completed_true" "200 " "a query with completed twice: the first (true) wins (no task is completed yet)"

##
# Cookie and header bombs
##
SESSION=$(awk '$6 == "parley_session" { v = $7 } END { print v }' "$COOKIE_JAR")
# nojar HTTP-ARGS...: an http call that sends only the cookies given with -H.
nojar() {
	local jar=$COOKIE_JAR
	COOKIE_JAR=$T/jar.none
	: >"$COOKIE_JAR"
	http "$@"
	COOKIE_JAR=$jar
}
many=$(for i in $(seq 1 300); do printf 'junk%d=%d; ' "$i" "$i"; done)
nojar GET /api/v1/me -H "Cookie: parley_session=$SESSION; $many"
is "$STATUS" 200 "300 cookies after the session cookie: still signed in"
nojar GET /api/v1/me -H "Cookie: ${many}parley_session=$SESSION"
is "$STATUS $(jget .error.code)" "401 unauthorized" "300 cookies before it: a clear 401 (the extras are dropped)"
nojar GET /tasks -H "Cookie: parley_session=$SESSION; big=$(repeat 7000 b)"
is "$STATUS" 200 "a 7 KB cookie header (under nginx's limit): a normal page"
nojar GET /tasks -H "Cookie: parley_session=$SESSION; big=$(repeat 9000 b)"
is "$STATUS" 400 "a 9 KB cookie header (over nginx's limit): a clear 400"
nojar GET /api/v1/me -H "Cookie: parley_session=nonsense; parley_session=$SESSION"
ok "$([[ $STATUS =~ ^(200|401)$ ]]; echo $?)" "two session cookies: a normal answer or 401 ($STATUS), never a 500"
nojar GET /api/v1/me -H "Cookie: parley_session=$(repeat 4000 f)"
is "$STATUS" 401 "a session cookie of 4000 bytes: 401"
nojar GET /api/v1/me -H "Cookie: parley_session=\"$SESSION\"; ; ;=; =x; parley_session"
ok "$([[ $STATUS =~ ^(200|401)$ ]]; echo $?)" "a malformed cookie header: no 500 ($STATUS)"
hdrs=()
for i in $(seq 1 60); do
	hdrs+=(-H "X-Junk-$i: $(repeat 100 j)")
done
http GET /api/v1/me "${hdrs[@]}"
is "$STATUS" 200 "60 junk headers: a normal answer"
http GET /api/v1/me -H "X-Junk: $(repeat 9000 j)"
is "$STATUS" 400 "one 9 KB header: a clear 400 from nginx"
http GET /api/v1/me -H "Content-Length: -5"
ok "$([[ $STATUS =~ ^(200|400)$ ]]; echo $?)" "a negative Content-Length on a GET: no 500 ($STATUS)"
http GET /api/v1/me -H "X-Request-Id: $(repeat 500 r)<script>"
is "$STATUS" 200 "a hostile X-Request-Id is ignored"
unlike "$(header X-Request-Id)" "<script>|rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr" \
    "and not echoed back"

##
# Path traversal on every route
##
# route_list: "METHOD PATH" for every route in src/routes.c.
route_list() {
	grep -oE '\{[[:space:]]*"[A-Z]+",[[:space:]]*"/[^"]*"' "$ROUTES" |
	    sed -E 's/^\{[[:space:]]*"([A-Z]+)",[[:space:]]*"([^"]*)"/\1 \2/'
}
mapfile -t ROUTE_LIST < <(route_list)
ok "$([ "${#ROUTE_LIST[@]}" -ge 60 ]; echo $?)" "src/routes.c lists every route (${#ROUTE_LIST[@]} found)"
tricks=('..%2f..%2f..%2fetc%2fpasswd' '%2e%2e%2f%2e%2e%2fetc%2fpasswd' '..%252f..%252fetc%252fpasswd'
	'..%5c..%5cetc%5cpasswd' '%c0%ae%c0%ae%2fetc%2fpasswd' '....%2f%2f....%2f%2fetc%2fpasswd')
# batch: many requests through one curl process (and one kept-alive connection): each line
# of stdin "METHOD PATH [AUTH]", AUTH being a cookie jar file (with $CSRF) or "bearer:TOKEN".
# Writes get a body each route takes, so they reach their handlers. Prints one line per
# request, "STATUS N METHOD PATH"; the body of request N is in $T/batch/N.
batch() {
	local n=0 method path auth name csrf
	local json='{"title": "hijack", "content": "hijack", "name": "hijack", "field": "client_name", "answer": "hijack", "completed": true, "status": "completed", "default_model": "builtin/parley"}'
	rm -rf "$T/batch" "$T/batch.cfg"
	mkdir -p "$T/batch"
	: >"$T/batch.list"
	# No subshell per line: on a busy machine, thousands of forks cost more than the requests.
	while read -r method path auth; do
		n=$((n + 1))
		echo "$n $method $path" >>"$T/batch.list"
		{
			_cq "$BASE_URL$path"
			echo "url = $Q"
			echo "request = $method"
			echo "path-as-is"
			echo "max-time = 10"
			echo "output = \"$T/batch/$n\""
			echo "write-out = \"%{http_code} $n\\n\""
			csrf=
			case $auth in
			bearer:*) echo "header = \"Authorization: Bearer ${auth#bearer:}\"" ;;
			?*)
				name=${auth##*/jar.}
				eval "csrf=\${CSRF_$name:-}"
				echo "cookie = \"$auth\""
				echo "header = \"X-CSRF-Token: $csrf\""
				;;
			esac
			if [ "$method" != GET ]; then
				if [[ $path == /api/* ]]; then
					_cq "$json"
					echo "header = \"Content-Type: application/json\""
				else
					_cq "csrf_token=$csrf&title=hijack&content=hijack&name=hijack&field=client_name&answer=hijack&status=completed&model=builtin%2Fparley"
					echo "header = \"Content-Type: application/x-www-form-urlencoded\""
				fi
				echo "data-binary = $Q"
			fi
			echo "next"
		} >>"$T/batch.cfg"
	done
	curl -sS -K "$T/batch.cfg" 2>>"$T/batch.err" >"$T/batch.out"
	join -1 2 -2 1 <(sort -k2,2 "$T/batch.out") <(sort -k1,1 "$T/batch.list") |
	    awk '{ print $2, $1, $3, $4 }' | sort -k2,2n
}
# _cq STRING: sets Q to STRING quoted for a curl config file.
_cq() {
	local v=${1//\\/\\\\}
	Q="\"${v//\"/\\\"}\""
}
leaks() {
	grep -qE 'root:x:0:0|#include|PRIVATE KEY' "$@"
}
{
	for r in "${ROUTE_LIST[@]}"; do
		method=${r%% *}
		path=${r#* }
		for trick in "${tricks[@]}"; do
			if [[ $path == *"{"* ]]; then
				# The first parameter becomes the trick, the others a real-looking id.
				echo "$method $(sed -E "s/\{[a-z]+\}/$trick/; s/\{[a-z]+\}/00000000-0000-0000-0000-000000000000/g" <<<"$path") $T/jar.alice"
			else
				echo "$method $path/$trick $T/jar.alice"
			fi
		done
		echo "$method $path/../../../../etc/passwd $T/jar.alice"
		echo "$method /static/../..$path/..%2f..%2fetc/passwd $T/jar.alice"
	done
} | batch >"$T/trav"
ntrav=$(wc -l <"$T/trav")
ok "$([ "$ntrav" -ge $((${#ROUTE_LIST[@]} * 8)) ]; echo $?)" "every traversal attempt was answered ($ntrav)"
# 405: the address matched a route that takes another method, with the trick as its id.
is "$(awk '$1 !~ /^(400|404|405)$/' "$T/trav" | head -n 20)" "" \
    "$ntrav traversal attempts on ${#ROUTE_LIST[@]} routes: each 400, 404 or 405"
leaks "$T"/batch/*
ok "$((! $?))" "no answer carried a file's content"
diag "traversal answers: $(awk '{ n[$1]++ } END { for (s in n) printf "%s:%d ", s, n[s] }' "$T/trav")"
for t in "/static/../src/db.c" "/static/..%2f..%2fsrc%2fdb.c" "/static/%2e%2e/%2e%2e/etc/passwd" \
    "/static/../../../../../etc/passwd" "/static//etc/passwd" "/static/..%5c..%5cetc%5cpasswd" "/static/.%2e/.%2e/etc/passwd"; do
	http GET "$t" --path-as-is
	ok "$([[ $STATUS =~ ^(400|403|404)$ ]] && ! leaks "$BODY_FILE"; echo $?)" "GET $t: $STATUS, no file"
done
http GET /static/app.css
is "$STATUS" 200 "while /static/app.css itself is served"

##
# Another person's ids, on every route: 404 every time
##
as alice
api GET /api/v1/conversations/"$CONV"/messages
AMSG=$(jget '.items[-1].id')
SESS=$(sql "SELECT id FROM auth_sessions WHERE user_id = '$ALICE_ID' ORDER BY created_at LIMIT 1")
[ -n "$AMSG" ] && [ -n "$SESS" ] || bail "cannot find Alice's message and session ids"
alice_state() {
	sql "SELECT (SELECT string_agg(title || completed::text, ',' ORDER BY id) FROM tasks WHERE user_id = '$ALICE_ID')
	    || '|' || (SELECT string_agg(title || default_model, ',' ORDER BY id) FROM conversations WHERE user_id = '$ALICE_ID')
	    || '|' || (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = '$ALICE_ID')
	    || '|' || (SELECT string_agg(title || status || progress, ',' ORDER BY id) FROM proposal_sessions WHERE user_id = '$ALICE_ID')
	    || '|' || (SELECT md5(string_agg(section_name || content, ',' ORDER BY section_name)) FROM proposal_sections s
	        JOIN proposal_sessions p ON p.id = s.session_id WHERE p.user_id = '$ALICE_ID')
	    || '|' || (SELECT string_agg(name || revoked::text, ',' ORDER BY id) FROM api_tokens WHERE user_id = '$ALICE_ID')
	    || '|' || (SELECT count(*) FROM auth_sessions WHERE user_id = '$ALICE_ID')
	    || '|' || (SELECT name FROM users WHERE id = '$ALICE_ID')"
}
alice_before=$(alice_state)

# id_for PATH: the id of Alice's row that the route's {id} names.
id_for() {
	case $1 in
	/account/sessions/*) echo "$SESS" ;;
	/account/tokens/* | /api/v1/tokens/*) echo "$TOKEN_ID" ;;
	/tasks/* | /api/v1/tasks/*) echo "$TASK" ;;
	/chat/* | /api/v1/conversations/*) echo "$CONV" ;;
	/proposals/* | /api/v1/proposals/*) echo "$PROP" ;;
	*) return 1 ;;
	esac
}
as bob
idor_bad=()
nparam=0
: >"$T/idor.in"
for r in "${ROUTE_LIST[@]}"; do
	method=${r%% *}
	path=${r#* }
	[[ $path == *"{"* ]] || continue
	nparam=$((nparam + 1))
	if ! id=$(id_for "$path"); then
		idor_bad+=("$method $path: the test knows no row for this route; teach id_for")
		continue
	fi
	target=$(sed -e "s/{id}/$id/; s/{mid}/$AMSG/; s/{name}/objectives/" <<<"$path")
	# With Bob's session, and with his API token for the API.
	echo "$method $target $T/jar.bob" >>"$T/idor.in"
	[[ $path == /api/* ]] && echo "$method $target bearer:$BOB_TOKEN" >>"$T/idor.in"
done
batch <"$T/idor.in" >"$T/idor"
nidor=$(wc -l <"$T/idor")
is "$nidor" "$(wc -l <"$T/idor.in")" "every request with Alice's ids was answered"
while read -r st n m pth; do
	[ "$st" = 404 ] || idor_bad+=("$m $pth -> $st $(head -c 120 "$T/batch/$n")")
done <"$T/idor"
ok "$([ "$nparam" -ge 30 ]; echo $?)" "routes with ids found in src/routes.c: $nparam"
is "$(printf '%s\n' "${idor_bad[@]}" | sed '/^$/d' | head -n 30)" "" \
    "Bob asking for Alice's rows on all $nparam routes with ids ($nidor requests): 404 every time"
is "$(alice_state)" "$alice_before" "and nothing of Alice's changed"
as alice
api GET /api/v1/me
is "$STATUS" 200 "Alice is still signed in"
# The same requests by their owner succeed: the 404s above were about whose rows they are.
printf '%s\n' "GET /api/v1/tasks/$TASK $T/jar.alice" "GET /tasks/$TASK/edit $T/jar.alice" \
    "PATCH /api/v1/tasks/$TASK $T/jar.alice" "POST /proposals/$PROP/status $T/jar.alice" | batch >"$T/own"
is "$(awk '{ printf "%s ", $1 }' "$T/own")" "200 200 200 303 " "the same requests by Alice herself: 200, 200, 200, 303"
api GET "/api/v1/tasks/$TASK"
is "$(jget .title)" hijack "(her write went through)"

# And no request above made the server fail.
is "$(grep -cE 'access [A-Z]+ [^ ]+ 5[0-9][0-9] ' "$T/parley.log")" 0 "no request was answered with a 5xx"
grep -E 'access [A-Z]+ [^ ]+ 5[0-9][0-9] ' "$T/parley.log" | head -n 10 | while read -r l; do diag "$l"; done

done_testing

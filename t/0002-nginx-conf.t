#!/bin/bash
# 0002-nginx-conf.t: nginx.conf.example is accepted by `nginx -t` and, with its
# placeholders swapped for temp paths, really serves static files and Parley.
# shellcheck disable=SC2119 # harness functions take optional arguments
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

command -v nginx >/dev/null 2>&1 || skip_all "nginx is not installed"
example=$top_srcdir/nginx.conf.example
[ -r "$example" ] || bail "missing $example"

# The example's placeholders (documented at its top) and what they become here;
# nginx's built-in temp folders (outside $T, root's) are moved into $T too.
mkdir -p "$T/ex/static" "$T/ex/log"
cp "$top_srcdir/static/app.css" "$T/ex/static/" 2>/dev/null || echo "body{}" >"$T/ex/static/app.css"
substitute() {
	sed -e "s#/usr/local/share/parley/static#$T/ex/static#g" \
	    -e "s#/run/parley/parley.sock#$PARLEY_SOCK#g" \
	    -e "s#/run/nginx.pid#$T/ex/nginx.pid#g" \
	    -e "s#/var/log/nginx/#$T/ex/log/#g" \
	    -e "s#^http {#http {\n\tclient_body_temp_path $T/ex/body;\n\tfastcgi_temp_path $T/ex/fastcgi;\n\tproxy_temp_path $T/ex/proxy;\n\tuwsgi_temp_path $T/ex/uwsgi;\n\tscgi_temp_path $T/ex/scgi;#" \
	    "$example"
}
if [ "$(id -u)" -eq 0 ]; then
	substitute >"$T/ex/nginx.conf"
else
	# nginx -t binds the listening ports, and port 80 needs root.
	substitute | sed -e "s#^\([[:space:]]*\)listen 80;#\1listen 127.0.0.1:$(free_port);#" \
	    -e '/listen \[::\]:80;/d' >"$T/ex/nginx.conf"
fi

conf=$(cat "$example")
unlike "$conf" $'\n[ \t]*fastcgi_buffering off;' "the example leaves FastCGI buffering on (streams turn it off per answer)"
like "$conf" $'\n[ \t]*fastcgi_keep_conn on;' "the example keeps FastCGI connections open"
like "$conf" $'\n[ \t]*keepalive [0-9]+;' "the upstream keeps idle connections"
servers=$(sed -n '/^[[:space:]]*upstream parley {/,/}/p' "$example" | grep -cE '^[[:space:]]*server ')
is "$servers" 2 "the upstream shows two app hosts"
# shellcheck disable=SC2016 # a literal $ in the regex
like "$conf" 'fastcgi_param HTTP_X_REQUEST_ID \$parley_request_id;' "the request id is passed to Parley"
like "$conf" $'\n[ \t]*client_max_body_size [0-9]+m;' "a body size limit is set"

out=$(nginx -t -p "$T/ex" -c "$T/ex/nginx.conf" 2>&1)
ok $? "nginx -t accepts the example with its paths substituted"
like "$out" "test is successful" "nginx says the test is successful"
! grep -qE '^[^#]*(/usr/local/share/parley|/run/parley)' "$T/ex/nginx.conf"
ok $? "every placeholder path was substituted"

# Run it for real: loopback port, this user, and only the local app host.
if [ ! -x "$PARLEY_BIN" ]; then
	skip "parley is not built" 5
	done_testing
fi
port=$(free_port) || bail "no free port"
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user root;"
substitute | sed \
    -e "s#^user www-data;#$user_line#" \
    -e "s#^\([[:space:]]*\)listen 80;#\1listen 127.0.0.1:$port;#" \
    -e '/listen \[::\]:80;/d' \
    -e '/^[[:space:]]*server 10\.0\.0\.12:9000/d' \
    >"$T/ex/run.conf"

# /healthz needs no database.
parley_start || bail "parley did not start"
setsid nginx -p "$T/ex" -c "$T/ex/run.conf" -g "daemon off;" </dev/null >"$T/ex/stderr.log" 2>&1 &
track $!
BASE_URL=http://127.0.0.1:$port
wait_for 50 curl -fs -o /dev/null "$BASE_URL/static/app.css"
http GET /static/app.css
is "$STATUS" 200 "the example config serves static files from disk"
like "$(header Cache-Control)" "public" "static files are cached by browsers"
http GET /healthz
is "$STATUS $BODY" "200 ok" "the example config reaches Parley over FastCGI"
http GET /healthz -H "X-Request-Id: ex-0002-abc"
is "$(header X-Request-Id)" "ex-0002-abc" "the client's X-Request-Id reaches Parley"
http GET /healthz
like "$(header X-Request-Id)" '^[0-9a-f]{32}$' "without one, nginx's \$request_id reaches Parley"

done_testing

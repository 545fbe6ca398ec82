# shellcheck shell=bash
# t/lib/fake_openai.sh: the fake OpenAI-compatible model server (t/fake_openai) for a test.
# Source it after harness.sh. It skips the test when the fake is missing, and keeps
# proxies from catching parley's requests to loopback.
#
# The fake answers as $T/script says (see t/fake_openai.c) and logs each request it got to
# $T/requests.jsonl; its own messages go to $T/fake.log.
#
# fake_start [PORT], fake_use KEY, fake_serve KEY, script STEP..., fake_requests, fake_request N,
# upstream_conns

FAKE=${FAKE_OPENAI:-$top_builddir/t/fake_openai}
[ -x "$FAKE" ] || skip_all "t/fake_openai is not built"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# fake_start [PORT]: starts the fake (on PORT, or a free one); sets FAKE_PID and PORT.
# shellcheck disable=SC2120 # the tests pass a port
fake_start() {
	rm -f "$T/fake.port"
	"$FAKE" -P "$T/fake.port" ${1:+-p "$1"} -s "$T/script" -l "$T/requests.jsonl" \
	    >/dev/null 2>>"$T/fake.log" &
	FAKE_PID=$!
	track "$FAKE_PID"
	wait_for 50 test -s "$T/fake.port" || bail "fake_openai did not start"
	PORT=$(cat "$T/fake.port")
}

# fake_use KEY: parley started from now on uses the fake at $PORT, which offers the
# model openai/fake-1, with the API key KEY.
fake_use() {
	export PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1"
	export PARLEY_OPENAI_MODELS=fake-1
	export PARLEY_OPENAI_API_KEY=$1
}

# fake_serve KEY: fake_start on a free port, then fake_use KEY.
fake_serve() {
	# shellcheck disable=SC2119 # fake_start takes an optional port
	fake_start
	fake_use "$1"
}

_fake_run=0
# script STEP...: the fake's next answers, one step each (the last one repeats; see
# t/fake_openai.c); empties the log of requests.
script() {
	_fake_run=$((_fake_run + 1))
	# A new first line makes the fake start the script again even when the steps repeat.
	{
		echo "# run $_fake_run"
		printf '%s\n' "$@"
	} >"$T/script"
	: >"$T/requests.jsonl"
}

# fake_requests: how many requests the fake received since the last script.
fake_requests() {
	wc -l <"$T/requests.jsonl" | tr -d ' '
}

# fake_request N: the Nth request the fake received since the last script, as one JSON line.
fake_request() {
	sed -n "${1}p" "$T/requests.jsonl"
}

# upstream_conns: how many connections parley has open to the fake.
upstream_conns() {
	ss -Htn state established "( dport = :$PORT )" 2>/dev/null | wc -l
}

# shellcheck shell=bash
# t/lib/fake_openai.sh: the fake OpenAI-compatible model server (t/fake_openai) for a test.
# Source it after harness.sh. It skips the test when jq or the fake is missing, and keeps
# proxies from catching parley's requests to loopback.
#
# The fake answers as $T/script says (see t/fake_openai.c) and logs each request it got to
# $T/requests.jsonl; its own messages go to $T/fake.log.

FAKE=${FAKE_OPENAI:-$top_builddir/t/fake_openai}
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (apt-get install jq)"
[ -x "$FAKE" ] || skip_all "t/fake_openai is not built"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# fake_start [PORT]: starts the fake (on PORT, or a free one); sets FAKE_PID and PORT.
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

#!/usr/bin/env bash
# 0390-browser-chat.t: the chat in headless Chromium (playwright-core): an answer streams in
# and gets its stats line, Enter and Shift+Enter, stop, following an answer after a reload,
# regenerate, the builtin assistant adding a task found on /tasks, and the path without
# JavaScript; no console errors. A slow answer comes from t/fake_openai on loopback.
# Skipped when Chromium, node, node_modules/playwright-core or t/fake_openai is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs
FAKE=${FAKE_OPENAI:-$top_builddir/t/fake_openai}
[ -x "$FAKE" ] || skip_all "t/fake_openai is not built (make check builds it)"

# Loopback only: a proxy from the environment must not see these requests.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# The browser test writes the fake's next answers to this file (see t/fake_openai.c).
FAKE_SCRIPT=$T/fake.script
echo 'text:Hello from the fake model.' >"$FAKE_SCRIPT"
export FAKE_SCRIPT
"$FAKE" -P "$T/fake.port" -s "$FAKE_SCRIPT" -l "$T/fake.jsonl" >/dev/null 2>"$T/fake.log" &
track $!
wait_for 50 test -s "$T/fake.port" || bail "fake_openai did not start"
export PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$(cat "$T/fake.port")/v1/"
export PARLEY_OPENAI_API_KEY=sk-browser-test
export PARLEY_OPENAI_MODELS=fake-model

pg_start
parley_migrate || bail "migrations failed"
nginx_start
parley_start || bail "parley did not start"

run_browser_test chat.test.js

done_testing

#!/usr/bin/env bash
# 0390-browser-chat.t: the chat in headless Chromium (playwright-core): an answer streams in
# and gets its stats line, Enter and Shift+Enter, stop, following an answer after a reload,
# regenerate, the builtin assistant adding a task found on /tasks, and the path without
# JavaScript; no console errors. A slow answer comes from t/fake_openai on loopback.
# Skipped when Chromium, node, node_modules/playwright-core or t/fake_openai is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs
. "$top_srcdir/t/lib/fake_openai.sh"

# The browser test writes the fake's next answers to this file (see t/fake_openai.c).
FAKE_SCRIPT=$T/script
echo 'text:Hello from the fake model.' >"$FAKE_SCRIPT"
export FAKE_SCRIPT
fake_start
export PARLEY_OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1/"
export PARLEY_OPENAI_API_KEY=sk-browser-test
export PARLEY_OPENAI_MODELS=fake-model

stack_start

run_browser_test chat.test.js

done_testing

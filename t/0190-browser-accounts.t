#!/usr/bin/env bash
# 0190-browser-accounts.t: in headless Chromium (playwright-core): register, sign out, sign
# in, land on the chat page, with errors shown by the fields and no console errors.
# Skipped when Chromium, node or node_modules/playwright-core is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs

stack_start

run_browser_test accounts.test.js

done_testing

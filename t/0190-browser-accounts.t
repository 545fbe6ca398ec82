#!/usr/bin/env bash
# 0190-browser-accounts.t: in headless Chromium (playwright-core): register, sign out, sign
# in, land on the chat page, with errors shown by the fields and no console errors.
# Skipped when Chromium, node or node_modules/playwright-core is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs

pg_start
parley_migrate || bail "migrations failed"
nginx_start
parley_start || bail "parley did not start"

run_browser_test accounts.test.js

done_testing

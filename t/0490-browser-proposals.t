#!/usr/bin/env bash
# 0490-browser-proposals.t: in headless Chromium (playwright-core): the proposal wizard from
# "New proposal" to the exported document, editing with a live preview and regenerating one
# section, with no console errors. Skipped when Chromium, node or playwright-core is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs

stack_start

run_browser_test proposals.test.js

done_testing

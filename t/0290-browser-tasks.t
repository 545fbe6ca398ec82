#!/usr/bin/env bash
# 0290-browser-tasks.t: in headless Chromium (playwright-core): add, tick, edit and delete a
# task, in place with JavaScript and as plain form posts without it, with no console errors.
# Skipped when Chromium, node or node_modules/playwright-core is missing.
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/browser/run.sh"

browser_prereqs

stack_start

run_browser_test tasks.test.js

done_testing

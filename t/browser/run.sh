# shellcheck shell=bash disable=SC2154
# (top_srcdir, T and _tap_failed come from harness.sh.)
# run.sh: runs node:test browser files from a t/NNNN-browser-*.t script, as TAP points.
#
#	. "$top_srcdir/t/lib/harness.sh"
#	. "$top_srcdir/t/browser/run.sh"
#	browser_prereqs                 # skip_all unless Chromium, node and playwright-core are here
#	pg_start; parley_migrate; nginx_start; parley_start
#	run_browser_test accounts.test.js
#	done_testing
#
# Each top-level test() of the file becomes one TAP point; a failure's details (the
# assertion, the console errors) follow as diag lines.

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

# browser_prereqs: skips the whole test, saying why, when something it needs is missing.
browser_prereqs() {
	[ -x "$CHROMIUM" ] || skip_all "no Chromium at $CHROMIUM (apt-get install chromium)"
	command -v node >/dev/null 2>&1 || skip_all "node is not installed (apt-get install nodejs)"
	[ -d "$top_srcdir/node_modules/playwright-core" ] ||
	    skip_all "node_modules/playwright-core is missing (run: npm ci, or scripts/dev deps --test)"
	node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
	    skip_all "node $(node --version) is older than 18"
}

# run_browser_test FILE: runs t/browser/FILE with BASE_URL set; one TAP point per test().
run_browser_test() {
	local file=$top_srcdir/t/browser/$1 out=$T/browser-${1%.js}.tap line rc n=0 failing=0
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 BASE_URL=$BASE_URL T=$T NODE_PATH=$top_srcdir/node_modules \
	    timeout "${BROWSER_TIMEOUT:-300}" node --test --test-reporter=tap \
	    --test-concurrency=1 "$file" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ (.*)$ ]]; then
			n=$((n + 1))
			local not=${BASH_REMATCH[1]:-} desc=${BASH_REMATCH[2]:-}
			if [[ $desc == *"# SKIP"* ]]; then
				skip "${desc#*# SKIP }"
			elif [ -z "$not" ]; then
				ok 0 "browser: $desc"
				failing=0
			else
				ok 1 "browser: $desc"
				failing=1
			fi
		elif [ "$failing" = 1 ] && [[ $line =~ ^\ \  ]]; then
			diag "$line"
		elif [[ $line =~ ^\#.*note:\ (.*)$ ]]; then
			diag "note: ${BASH_REMATCH[1]}"
		fi
	done <"$out"
	if [ "$n" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$_tap_failed" -eq 0 ]; }; then
		ok 1 "browser: $1 ran (node exited $rc)"
		diag "$(tail -n 40 "$out")"
	fi
}

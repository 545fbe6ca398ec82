# shellcheck shell=bash
# pages.sh: reading the HTML pages parley answers with (the last answer's $BODY), for
# integration tests. Source it after harness.sh.
#
# Forms:  page_csrf
# /usage: cell MODEL COLUMN, svg

# page_csrf: the csrf_token the last page's forms carry.
page_csrf() {
	grep -o 'name="csrf_token" value="[0-9a-f]*"' <<<"$BODY" | head -n 1 | sed 's/.*value="//; s/"$//'
}

# cell MODEL COLUMN: a figure of the per-model table in the last page.
cell() {
	tr -d '\n' <<<"$BODY" | grep -o "<tr data-model=\"$1\">.*" | sed 's|</tr>.*||' |
	    grep -o "data-col=\"$2\">[^<]*<" | sed 's/.*>\(.*\)</\1/'
}

# svg: the chart of the last page, alone.
svg() {
	tr -d '\n' <<<"$BODY" | grep -o '<svg.*</svg>'
}

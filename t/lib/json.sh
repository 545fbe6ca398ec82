# shellcheck shell=bash
# json.sh: reading the JSON answers and Server-Sent Events of parley in integration tests.
# Source it after harness.sh (accounts.sh sources it); it skips the test when jq is missing.
#
# JSON:     jget FILTER; the patterns uuid_pat (anywhere), uuid_re and time_re (whole values)
# SSE:      sse_names FILE, sse_data FILE EVENT, sse_text FILE

requires jq

# The patterns below are read by the test scripts that source this file.
# A UUID as parley writes them (lower case), to find in a longer text.
# shellcheck disable=SC2034
uuid_pat='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
# A whole value that is a UUID.
# shellcheck disable=SC2034
uuid_re="^$uuid_pat\$"
# A whole value that is an ISO 8601 time in UTC, as the API writes them.
# shellcheck disable=SC2034
time_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'

# jget FILTER: a value from the last answer's JSON body (jq -r).
jget() {
	jq -r "$1" <<<"$BODY"
}

# sse_names FILE: the event names in FILE, comma-separated.
sse_names() {
	awk '/^event: / { printf "%s%s", sep, $2; sep = "," }' "$1"
}

# sse_data FILE EVENT: the data of every EVENT in FILE, one JSON document a line.
sse_data() {
	awk -v want="$2" '/^event: / { ev = $2 } /^data: / { if (ev == want) print substr($0, 7) }' "$1"
}

# sse_text FILE: the content of the delta events in FILE, joined.
sse_text() {
	sse_data "$1" delta | jq -j .content
}

#!/bin/bash
# bench/db.sh: the two list queries every chat page runs, on a big data set.
# Loads one user with 10,000 conversations, one of which holds 100,000
# messages (plus as much again for other users, so the indexes have
# neighbours), then shows EXPLAIN (ANALYZE, BUFFERS) of "the newest 50
# messages of a conversation", an older page of it (?before=), and "the newest
# 20 conversations of a user", and the mean latency of each over many runs
# with pgbench (prepared statements, one client, through the unix socket).
#
# usage: bench/db.sh                  (from the source tree, after `make`)
# environment: BENCH_DATABASE_URL  use this database (migrated, scratch!) instead
#                                  of a throwaway cluster; the bench user is
#                                  deleted at the end
#              DURATION            seconds of pgbench per query (5)
#              PARLEY_BIN          (./parley)
# Not a test: the numbers depend on the machine. bench/README.md records some.

# shellcheck disable=SC2317 # cleanup runs from the trap
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARLEY_BIN=${PARLEY_BIN:-$top/parley}
DURATION=${DURATION:-5}
LIMIT_MS=2

pg_bindir() {
	local d
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -rn) \
	    "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")"; do
		[ -x "$d/pg_ctl" ] && [ -x "$d/pgbench" ] && { echo "$d"; return 0; }
	done
	return 1
}
PG_BINDIR=$(pg_bindir) || { echo "bench: PostgreSQL server tools not found (apt-get install postgresql)" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/parley-dbbench.XXXXXX")
chmod 0711 "$D"
started=
as_owner() {
	# PostgreSQL refuses to run as root.
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
	if [ -n "$started" ]; then
		as_owner "$PG_BINDIR/pg_ctl" -D "$D/data" -m immediate stop >/dev/null 2>&1 || true
	elif [ -n "${BENCH_DATABASE_URL:-}" ]; then
		"$PG_BINDIR/psql" -X -q "$BENCH_DATABASE_URL" \
		    -c "DELETE FROM users WHERE email LIKE 'bench%@example.invalid'" >/dev/null 2>&1 || true
	fi
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
	export DATABASE_URL=$BENCH_DATABASE_URL
else
	[ -x "$PARLEY_BIN" ] || { echo "bench: $PARLEY_BIN is not built (run make)" >&2; exit 1; }
	mkdir "$D/data"
	[ "$(id -u)" -eq 0 ] && chown postgres "$D" "$D/data"
	as_owner "$PG_BINDIR/initdb" -D "$D/data" -U "$(id -un)" -A trust -E UTF8 --locale=C.UTF-8 \
	    --no-sync >"$D/initdb.log" 2>&1 || { cat "$D/initdb.log" >&2; exit 1; }
	cat >>"$D/data/postgresql.conf" <<-EOF
	listen_addresses = ''
	unix_socket_directories = '$D'
	port = 5432
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	shared_buffers = 128MB
	EOF
	as_owner "$PG_BINDIR/pg_ctl" -D "$D/data" -l "$D/pg.log" -w start >/dev/null
	started=1
	"$PG_BINDIR/createdb" -h "$D" parley
	export DATABASE_URL="postgresql:///parley?host=$D&port=5432"
	PARLEY_SQL_DIR=$top/sql/migrations "$PARLEY_BIN" migrate up >/dev/null
fi

psql() { "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

echo "loading: 1 user with 10,000 conversations, one with 100,000 messages; 50 other users alike..."
t0=$(date +%s)
psql <<'EOF'
INSERT INTO users (email, name, password_hash)
SELECT 'bench' || u || '@example.invalid', 'Bench ' || u, 'x' FROM generate_series(0, 50) u;

-- 10,000 conversations for each of the 51 users, last active over the past year.
INSERT INTO conversations (user_id, title, created_at, updated_at)
SELECT u.id, 'Conversation ' || c,
       now() - interval '400 days' + c * interval '1 hour',
       now() - (random() * interval '365 days')
FROM users u, generate_series(1, 10000) c
WHERE u.email LIKE 'bench%@example.invalid';

-- The big one: 100,000 messages in bench0's newest conversation ...
INSERT INTO messages (conversation_id, role, content, model, created_at)
SELECT (SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id
        WHERE u.email = 'bench0@example.invalid' ORDER BY c.updated_at DESC LIMIT 1),
       CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END,
       'Message ' || i || ': ' || repeat('lorem ipsum dolor sit amet ', 8),
       CASE WHEN i % 2 = 0 THEN NULL ELSE 'builtin/parley' END,
       now() - (100000 - i) * interval '1 second'
FROM generate_series(1, 100000) i;

-- ... and 100,000 more spread over the other users' conversations.
INSERT INTO messages (conversation_id, role, content, created_at)
SELECT c.id, CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, 'Other message ' || i,
       c.created_at + i * interval '1 minute'
FROM (SELECT c.id, c.created_at FROM conversations c JOIN users u ON u.id = c.user_id
      WHERE u.email <> 'bench0@example.invalid' ORDER BY random() LIMIT 50000) c,
     generate_series(1, 2) i;

VACUUM ANALYZE users;
VACUUM ANALYZE conversations;
VACUUM ANALYZE messages;
EOF
echo "loaded in $(($(date +%s) - t0)) s: $(psql -Atc "SELECT count(*) FROM conversations") conversations, $(psql -Atc "SELECT count(*) FROM messages") messages"

user=$(psql -Atc "SELECT id FROM users WHERE email = 'bench0@example.invalid'")
conv=$(psql -Atc "SELECT conversation_id FROM messages GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
# A page from the middle: the 50 before the 50,000th message.
IFS='|' read -r mid_at mid_id <<<"$(psql -At -F '|' -c "SELECT created_at, id FROM messages
    WHERE conversation_id = '$conv' ORDER BY created_at, id OFFSET 50000 LIMIT 1")"

q_messages="SELECT id, role, content, model, status, created_at FROM messages
 WHERE conversation_id = '$conv' ORDER BY created_at DESC, id DESC LIMIT 50"
q_page="SELECT id, role, content, model, status, created_at FROM messages
 WHERE conversation_id = '$conv' AND (created_at, id) < ('$mid_at', '$mid_id')
 ORDER BY created_at DESC, id DESC LIMIT 50"
q_convs="SELECT id, title, default_model, created_at, updated_at FROM conversations
 WHERE user_id = '$user' ORDER BY updated_at DESC, id DESC LIMIT 20"

status=0
run() {
	local name=$1 q=$2 plan exec_ms lat times
	echo
	echo "== $name"
	# Warm once, as a running server would be.
	psql -c "$q" >/dev/null
	# One EXPLAIN ANALYZE is at the mercy of whatever else the machine does: take the median of 9.
	times=()
	for _ in 1 2 3 4 5 6 7 8 9; do
		plan=$(psql -c "EXPLAIN (ANALYZE, BUFFERS) $q")
		times+=("$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' <<<"$plan")")
	done
	echo "$plan"
	exec_ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 5p)
	printf '%s;\n' "$q" >"$D/q.sql"
	lat=$("$PG_BINDIR/pgbench" -n -M prepared -c 1 -T "$DURATION" -f "$D/q.sql" "$DATABASE_URL" 2>/dev/null |
	    sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p')
	echo "-- $name: execution $exec_ms ms (median of 9 EXPLAIN ANALYZE); mean latency $lat ms over ${DURATION} s (pgbench, prepared)"
	if ! grep -q 'Index Scan' <<<"$plan"; then
		echo "-- FAIL: no index scan"
		status=1
	fi
	if awk -v a="$lat" -v l="$LIMIT_MS" 'BEGIN { exit !(a >= l) }'; then
		echo "-- FAIL: over $LIMIT_MS ms"
		status=1
	fi
}
run "newest 50 messages of a 100,000-message conversation" "$q_messages"
run "the 50 messages before the 50,000th (?before= page)" "$q_page"
run "newest 20 of a user's 10,000 conversations" "$q_convs"
echo
[ "$status" -eq 0 ] && echo "all under $LIMIT_MS ms, by index scans" || echo "some queries missed the target"
exit "$status"

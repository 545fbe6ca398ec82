#!/bin/bash
# 0010-migrate.t: `parley migrate` against a real PostgreSQL: every migration in
# sql/migrations goes up and comes back down cleanly, one at a time and all at
# once; then, in a folder holding only 0001_initial (so later migrations do not
# change what is expected), status, history, stamp, a failing migration,
# concurrent runs and edited files; and `parley seed` on the real schema.
# Nothing here names a migration after 0001_initial: the versions and the
# tables they make are read from the files, so adding a migration needs no edit.
# shellcheck disable=SC2119 # harness functions take optional arguments
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"

[ -x "$PARLEY_BIN" ] || skip_all "parley is not built"

MIGRATIONS=$top_srcdir/sql/migrations
export PARLEY_SQL_DIR=$MIGRATIONS

# The tables the data model must have (the design's list, login_attempts and
# proposal_usage); migrations may add more, never lose one.
DATA_MODEL="api_tokens auth_sessions conversations login_attempts messages proposal_sections
    proposal_sessions proposal_usage responses tasks users"

# migrate ARGS...: runs `parley migrate`; sets OUT (stdout), ERR (stderr), RC,
# and STEPS (stdout without the "(N ms)" timings, which change per run).
migrate() {
	"$PARLEY_BIN" migrate "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	STEPS=$(sed -E 's/^(.* \.\.\. done) \([0-9]+ ms\)$/\1/' "$T/out")
}

# user_tables: the tables in the public schema other than schema_migrations, sorted.
user_tables() {
	sql "SELECT coalesce(string_agg(tablename, ' ' ORDER BY tablename COLLATE \"C\"), '')
	    FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
}

# schema_dump FILE: the schema as pg_dump sees it, without the lines that change per run.
schema_dump() {
	# \restrict lines carry a random key per run (pg_dump 15.14 and later).
	"$PG_BINDIR/pg_dump" --schema-only --no-owner --no-privileges parley |
	    grep -Ev '^(--|SET |SELECT pg_catalog|\\(un)?restrict |$)' >"$1"
}

# same_schema A B DESC: the two dumps are the same (the difference is shown if not).
same_schema() {
	if diff -u "$1" "$2" >"$T/schema.diff"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "$(head -n 40 "$T/schema.diff")"
	fi
}

# applied_versions: schema_migrations as "version:name" words.
applied_versions() {
	sql "SELECT coalesce(string_agg(version || ':' || name, ' ' ORDER BY version), '')
	    FROM schema_migrations"
}

# versions_in DIR: the migrations in DIR (the NNNN_name of each NNNN_name.up.sql), in order.
versions_in() {
	local f
	for f in "$1"/[0-9]*_*.up.sql; do
		[ -e "$f" ] || continue
		f=${f##*/}
		printf '%s\n' "${f%.up.sql}"
	done | LC_ALL=C sort -n
}

# recorded VERSION...: what applied_versions says once exactly these are applied.
recorded() {
	local v out=
	for v in "$@"; do
		out+="${out:+ }$((10#${v%%_*})):$v"
	done
	printf '%s\n' "$out"
}

# tables_after DIR [LAST]: the public tables that DIR's up files make, applied
# in order up to LAST (default all), sorted: read from their CREATE TABLE,
# DROP TABLE and ALTER TABLE ... RENAME TO statements, comments left out.
tables_after() {
	local dir=$1 last=${2:-} v s old w
	local -a words
	local -A have=()
	while read -r v; do
		while read -r s; do
			s=${s//\"/}
			s=${s//public./}
			case $s in
			create\ temp*) ;;
			create\ *) have[${s##* }]=1 ;;
			drop\ *)
				s=${s#drop table }
				s=${s#if exists }
				IFS=, read -r -a words <<<"$s"
				for w in "${words[@]}"; do
					w=${w# }
					unset "have[${w%% *}]"
				done
				;;
			alter\ *)
				old=${s% rename to *}
				unset "have[${old##* }]"
				have[${s##* }]=1
				;;
			esac
		done < <(sed -e 's/--.*$//' "$dir/$v.up.sql" | tr -s '[:space:]' ' ' |
		    tr '[:upper:]' '[:lower:]' | sed -e 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/::g' |
		    grep -oE 'create (unlogged |temp |temporary )?table (if not exists )?[a-z0-9_."]+|drop table (if exists )?[a-z0-9_.", ]+|alter table (if exists )?(only )?[a-z0-9_."]+ rename to [a-z0-9_."]+')
		[ "$v" = "$last" ] && break
	done < <(versions_in "$dir")
	unset "have[schema_migrations]"
	printf '%s\n' "${!have[@]}" | LC_ALL=C sort | paste -sd ' ' -
}

pg_start

##
# Every migration in sql/migrations, one at a time up and back down
##

mapfile -t VERSIONS < <(versions_in "$MIGRATIONS")
N=${#VERSIONS[@]}
if [ "$N" -eq 0 ] || [ "${VERSIONS[0]}" != 0001_initial ]; then
	bail "no 0001_initial in $MIGRATIONS"
fi
HEAD=${VERSIONS[N - 1]}
HEAD_TABLES=$(tables_after "$MIGRATIONS")
diag "migrations: ${VERSIONS[*]}"

missing=
for v in "${VERSIONS[@]}"; do
	[ -f "$MIGRATIONS/$v.down.sql" ] || missing+=" $v.down.sql"
done
is "$missing" "" "every migration has a down file"

migrate status
is "$RC" 0 "status works on an empty database"
want=$(printf '\n  %s' "${VERSIONS[@]}")
like "$OUT" "^current: none.*"$'\n'"pending:$want\$" "status lists every migration as pending, in order"

# Up one version at a time; the schema at each step is kept to compare on the way down.
for ((i = 1; i <= N; i++)); do
	v=${VERSIONS[i - 1]}
	migrate up "$v"
	is "$RC" 0 "up $v succeeds"
	is "$STEPS" "applying $v ... done"$'\n'"the database is at $v" "up $v applies $v alone"
	is "$(applied_versions)" "$(recorded "${VERSIONS[@]:0:i}")" \
	    "schema_migrations records the versions up to $v"
	is "$(user_tables)" "$(tables_after "$MIGRATIONS" "$v")" \
	    "after $v the tables are the ones its files make"
	schema_dump "$T/schema-at-$i.sql"
done
HEAD_DUMP=$T/schema-at-$N.sql

migrate status
like "$OUT" $'^current: '"$HEAD"$'\npending: none$' "status at head: current version and nothing pending"
is "$(user_tables)" "$HEAD_TABLES" "head has exactly the tables the migrations make"
lacking=
for t in $DATA_MODEL; do
	[[ " $HEAD_TABLES " == *" $t "* ]] || lacking+=" $t"
done
is "$lacking" "" "head has every table of the data model (proposal_usage included)"

migrate history
want=
for v in "${VERSIONS[@]}"; do
	sum=$(sha256sum "$MIGRATIONS/$v.up.sql" | cut -c1-16)
	want+="${want:+$'\n'}$v +applied [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +sha256 $sum"
done
like "$OUT" "^$want\$" "history shows each version, when it was applied and its file's checksum"

migrate up
is "$RC" 0 "up with nothing pending succeeds"
is "$OUT" "nothing to do: the database is at $HEAD" "and says there is nothing to do"

# Down one version at a time: each down file undoes exactly its up file.
for ((i = N; i >= 1; i--)); do
	v=${VERSIONS[i - 1]}
	if [ "$i" -gt 1 ]; then
		prev=${VERSIONS[i - 2]}
	else
		prev="none (empty database)"
	fi
	migrate down
	is "$RC" 0 "down from $v succeeds"
	is "$STEPS" "reverting $v ... done"$'\n'"the database is at $prev" "down reverts $v alone"
	is "$(applied_versions)" "$(recorded "${VERSIONS[@]:0:i-1}")" "schema_migrations no longer has $v"
	if [ "$i" -gt 1 ]; then
		schema_dump "$T/schema-down.sql"
		same_schema "$T/schema-at-$((i - 1)).sql" "$T/schema-down.sql" \
		    "down from $v gives back the schema of ${VERSIONS[i - 2]}"
	fi
done
is "$(user_tables)" "" "down to zero removes every table"
is "$(sql "SELECT count(*) FROM pg_proc WHERE proname LIKE 'parley\_%'")" 0 \
    "down to zero removes the schema's functions"
schema_dump "$T/schema-zero.sql"
is "$(grep '^CREATE' "$T/schema-zero.sql" | grep -v 'schema_migrations')" "" \
    "down to zero leaves nothing but schema_migrations behind"

migrate down
is "$RC" 0 "down with nothing applied succeeds"
is "$OUT" "nothing to do: no migration is applied" "and says there is nothing to do"

##
# All at once: empty to head, and back with down all
##

migrate up
is "$RC" 0 "up from empty to head succeeds"
want=$(printf 'applying %s ... done\n' "${VERSIONS[@]}")
is "$STEPS" "$want"$'\n'"the database is at $HEAD" "up applies every migration, in order"
is "$(applied_versions)" "$(recorded "${VERSIONS[@]}")" "schema_migrations records every version"
schema_dump "$T/schema-again.sql"
same_schema "$HEAD_DUMP" "$T/schema-again.sql" \
    "up, down to zero, up gives the same schema as the first up"
[ -s "$HEAD_DUMP" ] && grep -q 'CREATE TABLE public.messages' "$HEAD_DUMP" &&
    grep -q 'CREATE TABLE public.proposal_usage' "$HEAD_DUMP"
ok $? "the compared dump really holds the schema"

##
# stamp
##

migrate stamp none
is "$RC" 0 "stamp none succeeds"
is "$(applied_versions)" "" "stamp none unrecords every version"
is "$(user_tables)" "$HEAD_TABLES" "stamp runs no SQL: the tables are still there"
migrate history
is "$OUT" "no migration is applied" "history of a database with nothing applied"

migrate stamp 0001
is "$RC" 0 "stamp 0001 succeeds"
is "$(applied_versions)" "1:0001_initial" "stamp records the version without running it"
migrate status
if [ "$N" -eq 1 ]; then
	want=" none"
else
	want=$(printf '\n  %s' "${VERSIONS[@]:1}")
fi
like "$OUT" $'^current: 0001_initial\npending:'"$want\$" \
    "status agrees after stamp: the later migrations are pending"

migrate stamp "$HEAD"
is "$RC" 0 "stamp head succeeds"
is "$(applied_versions)" "$(recorded "${VERSIONS[@]}")" "stamp head records every version"
migrate status
like "$OUT" $'^current: '"$HEAD"$'\npending: none$' "status agrees after stamp head"
is "$(user_tables)" "$HEAD_TABLES" "and no SQL ran"

migrate down all
is "$RC" 0 "down all succeeds"
want=
for ((i = N; i >= 1; i--)); do
	want+="reverting ${VERSIONS[i - 1]} ... done"$'\n'
done
is "$STEPS" "${want}the database is at none (empty database)" "down all reverts every migration, newest first"
is "$(user_tables) $(applied_versions)" " " "down all leaves no table and no version"

##
# The mechanics, in a folder holding only 0001_initial
##

ONE=$T/one
mkdir "$ONE"
cp "$MIGRATIONS"/0001_initial.* "$ONE/"
export PARLEY_SQL_DIR=$ONE
ONE_TABLES=$(tables_after "$ONE")

migrate status
like "$OUT" $'^current: none.*\npending:\n  0001_initial$' "status lists 0001_initial as the only pending migration"
migrate up
is "$RC" 0 "up from empty succeeds"
is "$STEPS" $'applying 0001_initial ... done\nthe database is at 0001_initial' "up says what it applied"
is "$(user_tables)" "$ONE_TABLES" "up creates the tables of 0001_initial"
is "$(applied_versions)" "1:0001_initial" "schema_migrations records the version"
migrate status
like "$OUT" $'^current: 0001_initial\npending: none$' "status: current version and nothing pending"

##
# Usage errors and bad arguments
##

migrate frobnicate
is "$RC" 2 "an unknown subcommand is a usage error (exit 2)"
like "$ERR" "usage: parley migrate" "and prints the usage"
migrate down zero
is "$RC" 2 "down with a bad STEPS is a usage error"
migrate stamp
is "$RC" 2 "stamp without a version is a usage error"
migrate up --dir
is "$RC" 2 "--dir without a folder is a usage error"
migrate up 0099
is "$RC" 1 "up to a version that has no file fails"
like "$ERR" "no migration 0099" "and says so"
migrate --dir "$T/nowhere" status
is "$RC" 1 "a missing migrations folder fails"
like "$ERR" "$T/nowhere" "and names the folder"
DATABASE_URL="postgresql:///parley?host=$T/no-such-socket-dir" migrate status
is "$RC" 1 "an unreachable database fails with exit 1"
like "$ERR" "cannot connect to the database" "and says so"

##
# A failing migration rolls back and names the file and statement
##

mkdir "$T/broken"
cp "$ONE"/* "$T/broken/"
cat >"$T/broken/0002_broken.up.sql" <<'EOF'
-- 0002_broken.up.sql: the first statement works, the third does not parse.
CREATE TABLE partial_table (id integer);

/* Semicolons in comments; and strings do not split statements. */
INSERT INTO partial_table VALUES (1), (length('a;b'));
CREATE TABLEX oops (
	id integer
);
EOF
printf 'DROP TABLE partial_table;\n' >"$T/broken/0002_broken.down.sql"

migrate --dir "$T/broken" up
is "$RC" 1 "a failing migration makes up fail"
like "$ERR" "0002_broken\.up\.sql:6: ERROR: syntax error at or near \"TABLEX\"" \
    "the error names the file, the line and PostgreSQL's message"
like "$ERR" "CREATE TABLEX oops" "the error shows the failing statement"
like "$ERR" "the database stays at 0001_initial" "and says where the database stays"
is "$(applied_versions)" "1:0001_initial" "the version is unchanged"
is "$(sql "SELECT to_regclass('partial_table') IS NULL")" t \
    "the statements before the failing one were rolled back (no partial table)"

# An error at execution time (no position from the parser) still names its statement's line.
cat >"$T/broken/0002_broken.up.sql" <<'EOF'
CREATE TABLE partial_table (id integer);
-- users already exists
CREATE TABLE users (id integer);
EOF
migrate --dir "$T/broken" up
is "$RC" 1 "a statement failing at run time makes up fail"
like "$ERR" '0002_broken\.up\.sql:3: ERROR: relation "users" already exists' \
    "and the error names the file and the statement's line"
is "$(sql "SELECT to_regclass('partial_table') IS NULL")" t "and nothing of it remains"

printf 'BEGIN;\nCREATE TABLE partial_table (id integer);\nCOMMIT;\n' >"$T/broken/0002_broken.up.sql"
migrate --dir "$T/broken" up
is "$RC" 1 "a migration with its own BEGIN/COMMIT is refused"
like "$ERR" "0002_broken\.up\.sql:1: transaction control" "with a message that says why"

# Once fixed, it applies; down reverts exactly one version.
printf 'CREATE TABLE partial_table (id integer);\n' >"$T/broken/0002_broken.up.sql"
migrate --dir "$T/broken" up
is "$RC" 0 "the fixed migration applies"
is "$(applied_versions)" "1:0001_initial 2:0002_broken" "both versions recorded"
migrate --dir "$T/broken" down
is "$RC" 0 "down reverts the newest migration"
is "$(applied_versions)" "1:0001_initial" "only the newest was reverted"
is "$(sql "SELECT to_regclass('partial_table') IS NULL")" t "its table is gone"

##
# Two concurrent runs apply each migration once
##

mkdir "$T/slow"
cp "$ONE"/* "$T/slow/"
printf 'CREATE TABLE run_log (what text);\n' >"$T/slow/0002_log.up.sql"
printf 'DROP TABLE run_log;\n' >"$T/slow/0002_log.down.sql"
printf "SELECT pg_sleep(1);\nINSERT INTO run_log VALUES ('0003 ran');\n" >"$T/slow/0003_slow.up.sql"
printf "DELETE FROM run_log WHERE what = '0003 ran';\n" >"$T/slow/0003_slow.down.sql"

"$PARLEY_BIN" migrate --dir "$T/slow" up >"$T/run1.out" 2>&1 &
pid1=$!
"$PARLEY_BIN" migrate --dir "$T/slow" up >"$T/run2.out" 2>&1 &
pid2=$!
wait "$pid1"
rc1=$?
wait "$pid2"
rc2=$?
is "$rc1:$rc2" "0:0" "two concurrent up runs both succeed"
is "$(cat "$T/run1.out" "$T/run2.out" | grep -c 'applying 0003_slow')" 1 \
    "only one of them applied the slow migration"
is "$(sql "SELECT count(*) FROM run_log WHERE what = '0003 ran'")" 1 \
    "the slow migration's statements ran exactly once"
grep -q 'nothing to do' "$T/run1.out" "$T/run2.out"
ok $? "the other run waited for the lock and found nothing to do"
is "$(applied_versions)" "1:0001_initial 2:0002_log 3:0003_slow" "each version recorded once"

migrate --dir "$T/slow" down 2
is "$RC" 0 "down 2 reverts two migrations"
is "$(applied_versions)" "1:0001_initial" "down 2 leaves the first"

##
# An applied migration whose file changed is refused
##

mkdir "$T/edited"
cp "$ONE"/* "$T/edited/"
printf '\n-- an afterthought\n' >>"$T/edited/0001_initial.up.sql"

migrate --dir "$T/edited" up
is "$RC" 1 "up refuses when an applied migration's file changed"
like "$ERR" "$T/edited/0001_initial\.up\.sql was changed after it was applied" \
    "the message names the changed file"
migrate --dir "$T/edited" down
is "$RC" 1 "down refuses too"
like "$ERR" "0001_initial\.up\.sql was changed after it was applied" "with the same message"
is "$(user_tables)" "$ONE_TABLES" "nothing was reverted"
migrate --dir "$T/edited" status
like "$OUT" "changed: $T/edited/0001_initial\.up\.sql" "status points out the changed file"

migrate --dir "$T/edited" stamp 0001
is "$RC" 0 "stamp records the edited file's checksum on purpose"
migrate --dir "$T/edited" up
is "$RC" 0 "after which up accepts it"
migrate up
is "$RC" 1 "and the original file is now the changed one"
migrate stamp 0001_initial
is "$RC" 0 "stamp back to the original file"

##
# parley seed, on the real schema
##

export PARLEY_SQL_DIR=$MIGRATIONS
migrate up
is "$RC" 0 "up with the real folder goes on from 0001_initial to head"
is "$(applied_versions)" "$(recorded "${VERSIONS[@]}")" "every version is recorded"
migrate status
like "$OUT" $'^current: '"$HEAD"$'\npending: none$' "status at head shows nothing pending"

"$PARLEY_BIN" seed >"$T/seed1.out" 2>"$T/seed1.err"
is "$?" 0 "seed succeeds"
like "$(cat "$T/seed1.out")" "email: +demo@example\.com" "seed prints the demo email"
pw1=$(sed -n 's/^ *password: *//p' "$T/seed1.out")
[ "${#pw1}" -ge 8 ]
ok $? "seed prints a password of at least 8 characters"

counts() {
	sql "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM tasks) || ' ' ||
	    (SELECT count(*) FILTER (WHERE completed) FROM tasks) || ' ' ||
	    (SELECT count(*) FROM conversations) || ' ' || (SELECT count(*) FROM messages) || ' ' ||
	    (SELECT count(*) FROM responses) || ' ' || (SELECT count(*) FROM proposal_sessions)"
}
read -r n_users n_tasks n_done n_convs n_msgs n_resps n_props <<<"$(counts)"
is "$n_users" 1 "seed adds one user"
[ "$n_tasks" -ge 3 ] && [ "$n_done" -ge 1 ] && [ "$n_done" -lt "$n_tasks" ]
ok $? "seed adds a few tasks, some done ($n_tasks tasks, $n_done done)"
is "$n_convs" 1 "seed adds a conversation"
[ "$n_msgs" -ge 2 ] && [ "$n_resps" -ge 1 ]
ok $? "with user and assistant messages and recorded responses ($n_msgs, $n_resps)"
is "$(sql "SELECT count(*) FROM messages m JOIN responses r ON r.message_id = m.id
    WHERE m.role <> 'assistant'")" 0 "responses belong to assistant messages"
is "$(sql "SELECT progress || ' ' || status || ' ' || jsonb_array_length(history) || ' ' ||
    (client_name IS NOT NULL)::text || ' ' || (timeline IS NULL)::text FROM proposal_sessions")" \
    "50 active 3 true true" "seed adds a proposal half way through the wizard"
is "$(sql "SELECT count(*) FROM proposal_sessions, jsonb_array_elements(history) h
    WHERE h ?& array['field', 'question', 'answer', 'answered_at']")" 3 \
    "each history entry has field, question, answer and answered_at"
hash1=$(sql "SELECT password_hash FROM users WHERE email = 'demo@example.com'")
# shellcheck disable=SC2016 # a literal "$argon2id$"
like "$hash1" '^\$argon2id\$' "the demo password is stored as an Argon2id hash"
[ -n "$pw1" ] && [[ $hash1 != *"$pw1"* ]]
ok $? "the password itself is not stored"

"$PARLEY_BIN" seed >"$T/seed2.out" 2>"$T/seed2.err"
is "$?" 0 "seed succeeds a second time"
like "$(cat "$T/seed2.out")" "email: +demo@example\.com" "and prints the demo login again"
is "$(counts)" "$n_users $n_tasks $n_done $n_convs $n_msgs $n_resps $n_props" \
    "running seed twice adds nothing twice"

printf 'correct horse battery\n' | "$PARLEY_BIN" seed --password-stdin >"$T/seed3.out" 2>&1
is "$?" 0 "seed --password-stdin succeeds"
like "$(cat "$T/seed3.out")" "password: correct horse battery" "and prints the chosen password"
printf 'short\n' | "$PARLEY_BIN" seed --password-stdin >"$T/seed4.out" 2>&1
is "$?" 1 "seed refuses a password shorter than 8 bytes"
"$PARLEY_BIN" seed --bogus >/dev/null 2>&1
is "$?" 2 "seed with an unknown option is a usage error"

migrate down all
is "$RC:$(user_tables)" "0:" "down all reverts a seeded database to no table at all"
"$PARLEY_BIN" seed >"$T/seed5.out" 2>"$T/seed5.err"
is "$?" 1 "seed on a database without the schema fails"
like "$(cat "$T/seed5.err")" "the schema is missing; run \`parley migrate up\` first" \
    "and tells to run parley migrate up"

done_testing

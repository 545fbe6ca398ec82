#!/bin/bash
# bench/all.sh: every benchmark in one run (healthz, db, chat, streams, mixed), then the table
# of their figures, with the machine they ran on, written into bench/README.md between the
# "all.sh results" markers (the rest of the file is left alone).
#
# usage: bench/all.sh                (from the source tree, after `make` and `make check`
#                                     or `make t/fake_openai`)
# environment: BENCH_QUICK=1 shortens every run (a smoke test of the scripts; figures
#              not worth recording), BENCH_README (bench/README.md; "-" prints the table
#              instead), BENCH_LOGS (folder for each script's full output: a new temp folder),
#              BENCH_SOURCE (what was measured, for the table: `git describe` by default),
#              PARLEY_BIN; each script's own settings pass through (see each script).
# Takes about 10 minutes (most of it the mixed load with its warm-up).
# Not a test: the numbers depend on the machine.

set -u -o pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
README=${BENCH_README:-$bench_dir/README.md}
LOGS=${BENCH_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-logs.XXXXXX")}
mkdir -p "$LOGS"
BENCH_RESULTS=$LOGS/results.tsv
: >"$BENCH_RESULTS"
export BENCH_RESULTS

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	quick_healthz=(DURATION=3 REPEAT=1)
	quick_db=(DURATION=2)
	quick_chat=(DURATION=3 EXCHANGES=25)
	quick_streams=(STREAMS=8 CHUNKS=40 DURATION=3)
	quick_mixed=(DURATION=10 WARMUP=10 USERS=2)
else
	quick_healthz=() quick_db=() quick_chat=() quick_streams=() quick_mixed=()
fi

machine=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
source=${BENCH_SOURCE:-$(git -C "$bench_dir/.." describe --always --dirty 2>/dev/null)}
version=$("${PARLEY_BIN:-$bench_dir/../parley}" version 2>/dev/null | awk '{ print $2 }')
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)

failed=()
run() {
	local name=$1
	shift
	echo "== bench/$name.sh $*" >&2
	if env "$@" "$bench_dir/$name.sh" >"$LOGS/$name.log" 2>"$LOGS/$name.err"; then
		cat "$LOGS/$name.log"
	else
		echo "bench/$name.sh failed:" >&2
		tail -n 20 "$LOGS/$name.err" "$LOGS/$name.log" >&2
		failed+=("$name")
	fi
	echo
}
run healthz "${quick_healthz[@]}"
run db "${quick_db[@]}"
run chat "${quick_chat[@]}"
run streams "${quick_streams[@]}"
run mixed "${quick_mixed[@]}"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# The db benchmark prints its figures; the others recorded theirs in $BENCH_RESULTS.
awk '/^-- newest 50 messages/ { print "db.messages\t" $0 } /^-- newest 20 of/ { print "db.convs\t" $0 }' \
    "$LOGS/db.log" 2>/dev/null | sed 's/\t.*execution \([0-9.]*\) ms.*latency \([0-9.]*\) ms.*/\t\1 \2/' >>"$BENCH_RESULTS"

declare -A V=()
while IFS=$'\t' read -r k v; do
	V[$k]=$v
done <"$BENCH_RESULTS"
v() { echo "${V[$1]:--}"; }
# met WHETHER: "met" / "not met" / "-" from an awk condition on the figures.
met() {
	awk "BEGIN { exit !($1) }" 2>/dev/null && echo met || echo "**not met**"
}
num() { [[ ${V[$1]:-} =~ ^[+-]?[0-9.]+$ ]] && echo "${V[$1]}" || echo ""; }
goal() {
	# goal KEY OP LIMIT: met / not met / - when the figure is missing.
	local x
	x=$(num "$1")
	[ -n "$x" ] || { echo "-"; return; }
	met "$x $2 $3"
}
streams_ok() {
	[ -n "$(num streams.n)" ] || { echo "-"; return; }
	[ "${V[streams.done]:-}" = "${V[streams.n]}" ] && [ "${V[streams.stored]:-}" = "${V[streams.n]}" ] &&
	    echo met || echo "**not met**"
}
mixed_ok() {
	[ -n "$(num mixed.bad)" ] || { echo "-"; return; }
	[ "${V[mixed.bad]}" = 0 ] && [ -z "${V[mixed.errors]:-}" ] && echo met || echo "**not met**"
}
mem_ok() {
	local x
	x=$(num mixed.rss_change)
	[ -n "$x" ] || { echo "-"; return; }
	met "$x <= 10 && $x >= -10"
}
read -r db_m_exec db_m_lat <<<"$(v db.messages)"
read -r db_c_exec db_c_lat <<<"$(v db.convs)"

table() {
	echo "Machine: $machine, $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); $(nginx -v 2>&1 | sed 's/.*: //'), PostgreSQL $(cd /usr/lib/postgresql 2>/dev/null && printf '%s\n' * | sort -n | tail -n 1), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')."
	echo "Parley ${version:-?}${source:+ ($source)}. Run: $started, load average ${load0} at the start and ${load1} at the end (what else the machine was doing weighs on every figure)."
	[ "${BENCH_QUICK:-0}" = 1 ] && echo "**BENCH_QUICK=1: short runs, not figures to keep.**"
	[ "${#failed[@]}" -eq 0 ] || echo "**Failed: ${failed[*]} (see their logs).**"
	echo
	echo "| benchmark | figure | goal | |"
	echo "| --- | --- | --- | --- |"
	echo "| \`/healthz\` through nginx and FastCGI, against nginx \`return 200\` (wrk -c32) | $(v healthz.fcgi.rps) req/s (p99 $(v healthz.fcgi.p99) ms) against $(v healthz.direct.rps) req/s (p99 $(v healthz.direct.p99) ms): ratio **$(v healthz.ratio)** (runs: $(v healthz.ratios)) | ratio >= 0.4 | $(goal healthz.ratio '>=' 0.4) |"
	echo "| CPU time per request of all the processes involved, nginx alone / FastCGI path | $(v healthz.cpu_ratio) | | |"
	echo "| CPU per \`/healthz\` request (nginx, parley workers, wrk) | $(v healthz.fcgi.cpu.nginx); $(v healthz.fcgi.cpu.workers); $(v healthz.fcgi.cpu.wrk) | | |"
	echo "| CPU per \`return 200\` request (nginx, wrk) | $(v healthz.direct.cpu.nginx); $(v healthz.direct.cpu.wrk) | | |"
	echo "| parley idle, supervisor and workers (PSS) | $(v pss.idle) MB ($(v pss.idle.procs) processes) | < 15 MB | $(goal pss.idle '<' 15) |"
	echo "| SQL: newest 50 of a 100,000-message conversation | ${db_m_lat:--} ms (pgbench mean; EXPLAIN ${db_m_exec:--} ms) | < 2 ms | $(met "${db_m_lat:-99} < 2") |"
	echo "| SQL: newest 20 of a user's 10,000 conversations | ${db_c_lat:--} ms (pgbench mean; EXPLAIN ${db_c_exec:--} ms) | < 2 ms | $(met "${db_c_lat:-99} < 2") |"
	echo "| \`/healthz\` in the chat run (the base of the shares below) | $(v chat.healthz.rps) req/s (p99 $(v chat.healthz.p99) ms) | | |"
	echo "| JSON of a conversation's newest 50 messages | $(v chat.json.rps) req/s = **$(v chat.json.share)%** (p99 $(v chat.json.p99) ms) | >= 15% | $(goal chat.json.share '>=' 15) |"
	echo "| page of a conversation: its newest 50 messages, $(v chat.page.answers) of them answers | $(v chat.page.rps) req/s = **$(v chat.page.share)%** (p99 $(v chat.page.p99) ms) | (10%) | $(goal chat.page.share '>=' 10) |"
	echo "| page of a conversation showing $(v chat.page50.answers) rendered answers | $(v chat.page50.rps) req/s = **$(v chat.page50.share)%** (p99 $(v chat.page50.p99) ms) | >= 10% | $(goal chat.page50.share '>=' 10) |"
	echo "| posting a message to the builtin model | $(v chat.post.rps) req/s = **$(v chat.post.share)%** (p99 $(v chat.post.p99) ms) | >= 5% | $(goal chat.post.share '>=' 5) |"
	echo "| \`/healthz\` p99 while $(v streams.n) answers stream from a slow upstream (wrk -c8) | **$(v streams.busy_hz.p99) ms** ($(v streams.busy_hz.rps) req/s; without streams: $(v streams.quiet_hz.p99) ms, $(v streams.quiet_hz.rps) req/s) | < 50 ms | $(goal streams.busy_hz.p99 '<' 50) |"
	echo "| conversation page p99 meanwhile | $(v streams.busy_page.p99) ms ($(v streams.busy_page.rps) req/s; without: $(v streams.quiet_page.p99) ms, $(v streams.quiet_page.rps) req/s) | | |"
	echo "| the streams | peak $(v streams.peak) of $(v streams.n) at once; $(v streams.done) ended complete, $(v streams.stored) stored whole; $(v streams.answer_s) s answers all done in $(v streams.wall_s) s | all | $(streams_ok) |"
	echo "| CPU of the $(v streams.n) streams alone (4 chunks a second each) | $(v streams.cpu) | | |"
	echo "| mixed load, $(v mixed.duration) s at $(v mixed.connections) connections | $(v mixed.reqs) requests, $(v mixed.rps) req/s, p50 $(v mixed.p50) ms, p99 $(v mixed.p99) ms; parley answered $(v mixed.statuses); wrk errors: ${V[mixed.errors]:-none} | no error, only 2xx/3xx | $(mixed_ok) |"
	echo "| workers' memory over the mixed load (RSS once idle for 2.5 s, after a warm-up of $(v mixed.warmup) s) | $(v mixed.rss0) MB before, $(v mixed.rss1) MB after ($(v mixed.rss_change)%) | within 10% | $(mem_ok) |"
}

out=$(table)
echo "$out"
echo
echo "full output of each benchmark: $LOGS" >&2
if [ "$README" = - ]; then
	exit 0
fi
begin='<!-- all.sh results: begin -->'
end='<!-- all.sh results: end -->'
if grep -qF "$begin" "$README" 2>/dev/null; then
	echo "$out" >"$LOGS/table.md"
	awk -v b="$begin" -v e="$end" -v f="$LOGS/table.md" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$README" >"$LOGS/README.new" && cat "$LOGS/README.new" >"$README"
else
	{
		echo
		echo "## Latest run of bench/all.sh"
		echo
		echo "$begin"
		echo "$out"
		echo "$end"
	} >>"$README"
fi
echo "table written to $README" >&2
[ "${#failed[@]}" -eq 0 ]

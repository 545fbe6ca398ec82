#!/bin/sh
# run.sh: runs the libFuzzer harnesses from the build folder (make fuzz, make fuzz-replay).
#
#   sh fuzz/run.sh SECONDS SRCDIR NAME...   fuzz each NAME for SECONDS (FUZZ_RUNS=N stops at N executions)
#   sh fuzz/run.sh replay SRCDIR NAME...    run every seed and saved regression once
#
# New inputs are kept in fuzz/work/NAME (seeds in the source tree are never
# written); a crash is saved as fuzz/crashes/NAME-crash-... and the run fails.
# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS=-jobs=2).
set -u

mode=$1
srcdir=$2
shift 2
failed=0
mkdir -p fuzz/work fuzz/crashes
# A smaller quarantine and no fill of new blocks: a third less CPU per
# execution, and a use after free still shows at once in a short call.
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:max_malloc_fill_size=0}
export ASAN_OPTIONS

for name in "$@"; do
	bin=./fuzz/fuzz_$name
	seeds=$srcdir/fuzz/corpus/$name
	regress=
	[ -d "$srcdir/fuzz/regressions/$name" ] && regress=$srcdir/fuzz/regressions/$name
	# The phrase matcher reads the first 4 KiB: slightly longer inputs check the cut.
	maxlen=4096
	[ "$name" = phrases ] && maxlen=4400
	dict=
	[ -f "$srcdir/fuzz/$name.dict" ] && dict=-dict=$srcdir/fuzz/$name.dict
	log=fuzz/work/$name.log
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: not built ($bin)" >&2
		failed=1
		continue
	fi
	if [ "$mode" = replay ]; then
		if "$bin" -runs=0 $seeds $regress >"$log" 2>&1; then
			echo "fuzz_$name: every seed and regression passes"
		else
			echo "fuzz_$name: FAILED on replay, see $log" >&2
			tail -n 30 "$log" >&2
			failed=1
		fi
		continue
	fi
	mkdir -p "fuzz/work/$name"
	runs=
	[ -n "${FUZZ_RUNS:-}" ] && runs=-runs=$FUZZ_RUNS
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$mode" $runs $dict -max_len=$maxlen -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="fuzz/crashes/$name-" ${FUZZ_FLAGS:-} \
	    "fuzz/work/$name" $seeds $regress >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz_$name: ${execs:-?} executions in ${secs}s, no crash"
	else
		echo "fuzz_$name: FAILED after ${secs}s (exit $rc), see $log and fuzz/crashes/" >&2
		grep -m 3 -E 'ERROR|runtime error|invariant failed' "$log" >&2
		failed=1
	fi
done
exit $failed

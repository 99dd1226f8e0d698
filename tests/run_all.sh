#!/usr/bin/env bash
# The whole suite (`make test`): unit, replay, conformance and CLI tests on
# the normal build; unit and replay tests again under ASan+UBSan; the
# libFuzzer target for a bounded time. Ends with one line
# "tests: N passed, M failed, K skipped".
set -u
BUILD=${1:-build} ASAN=${2:-build-asan} FUZZ=${3:-build-fuzz} SECS=${4:-30}
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0

tally() { # parse meson test's summary from a log
	local log=$1 ok fl sk
	ok=$(awk '/^Ok:/{print $2}' "$log" | tail -1)
	fl=$(awk '/^Fail:/{print $2}' "$log" | tail -1)
	sk=$(awk '/^Skipped:/{print $2}' "$log" | tail -1)
	passed=$((passed + ${ok:-0})); failed=$((failed + ${fl:-0})); skipped=$((skipped + ${sk:-0}))
	[ -n "$ok" ] || failed=$((failed + 1)) # meson itself failed
}

echo "== tests on $BUILD"
meson test -C "$BUILD" --print-errorlogs 2>&1 | tee "$BUILD/test-summary.log" | grep -Ev '^ *[0-9]+/[0-9]+ .* OK ' || true
tally "$BUILD/test-summary.log"
if grep -q 'corpus .*SKIP' "$BUILD/test-summary.log"; then
	echo "!! conformance SKIPPED: peer corpus not found at ../shared/corpus — checksum conformance NOT checked"
fi

echo "== unit and replay tests under ASan+UBSan ($ASAN)"
if [ ! -f "$ASAN/build.ninja" ]; then
	meson setup "$ASAN" -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false >/dev/null
fi
if meson compile -C "$ASAN" >"$ASAN/compile.log" 2>&1; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C "$ASAN" --suite unit --suite replay --print-errorlogs 2>&1 |
		tee "$ASAN/test-summary.log" | grep -Ev '^ *[0-9]+/[0-9]+ .* OK ' || true
	tally "$ASAN/test-summary.log"
else
	cat "$ASAN/compile.log"; failed=$((failed + 1))
fi

echo "== fuzz_decode for ${SECS}s ($FUZZ)"
if [ ! -f "$FUZZ/build.ninja" ]; then
	CC=clang meson setup "$FUZZ" -Dfuzz=true -Dtests=false -Dbench=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if meson compile -C "$FUZZ" fuzz_decode >"$FUZZ/compile.log" 2>&1; then
	rm -rf "$FUZZ/seeds" && mkdir -p "$FUZZ/seeds" "$FUZZ/crashes"
	/usr/bin/python3 tests/fuzz/make_seeds.py . "$FUZZ/seeds"
	if UBSAN_OPTIONS=halt_on_error=1 "$FUZZ/fuzz_decode" -max_total_time="$SECS" \
		-artifact_prefix="$FUZZ/crashes/" -print_final_stats=1 "$FUZZ/seeds" >"$FUZZ/fuzz.log" 2>&1; then
		echo "PASS fuzz_decode: $(grep -E 'stat::number_of_executed_units' "$FUZZ/fuzz.log" | awk '{print $2}') executions, no crash"
		passed=$((passed + 1))
	else
		tail -40 "$FUZZ/fuzz.log"; echo "FAIL fuzz_decode (artifacts in $FUZZ/crashes)"
		failed=$((failed + 1))
	fi
else
	cat "$FUZZ/compile.log"; failed=$((failed + 1))
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

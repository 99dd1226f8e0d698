#!/usr/bin/env bash
# The whole suite (`make test`): unit, replay, conformance and CLI tests on
# the normal build; unit and replay tests again under ASan+UBSan; the
# libFuzzer targets (one per parser) for a bounded time. Ends with one line
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

# One libFuzzer target per parser of untrusted bytes, each seeded from the
# project's own material: decode (packets: the replay captures' frames,
# SECS seconds), config (YAML: config/*.yaml) and events (events.json lines
# of a replay run), SECS/2 seconds each.
echo "== fuzz targets ($FUZZ)"
if [ ! -f "$FUZZ/build.ninja" ]; then
	CC=clang meson setup "$FUZZ" -Dfuzz=true -Dtests=false -Dbench=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
fuzz_seeds() { # target dir
	case $1 in
	decode) /usr/bin/python3 tests/fuzz/make_seeds.py . "$2" ;;
	config) cp config/*.yaml "$2"/ ;;
	events)
		"$BUILD/wirecheck" -r tests/pcap/seed-incidents/input.pcap -o "$FUZZ/ev-out" \
			>/dev/null 2>&1 && split -l 1 "$FUZZ/ev-out/events.json" "$2/line-" ;;
	esac
	[ -n "$(ls -A "$2")" ]
}
for t in decode config events; do
	secs=$SECS
	[ "$t" = decode ] || secs=$(( (SECS + 1) / 2 ))
	if ! meson compile -C "$FUZZ" "fuzz_$t" >"$FUZZ/compile-$t.log" 2>&1; then
		cat "$FUZZ/compile-$t.log"; echo "FAIL fuzz_$t (build)"; failed=$((failed + 1)); continue
	fi
	rm -rf "$FUZZ/seeds-$t" "$FUZZ/ev-out" && mkdir -p "$FUZZ/seeds-$t" "$FUZZ/crashes-$t"
	if ! fuzz_seeds "$t" "$FUZZ/seeds-$t"; then
		echo "FAIL fuzz_$t: no seeds"; failed=$((failed + 1)); continue
	fi
	# -timeout: an input that runs 10 s is a hang (SPEC §8: never a
	# stall), reported as a failure with its artifact, not a 20-minute wait
	if UBSAN_OPTIONS=halt_on_error=1 "$FUZZ/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-artifact_prefix="$FUZZ/crashes-$t/" -print_final_stats=1 "$FUZZ/seeds-$t" \
		>"$FUZZ/fuzz-$t.log" 2>&1; then
		echo "PASS fuzz_$t: $(grep -E 'stat::number_of_executed_units' "$FUZZ/fuzz-$t.log" | awk '{print $2}') executions in ${secs}s, no crash"
		passed=$((passed + 1))
	else
		tail -40 "$FUZZ/fuzz-$t.log"; echo "FAIL fuzz_$t (artifacts in $FUZZ/crashes-$t)"
		failed=$((failed + 1))
	fi
done

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

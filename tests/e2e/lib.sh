# Sourced by the end-to-end scripts: the PASS/FAIL tally every one of them
# prints and ends on (each says "NAME: P passed, F failed" itself).
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# wait_for FILE PATTERN: up to 5 s for PATTERN to appear in FILE (a
# tcpdump's "listening on", a test server's "ready"); 1 if it never does
wait_for() {
	local i
	for i in $(seq 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

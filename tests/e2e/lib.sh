# Sourced by the end-to-end scripts: the PASS/FAIL tally every one of them
# prints and ends on (each says "NAME: P passed, F failed" itself).
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

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

# netns_pair NS_S NS_C V_S V_C NET: two fresh network namespaces joined by
# a veth pair, up, with NET.1 / NET.2 (IPv4 /24) and fd00:NET-as-hex::1 / ::2
# (IPv6 /64, no DAD) on the server's and the client's end; e.g. NET 10.199.0
# gives fd00:199::. 1 (with a message) when the kernel refuses.
netns_pair() {
	local s=$1 c=$2 vs=$3 vc=$4 net=$5 v6 ns
	v6="fd00:$(echo "$net" | cut -d. -f2)"
	ip netns add "$s" && ip netns add "$c" || { echo "ip netns add failed"; return 1; }
	ip link add "$vs" netns "$s" type veth peer name "$vc" netns "$c" ||
		{ echo "cannot create a veth pair"; return 1; }
	ip -n "$s" addr add "$net.1/24" dev "$vs"
	ip -n "$c" addr add "$net.2/24" dev "$vc"
	ip -n "$s" addr add "$v6::1/64" dev "$vs" nodad
	ip -n "$c" addr add "$v6::2/64" dev "$vc" nodad
	for ns in "$s" "$c"; do ip -n "$ns" link set lo up; done
	ip -n "$s" link set "$vs" up
	ip -n "$c" link set "$vc" up
}

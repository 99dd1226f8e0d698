#!/bin/sh
# Hugepages for DPDK (mbufs) and wirecheck's shared memory, through DPDK's
# own dpdk-hugepages.py (package dpdk).
#
#   scripts/hugepages.sh [MB]     reserve MB of 2 MB pages (default 1024) and
#                                 mount hugetlbfs on /dev/hugepages
#   scripts/hugepages.sh --status what is reserved, free and mounted
#   scripts/hugepages.sh --clear  give the pages back, unmount
#
# Reserving never shrinks an existing reservation: pages in use by a running
# DPDK process stay. EAL keeps its page files after exit unless given
# --huge-unlink (wirecheck adds it unless its EAL arguments decide) or
# --in-memory; --clear removes those no process maps.
# Without hugepages, DPDK still runs with `--no-huge` in
# its EAL arguments (slower: 4 KB pages, no physical addresses).
set -eu

HP=$(command -v dpdk-hugepages.py || true)
SYS=/sys/kernel/mm/hugepages/hugepages-2048kB
MNT=/dev/hugepages

usage() {
	sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//'
}

status() {
	if [ -n "$HP" ]; then
		"$HP" --show
	fi
	if [ -r "$SYS/nr_hugepages" ]; then
		total=$(cat "$SYS/nr_hugepages")
		free=$(cat "$SYS/free_hugepages")
		echo "2 MB pages: $total reserved ($((total * 2)) MB), $free free ($((free * 2)) MB)"
	else
		echo "2 MB pages: not supported by this kernel"
	fi
	if grep -qs " $MNT hugetlbfs " /proc/mounts; then
		echo "hugetlbfs mounted on $MNT"
	else
		echo "hugetlbfs not mounted on $MNT"
	fi
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "hugepages: $1 needs root (try: sudo $0 ${2:-})" >&2
		exit 1
	fi
	if [ -z "$HP" ]; then
		echo "hugepages: dpdk-hugepages.py not found: install the Debian package" \
			"'dpdk' (scripts/setup.sh does)" >&2
		exit 1
	fi
}

case "${1:-}" in
-h|--help)
	usage
	exit 0
	;;
-s|--status)
	status
	exit 0
	;;
-c|--clear)
	need_root "--clear" "--clear"
	# EAL leaves its page files (PREFIXmap_N) behind at exit unless run with
	# --huge-unlink or --in-memory; those nobody maps any more are leaked.
	for f in "$MNT"/*; do
		[ -f "$f" ] || continue
		if ! cat /proc/[0-9]*/maps 2>/dev/null | grep -qF " $f"; then
			rm -f "$f" && echo "hugepages: removed unused $f"
		fi
	done
	"$HP" --clear
	if grep -qs " $MNT hugetlbfs " /proc/mounts; then
		"$HP" --unmount
	fi
	echo "hugepages: released all hugepages and unmounted $MNT"
	status
	exit 0
	;;
"")
	MB=1024
	;;
*)
	MB=$1
	case "$MB" in
	*[!0-9]*|"")
		echo "hugepages: '$MB' is not a size in MB (see --help)" >&2
		exit 2
		;;
	esac
	;;
esac

need_root "reserving hugepages" "$MB"
if [ ! -w "$SYS/nr_hugepages" ]; then
	echo "hugepages: this kernel offers no 2 MB hugepages ($SYS)" >&2
	exit 1
fi
want=$(((MB + 1) / 2))
have=$(cat "$SYS/nr_hugepages")
if [ "$have" -ge "$want" ]; then
	echo "hugepages: $have pages of 2 MB already reserved ($((have * 2)) MB >= $MB MB): kept"
else
	"$HP" --pagesize 2M --reserve "${MB}M"
	got=$(cat "$SYS/nr_hugepages")
	echo "hugepages: reserved $got pages of 2 MB ($((got * 2)) MB; was $((have * 2)) MB)"
	if [ "$got" -lt "$want" ]; then
		echo "hugepages: warning: asked for $want pages, the kernel found $got" \
			"(memory fragmented or short); reserve early after boot" >&2
	fi
fi
mkdir -p "$MNT"
if grep -qs " $MNT hugetlbfs " /proc/mounts; then
	echo "hugepages: hugetlbfs already mounted on $MNT"
else
	"$HP" --pagesize 2M --mount --directory "$MNT"
	echo "hugepages: mounted hugetlbfs (2 MB pages) on $MNT"
fi
status

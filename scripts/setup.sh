#!/bin/sh
# Installs the Debian 12 packages wirecheck needs to build, test and demo.
# Idempotent: installs only what is missing. Needs root to install; without
# root it lists what is missing and fails.
set -eu

# build: compiler, meson/ninja, libpcap (offline files)
# tests: cmocka (unit), clang + compiler-rt (libFuzzer, sanitizers),
#        python3-scapy (capture generator check), tshark/tcpdump (evidence
#        readable by real tools, cross-checks)
# live capture, metrics, config: DPDK (dpdk-dev has dpdk-testpmd, the
#        benchmark reference), libxdp/libbpf + clang/llvm
#        + bpftool for the XDP program, libyaml, libmicrohttpd
# prometheus: the real server (and promtool) the metrics test scrapes with
#        (tests/e2e/test_metrics.sh); ~100 MB, no service starts without systemd
# nfdump: the IPFIX collector (nfcapd) and reader the export test uses
#        (tests/e2e/test_ipfix.sh)
PKGS="gcc make pkg-config meson ninja-build libpcap-dev libcmocka-dev
      clang llvm libclang-rt-14-dev python3 python3-scapy tshark tcpdump
      iproute2 ethtool bc curl
      libdpdk-dev dpdk dpdk-dev libxdp-dev libbpf-dev bpftool xdp-tools
      libyaml-dev libmicrohttpd-dev prometheus nfdump"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing Debian packages:$missing" >&2
	echo "setup: run 'sudo scripts/setup.sh' (or make as root) to install them" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, never prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one header shared by the XDP/tc programs (xdp/wirecheck.bpf.c) and
 * their loader (dataplane/capture/afxdp.c) and tests. Types that cross the
 * boundary (map values, the read-only configuration) are defined here only.
 * The parts under #ifndef __bpf__ are for user space.
 */
#ifndef WIRECHECK_XDP_SHARED_H
#define WIRECHECK_XDP_SHARED_H

#include <linux/types.h>

/* Program names as the kernel shows them (bpftool prog, ip link): a stale
 * program left by a killed run is recognised by these names. */
#define WC_XDP_PROG_NAME "wirecheck_xdp"
#define WC_TC_PROG_NAME "wirecheck_tc"

/* Map names (libbpf: bpf_object__find_map_by_name). */
#define WC_XDP_XSKMAP_NAME "xsks_map"
#define WC_XDP_COUNTERS_NAME "wc_counters"
#define WC_XDP_CFG_VAR "wc_cfg"

/* XSKMAP slots: one per RX queue id. */
#define WC_XDP_MAX_QUEUES 256

/* Per-CPU counters (one BPF_MAP_TYPE_PERCPU_ARRAY slot); user space sums
 * them over the CPUs. Every frame counts in seen and in exactly one of
 * redirected / passed / dropped. */
struct wc_xdp_counters {
	__u64 seen;       /* frames the program ran on */
	__u64 redirected; /* handed to the XSK bound to their RX queue */
	__u64 passed;     /* XDP_PASS: to the kernel stack */
	__u64 dropped;    /* XDP_DROP: mirror copies with no socket to take them */
	__u64 no_socket;  /* no XSK bound to the frame's RX queue */
	__u64 mgmt;       /* management traffic passed (also in passed) */
	/* tc mirror program (mirror attach): copies sent to the private veth */
	__u64 mirror_copied;
	__u64 mirror_failed; /* bpf_clone_redirect() refused (peer down, ...) */
};

#define WC_XDP_CFG_MGMT_V4 0x1
#define WC_XDP_CFG_MGMT_V6 0x2

/* Read-only configuration (a const volatile global in .rodata), written by
 * the loader before the object is loaded, so the verifier sees constants.
 * Addresses and ports are in network byte order. */
struct wc_xdp_cfg {
	__u32 flags;        /* WC_XDP_CFG_MGMT_* */
	__u32 miss_action;  /* XDP action when no socket is bound to the queue:
			       XDP_PASS (direct attach), XDP_DROP (mirror copies) */
	__u32 mirror_ifindex; /* tc program: where copies go (0: none) */
	__u32 mirror_ingress; /* 1: into that device's RX path (BPF_F_INGRESS),
				 0: out of it (its veth peer receives them) */
	__u16 mgmt_port;    /* TCP port of management traffic, 0 = any */
	__u16 pad;
	__u32 mgmt_v4;      /* management IPv4 address */
	__u8 mgmt_v6[16];   /* management IPv6 address */
};

/* Both compilers must agree on these layouts: the counters are read
 * per CPU as an array of this struct, the configuration is patched into
 * .rodata byte for byte. */
_Static_assert(sizeof(struct wc_xdp_counters) == 8 * sizeof(__u64),
	       "wc_xdp_counters: u64 fields only, no padding");
_Static_assert(sizeof(struct wc_xdp_cfg) == 40, "wc_xdp_cfg layout");

#ifndef __bpf__
/* User space: locate the configuration inside the object's .rodata before
 * load, through BTF (the compiler may put other constants there too). */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

static inline int wc_xdp_cfg_set(struct bpf_object *obj, const struct wc_xdp_cfg *cfg)
{
	struct bpf_map *m;
	const struct btf *btf = bpf_object__btf(obj);
	if (!btf)
		return -ENOENT;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t len = strlen(n);
		if (len < 7 || strcmp(n + len - 7, ".rodata") != 0)
			continue;
		int id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
		if (id < 0)
			return -ENOENT;
		const struct btf_type *sec = btf__type_by_id(btf, (__u32)id);
		const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
		for (unsigned i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *v = btf__type_by_id(btf, vs->type);
			if (strcmp(btf__name_by_offset(btf, v->name_off), WC_XDP_CFG_VAR))
				continue;
			size_t sz = 0;
			/* libbpf 1.1 hands out a const view: copy, edit, set */
			const void *cur = bpf_map__initial_value(m, &sz);
			if (!cur || vs->offset + sizeof(*cfg) > sz ||
			    vs->size != sizeof(*cfg) || sz > 4096)
				return -EINVAL;
			char buf[4096];
			memcpy(buf, cur, sz);
			memcpy(buf + vs->offset, cfg, sizeof(*cfg));
			return bpf_map__set_initial_value(m, buf, sz);
		}
		return -ENOENT;
	}
	return -ENOENT;
}
#endif /* !__bpf__ */

#endif

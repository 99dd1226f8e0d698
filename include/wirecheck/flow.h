/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tracked flow, as it sits in a worker's flow table in shared memory and
 * as it travels in a `flow` event when it ends. The dataplane worker is the
 * only writer; the control plane reads live entries without stopping it:
 *
 *   writer (worker)                    reader (control plane)
 *   s = seq; seq = s + 1  (odd)        do {
 *   release fence                        s1 = load_acquire(seq)
 *   ... update the entry ...             if (s1 & 1) continue
 *   store_release(seq, s + 2)            copy the entry
 *                                        acquire fence
 *                                      } while (load(seq) != s1)
 *
 * Plain stores only on the packet path (x86 needs no fence instructions
 * for these orderings): no atomic read-modify-write, no lock.
 */
#ifndef WIRECHECK_FLOW_H
#define WIRECHECK_FLOW_H

#include <stdatomic.h>
#include <stdint.h>

/* Direction-normalised key: side 0 is the lower (address, port). Padding
 * is zeroed so keys compare with memcmp and two flows can never match. */
struct wc_flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint16_t vlan[2]; /* outer, inner tag; 0 = none */
	uint32_t tunnel_id;
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t tunnel_type;
	uint8_t pad;
};
_Static_assert(sizeof(struct wc_flow_key) == 48, "flow key is 48 bytes");

#define WC_TCP_STATE_LIST(X)        \
	X(NONE, "none")             \
	X(SYN_SENT, "syn_sent")     \
	X(SYN_RECEIVED, "syn_received") \
	X(ESTABLISHED, "established") \
	X(FIN_WAIT, "fin_wait")     \
	X(CLOSING, "closing")       \
	X(CLOSED, "closed")

enum wc_tcp_state {
#define WC_X(e, n) WC_TCP_##e,
	WC_TCP_STATE_LIST(WC_X)
#undef WC_X
	WC_TCP_STATE_COUNT
};

#define WC_FLOW_END_LIST(X) \
	X(NONE, "none")     \
	X(FIN, "fin")       \
	X(RST, "rst")       \
	X(TIMEOUT, "timeout") \
	X(SHUTDOWN, "shutdown")

enum wc_flow_end {
#define WC_X(e, n) WC_END_##e,
	WC_FLOW_END_LIST(WC_X)
#undef WC_X
};

enum wc_flow_dir_flags {
	WC_DIR_SEQ_KNOWN = 1 << 0,
	WC_DIR_SYN = 1 << 1,
	WC_DIR_FIN = 1 << 2,
	WC_DIR_ACK_KNOWN = 1 << 3,
	WC_DIR_WIN_KNOWN = 1 << 4,
	WC_DIR_TS = 1 << 5, /* sends TCP timestamps */
	WC_DIR_WS = 1 << 6, /* offered window scaling in its SYN */
};

/* Timers of a direction that are running (struct wc_flow_dir.timers). */
enum wc_flow_timers {
	WC_TM_RTT = 1 << 0,       /* rtt_us: the segment timed for a SEQ/ACK sample */
	WC_TM_STALL = 1 << 1,     /* stall_us: an ack-stall candidate waits */
	WC_TM_STALL_ACK = 1 << 2, /* stall_ack_us: its late ACK came; the next data decides */
	WC_TM_TS = 1 << 3,        /* ts_us: ts_val waits for its echo */
	WC_TM_DATA = 1 << 4,      /* this side has sent payload (tally.first_data_ns) */
};

/* What one side of the flow sent (dir[d] = packets from key side d), the
 * part every segment reads or writes, of the sender's side and of the
 * other one: exactly one cache line. Times are microseconds of packet time
 * modulo 2^32 (wc_flow_us()): only differences of recent times are taken,
 * as uint32_t, correct while they are under 71 minutes; a running timer
 * has its bit in timers. Counters and what only SYNs, FINs, duplicate ACKs
 * and retransmissions read are in struct wc_flow_tally. */
struct wc_flow_dir {
	uint32_t pkts;
	uint32_t next_seq;  /* highest sequence sent + 1 */
	uint64_t bytes;
	uint32_t max_ack;   /* highest ACK this side sent: the value a run
			     * of duplicate ACKs repeats */
	uint32_t win;       /* last window, scaled, in bytes */
	uint16_t raw_win;
	uint8_t wscale;
	uint8_t flags;      /* enum wc_flow_dir_flags */
	uint8_t dupack_run; /* consecutive duplicate ACKs */
	uint8_t last_probe; /* last segment was a keep-alive or window probe */
	uint8_t n_bad;      /* corrupt segments awaiting a good copy (track.c) */
	uint8_t timers;     /* enum wc_flow_timers */
	uint32_t ts_val;    /* TSval being timed */
	uint32_t rtt_end;   /* Karn timing: end seq of the timed segment */
	uint32_t stall_end; /* ack-stall candidate: end seq */
	uint32_t ts_us;     /* when ts_val was first sent */
	uint32_t last_seg_us;  /* the segment that last raised next_seq */
	uint32_t rtt_us;    /* the timed segment's send time */
	uint32_t stall_us;  /* the candidate's send time */
	uint32_t stall_ack_us; /* its late ACK */
};
_Static_assert(sizeof(struct wc_flow_dir) == 64, "a direction's hot part is one line");

/* The rest of a direction: the counters of the flow record and what only
 * handshakes, FINs, duplicate ACKs and retransmissions read. */
struct wc_flow_tally {
	uint32_t isn;
	uint32_t fin_seq;
	uint32_t last_dupack_us; /* as the times of struct wc_flow_dir */
	uint32_t stall_delay_us; /* the late ACK's delay */
	uint32_t syns, fins, rsts;
	uint32_t retx, fast_retx, rto_retx, ooo, dupacks;
	uint32_t zero_win, zwp, keepalive, window_full;
	uint32_t csum_bad, csum_partial;
	uint32_t spurious_retx; /* of retx: bytes already acknowledged */
	/* ECN (RFC 3168): IP packets marked ECT(0)/ECT(1) and CE; segments
	 * after the handshake with ECE and with CWR set (the SYNs' are the
	 * negotiation, WC_FLOW_ECN_*; on an AccECN flow the three bits are a
	 * counter, not flags, and are not counted) */
	uint32_t ecn_ect, ecn_ce, ece, cwr;
};
_Static_assert(sizeof(struct wc_flow_tally) == 92, "tally size");

/* Anomaly types whose events are rate-limited per flow (the per-packet
 * ones, not the incident detectors): at most this many (worker.c). */
#define WC_FLOW_EVENT_TYPES 12

/* Packet time in the microseconds the direction timers use. */
static inline uint32_t wc_flow_us(uint64_t ns)
{
	return (uint32_t)(ns / 1000);
}

enum wc_flow_flags {
	WC_FLOW_MIDSTREAM = 1 << 0,      /* no handshake seen */
	WC_FLOW_CLIENT_BY_SYN = 1 << 1,  /* client decided by the SYN */
	WC_FLOW_VIP_ASYMMETRY = 1 << 2,  /* part of a synack_unexpected_source */
	WC_FLOW_RST_FIRST_DATA = 1 << 3, /* rst_after_first_data raised */
	WC_FLOW_TS_BOTH = 1 << 4,        /* both sides send timestamps */
	WC_FLOW_EVICTED = 1 << 5,
	WC_FLOW_ESTABLISHED_ONCE = 1 << 6,
	WC_FLOW_CLIENT_BY_SYNACK = 1 << 7, /* no SYN: its SYN-ACK's receiver */
	WC_FLOW_ECN_SETUP = 1 << 8,      /* a SYN asked for ECN (ECE and CWR set) */
	WC_FLOW_ECN_CLASSIC = 1 << 9,    /* its SYN-ACK agreed to RFC 3168 ECN */
	WC_FLOW_ACCECN = 1 << 10,        /* its SYN-ACK agreed to AccECN (RFC 9768) */
};

/* Cache layout: a table entry starts on a 64-byte boundary (the shared
 * memory block is page aligned and the size is a multiple of 64). Line 0
 * holds everything a lookup compares and every packet writes besides the
 * analysis itself: the sequence lock, the key, the state bytes and
 * last_ns. Line 1 holds the rest of what every packet reads (flags, LRU,
 * RTT statistics). Lines 2 and 3 are the two directions' hot parts: an
 * ordinary segment touches these four lines of eight (wc_track_prefetch
 * fetches them). The tallies, then what only handshakes, state changes and
 * the end of the flow read, come last. */
struct wc_flow {
	/* line 0 */
	_Atomic uint32_t seq; /* sequence lock, odd while written */
	uint8_t state;        /* enum wc_tcp_state */
	uint8_t list;         /* expiry class (dataplane private) */
	uint16_t lru_stamp;   /* lru_ns >> WC_FLOW_STAMP_SHIFT, truncated: the
			       * relink test reads it from this line */
	struct wc_flow_key key;
	uint64_t last_ns;
	/* line 1 */
	uint32_t hash;
	uint16_t flags;       /* enum wc_flow_flags */
	uint8_t client;       /* key side of the client (0/1) */
	uint8_t end;          /* enum wc_flow_end */
	uint32_t lru_prev, lru_next; /* entry index + 1, 0 = none */
	uint64_t lru_ns;             /* when last placed at its list's tail */
	uint64_t id;          /* flow_id in events */
	uint64_t rtt_sum_us;
	uint32_t rtt_min_us, rtt_max_us, rtt_samples;
	uint32_t syn_to_synack_us, synack_to_ack_us; /* UINT32_MAX = unknown */
	uint16_t echo_seq; /* ICMP echo being timed */
	uint16_t pad2;
	/* lines 2, 3 */
	struct wc_flow_dir dir[2];
	/* the rest */
	struct wc_flow_tally tally[2]; /* tally[d] with dir[d] */
	uint64_t state_since_ns;
	uint32_t ack_stalls, max_ack_stall_us;
	uint64_t first_ns;
	uint64_t first_frame; /* pcap_cnt of the first packet */
	union {
		uint64_t syn_ns;  /* TCP: the last SYN */
		uint64_t echo_ns; /* ICMP: the echo request being timed */
	};
	uint64_t synack_ns;
	uint32_t ttfb_us;                            /* UINT32_MAX = unknown */
	/* per-packet anomaly events let through so far, per rate-limited
	 * type (the worker's rate limit, worker.c): the worker's own
	 * bookkeeping, written also outside the sequence lock (for the
	 * anomalies found before the tracker runs); readers ignore it */
	uint8_t events[WC_FLOW_EVENT_TYPES];
	uint64_t first_data_ns[2]; /* per key side, valid with its WC_TM_DATA */
	/* time in each state: 64 bits, as a connection can stay established
	 * (or half-closed) for longer than 2^32 us, 71.6 minutes */
	uint64_t state_us[WC_TCP_STATE_COUNT];
	/* 576 bytes: a whole number of lines */
};

_Static_assert(sizeof(struct wc_flow) == 576, "entry size");
_Static_assert(sizeof(struct wc_flow) % 64 == 0, "entries are whole cache lines");
_Static_assert(__builtin_offsetof(struct wc_flow, last_ns) + 8 <= 64,
	       "lookup and per-packet bookkeeping share the first line");
_Static_assert(__builtin_offsetof(struct wc_flow, dir) == 128, "line 1 is full");

#define WC_FLOW_STAMP_SHIFT 24 /* lru_stamp unit: 2^24 ns, 16.8 ms */

/* Writer side of the sequence lock (the worker only): begin returns the
 * even value to hand to end. */
static inline uint32_t wc_flow_write_begin(struct wc_flow *f)
{
	uint32_t s = atomic_load_explicit(&f->seq, memory_order_relaxed);
	atomic_store_explicit(&f->seq, s + 1, memory_order_relaxed);
	/* release fence: the odd value is visible before any change */
	atomic_thread_fence(memory_order_release);
	return s;
}

static inline void wc_flow_write_end(struct wc_flow *f, uint32_t s)
{
	/* release: the changes are visible before the even value */
	atomic_store_explicit(&f->seq, s + 2, memory_order_release);
}

const char *wc_tcp_state_name(unsigned s);
const char *wc_flow_end_name(unsigned e);
/* Trouble score ranking flows (summary, `wirecheckctl flows|top`): bad
 * checksums, retransmissions, dup ACKs, zero windows, reordering, ACK
 * stalls, VIP asymmetry and RST after the first data. */
uint64_t wc_flow_trouble(const struct wc_flow *f);

#endif

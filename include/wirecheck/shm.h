/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory boundary between the dataplane (producer) and the
 * control plane (consumer). This is the only definition of the layout; both
 * processes include it and check magic, ABI version and sizes on attach.
 *
 * Layout of one instance (one file under hugetlbfs when mounted, else
 * /dev/shm, mode 0600):
 *
 *   struct wc_shm_header                     (page 0)
 *   worker 0: struct wc_worker_shm           (counters, senders, ring ctl)
 *             struct wc_event[ring_slots]    (the SPSC event ring)
 *             struct wc_flow[flow_capacity]  (the flow table's entries)
 *             uint64_t[flow_index_size]      (its hash index, dataplane only)
 *   worker 1: ...
 *
 * Thread-safety and ordering:
 *  - Counters and sender tallies are written by their worker only, with
 *    plain 64-bit stores (atomic on every target we build for); readers may
 *    see a counter a few packets old, never a torn one. The final values are
 *    published by the release store of header.state = WC_SHM_DONE; a reader
 *    that loads DONE with acquire sees every counter final.
 *  - Event ring (single producer = the worker, single consumer = the control
 *    plane): the producer fills slot[head & mask], then store-release head;
 *    the consumer load-acquires head, reads the slots, then store-releases
 *    tail; the producer load-acquires tail before reusing a slot. head and
 *    tail are free-running 64-bit counters on separate cache lines. tail
 *    lives in shared memory, so a restarted control plane continues where
 *    the previous one stopped: nothing is read twice.
 *  - When the ring is full the producer drops the event and counts it
 *    (drops.event_ring) unless the instance runs with WC_RING_WAIT (offline
 *    files, where nothing is lost by waiting for the control plane).
 */
#ifndef WIRECHECK_SHM_H
#define WIRECHECK_SHM_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "anomaly.h"
#include "flow.h"

#define WC_SHM_MAGIC 0x4b43484345524957ULL /* "WIRECHCK" little-endian */
#define WC_SHM_ABI_VERSION 10u
#define WC_MAX_WORKERS 32
#define WC_EVENT_SNAP 384    /* bytes of the packet kept in an event */
#define WC_EVIDENCE_CONTEXT_MAX 16 /* packets published before an anomaly */
#define WC_SENDER_SLOTS 1024 /* per-worker sender tally table */
#define WC_CACHE_LINE 64

enum wc_shm_state {
	WC_SHM_INIT = 0,
	WC_SHM_RUNNING = 1,
	WC_SHM_DONE = 2,   /* dataplane finished; counters final */
	WC_SHM_FAILED = 3, /* dataplane stopped on an error */
};

enum wc_ring_policy {
	WC_RING_DROP = 0, /* live capture: never block a worker */
	WC_RING_WAIT = 1, /* offline file: wait for the consumer */
};

enum wc_ctl_journal {
	WC_JOURNAL_IDLE = 0,
	WC_JOURNAL_PENDING = 1,   /* a batch is being written after the offsets below */
	WC_JOURNAL_COMMITTED = 2, /* the batch is in the files; tail[] is to be stored */
};

/* The control plane's own area of the header: `serve` writes it, the
 * dataplane only zeroes it at creation. It records where serve writes (for
 * `wirecheckctl events`) and journals each batch of events so that a serve
 * killed at any instruction is continued by the next one exactly once:
 * PENDING with the files' sizes before the batch and the ring positions
 * after it, then the batch is written and flushed, then COMMITTED, then
 * the ring tails are stored, then IDLE. A restarted serve truncates the
 * files back to the recorded sizes (PENDING: the batch will be read again)
 * or stores the recorded tails (COMMITTED). See control/serve_io.c. */
struct wc_ctl_area {
	_Atomic uint32_t journal; /* enum wc_ctl_journal */
	uint32_t pending_final;   /* the batch holds the instance's final stats event */
	uint32_t final_written;   /* the final stats event of this instance is written */
	uint32_t pad;
	uint64_t events_off;   /* events.json size before the batch */
	uint64_t evidence_off; /* evidence file size before the batch */
	/* evidence files rotated by size are numbered (control/serve_io.c):
	 * the one being written before the batch (a rollback truncates it to
	 * evidence_off and removes any later one the batch opened) */
	uint64_t evidence_file;
	uint64_t tail[WC_MAX_WORKERS]; /* ring tails once the batch is written */
	char outdir[1024];     /* absolute output directory of the serving control plane */
};

struct wc_shm_header {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t header_size;
	uint64_t total_size;
	uint64_t worker_size; /* bytes per worker block incl. its ring */
	uint64_t worker_offset[WC_MAX_WORKERS];
	uint32_t n_workers;
	uint32_t ring_slots; /* power of two */
	uint32_t event_size;
	uint32_t sender_slots;
	uint32_t ring_policy;
	uint32_t linktype; /* DLT of the source, for evidence.pcap */
	uint32_t mtu;
	uint32_t rate_limit; /* anomaly events per flow and type */
	int32_t dataplane_pid;
	uint32_t hugepages; /* 1 when backed by hugetlbfs */
	uint32_t flow_capacity;   /* flow entries per worker */
	uint32_t flow_index_size; /* index slots per worker, power of two */
	uint64_t flows_offset;    /* within a worker block */
	uint64_t index_offset;
	char instance[64];
	char source[256]; /* file name or interface list */
	uint64_t start_ns;    /* wall clock at start */
	char clock[16];       /* packet time source: file, nic-hw, tsc-per-burst */
	_Atomic uint64_t heartbeat_ns; /* wall clock, bumped by the main thread */
	_Atomic uint32_t state;
	_Atomic int32_t ctl_pid; /* attached control plane, 0 if none */
	uint32_t pad_ctl;
	/* evidence rotation as configured for the dataplane (a serve's own
	 * command line overrides it): start a new file when the current one
	 * would pass evidence_max_bytes (0 = never), keep evidence_files of
	 * them (0 = all) */
	uint64_t evidence_max_bytes;
	uint32_t evidence_files;
	uint32_t pad_evidence;
	struct wc_ctl_area ctl;  /* written by the control plane only */
};

/* Per-worker counters: one writer (the worker). SPEC §5 stats keys. */
struct wc_counters {
	uint64_t packets;
	uint64_t bytes;
	uint64_t csum[WC_LAYER_COUNT][WC_VERDICT_COUNT];
	uint64_t anomalies[WC_ANOM_COUNT];
	uint64_t anomaly_events_suppressed; /* over the per-flow rate limit */
	uint64_t malformed[WC_MAL_COUNT];
	uint64_t flows_created;
	uint64_t flows_active;
	uint64_t flows_evicted;
	uint64_t flows_ended;
	uint64_t flows_one_sided; /* TCP flows that ended with packets one way only */
	uint64_t drops_capture;
	uint64_t drops_event_ring;
	uint64_t events_written;
	uint64_t senders_untracked; /* sender table full */
	uint64_t evidence_packets; /* WC_EVENT_PACKET records published */
	uint64_t drops_evidence;   /* context packets not published: ring full */
	uint64_t bad_segs_untracked; /* corrupt segments pushed out of a full set
				      * before their good copy (track.h) */
	/* several workers only (track.h, synack_unexpected_source across
	 * workers): answers of a peer's SYN pushed out of a full table while
	 * that SYN's flow may still be open (it may then end as
	 * syn_unanswered, unflagged); SYN-ACKs that answer a SYN no worker
	 * had seen (picked up mid-handshake, or that SYN still queued on
	 * another worker: the race across queues) */
	uint64_t vip_answers_lost;
	uint64_t synack_syn_unseen;
	/* capture layer, filled by the main thread from the backend at the end
	 * (worker 0's block) */
	uint64_t capture_received;
	uint64_t capture_fill_empty; /* AF_XDP fill ring empty */
	uint64_t xdp_seen, xdp_redirected, xdp_passed, xdp_no_socket;
	uint64_t first_ts_ns; /* not summed: min/max over workers */
	uint64_t last_ts_ns;
	uint64_t reserved[4];
} __attribute__((aligned(WC_CACHE_LINE)));

/* Per-sender tallies: which guest or vNIC emits damaged frames. */
struct wc_sender {
	uint8_t ip[16];
	uint8_t mac[6];
	uint8_t family; /* 0 = empty slot, 4 or 6 */
	uint8_t has_mac;
	uint16_t vlan;   /* outermost VLAN id, 0 if untagged */
	uint16_t pad[3];
	uint64_t bad;        /* bad checksums of any layer */
	uint64_t partial;    /* partial checksums */
	uint64_t superframes;
	uint64_t confirmed; /* offload_corruption confirmations */
};

struct wc_ring_ctl {
	alignas(WC_CACHE_LINE) _Atomic uint64_t head; /* producer */
	alignas(WC_CACHE_LINE) _Atomic uint64_t tail; /* consumer */
	alignas(WC_CACHE_LINE) uint64_t slots;
	uint64_t mask;
};

/* Ring records. A WC_EVENT_PACKET is no event of its own: it is one of the
 * packets of the anomaly's flow that preceded its trigger (oldest first),
 * published in the same commit as the WC_EVENT_ANOMALY that follows it
 * (n_context of those records right before it), so a consumer that drains
 * whole published ranges never sees one without its anomaly. */
enum wc_event_kind {
	WC_EVENT_ANOMALY = 1,
	WC_EVENT_FLOW = 2,
	WC_EVENT_PACKET = 3,
};

enum wc_tunnel_type {
	WC_TUN_NONE = 0,
	WC_TUN_VXLAN,
	WC_TUN_GENEVE,
	WC_TUN_GRE,
	WC_TUN_ERSPAN2,
	WC_TUN_ERSPAN3,
	WC_TUN_IPIP,
};

/* Details of an anomaly; which fields mean something depends on the type. */
struct wc_anomaly_detail {
	uint16_t type;     /* enum wc_anomaly */
	uint16_t reason;   /* enum wc_malformed for MALFORMED */
	uint16_t csum_layer;
	uint16_t csum_found;    /* checksum field as seen */
	uint16_t csum_expected; /* what it should have been */
	uint16_t alt_port;
	uint8_t alt_family;
	uint8_t sender_has_mac;
	uint8_t sender_mac[6];
	uint8_t alt_ip[16]; /* e.g. the expected source of a SYN-ACK */
	uint32_t ip_len;    /* datagram length, for superframes */
	uint32_t mtu;
	uint64_t value_us; /* e.g. stall duration */
	uint64_t aux[4];
};

struct wc_event {
	uint16_t kind; /* enum wc_event_kind */
	uint8_t family;   /* 4 or 6, 0 when the frame has no IP */
	uint8_t proto;    /* IP protocol number */
	uint16_t sport, dport;
	uint8_t src_ip[16], dst_ip[16];
	uint16_t vlan[2];
	uint8_t nvlan;
	uint8_t tunnel_type;
	uint16_t port;
	uint32_t tunnel_id;
	uint32_t worker;
	uint64_t ts_ns;
	uint64_t pcap_cnt; /* 1-based frame number, 0 when live */
	uint64_t flow_id;
	uint32_t caplen; /* of the original frame */
	uint32_t wirelen;
	uint32_t snap_len; /* bytes of it in u.data[] */
	uint32_t n_context; /* ANOMALY: WC_EVENT_PACKET records right before it */
	/* ANOMALY and FLOW: the worker's count of events before this one
	 * (PACKET records and dropped events take no number), so a gap or a
	 * repeat of (worker, seq) in events.json shows */
	uint64_t seq;
	union {
		struct { /* ANOMALY (data: its packet), PACKET (data only) */
			struct wc_anomaly_detail anomaly;
			uint8_t data[WC_EVENT_SNAP];
		};
		struct wc_flow flow; /* FLOW: a copy of the entry as it ended */
	} u;
} __attribute__((aligned(WC_CACHE_LINE)));

#define WC_TOP_FLOWS 16

struct wc_worker_shm {
	struct wc_counters counters;
	struct wc_sender senders[WC_SENDER_SLOTS];
	/* ended flows with the most trouble, best first (summary, `top`) */
	uint32_t n_top;
	uint32_t pad_top[15];
	struct wc_flow top[WC_TOP_FLOWS];
	struct wc_ring_ctl ring;
	/* followed by struct wc_event[ring.slots], the flows and the index */
};

_Static_assert(sizeof(struct wc_counters) % WC_CACHE_LINE == 0, "counters");
_Static_assert(sizeof(struct wc_sender) == 64, "sender tally is one line");
_Static_assert(sizeof(struct wc_event) == 704, "event record size is ABI");
_Static_assert(sizeof(struct wc_shm_header) <= 4096, "header fits a page");
_Static_assert(sizeof(struct wc_worker_shm) % WC_CACHE_LINE == 0, "worker");

static inline struct wc_worker_shm *wc_shm_worker(struct wc_shm_header *h,
						  unsigned i)
{
	return (struct wc_worker_shm *)((char *)h + h->worker_offset[i]);
}

static inline struct wc_event *wc_shm_ring_slots(struct wc_worker_shm *w)
{
	return (struct wc_event *)(w + 1);
}

static inline struct wc_flow *wc_shm_flows(struct wc_shm_header *h, unsigned i)
{
	return (struct wc_flow *)((char *)wc_shm_worker(h, i) + h->flows_offset);
}

static inline uint64_t *wc_shm_flow_index(struct wc_shm_header *h, unsigned i)
{
	return (uint64_t *)((char *)wc_shm_worker(h, i) + h->index_offset);
}

/* Lifecycle (shm.c). All return 0 or a negative errno. */
struct wc_shm_params {
	const char *instance;
	uint32_t n_workers;
	uint32_t ring_slots; /* rounded up to a power of two */
	uint32_t ring_policy;
	uint32_t linktype;
	uint32_t mtu;
	uint32_t rate_limit;
	uint32_t flow_capacity; /* 0 = no flow table */
	const char *source;
	/* 0: the file is 0600; else 0640 and owned by group (gid), whose
	 * members may attach read-only (SPEC §8) */
	int group_readable;
	uint32_t group;
};

struct wc_shm {
	struct wc_shm_header *hdr;
	uint64_t size;
	char path[256];
};

/* Create (replacing a stale one of the same name) and map an instance.
 * 0 or a negative errno (-EPERM: chown to p->group refused). */
int wc_shm_create(const struct wc_shm_params *p, struct wc_shm *out);
/* Map an existing instance read-write (the consumer owns ring tails).
 * -ENOENT when absent, -EPROTO on magic/ABI/size mismatch. */
int wc_shm_attach(const char *instance, struct wc_shm *out);
/* Map an existing instance read-only (PROT_READ, O_RDONLY): what the
 * operator commands (stats, flows, events, top) need; read access to the
 * file suffices, nothing the dataplane reads can change. */
int wc_shm_attach_ro(const char *instance, struct wc_shm *out);
void wc_shm_detach(struct wc_shm *s);
/* Remove the backing file. */
int wc_shm_unlink(const char *instance);
/* Path of an instance's backing file (hugetlbfs first, then /dev/shm). */
int wc_shm_path(const char *instance, char *buf, unsigned len);
uint64_t wc_now_ns(void);
/* Sum every worker's counters into out (a snapshot; exact once DONE). */
void wc_shm_sum_counters(struct wc_shm_header *h, struct wc_counters *out);

/* Producer side of the ring (dataplane). Reserve n consecutive slots
 * (positions head .. head+n-1, see wc_ring_slot): 1 with *head set, or 0
 * when they are not all free (the caller counts the drop). */
static inline int wc_ring_reserve_n(struct wc_worker_shm *w, uint64_t *cached_tail,
				    uint64_t n, uint64_t *head_out)
{
	uint64_t head = atomic_load_explicit(&w->ring.head, memory_order_relaxed);
	if (head + n - *cached_tail > w->ring.slots) {
		/* acquire: the consumer's reads of these slots are done */
		*cached_tail = atomic_load_explicit(&w->ring.tail,
						    memory_order_acquire);
		if (head + n - *cached_tail > w->ring.slots)
			return 0;
	}
	*head_out = head;
	return 1;
}

static inline struct wc_event *wc_ring_slot(struct wc_worker_shm *w, uint64_t pos)
{
	return &wc_shm_ring_slots(w)[pos & w->ring.mask];
}

/* Returns a slot to fill, or NULL when full (the caller counts the drop). */
static inline struct wc_event *wc_ring_reserve(struct wc_worker_shm *w,
					       uint64_t *cached_tail)
{
	uint64_t head;
	return wc_ring_reserve_n(w, cached_tail, 1, &head) ? wc_ring_slot(w, head) : NULL;
}

/* Publish the n slots reserved last, all at once. */
static inline void wc_ring_commit_n(struct wc_worker_shm *w, uint64_t n)
{
	uint64_t head = atomic_load_explicit(&w->ring.head, memory_order_relaxed);
	/* release: publishes the slots' contents with the new head */
	atomic_store_explicit(&w->ring.head, head + n, memory_order_release);
}

static inline void wc_ring_commit(struct wc_worker_shm *w)
{
	wc_ring_commit_n(w, 1);
}

/* Consumer side (control plane). */
static inline uint64_t wc_ring_available(struct wc_worker_shm *w,
					 uint64_t *tail)
{
	*tail = atomic_load_explicit(&w->ring.tail, memory_order_relaxed);
	/* acquire: pairs with wc_ring_commit's release */
	return atomic_load_explicit(&w->ring.head, memory_order_acquire) - *tail;
}

static inline void wc_ring_consume(struct wc_worker_shm *w, uint64_t n)
{
	uint64_t tail = atomic_load_explicit(&w->ring.tail, memory_order_relaxed);
	/* release: our reads of the slots happen before the producer reuses them */
	atomic_store_explicit(&w->ring.tail, tail + n, memory_order_release);
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `wirecheckctl serve` across restarts and dataplane lifetimes (SPEC §8):
 *  - events.json and the evidence file are appended to (a restarted serve
 *    continues them; a partial last line or record left by a SIGKILL is cut
 *    off), or truncated for a fresh offline run (--until-done on an
 *    instance no serve has claimed);
 *  - every batch of events is journaled in the instance header (struct
 *    wc_ctl_area in shm.h), so a serve killed at any point is continued
 *    exactly once: nothing reported twice, nothing lost;
 *  - the dataplane's death is noticed from its pid and heartbeat, and the
 *    next instance of the same name is waited for and attached to;
 *  - evidence rotation by size: evidence.pcap, then evidence-000001.pcap,
 *    evidence-000002.pcap, ... (a number never names two files, so the
 *    "file" an event names stays right); the oldest beyond the kept count
 *    are removed once a batch is committed. Each file is a complete pcap;
 *    an anomaly's context packets and its own land in one file. The
 *    journal records which file a batch started in.
 * Files are created 0640 (less under a stricter umask), directories 0750.
 */
#ifndef WC_SERVE_IO_H
#define WC_SERVE_IO_H

#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "wirecheck/shm.h"

struct serve_out {
	FILE *events;
	pcap_t *dead;
	pcap_dumper_t *evidence;
	uint64_t evidence_frames; /* frames in the current evidence file */
	uint64_t evidence_bytes;  /* its size */
	uint64_t evidence_index;  /* 0: evidence.pcap, n: evidence-%06n.pcap */
	char evidence_name[32];   /* of the current file, for events */
	uint64_t evidence_max_bytes; /* start a new file before passing it; 0 = never */
	uint32_t evidence_keep;      /* files kept, 0 = all */
	int evidence_cfg_cli;        /* 1: max_bytes, 2: keep from serve's command
				      * line, else from the instance header at attach */
	uint64_t evidence_pruned;    /* evidence_index of the last prune + 1 */
	uint32_t linktype;
	int error; /* a write failed: nothing more is committed */
	/* the packet last written: events of one packet share its frame.
	 * Live packets have no frame number and a burst may share a time
	 * stamp: its bytes tell them apart */
	uint32_t last_worker;
	uint64_t last_pcap_cnt, last_ts_ns;
	uint32_t last_snap;
	uint8_t last_data[WC_EVENT_SNAP];
	/* its context frames (an event sharing the frame shares them), and
	 * those of the group being written (PACKET records before their
	 * anomaly) */
	unsigned last_n_ctx, n_ctx;
	uint64_t last_ctx[WC_EVIDENCE_CONTEXT_MAX], ctx[WC_EVIDENCE_CONTEXT_MAX];
	char dir[PATH_MAX]; /* absolute */
};

/* Identity of an instance: a new dataplane of the same name creates a new
 * backing file. */
struct serve_ident {
	dev_t dev;
	ino_t ino;
	uint64_t start_ns;
	int32_t pid;
};

/* Create dir (0750) if needed and resolve it; 0 or -1 with a message. */
int serve_outdir(struct serve_out *o, const char *dir);

/* Take instance h over for the outputs in o->dir: -EBUSY when another live
 * serve holds it (*holder = its pid); finish a killed serve's journaled
 * batch; open the files (truncate: start them empty) or keep them open
 * (reopened when a batch was rolled back or the link type changed);
 * record the directory and our pid in the header. 0 or a negative errno. */
int serve_attach(struct serve_out *o, struct wc_shm_header *h, int truncate,
		 int32_t *holder);
/* Give the instance up (ctl_pid 0 if it is ours). */
void serve_detach(struct wc_shm_header *h);
/* 1 when no serve has ever claimed h (a new instance). */
int serve_instance_fresh(const struct wc_shm_header *h);
/* Flush and close the files; 0 or -1 when a write failed. */
int serve_out_close(struct serve_out *o);

/* Before writing an anomaly's evidence (its context packets and its own,
 * bytes in all, pcap record headers included): a new file when the
 * current one holds a frame and would pass evidence_max_bytes. 0, or -1
 * (o->error set). */
int serve_evidence_room(struct serve_out *o, uint64_t bytes);
/* One frame into the current evidence file; returns its number there. */
uint64_t serve_evidence_write(struct serve_out *o, uint64_t ts_ns, uint32_t snap,
			      uint32_t wirelen, const uint8_t *data);
/* Name of evidence file number index (0: evidence.pcap). */
void serve_evidence_name(uint64_t index, char *buf, size_t len);

/* A journaled batch: begin, write events (and/or the stats event), commit
 * with each worker's ring position after the batch (NULL: unchanged).
 * final: the batch holds the instance's final stats event. commit returns
 * -1 when the files could not be written (o->error; nothing committed). */
void serve_batch_begin(struct serve_out *o, struct wc_shm_header *h, int final);
int serve_batch_commit(struct serve_out *o, struct wc_shm_header *h, const uint64_t *pos);

/* The dataplane process of h exists (its pid, not a zombie), or its
 * heartbeat moved within the last 500 ms (another pid namespace). */
int serve_dataplane_alive(const struct wc_shm_header *h);
void serve_ident_of(const struct wc_shm *s, struct serve_ident *id);
/* The backing file of instance now is another one than id's. */
int serve_instance_replaced(const char *instance, const struct serve_ident *id);
/* Wait (polling 10 times a second) until an instance of this name other
 * than old is there and attachable, or *stop. 0 with out mapped, -EINTR. */
int serve_wait_next(const char *instance, const struct serve_ident *old,
		    struct wc_shm *out, volatile sig_atomic_t *stop);

#endif

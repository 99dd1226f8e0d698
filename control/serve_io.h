/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `wirecheckctl serve` across restarts and dataplane lifetimes (SPEC §8):
 *  - events.json and evidence.pcap are appended to (a restarted serve
 *    continues them; a partial last line or record left by a SIGKILL is cut
 *    off), or truncated for a fresh offline run (--until-done on an
 *    instance no serve has claimed);
 *  - every batch of events is journaled in the instance header (struct
 *    wc_ctl_area in shm.h), so a serve killed at any point is continued
 *    exactly once: nothing reported twice, nothing lost;
 *  - the dataplane's death is noticed from its pid and heartbeat, and the
 *    next instance of the same name is waited for and attached to.
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
	uint64_t evidence_frames; /* frames in evidence.pcap */
	uint32_t linktype;
	int error; /* a write failed: nothing more is committed */
	/* the packet last written: events of one packet share its frame.
	 * Live packets have no frame number and a burst may share a time
	 * stamp: its bytes tell them apart */
	uint32_t last_worker;
	uint64_t last_pcap_cnt, last_ts_ns;
	uint32_t last_snap;
	uint8_t last_data[WC_EVENT_SNAP];
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

/* SPDX-License-Identifier: BSD-3-Clause */
#include "serve_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SNAPLEN 262144 /* of evidence.pcap; an appended file must match */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

int serve_outdir(struct serve_out *o, const char *dir)
{
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!realpath(dir, o->dir)) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	/* the header records it (wc_ctl_area.outdir) */
	if (strlen(o->dir) >= sizeof(((struct wc_ctl_area *)0)->outdir)) {
		fprintf(stderr, "wirecheckctl: %s: path too long (1023 bytes at most)\n", o->dir);
		return -1;
	}
	return 0;
}

static void path_of(const struct serve_out *o, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", o->dir, name);
}

/* Cut a partial last line (a write cut short by a kill) off events.json. */
static int cut_partial_line(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	off_t end = st.st_size;
	char buf[4096];
	while (end > 0) {
		off_t from = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		ssize_t n = pread(fd, buf, (size_t)(end - from), from);
		if (n != end - from)
			return -1;
		for (ssize_t i = n - 1; i >= 0; i--)
			if (buf[i] == '\n') {
				off_t keep = from + i + 1;
				return keep == st.st_size ? 0 : ftruncate(fd, keep);
			}
		end = from;
	}
	return st.st_size ? ftruncate(fd, 0) : 0;
}

static FILE *open_events(struct serve_out *o, int truncate)
{
	char path[PATH_MAX + 16];
	path_of(o, "events.json", path, sizeof(path));
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
		      0640);
	if (fd < 0) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!truncate && cut_partial_line(fd) != 0) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

void serve_evidence_name(uint64_t index, char *buf, size_t len)
{
	if (index == 0)
		snprintf(buf, len, "evidence.pcap");
	else
		snprintf(buf, len, "evidence-%06llu.pcap", (unsigned long long)index);
}

/* "evidence-N.pcap" (N decimal, no sign): N >= 1, else 0. */
static uint64_t evidence_index_of(const char *name)
{
	if (strncmp(name, "evidence-", 9) != 0)
		return 0;
	const char *p = name + 9;
	uint64_t n = 0;
	unsigned digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 18) {
		n = n * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	return digits && !strcmp(p, ".pcap") ? n : 0;
}

/* The highest numbered evidence file in the directory (0: none, so
 * evidence.pcap is the current one); remove: delete every numbered one
 * instead (a fresh offline run starts with evidence.pcap alone). */
static uint64_t evidence_scan_dir(const struct serve_out *o, int remove)
{
	uint64_t top = 0;
	DIR *d = opendir(o->dir);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t n = evidence_index_of(de->d_name);
		if (!n)
			continue;
		if (remove) {
			char path[PATH_MAX + 300];
			snprintf(path, sizeof(path), "%s/%s", o->dir, de->d_name);
			if (unlink(path) != 0)
				fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
		} else if (n > top) {
			top = n;
		}
	}
	closedir(d);
	return top;
}

/* Delete the files older than the kept count (they go oldest first, so
 * the ones left are contiguous: stop at the first missing one). */
static void evidence_prune(struct serve_out *o)
{
	if (!o->evidence_keep || o->evidence_index < o->evidence_keep ||
	    o->evidence_pruned == o->evidence_index + 1)
		return;
	o->evidence_pruned = o->evidence_index + 1;
	for (uint64_t i = o->evidence_index - o->evidence_keep + 1; i-- > 0;) {
		char name[32], path[PATH_MAX + 48];
		serve_evidence_name(i, name, sizeof(name));
		path_of(o, name, path, sizeof(path));
		if (unlink(path) != 0)
			break;
	}
}

/* Walk an existing evidence file: its frame count and size, cutting a
 * partial last record (a write cut short by a kill) off; 0, or -1 when it
 * is no pcap file serve writes (libpcap then refuses to append as well). */
static int scan_evidence(int fd, uint64_t *frames, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	*frames = 0;
	*size = 0;
	if (st.st_size == 0)
		return 0;
	uint32_t gh[6];
	if (st.st_size < 24 || pread(fd, gh, 24, 0) != 24 || gh[0] != PCAP_MAGIC_US ||
	    gh[4] != SNAPLEN)
		return -1;
	off_t off = 24;
	for (;;) {
		uint32_t rh[4];
		if (off + 16 > st.st_size || pread(fd, rh, 16, off) != 16)
			break;
		if (rh[2] > SNAPLEN || off + 16 + (off_t)rh[2] > st.st_size)
			break;
		off += 16 + (off_t)rh[2];
		(*frames)++;
	}
	if (off < st.st_size && ftruncate(fd, off) != 0)
		return -1;
	*size = (uint64_t)off;
	return 0;
}

/* Open evidence file number o->evidence_index for appending (truncate:
 * empty). */
static int open_evidence_file(struct serve_out *o, int truncate)
{
	char path[PATH_MAX + 48];
	serve_evidence_name(o->evidence_index, o->evidence_name, sizeof(o->evidence_name));
	path_of(o, o->evidence_name, path, sizeof(path));
	if (!o->dead)
		o->dead = pcap_open_dead_with_tstamp_precision((int)o->linktype, SNAPLEN,
							       PCAP_TSTAMP_PRECISION_MICRO);
	if (!o->dead)
		return -1;
	o->last_pcap_cnt = o->last_ts_ns = 0;
	o->last_snap = 0; /* a reopened file: no frame to share */
	for (int attempt = 0; attempt < 2; attempt++) {
		o->evidence_frames = 0;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0),
			      0640);
		if (fd < 0) {
			fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
			return -1;
		}
		uint64_t size = 0;
		int r = scan_evidence(fd, &o->evidence_frames, &size);
		close(fd);
		/* the file exists (mode 0640): libpcap appends to it, checking
		 * its link type, and writes the header into an empty one */
		if (r == 0 && (o->evidence = pcap_dump_open_append(o->dead, path))) {
			o->evidence_bytes = size > PCAP_FILE_HDR ? size : PCAP_FILE_HDR;
			return 0;
		}
		if (attempt)
			break;
		/* another link type (a new instance on other ports) or not
		 * ours: keep it aside, start a new one */
		char old[PATH_MAX + 56];
		snprintf(old, sizeof(old), "%s.1", path);
		fprintf(stderr, "wirecheckctl: %s: cannot append (%s); moved to %s\n", path,
			r ? "not a pcap file of wirecheck" : pcap_geterr(o->dead), old);
		if (rename(path, old) != 0)
			break;
	}
	fprintf(stderr, "wirecheckctl: %s: cannot write\n", path);
	return -1;
}

/* The current evidence file: the highest numbered one there is (a fresh
 * run: evidence.pcap, the numbered ones removed). */
static int open_evidence(struct serve_out *o, int truncate)
{
	o->evidence_index = evidence_scan_dir(o, truncate);
	o->evidence_pruned = 0;
	if (open_evidence_file(o, truncate) != 0)
		return -1;
	evidence_prune(o);
	return 0;
}

static int open_files(struct serve_out *o, int truncate)
{
	o->events = open_events(o, truncate);
	if (!o->events || open_evidence(o, truncate) != 0)
		return -1;
	return 0;
}

int serve_evidence_room(struct serve_out *o, uint64_t bytes)
{
	if (o->error)
		return -1;
	if (!o->evidence_max_bytes || !o->evidence_frames ||
	    o->evidence_bytes + bytes <= o->evidence_max_bytes)
		return 0;
	/* the journal's file and offset (serve_batch_begin) still describe
	 * where this batch started: a rollback removes the new file */
	int r = pcap_dump_flush(o->evidence);
	pcap_dump_close(o->evidence);
	o->evidence = NULL;
	o->evidence_index++;
	if (r != 0 || open_evidence_file(o, 1) != 0) {
		o->error = 1;
		return -1;
	}
	return 0;
}

uint64_t serve_evidence_write(struct serve_out *o, uint64_t ts_ns, uint32_t snap,
			      uint32_t wirelen, const uint8_t *data)
{
	struct pcap_pkthdr ph;
	ph.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	ph.ts.tv_usec = (suseconds_t)((ts_ns % 1000000000ull) / 1000);
	ph.caplen = snap;
	ph.len = wirelen > snap ? wirelen : snap;
	pcap_dump((u_char *)o->evidence, &ph, data);
	o->evidence_bytes += PCAP_REC_HDR + snap;
	return ++o->evidence_frames;
}

int serve_out_close(struct serve_out *o)
{
	int r = o->error ? -1 : 0;
	if (o->evidence) {
		if (pcap_dump_flush(o->evidence) != 0)
			r = -1;
		pcap_dump_close(o->evidence);
		o->evidence = NULL;
	}
	if (o->dead)
		pcap_close(o->dead);
	o->dead = NULL;
	if (o->events && fclose(o->events) != 0)
		r = -1;
	o->events = NULL;
	return r;
}

static int pid_running(int32_t pid)
{
	if (pid <= 0)
		return 0;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	/* a killed process its parent has not reaped yet is a zombie; one
	 * still tearing down is flagged exiting */
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *rp = strrchr(buf, ')'); /* comm may hold spaces and ')' */
	char st = 0;
	unsigned flags = 0;
	if (!rp || sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %u", &st, &flags) != 2)
		return 1;
	/* a killed process may take seconds to die (its sockets and memory
	 * torn down): PF_EXITING (0x4 in the kernel's flags word) says it is
	 * already dying */
	return st != 'Z' && st != 'X' && !(flags & 0x4);
}

static int32_t other_serve(const struct wc_shm_header *h)
{
	int32_t pid = atomic_load_explicit(&h->ctl_pid, memory_order_relaxed);
	if (pid <= 0 || pid == (int32_t)getpid() || !pid_running(pid))
		return 0;
	/* a reused pid is no serve */
	char p[64], comm[32] = "";
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (comm[0] && strncmp(comm, "wirecheckctl", 12) != 0)
			return 0;
	}
	return pid;
}

static void truncate_to(const char *path, uint64_t off)
{
	struct stat st;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size > off && truncate(path, (off_t)off) != 0)
		fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
}

int serve_attach(struct serve_out *o, struct wc_shm_header *h, int truncate,
		 int32_t *holder)
{
	int32_t other = other_serve(h);
	if (other) {
		if (holder)
			*holder = other;
		return -EBUSY;
	}
	struct wc_ctl_area *c = &h->ctl;
	int reopen = 0;
	uint32_t j = atomic_load_explicit(&c->journal, memory_order_acquire);
	if (j == WC_JOURNAL_COMMITTED) {
		/* the killed serve's batch is in its files: consume it */
		for (uint32_t w = 0; w < h->n_workers; w++)
			atomic_store_explicit(&wc_shm_worker(h, w)->ring.tail, c->tail[w],
					      memory_order_release);
		if (c->pending_final)
			c->final_written = 1;
	} else if (j == WC_JOURNAL_PENDING && !strncmp(c->outdir, o->dir, sizeof(c->outdir))) {
		/* it may be partly written: cut it off, read it again */
		char path[PATH_MAX + 48];
		if (o->events || o->evidence) {
			int e = o->error;
			serve_out_close(o);
			o->error = e;
			reopen = 1;
		}
		path_of(o, "events.json", path, sizeof(path));
		truncate_to(path, c->events_off);
		char name[32];
		serve_evidence_name(c->evidence_file, name, sizeof(name));
		path_of(o, name, path, sizeof(path));
		truncate_to(path, c->evidence_off);
		/* files the batch started by rotation: newer, and only its own */
		for (uint64_t i = c->evidence_file + 1;; i++) {
			serve_evidence_name(i, name, sizeof(name));
			path_of(o, name, path, sizeof(path));
			if (unlink(path) != 0)
				break;
		}
	} /* PENDING for another directory: read the batch again into ours */
	atomic_store_explicit(&c->journal, WC_JOURNAL_IDLE, memory_order_release);

	if (o->evidence && o->linktype != h->linktype) {
		serve_out_close(o);
		reopen = 1;
	}
	o->linktype = h->linktype;
	if (!(o->evidence_cfg_cli & 1))
		o->evidence_max_bytes = h->evidence_max_bytes;
	if (!(o->evidence_cfg_cli & 2))
		o->evidence_keep = h->evidence_files;
	if (!o->events || reopen) {
		if (open_files(o, truncate && !reopen) != 0)
			return -EIO;
	}
	memcpy(c->outdir, o->dir, strlen(o->dir) + 1); /* fits: serve_outdir */
	atomic_store_explicit(&h->ctl_pid, (int32_t)getpid(), memory_order_release);
	return 0;
}

void serve_detach(struct wc_shm_header *h)
{
	int32_t me = (int32_t)getpid();
	atomic_compare_exchange_strong(&h->ctl_pid, &me, 0);
}

int serve_instance_fresh(const struct wc_shm_header *h)
{
	return h->ctl.outdir[0] == 0;
}

static uint64_t file_size(FILE *f)
{
	struct stat st;
	return f && fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
}

void serve_batch_begin(struct serve_out *o, struct wc_shm_header *h, int final)
{
	struct wc_ctl_area *c = &h->ctl;
	/* committed batches were flushed: the sizes are the files' ends */
	c->events_off = file_size(o->events);
	c->evidence_off = o->evidence ? file_size(pcap_dump_file(o->evidence)) : 0;
	c->evidence_file = o->evidence_index;
	c->pending_final = (uint32_t)final;
	/* release: the sizes are in place before the journal says PENDING */
	atomic_store_explicit(&c->journal, WC_JOURNAL_PENDING, memory_order_release);
}

int serve_batch_commit(struct serve_out *o, struct wc_shm_header *h, const uint64_t *pos)
{
	struct wc_ctl_area *c = &h->ctl;
	if (o->error || fflush(o->events) != 0 || ferror(o->events) ||
	    pcap_dump_flush(o->evidence) != 0) {
		o->error = 1;
		return -1; /* PENDING stays: the next serve reads the batch again */
	}
	for (uint32_t w = 0; w < h->n_workers; w++)
		c->tail[w] = pos ? pos[w]
				 : atomic_load_explicit(&wc_shm_worker(h, w)->ring.tail,
							memory_order_relaxed);
	atomic_store_explicit(&c->journal, WC_JOURNAL_COMMITTED, memory_order_release);
	if (c->pending_final)
		c->final_written = 1;
	/* release: our reads of the slots happen before the producer reuses them */
	for (uint32_t w = 0; pos && w < h->n_workers; w++)
		atomic_store_explicit(&wc_shm_worker(h, w)->ring.tail, pos[w],
				      memory_order_release);
	atomic_store_explicit(&c->journal, WC_JOURNAL_IDLE, memory_order_release);
	/* only now: a rolled-back batch may still need the file it began in */
	evidence_prune(o);
	return 0;
}

int serve_dataplane_alive(const struct wc_shm_header *h)
{
	if (pid_running(h->dataplane_pid))
		return 1;
	/* not a process we can see: alive only if its heartbeat still moves
	 * (every 100 ms in live mode), e.g. from another pid namespace */
	uint64_t hb = atomic_load_explicit(&h->heartbeat_ns, memory_order_relaxed);
	uint64_t now = wc_now_ns();
	return hb <= now + 500000000ull && hb + 500000000ull > now;
}

void serve_ident_of(const struct wc_shm *s, struct serve_ident *id)
{
	struct stat st;
	memset(id, 0, sizeof(*id));
	if (stat(s->path, &st) == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
	id->start_ns = s->hdr->start_ns;
	id->pid = s->hdr->dataplane_pid;
}

static int same_file(const char *instance, const struct serve_ident *id)
{
	char path[256];
	struct stat st;
	if (wc_shm_path(instance, path, sizeof(path)) != 0 || stat(path, &st) != 0)
		return 0;
	return st.st_dev == id->dev && st.st_ino == id->ino;
}

int serve_instance_replaced(const char *instance, const struct serve_ident *id)
{
	char path[256];
	struct stat st;
	if (wc_shm_path(instance, path, sizeof(path)) != 0 || stat(path, &st) != 0)
		return 0; /* gone: the dataplane ended; not another one (yet) */
	return st.st_dev != id->dev || st.st_ino != id->ino;
}

int serve_wait_next(const char *instance, const struct serve_ident *old,
		    struct wc_shm *out, volatile sig_atomic_t *stop)
{
	int said_busy = 0, said_proto = 0;
	unsigned polls = 0;
	while (!*stop) {
		struct timespec nap = {0, 100 * 1000 * 1000};
		if (!same_file(instance, old) && wc_shm_attach(instance, out) == 0) {
			struct serve_ident id;
			serve_ident_of(out, &id);
			int32_t holder = other_serve(out->hdr);
			if (id.start_ns == old->start_ns && id.pid == old->pid) {
				/* the same instance under another inode: not new */
			} else if (out->hdr->ctl.final_written &&
				   !serve_dataplane_alive(out->hdr)) {
				/* a dead instance another serve finished */
			} else if (holder) {
				if (!said_busy++)
					fprintf(stderr, "wirecheckctl: instance %s is served by "
							"pid %d; waiting\n", instance, (int)holder);
			} else {
				return 0;
			}
			wc_shm_detach(out);
		} else if (++polls == 50 && !said_proto) {
			/* an instance of another ABI stays unattachable */
			struct wc_shm probe;
			if (wc_shm_attach_ro(instance, &probe) == -EPROTO) {
				said_proto = 1;
				fprintf(stderr, "wirecheckctl: instance %s: incompatible shared "
						"memory layout; waiting\n", instance);
			} else if (probe.hdr) {
				wc_shm_detach(&probe);
			}
		}
		nanosleep(&nap, NULL);
	}
	return -EINTR;
}

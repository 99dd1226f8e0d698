/* SPDX-License-Identifier: BSD-3-Clause */
/* Instance shared memory: created by the dataplane, attached by the control
 * plane. Backed by hugetlbfs (/dev/hugepages) when it is mounted and has
 * room, so the rings sit on few TLB entries; /dev/shm otherwise. */
#include "shm.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC 0x958458f6
#define HUGE_DIR "/dev/hugepages"
#define SHM_DIR "/dev/shm"

uint64_t wc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int valid_instance(const char *name)
{
	if (!name || !*name || strlen(name) >= 64)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return 0;
	return name[0] != '.';
}

static int hugetlbfs_usable(uint64_t size, uint64_t *page)
{
	struct statfs sf;
	if (statfs(HUGE_DIR, &sf) != 0 || (unsigned long)sf.f_type != HUGETLBFS_MAGIC)
		return 0;
	*page = (uint64_t)sf.f_bsize;
	return (uint64_t)sf.f_bavail * sf.f_bsize >= size;
}

int wc_shm_path(const char *instance, char *buf, unsigned len)
{
	if (!valid_instance(instance))
		return -EINVAL;
	int n = snprintf(buf, len, "%s/wirecheck.%s", HUGE_DIR, instance);
	if (n < 0 || (unsigned)n >= len)
		return -ENAMETOOLONG;
	if (access(buf, F_OK) == 0)
		return 0;
	n = snprintf(buf, len, "%s/wirecheck.%s", SHM_DIR, instance);
	return (n < 0 || (unsigned)n >= len) ? -ENAMETOOLONG : 0;
}

int wc_shm_unlink(const char *instance)
{
	char path[256];
	int r = wc_shm_path(instance, path, sizeof(path));
	if (r)
		return r;
	return unlink(path) == 0 ? 0 : -errno;
}

static uint32_t round_pow2(uint32_t v)
{
	uint32_t r = 1;
	while (r < v && r < (1u << 30))
		r <<= 1;
	return r;
}

int wc_shm_create(const struct wc_shm_params *p, struct wc_shm *out)
{
	if (!valid_instance(p->instance) || p->n_workers == 0 ||
	    p->n_workers > WC_MAX_WORKERS)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	uint32_t slots = round_pow2(p->ring_slots ? p->ring_slots : 4096);
	uint64_t flows_off = sizeof(struct wc_worker_shm) +
			     (uint64_t)slots * sizeof(struct wc_event);
	flows_off = (flows_off + 63) & ~63ull;
	uint32_t index_size = p->flow_capacity ? round_pow2(p->flow_capacity * 2) : 0;
	uint64_t index_off = flows_off + (uint64_t)p->flow_capacity * sizeof(struct wc_flow);
	uint64_t wsize = index_off + (uint64_t)index_size * sizeof(uint64_t);
	wsize = (wsize + 4095) & ~4095ull;
	uint64_t size = 4096 + wsize * p->n_workers;

	/* A stale instance of this name (killed run) is replaced. */
	wc_shm_unlink(p->instance);
	snprintf(out->path, sizeof(out->path), "%s/wirecheck.%s", HUGE_DIR, p->instance);

	uint64_t page = 0;
	int huge = hugetlbfs_usable(size, &page);
	int fd = -1;
	if (huge) {
		size = (size + page - 1) & ~(page - 1);
		fd = open(out->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
			close(fd);
			unlink(out->path);
			fd = -1;
		}
	}
	if (fd < 0) {
		huge = 0;
		size = 4096 + wsize * p->n_workers;
		snprintf(out->path, sizeof(out->path), "%s/wirecheck.%s", SHM_DIR, p->instance);
		fd = open(out->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)size) != 0) {
			int e = -errno;
			close(fd);
			unlink(out->path);
			return e;
		}
	}
	/* SPEC §8: created 0600; 0640 for the operators' group when asked.
	 * Before the mapping exists, so nothing was ever readable by more. */
	if (p->group_readable &&
	    (fchown(fd, (uid_t)-1, (gid_t)p->group) != 0 || fchmod(fd, 0640) != 0)) {
		int e = -errno;
		close(fd);
		unlink(out->path);
		return e;
	}
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		unlink(out->path);
		return -e;
	}
	/* a new file reads as zeros: no memset, pages fault in as used */

	struct wc_shm_header *h = m;
	h->abi_version = WC_SHM_ABI_VERSION;
	h->header_size = sizeof(*h);
	h->total_size = size;
	h->worker_size = wsize;
	h->n_workers = p->n_workers;
	h->ring_slots = slots;
	h->event_size = sizeof(struct wc_event);
	h->sender_slots = WC_SENDER_SLOTS;
	h->ring_policy = p->ring_policy;
	h->linktype = p->linktype;
	h->mtu = p->mtu;
	h->rate_limit = p->rate_limit;
	h->flow_capacity = p->flow_capacity;
	h->flow_index_size = index_size;
	h->flows_offset = flows_off;
	h->index_offset = index_off;
	h->dataplane_pid = (int32_t)getpid();
	h->hugepages = (uint32_t)huge;
	snprintf(h->instance, sizeof(h->instance), "%s", p->instance);
	snprintf(h->source, sizeof(h->source), "%s", p->source ? p->source : "");
	h->start_ns = wc_now_ns();
	for (uint32_t i = 0; i < p->n_workers; i++) {
		h->worker_offset[i] = 4096 + wsize * i;
		struct wc_worker_shm *w = wc_shm_worker(h, i);
		w->ring.slots = slots;
		w->ring.mask = slots - 1;
	}
	atomic_store_explicit(&h->heartbeat_ns, wc_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&h->state, WC_SHM_RUNNING, memory_order_relaxed);
	/* release: a reader that sees the magic sees an initialised layout */
	__atomic_store_n(&h->magic, WC_SHM_MAGIC, __ATOMIC_RELEASE);
	out->hdr = h;
	out->size = size;
	return 0;
}

static int attach(const char *instance, struct wc_shm *out, int writable)
{
	memset(out, 0, sizeof(*out));
	int r = wc_shm_path(instance, out->path, sizeof(out->path));
	if (r)
		return r;
	int fd = open(out->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < 4096) {
		close(fd);
		return -EPROTO;
	}
	void *m = mmap(NULL, (size_t)st.st_size,
		       writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return -e;
	struct wc_shm_header *h = m;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != WC_SHM_MAGIC ||
	    h->abi_version != WC_SHM_ABI_VERSION || h->header_size != sizeof(*h) ||
	    h->event_size != sizeof(struct wc_event) ||
	    h->total_size > (uint64_t)st.st_size || h->n_workers == 0 ||
	    h->n_workers > WC_MAX_WORKERS || h->ring_slots == 0 ||
	    (h->ring_slots & (h->ring_slots - 1)) ||
	    /* the ring, then the flow entries, inside a worker block: readers
	     * walk them and must not fault on a damaged header */
	    sizeof(struct wc_worker_shm) + (uint64_t)h->ring_slots * h->event_size >
		    h->flows_offset ||
	    h->flows_offset + (uint64_t)h->flow_capacity * sizeof(struct wc_flow) >
		    h->worker_size) {
		munmap(m, (size_t)st.st_size);
		return -EPROTO;
	}
	for (uint32_t i = 0; i < h->n_workers; i++)
		if (h->worker_offset[i] > h->total_size ||
		    h->worker_offset[i] + h->worker_size > h->total_size ||
		    wc_shm_worker(h, i)->ring.slots != h->ring_slots) {
			munmap(m, (size_t)st.st_size);
			return -EPROTO;
		}
	out->hdr = h;
	out->size = (uint64_t)st.st_size;
	return 0;
}

int wc_shm_attach(const char *instance, struct wc_shm *out)
{
	return attach(instance, out, 1);
}

int wc_shm_attach_ro(const char *instance, struct wc_shm *out)
{
	return attach(instance, out, 0);
}

void wc_shm_detach(struct wc_shm *s)
{
	if (s->hdr)
		munmap(s->hdr, s->size);
	s->hdr = NULL;
}

void wc_shm_sum_counters(struct wc_shm_header *h, struct wc_counters *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t *o = (uint64_t *)out;
	const unsigned n = offsetof(struct wc_counters, first_ts_ns) / sizeof(uint64_t);
	for (uint32_t w = 0; w < h->n_workers; w++) {
		const struct wc_counters *c = &wc_shm_worker(h, w)->counters;
		const volatile uint64_t *in = (const volatile uint64_t *)c;
		for (unsigned i = 0; i < n; i++)
			o[i] += in[i];
		if (c->first_ts_ns && (!out->first_ts_ns || c->first_ts_ns < out->first_ts_ns))
			out->first_ts_ns = c->first_ts_ns;
		if (c->last_ts_ns > out->last_ts_ns)
			out->last_ts_ns = c->last_ts_ns;
	}
}

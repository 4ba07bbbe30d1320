// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueues, device side. Ring pointers are a cache of their translation
 * through the queue's DMA context, re-checked at the start of every access
 * window; every descriptor is copied to a local before it is checked (no
 * double fetch) and every buffer goes through dma_map_prefix, so a chain can
 * only ever name guest RAM the DMA context lets this device reach now.
 */
#include <errno.h>
#include <string.h>

#include "vmm/virtio/virtqueue.h"

#define VQ_MAX_INDIRECT	65536	/* a u16 next field cannot reach further */

/* Ring layout: avail = flags, idx, ring[size], used_event;
 * used = flags, idx, {id, len}[size], avail_event. */
static uint16_t *avail_idx_ptr(const struct virtq *vq)
{
	return (uint16_t *)vq->avail + 1;
}

static uint16_t *avail_ring(const struct virtq *vq, uint16_t i)
{
	return (uint16_t *)vq->avail + 2 + i;
}

static uint16_t *used_idx_ptr(const struct virtq *vq)
{
	return (uint16_t *)vq->used + 1;
}

static uint32_t *used_elem(const struct virtq *vq, uint16_t i)
{
	return (uint32_t *)((uint8_t *)vq->used + 4) + 2 * i;
}

static uint16_t *avail_event_ptr(const struct virtq *vq)
{
	return (uint16_t *)((uint8_t *)vq->used + 4 + 8 * vq->size);
}

static bool ring_aligned(const void *p, uintptr_t align)
{
	return !((uintptr_t)p & (align - 1));
}

/* Translate the three rings in the current window (generation gen). */
static int rings_resolve(struct virtq *vq, uint64_t gen)
{
	uint32_t n = vq->size;

	vq->desc = dma_map_contig(&vq->dma, vq->desc_addr, 16ULL * n,
				  DMA_ACCESS_READ | DMA_ACCESS_RAM);
	vq->avail = vq->desc ? dma_map_contig(&vq->dma, vq->avail_addr, 6ULL + 2 * n,
					      DMA_ACCESS_READ | DMA_ACCESS_RAM) : NULL;
	vq->used = vq->avail ? dma_map_contig(&vq->dma, vq->used_addr, 6ULL + 8 * n,
					      DMA_ACCESS_WRITE | DMA_ACCESS_RAM) : NULL;
	/* Atomic ring accesses need host alignment too (an IOMMU could break it). */
	if (!vq->used || !ring_aligned(vq->desc, 16) || !ring_aligned(vq->avail, 2) ||
	    !ring_aligned(vq->used, 4)) {
		vq->desc = vq->avail = vq->used = NULL;
		return -EFAULT;
	}
	vq->gen = gen;
	return 0;
}

int vq_enable(struct virtq *vq)
{
	uint32_t n = vq->size;
	int ret;

	if (!n || n > VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3))
		return -EINVAL;
	ret = rings_resolve(vq, dma_begin(&vq->dma));
	dma_end(&vq->dma);
	if (ret)
		return ret;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->ready = true;
	return 0;
}

int vq_begin(struct virtq *vq)
{
	uint64_t gen = dma_begin(&vq->dma);

	if (!vq->ready || (vq->desc && gen == vq->gen))
		return 0;
	/* Once unreachable, a ring stays stopped until the driver resets:
	 * mappings that come back later do not restart it behind its back. */
	return vq->desc ? rings_resolve(vq, gen) : -EFAULT;
}

void vq_end(struct virtq *vq)
{
	dma_end(&vq->dma);
}

void vq_reset(struct virtq *vq)
{
	struct dma_ctx dma = vq->dma;

	memset(vq, 0, sizeof(*vq));
	vq->dma = dma;
}

/* Copy one descriptor out of guest memory exactly once. */
static void desc_fetch(const uint8_t *table, uint32_t i, struct virtq_desc *d)
{
	memcpy(d, table + 16 * (size_t)i, sizeof(*d));
	/* Compiler barrier: the checks below must use this copy, never re-read
	 * guest memory that the driver may change under us. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

struct vq_walk {
	struct virtq *vq;
	struct vq_elem *elem;
	uint64_t total;
};

static int add_segment(struct vq_walk *w, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	struct vq_elem *e = w->elem;
	uint64_t addr = d->addr, len = d->len, last, got;

	if (!writable && e->n_in)
		return -EINVAL;		/* readable after writable */
	if (!len)
		return 0;
	if (__builtin_add_overflow(addr, len - 1, &last))
		return -EFAULT;
	w->total += len;
	if (w->total > VQ_MAX_CHAIN_LEN)
		return -E2BIG;
	while (len) {
		void *p;

		if (e->n_out + e->n_in >= VQ_MAX_SEGS)
			return -E2BIG;
		p = dma_map_prefix(&w->vq->dma, addr, len,
				   writable ? DMA_ACCESS_WRITE : DMA_ACCESS_READ, &got);
		if (!p)
			return -EFAULT;
		e->iov[e->n_out + e->n_in] = (struct iovec){ .iov_base = p, .iov_len = got };
		if (writable) {
			e->n_in++;
			e->in_len += got;
		} else {
			e->n_out++;
		}
		addr += got;
		len -= got;
	}
	return 0;
}

static int enter_indirect(struct vq_walk *w, const struct virtq_desc *d,
			  const uint8_t **table, uint32_t *n)
{
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return -EINVAL;		/* INDIRECT and NEXT together */
	if (!d->len || (d->len % 16) || d->len / 16 > VQ_MAX_INDIRECT)
		return -EINVAL;
	*table = dma_map_contig(&w->vq->dma, d->addr, d->len, DMA_ACCESS_READ | DMA_ACCESS_RAM);
	*n = d->len / 16;
	return *table ? 0 : -EFAULT;
}

static int walk_chain(struct vq_walk *w, uint16_t head)
{
	const uint8_t *table = w->vq->desc;
	uint32_t n = w->vq->size, i = head, count = 0;
	bool indirect = false;
	struct virtq_desc d;
	int ret;

	for (;;) {
		/* More descriptors than the table holds means a loop. */
		if (++count > n)
			return -ELOOP;
		desc_fetch(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return -EINVAL;		/* nested indirect */
			ret = enter_indirect(w, &d, &table, &n);
			if (ret)
				return ret;
			indirect = true;
			i = 0;
			count = 0;
			continue;
		}
		ret = add_segment(w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return -EINVAL;
	}
}

int vq_pop(struct virtq *vq, struct vq_elem *elem)
{
	struct vq_walk w = { .vq = vq, .elem = elem };
	uint16_t avail_idx, head;
	int ret;

	if (!vq->ready)
		return 0;
	if (!vq->desc)
		return -EPIPE;
	if (vq->event_idx) {
		/* Ask for a kick when the driver publishes entry last_avail. */
		__atomic_store_n(avail_event_ptr(vq), vq->last_avail, __ATOMIC_RELAXED);
		/* Full barrier: avail_event must be visible before we read avail->idx,
		 * or the driver may skip the kick for a buffer we then miss. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	/* Acquire: pairs with the driver's write barrier before its idx store, so
	 * the ring entry and descriptors it published are visible below. */
	avail_idx = __atomic_load_n(avail_idx_ptr(vq), __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return -EPIPE;
	head = __atomic_load_n(avail_ring(vq, vq->last_avail & (vq->size - 1)), __ATOMIC_RELAXED);
	vq->last_avail++;
	elem->head = head;
	elem->n_out = elem->n_in = 0;
	elem->in_len = 0;
	if (head >= vq->size)
		return -EPIPE;
	ret = walk_chain(&w, head);
	return ret ? ret : 1;
}

void vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint16_t idx = vq->used_idx;
	uint32_t *e;

	if (!vq->ready || !vq->used)
		return;
	e = used_elem(vq, idx & (vq->size - 1));
	__atomic_store_n(&e[0], head, __ATOMIC_RELAXED);
	__atomic_store_n(&e[1], len, __ATOMIC_RELAXED);
	/* Release: the element and the buffer contents written before must be
	 * visible to the driver before it sees the new used->idx. */
	__atomic_store_n(used_idx_ptr(vq), (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	vq->used_idx = idx + 1;
}

bool vq_should_signal(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	if (!vq->ready || !vq->avail)
		return false;
	/* Full barrier: our used->idx store must be visible before we read the
	 * driver's suppression state (store->load), or both sides may wait. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	if (!vq->event_idx)
		return !(__atomic_load_n((uint16_t *)vq->avail, __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = __atomic_load_n(avail_ring(vq, vq->size), __ATOMIC_RELAXED);	/* used_event */
	/* Signal if used_event lies in [old, now): the driver asked to hear
	 * about that entry and it was published since the last interrupt. */
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

size_t vq_copy_from_out(const struct vq_elem *elem, void *buf, size_t len)
{
	size_t done = 0;

	for (uint16_t i = 0; i < elem->n_out && done < len; i++) {
		size_t n = elem->iov[i].iov_len < len - done ? elem->iov[i].iov_len : len - done;

		memcpy((uint8_t *)buf + done, elem->iov[i].iov_base, n);
		done += n;
	}
	return done;
}

size_t vq_copy_to_in(const struct vq_elem *elem, const void *buf, size_t len)
{
	size_t done = 0;

	for (uint16_t i = elem->n_out; i < elem->n_out + elem->n_in && done < len; i++) {
		size_t n = elem->iov[i].iov_len < len - done ? elem->iov[i].iov_len : len - done;

		memcpy(elem->iov[i].iov_base, (const uint8_t *)buf + done, n);
		done += n;
	}
	return done;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk over a host file with pread/pwrite. A chain is a 16-byte header
 * (type, reserved, sector) in the device-readable part, data, and a status
 * byte as the last device-writable byte. A chain without header or status
 * byte gets a used entry of length 0 and touches neither memory nor file;
 * bad sectors, sizes and writes to a read-only disk get S_IOERR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmm/dma.h"
#include "vmm/pci.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/vdev.h"
#include "vmm/virtio/virtio_pci.h"

#define BLK_HDR_SIZE		16
#define BLK_PCI_CLASS		0x010000	/* mass storage, SCSI (as other VMMs) */
#define BLK_MAX_INDIRECT	65536

struct virtio_blk {
	struct virtio_pci *vp;
	int fd;
	bool read_only, behind_iommu;
	uint64_t capacity;			/* 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];	/* NUL-padded, not terminated at 20 */
	struct vdev_queue q;
};

/* One request, copied out of the chain before anything is checked. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	struct iovec data[VQ_MAX_SEGS];	/* payload, header and status excluded */
	int ndata;
	size_t len;			/* payload bytes */
	uint8_t *status;
};

/* --------------------------------------------------------- little endian */

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------- scatter lists */

/* dst := the bytes [skip, skip+len) of src; returns the entry count. */
static int iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len,
		     struct iovec *dst)
{
	int cnt = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len, take;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		take = l - skip < len ? l - skip : len;
		dst[cnt++] = (struct iovec){ (uint8_t *)src[i].iov_base + skip, take };
		len -= take;
		skip = 0;
	}
	return cnt;
}

static size_t iov_total(const struct iovec *v, unsigned n)
{
	size_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += v[i].iov_len;
	return t;
}

/* preadv/pwritev the whole list at off; 0 or -EIO (short transfer, error). */
static int blk_rw(int fd, struct iovec *iov, int cnt, off_t off, bool write)
{
	while (cnt > 0) {
		ssize_t n = write ? pwritev(fd, iov, cnt, off) : preadv(fd, iov, cnt, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		off += n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* -------------------------------------------------------------- requests */

/* Split a popped chain into header, payload and status. -EINVAL when the
 * layout is wrong (no full header readable, no writable byte). */
static int blk_parse(const struct vq_elem *e, struct blk_req *r)
{
	uint8_t hdr[BLK_HDR_SIZE];
	const struct iovec *last;
	size_t out_len = iov_total(e->iov, e->n_out);

	if (!e->n_in || !e->in_len || vq_copy_from_out(e, hdr, sizeof(hdr)) < sizeof(hdr))
		return -EINVAL;
	r->type = (uint32_t)get_le(hdr, 4);
	r->sector = get_le(hdr + 8, 8);
	last = &e->iov[e->n_out + e->n_in - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (r->type == VIRTIO_BLK_T_OUT) {
		r->len = out_len - BLK_HDR_SIZE;
		r->ndata = iov_slice(e->iov, e->n_out, BLK_HDR_SIZE, r->len, r->data);
	} else {
		r->len = e->in_len - 1;
		r->ndata = iov_slice(&e->iov[e->n_out], e->n_in, 0, r->len, r->data);
	}
	return 0;
}

static uint8_t blk_io(struct virtio_blk *b, struct blk_req *r, bool write)
{
	uint64_t off, end;

	if (write && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (r->len % VIRTIO_BLK_SECTOR || r->len > VIRTIO_BLK_MAX_DATA)
		return VIRTIO_BLK_S_IOERR;
	if (__builtin_mul_overflow(r->sector, VIRTIO_BLK_SECTOR, &off) ||
	    __builtin_add_overflow(off, r->len, &end) || end > b->capacity * VIRTIO_BLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (blk_rw(b->fd, r->data, r->ndata, (off_t)off, write))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static size_t blk_get_id(const struct virtio_blk *b, const struct blk_req *r)
{
	size_t done = 0;

	for (int i = 0; i < r->ndata && done < sizeof(b->serial); i++) {
		size_t n = sizeof(b->serial) - done;

		if (n > r->data[i].iov_len)
			n = r->data[i].iov_len;
		memcpy(r->data[i].iov_base, b->serial + done, n);
		done += n;
	}
	return done;
}

static uint8_t blk_flush(struct virtio_blk *b)
{
	if (b->read_only)
		return VIRTIO_BLK_S_OK;
	return fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* Execute r and write its status; returns the used length. */
static uint32_t blk_execute(struct virtio_blk *b, struct blk_req *r)
{
	size_t written = 0;
	uint8_t st;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		st = blk_io(b, r, false);
		written = st == VIRTIO_BLK_S_OK ? r->len : 0;
		break;
	case VIRTIO_BLK_T_OUT:
		st = blk_io(b, r, true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = blk_flush(b);
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = blk_get_id(b, r);
		st = VIRTIO_BLK_S_OK;
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	*r->status = st;
	return (uint32_t)written + 1;
}

/*
 * vq_pop stopped at a buffer that did not translate. The request fails; tell
 * the driver so when its status byte (last byte of the chain's last
 * descriptor, which must be writable) translates. Re-walks the descriptors
 * with vq_pop's bounds; only that one byte is ever written.
 */
static uint8_t *fault_status_byte(struct virtq *vq, uint16_t head)
{
	const uint8_t *table = vq->desc;
	uint32_t n = vq->size, i = head, count = 0;
	struct virtq_desc d, last = { 0 };
	bool indirect = false;
	uint64_t at, got;

	for (;;) {
		if (++count > n || i >= n)
			return NULL;
		memcpy(&d, table + 16 * (size_t)i, sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* use the copy only */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || !d.len ||
			    d.len % 16 || d.len / 16 > BLK_MAX_INDIRECT)
				return NULL;
			table = dma_map_contig(&vq->dma, d.addr, d.len,
					       DMA_ACCESS_READ | DMA_ACCESS_RAM);
			if (!table)
				return NULL;
			n = d.len / 16;
			i = count = 0;
			indirect = true;
			continue;
		}
		if (d.len)
			last = d;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	if (!(last.flags & VIRTQ_DESC_F_WRITE) || !last.len ||
	    __builtin_add_overflow(last.addr, (uint64_t)last.len - 1, &at))
		return NULL;
	return dma_map_prefix(&vq->dma, at, 1, DMA_ACCESS_WRITE, &got);
}

static uint32_t blk_request(void *opaque, struct virtq *vq, struct vq_elem *e, int err)
{
	struct virtio_blk *b = opaque;
	struct blk_req r;
	uint8_t *status;

	if (err == -EFAULT) {
		status = fault_status_byte(vq, e->head);
		if (!status)
			return 0;
		*status = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	if (err || blk_parse(e, &r))
		return 0;
	return blk_execute(b, &r);
}

/* ------------------------------------------------------- transport hooks */

static void blk_cfg_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	struct virtio_blk *b = opaque;
	uint8_t cfg[VIRTIO_BLK_CFG_SIZE] = { 0 };

	put_le(cfg + VIRTIO_BLK_CFG_CAPACITY, b->capacity, 8);
	put_le(cfg + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(cfg + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR, 4);
	if (off <= sizeof(cfg) && len <= sizeof(cfg) - off)
		memcpy(data, cfg + off, len);
}

static void blk_notify(void *opaque, struct virtio_pci *vp, uint16_t q)
{
	struct virtio_blk *b = opaque;

	vdev_queue_drain(&b->q, vp, q, blk_request, b);
}

static bool blk_features_ok(void *opaque, uint64_t features)
{
	struct virtio_blk *b = opaque;

	/* Behind an IOMMU, a driver that ignores ACCESS_PLATFORM would hand
	 * us GPAs the IOMMU does not map. */
	return !b->behind_iommu || (features & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
}

static void blk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;

	vdev_queue_reset(&b->q);
}

static const struct virtio_dev_ops blk_ops = {
	.cfg_read = blk_cfg_read,
	.features_ok = blk_features_ok,
	.queue_notify = blk_notify,
	.reset = blk_reset,
};

/* -------------------------------------------------------------- lifecycle */

static int blk_open(struct virtio_blk *b, const char *path)
{
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };
	struct stat st;
	off_t size;

	b->fd = open(path, (b->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	if (fstat(b->fd, &st) || (size = lseek(b->fd, 0, SEEK_END)) < 0) {
		int e = errno;

		close(b->fd);
		b->fd = -1;
		return -e;
	}
	b->capacity = (uint64_t)size / VIRTIO_BLK_SECTOR;
	snprintf(id, sizeof(id), "ioshade-%llx", (unsigned long long)st.st_ino);
	memcpy(b->serial, id, sizeof(b->serial));
	return 0;
}

static uint64_t blk_features(const struct virtio_blk *b)
{
	uint64_t f = (1ULL << VIRTIO_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_RING_EVENT_IDX) |
		     (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);

	if (b->read_only)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	if (b->behind_iommu)
		f |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	return f;
}

struct virtio_blk *virtio_blk_create(struct pci_host *host, struct evloop *loop,
				     const struct dma_ctx *dma, bool behind_iommu, int slot,
				     const char *path, bool read_only)
{
	struct virtio_pci_config cfg = {
		.device_id = VIRTIO_ID_BLOCK, .pci_class = BLK_PCI_CLASS, .num_queues = 1,
		.queue_max = VIRTIO_BLK_QUEUE_MAX, .cfg_size = VIRTIO_BLK_CFG_SIZE,
		.ops = &blk_ops, .loop = loop,
	};
	struct virtio_blk *b;
	int ret;

	if (!host || !dma || !dma->mem || !path) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->read_only = read_only;
	b->behind_iommu = behind_iommu;
	ret = blk_open(b, path);
	if (ret)
		goto err_free;
	cfg.features = blk_features(b);
	cfg.opaque = b;
	cfg.dma = *dma;		/* final: the transport sets its endpoint to our BDF */
	vdev_queue_init(&b->q);
	b->vp = virtio_pci_create(host, &cfg, slot);
	ret = -EIO;
	if (!b->vp)
		goto err_close;
	return b;

err_close:
	vdev_queue_fini(&b->q);
	close(b->fd);
err_free:
	free(b);
	errno = -ret;
	return NULL;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->vp);
	vdev_queue_fini(&b->q);
	close(b->fd);
	free(b);
}

uint16_t virtio_blk_bdf(const struct virtio_blk *b)
{
	return pci_dev_bdf(virtio_pci_dev(b->vp));
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

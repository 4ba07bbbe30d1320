// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-iommu driver: one synchronous request at a time on the requestq
 * (queue 0) through fixed page-aligned buffers, and VIOMMU_EVENT_BUFS
 * device-writable buffers kept posted on the eventq (queue 1) for faults.
 */
#include "virtio_iommu.h"

#include "errno.h"
#include "io.h"
#include "lib.h"

#define REQ_VQ		0
#define EVENT_VQ	1
#define REQ_VQ_SIZE	16
#define BUF_SIZE	(VIOMMU_MAX_PROBE + 64)

static uint8_t req_buf[BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t resp_buf[BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t event_buf[VIOMMU_EVENT_BUFS][VIOMMU_EVENT_BUF_SIZE] __attribute__((aligned(64)));

int viommu_find(struct pci_func *out)
{
	return pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_ID(VIRTIO_ID_IOMMU), 0, out);
}

bool viommu_has(const struct viommu *v, unsigned feature)
{
	return v->vdev.features & VIOMMU_FEAT(feature);
}

bool viommu_offered(const struct viommu *v, unsigned feature)
{
	return v->vdev.offered & VIOMMU_FEAT(feature);
}

uint64_t viommu_granule(const struct viommu *v)
{
	uint64_t m = v->cfg.page_size_mask;

	return m ? m & (~m + 1) : 0;
}

void viommu_read_config(struct viommu *v)
{
	struct virtio_dev *d = &v->vdev;
	struct viommu_config *c = &v->cfg;

	*c = (struct viommu_config){ .input_end = ~0ull, .domain_end = ~0u };
	c->page_size_mask = virtio_cfg_read64(d, VIRTIO_IOMMU_CFG_PAGE_SIZE_MASK_OFF);
	if (viommu_offered(v, VIRTIO_IOMMU_F_INPUT_RANGE)) {
		c->input_start = virtio_cfg_read64(d, VIRTIO_IOMMU_CFG_INPUT_START_OFF);
		c->input_end = virtio_cfg_read64(d, VIRTIO_IOMMU_CFG_INPUT_END_OFF);
	}
	if (viommu_offered(v, VIRTIO_IOMMU_F_DOMAIN_RANGE)) {
		c->domain_start = virtio_cfg_read32(d, VIRTIO_IOMMU_CFG_DOMAIN_START_OFF);
		c->domain_end = virtio_cfg_read32(d, VIRTIO_IOMMU_CFG_DOMAIN_END_OFF);
	}
	if (viommu_offered(v, VIRTIO_IOMMU_F_PROBE))
		c->probe_size = virtio_cfg_read32(d, VIRTIO_IOMMU_CFG_PROBE_SIZE_OFF);
	if (viommu_offered(v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		c->bypass = virtio_cfg_read8(d, VIRTIO_IOMMU_CFG_BYPASS_OFF);
}

static int post_event(struct viommu *v, unsigned i)
{
	struct virtq_buf b = { (uint64_t)(uintptr_t)event_buf[i], VIOMMU_EVENT_BUF_SIZE, true };
	struct virtq *vq = &v->vdev.vq[EVENT_VQ];
	int head;

	memset(event_buf[i], 0, VIOMMU_EVENT_BUF_SIZE);
	head = virtq_add(vq, &b, 1);
	if (head < 0)
		return head;
	v->event_of_head[head] = (uint8_t)i;
	return 0;
}

static int setup_queues(struct viommu *v)
{
	struct virtio_dev *d = &v->vdev;
	unsigned i;
	int rc;

	rc = virtio_setup_vq(d, REQ_VQ, REQ_VQ_SIZE);
	if (!rc)
		rc = virtio_setup_vq(d, EVENT_VQ, VIOMMU_EVENT_BUFS);
	if (rc)
		return rc;
	virtio_driver_ok(d);
	for (i = 0; i < VIOMMU_EVENT_BUFS && i < d->vq[EVENT_VQ].size; i++) {
		rc = post_event(v, i);
		if (rc)
			return rc;
	}
	virtq_kick(&d->vq[EVENT_VQ]);
	return 0;
}

int viommu_reinit(struct viommu *v)
{
	int rc = virtio_negotiate(&v->vdev, v->wanted);

	if (rc)
		return rc;
	rc = setup_queues(v);
	if (rc)
		return rc;
	viommu_read_config(v);
	return 0;
}

int viommu_open(struct viommu *v, const struct pci_func *f, uint64_t wanted)
{
	int rc;

	memset(v, 0, sizeof(*v));
	rc = virtio_pci_open(&v->vdev, f);
	if (rc)
		return rc;
	v->wanted = wanted;
	v->timeout_ms = VIOMMU_REQ_TIMEOUT_MS;
	return viommu_reinit(v);
}

int viommu_set_bypass(struct viommu *v, uint8_t val)
{
	if (!viommu_has(v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return -ENOTSUP;
	virtio_cfg_write8(&v->vdev, VIRTIO_IOMMU_CFG_BYPASS_OFF, val);
	v->cfg.bypass = virtio_cfg_read8(&v->vdev, VIRTIO_IOMMU_CFG_BYPASS_OFF);
	return v->cfg.bypass;
}

int viommu_raw(struct viommu *v, const void *out, uint32_t out_len,
	       void *in, uint32_t in_len, uint32_t *used_len)
{
	struct virtq *vq = &v->vdev.vq[REQ_VQ];
	struct virtq_buf b[2];
	unsigned n = 0;
	int head, rc;

	if (out_len > BUF_SIZE || in_len > BUF_SIZE || (!out_len && !in_len))
		return -EINVAL;
	memcpy(req_buf, out, out_len);
	memcpy(resp_buf, in, in_len);
	if (out_len)
		b[n++] = (struct virtq_buf){ (uint64_t)(uintptr_t)req_buf, out_len, false };
	if (in_len)
		b[n++] = (struct virtq_buf){ (uint64_t)(uintptr_t)resp_buf, in_len, true };
	head = virtq_add(vq, b, n);
	if (head < 0)
		return head;
	virtq_kick(vq);
	rc = virtq_wait(vq, (uint16_t)head, used_len, v->timeout_ms);
	if (!rc)
		memcpy(in, resp_buf, in_len);
	return rc;
}

/* Status from a writable part of in_len bytes ending with the tail. */
static int finish(struct viommu *v, const uint8_t *in, uint32_t in_len, uint32_t used)
{
	memcpy(&v->last_tail, in + in_len - sizeof(v->last_tail), sizeof(v->last_tail));
	v->last_used_len = used;
	if (used == 0)
		return -EIO;
	return v->last_tail.status;
}

int viommu_request(struct viommu *v, const void *req, uint32_t len)
{
	uint8_t tail[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t used = 0;
	int rc = viommu_raw(v, req, len, tail, sizeof(tail), &used);

	v->last_used_len = 0;
	if (rc)
		return rc;
	return finish(v, tail, sizeof(tail), used);
}

int viommu_attach(struct viommu *v, uint32_t domain, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = domain, .endpoint = ep, .flags = flags,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_detach(struct viommu *v, uint32_t domain, uint32_t ep)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = domain, .endpoint = ep,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_map(struct viommu *v, uint32_t domain, uint64_t virt_start, uint64_t virt_end,
	       uint64_t phys, uint32_t flags)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = domain, .virt_start = virt_start,
		.virt_end = virt_end, .phys_start = phys, .flags = flags,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_unmap(struct viommu *v, uint32_t domain, uint64_t virt_start, uint64_t virt_end)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = domain, .virt_start = virt_start,
		.virt_end = virt_end,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_attach_table(struct viommu *v, uint32_t domain, uint32_t ep, uint64_t root)
{
	struct virtio_iommu_req_x_attach_table r = {
		.head.type = VIRTIO_IOMMU_T_X_ATTACH_TABLE, .domain = domain, .endpoint = ep,
		.root = root, .format = VIRTIO_IOMMU_X_FMT_X86_64, .addr_width = VIRTIO_IOMMU_X_ADDR_WIDTH,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_invalidate(struct viommu *v, uint32_t domain, uint32_t flags, uint8_t granule,
		      uint64_t start, uint64_t end)
{
	struct virtio_iommu_req_x_invalidate r = {
		.head.type = VIRTIO_IOMMU_T_X_INVALIDATE, .domain = domain, .flags = flags,
		.granule = granule, .virt_start = start, .virt_end = end,
	};

	return viommu_request(v, &r, sizeof(r));
}

int viommu_invalidate_all(struct viommu *v, uint32_t domain)
{
	return viommu_invalidate(v, domain, VIRTIO_IOMMU_X_INV_F_ALL, 0, 0, 0);
}

int viommu_probe(struct viommu *v, uint32_t ep, uint8_t *props, uint32_t *used_len)
{
	static uint8_t in[VIOMMU_MAX_PROBE + 4];
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = ep };
	uint32_t size = v->cfg.probe_size, used = 0;
	int rc;

	if (!size || size > VIOMMU_MAX_PROBE)
		return -EINVAL;
	memset(in, 0xff, size + 4);
	rc = viommu_raw(v, &r, sizeof(r), in, size + 4, &used);
	if (used_len)
		*used_len = used;
	if (rc)
		return rc;
	memcpy(props, in, size);
	return finish(v, in, size + 4, used);
}

int viommu_poll_fault(struct viommu *v, struct virtio_iommu_fault *out, unsigned timeout_ms)
{
	struct virtq *vq = &v->vdev.vq[EVENT_VQ];
	struct timeout t;
	uint16_t head;
	uint32_t len;
	unsigned i;

	timeout_start(&t, timeout_ms);
	while (!virtq_poll(vq, &head, &len)) {
		if (timeout_expired(&t))
			return -ETIMEDOUT;
	}
	i = v->event_of_head[head];
	memcpy(out, event_buf[i], sizeof(*out));
	post_event(v, i);
	virtq_kick(vq);
	return 0;
}

unsigned viommu_drain_faults(struct viommu *v)
{
	struct virtio_iommu_fault f;
	unsigned n = 0;

	while (!viommu_poll_fault(v, &f, 0))
		n++;
	return n;
}

const char *viommu_status_name(int status)
{
	static const char *const names[] = {
		"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
	};

	if (status == -ETIMEDOUT)
		return "TIMEOUT";
	if (status == -EIO)
		return "NO-STATUS(used_len=0)";
	if (status < 0)
		return "ERRNO";
	return status < (int)ARRAY_SIZE(names) ? names[status] : "UNKNOWN";
}

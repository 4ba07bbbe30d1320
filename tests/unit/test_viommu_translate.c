// SPDX-License-Identifier: GPL-2.0-only
/*
 * Translation for emulated endpoints fails closed (unattached, unmapped,
 * wrong permission) and reports a fault; the fault record is byte-exact; a
 * full eventq drops instead of blocking. The last tests run the device
 * through the real virtio-pci transport: a MAP on the requestq and a fault
 * on the eventq, with rings in guest RAM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"
#include "unit/viommu_helpers.h"
#include "viommu/viommu_int.h"	/* the transport's BAR: v->vp */

#define EP1	0x08
#define EP_NONE	0x30

struct sink {
	int cap;			/* buffers the "driver" posted */
	int n;
	struct virtio_iommu_fault f[8];
};

static int sink_put(void *opaque, const struct virtio_iommu_fault *f)
{
	struct sink *s = opaque;

	if (s->n == s->cap)
		return -ENOSPC;
	s->f[s->n++] = *f;
	return 0;
}

struct fixture {
	struct memmap *mem;
	struct viommu *v;
	struct sink sink;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct viommu_config cfg = { 0 };

	if (!f)
		return -1;
	f->mem = t_memmap();
	cfg.mem = f->mem;
	f->v = f->mem ? viommu_create(&cfg) : NULL;
	if (!f->v || viommu_add_endpoint(f->v, EP1))
		return -1;
	f->sink.cap = 8;
	viommu_set_fault_sink(f->v, sink_put, &f->sink);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	viommu_destroy(f->v);
	memmap_destroy(f->mem);
	free(f);
	return 0;
}

#define F ((struct fixture *)*state)

static void expect_fault(const struct virtio_iommu_fault *f, uint8_t reason, uint32_t flags,
			 uint32_t ep, uint64_t addr)
{
	const uint8_t *b = (const uint8_t *)f;
	uint32_t w;
	uint64_t q;

	assert_int_equal(b[0], reason);
	assert_memory_equal(b + 1, "\0\0\0", 3);
	memcpy(&w, b + 4, 4);
	assert_int_equal(le32toh(w), flags);
	memcpy(&w, b + 8, 4);
	assert_int_equal(le32toh(w), ep);
	memcpy(&w, b + 12, 4);
	assert_int_equal(w, 0);			/* reserved1 */
	memcpy(&q, b + 16, 8);
	assert_int_equal(le64toh(q), addr);
}

static void test_unattached_blocked(void **state)
{
	uint64_t gpa = 0, contig = 0;
	struct viommu_stats s;

	assert_int_equal(viommu_translate(F->v, EP1, 0x1234, 8, DMA_ACCESS_READ, &gpa, &contig),
			 -ENODEV);
	assert_int_equal(F->sink.n, 1);
	expect_fault(&F->sink.f[0], VIRTIO_IOMMU_FAULT_R_DOMAIN,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP1, 0x1234);
	/* An endpoint nobody registered is blocked the same way. */
	assert_int_equal(viommu_translate(F->v, EP_NONE, 0, 8, DMA_ACCESS_WRITE, &gpa, &contig),
			 -ENODEV);
	expect_fault(&F->sink.f[1], VIRTIO_IOMMU_FAULT_R_DOMAIN,
		     VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP_NONE, 0);
	viommu_stats(F->v, &s);
	assert_int_equal(s.faults, 2);
	assert_int_equal(s.translations, 2);
}

static void test_unmapped_and_permission(void **state)
{
	uint64_t gpa = 0, contig = 0;

	assert_int_equal(t_attach(F->v, 1, EP1, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(F->v, 1, 0x10000, 0x10fff, T_RAM, VIRTIO_IOMMU_MAP_F_READ),
			 VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(F->v, 1, 0x11000, 0x11fff, T_RAM + 0x8000, T_RW), VIRTIO_IOMMU_S_OK);
	assert_int_equal(viommu_translate(F->v, EP1, 0x12000, 4, DMA_ACCESS_READ, &gpa, &contig),
			 -EFAULT);
	expect_fault(&F->sink.f[0], VIRTIO_IOMMU_FAULT_R_MAPPING,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP1, 0x12000);
	assert_int_equal(viommu_translate(F->v, EP1, 0x10010, 4, DMA_ACCESS_WRITE, &gpa, &contig),
			 -EPERM);
	expect_fault(&F->sink.f[1], VIRTIO_IOMMU_FAULT_R_MAPPING,
		     VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP1, 0x10010);
	/* Adjacent in IOVA, not in GPA: contig stops at the mapping's end. */
	assert_int_equal(viommu_translate(F->v, EP1, 0x10ff0, 0x20, DMA_ACCESS_READ, &gpa, &contig), 0);
	assert_int_equal(gpa, T_RAM + 0xff0);
	assert_int_equal(contig, 0x10);
	assert_int_equal(viommu_translate(F->v, EP1, 0x11000, 0x10, DMA_ACCESS_READ | DMA_ACCESS_WRITE,
					  &gpa, &contig), 0);
	assert_int_equal(gpa, T_RAM + 0x8000);
	assert_int_equal(F->sink.n, 2);
	/* After UNMAP (S_OK) the IOVA is dead at once: no invalid-use window. */
	assert_int_equal(t_unmap(F->v, 1, 0x11000, 0x11fff), VIRTIO_IOMMU_S_OK);
	assert_int_equal(viommu_translate(F->v, EP1, 0x11000, 4, DMA_ACCESS_READ, &gpa, &contig),
			 -EFAULT);
	/* After DETACH the endpoint reaches nothing. */
	assert_int_equal(t_detach(F->v, 1, EP1), VIRTIO_IOMMU_S_OK);
	assert_int_equal(viommu_translate(F->v, EP1, 0x10000, 4, DMA_ACCESS_READ, &gpa, &contig),
			 -ENODEV);
	assert_int_equal(F->sink.n, 4);
}

static void test_bypass_identity_no_fault(void **state)
{
	uint64_t gpa = 0, contig = 0;
	uint8_t one = 1;

	viommu_config_write(F->v, VIRTIO_IOMMU_CFG_BYPASS_OFF, &one, 1);
	assert_int_equal(viommu_translate(F->v, EP1, 0xabc000, 0x3000, DMA_ACCESS_WRITE, &gpa,
					  &contig), 0);
	assert_int_equal(gpa, 0xabc000);
	assert_int_equal(contig, 0x3000);
	assert_int_equal(F->sink.n, 0);
}

static void test_full_eventq_drops(void **state)
{
	uint64_t gpa, contig;
	struct viommu_stats s;

	F->sink.cap = 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(viommu_translate(F->v, EP1, 0, 1, DMA_ACCESS_READ, &gpa, &contig),
				 -ENODEV);
	assert_int_equal(viommu_report_fault(F->v, EP1, VIRTIO_IOMMU_FAULT_R_UNKNOWN, 0, 0),
			 -ENOSPC);
	viommu_stats(F->v, &s);
	assert_int_equal(s.faults, 1);
	assert_int_equal(s.faults_dropped, 3);
}

static void test_dma_ctx(void **state)
{
	struct dma_ctx ctx;
	uint64_t gpa, contig;

	viommu_dma_ctx(F->v, 0x20, &ctx);
	assert_ptr_equal(ctx.mem, F->mem);
	assert_int_equal(ctx.endpoint, 0x20);
	assert_non_null(ctx.ops);
	/* Registered by dma_ctx: ATTACH knows it. */
	assert_int_equal(t_attach(F->v, 1, 0x20, 0), VIRTIO_IOMMU_S_OK);
	assert_int_equal(t_map(F->v, 1, 0x0, 0xfff, T_RAM, T_RW), VIRTIO_IOMMU_S_OK);
	assert_int_equal(ctx.ops->translate(ctx.opaque, ctx.endpoint, 0x10, 4, DMA_ACCESS_READ,
					    &gpa, &contig), 0);
	assert_int_equal(gpa, T_RAM + 0x10);
}

/* ---- through virtio-pci: rings in real guest memory ---- */

#define G_RAM		0x100000ULL
#define G_RAM_SIZE	0x200000ULL
#define G_RING(q)	(G_RAM + 0x10000 * (q))
#define QSZ		8

struct pci_fixture {
	uint8_t *ram;
	struct memmap *mem;
	struct bus *pio, *mmio;
	struct pci_host *host;
	struct viommu *v;
	uint64_t bar;
	uint16_t avail_idx[2];
};

static void *g(struct pci_fixture *p, uint64_t gpa)
{
	return p->ram + (gpa - G_RAM);
}

static void common_w(struct pci_fixture *p, uint32_t off, uint64_t val, uint32_t len)
{
	assert_int_equal(bus_access(p->mmio, p->bar + off, &val, len, true), 0);
}

static void setup_queue(struct pci_fixture *p, uint16_t q)
{
	common_w(p, 0x16, q, 2);			/* queue_select */
	common_w(p, 0x18, QSZ, 2);			/* queue_size */
	common_w(p, 0x20, G_RING(q), 8);		/* queue_desc */
	common_w(p, 0x28, G_RING(q) + 0x1000, 8);	/* queue_driver (avail) */
	common_w(p, 0x30, G_RING(q) + 0x2000, 8);	/* queue_device (used) */
	common_w(p, 0x1c, 1, 2);			/* queue_enable */
}

static int pci_setup(void **state)
{
	struct pci_fixture *p = calloc(1, sizeof(*p));
	struct viommu_config cfg = { .slot = -1 };

	if (!p)
		return -1;
	p->ram = aligned_alloc(0x1000, G_RAM_SIZE);
	p->mem = memmap_create();
	p->pio = bus_create("pio");
	p->mmio = bus_create("mmio");
	if (!p->ram || !p->mem || !p->pio || !p->mmio ||
	    memmap_add(p->mem, G_RAM, G_RAM_SIZE, MEMMAP_RAM, 0, p->ram, "ram"))
		return -1;
	memset(p->ram, 0, G_RAM_SIZE);
	p->host = pci_host_create(p->pio, p->mmio, p->mem, NULL);
	cfg.mem = p->mem;
	cfg.pci = p->host;
	p->v = p->host ? viommu_create(&cfg) : NULL;
	if (!p->v)
		return -1;
	p->bar = virtio_pci_dev(p->v->vp)->bar[4].addr;
	common_w(p, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	common_w(p, 0x08, 0, 4);
	common_w(p, 0x0c, viommu_device_features(p->v) & 0xffffffff, 4);
	common_w(p, 0x08, 1, 4);
	common_w(p, 0x0c, 1, 4);			/* VERSION_1 */
	common_w(p, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		 VIRTIO_STATUS_FEATURES_OK, 1);
	setup_queue(p, 0);
	setup_queue(p, 1);
	common_w(p, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
	assert_int_equal(viommu_add_endpoint(p->v, EP1), 0);
	*state = p;
	return 0;
}

static int pci_teardown(void **state)
{
	struct pci_fixture *p = *state;

	viommu_destroy(p->v);
	pci_host_destroy(p->host);
	bus_destroy(p->pio);
	bus_destroy(p->mmio);
	memmap_destroy(p->mem);
	free(p->ram);
	free(p);
	return 0;
}

/* Post a chain of (addr, len, writable) descriptors on queue q. */
static void post(struct pci_fixture *p, uint16_t q, const uint64_t (*d)[3], int n)
{
	uint8_t *desc = g(p, G_RING(q));
	uint16_t *avail = g(p, G_RING(q) + 0x1000);
	uint16_t head = (p->avail_idx[q] * 2) % QSZ;

	for (int i = 0; i < n; i++) {
		uint8_t *e = desc + 16 * ((head + i) % QSZ);
		uint64_t addr = htole64(d[i][0]);
		uint32_t len = htole32(d[i][1]);
		uint16_t flags = htole16((d[i][2] ? 2 : 0) | (i + 1 < n ? 1 : 0));
		uint16_t next = htole16((head + i + 1) % QSZ);

		memcpy(e, &addr, 8);
		memcpy(e + 8, &len, 4);
		memcpy(e + 12, &flags, 2);
		memcpy(e + 14, &next, 2);
	}
	avail[2 + p->avail_idx[q] % QSZ] = htole16(head);
	p->avail_idx[q]++;
	__atomic_store_n(&avail[1], htole16(p->avail_idx[q]), __ATOMIC_RELEASE);
}

static uint32_t used_len(struct pci_fixture *p, uint16_t q, uint16_t idx)
{
	uint8_t *used = g(p, G_RING(q) + 0x2000);
	uint32_t len;

	memcpy(&len, used + 4 + 8 * (idx % QSZ) + 4, 4);
	return le32toh(len);
}

static uint16_t used_idx(struct pci_fixture *p, uint16_t q)
{
	uint16_t idx;

	memcpy(&idx, (uint8_t *)g(p, G_RING(q) + 0x2000) + 2, 2);
	return le16toh(idx);
}

static void kick(struct pci_fixture *p, uint16_t q)
{
	uint16_t val = q;

	assert_int_equal(bus_access(p->mmio, virtio_pci_notify_addr(p->v->vp, q), &val, 2, true), 0);
}

static void test_pci_requestq_and_eventq(void **state)
{
	struct pci_fixture *p = *state;
	const uint64_t req_gpa = G_RAM + 0x40000, resp_gpa = G_RAM + 0x41000;
	const uint64_t ev_gpa = G_RAM + 0x42000;
	struct virtio_iommu_req_attach *att = g(p, req_gpa);
	uint64_t chain[2][3] = { { req_gpa, sizeof(*att), 0 }, { resp_gpa, 4, 1 } };
	uint64_t ev[1][3] = { { ev_gpa, sizeof(struct virtio_iommu_fault), 1 } };
	uint64_t gpa, contig;
	uint8_t *resp = g(p, resp_gpa);
	struct viommu_stats s;

	assert_true(viommu_bdf(p->v) > 0);
	*att = (struct virtio_iommu_req_attach){ .head.type = VIRTIO_IOMMU_T_ATTACH,
		.domain = htole32(3), .endpoint = htole32(EP1) };
	memset(resp, 0xaa, 4);
	post(p, 0, chain, 2);
	kick(p, 0);
	assert_int_equal(used_idx(p, 0), 1);
	assert_int_equal(used_len(p, 0, 0), 4);
	assert_int_equal(resp[0], VIRTIO_IOMMU_S_OK);
	/* Unknown type: returned with used length 0, status untouched. */
	att->head.type = 0x42;
	memset(resp, 0xaa, 4);
	post(p, 0, chain, 2);
	kick(p, 0);
	assert_int_equal(used_idx(p, 0), 2);
	assert_int_equal(used_len(p, 0, 1), 0);
	assert_int_equal(resp[0], 0xaa);
	/* A fault lands in the posted eventq buffer. */
	post(p, 1, ev, 1);
	assert_int_equal(viommu_translate(p->v, EP1, 0x7000, 4, DMA_ACCESS_WRITE, &gpa, &contig),
			 -EFAULT);
	/* Translation only queues the event (it may run on any device's
	 * thread); the viommu moves it to the eventq under its own lock. */
	assert_int_equal(used_idx(p, 1), 0);
	viommu_poll_faults(p->v);
	assert_int_equal(used_idx(p, 1), 1);
	assert_int_equal(used_len(p, 1, 0), sizeof(struct virtio_iommu_fault));
	expect_fault(g(p, ev_gpa), VIRTIO_IOMMU_FAULT_R_MAPPING,
		     VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP1, 0x7000);
	/* No buffer left: the event waits (bounded) for the next buffer. */
	assert_int_equal(viommu_translate(p->v, EP1, 0x8000, 4, DMA_ACCESS_READ, &gpa, &contig),
			 -EFAULT);
	viommu_poll_faults(p->v);
	viommu_stats(p->v, &s);
	assert_int_equal(s.faults, 1);
	assert_int_equal(s.faults_dropped, 0);
	assert_int_equal(used_idx(p, 1), 1);
	memset(g(p, ev_gpa), 0, sizeof(struct virtio_iommu_fault));
	post(p, 1, ev, 1);
	kick(p, 1);				/* a new buffer takes it */
	assert_int_equal(used_idx(p, 1), 2);
	expect_fault(g(p, ev_gpa), VIRTIO_IOMMU_FAULT_R_MAPPING,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS, EP1, 0x8000);
	viommu_stats(p->v, &s);
	assert_int_equal(s.faults, 2);
	assert_int_equal(s.requests[VIRTIO_IOMMU_T_ATTACH], 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unattached_blocked), T(test_unmapped_and_permission),
		T(test_bypass_identity_no_fault), T(test_full_eventq_drops), T(test_dma_ctx),
		cmocka_unit_test_setup_teardown(test_pci_requestq_and_eventq, pci_setup,
						pci_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the viommu unit tests: a layout.h-shaped memory map,
 * request builders that go through viommu_handle_request (no PCI), and a
 * digest of the whole guest-visible state to prove rejections change nothing.
 * Include after <cmocka.h>.
 */
#ifndef IOSHADE_TESTS_VIOMMU_HELPERS_H
#define IOSHADE_TESTS_VIOMMU_HELPERS_H

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/memmap.h"
#include "viommu/viommu.h"
#include "viommu/viommu_debug.h"
#include "viommu/virtio_iommu.h"

#define T_PAGE		0x1000ULL
#define T_BAR		LAYOUT_MMIO32_BASE			/* emulated BAR */
#define T_BAR_VFIO	(LAYOUT_MMIO32_BASE + 0x100000)		/* assigned BAR, 1 MiB */
#define T_RAM		LAYOUT_HIGH_RAM_BASE
#define T_RAM_SIZE	(LAYOUT_RAM_32_END - LAYOUT_HIGH_RAM_BASE)
#define T_HVA_BASE	((uint8_t *)0x7e0000000000ULL)		/* never dereferenced */

static inline struct memmap *t_memmap(void)
{
	struct memmap *m = memmap_create();
	int ret = 0;

	if (!m)
		return NULL;
	ret |= memmap_add(m, LAYOUT_BOOT_BASE, LAYOUT_BOOT_SIZE, MEMMAP_RESERVED, 0, NULL, "boot");
	ret |= memmap_add(m, LAYOUT_LOW_RAM_BASE, LAYOUT_LOW_RAM_END - LAYOUT_LOW_RAM_BASE,
			  MEMMAP_RAM, 0, T_HVA_BASE + LAYOUT_LOW_RAM_BASE, "ram-low");
	ret |= memmap_add(m, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, MEMMAP_ROM, 0, NULL, "acpi");
	ret |= memmap_add(m, T_RAM, T_RAM_SIZE, MEMMAP_RAM, 0, T_HVA_BASE + T_RAM, "ram");
	ret |= memmap_add(m, T_BAR, T_PAGE, MEMMAP_MMIO, MEMMAP_F_BAR, NULL, "bar");
	ret |= memmap_add(m, T_BAR_VFIO, 0x100000, MEMMAP_MMIO, MEMMAP_F_BAR | MEMMAP_F_ASSIGNED,
			  (uint8_t *)0x7f0000000000ULL, "bar-vfio");
	ret |= memmap_add(m, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, MEMMAP_MMIO, 0, NULL, "ecam");
	ret |= memmap_add(m, LAYOUT_MSI_BASE, LAYOUT_MSI_LAST - LAYOUT_MSI_BASE + 1, MEMMAP_MMIO,
			  MEMMAP_F_MSI, NULL, "msi");
	if (ret) {
		memmap_destroy(m);
		return NULL;
	}
	return m;
}

/* Send a request; returns the status, or -1 when nothing was written. */
static inline int t_req(struct viommu *v, const void *req, size_t len)
{
	uint8_t resp[8] = { 0xee, 0xee, 0xee, 0xee };
	size_t written = 99;

	assert_int_equal(viommu_handle_request(v, req, len, resp, 4, &written), 0);
	if (written == 0)
		return -1;
	assert_int_equal(written, 4);
	assert_memory_equal(resp + 1, "\0\0\0", 3);	/* tail reserved zeroed */
	return resp[0];
}

static inline int t_attach(struct viommu *v, uint32_t dom, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(dom),
		.endpoint = htole32(ep), .flags = htole32(flags),
	};

	return t_req(v, &r, sizeof(r));
}

static inline int t_detach(struct viommu *v, uint32_t dom, uint32_t ep)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = htole32(dom), .endpoint = htole32(ep),
	};

	return t_req(v, &r, sizeof(r));
}

static inline int t_map(struct viommu *v, uint32_t dom, uint64_t vs, uint64_t ve,
			uint64_t ps, uint32_t flags)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(dom),
		.virt_start = htole64(vs), .virt_end = htole64(ve),
		.phys_start = htole64(ps), .flags = htole32(flags),
	};

	return t_req(v, &r, sizeof(r));
}

static inline int t_unmap(struct viommu *v, uint32_t dom, uint64_t vs, uint64_t ve)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(dom),
		.virt_start = htole64(vs), .virt_end = htole64(ve),
	};

	return t_req(v, &r, sizeof(r));
}

#define T_RW	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)

/* FNV-1a over the guest-visible state: bypass, attachments, domains, maps. */
static inline void t_mix(uint64_t *h, uint64_t x)
{
	for (int i = 0; i < 8; i++, x >>= 8)
		*h = (*h ^ (x & 0xff)) * 0x100000001b3ULL;
}

static inline int t_mix_map(const struct iova_map *m, void *opaque)
{
	t_mix(opaque, m->start);
	t_mix(opaque, m->last);
	t_mix(opaque, m->gpa);
	t_mix(opaque, m->flags);
	return 0;
}

#define T_MAX_OBJS	64	/* domains or endpoints a check looks at */

static inline void t_mix_domains(struct viommu *v, uint64_t *h)
{
	size_t i, nd = viommu_debug_domains(v, NULL, 0);
	struct viommu_debug_dom *d = calloc(nd + 1, sizeof(*d));

	assert_non_null(d);
	assert_int_equal(viommu_debug_domains(v, d, nd), nd);
	for (i = 0; i < nd; i++) {
		t_mix(h, d[i].id);
		t_mix(h, d[i].bypass);
		t_mix(h, d[i].nr_eps);
		t_mix(h, d[i].nested);
		t_mix(h, d[i].table_root);
		t_mix(h, d[i].host_pt ? d[i].host_pt : ~0ULL);
		viommu_debug_foreach_map(v, d[i].id, t_mix_map, h);
	}
	free(d);
}

/* Also the host objects each domain and endpoint uses: a rejection that
 * leaked or swapped one changed the state too. */
static inline uint64_t t_digest(struct viommu *v)
{
	struct viommu_debug_ep e[T_MAX_OBJS];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, ne;

	t_mix(&h, viommu_debug_bypass(v));
	ne = viommu_debug_endpoints(v, e, T_MAX_OBJS);
	assert_true(ne <= T_MAX_OBJS);
	for (i = 0; i < ne; i++) {
		t_mix(&h, e[i].id);
		t_mix(&h, e[i].attached ? e[i].dom : ~0ULL);
		t_mix(&h, e[i].host_pt ? e[i].host_pt : ~0ULL);
	}
	t_mix_domains(v, &h);
	return h;
}

/* Assert that expr yields status st and left the state exactly as it was. */
#define T_REJECT(v, expr, st) do {				\
		uint64_t before_ = t_digest(v);			\
		assert_int_equal((expr), (st));			\
		assert_true(t_digest(v) == before_);		\
	} while (0)

#endif

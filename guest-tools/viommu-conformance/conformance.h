/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared state of the viommu-conformance guest: the device, the endpoints it
 * uses, and helpers that turn a request status into a named CHECK (with the
 * expected and actual status printed on mismatch).
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_iommu.h"

struct conf {
	struct viommu v;
	uint32_t ep;		/* an endpoint that exists (edu, or another function) */
	uint32_t bad_ep;	/* an endpoint ID that cannot exist */
	bool have_bad_ep2;
	uint32_t bad_ep2;	/* an unoccupied BDF inside the translated range */
	uint64_t gran;		/* page granule */
	uint64_t iova_base;	/* where test mappings go */
	uint64_t phys;		/* RAM backing test mappings (16 granules) */
	unsigned next_domain;	/* allocator for fresh domain IDs */
	bool qemu_quirks;	/* "quirks=qemu": known QEMU deviations are XFAIL */
	bool have_msi;		/* PROBE reported an MSI RESV_MEM region */
	uint64_t msi_start;
	uint64_t msi_end;
};

/* Named check; XFAIL instead of FAIL for a known QEMU deviation under quirks. */
bool conf_check(struct conf *c, const char *name, bool ok);
/* Under quirks=qemu, prints SKIP for a check that kills QEMU; true if skipped. */
bool conf_skip_on_qemu(struct conf *c, const char *name, const char *why);
/* Checks got == want and prints both on mismatch. */
bool conf_status(struct conf *c, const char *name, int got, int want);
/* Checks got is not S_OK (any rejection) and prints it. */
bool conf_rejected(struct conf *c, const char *name, int got);
/* A domain ID not used before in this run (within domain_range). */
uint32_t conf_new_domain(struct conf *c);
/* Attaches c->ep to a fresh domain (blank address space); returns it. */
uint32_t conf_fresh_domain(struct conf *c);
/* IOVA / phys of unit u (units of one granule) */
uint64_t conf_iova(const struct conf *c, unsigned u);
uint64_t conf_phys(const struct conf *c, unsigned u);

void conf_requests(struct conf *c);	/* requests.c: attach/detach/probe/framing */
void conf_framing(struct conf *c);	/* requests.c: malformed chains, then reset */
void conf_mapping(struct conf *c);	/* mapping.c: MAP/UNMAP and the spec examples */

#endif

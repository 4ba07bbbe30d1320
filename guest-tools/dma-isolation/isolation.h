/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared state of the dma-isolation guest: the virtio-iommu, the edu DMA
 * device behind it, its endpoint ID, test pages and the expectations chosen
 * on the command line (ownership=strict|lax, quirks=qemu).
 */
#ifndef ISOLATION_H
#define ISOLATION_H

#include <stdbool.h>
#include <stdint.h>

#include "edu.h"
#include "pvh.h"
#include "virtio_iommu.h"

#define PAGE		4096u
#define FAULT_TIMEOUT_MS 1000

struct iso {
	struct viommu v;
	struct edu edu;
	uint32_t ep;		/* edu's endpoint ID */
	bool lax_ownership;	/* accept MAPs a strict VMM refuses (QEMU) */
	bool qemu_quirks;	/* known QEMU deviations become XFAIL */
	bool faults_optional;	/* "faults=optional": a missing fault event is XFAIL */
	unsigned next_domain;
	uint64_t ram_top;	/* end of the highest E820 RAM entry */
};

/* A domain ID not used before in this run. */
uint32_t iso_new_domain(struct iso *t);
/* A named check that is an XFAIL under quirks=qemu when it is a known deviation. */
bool iso_check(struct iso *t, const char *name, bool ok);
/* Ownership refusal tests (ownership.c); needs the edu attached to a domain. */
void iso_ownership(struct iso *t, const struct hvm_start_info *si);

#endif

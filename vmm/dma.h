/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DMA-translation hook for emulated devices. A device that sits behind an
 * IOMMU reaches guest memory only through dma_read/dma_write on its dma_ctx.
 * The translate op is supplied by whoever owns the IOMMU (viommu_translate);
 * vmm/ only defines the hook, so vmm/ never includes viommu headers.
 * With ops == NULL the hook is the identity (no vIOMMU).
 */
#ifndef IOSHADE_VMM_DMA_H
#define IOSHADE_VMM_DMA_H

#include <stddef.h>
#include <stdint.h>

struct memmap;

#define DMA_ACCESS_READ		(1u << 0)	/* device reads memory */
#define DMA_ACCESS_WRITE	(1u << 1)	/* device writes memory */
/* Local to dma_map_*: the target must be guest RAM even for a read (rings,
 * indirect tables). Never passed to translate. */
#define DMA_ACCESS_RAM		(1u << 2)

struct dma_ops {
	/*
	 * Translate [iova, iova+len) for endpoint. On success sets *gpa and
	 * *contig (bytes from iova that are contiguous in GPA, 1..len) and
	 * returns 0. On failure returns -EFAULT (no mapping), -EPERM
	 * (permission) or -ENODEV (endpoint not attached) and reports the fault
	 * itself (fault event); the caller only stops the transfer.
	 */
	int (*translate)(void *opaque, uint32_t endpoint, uint64_t iova, uint64_t len,
			 unsigned access, uint64_t *gpa, uint64_t *contig);
	/*
	 * Optional: the access window. Between begin and end no change that
	 * removes a translation (UNMAP, DETACH, an ATTACH that moves the
	 * endpoint, domain destruction, IOMMU reset) can complete, so a host
	 * pointer translated inside the window may be used until end, and no
	 * longer. begin returns the translation generation: it differs from
	 * the last one seen whenever a translation may have been removed since,
	 * so a cache of translations (ring pointers) is valid only while the
	 * generation it was filled at is current. Windows may nest.
	 */
	uint64_t (*begin)(void *opaque);
	void (*end)(void *opaque);
};

struct dma_ctx {
	const struct memmap *mem;
	const struct dma_ops *ops;	/* NULL: identity */
	void *opaque;
	uint32_t endpoint;		/* endpoint ID = PCI BDF */
};

/*
 * Every device access to guest memory through a translating context happens
 * inside dma_begin/dma_end: pop, handle and push of a chain; one DMA
 * transfer. dma_begin returns the generation (always 0 for identity).
 */
uint64_t dma_begin(const struct dma_ctx *ctx);
void dma_end(const struct dma_ctx *ctx);

/* Copy between device and guest memory through the hook. 0 or -errno; on error
 * a prefix of the transfer may have happened, as with real DMA. */
int dma_read(const struct dma_ctx *ctx, uint64_t iova, void *buf, size_t len);
int dma_write(const struct dma_ctx *ctx, uint64_t iova, const void *buf, size_t len);

/*
 * Translate to a host pointer for a range that must be contiguous in host
 * memory (used by the virtqueue walker). Returns NULL on fault or if the range
 * is not one piece of guest RAM.
 */
void *dma_map_contig(const struct dma_ctx *ctx, uint64_t iova, uint64_t len, unsigned access);
/*
 * Map the longest prefix of [iova, iova+len) that is one piece of host memory:
 * returns its host pointer and sets *mapped (1..len), or NULL on fault.
 */
void *dma_map_prefix(const struct dma_ctx *ctx, uint64_t iova, uint64_t len, unsigned access,
		     uint64_t *mapped);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device DMA through the translation hook: each transfer is cut into pieces
 * that are contiguous in GPA (translate's contig) and then in one memmap
 * region, and each piece must be guest RAM (or ROM for device reads).
 * With no ops the IOVA is the GPA.
 */
#include <errno.h>
#include <string.h>

#include "vmm/dma.h"
#include "vmm/memmap.h"

/* Host pointer for the longest prefix of [gpa, gpa+len) inside one region. */
static void *gpa_prefix(const struct memmap *mem, uint64_t gpa, uint64_t len,
			unsigned access, uint64_t *mapped)
{
	struct memmap_region reg = { 0 };
	int ret = memmap_query(mem, gpa, len, &reg);
	bool ram_only = access & (DMA_ACCESS_WRITE | DMA_ACCESS_RAM);

	if (ret && ret != -E2BIG)
		return NULL;
	if (!reg.hva || (reg.kind != MEMMAP_RAM && (ram_only || reg.kind != MEMMAP_ROM)))
		return NULL;
	*mapped = ret ? reg.last - gpa + 1 : len;
	return (uint8_t *)reg.hva + (gpa - reg.start);
}

void *dma_map_prefix(const struct dma_ctx *ctx, uint64_t iova, uint64_t len, unsigned access,
		     uint64_t *mapped)
{
	uint64_t gpa = iova, contig = len, last;
	int ret;

	if (!len || __builtin_add_overflow(iova, len - 1, &last))
		return NULL;
	if (ctx->ops) {
		ret = ctx->ops->translate(ctx->opaque, ctx->endpoint, iova, len,
					  access & (DMA_ACCESS_READ | DMA_ACCESS_WRITE),
					  &gpa, &contig);
		/* A translator that returns nonsense must not widen the access. */
		if (ret || !contig || contig > len ||
		    __builtin_add_overflow(gpa, contig - 1, &last))
			return NULL;
	}
	return gpa_prefix(ctx->mem, gpa, contig, access, mapped);
}

void *dma_map_contig(const struct dma_ctx *ctx, uint64_t iova, uint64_t len, unsigned access)
{
	uint64_t done = 0, got;
	uint8_t *first = NULL;

	while (done < len) {
		uint8_t *p = dma_map_prefix(ctx, iova + done, len - done, access, &got);

		if (!p || (first && p != first + done))
			return NULL;
		if (!first)
			first = p;
		done += got;
	}
	return first;
}

uint64_t dma_begin(const struct dma_ctx *ctx)
{
	return ctx->ops && ctx->ops->begin ? ctx->ops->begin(ctx->opaque) : 0;
}

void dma_end(const struct dma_ctx *ctx)
{
	if (ctx->ops && ctx->ops->end)
		ctx->ops->end(ctx->opaque);
}

static int dma_copy(const struct dma_ctx *ctx, uint64_t iova, void *buf, size_t len,
		    bool write)
{
	uint64_t last, got;
	uint8_t *b = buf;

	if (!len)
		return 0;
	if (__builtin_add_overflow(iova, (uint64_t)len - 1, &last))
		return -EFAULT;
	while (len) {
		uint8_t *p = dma_map_prefix(ctx, iova, len,
					    write ? DMA_ACCESS_WRITE : DMA_ACCESS_READ, &got);

		if (!p)
			return -EFAULT;
		if (write)
			memcpy(p, b, got);
		else
			memcpy(b, p, got);
		b += got;
		iova += got;
		len -= got;
	}
	return 0;
}

int dma_read(const struct dma_ctx *ctx, uint64_t iova, void *buf, size_t len)
{
	return dma_copy(ctx, iova, buf, len, false);
}

int dma_write(const struct dma_ctx *ctx, uint64_t iova, const void *buf, size_t len)
{
	return dma_copy(ctx, iova, (void *)buf, len, true);
}

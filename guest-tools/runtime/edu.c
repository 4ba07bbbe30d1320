// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu device driver. Registers below 0x80 take 32-bit accesses; the DMA
 * registers take 32- or 64-bit ones (addresses are written as 64-bit). DMA
 * runs asynchronously (QEMU: ~100 ms later); we poll the command register.
 */
#include "edu.h"

#include "errno.h"
#include "io.h"

#define FACT_TIMEOUT_MS 2000

int edu_find(unsigned index, struct pci_func *out)
{
	return pci_find(EDU_VENDOR_ID, EDU_DEVICE_ID, index, out);
}

int edu_open(struct edu *e, const struct pci_func *f)
{
	int rc;

	e->pci = *f;
	if (f->bar[0].is_io || !f->bar[0].size)
		return -ENODEV;
	rc = pci_map_bar(f, 0);
	if (rc)
		return rc;
	e->mmio = f->bar[0].addr;
	pci_enable(f->bdf, PCI_CMD_MEM | PCI_CMD_MASTER);
	return 0;
}

uint32_t edu_id(const struct edu *e)
{
	return mmio_read32(e->mmio + EDU_REG_IDENT);
}

bool edu_alive(const struct edu *e)
{
	static const uint32_t pats[] = { 0x12345678u, 0xffffffffu, 0u, 0xa5a55a5au };
	unsigned i;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		mmio_write32(e->mmio + EDU_REG_LIVENESS, pats[i]);
		if (mmio_read32(e->mmio + EDU_REG_LIVENESS) != ~pats[i])
			return false;
	}
	return true;
}

int edu_factorial(const struct edu *e, uint32_t n, uint32_t *out)
{
	struct timeout t;

	mmio_write32(e->mmio + EDU_REG_FACT, n);
	timeout_start(&t, FACT_TIMEOUT_MS);
	while (mmio_read32(e->mmio + EDU_REG_STATUS) & EDU_STATUS_COMPUTING) {
		if (timeout_expired(&t))
			return -ETIMEDOUT;
	}
	*out = mmio_read32(e->mmio + EDU_REG_FACT);
	return 0;
}

static bool dma_busy(const struct edu *e)
{
	return mmio_read32(e->mmio + EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN;
}

int edu_dma(const struct edu *e, uint64_t src, uint64_t dst, uint32_t count, uint32_t cmd)
{
	struct timeout t;

	if (dma_busy(e))
		return -EBUSY;
	mmio_write64(e->mmio + EDU_REG_DMA_SRC, src);
	mmio_write64(e->mmio + EDU_REG_DMA_DST, dst);
	mmio_write32(e->mmio + EDU_REG_DMA_COUNT, count);
	barrier();	/* the DMA may read the buffer we just filled */
	mmio_write32(e->mmio + EDU_REG_DMA_CMD, cmd | EDU_DMA_CMD_RUN);
	timeout_start(&t, EDU_DMA_TIMEOUT_MS);
	while (dma_busy(e)) {
		if (timeout_expired(&t))
			return -ETIMEDOUT;
	}
	barrier();	/* read RAM only after the device is done */
	return 0;
}

int edu_dma_to_dev(const struct edu *e, uint64_t iova, uint32_t off, uint32_t count)
{
	return edu_dma(e, iova, (uint64_t)EDU_DMA_BUF_ADDR + off, count, 0);
}

int edu_dma_to_ram(const struct edu *e, uint32_t off, uint64_t iova, uint32_t count)
{
	return edu_dma(e, (uint64_t)EDU_DMA_BUF_ADDR + off, iova, count, EDU_DMA_CMD_TO_RAM);
}

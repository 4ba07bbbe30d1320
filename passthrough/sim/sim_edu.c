// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated assignable edu device (QEMU hw/misc/edu.c register layout) behind
 * pdev_ops. Register side effects run synchronously under the device lock:
 * factorial is computed at once, and a DMA command completes before the write
 * returns. DMA addresses on the RAM side are IOVAs translated by the simulated
 * host IOMMU for this device; a refused transfer sets EDU_STATUS_DMA_FAULT.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/sim/sim_edu.h"

#define PCI_COMMAND_MASTER	0x04

struct sim_edu {
	pthread_mutex_t lock;		/* protects everything below */
	struct sim_iommu *sim;
	struct hiopt_dev *hdev;
	struct pdev pdev;
	uint8_t cfg[EDU_CFG_SIZE];
	uint32_t addr4;
	uint32_t fact;
	uint32_t status;
	uint32_t irq_status;
	uint64_t dma_src;
	uint64_t dma_dst;
	uint64_t dma_cnt;
	uint64_t dma_cmd;
	uint64_t dma_mask;
	int msi_fd;			/* our dup of the bound eventfd, -1 = none */
	uint8_t buf[EDU_DMA_BUF_SIZE];
};

/* Guest-writable bits of config space; everything else is read-only. */
static const uint8_t cfg_wmask[EDU_CFG_SIZE] = {
	[0x04] = 0x47, [0x05] = 0x05,		/* command: io/mem/master/perr, serr/intx-off */
	[0x12] = 0xf0, [0x13] = 0xff,		/* BAR0: 1 MiB, mem32 */
	[0x3c] = 0xff,				/* interrupt line */
	[EDU_MSI_CAP + 2] = 0x01,		/* MSI enable (one vector: MME stays 0) */
	[EDU_MSI_CAP + 4] = 0xfc, [EDU_MSI_CAP + 5] = 0xff,
	[EDU_MSI_CAP + 6] = 0xff, [EDU_MSI_CAP + 7] = 0xff,	/* address low */
	[EDU_MSI_CAP + 8] = 0xff, [EDU_MSI_CAP + 9] = 0xff,
	[EDU_MSI_CAP + 10] = 0xff, [EDU_MSI_CAP + 11] = 0xff,	/* address high */
	[EDU_MSI_CAP + 12] = 0xff, [EDU_MSI_CAP + 13] = 0xff,	/* data */
};

static void put_le(uint8_t *p, uint64_t v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = len; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static void cfg_init(uint8_t *c)
{
	memset(c, 0, EDU_CFG_SIZE);
	put_le(c + 0x00, EDU_VENDOR_ID, 2);
	put_le(c + 0x02, EDU_DEVICE_ID, 2);
	put_le(c + 0x06, 0x0010, 2);		/* status: capability list */
	c[0x08] = EDU_REVISION;
	put_le(c + 0x09, EDU_CLASS, 3);		/* prog-if, subclass, base class */
	put_le(c + 0x2c, 0x1af4, 2);		/* subsystem vendor/device as QEMU */
	put_le(c + 0x2e, 0x1100, 2);
	c[0x34] = EDU_MSI_CAP;
	c[0x3d] = 1;				/* INTA# */
	c[EDU_MSI_CAP] = 0x05;			/* MSI, last capability */
	put_le(c + EDU_MSI_CAP + 2, 0x0080, 2);	/* 64-bit capable, 1 vector */
}

/* Power-on state of registers and config space; the eventfd binding stays. */
static void edu_reset_locked(struct sim_edu *edu)
{
	cfg_init(edu->cfg);
	edu->addr4 = 0;
	edu->fact = 0;
	edu->status = 0;
	edu->irq_status = 0;
	edu->dma_src = edu->dma_dst = edu->dma_cnt = edu->dma_cmd = 0;
	memset(edu->buf, 0, sizeof(edu->buf));
}

static void raise_irq_locked(struct sim_edu *edu, uint32_t val)
{
	uint64_t one = 1;

	edu->irq_status |= val;
	if (edu->irq_status && edu->msi_fd >= 0 &&
	    write(edu->msi_fd, &one, sizeof(one)) != sizeof(one)) {
		/* eventfd full (2^64-2 pending): the interrupt is already pending */
	}
}

static void factorial_locked(struct sim_edu *edu, uint32_t n)
{
	uint32_t r = 1;

	if (edu->status & EDU_STATUS_COMPUTING)
		return;
	/* n! mod 2^32 is 0 from 34 on (34! has 32 factors of two). */
	if (n >= 34)
		r = 0;
	while (n > 1 && n < 34)
		r *= n--;
	edu->fact = r;
	if (edu->status & EDU_STATUS_IRQFACT)
		raise_irq_locked(edu, EDU_IRQ_FACT);
}

static bool buf_range_ok(uint64_t addr, uint64_t cnt)
{
	return addr >= EDU_DMA_BUF_ADDR && cnt <= EDU_DMA_BUF_SIZE &&
	       addr - EDU_DMA_BUF_ADDR <= EDU_DMA_BUF_SIZE - cnt;
}

/* One DMA command, to completion. RAM-side addresses are IOVAs. */
static void dma_run_locked(struct sim_edu *edu)
{
	bool to_ram = edu->dma_cmd & EDU_DMA_CMD_TO_RAM;
	uint64_t dev = to_ram ? edu->dma_src : edu->dma_dst;
	uint64_t iova = (to_ram ? edu->dma_dst : edu->dma_src) & edu->dma_mask;
	int rc = -EINVAL;
	uint8_t *b;

	edu->status &= ~EDU_STATUS_DMA_FAULT;
	if (buf_range_ok(dev, edu->dma_cnt) && (edu->cfg[0x04] & PCI_COMMAND_MASTER)) {
		b = edu->buf + (dev - EDU_DMA_BUF_ADDR);
		if (to_ram)
			rc = sim_iommu_dma_write(edu->sim, edu->hdev, iova, b, edu->dma_cnt);
		else
			rc = sim_iommu_dma_read(edu->sim, edu->hdev, iova, b, edu->dma_cnt);
	}
	if (rc)
		edu->status |= EDU_STATUS_DMA_FAULT;
	edu->dma_cmd &= ~(uint64_t)EDU_DMA_CMD_RUN;
	/* Raised on failure too, so an interrupt-driven driver sees the error. */
	if (edu->dma_cmd & EDU_DMA_CMD_IRQ)
		raise_irq_locked(edu, EDU_IRQ_DMA);
}

static bool size_ok(uint64_t off, size_t len)
{
	return off < 0x80 ? len == 4 : (len == 4 || len == 8);
}

static uint64_t reg_read_locked(struct sim_edu *edu, uint64_t off, size_t len)
{
	if (!size_ok(off, len))
		return ~0ull;
	switch (off) {
	case EDU_REG_IDENT:	return EDU_IDENT;
	case EDU_REG_LIVENESS:	return edu->addr4;
	case EDU_REG_FACT:	return edu->fact;
	case EDU_REG_STATUS:	return edu->status;
	case EDU_REG_IRQ_STATUS:	return edu->irq_status;
	case EDU_REG_DMA_SRC:	return edu->dma_src;
	case EDU_REG_DMA_DST:	return edu->dma_dst;
	case EDU_REG_DMA_COUNT:	return edu->dma_cnt;
	case EDU_REG_DMA_CMD:	return edu->dma_cmd;
	default:		return ~0ull;
	}
}

static void reg_write_locked(struct sim_edu *edu, uint64_t off, size_t len, uint64_t val)
{
	if (!size_ok(off, len))
		return;
	switch (off) {
	case EDU_REG_LIVENESS:
		edu->addr4 = ~(uint32_t)val;
		break;
	case EDU_REG_FACT:
		factorial_locked(edu, (uint32_t)val);
		break;
	case EDU_REG_STATUS:
		edu->status = (edu->status & ~EDU_STATUS_IRQFACT) | (val & EDU_STATUS_IRQFACT);
		break;
	case EDU_REG_IRQ_RAISE:
		raise_irq_locked(edu, (uint32_t)val);
		break;
	case EDU_REG_IRQ_ACK:
		edu->irq_status &= ~(uint32_t)val;
		break;
	case EDU_REG_DMA_SRC:
		edu->dma_src = val;
		break;
	case EDU_REG_DMA_DST:
		edu->dma_dst = val;
		break;
	case EDU_REG_DMA_COUNT:
		edu->dma_cnt = val;
		break;
	case EDU_REG_DMA_CMD:
		if (val & EDU_DMA_CMD_RUN) {
			edu->dma_cmd = val;
			dma_run_locked(edu);
		}
		break;
	}
}

/* ---- pdev_ops ---- */

static int edu_region_info(void *d, unsigned idx, struct pdev_region_info *info)
{
	if (idx >= PDEV_NUM_REGIONS)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (idx == PDEV_REGION_BAR0)
		info->size = EDU_BAR_SIZE;
	else if (idx == PDEV_REGION_CONFIG)
		info->size = EDU_CFG_SIZE;
	if (info->size)
		info->flags = PDEV_REGION_F_READ | PDEV_REGION_F_WRITE;
	return 0;
}

/* Validates an access; returns the region size or 0 when refused. */
static uint64_t access_ok(unsigned idx, uint64_t off, size_t len)
{
	uint64_t size = idx == PDEV_REGION_BAR0 ? EDU_BAR_SIZE :
			idx == PDEV_REGION_CONFIG ? EDU_CFG_SIZE : 0;

	if (!size || !len || off >= size || len > size - off)
		return 0;
	if (idx == PDEV_REGION_BAR0 && len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	return size;
}

static ssize_t edu_region_read(void *d, unsigned idx, uint64_t off, void *buf, size_t len)
{
	struct sim_edu *edu = d;

	if (!access_ok(idx, off, len))
		return -EINVAL;
	pthread_mutex_lock(&edu->lock);
	if (idx == PDEV_REGION_CONFIG)
		memcpy(buf, edu->cfg + off, len);
	else
		put_le(buf, reg_read_locked(edu, off, len), len);
	pthread_mutex_unlock(&edu->lock);
	return (ssize_t)len;
}

static ssize_t edu_region_write(void *d, unsigned idx, uint64_t off, const void *buf,
				size_t len)
{
	struct sim_edu *edu = d;
	const uint8_t *p = buf;
	size_t i;

	if (!access_ok(idx, off, len))
		return -EINVAL;
	pthread_mutex_lock(&edu->lock);
	if (idx == PDEV_REGION_CONFIG) {
		for (i = 0; i < len; i++) {
			uint8_t m = cfg_wmask[off + i];

			edu->cfg[off + i] = (edu->cfg[off + i] & ~m) | (p[i] & m);
		}
	} else {
		reg_write_locked(edu, off, len, get_le(p, len));
	}
	pthread_mutex_unlock(&edu->lock);
	return (ssize_t)len;
}

static void *edu_region_mmap(void *d, unsigned idx, uint64_t size)
{
	return NULL;	/* registers have side effects: always trapped */
}

static void edu_region_munmap(void *d, unsigned idx, void *addr, uint64_t size)
{
}

static int edu_irq_count(void *d, unsigned type)
{
	return type == PDEV_IRQ_MSI ? 1 : 0;
}

static void unbind_locked(struct sim_edu *edu)
{
	if (edu->msi_fd >= 0)
		close(edu->msi_fd);
	edu->msi_fd = -1;
}

static int edu_set_irqs(void *d, unsigned type, unsigned start, unsigned count,
			const int *fds)
{
	struct sim_edu *edu = d;
	int fd = -1;

	if (type != PDEV_IRQ_MSI || (count && (start != 0 || count != 1 || !fds)))
		return -EINVAL;
	if (count && fds[0] >= 0) {
		fd = dup(fds[0]);	/* like VFIO's eventfd_ctx_fdget(): we hold our own */
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&edu->lock);
	unbind_locked(edu);
	edu->msi_fd = fd;
	pthread_mutex_unlock(&edu->lock);
	return 0;
}

static int edu_reset(void *d)
{
	struct sim_edu *edu = d;

	pthread_mutex_lock(&edu->lock);
	edu_reset_locked(edu);
	pthread_mutex_unlock(&edu->lock);
	return 0;
}

static struct hiopt_dev *edu_hiopt_dev(void *d)
{
	return ((struct sim_edu *)d)->hdev;
}

static const char *edu_name(void *d)
{
	return "sim-edu";
}

static const struct pdev_ops sim_edu_ops = {
	.region_info = edu_region_info,
	.region_read = edu_region_read,
	.region_write = edu_region_write,
	.region_mmap = edu_region_mmap,
	.region_munmap = edu_region_munmap,
	.irq_count = edu_irq_count,
	.set_irqs = edu_set_irqs,
	.reset = edu_reset,
	.hiopt_dev = edu_hiopt_dev,
	.name = edu_name,
};

struct sim_edu *sim_edu_create(struct sim_iommu *sim)
{
	struct sim_edu *edu;

	edu = calloc(1, sizeof(*edu));
	if (!edu)
		return NULL;
	edu->hdev = sim_iommu_dev_create(sim);
	if (!edu->hdev) {
		free(edu);
		return NULL;
	}
	pthread_mutex_init(&edu->lock, NULL);
	edu->sim = sim;
	edu->msi_fd = -1;
	edu->dma_mask = EDU_DMA_MASK_DEFAULT;
	edu->pdev.ops = &sim_edu_ops;
	edu->pdev.d = edu;
	edu_reset_locked(edu);
	return edu;
}

void sim_edu_destroy(struct sim_edu *edu)
{
	if (!edu)
		return;
	unbind_locked(edu);
	sim_iommu_dev_destroy(edu->sim, edu->hdev);
	pthread_mutex_destroy(&edu->lock);
	free(edu);
}

const struct pdev *sim_edu_pdev(struct sim_edu *edu)
{
	return &edu->pdev;
}

struct hiopt_dev *sim_edu_hiopt_dev(struct sim_edu *edu)
{
	return edu->hdev;
}

void sim_edu_set_dma_mask(struct sim_edu *edu, uint64_t mask)
{
	pthread_mutex_lock(&edu->lock);
	edu->dma_mask = mask;
	pthread_mutex_unlock(&edu->lock);
}

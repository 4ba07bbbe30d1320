// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulated edu DMA device (register map in edu.h, after QEMU's edu).
 * vCPU threads only latch registers and kick an eventfd; the factorial and
 * DMA run on the device's event loop (or inline when there is none). DMA
 * reaches guest memory only through dma_read/dma_write on the device's
 * dma_ctx; interrupts are MSI messages sent through the host bridge's sink.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/dma.h"
#include "vmm/edu.h"
#include "vmm/evloop.h"
#include "vmm/msi.h"
#include "vmm/pci.h"
#include "vmm/pci_internal.h"

#define PCI_CAP_ID_MSI		0x05
#define MSI_CAP_LEN		14	/* 64-bit address, no per-vector masking */
#define MSI_CTRL		2
#define MSI_ADDR_LO		4
#define MSI_ADDR_HI		8
#define MSI_DATA		12
#define MSI_CTRL_ENABLE		0x0001
#define MSI_CTRL_64BIT		0x0080

struct edu {
	struct pci_dev pci;
	struct evloop *loop;		/* NULL: work runs inline */
	int kick_fd;			/* eventfd on loop, -1 without loop */
	int msi_cap;			/* config offset of the MSI capability */
	/*
	 * Protects everything below. Taken before pci.lock (bus_master_off,
	 * msi_snapshot) and the IOMMU's access window, never after them, and
	 * never held while sending an MSI. While dma_cmd has RUN set, the
	 * DMA registers are frozen (guest writes are dropped) and only the
	 * worker touches buf.
	 */
	pthread_mutex_t lock;
	struct dma_ctx dma;
	uint32_t liveness;
	uint32_t fact;
	uint32_t status;		/* EDU_STATUS_* */
	uint32_t irq_status;
	uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
	uint8_t buf[EDU_DMA_BUF_SIZE];
};

/* ------------------------------------------------------------ interrupts */

struct msi_msg {
	bool enabled;
	uint64_t addr;
	uint32_t data;
};

static uint32_t cfg_le(const struct pci_dev *dev, unsigned off, unsigned n)
{
	uint32_t v = 0;

	while (n--)
		v = (v << 8) | dev->cfg[off + n];
	return v;
}

static void msi_snapshot(struct edu *e, struct msi_msg *m, bool *master)
{
	unsigned c = (unsigned)e->msi_cap;

	pthread_mutex_lock(&e->pci.lock);
	m->enabled = cfg_le(&e->pci, c + MSI_CTRL, 2) & MSI_CTRL_ENABLE;
	m->addr = cfg_le(&e->pci, c + MSI_ADDR_LO, 4) |
		  (uint64_t)cfg_le(&e->pci, c + MSI_ADDR_HI, 4) << 32;
	m->data = cfg_le(&e->pci, c + MSI_DATA, 2);
	*master = e->pci.cfg[PCI_COMMAND] & PCI_CMD_MASTER;
	pthread_mutex_unlock(&e->pci.lock);
}

/* An MSI is a memory write by the device: it needs MSI enabled and bus
 * mastering on. INTx is not emulated. Called without e->lock. */
static void edu_signal(struct edu *e)
{
	struct msi_msg m;
	bool master;

	msi_snapshot(e, &m, &master);
	if (m.enabled && master && e->pci.host)
		msi_send(pci_host_msi(e->pci.host), m.addr, m.data, pci_dev_bdf(&e->pci));
}

/* OR bits into irq_status; returns whether the guest must be signalled. */
static bool raise_locked(struct edu *e, uint32_t bits)
{
	e->irq_status |= bits;
	return e->irq_status != 0;
}

static int msi_cap_add(struct pci_dev *dev)
{
	int off = pci_dev_add_cap(dev, PCI_CAP_ID_MSI, MSI_CAP_LEN);

	if (off < 0)
		return off;
	dev->cfg[off + MSI_CTRL] = MSI_CTRL_64BIT;	/* 1 vector: MMC = 0 */
	dev->wmask[off + MSI_CTRL] = MSI_CTRL_ENABLE;
	dev->wmask[off + MSI_ADDR_LO] = 0xfc;		/* dword aligned */
	memset(&dev->wmask[off + MSI_ADDR_LO + 1], 0xff, 7);
	memset(&dev->wmask[off + MSI_DATA], 0xff, 2);
	return off;
}

/* ------------------------------------------------------------- the work */

static uint32_t factorial(uint32_t n)
{
	uint32_t r = 1;

	/* Modulo 2^32 as QEMU computes it; once 2^32 divides the product it
	 * stays 0, which bounds the loop for huge n. */
	while (n > 0 && r)
		r *= n--;
	return r;
}

/* Device-buffer offset for [addr, addr+cnt), or -1 if it leaves the buffer. */
static long buf_offset(uint64_t addr, uint64_t cnt)
{
	uint64_t off;

	if (addr < EDU_DMA_BUF_ADDR || cnt > EDU_DMA_BUF_SIZE)
		return -1;
	off = addr - EDU_DMA_BUF_ADDR;
	if (off > EDU_DMA_BUF_SIZE - cnt)
		return -1;
	return (long)off;
}

static bool bus_master_off(struct edu *e)
{
	bool master;

	pthread_mutex_lock(&e->pci.lock);
	master = e->pci.cfg[PCI_COMMAND] & PCI_CMD_MASTER;
	pthread_mutex_unlock(&e->pci.lock);
	return !master;
}

/* One transfer inside one access window: an UNMAP or DETACH of its target
 * either completes before it starts or waits until it is done. */
static int dma_transfer(const struct dma_ctx *dma, uint64_t ram_addr, void *buf, size_t len,
			bool to_ram)
{
	int ret;

	dma_begin(dma);
	ret = to_ram ? dma_write(dma, ram_addr, buf, len) : dma_read(dma, ram_addr, buf, len);
	dma_end(dma);
	return ret;
}

/* Run the latched DMA command; returns whether to signal. Called with
 * e->lock held; takes pci.lock briefly (never the other way round). */
static bool dma_run_locked(struct edu *e)
{
	bool to_ram = e->dma_cmd & EDU_DMA_CMD_TO_RAM;
	uint64_t dev_addr = to_ram ? e->dma_src : e->dma_dst;
	uint64_t ram_addr = to_ram ? e->dma_dst : e->dma_src;
	long off = buf_offset(dev_addr, e->dma_cnt);
	int ret = 0;

	if (off < 0)
		;	/* outside the device buffer: the transfer does nothing */
	else if (!e->dma_cnt)
		;
	else if (bus_master_off(e))
		ret = -EPERM;
	else
		ret = dma_transfer(&e->dma, ram_addr, e->buf + off, (size_t)e->dma_cnt, to_ram);
	if (ret)
		e->status |= EDU_STATUS_DMA_FAULT;
	e->dma_cmd &= ~(uint64_t)EDU_DMA_CMD_RUN;
	return (e->dma_cmd & EDU_DMA_CMD_IRQ) && raise_locked(e, EDU_IRQ_DMA);
}

static bool fact_run_locked(struct edu *e)
{
	e->fact = factorial(e->fact);
	e->status &= ~(uint32_t)EDU_STATUS_COMPUTING;
	return (e->status & EDU_STATUS_IRQFACT) && raise_locked(e, EDU_IRQ_FACT);
}

static void edu_work(struct edu *e)
{
	bool signal = false;

	pthread_mutex_lock(&e->lock);
	if (e->status & EDU_STATUS_COMPUTING)
		signal |= fact_run_locked(e);
	if (e->dma_cmd & EDU_DMA_CMD_RUN)
		signal |= dma_run_locked(e);
	pthread_mutex_unlock(&e->lock);
	if (signal)
		edu_signal(e);
}

static void edu_kick_cb(void *opaque)
{
	struct edu *e = opaque;
	uint64_t v;

	if (read(e->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	edu_work(e);
}

/* After a register write that started work: hand it to the loop. */
static void edu_kick(struct edu *e)
{
	uint64_t one = 1;

	if (e->kick_fd < 0) {
		edu_work(e);
		return;
	}
	/* The counter cannot overflow in practice; a failed kick would only
	 * leave the device busy, which the guest can observe. */
	if (write(e->kick_fd, &one, sizeof(one)) < 0)
		return;
}

/* ------------------------------------------------------------ registers */

static bool access_ok(uint64_t off, uint32_t len)
{
	return off < EDU_REG_DMA_SRC ? len == 4 : (len == 4 || len == 8);
}

static uint64_t *dma_reg(struct edu *e, uint64_t off)
{
	switch (off) {
	case EDU_REG_DMA_SRC:	return &e->dma_src;
	case EDU_REG_DMA_DST:	return &e->dma_dst;
	case EDU_REG_DMA_COUNT:	return &e->dma_cnt;
	case EDU_REG_DMA_CMD:	return &e->dma_cmd;
	default:		return NULL;
	}
}

static uint64_t reg_read_locked(struct edu *e, uint64_t off)
{
	uint64_t *r = dma_reg(e, off);

	switch (off) {
	case EDU_REG_IDENT:		return EDU_IDENT;
	case EDU_REG_LIVENESS:		return e->liveness;
	case EDU_REG_FACT:		return e->fact;
	case EDU_REG_STATUS:		return e->status;
	case EDU_REG_IRQ_STATUS:	return e->irq_status;
	default:			return r ? *r : ~0ULL;
	}
}

static void edu_mmio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct edu *e = opaque;
	uint64_t v = ~0ULL;

	if (access_ok(off, len)) {
		pthread_mutex_lock(&e->lock);
		v = reg_read_locked(e, off);
		pthread_mutex_unlock(&e->lock);
	}
	memcpy(data, &v, len <= sizeof(v) ? len : sizeof(v));
}

static void status_write_locked(struct edu *e, uint32_t v)
{
	if (v & EDU_STATUS_IRQFACT)
		e->status |= EDU_STATUS_IRQFACT;
	else
		e->status &= ~(uint32_t)EDU_STATUS_IRQFACT;
	e->status &= ~(v & EDU_STATUS_DMA_FAULT);	/* write 1 to clear */
}

/* A DMA register write; returns whether it started a transfer. Registers
 * are frozen while a transfer is pending. */
static bool dma_write_locked(struct edu *e, uint64_t off, uint64_t v)
{
	if (e->dma_cmd & EDU_DMA_CMD_RUN)
		return false;
	if (off == EDU_REG_DMA_CMD && !(v & EDU_DMA_CMD_RUN))
		return false;
	*dma_reg(e, off) = v;
	return off == EDU_REG_DMA_CMD;
}

/* What a register write asks of the caller once the lock is dropped. */
enum edu_action { EDU_NOTHING, EDU_KICK, EDU_SIGNAL };

static enum edu_action reg_write_locked(struct edu *e, uint64_t off, uint64_t v)
{
	switch (off) {
	case EDU_REG_LIVENESS:
		e->liveness = ~(uint32_t)v;
		return EDU_NOTHING;
	case EDU_REG_FACT:
		if (e->status & EDU_STATUS_COMPUTING)
			return EDU_NOTHING;
		e->fact = (uint32_t)v;
		e->status |= EDU_STATUS_COMPUTING;
		return EDU_KICK;
	case EDU_REG_STATUS:
		status_write_locked(e, (uint32_t)v);
		return EDU_NOTHING;
	case EDU_REG_IRQ_RAISE:
		return raise_locked(e, (uint32_t)v) ? EDU_SIGNAL : EDU_NOTHING;
	case EDU_REG_IRQ_ACK:
		e->irq_status &= ~(uint32_t)v;
		return EDU_NOTHING;
	default:
		return dma_reg(e, off) && dma_write_locked(e, off, v) ? EDU_KICK : EDU_NOTHING;
	}
}

static void edu_mmio_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct edu *e = opaque;
	uint64_t v = 0;
	enum edu_action action;

	if (!access_ok(off, len))
		return;
	memcpy(&v, data, len);
	pthread_mutex_lock(&e->lock);
	action = reg_write_locked(e, off, v);
	pthread_mutex_unlock(&e->lock);
	if (action == EDU_KICK)
		edu_kick(e);
	else if (action == EDU_SIGNAL)
		edu_signal(e);
}

static const struct bus_ops edu_mmio_ops = {
	.read = edu_mmio_read,
	.write = edu_mmio_write,
};

/* ------------------------------------------------------------ lifecycle */

static int edu_pci_init(struct edu *e)
{
	int ret;

	pci_dev_init(&e->pci, EDU_VENDOR_ID, EDU_DEVICE_ID, EDU_CLASS, EDU_REVISION, NULL, e);
	ret = pci_dev_add_bar(&e->pci, 0, EDU_BAR_SIZE, PCI_BAR_MEM32, &edu_mmio_ops, e);
	if (ret)
		return ret;
	e->msi_cap = msi_cap_add(&e->pci);
	return e->msi_cap < 0 ? e->msi_cap : 0;
}

static int edu_loop_init(struct edu *e, struct evloop *loop)
{
	int ret;

	e->kick_fd = -1;
	if (!loop)
		return 0;
	e->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->kick_fd < 0)
		return -errno;
	ret = evloop_add(loop, e->kick_fd, edu_kick_cb, e);
	if (ret) {
		close(e->kick_fd);
		e->kick_fd = -1;
		return ret;
	}
	e->loop = loop;
	return 0;
}

static void edu_loop_fini(struct edu *e)
{
	if (e->kick_fd < 0)
		return;
	evloop_del(e->loop, e->kick_fd);
	close(e->kick_fd);
	e->kick_fd = -1;
}

struct edu *edu_create(struct pci_host *host, struct evloop *loop,
		       const struct dma_ctx *dma, int slot)
{
	struct edu *e;
	int ret;

	if (!host || !dma || !dma->mem) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	ret = edu_pci_init(e);
	if (ret)
		goto err_free;
	ret = edu_loop_init(e, loop);
	if (ret)
		goto err_free;
	e->dma = *dma;
	ret = pci_host_register(host, &e->pci, slot);
	if (ret < 0)
		goto err_loop;
	e->dma.endpoint = pci_dev_bdf(&e->pci);
	return e;

err_loop:
	edu_loop_fini(e);
err_free:
	pthread_mutex_destroy(&e->pci.lock);
	pthread_mutex_destroy(&e->lock);
	free(e);
	errno = -ret;
	return NULL;
}

void edu_destroy(struct edu *e)
{
	if (!e)
		return;
	/* Unregister first so no vCPU can kick, then stop the loop's use. */
	if (e->pci.host)
		pci_host_unregister(e->pci.host, &e->pci);
	edu_loop_fini(e);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->pci.lock);
	free(e);
}


uint16_t edu_bdf(const struct edu *e)
{
	return pci_dev_bdf(&e->pci);
}

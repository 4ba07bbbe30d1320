// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X for emulated PCI functions: the capability, the vector table (16 bytes
 * a vector: address, data, vector control), the pending-bit array, and
 * delivery through the host's msi_sink. Messages are sent after dev->lock is
 * dropped, so a sink may take any lock it likes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/pci.h"
#include "vmm/pci_internal.h"

#define MSIX_ENTRY_SIZE		16
#define MSIX_VEC_CTRL		12
#define MSIX_MAX_VECTORS	2048

struct msix_msg {
	uint64_t addr;
	uint32_t data;
	bool valid;
};

static uint32_t pba_bytes(uint16_t nvec)
{
	return (nvec + 63u) / 64u * 8u;
}

static uint16_t msix_ctrl_locked(const struct pci_dev *dev)
{
	return dev->cfg[dev->msix.cap + 2] | dev->cfg[dev->msix.cap + 3] << 8;
}

static bool vector_open_locked(const struct pci_dev *dev, uint16_t v)
{
	uint16_t ctrl = msix_ctrl_locked(dev);

	return (ctrl & PCI_MSIX_CTRL_ENABLE) && !(ctrl & PCI_MSIX_CTRL_MASKALL) &&
	       !(dev->msix.table[v * MSIX_ENTRY_SIZE + MSIX_VEC_CTRL] & 1);
}

static bool pending_locked(const struct pci_dev *dev, uint16_t v)
{
	return dev->msix.pba[v / 64] & (1ULL << (v % 64));
}

static void set_pending_locked(struct pci_dev *dev, uint16_t v, bool on)
{
	if (on)
		dev->msix.pba[v / 64] |= 1ULL << (v % 64);
	else
		dev->msix.pba[v / 64] &= ~(1ULL << (v % 64));
}

static struct msix_msg msg_locked(const struct pci_dev *dev, uint16_t v)
{
	const uint8_t *e = &dev->msix.table[v * MSIX_ENTRY_SIZE];
	struct msix_msg m = { .valid = true };
	uint32_t lo, hi;

	memcpy(&lo, e, 4);
	memcpy(&hi, e + 4, 4);
	memcpy(&m.data, e + 8, 4);
	m.addr = (uint64_t)hi << 32 | lo;
	return m;
}

static void msg_send(struct pci_dev *dev, const struct msix_msg *m)
{
	struct pci_host *host = dev->host;

	if (m->valid && host)
		msi_send(pci_host_msi(host), m->addr, m->data, pci_dev_bdf(dev));
}

int pci_dev_add_msix(struct pci_dev *dev, uint16_t nvec, int bar,
		     uint32_t table_off, uint32_t pba_off)
{
	uint64_t tsize = (uint64_t)nvec * MSIX_ENTRY_SIZE, psize = pba_bytes(nvec);
	int cap;

	if (!nvec || nvec > MSIX_MAX_VECTORS || bar < 0 || bar >= PCI_NUM_BARS || dev->msix.nvec)
		return -EINVAL;
	if (!dev->bar[bar].size || (dev->bar[bar].type & PCI_BAR_IO) || ((table_off | pba_off) & 7))
		return -EINVAL;
	if (table_off + tsize > dev->bar[bar].size || pba_off + psize > dev->bar[bar].size)
		return -EINVAL;
	if (table_off < pba_off + psize && pba_off < table_off + tsize)
		return -EINVAL;
	dev->msix.table = calloc(nvec, MSIX_ENTRY_SIZE);
	dev->msix.pba = calloc(psize / 8, 8);
	cap = dev->msix.table && dev->msix.pba ? pci_dev_add_cap(dev, PCI_CAP_ID_MSIX, 12) : -ENOMEM;
	if (cap < 0)
		goto err_free;
	for (uint16_t v = 0; v < nvec; v++)
		dev->msix.table[v * MSIX_ENTRY_SIZE + MSIX_VEC_CTRL] = 1;	/* masked at reset */
	dev->msix = (struct pci_msix){ .nvec = nvec, .bar = bar, .table_off = table_off,
				       .pba_off = pba_off, .cap = cap, .table = dev->msix.table,
				       .pba = dev->msix.pba };
	dev->cfg[cap + 2] = (nvec - 1) & 0xff;
	dev->cfg[cap + 3] = (nvec - 1) >> 8;
	dev->wmask[cap + 3] = (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL) >> 8;
	for (int i = 0; i < 4; i++) {
		dev->cfg[cap + 4 + i] = (table_off | bar) >> (8 * i);
		dev->cfg[cap + 8 + i] = (pba_off | bar) >> (8 * i);
	}
	return 0;
err_free:
	free(dev->msix.table);
	free(dev->msix.pba);
	dev->msix.table = NULL;
	dev->msix.pba = NULL;
	return cap;
}

/* One aligned dword/qword access inside the table. */
static void table_access(struct pci_dev *dev, uint64_t off, void *data, uint32_t len,
			 bool is_write)
{
	uint16_t v = off / MSIX_ENTRY_SIZE;
	struct msix_msg m = { 0 };
	uint8_t *ctrl;

	if ((len != 4 && len != 8) || (off & (len - 1))) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	if (!is_write) {
		memcpy(data, &dev->msix.table[off], len);
		goto out;
	}
	memcpy(&dev->msix.table[off], data, len);
	ctrl = &dev->msix.table[v * MSIX_ENTRY_SIZE + MSIX_VEC_CTRL];
	ctrl[0] &= 1;		/* bits 31:1 of vector control are reserved */
	memset(ctrl + 1, 0, 3);
	if (pending_locked(dev, v) && vector_open_locked(dev, v)) {
		set_pending_locked(dev, v, false);
		m = msg_locked(dev, v);
	}
out:
	pthread_mutex_unlock(&dev->lock);
	msg_send(dev, &m);
}

bool pci_msix_access(struct pci_dev *dev, int bar, uint64_t off, void *data,
		     uint32_t len, bool is_write)
{
	struct pci_msix *x = &dev->msix;
	uint64_t tsize = (uint64_t)x->nvec * MSIX_ENTRY_SIZE;

	if (!x->nvec || bar != x->bar)
		return false;
	if (off >= x->table_off && off - x->table_off < tsize) {
		if (off - x->table_off + len > tsize) {
			if (!is_write)
				memset(data, 0xff, len);
			return true;
		}
		table_access(dev, off - x->table_off, data, len, is_write);
		return true;
	}
	if (off < x->pba_off || off - x->pba_off >= pba_bytes(x->nvec))
		return false;
	if (is_write)
		return true;	/* the PBA is read-only */
	memset(data, 0, len);
	pthread_mutex_lock(&dev->lock);
	if (off - x->pba_off + len <= pba_bytes(x->nvec))
		memcpy(data, (uint8_t *)x->pba + (off - x->pba_off), len);
	pthread_mutex_unlock(&dev->lock);
	return true;
}

void pci_msix_notify(struct pci_dev *dev, uint16_t vector)
{
	struct msix_msg m = { 0 };

	pthread_mutex_lock(&dev->lock);
	if (vector < dev->msix.nvec) {
		if (vector_open_locked(dev, vector))
			m = msg_locked(dev, vector);
		else
			set_pending_locked(dev, vector, true);
	}
	pthread_mutex_unlock(&dev->lock);
	msg_send(dev, &m);
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	bool on;

	pthread_mutex_lock(&dev->lock);
	on = dev->msix.nvec && (msix_ctrl_locked(dev) & PCI_MSIX_CTRL_ENABLE);
	pthread_mutex_unlock(&dev->lock);
	return on;
}

void pci_msix_deliver_pending(struct pci_dev *dev)
{
	for (uint16_t v = 0;; v++) {
		struct msix_msg m = { 0 };
		bool done;

		pthread_mutex_lock(&dev->lock);
		done = v >= dev->msix.nvec;
		if (!done && pending_locked(dev, v) && vector_open_locked(dev, v)) {
			set_pending_locked(dev, v, false);
			m = msg_locked(dev, v);
		}
		pthread_mutex_unlock(&dev->lock);
		if (done)
			return;
		msg_send(dev, &m);
	}
}

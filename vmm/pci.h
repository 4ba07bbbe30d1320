/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI host bridge (one segment, bus 0): ECAM in MMIO space (described by MCFG)
 * and the legacy 0xCF8/0xCFC ports. The VMM is the firmware: it assigns BAR
 * addresses from the MMIO windows in layout.h when a device is registered and
 * enables decoding; the guest may move BARs, and the host bridge keeps the
 * MMIO/PIO buses and the memory map in step with the BAR registers.
 */
#ifndef IOSHADE_VMM_PCI_H
#define IOSHADE_VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/msi.h"

struct memmap;
struct pci_host;
struct pci_dev;

#define PCI_CFG_SIZE		4096
#define PCI_NUM_BARS		6
#define PCI_MAX_SLOTS		32

#define PCI_BAR_MEM32		0x0
#define PCI_BAR_MEM64		0x1
#define PCI_BAR_IO		0x2
#define PCI_BAR_PREFETCH	0x4

struct pci_bar {
	uint64_t size;			/* power of two, 0 = unused */
	uint64_t addr;			/* currently decoded address */
	unsigned type;			/* PCI_BAR_* */
	bool mapped;			/* registered on a bus / in the memmap */
	bool assigned;			/* belongs to a host (VFIO) device */
	const struct bus_ops *ops;	/* trapped access handlers */
	void *opaque;
	void *hva;			/* host-backed BAR (VFIO mmap), or NULL */
};

struct pci_dev_ops {
	/* Optional hooks around config space. cfg_read may patch *val after the
	 * emulated value was read; cfg_write runs after the write mask applied
	 * (with the value as the guest wrote it). Hooks run with the host's
	 * config lock held but not dev->lock; they must not call pci_host_*. */
	void (*cfg_read)(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t *val);
	void (*cfg_write)(struct pci_dev *dev, uint32_t off, uint32_t len, uint32_t val);
	/* A BAR moved or its decoding changed (for host-backed BARs). */
	void (*bar_remap)(struct pci_dev *dev, int bar);
};

struct pci_msix {
	uint16_t nvec;
	int bar;
	uint32_t table_off;
	uint32_t pba_off;
	uint8_t cap;			/* config offset of the capability */
	uint8_t *table;			/* nvec * 16 bytes */
	uint64_t *pba;
};

/*
 * A PCI function. Embed it in the device state; fill it with pci_dev_init
 * and the helpers below, then pci_host_register.
 */
struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE];	/* write-one-to-clear bits (status) */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_msix msix;
	uint8_t next_cap;		/* where the next capability goes */
	uint8_t devfn;			/* slot << 3 | function */
	struct pci_host *host;
	const struct pci_dev_ops *ops;
	void *opaque;
	pthread_mutex_t lock;		/* protects cfg, bar[], msix */
};

struct pci_host *pci_host_create(struct bus *pio, struct bus *mmio, struct memmap *map,
				 const struct msi_sink *msi);
void pci_host_destroy(struct pci_host *host);
/* Registers the bridge's own function (00.0) and the ECAM/0xCF8 handlers. */

/* Initialise a function: IDs, class code (base, sub, prog-if), header type 0. */
void pci_dev_init(struct pci_dev *dev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision,
		  const struct pci_dev_ops *ops, void *opaque);
/* Declare a BAR. size must be a power of two (>= 16 for memory, >= 4 for I/O). */
int pci_dev_add_bar(struct pci_dev *dev, int idx, uint64_t size, unsigned type,
		    const struct bus_ops *ops, void *opaque);
/* Append a capability of len bytes (header included); returns its offset or -errno. */
int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, uint8_t len);
/* MSI-X with nvec vectors, table and PBA in BAR bar at the given offsets. The
 * BAR must already exist and be large enough; its handlers must forward table
 * and PBA offsets to pci_msix_access. */
int pci_dev_add_msix(struct pci_dev *dev, uint16_t nvec, int bar,
		     uint32_t table_off, uint32_t pba_off);
/* Handle a guest access inside the MSI-X table/PBA; returns true if it was one. */
bool pci_msix_access(struct pci_dev *dev, int bar, uint64_t off, void *data,
		     uint32_t len, bool is_write);
/* Signal vector: sends the MSI if enabled and unmasked, else sets the PBA bit. */
void pci_msix_notify(struct pci_dev *dev, uint16_t vector);
bool pci_msix_enabled(struct pci_dev *dev);

/* Place dev at slot (or the first free slot when slot < 0), assign its BARs
 * and enable decoding. Returns the devfn or -errno. */
int pci_host_register(struct pci_host *host, struct pci_dev *dev, int slot);
/*
 * Take a free slot for a device that is created later (its BDF, slot << 3,
 * is its IOMMU endpoint ID, which its DMA context needs at creation).
 * Registering at that slot uses the reservation; automatic placement skips
 * it. The slot, or -ENOSPC. Release it if the device is never registered.
 */
int pci_host_reserve_slot(struct pci_host *host);
void pci_host_release_slot(struct pci_host *host, int slot);
/* Unmaps the BARs and releases what the pci_dev_* helpers allocated
 * (pci_dev_fini). Unregister every device before pci_host_destroy; the
 * destroy unregisters any left over. */
void pci_host_unregister(struct pci_host *host, struct pci_dev *dev);
/* Free the MSI-X table/PBA of a function that was never registered. */
void pci_dev_fini(struct pci_dev *dev);

/* Config access as the guest sees it (used by ECAM/CF8 and by tests). */
uint32_t pci_host_cfg_read(struct pci_host *host, uint8_t bus, uint8_t devfn,
			   uint32_t off, uint32_t len);
void pci_host_cfg_write(struct pci_host *host, uint8_t bus, uint8_t devfn,
			uint32_t off, uint32_t len, uint32_t val);

/* Iterate registered functions (for ACPI/VIOT). */
struct pci_dev *pci_host_dev(struct pci_host *host, int slot);

static inline uint16_t pci_dev_bdf(const struct pci_dev *dev) { return dev->devfn; }

#endif

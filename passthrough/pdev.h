/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host PCI device as the assignment layer (vfio_pci.c) sees it. Two
 * implementations: a VFIO cdev (ioctls on /dev/vfio/devices/vfioN) and the
 * simulated edu device in sim/. Everything above this table is shared, so a
 * simulated device is assigned through exactly the code path of a real one.
 * Region indices follow VFIO_PCI_*_REGION_INDEX: BARs 0-5, ROM 6, config 7.
 */
#ifndef IOSHADE_PASSTHROUGH_PDEV_H
#define IOSHADE_PASSTHROUGH_PDEV_H

#include <stdint.h>
#include <sys/types.h>

struct hiopt_dev;

#define PDEV_REGION_BAR0	0
#define PDEV_REGION_ROM		6
#define PDEV_REGION_CONFIG	7
#define PDEV_NUM_REGIONS	8

#define PDEV_REGION_F_READ	(1u << 0)
#define PDEV_REGION_F_WRITE	(1u << 1)
#define PDEV_REGION_F_MMAP	(1u << 2)

#define PDEV_IRQ_INTX		0
#define PDEV_IRQ_MSI		1
#define PDEV_IRQ_MSIX		2

struct pdev_region_info {
	uint64_t size;
	uint32_t flags;			/* PDEV_REGION_F_* */
};

struct pdev_ops {
	int (*region_info)(void *d, unsigned idx, struct pdev_region_info *info);
	ssize_t (*region_read)(void *d, unsigned idx, uint64_t off, void *buf, size_t len);
	ssize_t (*region_write)(void *d, unsigned idx, uint64_t off, const void *buf, size_t len);
	/* mmap the whole region, or NULL when it cannot be mmap'ed. */
	void *(*region_mmap)(void *d, unsigned idx, uint64_t size);
	void (*region_munmap)(void *d, unsigned idx, void *addr, uint64_t size);
	/* Number of vectors for PDEV_IRQ_*, 0 if unsupported. */
	int (*irq_count)(void *d, unsigned type);
	/* Bind eventfds to vectors [start, start+count); fd -1 unbinds one;
	 * count 0 disables the interrupt type. */
	int (*set_irqs)(void *d, unsigned type, unsigned start, unsigned count, const int *fds);
	int (*reset)(void *d);
	/* The handle the hiopt backend attaches to an IOAS/HWPT. */
	struct hiopt_dev *(*hiopt_dev)(void *d);
	const char *(*name)(void *d);
};

struct pdev {
	const struct pdev_ops *ops;
	void *d;
};

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the simulated assignable edu device: config space and regions as
 * a VFIO cdev shows them, QEMU edu register behaviour, DMA in both directions
 * through the simulated host IOMMU, the three DMA violations (bad-address,
 * bad-device, invalid-use) ending in a fault and a refused transfer, and the
 * MSI eventfd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "passthrough/sim/sim_edu.h"

#define MEM_SIZE	0x10000
#define IOVA		0x100000ull

struct fx {
	struct sim_iommu *sim;
	const struct hiopt *h;
	struct sim_edu *edu;
	const struct pdev *pd;
	uint32_t ioas;
	uint8_t *mem;
	int efd;
};

static uint64_t rd(struct fx *f, uint64_t off, size_t len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;
	size_t i;

	assert_int_equal(f->pd->ops->region_read(f->pd->d, PDEV_REGION_BAR0, off, b, len),
			 (ssize_t)len);
	for (i = len; i > 0; i--)
		v = (v << 8) | b[i - 1];
	return v;
}

static void wr(struct fx *f, uint64_t off, size_t len, uint64_t v)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	assert_int_equal(f->pd->ops->region_write(f->pd->d, PDEV_REGION_BAR0, off, b, len),
			 (ssize_t)len);
}

static uint32_t cfg_rd(struct fx *f, uint64_t off, size_t len)
{
	uint8_t b[4] = { 0 };

	assert_int_equal(f->pd->ops->region_read(f->pd->d, PDEV_REGION_CONFIG, off, b, len),
			 (ssize_t)len);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void cfg_wr(struct fx *f, uint64_t off, size_t len, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	assert_int_equal(f->pd->ops->region_write(f->pd->d, PDEV_REGION_CONFIG, off, b, len),
			 (ssize_t)len);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->sim = sim_iommu_create(NULL);
	f->h = sim_iommu_hiopt(f->sim);
	f->edu = sim_edu_create(f->sim);
	assert_non_null(f->edu);
	f->pd = sim_edu_pdev(f->edu);
	f->mem = aligned_alloc(4096, MEM_SIZE);
	memset(f->mem, 0, MEM_SIZE);
	assert_int_equal(f->h->ops->ioas_alloc(f->h->be, &f->ioas), 0);
	f->efd = eventfd(0, EFD_NONBLOCK);
	assert_true(f->efd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sim_edu_destroy(f->edu);
	sim_iommu_destroy(f->sim);
	close(f->efd);
	free(f->mem);
	free(f);
	return 0;
}

/* Attach, map [IOVA, IOVA+MEM_SIZE) -> mem with prot, enable bus mastering. */
static void wire(struct fx *f, unsigned prot)
{
	struct hiopt_dev *dev = f->pd->ops->hiopt_dev(f->pd->d);

	assert_ptr_equal(dev, sim_edu_hiopt_dev(f->edu));
	assert_int_equal(f->h->ops->device_attach(f->h->be, dev, f->ioas), 0);
	assert_int_equal(f->h->ops->map(f->h->be, f->ioas, IOVA, f->mem, MEM_SIZE, prot), 0);
	cfg_wr(f, 0x04, 2, 0x0006);
}

static void dma(struct fx *f, uint64_t src, uint64_t dst, uint64_t cnt, uint64_t cmd)
{
	wr(f, EDU_REG_DMA_SRC, 8, src);
	wr(f, EDU_REG_DMA_DST, 8, dst);
	wr(f, EDU_REG_DMA_COUNT, 8, cnt);
	wr(f, EDU_REG_DMA_CMD, 8, cmd | EDU_DMA_CMD_RUN);
}

static bool dma_failed(struct fx *f)
{
	return rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_DMA_FAULT;
}

static int nfaults(struct fx *f, struct hiopt_fault *flt)
{
	return f->h->ops->fault_read(f->h->be, flt, 4);
}

static uint64_t efd_count(struct fx *f)
{
	uint64_t v = 0;

	if (read(f->efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_config_and_regions(void **state)
{
	struct fx *f = *state;
	struct pdev_region_info info;
	uint8_t cap;
	uint8_t b[4];

	assert_int_equal(cfg_rd(f, 0x00, 2), EDU_VENDOR_ID);
	assert_int_equal(cfg_rd(f, 0x02, 2), EDU_DEVICE_ID);
	assert_int_equal(cfg_rd(f, 0x08, 4) >> 8, 0x00ff00);	/* class code */
	assert_true(cfg_rd(f, 0x06, 2) & 0x10);			/* capability list */
	cap = (uint8_t)cfg_rd(f, 0x34, 1);
	assert_int_equal(cfg_rd(f, cap, 1), 0x05);		/* MSI */
	assert_int_equal(cfg_rd(f, 0x10, 4), 0);
	cfg_wr(f, 0x10, 4, 0xffffffff);				/* BAR sizing */
	assert_int_equal(cfg_rd(f, 0x10, 4), 0xfff00000);	/* 1 MiB, mem32 */
	cfg_wr(f, 0x00, 4, 0);					/* read-only */
	assert_int_equal(cfg_rd(f, 0x00, 2), EDU_VENDOR_ID);

	assert_int_equal(f->pd->ops->region_info(f->pd->d, PDEV_REGION_BAR0, &info), 0);
	assert_int_equal(info.size, 1u << 20);
	assert_int_equal(info.flags, PDEV_REGION_F_READ | PDEV_REGION_F_WRITE);	/* no MMAP */
	assert_null(f->pd->ops->region_mmap(f->pd->d, PDEV_REGION_BAR0, 1u << 20));
	assert_int_equal(f->pd->ops->region_info(f->pd->d, PDEV_REGION_CONFIG, &info), 0);
	assert_int_equal(info.size, 256);
	assert_int_equal(f->pd->ops->region_info(f->pd->d, 1, &info), 0);
	assert_int_equal(info.size, 0);
	assert_int_equal(f->pd->ops->region_info(f->pd->d, 8, &info), -EINVAL);
	assert_int_equal(f->pd->ops->region_read(f->pd->d, PDEV_REGION_BAR0, 1u << 20, b, 4),
			 -EINVAL);
	assert_int_equal(f->pd->ops->region_read(f->pd->d, PDEV_REGION_CONFIG, 254, b, 4),
			 -EINVAL);
	assert_int_equal(f->pd->ops->irq_count(f->pd->d, PDEV_IRQ_MSI), 1);
	assert_int_equal(f->pd->ops->irq_count(f->pd->d, PDEV_IRQ_MSIX), 0);
	assert_string_equal(f->pd->ops->name(f->pd->d), "sim-edu");
}

static void test_registers(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, EDU_REG_IDENT, 4), EDU_IDENT);
	wr(f, EDU_REG_LIVENESS, 4, 0x12345678);
	assert_int_equal(rd(f, EDU_REG_LIVENESS, 4), ~0x12345678u);
	wr(f, EDU_REG_FACT, 4, 5);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 120);
	wr(f, EDU_REG_FACT, 4, 12);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 479001600);
	wr(f, EDU_REG_FACT, 4, 40);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 0);	/* mod 2^32 */
	assert_int_equal(rd(f, EDU_REG_STATUS, 4) & EDU_STATUS_COMPUTING, 0);
	/* below 0x80 only 32-bit accesses do anything */
	assert_int_equal(rd(f, EDU_REG_IDENT, 2), 0xffff);
	wr(f, EDU_REG_LIVENESS, 2, 0);
	assert_int_equal(rd(f, EDU_REG_LIVENESS, 4), ~0x12345678u);
	/* DMA registers take 64-bit accesses */
	wr(f, EDU_REG_DMA_SRC, 8, 0x1122334455667788ull);
	assert_int_equal(rd(f, EDU_REG_DMA_SRC, 8), 0x1122334455667788ull);
	assert_int_equal(rd(f, EDU_REG_DMA_SRC, 4), 0x55667788);
	assert_int_equal(rd(f, 0x40, 4), 0xffffffff);		/* unassigned */
	/* reset: power-on state */
	cfg_wr(f, 0x04, 2, 0x0006);
	assert_int_equal(f->pd->ops->reset(f->pd->d), 0);
	assert_int_equal(rd(f, EDU_REG_LIVENESS, 4), 0);
	assert_int_equal(rd(f, EDU_REG_FACT, 4), 0);
	assert_int_equal(rd(f, EDU_REG_DMA_SRC, 8), 0);
	assert_int_equal(cfg_rd(f, 0x04, 2), 0);
}

static void test_irq_eventfd(void **state)
{
	struct fx *f = *state;
	int fds[1] = { f->efd };

	wr(f, EDU_REG_IRQ_RAISE, 4, 0x40);			/* not bound: nothing */
	assert_int_equal(efd_count(f), 0);
	wr(f, EDU_REG_IRQ_ACK, 4, 0x40);
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_MSI, 0, 2, fds), -EINVAL);
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_INTX, 0, 1, fds), -EINVAL);
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_MSI, 0, 1, fds), 0);
	wr(f, EDU_REG_IRQ_RAISE, 4, 0x40);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0x40);
	wr(f, EDU_REG_IRQ_ACK, 4, 0x40);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), 0);
	/* factorial with IRQFACT raises FACT_IRQ */
	wr(f, EDU_REG_STATUS, 4, EDU_STATUS_IRQFACT);
	wr(f, EDU_REG_FACT, 4, 3);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), EDU_IRQ_FACT);
	wr(f, EDU_REG_IRQ_ACK, 4, EDU_IRQ_FACT);
	/* count 0 disables */
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_MSI, 0, 0, NULL), 0);
	wr(f, EDU_REG_IRQ_RAISE, 4, 0x40);
	assert_int_equal(efd_count(f), 0);
}

static void test_dma_both_directions(void **state)
{
	struct fx *f = *state;
	int fds[1] = { f->efd };
	size_t i;

	wire(f, HIOPT_PROT_READ | HIOPT_PROT_WRITE);
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_MSI, 0, 1, fds), 0);
	for (i = 0; i < 256; i++)
		f->mem[0x1000 + i] = (uint8_t)(i ^ 0xa5);
	dma(f, IOVA + 0x1000, EDU_DMA_BUF_ADDR + 0x100, 256, 0);	/* RAM -> buffer */
	assert_false(dma_failed(f));
	assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
	assert_int_equal(efd_count(f), 0);				/* no IRQ bit */
	dma(f, EDU_DMA_BUF_ADDR + 0x100, IOVA + 0x8000, 256, EDU_DMA_CMD_TO_RAM | EDU_DMA_CMD_IRQ);
	assert_false(dma_failed(f));
	assert_memory_equal(f->mem + 0x8000, f->mem + 0x1000, 256);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(rd(f, EDU_REG_IRQ_STATUS, 4), EDU_IRQ_DMA);
}

static void test_dma_bad_address(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[4];

	wire(f, HIOPT_PROT_READ | HIOPT_PROT_WRITE);
	dma(f, EDU_DMA_BUF_ADDR, IOVA + MEM_SIZE, 16, EDU_DMA_CMD_TO_RAM);	/* unmapped */
	assert_true(dma_failed(f));
	assert_int_equal(rd(f, EDU_REG_DMA_CMD, 8) & EDU_DMA_CMD_RUN, 0);
	assert_int_equal(nfaults(f, flt), 1);
	assert_int_equal(flt[0].addr, IOVA + MEM_SIZE);
	assert_int_equal(flt[0].perm, HIOPT_PROT_WRITE);
	assert_int_equal(flt[0].hwpt_id, f->ioas);
	/* straddling the end: refused as a whole */
	memset(f->mem + MEM_SIZE - 8, 0x11, 8);
	dma(f, EDU_DMA_BUF_ADDR, IOVA + MEM_SIZE - 8, 16, EDU_DMA_CMD_TO_RAM);
	assert_true(dma_failed(f));
	assert_int_equal(f->mem[MEM_SIZE - 1], 0x11);
	/* a good DMA afterwards clears the error bit */
	dma(f, EDU_DMA_BUF_ADDR, IOVA, 16, EDU_DMA_CMD_TO_RAM);
	assert_false(dma_failed(f));
}

static void test_dma_bad_device(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[4];

	wire(f, HIOPT_PROT_READ | HIOPT_PROT_WRITE);
	assert_int_equal(f->h->ops->device_detach(f->h->be, f->pd->ops->hiopt_dev(f->pd->d)), 0);
	memset(f->mem, 0x22, 64);
	dma(f, EDU_DMA_BUF_ADDR, IOVA, 64, EDU_DMA_CMD_TO_RAM);
	assert_true(dma_failed(f));
	assert_int_equal(f->mem[0], 0x22);
	assert_int_equal(nfaults(f, flt), 1);
	assert_int_equal(flt[0].hwpt_id, 0);			/* blocked */
	assert_int_equal(flt[0].dev_id, sim_iommu_dev_id(sim_edu_hiopt_dev(f->edu)));
}

static void test_dma_invalid_use(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[4];
	uint64_t bytes;

	wire(f, HIOPT_PROT_READ | HIOPT_PROT_WRITE);
	dma(f, EDU_DMA_BUF_ADDR, IOVA + 0x2000, 32, EDU_DMA_CMD_TO_RAM);
	assert_false(dma_failed(f));
	assert_int_equal(f->h->ops->unmap(f->h->be, f->ioas, IOVA, MEM_SIZE, &bytes), 0);
	memset(f->mem + 0x2000, 0x33, 32);
	dma(f, EDU_DMA_BUF_ADDR, IOVA + 0x2000, 32, EDU_DMA_CMD_TO_RAM);
	assert_true(dma_failed(f));
	assert_int_equal(f->mem[0x2000], 0x33);
	dma(f, IOVA + 0x2000, EDU_DMA_BUF_ADDR, 32, 0);		/* reads fail too */
	assert_true(dma_failed(f));
	assert_int_equal(nfaults(f, flt), 2);
	assert_int_equal(flt[1].perm, HIOPT_PROT_READ);
}

static void test_dma_refusals_without_fault(void **state)
{
	struct fx *f = *state;
	struct hiopt_fault flt[4];
	int fds[1] = { f->efd };

	wire(f, HIOPT_PROT_READ);
	assert_int_equal(f->pd->ops->set_irqs(f->pd->d, PDEV_IRQ_MSI, 0, 1, fds), 0);
	dma(f, EDU_DMA_BUF_ADDR, IOVA, 16, EDU_DMA_CMD_TO_RAM | EDU_DMA_CMD_IRQ);	/* RO */
	assert_true(dma_failed(f));
	assert_int_equal(efd_count(f), 1);		/* the IRQ still reports completion */
	assert_int_equal(nfaults(f, flt), 1);
	/* device buffer range violations never reach the IOMMU */
	dma(f, IOVA, EDU_DMA_BUF_ADDR + 0xff8, 16, 0);
	assert_true(dma_failed(f));
	dma(f, IOVA, EDU_DMA_BUF_ADDR - 8, 8, 0);
	assert_true(dma_failed(f));
	dma(f, IOVA, EDU_DMA_BUF_ADDR, EDU_DMA_BUF_SIZE + 1, 0);
	assert_true(dma_failed(f));
	dma(f, IOVA, EDU_DMA_BUF_ADDR, EDU_DMA_BUF_SIZE, 0);
	assert_false(dma_failed(f));
	/* bus mastering off: no DMA */
	cfg_wr(f, 0x04, 2, 0x0002);
	dma(f, IOVA, EDU_DMA_BUF_ADDR, 16, 0);
	assert_true(dma_failed(f));
	assert_int_equal(nfaults(f, flt), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_eventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_both_directions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_bad_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_bad_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_invalid_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_refusals_without_fault, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

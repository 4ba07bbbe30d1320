// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multi-vCPU race guest: wakes the APs, finds the virtio devices (rng, blk,
 * the virtio-iommu) and an edu, then runs the scenarios named by
 * race=a,b,... (default all) with iters=N iterations per race loop.
 * Every scenario ends with a liveness check of the devices it raced.
 * ap-trap instead faults on an AP, to show that exceptions there are reported.
 */
#include "race.h"

#include "acpi.h"
#include "check.h"
#include "cmdline.h"
#include "console.h"
#include "guest.h"
#include "lib.h"
#include "pci.h"

#define DEFAULT_ITERS		100
#define SMP_TEST_ROUNDS		1000
#define VIRTIO_ID_RNG		4
#define VIRTIO_ID_BLK		2
#define VIRTIO_TRANSITIONAL(t)	((t) == VIRTIO_ID_RNG ? 0x1005 : 0x1001)

static const struct {
	const char *name;
	void (*run)(struct race_ctx *c);
} scenarios[] = {
	{ "reset-kick", race_reset_kick },
	{ "viommu-reset-faults", race_viommu_reset_faults },
	{ "viommu-ops-dma", race_viommu_ops_dma },
	{ "status-games", race_status_games },
};

struct smp_test {
	struct spinlock lock;
	struct smp_barrier barrier;
	volatile uint32_t counter;	/* plain ++ under the lock */
	volatile uint32_t barrier_ok;
};

static void smp_test_run(void *arg)
{
	struct smp_test *t = arg;
	unsigned i;

	for (i = 0; i < SMP_TEST_ROUNDS; i++) {
		spin_lock(&t->lock);
		t->counter = t->counter + 1;
		spin_unlock(&t->lock);
	}
	if (smp_barrier_wait(&t->barrier, smp_cpus(), 10000))
		atomic_add32(&t->barrier_ok, 1);
}

/* The runtime's own SMP check: every CPU runs code, lock and barrier hold. */
static bool smp_selftest(void)
{
	static struct smp_test t;
	unsigned cpu, n = smp_cpus();

	for (cpu = 1; cpu < n; cpu++)
		smp_start(cpu, smp_test_run, &t);
	smp_test_run(&t);
	check("smp.aps_finish", smp_wait_all(RACE_WAIT_MS) == 0);
	check("smp.spinlock_counter", t.counter == n * SMP_TEST_ROUNDS);
	return check("smp.barrier", t.barrier_ok == n);
}

static void ap_trap_run(void *arg)
{
	__asm__ volatile("ud2");
}

/* ap-trap: an invalid opcode on AP 1 must be reported (EXCEPTION ... apic=)
 * and end the guest with FAIL, not hang or reset it. */
static void ap_trap(void)
{
	smp_start(1, ap_trap_run, NULL);
	smp_wait_all(RACE_WAIT_MS);
	check("smp.ap_exception_reported", false);
}

static void add_vdev(struct race_ctx *c, struct virtio_dev *d, enum race_kind kind,
		     const char *name)
{
	struct race_vdev *rv = &c->vdevs[c->n_vdevs++];

	rv->name = name;
	rv->kind = kind;
	rv->dev = d;
	rv->want = kind == RACE_IOMMU ? c->viommu.wanted : 1ull << VIRTIO_F_ACCESS_PLATFORM;
	if (kind != RACE_IOMMU && c->have_viommu &&
	    !viot_endpoint(&c->viot, 0, d->pci.bdf, &rv->ep)) {
		rv->translated = !virtio_negotiate(d, rv->want) &&
				 (d->features & 1ull << VIRTIO_F_ACCESS_PLATFORM);
		c->have_any_ep = true;
		c->any_ep = rv->ep;
	}
	printf("race: %s at %02x:%02x.%x%s\n", name, d->pci.bdf >> 8, (d->pci.bdf >> 3) & 31,
	       d->pci.bdf & 7, rv->translated ? ", behind the virtio-iommu" : "");
}

static void find_vdev(struct race_ctx *c, struct virtio_dev *d, unsigned type,
		      enum race_kind kind, const char *name)
{
	struct pci_func f;

	if (pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_ID(type), 0, &f) &&
	    pci_find(VIRTIO_PCI_VENDOR, VIRTIO_TRANSITIONAL(type), 0, &f))
		return;
	if (!checkf(!virtio_pci_open(d, &f), "setup.%s_open", name))
		return;
	add_vdev(c, d, kind, name);
}

static void discover(struct race_ctx *c, const struct hvm_start_info *si)
{
	struct pci_func f;

	acpi_init(si);
	pci_init();
	viot_parse(&c->viot);
	if (!viommu_find(&f)) {
		c->have_viommu = check("setup.virtio_iommu_init",
				       !viommu_open(&c->viommu, &f, VIOMMU_WANT_DEFAULT));
		if (c->have_viommu)
			add_vdev(c, &c->viommu.vdev, RACE_IOMMU, "virtio-iommu");
	}
	if (c->have_viommu && !edu_find(0, &f) && !viot_endpoint(&c->viot, 0, f.bdf, &c->edu_ep))
		c->have_edu = check("setup.edu_open", !edu_open(&c->edu, &f));
	if (c->have_edu) {
		c->have_any_ep = true;
		c->any_ep = c->edu_ep;
	}
	find_vdev(c, &c->rng, VIRTIO_ID_RNG, RACE_RNG, "virtio-rng");
	find_vdev(c, &c->blk, VIRTIO_ID_BLK, RACE_BLK, "virtio-blk");
}

static bool wanted(const char *name)
{
	char list[256];
	size_t n = strlen(name);
	const char *p;

	if (!cmdline_value("race", list, sizeof(list)) || !strncmp(list, "all", 4))
		return true;
	for (p = list; *p; p++) {
		if ((p == list || p[-1] == ',') && !strncmp(p, name, n) &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static unsigned value_or(const char *key, unsigned dflt)
{
	char v[16];
	unsigned n = 0;
	size_t i;

	if (!cmdline_value(key, v, sizeof(v)) || !v[0])
		return dflt;
	for (i = 0; v[i] >= '0' && v[i] <= '9'; i++)
		n = n * 10 + (unsigned)(v[i] - '0');
	return n ? n : dflt;
}

int guest_main(const struct hvm_start_info *si)
{
	static struct race_ctx c;
	unsigned i, n;

	c.qemu = cmdline_is("quirks", "qemu");
	c.iters = value_or("iters", DEFAULT_ITERS);
	acpi_init(si);
	n = smp_init(value_or("cpus", 0));
	printf("race: %u CPUs online, %u iterations per loop\n", n, c.iters);
	if (!check("smp.at_least_two_cpus", n >= 2) || !smp_selftest())
		return check_summary();
	if (cmdline_has("ap-trap"))
		ap_trap();
	discover(&c, si);
	check("setup.virtio_device_present", c.n_vdevs > 0);
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		if (!wanted(scenarios[i].name))
			continue;
		printf("race: scenario %s\n", scenarios[i].name);
		scenarios[i].run(&c);
	}
	return check_summary();
}

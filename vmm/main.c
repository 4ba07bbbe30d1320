// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioshade entry point: parse the command line, build the machine, wire the
 * optional devices, run, and turn the outcome into the exit status. The only
 * file that may include viommu/ and passthrough/ headers (layering rule).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/iommufd.h"
#include "passthrough/sim/sim_edu.h"
#include "passthrough/sim/sim_iommu.h"
#include "passthrough/vfio_dev.h"
#include "passthrough/vfio_pci.h"
#include "viommu/viommu.h"
#include "vmm/acpi.h"
#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/edu.h"
#include "vmm/machine.h"
#include "vmm/pci.h"

#define EXIT_SETUP_ERROR	1

/* One --device once built: which model and, for assigned ones, its handles. */
struct wired_dev {
	const struct config_device *spec;
	bool behind_viommu;
	struct edu *edu;		/* CONFIG_DEV_EDU */
	struct sim_edu *sim_edu;	/* CONFIG_DEV_EDU_SIM */
	struct vfio_dev *vfio;		/* CONFIG_DEV_VFIO */
	struct vfio_pci *assigned;	/* EDU_SIM and VFIO: the guest-visible function */
	struct hiopt_dev *hdev;
	const struct hiopt *hiopt;
	uint16_t bdf;
};

/* Everything setup_devices builds; torn down in reverse by teardown_devices. */
struct wiring {
	struct viommu *viommu;
	struct sim_iommu *sim;
	struct iommufd *ifd;
	struct hiopt ifd_hiopt;
	unsigned nr;
	struct wired_dev dev[CONFIG_MAX_DEVICES];
};

static bool is_assigned(enum config_device_kind kind)
{
	return kind == CONFIG_DEV_EDU_SIM || kind == CONFIG_DEV_VFIO;
}

static bool wants_viommu(const struct vm_config *cfg)
{
	if (cfg->viommu != CONFIG_AUTO)
		return cfg->viommu == CONFIG_ON;
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		if (cfg->devices[i].iommu != CONFIG_OFF)
			return true;
	return false;
}

/* Open the host backends the assigned devices need, and say which. */
static int open_backends(struct wiring *w, const struct vm_config *cfg)
{
	bool need_sim = false, need_ifd = false;
	char why[512] = "";

	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		need_sim |= cfg->devices[i].kind == CONFIG_DEV_EDU_SIM;
		need_ifd |= cfg->devices[i].kind == CONFIG_DEV_VFIO;
	}
	if (need_ifd && cfg->iommu_backend == CONFIG_BACKEND_SIM) {
		fprintf(stderr, "ioshade: --device vfio=... needs the iommufd backend, "
			"but --iommu-backend sim was given\n");
		return -EINVAL;
	}
	if (need_sim && cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD) {
		fprintf(stderr, "ioshade: --device edu-sim is a simulated device and needs "
			"--iommu-backend sim (or auto)\n");
		return -EINVAL;
	}
	if (need_ifd) {
		int ret = iommufd_open("/dev/iommu", &w->ifd, why, sizeof(why));

		if (ret) {
			fprintf(stderr, "ioshade: --device vfio: %s\n", why);
			return ret;
		}
		if (iommufd_check_memlock(cfg->memory, why, sizeof(why))) {
			fprintf(stderr, "ioshade: %s\n", why);
			return -ENOMEM;
		}
		w->ifd_hiopt = iommufd_hiopt(w->ifd);
		fprintf(stderr, "ioshade: host IOMMU backend: iommufd (/dev/iommu)\n");
	}
	if (need_sim) {
		w->sim = sim_iommu_create(NULL);
		if (!w->sim)
			return -errno;
		fprintf(stderr, "ioshade: host IOMMU backend: sim (simulated host IOMMU)\n");
	}
	return 0;
}

static int create_viommu(struct wiring *w, struct machine *m, const struct vm_config *cfg)
{
	struct viommu_config vc = {
		.mem = machine_memmap(m),
		.pci = machine_pci_host(m),
		.loop = machine_evloop(m),
		.slot = -1,
		.hiopt = w->ifd ? &w->ifd_hiopt : (w->sim ? sim_iommu_hiopt(w->sim) : NULL),
	};

	/* The guest must never be told it can map what the host cannot: with a
	 * host backend the input range is the host's 48-bit aperture, and the
	 * host's holes come back from PROBE as RESV_MEM (viommu reads them). */
	if (vc.hiopt)
		vc.input_end = (1ULL << 48) - 1;
	w->viommu = viommu_create(&vc);
	if (!w->viommu) {
		fprintf(stderr, "ioshade: cannot create the virtio-iommu: %s\n", strerror(errno));
		return -errno ? -errno : -ENOMEM;
	}
	return 0;
}

static int add_edu(struct wired_dev *d, struct machine *m, struct viommu *v)
{
	struct dma_ctx dma = { .mem = machine_memmap(m) };

	d->edu = edu_create(machine_pci_host(m), machine_evloop(m), &dma, -1);
	if (!d->edu)
		return -errno;
	d->bdf = edu_bdf(d->edu);
	if (d->behind_viommu) {
		viommu_dma_ctx(v, d->bdf, &dma);
		edu_set_dma(d->edu, &dma);
		return viommu_add_endpoint(v, d->bdf);
	}
	return 0;
}

static int add_assigned(struct wired_dev *d, struct wiring *w, struct machine *m)
{
	struct memslot_sink slots = machine_memslot_sink(m);
	struct pdev pdev;
	char why[512] = "";
	int ret;

	if (d->spec->kind == CONFIG_DEV_EDU_SIM) {
		d->sim_edu = sim_edu_create(w->sim);
		if (!d->sim_edu)
			return -errno;
		pdev = *sim_edu_pdev(d->sim_edu);
		d->hiopt = sim_iommu_hiopt(w->sim);
	} else {
		ret = vfio_dev_open(w->ifd, d->spec->host_bdf, &d->vfio, why, sizeof(why));
		if (ret) {
			fprintf(stderr, "ioshade: --device %s: %s\n", d->spec->spec, why);
			return ret;
		}
		pdev = vfio_dev_pdev(d->vfio);
		d->hiopt = &w->ifd_hiopt;
	}
	d->hdev = pdev.ops->hiopt_dev(pdev.d);
	d->assigned = vfio_pci_assign(machine_pci_host(m), &pdev, machine_msi_sink(m), &slots,
				      machine_evloop(m), -1);
	if (!d->assigned)
		return -errno;
	d->bdf = pci_dev_bdf(vfio_pci_dev(d->assigned));
	return viommu_add_host_endpoint(w->viommu, d->bdf, d->hiopt, d->hdev);
}

/* VIOT: one PCI range node per device behind the viommu (endpoint ID = BDF). */
static void describe_viot(struct wiring *w, struct machine *m)
{
	struct acpi_config *acpi = machine_acpi_config(m);

	acpi->has_viommu = true;
	acpi->viommu_bdf = (uint16_t)viommu_bdf(w->viommu);
	acpi->nr_viot_ranges = 0;
	for (unsigned i = 0; i < w->nr && acpi->nr_viot_ranges < ACPI_VIOT_MAX_RANGES; i++) {
		if (!w->dev[i].behind_viommu)
			continue;
		acpi->viot_ranges[acpi->nr_viot_ranges++] =
			(struct acpi_viot_range){ w->dev[i].bdf, w->dev[i].bdf };
	}
}

static void teardown_devices(struct wiring *w)
{
	for (unsigned i = w->nr; i-- > 0;) {
		struct wired_dev *d = &w->dev[i];

		if (d->assigned)
			vfio_pci_release(d->assigned);
		if (d->vfio)
			vfio_dev_close(d->vfio);
		if (d->sim_edu)
			sim_edu_destroy(d->sim_edu);
		if (d->edu)
			edu_destroy(d->edu);
	}
	viommu_destroy(w->viommu);
	if (w->sim)
		sim_iommu_destroy(w->sim);
	if (w->ifd)
		iommufd_close(w->ifd);
	memset(w, 0, sizeof(*w));
}

/*
 * Devices beyond the base machine: the virtio-iommu, emulated edu, simulated
 * and VFIO-assigned devices from cfg->devices[], and the ACPI VIOT entries
 * (machine_acpi_config). Runs after machine_create, before machine_run.
 */
static int setup_devices(struct wiring *w, struct machine *m, const struct vm_config *cfg)
{
	bool viommu_on = wants_viommu(cfg);
	int ret;

	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		if (is_assigned(cfg->devices[i].kind) &&
		    (!viommu_on || cfg->devices[i].iommu == CONFIG_OFF)) {
			fprintf(stderr, "ioshade: --device %s: assigned devices must sit behind the "
				"virtio-iommu in this build (drop iommu=off / --no-viommu)\n",
				cfg->devices[i].spec);
			return -EINVAL;
		}
	}
	ret = open_backends(w, cfg);
	if (!ret && viommu_on)
		ret = create_viommu(w, m, cfg);
	for (unsigned i = 0; !ret && i < cfg->nr_devices; i++) {
		struct wired_dev *d = &w->dev[w->nr++];

		d->spec = &cfg->devices[i];
		d->behind_viommu = viommu_on && d->spec->iommu != CONFIG_OFF;
		ret = is_assigned(d->spec->kind) ? add_assigned(d, w, m) : add_edu(d, m, w->viommu);
		if (ret)
			fprintf(stderr, "ioshade: --device %s: cannot set up: %s\n",
				d->spec->spec, strerror(-ret));
	}
	if (!ret && w->viommu)
		describe_viot(w, m);
	return ret;
}

static int run_vm(const struct vm_config *cfg)
{
	struct wiring w = { 0 };
	struct machine *m;
	char err[512] = "";
	int ret, status;

	ret = machine_create(cfg, &m, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ioshade: %s\n", err[0] ? err : strerror(-ret));
		return EXIT_SETUP_ERROR;
	}
	ret = setup_devices(&w, m, cfg);
	if (ret) {
		teardown_devices(&w);
		machine_destroy(m);
		return EXIT_SETUP_ERROR;
	}
	status = machine_run(m);	/* stops the event loop before returning */
	teardown_devices(&w);
	machine_destroy(m);
	return status;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	char err[512] = "";
	int action;

	action = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (action < 0) {
		fprintf(stderr, "ioshade: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (action == CLI_HELP || action == CLI_HELP_RUN) {
		cli_print_help(stdout, (enum cli_action)action);
		return 0;
	}
	if (action == CLI_VERSION) {
		printf("%s\n", cli_version());
		return 0;
	}
	if (config_check_files(&cfg, err, sizeof(err))) {
		fprintf(stderr, "ioshade: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return run_vm(&cfg);
}

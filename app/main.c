// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioshade entry point: parse the command line, build the machine, wire the
 * optional devices, run, and turn the outcome into the exit status. The only
 * file that may include viommu/ and passthrough/ headers (layering rule).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough/iommufd.h"
#include "passthrough/sim/sim_edu.h"
#include "passthrough/sim/sim_iommu.h"
#include "passthrough/vfio_bind.h"
#include "passthrough/vfio_dev.h"
#include "passthrough/vfio_pci.h"
#include "viommu/viommu.h"
#include "viommu/virtio_iommu.h"
#include "vmm/acpi.h"
#include "app/cli.h"
#include "app/config.h"
#include "app/domxml.h"
#include "vmm/edu.h"
#include "app/machine.h"
#include "vmm/pci.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/rng.h"
#include "vmm/vm.h"

#define EXIT_SETUP_ERROR	1

/* One --device once built: which model and, for assigned ones, its handles. */
struct wired_dev {
	const struct config_device *spec;
	bool behind_viommu;
	struct edu *edu;		/* CONFIG_DEV_EDU */
	struct virtio_rng *rng;		/* CONFIG_DEV_VIRTIO_RNG */
	struct virtio_blk *blk;		/* CONFIG_DEV_VIRTIO_BLK */
	struct sim_edu *sim_edu;	/* CONFIG_DEV_EDU_SIM */
	struct vfio_dev *vfio;		/* CONFIG_DEV_VFIO */
	struct vfio_bind_state bind;	/* managed='yes': the host driver to give it back to */
	bool rebound;
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
		fprintf(stderr, "ioshade: host IOMMU backend: iommufd (/dev/iommu)%s\n",
			cfg->iommu_backend == CONFIG_BACKEND_AUTO ?
			"; auto: /dev/iommu is usable and vfio= devices need it" : "");
	}
	if (need_sim) {
		w->sim = sim_iommu_create(NULL);
		if (!w->sim)
			return -errno;
		fprintf(stderr, "ioshade: host IOMMU backend: sim (simulated host IOMMU)%s\n",
			cfg->iommu_backend == CONFIG_BACKEND_AUTO ?
			"; auto: edu-sim is a simulated device, only the sim can translate it" : "");
	}
	return 0;
}

/* The help text (vmm/, no viommu headers) states the viommu's defaults. */
_Static_assert(CONFIG_VIOMMU_MAPPINGS_DEFAULT == VIOMMU_DEFAULT_MAX_MAPPINGS &&
	       CONFIG_VIOMMU_DOMAIN_MAPPINGS_DEFAULT == VIOMMU_DEFAULT_MAX_DOMAIN_MAPPINGS &&
	       CONFIG_VIOMMU_DOMAINS_DEFAULT == VIOMMU_DEFAULT_MAX_DOMAINS &&
	       CONFIG_VIOMMU_FAULTS_DEFAULT == VIOMMU_DEFAULT_MAX_PENDING_FAULTS,
	       "--viommu-limits defaults in config.h match viommu.h");

static int create_viommu(struct wiring *w, struct machine *m, const struct vm_config *cfg)
{
	const struct config_viommu_limits *lim = &cfg->viommu_limits;
	struct viommu_config vc = {
		.mem = machine_memmap(m),
		.pci = machine_pci_host(m),
		.loop = machine_evloop(m),
		.slot = -1,
		.hiopt = w->ifd ? &w->ifd_hiopt : (w->sim ? sim_iommu_hiopt(w->sim) : NULL),
		.limits = {	/* 0: the default */
			.max_mappings = lim->mappings,
			.max_domain_mappings = lim->domain_mappings,
			.max_domains = lim->domains,
			.max_pending_faults = lim->faults,
		},
	};

	/* The guest must never be told it can map what the host cannot: with a
	 * host backend the input range is the host's 48-bit aperture, and the
	 * host's holes come back from PROBE as RESV_MEM (viommu reads them). */
	if (vc.hiopt)
		vc.input_end = (1ULL << 48) - 1;
	/* <iommu model='virtio'><driver aw_bits= ...><granule .../>: narrower
	 * than the host only, never wider. */
	if (cfg->viommu_aw_bits && cfg->viommu_aw_bits < 64) {
		uint64_t end = (1ULL << cfg->viommu_aw_bits) - 1;

		if (!vc.input_end || end < vc.input_end)
			vc.input_end = end;
	}
	if (cfg->viommu_granule)
		vc.page_size_mask = ~(cfg->viommu_granule - 1);
	w->viommu = viommu_create(&vc);
	if (!w->viommu) {
		fprintf(stderr, "ioshade: cannot create the virtio-iommu: %s\n", strerror(errno));
		return -errno ? -errno : -ENOMEM;
	}
	return 0;
}

static int create_emulated(struct wired_dev *d, struct machine *m, const struct dma_ctx *dma,
			   int slot)
{
	struct pci_host *host = machine_pci_host(m);
	struct evloop *loop = machine_evloop(m);
	bool iommu = d->behind_viommu;

	switch (d->spec->kind) {
	case CONFIG_DEV_EDU:
		d->edu = edu_create(host, loop, dma, slot);
		return d->edu ? 0 : -errno;
	case CONFIG_DEV_VIRTIO_RNG:
		d->rng = virtio_rng_create(host, loop, dma, iommu, slot);
		return d->rng ? 0 : -errno;
	case CONFIG_DEV_VIRTIO_BLK:
		d->blk = virtio_blk_create(host, loop, dma, iommu, slot, d->spec->path,
					   d->spec->read_only);
		return d->blk ? 0 : -errno;
	default:
		return -EINVAL;
	}
}

/* An emulated device, with its final DMA context from the start: its slot is
 * reserved first, so its BDF (the endpoint ID) is known before it exists and
 * nothing has to be retargeted under a running device. */
static int add_emulated(struct wired_dev *d, struct machine *m, struct viommu *v)
{
	struct dma_ctx dma = { .mem = machine_memmap(m) };
	struct pci_host *host = machine_pci_host(m);
	int slot = pci_host_reserve_slot(host), ret;

	if (slot < 0)
		return slot;
	d->bdf = (uint16_t)(slot << 3);
	if (d->behind_viommu)
		viommu_dma_ctx(v, d->bdf, &dma);	/* registers the endpoint */
	ret = create_emulated(d, m, &dma, slot);
	if (ret) {
		pci_host_release_slot(host, slot);
		return ret;
	}
	return d->behind_viommu ? viommu_add_endpoint(v, d->bdf) : 0;
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
		if (d->spec->managed) {
			ret = vfio_bind_acquire("/sys", d->spec->host_bdf, &d->bind, why, sizeof(why));
			if (ret) {
				fprintf(stderr, "ioshade: --device %s: %s\n", d->spec->spec, why);
				return ret;
			}
			d->rebound = true;
		}
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

/* At --log-level info: what the guest asked of the virtio-iommu, one line. */
static void print_viommu_stats(struct viommu *v, const struct vm_config *cfg)
{
	struct viommu_stats st;
	uint64_t rejects = 0;

	if (!v)
		return;
	viommu_stats(v, &st);
	/* Always said: a device the host would not stop is a DMA hole. */
	if (st.stuck_devices)
		fprintf(stderr, "ioshade: warning: the host refused %" PRIu64 " time(s) to stop an "
			"assigned device's DMA (switch, detach and an empty IOAS all failed); "
			"it kept its previous host page table\n", st.stuck_devices);
	if (cfg->log_level < CONFIG_LOG_INFO)
		return;
	for (unsigned i = 0; i < VIOMMU_NR_OWN; i++)
		rejects += st.own_rejects[i];
	fprintf(stderr, "ioshade: viommu stats: attach %" PRIu64 " detach %" PRIu64
		" map %" PRIu64 " unmap %" PRIu64 " probe %" PRIu64 " unknown %" PRIu64
		" ok %" PRIu64 " ownership-rejects %" PRIu64 " host-errors %" PRIu64
		" faults %" PRIu64 " faults-dropped %" PRIu64 " translations %" PRIu64 "\n",
		st.requests[VIRTIO_IOMMU_T_ATTACH], st.requests[VIRTIO_IOMMU_T_DETACH],
		st.requests[VIRTIO_IOMMU_T_MAP], st.requests[VIRTIO_IOMMU_T_UNMAP],
		st.requests[VIRTIO_IOMMU_T_PROBE], st.requests[0],
		st.status[VIRTIO_IOMMU_S_OK], rejects, st.host_errors, st.faults,
		st.faults_dropped, st.translations);
	/* Peaks: what the guest really used, against --viommu-limits. */
	fprintf(stderr, "ioshade: viommu peaks: mappings %" PRIu64 " domain-mappings %" PRIu64
		" domains %" PRIu64 " limit-rejects %" PRIu64 "\n", st.peak_mappings,
		st.peak_domain_mappings, st.peak_domains, st.limit_rejects);
}

/*
 * Reverse of setup_devices, in two passes around the viommu: first what the
 * guest sees (assigned functions stop DMA and interrupts, emulated devices
 * go), then viommu_destroy, which detaches every host endpoint through its
 * hiopt_dev, and only then the host handles (VFIO cdev unbind, give the
 * device back to its driver, simulated devices) and the backends.
 */
static void teardown_devices(struct wiring *w)
{
	for (unsigned i = w->nr; i-- > 0;) {
		struct wired_dev *d = &w->dev[i];

		if (d->assigned)
			vfio_pci_release(d->assigned);
		if (d->edu)
			edu_destroy(d->edu);
		if (d->rng)
			virtio_rng_destroy(d->rng);
		if (d->blk)
			virtio_blk_destroy(d->blk);
	}
	viommu_destroy(w->viommu);
	for (unsigned i = w->nr; i-- > 0;) {
		struct wired_dev *d = &w->dev[i];

		if (d->vfio)
			vfio_dev_close(d->vfio);
		if (d->rebound && vfio_bind_release(&d->bind))
			fprintf(stderr, "ioshade: could not give %s back to its driver '%s'\n",
				d->bind.bdf, d->bind.orig_driver);
		if (d->sim_edu)
			sim_edu_destroy(d->sim_edu);
	}
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
	bool viommu_on = config_viommu_enabled(cfg);
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
		ret = is_assigned(d->spec->kind) ? add_assigned(d, w, m) : add_emulated(d, m, w->viommu);
		if (ret)
			fprintf(stderr, "ioshade: --device %s: cannot set up: %s\n",
				d->spec->spec, strerror(-ret));
	}
	if (!ret && w->viommu)
		describe_viot(w, m);
	return ret;
}

/*
 * SIGINT/SIGTERM become an orderly stop: they are blocked in every thread
 * (the mask is inherited) and one thread sigwait()s for them, asks the VM to
 * stop, and so machine_run returns and the devices are torn down (assigned
 * devices given back to their host drivers) before the process exits.
 */
struct stop_signals {
	sigset_t set, old;
	pthread_t thread;
	bool running;
	bool done;			/* atomic: the waiter must exit */
	struct vm *vm;			/* atomic: NULL until the machine exists */
};

static void *stop_signal_waiter(void *arg)
{
	struct stop_signals *s = arg;
	struct vm *vm;
	int sig;

	while (!sigwait(&s->set, &sig) && !__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		vm = __atomic_load_n(&s->vm, __ATOMIC_ACQUIRE);
		fprintf(stderr, "ioshade: %s: stopping the VM\n", strsignal(sig));
		if (vm)
			vm_request_stop(vm, VM_STOP_REQUEST, 128 + sig);
	}
	return NULL;
}

static void stop_signals_start(struct stop_signals *s)
{
	sigemptyset(&s->set);
	sigaddset(&s->set, SIGINT);
	sigaddset(&s->set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s->set, &s->old);
	s->running = !pthread_create(&s->thread, NULL, stop_signal_waiter, s);
}

static void stop_signals_end(struct stop_signals *s)
{
	if (s->running) {
		__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
		pthread_kill(s->thread, SIGTERM);	/* wakes sigwait; seen as done */
		pthread_join(s->thread, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

static int run_vm(const struct vm_config *cfg)
{
	struct stop_signals sigs = { .running = false };
	struct wiring w = { 0 };
	struct machine *m;
	char err[512] = "";
	int ret, status = EXIT_SETUP_ERROR;

	stop_signals_start(&sigs);
	ret = machine_create(cfg, &m, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ioshade: %s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	__atomic_store_n(&sigs.vm, machine_vm(m), __ATOMIC_RELEASE);
	/* A signal during setup is already recorded: machine_run returns at once. */
	if (!setup_devices(&w, m, cfg))
		status = machine_run(m);	/* stops the event loop before returning */
	print_viommu_stats(w.viommu, cfg);
	teardown_devices(&w);
	__atomic_store_n(&sigs.vm, NULL, __ATOMIC_RELEASE);
	machine_destroy(m);
out:
	stop_signals_end(&sigs);
	return status;
}

static int print_domxml(const struct vm_config *cfg)
{
	char err[512] = "";

	if (domxml_write(stdout, cfg, err, sizeof(err))) {
		fprintf(stderr, "ioshade: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
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
	if (action == CLI_DOMXML)
		return print_domxml(&cfg);
	if (config_check_files(&cfg, err, sizeof(err))) {
		fprintf(stderr, "ioshade: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return run_vm(&cfg);
}

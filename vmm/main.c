// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioshade entry point: parse the command line, build the machine, wire the
 * optional devices, run, and turn the outcome into the exit status. The only
 * file that may include viommu/ and passthrough/ headers (layering rule).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/machine.h"

#define EXIT_SETUP_ERROR	1

/*
 * Devices beyond the base machine: the virtio-iommu, emulated edu, simulated
 * and VFIO-assigned devices from cfg->devices[], and the ACPI VIOT entries
 * (machine_acpi_config). Runs after machine_create, before machine_run.
 * TODO(lead): wire viommu / edu / passthrough here.
 */
static int setup_devices(struct machine *m, const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		fprintf(stderr, "ioshade: --device %s: not wired into this build yet\n",
			cfg->devices[i].spec);
		return -ENOTSUP;
	}
	return 0;
}

static int run_vm(const struct vm_config *cfg)
{
	struct machine *m;
	char err[512] = "";
	int ret, status;

	ret = machine_create(cfg, &m, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ioshade: %s\n", err[0] ? err : strerror(-ret));
		return EXIT_SETUP_ERROR;
	}
	ret = setup_devices(m, cfg);
	if (ret) {
		machine_destroy(m);
		return EXIT_SETUP_ERROR;
	}
	status = machine_run(m);
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

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ioshade command line: `ioshade run --kernel K [options]`. Parsing is a
 * pure function from argv to a vm_config so it can be unit-tested.
 */
#ifndef IOSHADE_VMM_CLI_H
#define IOSHADE_VMM_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "app/config.h"

#define CLI_EXIT_USAGE	2	/* exit status for any bad argument */

enum cli_action {
	CLI_RUN,		/* cfg is filled: boot it */
	CLI_HELP,		/* ioshade --help */
	CLI_HELP_RUN,		/* ioshade run --help */
	CLI_VERSION,		/* ioshade --version */
	CLI_DOMXML,		/* ioshade domxml --from-args run ...: cfg is filled, print it */
};

/*
 * Parse argv (argv[0] is the program name). Returns an enum cli_action, or
 * -EINVAL with a message in err naming the option and the value. cfg is
 * initialised with config_init first. Touches no file except the --domain
 * XML (and libvirt's schema); see config_check_files for the rest.
 */
int cli_parse(int argc, char *const argv[], struct vm_config *cfg, char *err, size_t errlen);

void cli_print_help(FILE *out, enum cli_action which);
const char *cli_version(void);

#endif

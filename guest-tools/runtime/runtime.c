// SPDX-License-Identifier: GPL-2.0-only
/*
 * C side of the boot path: console, exception table, boot parameters, then
 * the guest's guest_main; its return value becomes the debug-exit code.
 * Holds guest_exit, the only way out of a guest.
 */
#include "guest.h"

#include "cmdline.h"
#include "console.h"
#include "io.h"

static const struct hvm_start_info *valid_start_info;

const struct hvm_start_info *runtime_start_info(void)
{
	return valid_start_info;
}

void guest_exit(uint32_t code)
{
	printf("guest_exit: 0x%x\n", code);
	outl(GUEST_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void runtime_main(uint32_t si_gpa);

void runtime_main(uint32_t si_gpa)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)si_gpa;

	console_init();
	console_putc('\n');	/* firmware may have left a partial line */
	trap_init();
	if (si && si->magic == HVM_START_MAGIC_VALUE) {
		valid_start_info = si;
		if (si->cmdline_paddr)
			cmdline_init((const char *)(uintptr_t)si->cmdline_paddr);
	}
	guest_exit((uint32_t)guest_main(si));
}

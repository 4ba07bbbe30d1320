// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the Linux bzImage loader (vmm/boot_linux.c): the input is the kernel
 * file. A load either fails leaving RAM untouched, or places the kernel's
 * whole init_size footprint, the zero page and the initrd in guest RAM;
 * nothing is ever written past RAM.
 */
#include "vmm/boot_linux.h"

#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_linux_info info = { 0 };
	struct ldr l;
	int ret;

	ldr_setup(&l, data, size);
	ret = boot_linux_load(l.mem, &l.args, &info, l.err, sizeof(l.err));
	if (!ret) {
		CHECK(info.entry == info.load_addr + BOOT_LINUX_ENTRY64_OFF);
		CHECK(info.kernel_size <= size);
		CHECK(info.load_addr + info.kernel_size <= info.footprint_end);
		CHECK(ldr_in_ram(&l, info.load_addr, info.footprint_end));
		CHECK(info.zero_page == LAYOUT_ZERO_PAGE);
		if (l.args.initrd)
			CHECK(info.initrd_size == sizeof(l.initrd) &&
			      ldr_in_ram(&l, info.initrd_gpa, info.initrd_gpa + info.initrd_size) &&
			      !memcmp(l.ram + info.initrd_gpa, l.initrd, sizeof(l.initrd)));
	}
	ldr_finish(&l, ret);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the PVH ELF loader (vmm/boot.c): the input is the kernel file. A load
 * either fails leaving RAM untouched, or puts every segment, the entry point
 * and the initrd in guest RAM; nothing is ever written past RAM.
 */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_pvh_info info = { 0 };
	struct ldr l;
	int ret;

	ldr_setup(&l, data, size);
	ret = boot_pvh_load(l.mem, &l.args, &info, l.err, sizeof(l.err));
	if (!ret) {
		CHECK(info.start_info == LAYOUT_START_INFO);
		CHECK(info.image_start < info.image_end);
		CHECK(ldr_in_ram(&l, info.image_start, info.image_end));
		CHECK(ldr_in_ram(&l, info.entry, info.entry + 1ULL));
		if (l.args.initrd)
			CHECK(ldr_in_ram(&l, info.initrd_gpa, info.initrd_gpa + sizeof(l.initrd)) &&
			      !memcmp(l.ram + info.initrd_gpa, l.initrd, sizeof(l.initrd)));
	}
	ldr_finish(&l, ret);
	return 0;
}

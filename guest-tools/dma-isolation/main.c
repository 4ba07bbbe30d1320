// SPDX-License-Identifier: GPL-2.0-only
#include "guest.h"
int guest_main(const struct hvm_start_info *si) { (void)si; return GUEST_EXIT_FAIL; }

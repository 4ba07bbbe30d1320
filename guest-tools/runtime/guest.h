/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every test guest sees of the runtime: its entry point guest_main, the
 * exit codes for the debug-exit port (QEMU isa-debug-exit: process status =
 * (value << 1) | 1, so PASS -> 33, FAIL -> 35) and guest_exit.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvh.h"

#define GUEST_EXIT_PORT		0xf4
#define GUEST_EXIT_PASS		0x10	/* process exit status 33 */
#define GUEST_EXIT_FAIL		0x11	/* process exit status 35 */

/*
 * Implemented by each guest. si is the loader's pointer (%ebx) as given, even
 * if its magic is wrong (NULL if %ebx was 0); returns a GUEST_EXIT_* code.
 */
int guest_main(const struct hvm_start_info *si);

/* start_info if its magic is valid, else NULL. */
const struct hvm_start_info *runtime_start_info(void);

/* Writes code to the debug-exit port, then halts forever with interrupts off. */
void guest_exit(uint32_t code) __attribute__((noreturn));

/* Fills the exception IDT and loads it; trap_load loads it on another CPU. */
void trap_init(void);
void trap_load(void);

#endif

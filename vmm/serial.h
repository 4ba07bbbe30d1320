/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Legacy PC devices on the PIO bus: a 16550A UART at 0x3f8 (IRQ 4) whose
 * output goes to a host fd, and the QEMU-style isa-debug-exit port at 0xf4
 * that stops the VM with exit status (value << 1) | 1.
 */
#ifndef IOSHADE_VMM_SERIAL_H
#define IOSHADE_VMM_SERIAL_H

#include <stdint.h>

struct bus;
struct irq;
struct vm;
struct serial;
struct debug_exit;

#define SERIAL_IRQ	4

/* out_fd < 0 discards output; the fd is not closed by serial_destroy.
 * irq may be NULL (no interrupts, for tests). */
int serial_create(struct bus *pio, uint16_t base, struct irq *irq, int out_fd,
		  struct serial **out);
void serial_destroy(struct serial *s);

int debug_exit_create(struct bus *pio, uint16_t port, struct vm *vm, struct debug_exit **out);
void debug_exit_destroy(struct debug_exit *d);

#endif

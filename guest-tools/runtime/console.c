// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550 UART output at 0x3f8: 115200 8N1, FIFOs on, interrupts off. Each byte
 * waits (bounded) for THR empty (LSR bit 5), so a missing UART cannot hang us:
 * an absent port reads 0xff, which looks like "empty". Several CPUs print
 * through console_lock, which the same CPU may take again (an exception
 * inside printf still gets its line out).
 */
#include "console.h"

#include "io.h"
#include "smp.h"

#define UART_THR	0	/* transmit holding (DLAB=0) */
#define UART_DLL	0	/* divisor low (DLAB=1) */
#define UART_IER	1
#define UART_DLM	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_THRE	0x20
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define THRE_SPIN_MAX	100000
#define OWNER_NONE	0xffffffffu

static volatile uint32_t lock_owner = OWNER_NONE;	/* APIC ID */
static unsigned lock_depth;

void console_init(void)
{
	outb(CONSOLE_PORT + UART_IER, 0);
	outb(CONSOLE_PORT + UART_LCR, LCR_DLAB);
	outb(CONSOLE_PORT + UART_DLL, 1);	/* 115200 baud */
	outb(CONSOLE_PORT + UART_DLM, 0);
	outb(CONSOLE_PORT + UART_LCR, LCR_8N1);
	outb(CONSOLE_PORT + UART_FCR, 0x07);	/* enable + clear FIFOs */
	outb(CONSOLE_PORT + UART_MCR, 0x03);	/* DTR, RTS */
}

void console_putc(char c)
{
	unsigned spin;

	for (spin = 0; spin < THRE_SPIN_MAX; spin++) {
		if (inb(CONSOLE_PORT + UART_LSR) & LSR_THRE)
			break;
	}
	outb(CONSOLE_PORT + UART_THR, (uint8_t)c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

void console_lock(void)
{
	uint32_t me = smp_apic_id();

	if (atomic_load32(&lock_owner) == me) {
		lock_depth++;
		return;
	}
	while (!atomic_cas32(&lock_owner, OWNER_NONE, me))
		cpu_relax();
	lock_depth = 1;
}

void console_unlock(void)
{
	if (--lock_depth == 0)
		atomic_store32(&lock_owner, OWNER_NONE);
}

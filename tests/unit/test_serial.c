// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A model tests through the PIO bus, without KVM (no irq): bytes written
 * to THR reach the output fd, LSR always reports an empty transmitter, the
 * divisor latch hides IER/THR, IIR reports and clears the THRE interrupt,
 * and loopback mirrors MCR into MSR as the Linux 8250 probe expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/serial.h"

#define BASE 0x3f8

struct fixture {
	struct bus *pio;
	struct serial *s;
	int pipefd[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || pipe2(f->pipefd, O_NONBLOCK))
		return -1;
	f->pio = bus_create("pio");
	if (!f->pio || serial_create(f->pio, BASE, NULL, f->pipefd[1], &f->s))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	serial_destroy(f->s);
	bus_destroy(f->pio);
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	free(f);
	return 0;
}

static uint8_t inb(struct fixture *f, uint16_t reg)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(f->pio, BASE + reg, &v, 1, false), 0);
	return v;
}

static void outb(struct fixture *f, uint16_t reg, uint8_t v)
{
	assert_int_equal(bus_access(f->pio, BASE + reg, &v, 1, true), 0);
}

static void test_transmit(void **state)
{
	struct fixture *f = *state;
	char buf[8];

	outb(f, 0, 'h');
	outb(f, 0, 'i');
	assert_int_equal(read(f->pipefd[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(inb(f, 5) & 0x60, 0x60);	/* THRE | TEMT */
	assert_int_equal(inb(f, 5) & 0x01, 0);		/* no receive data */
}

static void test_divisor_latch(void **state)
{
	struct fixture *f = *state;
	char c;

	outb(f, 1, 0x05);				/* IER */
	outb(f, 3, 0x83);				/* DLAB on */
	outb(f, 0, 0x0c);
	outb(f, 1, 0x00);
	assert_int_equal(inb(f, 0), 0x0c);
	assert_int_equal(inb(f, 1), 0x00);
	assert_int_equal(read(f->pipefd[0], &c, 1), -1);	/* DLL write sent nothing */
	assert_int_equal(errno, EAGAIN);
	outb(f, 3, 0x03);				/* DLAB off */
	assert_int_equal(inb(f, 1), 0x05);		/* IER kept */
	assert_int_equal(inb(f, 3), 0x03);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(inb(f, 2) & 0x0f, 0x01);	/* IER=0: nothing pending */
	outb(f, 1, 0x02);				/* enable THRI */
	assert_int_equal(inb(f, 2) & 0x0f, 0x02);	/* THRE pending ... */
	assert_int_equal(inb(f, 2) & 0x0f, 0x01);	/* ... cleared by that read */
	outb(f, 0, 'x');
	assert_int_equal(inb(f, 2) & 0x0f, 0x02);	/* pending again after a byte */
	outb(f, 2, 0x01);				/* FIFO on */
	assert_int_equal(inb(f, 2) & 0xc0, 0xc0);
}

static void test_scratch_and_loopback(void **state)
{
	struct fixture *f = *state;
	char c;

	outb(f, 7, 0x5a);
	assert_int_equal(inb(f, 7), 0x5a);
	assert_int_equal(inb(f, 6) & 0xf0, 0xb0);	/* DCD DSR CTS */
	outb(f, 4, 0x10 | 0x0a);			/* loop, RTS, OUT2 */
	assert_int_equal(inb(f, 6) & 0xf0, 0x90);	/* CTS, DCD */
	outb(f, 0, 'z');				/* loopback: not transmitted */
	assert_int_equal(read(f->pipefd[0], &c, 1), -1);
}

static void test_wide_and_outside(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;

	assert_int_equal(bus_access(f->pio, BASE + 5, &v, 2, false), 0);
	assert_int_equal(v, 0x60);			/* upper byte reads as zero */
	assert_int_equal(bus_access(f->pio, BASE + 8, &v, 1, false), -ENOENT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_transmit), T(test_divisor_latch), T(test_thre_interrupt),
		T(test_scratch_and_loopback), T(test_wide_and_outside),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * A 16550A UART on the PIO bus. Transmission is instant (LSR always reports
 * THRE|TEMT), each byte is written straight to the output fd, there is no
 * receive path yet. The THRE interrupt follows the 8250 rules closely enough
 * for Linux's driver: pending after THR empties, cleared by reading IIR.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/bus.h"
#include "vmm/irq.h"
#include "vmm/serial.h"

#define UART_RBR_THR	0
#define UART_IER	1
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_FIFO	0xc0
#define FCR_FIFO_EN	0x01
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_DEFAULT	0xb0		/* DCD | DSR | CTS */

struct serial {
	struct bus *pio;
	uint16_t base;
	struct irq *irq;
	int out_fd;
	pthread_mutex_t lock;		/* protects every register below */
	uint8_t ier, lcr, mcr, scr, fcr;
	uint16_t divisor;
	bool thr_ipending;		/* THRE interrupt condition latched */
	int irq_level;			/* last level driven on SERIAL_IRQ */
};

static uint8_t iir_locked(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_FIFO_EN) ? IIR_FIFO : 0;

	if ((s->ier & IER_THRI) && s->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void update_irq_locked(struct serial *s)
{
	int level = !(iir_locked(s) & IIR_NO_INT);

	if (level == s->irq_level || !s->irq)
		return;
	s->irq_level = level;
	irq_line(s->irq, SERIAL_IRQ, level);
}

static void transmit(struct serial *s, uint8_t c)
{
	ssize_t n;

	if (s->out_fd < 0 || (s->mcr & MCR_LOOP))
		return;
	do {
		n = write(s->out_fd, &c, 1);
	} while (n < 0 && errno == EINTR);
}

/* In loopback the modem outputs come back as inputs: DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD. */
static uint8_t msr_locked(const struct serial *s)
{
	uint8_t m = s->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DEFAULT;
	return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) |
			 ((m & 0x08) << 4));
}

static uint8_t read_reg_locked(struct serial *s, uint64_t off)
{
	uint8_t v;

	switch (off) {
	case UART_RBR_THR:
		return (s->lcr & LCR_DLAB) ? (uint8_t)s->divisor : 0;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier;
	case UART_IIR_FCR:
		v = iir_locked(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_ipending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT;
	case UART_MSR:
		return msr_locked(s);
	default:
		return s->scr;
	}
}

static void write_reg_locked(struct serial *s, uint64_t off, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	if (off == UART_RBR_THR && dlab) {
		s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
	} else if (off == UART_RBR_THR) {
		transmit(s, v);
		s->thr_ipending = true;	/* the byte left at once */
	} else if (off == UART_IER && dlab) {
		s->divisor = (uint16_t)((s->divisor & 0x00ff) | (v << 8));
	} else if (off == UART_IER) {
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_ipending = true;
		s->ier = v & 0x0f;
	} else if (off == UART_IIR_FCR) {
		s->fcr = v & 0xc9;
	} else if (off == UART_LCR) {
		s->lcr = v;
	} else if (off == UART_MCR) {
		s->mcr = v & 0x1f;
	} else if (off == UART_SCR) {
		s->scr = v;
	}
}

static void serial_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct serial *s = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	((uint8_t *)data)[0] = read_reg_locked(s, off);
	update_irq_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	write_reg_locked(s, off, ((const uint8_t *)data)[0]);
	update_irq_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct bus_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

int serial_create(struct bus *pio, uint16_t base, struct irq *irq, int out_fd,
		  struct serial **out)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->pio = pio;
	s->base = base;
	s->irq = irq;
	s->out_fd = out_fd;
	s->lcr = 0x03;			/* 8n1, as firmware leaves it */
	s->divisor = 1;			/* 115200 baud */
	s->thr_ipending = true;
	pthread_mutex_init(&s->lock, NULL);
	ret = bus_register(pio, base, 8, &serial_ops, s);
	if (ret) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	bus_unregister(s->pio, s->base, s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The isa-debug-exit port (QEMU semantics): a write of any width stops the
 * VM, and ioshade exits with (value << 1) | 1, so a guest can report pass or
 * fail to a test harness. Reads return all ones, like an absent device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"
#include "vmm/serial.h"
#include "vmm/vm.h"

struct debug_exit {
	struct bus *pio;
	uint16_t port;
	struct vm *vm;
};

static void debug_exit_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0xff, len);
}

static void debug_exit_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct debug_exit *d = opaque;
	uint32_t value = 0;

	if (off || (len != 1 && len != 2 && len != 4))
		return;
	memcpy(&value, data, len);	/* x86 hosts only: little-endian */
	vm_request_stop(d->vm, VM_STOP_DEBUG_EXIT, (int)((value << 1) | 1));
}

static const struct bus_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};

int debug_exit_create(struct bus *pio, uint16_t port, struct vm *vm, struct debug_exit **out)
{
	struct debug_exit *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->pio = pio;
	d->port = port;
	d->vm = vm;
	ret = bus_register(pio, port, 4, &debug_exit_ops, d);
	if (ret) {
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

void debug_exit_destroy(struct debug_exit *d)
{
	if (!d)
		return;
	bus_unregister(d->pio, d->port, d);
	free(d);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * A 64-bit IDT for the 32 CPU exceptions, shared by all CPUs (APs load it
 * with trap_load). Interrupts stay disabled, so only a guest bug lands here:
 * print the CPU, vector and registers, exit with FAIL rather than
 * triple-faulting (which would look like a clean reboot).
 */
#include "guest.h"

#include "console.h"
#include "smp.h"

#define TRAP_VECTORS	32
#define TRAP_STUB_SIZE	16
#define GATE_INTR64	0x8e	/* present, DPL0, 64-bit interrupt gate */
#define SEL_CODE64	0x08

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[TRAP_VECTORS] __attribute__((aligned(16)));
extern char trap_stubs[];

void trap_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_init(void)
{
	unsigned i;

	for (i = 0; i < TRAP_VECTORS; i++) {
		uint64_t off = (uint64_t)(uintptr_t)(trap_stubs + i * TRAP_STUB_SIZE);

		idt[i] = (struct idt_gate){
			.off_lo = (uint16_t)off, .sel = SEL_CODE64, .attr = GATE_INTR64,
			.off_mid = (uint16_t)(off >> 16), .off_hi = (uint32_t)(off >> 32),
		};
	}
	trap_load();
}

void trap_handler(const uint64_t *frame);

/* frame: vector, error code, rip, cs, rflags, rsp, ss */
void trap_handler(const uint64_t *frame)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printf("EXCEPTION vector=%lu error=0x%lx rip=0x%lx rsp=0x%lx cr2=0x%lx apic=%u\n",
	       frame[0], frame[1], frame[2], frame[5], cr2, smp_apic_id());
	guest_exit(GUEST_EXIT_FAIL);
}

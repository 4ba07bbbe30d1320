/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AP trampoline. smp.c copies smp_tramp_start..smp_tramp_end to
 * SMP_TRAMP_BASE and sends SIPI with vector SMP_TRAMP_BASE >> 12; the AP
 * starts here in real mode (CS = base >> 4, IP = 0), goes through 32-bit
 * protected mode to long mode on the BSP's CR3 and calls the C entry with
 * the stack that smp.c wrote into the parameter block at the end.
 */
#include "smp.h"

#define MSR_EFER	0xc0000080
#define EFER_LME	0x100
#define CR4_PAE		0x20
#define CR0_PE		0x1
#define CR0_PE_PG	0x80000001
#define SEL_CODE64	0x08	/* the same selectors as entry.S: the IDT uses 0x08 */
#define SEL_DATA	0x10
#define SEL_CODE32	0x18

/* Where label x of the trampoline lives once copied. */
#define T(x)	(SMP_TRAMP_BASE + ((x) - smp_tramp_start))

	.section .rodata.smp_tramp, "a"
	.globl smp_tramp_start, smp_tramp_end, smp_tramp_params
	.code16
smp_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdt_desc - smp_tramp_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $T(tramp_pm32)

	.code32
tramp_pm32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl T(tramp_cr3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PE_PG, %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $T(tramp_lm64)

	.code64
tramp_lm64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq T(tramp_stack), %rsp
	movq T(tramp_entry), %rax
	xorl %ebp, %ebp
	call *%rax
1:	cli
	hlt
	jmp 1b

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
	.quad 0x00cf9a000000ffff	/* 0x18: flat 32-bit code */
tramp_gdt_end:
tramp_gdt_desc:
	.word tramp_gdt_end - tramp_gdt - 1
	.long T(tramp_gdt)

	/* Parameter block (struct smp_tramp_params in smp.c), written by the BSP. */
	.balign 8
smp_tramp_params:
tramp_cr3:
	.quad 0
tramp_stack:
	.quad 0
tramp_entry:
	.quad 0
smp_tramp_end:

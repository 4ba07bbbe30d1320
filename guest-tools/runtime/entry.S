/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PVH entry: the loader jumps to pvh_start32 in 32-bit protected mode with
 * paging off and %ebx = GPA of struct hvm_start_info. We clear .bss, identity
 * map the first 4 GiB with 2 MiB pages, enter long mode and call runtime_main.
 * Also holds the 32 exception stubs that funnel into trap_handler (trap.c).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PTE_P_RW	0x03
#define PDE_2M		0x83		/* present, writable, page size */
#define MSR_EFER	0xc0000080
#define EFER_LME	0x100
#define CR4_PAE		0x20
#define CR0_PE_PG	0x80000001
#define SEL_CODE64	0x08
#define SEL_DATA	0x10

	/* desc is 8 bytes: QEMU reads a native-size value there. */
	.section .note.Xen, "a"
	.balign 4
	.long 4, 8, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start32
	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, pvh_start_info_gpa
	movl $boot_stack_top, %esp

	/* Zero .bss with a plain loop (no rep string ops for slow emulators). */
	movl $__bss_start, %edi
	xorl %eax, %eax
1:	cmpl $__bss_end, %edi
	jae 2f
	movl %eax, (%edi)
	addl $4, %edi
	jmp 1b
2:
	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs; PD entries: 2048 x 2 MiB. */
	movl $boot_pdpt, %eax
	orl $PTE_P_RW, %eax
	movl %eax, boot_pml4

	movl $boot_pd, %eax
	orl $PTE_P_RW, %eax
	movl $boot_pdpt, %edi
	movl $4, %ecx
3:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	decl %ecx
	jnz 3b

	movl $boot_pd, %edi
	movl $PDE_2M, %eax
	movl $2048, %ecx
4:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	decl %ecx
	jnz 4b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	lgdt boot_gdt_desc
	movl %cr0, %eax
	orl $CR0_PE_PG, %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $start64

	.code64
start64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl pvh_start_info_gpa, %edi
	call runtime_main
5:	cli
	hlt
	jmp 5b

/* Exception stubs: push a dummy error code where the CPU does not. */
.macro TRAP_NOERR vec
	.balign 16
	pushq $0
	pushq $\vec
	jmp trap_common
.endm
.macro TRAP_ERR vec
	.balign 16
	pushq $\vec
	jmp trap_common
.endm

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	TRAP_NOERR 0
	TRAP_NOERR 1
	TRAP_NOERR 2
	TRAP_NOERR 3
	TRAP_NOERR 4
	TRAP_NOERR 5
	TRAP_NOERR 6
	TRAP_NOERR 7
	TRAP_ERR 8
	TRAP_NOERR 9
	TRAP_ERR 10
	TRAP_ERR 11
	TRAP_ERR 12
	TRAP_ERR 13
	TRAP_ERR 14
	TRAP_NOERR 15
	TRAP_NOERR 16
	TRAP_ERR 17
	TRAP_NOERR 18
	TRAP_NOERR 19
	TRAP_NOERR 20
	TRAP_ERR 21
	TRAP_NOERR 22
	TRAP_NOERR 23
	TRAP_NOERR 24
	TRAP_NOERR 25
	TRAP_NOERR 26
	TRAP_NOERR 27
	TRAP_NOERR 28
	TRAP_ERR 29
	TRAP_ERR 30
	TRAP_NOERR 31

trap_common:
	/* Stack: vector, error code, rip, cs, rflags, rsp, ss. */
	movq %rsp, %rdi
	andq $-16, %rsp
	call trap_handler
6:	cli
	hlt
	jmp 6b

	.data
	.balign 8
	.globl pvh_start_info_gpa
pvh_start_info_gpa:
	.long 0
	.long 0
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
boot_gdt_end:
	.balign 8
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.bss
	.balign 4096
	.globl boot_pml4, boot_pdpt
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_stack:
	.skip 32768
boot_stack_top:

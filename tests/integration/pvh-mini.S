/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smallest PVH guest: checks the hvm_start_info magic in EBX, prints
 * "Hello from ioshade mini guest" on COM1 with one rep outsb (string I/O)
 * and leaves through the debug-exit port with 0x10 (exit status 33), or
 * 0x01 (status 3) when the start_info magic is wrong. With HALT defined it
 * ends in cli; hlt instead (exit status 0); with TRIPLE it traps with no
 * valid IDT: a triple fault, which ioshade reports as a shutdown.
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 4				/* descsz */
	.long 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	cmpl $0x336ec578, (%ebx)
	jne bad_magic
	mov $msg, %esi
	mov $msg_len, %ecx
	mov $0x3f8, %dx
	cld
	rep outsb
#if defined(TRIPLE)
	ud2			/* IDT at 0 holds zeroes: #UD -> #GP -> #DF -> shutdown */
#elif defined(HALT)
	cli
1:	hlt
	jmp 1b
#else
	mov $0xf4, %dx
	mov $0x10, %al
	out %al, %dx
#endif
2:	cli
	hlt
	jmp 2b
bad_magic:
	mov $0xf4, %dx
	mov $0x01, %al
	out %al, %dx
	jmp 2b

	.section .rodata
msg:	.ascii "Hello from ioshade mini guest\n"
	.set msg_len, . - msg
